// Store and ContainerDir on a temp state root: creation, names, lookup, locks, removal,
// abandoned creations, state updates, atomic writes and generated names.

#include "mydocker/store/store.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "mydocker/util/error.hpp"
#include "unit/store/store_helpers.hpp"

namespace mydocker {
namespace {

using nlohmann::json;
using test::entries_of;
using test::get_file;
using test::is_dir;
using test::lock_is_held;
using test::make_id;
using test::put_file;
using test::sample_config;
using Strings = std::vector<std::string>;

const std::string kIdA = make_id("aaaa1111");
const std::string kIdB = make_id("bbbb2222");
const std::string kIdC = make_id("aaaa3333");

bool is_symlink(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_symlink(path, ec);
}

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::symlink_status(path, ec));
}

std::string link_target(const std::string& path) {
  std::error_code ec;
  return std::filesystem::read_symlink(path, ec).string();
}

// Temp files the atomic writes leave behind, anywhere under `dir`.
Strings leftovers(const std::string& dir) {
  Strings out;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(".tmp-", 0) == 0 || (name.size() > 4 && name.ends_with(".tmp")))
      out.push_back(e.path().string());
  }
  return out;
}

// What resolve throws, or "" when it does not.
std::string resolve_error(const Store& store, const std::string& ref) {
  try {
    (void)store.resolve(ref);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitSetupError);
    return e.what();
  }
  return "";
}

// Runs `probe` in a forked child; returns its exit status (or -1 when it died otherwise).
template <typename F>
int in_child(F probe) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int code = 99;
    try {
      code = probe();
    } catch (...) {
      code = 98;
    }
    ::_exit(code);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class StoreTest : public test::StoreTest {};

// ---- create ----

TEST_F(StoreTest, CreateWritesConfigStateAndTheNameLink) {
  const json config = sample_config(kIdA, "web");
  ContainerState state;
  state.status = "running";
  state.pid = 1234;

  auto created = store().create(kIdA, "web", config, state);

  EXPECT_EQ(created.dir.id(), kIdA);
  EXPECT_EQ(created.dir.path(), path(kIdA));
  EXPECT_EQ(created.dir.log_path(), path(kIdA) + "/container.log");
  ASSERT_TRUE(is_dir(path(kIdA)));
  // config.json: the config and the cgroup record; state.json: the state and what ps shows.
  json with_cgroups = config;
  put_cgroup_record(with_cgroups, state.cgroup);
  EXPECT_EQ(json::parse(get_file(path(kIdA + "/config.json"))), with_cgroups);
  const json state_json = json::parse(get_file(path(kIdA + "/state.json")));
  ContainerState summarised = state;
  fill_summary(summarised, config);
  EXPECT_EQ(state_json, json(summarised));
  EXPECT_EQ(state_json["name"], "web");
  EXPECT_EQ(created.dir.config(), with_cgroups);
  EXPECT_EQ(created.dir.state().status, "running");
  EXPECT_EQ(created.dir.state().pid, 1234);
  ASSERT_TRUE(is_symlink(path("names/web")));
  EXPECT_EQ(link_target(path("names/web")), kIdA);
}

TEST(PortsSummary, DockersRangesSortedAndMerged) {
  auto port = [](const char* ip, int host, int ctr, const char* proto = "tcp") {
    return json{{"HostIp", ip},
                {"HostPort", std::to_string(host)},
                {"ContainerPort", ctr},
                {"Protocol", proto}};
  };
  EXPECT_EQ(ports_summary(json::array()), "");
  EXPECT_EQ(ports_summary(json::array({port("0.0.0.0", 8080, 80)})), "0.0.0.0:8080->80/tcp");
  const json ports =
      json::array({port("0.0.0.0", 8002, 82), port("0.0.0.0", 8000, 80), port("0.0.0.0", 8001, 81),
                   port("0.0.0.0", 9000, 83), port("127.0.0.1", 53, 53, "udp"),
                   port("0.0.0.0", 5353, 53, "udp")});
  EXPECT_EQ(ports_summary(ports),
            "0.0.0.0:8000-8002->80-82/tcp, 0.0.0.0:9000->83/tcp, 0.0.0.0:5353->53/udp, "
            "127.0.0.1:53->53/udp");
}

TEST_F(StoreTest, StateAddsTheCgroupRecordFromTheConfigAndStatusDoesNot) {
  ContainerState state;
  state.status = "running";
  state.cgroup.driver = CgroupMode::kV1;
  state.cgroup.paths = {{"memory", "/sys/fs/cgroup/memory/mydocker/" + kIdA}};
  state.cgroup.dirs = {"/sys/fs/cgroup/memory/mydocker/" + kIdA};

  auto created = store().create(kIdA, "web", sample_config(kIdA, "web"), state);

  EXPECT_EQ(created.dir.state().cgroup, state.cgroup);
  EXPECT_TRUE(created.dir.status().cgroup.empty());
  EXPECT_EQ(created.dir.status().status, "running");
  EXPECT_EQ(created.dir.status().name, "web");
}

TEST_F(StoreTest, CreateLeavesNoTempFiles) {
  (void)store().create(kIdA, "web", sample_config(kIdA, "web"), ContainerState{});
  (void)store().create(kIdB, "db", sample_config(kIdB, "db"), ContainerState{}, false);

  EXPECT_EQ(leftovers(root_), Strings{});
  Strings top = entries_of(root_);
  std::sort(top.begin(), top.end());
  EXPECT_EQ(top, (Strings{kIdA, kIdB, "names"}));
}

TEST_F(StoreTest, CreateMakesAMissingStateRoot) {
  const Store nested(path("a/b/root"));

  auto created = nested.create(kIdA, "web", sample_config(kIdA, "web"), ContainerState{}, false);

  EXPECT_TRUE(is_dir(path("a/b/root/" + kIdA)));
  EXPECT_EQ(nested.ids(), Strings{kIdA});
}

TEST_F(StoreTest, CreateUnderARegularFileThrows) {
  put_file(path("file"), "x");
  const Store broken(path("file"));

  EXPECT_THROW(
      (void)broken.create(kIdA, "web", sample_config(kIdA, "web"), ContainerState{}, false), Error);
}

TEST_F(StoreTest, CreateOfAnExistingIdThrowsAndKeepsTheFirst) {
  (void)create_released(kIdA, "first");

  EXPECT_THROW(
      (void)store().create(kIdA, "second", sample_config(kIdA, "second"), ContainerState{}, false),
      Error);

  EXPECT_EQ(store().ids(), Strings{kIdA});
  EXPECT_EQ(store().name_of(kIdA), "first");
  EXPECT_FALSE(exists(path("names/second")));
  EXPECT_EQ(leftovers(root_), Strings{});
}

// ---- the supervisor lock ----

TEST_F(StoreTest, SupervisorIsAliveWhileTheCreateLockIsHeld) {
  auto created = store().create(kIdA, "web", sample_config(kIdA, "web"), ContainerState{}, false);

  EXPECT_TRUE(created.supervisor_lock.valid());
  EXPECT_TRUE(created.dir.supervisor_alive());
  EXPECT_TRUE(lock_is_held(path(kIdA + "/supervisor.lock")));

  created.supervisor_lock.reset();

  EXPECT_FALSE(created.dir.supervisor_alive());
  EXPECT_FALSE(lock_is_held(path(kIdA + "/supervisor.lock")));
}

TEST_F(StoreTest, AnotherProcessCannotTakeAHeldSupervisorLock) {
  auto created = store().create(kIdA, "web", sample_config(kIdA, "web"), ContainerState{}, false);
  const std::string lock = path(kIdA + "/supervisor.lock");
  auto try_lock = [&] {
    int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return 2;
    return ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1;
  };

  EXPECT_EQ(in_child(try_lock), 1);
  EXPECT_EQ(in_child([&] { return created.dir.supervisor_alive() ? 1 : 0; }), 1);

  created.supervisor_lock.reset();

  EXPECT_EQ(in_child(try_lock), 0);
  EXPECT_EQ(in_child([&] { return created.dir.supervisor_alive() ? 1 : 0; }), 0);
}

TEST_F(StoreTest, LockSupervisorRefusesWhileHeldAndSucceedsAfter) {
  auto created = store().create(kIdA, "web", sample_config(kIdA, "web"), ContainerState{}, false);

  try {
    (void)created.dir.lock_supervisor();
    FAIL() << "lock_supervisor took a held lock";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("owned by another mydocker process"), std::string::npos)
        << e.what();
  }

  created.supervisor_lock.reset();
  UniqueFd mine = created.dir.lock_supervisor();

  EXPECT_TRUE(mine.valid());
  EXPECT_TRUE(created.dir.supervisor_alive());
  mine.reset();
  EXPECT_FALSE(created.dir.supervisor_alive());
}

TEST_F(StoreTest, SupervisorIsNotAliveWithoutALockFile) {
  const ContainerDir missing(root_, kIdA);

  EXPECT_FALSE(missing.supervisor_alive());
}

// ---- names ----

TEST_F(StoreTest, SecondCreateWithTheSameNameThrowsConflict) {
  (void)create_released(kIdA, "web");

  try {
    (void)store().create(kIdB, "web", sample_config(kIdB, "web"), ContainerState{}, false);
    FAIL() << "the name was taken twice";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("is already in use by container"), std::string::npos) << what;
    EXPECT_NE(what.find(kIdA), std::string::npos) << what;
    EXPECT_NE(what.find("\"/web\""), std::string::npos) << what;
    EXPECT_EQ(e.exit_code(), kExitSetupError);
  }

  EXPECT_EQ(link_target(path("names/web")), kIdA);
  EXPECT_EQ(store().ids(), Strings{kIdA});
  EXPECT_EQ(leftovers(root_), Strings{});
}

TEST_F(StoreTest, NameOfAContainerStillBeingCreatedIsTaken) {
  // Another creator holds .tmp-<B>/supervisor.lock and has linked the name, not renamed yet.
  ASSERT_EQ(::mkdir(path(".tmp-" + kIdB).c_str(), 0700), 0);
  test::put_file(path(".tmp-" + kIdB + "/supervisor.lock"), "");
  UniqueFd held(::open(path(".tmp-" + kIdB + "/supervisor.lock").c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(held.valid());
  ASSERT_EQ(::flock(held.get(), LOCK_EX), 0);
  ASSERT_EQ(::mkdir(path("names").c_str(), 0700), 0);
  ASSERT_EQ(::symlink(kIdB.c_str(), path("names/web").c_str()), 0);

  EXPECT_THROW(
      (void)store().create(kIdA, "web", sample_config(kIdA, "web"), ContainerState{}, false),
      Error);

  EXPECT_EQ(link_target(path("names/web")), kIdB);
  EXPECT_FALSE(exists(path(kIdA)));
}

TEST_F(StoreTest, StaleNameLinkIsTakenOver) {
  // A crash between the name link and the directory: the link names nothing.
  ASSERT_EQ(::mkdir(path("names").c_str(), 0700), 0);
  ASSERT_EQ(::symlink(kIdB.c_str(), path("names/web").c_str()), 0);

  auto created = store().create(kIdA, "web", sample_config(kIdA, "web"), ContainerState{}, false);

  EXPECT_EQ(link_target(path("names/web")), kIdA);
  EXPECT_EQ(store().resolve("web"), kIdA);
}

TEST_F(StoreTest, NameOfAnAbandonedCreationIsTakenOver) {
  // The other creator died: its temp directory is there, its lock is free.
  ASSERT_EQ(::mkdir(path(".tmp-" + kIdB).c_str(), 0700), 0);
  test::put_file(path(".tmp-" + kIdB + "/supervisor.lock"), "");
  ASSERT_EQ(::mkdir(path("names").c_str(), 0700), 0);
  ASSERT_EQ(::symlink(kIdB.c_str(), path("names/web").c_str()), 0);

  (void)store().create(kIdA, "web", sample_config(kIdA, "web"), ContainerState{}, false);

  EXPECT_EQ(link_target(path("names/web")), kIdA);
}

TEST_F(StoreTest, NameIsFreeAgainAfterRemove) {
  const ContainerDir first = create_released(kIdA, "web");
  store().remove(first);

  (void)create_released(kIdB, "web");

  EXPECT_EQ(store().resolve("web"), kIdB);
}

TEST_F(StoreTest, OfConcurrentCreatesWithOneNameExactlyOneWins) {
  constexpr int kCreators = 6;
  std::vector<pid_t> pids;
  for (int i = 0; i < kCreators; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 2;
      try {
        const std::string id = make_id("c" + std::to_string(i));
        (void)store().create(id, "shared", sample_config(id, "shared"), ContainerState{}, false);
        code = 0;
      } catch (const Error& e) {
        code = std::string(e.what()).find("is already in use") != std::string::npos ? 1 : 3;
      } catch (...) {
        code = 4;
      }
      ::_exit(code);
    }
    pids.push_back(pid);
  }
  int winners = 0, losers = 0;
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 0)
      ++winners;
    else if (WEXITSTATUS(status) == 1)
      ++losers;
  }

  EXPECT_EQ(winners, 1);
  EXPECT_EQ(losers, kCreators - 1);
  EXPECT_EQ(store().ids().size(), 1u);
  EXPECT_EQ(leftovers(root_), Strings{});
}

TEST_F(StoreTest, NameOfReadsTheConfig) {
  (void)create_released(kIdA, "web");

  EXPECT_EQ(store().name_of(kIdA), "web");
  EXPECT_EQ(store().name_of(kIdB), "");
}

// ---- resolve ----

TEST_F(StoreTest, ResolveByFullIdPrefixAndName) {
  (void)create_released(kIdA, "web");
  (void)create_released(kIdB, "db");

  EXPECT_EQ(store().resolve(kIdA), kIdA);
  EXPECT_EQ(store().resolve("bbbb"), kIdB);
  EXPECT_EQ(store().resolve("b"), kIdB);
  EXPECT_EQ(store().resolve(kIdB.substr(0, 12)), kIdB);
  EXPECT_EQ(store().resolve("web"), kIdA);
  EXPECT_EQ(store().resolve("db"), kIdB);
  EXPECT_EQ(store().open("web").id(), kIdA);
  EXPECT_EQ(store().open("web").path(), path(kIdA));
}

TEST_F(StoreTest, ResolveNameWinsOverAnIdPrefix) {
  (void)create_released(kIdA, "first");
  (void)create_released(kIdB, "aaaa");  // a name that is also a prefix of kIdA

  EXPECT_EQ(store().resolve("aaaa"), kIdB);
  EXPECT_EQ(store().resolve("aaa"), kIdA);
}

TEST_F(StoreTest, ResolveOfAMissIsNoSuchContainer) {
  (void)create_released(kIdA, "web");

  EXPECT_EQ(resolve_error(store(), "x"), "No such container: x");
  EXPECT_EQ(resolve_error(store(), "cafe"), "No such container: cafe");
  EXPECT_EQ(resolve_error(store(), make_id("ffff")), "No such container: " + make_id("ffff"));
}

TEST_F(StoreTest, ResolveOfAnAmbiguousPrefixNamesIt) {
  (void)create_released(kIdA, "web");
  (void)create_released(kIdC, "db");  // both start with "aaaa"

  const std::string what = resolve_error(store(), "aaaa");

  EXPECT_NE(what.find("multiple containers"), std::string::npos) << what;
  EXPECT_NE(what.find("aaaa"), std::string::npos) << what;
  EXPECT_EQ(store().resolve("aaaa1"), kIdA);
  EXPECT_EQ(store().resolve("aaaa3"), kIdC);
}

TEST_F(StoreTest, ResolveOfAnEmptyRefThrowsEvenWithOneContainer) {
  (void)create_released(kIdA, "web");

  const std::string what = resolve_error(store(), "");

  EXPECT_NE(what.find("No such container"), std::string::npos) << what;
}

TEST_F(StoreTest, ResolveIgnoresAStaleNameLink) {
  ASSERT_EQ(::mkdir(path("names").c_str(), 0700), 0);
  ASSERT_EQ(::symlink(kIdB.c_str(), path("names/ghost").c_str()), 0);

  EXPECT_EQ(resolve_error(store(), "ghost"), "No such container: ghost");
}

TEST_F(StoreTest, ResolveInAnEmptyOrMissingRootIsNoSuchContainer) {
  const Store missing(path("nothing-here"));

  EXPECT_EQ(resolve_error(missing, "web"), "No such container: web");
  EXPECT_EQ(resolve_error(store(), "web"), "No such container: web");
}

// ---- ids ----

TEST_F(StoreTest, IdsListsOnlyContainerIdDirectories) {
  (void)create_released(kIdA, "web");
  (void)create_released(kIdB, "db");
  for (const std::string& other :
       {".tmp-" + kIdC, std::string("abc"), make_id("ABCD"), make_id("aaaa") + "0",
        std::string(63, 'a'), "g" + std::string(63, 'a')})
    ASSERT_EQ(::mkdir(path(other).c_str(), 0700), 0) << other;

  Strings ids = store().ids();
  std::sort(ids.begin(), ids.end());

  EXPECT_EQ(ids, (Strings{kIdA, kIdB}));
}

TEST_F(StoreTest, IdsOfAMissingRootIsEmpty) {
  EXPECT_TRUE(Store(path("nothing-here")).ids().empty());
}

// ---- remove ----

TEST_F(StoreTest, RemoveDeletesTheDirectoryAndTheNameLink) {
  const ContainerDir web = create_released(kIdA, "web");
  (void)create_released(kIdB, "db");
  test::put_file(web.log_path(), "{\"log\":\"x\\n\"}\n");
  (void)web.update([](ContainerState& s) { s.status = "exited"; });  // makes state.lock

  store().remove(web);

  EXPECT_FALSE(exists(path(kIdA)));
  EXPECT_FALSE(exists(path("names/web")));
  EXPECT_EQ(store().ids(), Strings{kIdB});
  EXPECT_EQ(link_target(path("names/db")), kIdB);
  EXPECT_EQ(resolve_error(store(), "web"), "No such container: web");
}

TEST_F(StoreTest, RemoveKeepsANameLinkThatNamesAnotherContainer) {
  const ContainerDir web = create_released(kIdA, "web");
  // The name now belongs to B (a test's hand: as after a takeover).
  ASSERT_EQ(::unlink(path("names/web").c_str()), 0);
  ASSERT_EQ(::symlink(kIdB.c_str(), path("names/web").c_str()), 0);

  store().remove(web);

  EXPECT_FALSE(exists(path(kIdA)));
  EXPECT_EQ(link_target(path("names/web")), kIdB);
}

// ---- abandoned ----

TEST_F(StoreTest, AbandonedListsTempDirectoriesWhoseLockIsFree) {
  const std::string dead = path(".tmp-" + kIdA);
  const std::string busy = path(".tmp-" + kIdB);
  for (const auto& d : {dead, busy}) {
    ASSERT_EQ(::mkdir(d.c_str(), 0700), 0);
    test::put_file(d + "/supervisor.lock", "");
  }
  UniqueFd held(::open((busy + "/supervisor.lock").c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(held.valid());
  ASSERT_EQ(::flock(held.get(), LOCK_EX), 0);
  (void)create_released(kIdC, "done");  // a finished container is not abandoned

  EXPECT_EQ(store().abandoned(), Strings{dead});

  held.reset();
  Strings both = store().abandoned();
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, (Strings{dead, busy}));
}

TEST_F(StoreTest, AbandonedListsATempDirectoryWithoutALockFile) {
  ASSERT_EQ(::mkdir(path(".tmp-" + kIdA).c_str(), 0700), 0);

  EXPECT_EQ(store().abandoned(), Strings{path(".tmp-" + kIdA)});
}

TEST_F(StoreTest, NothingIsAbandonedInACleanStore) {
  (void)create_released(kIdA, "web");

  EXPECT_TRUE(store().abandoned().empty());
  EXPECT_TRUE(Store(path("nothing-here")).abandoned().empty());
}

// ---- update ----

TEST_F(StoreTest, UpdateReadsModifiesAndWritesTheState) {
  ContainerState first;
  first.status = "running";
  first.pid = 10;
  first.cgroup.driver = CgroupMode::kV2;
  first.cgroup.dirs = {"/sys/fs/cgroup/mydocker/" + kIdA};
  const ContainerDir dir = create_released(kIdA, "web", first);

  const ContainerState returned = dir.update([](ContainerState& s) {
    EXPECT_EQ(s.status, "running");  // it sees what is on disk
    s.status = "exited";
    s.exit_code = 3;
  });

  EXPECT_EQ(returned.status, "exited");
  EXPECT_EQ(returned.exit_code, 3);
  EXPECT_EQ(returned.pid, 10);
  const ContainerState on_disk = dir.state();
  EXPECT_EQ(on_disk.status, "exited");
  EXPECT_EQ(on_disk.exit_code, 3);
  EXPECT_EQ(on_disk.pid, 10);
  EXPECT_EQ(on_disk.cgroup, first.cgroup);
  EXPECT_EQ(json::parse(get_file(dir.path() + "/state.json"))["exit_code"], 3);
  EXPECT_FALSE(exists(dir.path() + "/state.json.tmp"));
  EXPECT_EQ(leftovers(root_), Strings{});
}

TEST_F(StoreTest, UpdateOfADurableDirectory) {
  const ContainerDir durable(root_, kIdA, true);
  auto created = store().create(kIdA, "web", sample_config(kIdA, "web"), ContainerState{});

  (void)durable.update([](ContainerState& s) { s.restart_count = 5; });

  EXPECT_EQ(created.dir.state().restart_count, 5);
  EXPECT_FALSE(exists(durable.path() + "/state.json.tmp"));
}

TEST_F(StoreTest, ConcurrentUpdatesLoseNothing) {
  const ContainerDir dir = create_released(kIdA, "web");
  constexpr int kWriters = 4, kEach = 25;
  std::vector<pid_t> pids;
  for (int i = 0; i < kWriters; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        for (int n = 0; n < kEach; ++n)
          (void)dir.update([](ContainerState& s) { ++s.restart_count; });
      } catch (...) {
        code = 1;
      }
      ::_exit(code);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

  EXPECT_EQ(dir.state().restart_count, kWriters * kEach);
}

TEST_F(StoreTest, ConfigAndStateOfAMissingContainerThrow) {
  const ContainerDir missing(root_, kIdA);

  EXPECT_THROW((void)missing.config(), Error);
  EXPECT_THROW((void)missing.state(), Error);
  EXPECT_THROW((void)missing.update([](ContainerState&) {}), Error);
}

TEST_F(StoreTest, StateThatIsNotJsonThrows) {
  const ContainerDir dir = create_released(kIdA, "web");
  test::put_file(dir.path() + "/state.json", "{half");

  EXPECT_THROW((void)dir.state(), Error);
}

// ---- write_file_atomic ----

class WriteFileAtomicTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir(); }
  void TearDown() override { test::remove_tree(dir_); }
  std::string dir_;
};

TEST_P(WriteFileAtomicTest, WritesTheWholeContentAndLeavesNoTempFile) {
  const std::string file = dir_ + "/state.json";

  write_file_atomic(file, "{\"a\":1}\n", GetParam());

  EXPECT_EQ(get_file(file), "{\"a\":1}\n");
  EXPECT_FALSE(exists(file + ".tmp"));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u) << "readable by others";
}

TEST_P(WriteFileAtomicTest, ReplacesAnExistingFile) {
  const std::string file = dir_ + "/f";
  put_file(file, "a much longer old content than the new one\n");

  write_file_atomic(file, "new\n", GetParam());

  EXPECT_EQ(get_file(file), "new\n");
  EXPECT_EQ(entries_of(dir_), Strings{"f"});
}

TEST_P(WriteFileAtomicTest, WritesAnEmptyFile) {
  write_file_atomic(dir_ + "/empty", "", GetParam());

  EXPECT_EQ(get_file(dir_ + "/empty"), "");
}

TEST_P(WriteFileAtomicTest, ThrowsWhenTheDirectoryIsMissing) {
  EXPECT_THROW(write_file_atomic(dir_ + "/missing/f", "x", GetParam()), Error);
}

INSTANTIATE_TEST_SUITE_P(DurableAndNot, WriteFileAtomicTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Durable" : "NotDurable"; });

// ---- generate_name ----

TEST(GenerateName, HasDockersShapeAdjectiveNameAndFourHexDigits) {
  for (const std::string& id : {kIdA, kIdB, make_id("0f1e2d3c"), make_id("ffffffff", 'f'),
                                std::string("1234567890abcdef") + std::string(48, 'e')})
    EXPECT_TRUE(std::regex_match(generate_name(id), std::regex("[a-z]+_[a-z]+_[0-9a-f]{4}")))
        << generate_name(id);
}

TEST(GenerateName, IsDeterministicForAnId) {
  EXPECT_EQ(generate_name(kIdA), generate_name(kIdA));
  EXPECT_EQ(generate_name(make_id("0000abcd")), "brave_babbage_abcd");
}

TEST(GenerateName, EndsWithTheIdsDigitsFourToEight) {
  EXPECT_TRUE(generate_name(make_id("12345678")).ends_with("_5678"));
  EXPECT_NE(generate_name(make_id("00001111")), generate_name(make_id("00002222")));
}

}  // namespace
}  // namespace mydocker
