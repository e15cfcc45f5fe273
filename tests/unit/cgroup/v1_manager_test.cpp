// The cgroup v1 manager on a fake cgroupfs tree: placement, create/set/destroy, dry-run,
// validation (which also picks the hierarchies a container joins) and the kill guard.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cgroup/v1/manager.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker::v1 {
namespace {

using test::get_file;
using test::index_of;
using test::is_dir;
using test::kId;
using test::kOtherId;
using test::put_file;
using test::TraceCapture;
using test::value_of;
using Strings = std::vector<std::string>;

class V1ManagerTest : public test::FakeCgroupTest {
 protected:
  // A validated manager: a container joins every hierarchy (controller) the host has. The
  // third argument is gone from the manager (it used to pick fewer); kept here for the calls.
  std::unique_ptr<Manager> manager(const std::string& parent = "", const Resources& r = {},
                                   bool /*all*/ = true, const std::string& id = kId,
                                   const Fs* fs = nullptr) {
    auto m = std::make_unique<Manager>(fs ? *fs : *fs_, host(), id, parent);
    m->validate(r);
    return m;
  }

  // The container's directory in each hierarchy of the hybrid layout, by default: mydocker-<id>
  // right in the caller's own cgroup.
  std::string memory_dir(const std::string& id = kId) const {
    return path("memory/process_api/abc/mydocker-" + id);
  }
  std::string cpu_dir(const std::string& id = kId) const { return path("cpu/mydocker-" + id); }
  std::string cpuacct_dir(const std::string& id = kId) const {
    return path("cpuacct/mydocker-" + id);
  }
  std::string cpuset_dir(const std::string& id = kId) const {
    return path("cpuset/mydocker-" + id);
  }
  Strings all_dirs(const std::string& id = kId) const {
    return {memory_dir(id), cpu_dir(id), cpuacct_dir(id), cpuset_dir(id)};
  }
  // The caller's own cgroups, where containers go by default.
  Strings own_dirs() const {
    return {path("memory/process_api/abc"), path("cpu"), path("cpuacct"), path("cpuset")};
  }

  static Resources limits() {
    Resources r;
    r.memory = 104857600;
    r.cpu_quota = 20000;
    r.cpu_period = 100000;
    r.cpu_shares = 512;
    r.cpuset_cpus = "1-2";
    return r;
  }
};

// ---- construction and placement ----

TEST_F(V1ManagerTest, DefaultIsMydockerIdRightInTheCallersCgroupInEachHierarchy) {
  add_hybrid_layout();
  auto m = manager();

  EXPECT_EQ(m->record().dirs, all_dirs());
  EXPECT_EQ(m->paths(), (std::map<std::string, std::string>{
                            {"memory", memory_dir()},
                            {"cpu", cpu_dir()},
                            {"cpuacct", cpuacct_dir()},
                            {"cpuset", cpuset_dir()},
                        }));
  EXPECT_TRUE(m->record().parents.empty());  // no parent of its own to make or remove
}

TEST_F(V1ManagerTest, CoMountedCpuAndCpuacctShareOneDirectory) {
  add_v1("cpu,cpuacct");
  add_v1("cpuset");
  add_v1("memory");
  auto m = manager();

  const std::string cpu = path("cpu,cpuacct/mydocker-" + kId);
  EXPECT_EQ(m->record().dirs,
            (Strings{path("memory/mydocker-" + kId), cpu, path("cpuset/mydocker-" + kId)}));
  EXPECT_EQ(m->paths().at("cpu"), cpu);
  EXPECT_EQ(m->paths().at("cpuacct"), cpu);
}

TEST_F(V1ManagerTest, EveryContainerJoinsEveryHierarchyWhateverItsLimits) {
  add_hybrid_layout();
  // stats, --report, update and pause see all of a container, foreground or detached.
  EXPECT_EQ(manager("", Resources{})->record().dirs, all_dirs());
  EXPECT_EQ(manager("", limits())->record().dirs, all_dirs());
}

TEST_F(V1ManagerTest, MakeCgroupManagerPicksV1OnAHybridHost) {
  add_hybrid_layout();
  auto m = make_cgroup_manager(*fs_, host(), kId, "");
  ASSERT_NE(m, nullptr);
  m->validate(Resources{});
  EXPECT_EQ(m->record().dirs, all_dirs());
  EXPECT_FALSE(m->join().self_files.empty());  // v1: the init joins through tasks files
  EXPECT_EQ(m->join().clone_into, "");
}

TEST_F(V1ManagerTest, MakeCgroupManagerRefusesAHostWithoutCgroups) {
  try {
    (void)make_cgroup_manager(*fs_, host_cgroups_from("", ""), kId, "");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no cgroup filesystem"), std::string::npos) << e.what();
  }
}

TEST_F(V1ManagerTest, RejectsABadCgroupParent) {
  add_hybrid_layout();
  EXPECT_THROW(Manager(*fs_, host(), kId, "../escape"), Error);
}

// ---- create / set / join / destroy ----

// The oom event's source: an eventfd registered on memory.oom_control through
// cgroup.event_control ("<eventfd> <oom_control fd>"); its count is how many OOMs were signalled.
TEST_F(V1ManagerTest, OomWatchRegistersAnEventfdOnMemoryOomControl) {
  add_hybrid_layout();
  auto m = manager();
  m->create(Resources{});
  put_file(memory_dir() + "/cgroup.event_control", "");
  const UniqueFd watch = m->oom_watch();
  ASSERT_TRUE(watch);
  const auto words = split(get_file(memory_dir() + "/cgroup.event_control"), " ");
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0], std::to_string(watch.get()));
  EXPECT_EQ(m->oom_events(watch.get()), 0u) << "nothing signalled";
  const uint64_t two = 2;
  ASSERT_EQ(::write(watch.get(), &two, sizeof two), 8);  // as the kernel's eventfd_signal
  EXPECT_EQ(m->oom_events(watch.get()), 2u);
  EXPECT_EQ(m->oom_events(watch.get()), 0u);
  ::unlink((memory_dir() + "/cgroup.event_control").c_str());
  EXPECT_FALSE(m->oom_watch()) << "no event_control: no watch, and no error";
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V1ManagerTest, CreateMakesTheContainersDirectoryInEachHierarchy) {
  add_hybrid_layout();
  auto m = manager();

  m->create(Resources{});

  for (const auto& d : all_dirs()) EXPECT_TRUE(is_dir(d)) << d;
  EXPECT_FALSE(is_dir(path("memory/mydocker-" + kId)));   // the caller's own cgroup, not the root
  EXPECT_FALSE(is_dir(path("systemd/mydocker-" + kId)));  // named hierarchies are not touched
  EXPECT_FALSE(is_dir(path("unified/mydocker-" + kId)));
  EXPECT_FALSE(is_dir(path("cpu/mydocker")));  // no parent of its own
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V1ManagerTest, CreateMakesEveryHierarchysDirectory) {
  add_hybrid_layout();
  auto m = manager("", Resources{});

  m->create(Resources{});

  for (const auto& d : all_dirs()) EXPECT_TRUE(is_dir(d)) << d;
  EXPECT_TRUE(m->destroy().empty());
  for (const auto& d : all_dirs()) EXPECT_FALSE(is_dir(d)) << d;
}

TEST_F(V1ManagerTest, CreateFillsANewCpusetParentSoChildrenCanBeJoined) {
  add_hybrid_layout();
  auto m = manager("ci");

  m->create(Resources{});

  EXPECT_EQ(get_file(path("cpuset/ci/cpuset.cpus")), "0-3");
  EXPECT_EQ(get_file(path("cpuset/ci/cpuset.mems")), "0");
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V1ManagerTest, CreateFailsWhenTheContainersDirectoryExists) {
  add_hybrid_layout();
  auto first = manager();
  first->create(Resources{});
  auto second = manager();

  EXPECT_THROW(second->create(Resources{}), Error);

  EXPECT_TRUE(second->destroy().empty());  // removes only what it made: nothing
  for (const auto& d : all_dirs()) EXPECT_TRUE(is_dir(d)) << d;
  EXPECT_TRUE(first->destroy().empty());
}

TEST_F(V1ManagerTest, SetWritesTheLimitsIntoTheContainersDirectories) {
  add_hybrid_layout();
  const Resources r = limits();
  auto m = manager("", r);
  m->create(r);
  TraceCapture capture;

  EXPECT_NO_THROW(m->set(r));

  const auto lines = capture.lines();
  const std::string period = "+ echo 100000 > " + cpu_dir() + "/cpu.cfs_period_us";
  const std::string quota = "+ echo 20000 > " + cpu_dir() + "/cpu.cfs_quota_us";
  EXPECT_GE(index_of(lines, "+ echo 104857600 > " + memory_dir() + "/memory.limit_in_bytes"), 0);
  ASSERT_GE(index_of(lines, period), 0);
  EXPECT_GT(index_of(lines, quota), index_of(lines, period));
  EXPECT_EQ(value_of(memory_dir() + "/memory.limit_in_bytes"), "104857600");
  EXPECT_EQ(value_of(cpu_dir() + "/cpu.cfs_quota_us"), "20000");
  EXPECT_EQ(value_of(cpu_dir() + "/cpu.shares"), "512");
  EXPECT_EQ(value_of(cpuset_dir() + "/cpuset.cpus"), "1-2");
  EXPECT_EQ(value_of(cpuset_dir() + "/cpuset.mems"), "0");
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V1ManagerTest, SetAlwaysFillsTheCpusetSoTheInitCanJoin) {
  add_hybrid_layout();
  auto m = manager();
  m->create(Resources{});

  m->set(Resources{});

  EXPECT_EQ(get_file(cpuset_dir() + "/cpuset.cpus"), "0-3");
  EXPECT_EQ(get_file(cpuset_dir() + "/cpuset.mems"), "0");
  EXPECT_EQ(get_file(cpu_dir() + "/cpu.cfs_quota_us"), "-1\n");  // no CPU limit: untouched
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V1ManagerTest, CreateFillsTheContainersCpusetSoTheInitCanJoinBeforeTheLimits) {
  // The init joins as soon as the directories exist (v1 cpuset: ENOSPC while empty); set()
  // writes the other limits meanwhile, and leaves the cpuset alone.
  add_hybrid_layout();
  Resources r = limits();
  auto m = manager("", r);
  m->create(r);
  EXPECT_EQ(get_file(cpuset_dir() + "/cpuset.cpus"), "1-2");
  EXPECT_EQ(get_file(cpuset_dir() + "/cpuset.mems"), "0");
  EXPECT_EQ(get_file(cpu_dir() + "/cpu.cfs_quota_us"), "-1\n");  // not yet
  TraceCapture capture;
  m->set(r);
  EXPECT_NE(capture.text().find("cpu.cfs_quota_us"), std::string::npos) << capture.text();
  EXPECT_EQ(capture.text().find("cpuset."), std::string::npos) << capture.text();
  EXPECT_EQ(value_of(cpu_dir() + "/cpu.cfs_quota_us"), "20000");
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V1ManagerTest, SelfJoinFilesAreTheTasksFileOfEachDirectory) {
  add_hybrid_layout();
  auto m = manager();
  EXPECT_EQ(m->join().self_files, (Strings{memory_dir() + "/tasks", cpu_dir() + "/tasks",
                                           cpuacct_dir() + "/tasks", cpuset_dir() + "/tasks"}));
}

TEST_F(V1ManagerTest, SelfJoinFilesExistAfterCreate) {
  add_hybrid_layout();
  auto m = manager();
  m->create(Resources{});
  for (const auto& f : m->join().self_files) EXPECT_TRUE(fs_->exists(f)) << f;
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V1ManagerTest, ApplyWritesThePidIntoOneProcsFilePerHierarchy) {
  // Traced in dry-run only: a real pid must never land in a fake cgroup.procs.
  add_v1("cpu,cpuacct");
  add_v1("memory");
  const test::FakeCgroupFs dry(root_, /*dry_run=*/true);
  auto m = manager("", Resources{}, true, kId, &dry);
  TraceCapture capture;

  m->apply(0);

  EXPECT_EQ(capture.lines(),
            (Strings{
                "+ echo $PID > " + path("memory/mydocker-" + kId + "/cgroup.procs"),
                "+ echo $PID > " + path("cpu,cpuacct/mydocker-" + kId + "/cgroup.procs"),
            }));
}

TEST_F(V1ManagerTest, DestroyRemovesTheContainerAndNothingOfTheCaller) {
  add_hybrid_layout();
  auto m = manager();
  m->create(Resources{});
  m->set(Resources{});

  auto problems = m->destroy();

  EXPECT_EQ(problems, Strings{});
  for (const auto& d : all_dirs()) EXPECT_FALSE(is_dir(d)) << d;
  for (const auto& d : own_dirs()) EXPECT_TRUE(is_dir(d)) << d;  // the caller's own cgroups stay
}

TEST_F(V1ManagerTest, DestroyIsIdempotent) {
  add_hybrid_layout();
  auto m = manager();
  m->create(Resources{});
  EXPECT_TRUE(m->destroy().empty());
  TraceCapture capture;
  EXPECT_TRUE(m->destroy().empty());
  EXPECT_EQ(capture.text(), "");
}

TEST_F(V1ManagerTest, DestroyBeforeCreateDoesNothing) {
  add_hybrid_layout();
  const auto before = test::snapshot_tree(root_);
  auto m = manager();
  EXPECT_TRUE(m->destroy().empty());
  EXPECT_EQ(test::snapshot_tree(root_), before);
}

TEST_F(V1ManagerTest, TwoContainersSitSideBySideAndGoOneByOne) {
  add_hybrid_layout();
  auto a = manager("", Resources{}, true, kId);
  auto b = manager("", Resources{}, true, kOtherId);
  a->create(Resources{});
  b->create(Resources{});

  EXPECT_TRUE(a->destroy().empty());

  for (const auto& d : all_dirs(kId)) EXPECT_FALSE(is_dir(d)) << d;
  for (const auto& d : all_dirs(kOtherId)) EXPECT_TRUE(is_dir(d)) << d;
  EXPECT_TRUE(b->destroy().empty());
  for (const auto& d : all_dirs(kOtherId)) EXPECT_FALSE(is_dir(d)) << d;
  for (const auto& d : own_dirs()) EXPECT_TRUE(is_dir(d)) << d;
}

TEST_F(V1ManagerTest, AnExistingCgroupParentIsNeverOurs) {
  add_hybrid_layout();
  make_cgroup_dirs(path("memory"), "/process_api/abc/ci/job");
  auto m = manager("ci/job");
  for (const auto& p : m->record().parents)
    EXPECT_EQ(p.find(path("memory/")), std::string::npos) << p;  // made by someone else
  m->create(Resources{});
  EXPECT_TRUE(m->destroy().empty());
  EXPECT_TRUE(is_dir(path("memory/process_api/abc/ci/job")));
}

TEST_F(V1ManagerTest, RelativeCgroupParentIsBelowTheCallersCgroupAndRemovedAfterwards) {
  add_hybrid_layout();
  auto m = manager("ci/job");

  EXPECT_EQ(m->paths().at("memory"), path("memory/process_api/abc/ci/job/" + kId));
  EXPECT_EQ(m->paths().at("cpu"), path("cpu/ci/job/" + kId));
  // Missing, so this run makes them: recorded, deepest first, for prune after a kill -9.
  const auto parents = m->record().parents;
  auto at = [&](const std::string& p) { return std::find(parents.begin(), parents.end(), p); };
  ASSERT_NE(at(path("memory/process_api/abc/ci/job")), parents.end());
  EXPECT_EQ(at(path("memory/process_api/abc/ci/job")) + 1, at(path("memory/process_api/abc/ci")));
  EXPECT_EQ(at(path("memory/process_api/abc")), parents.end());  // the caller's own: never
  m->create(Resources{});
  m->set(Resources{});
  EXPECT_TRUE(is_dir(path("memory/process_api/abc/ci/job/" + kId)));
  EXPECT_TRUE(is_dir(path("cpuset/ci/job/" + kId)));
  EXPECT_EQ(get_file(path("cpuset/ci/cpuset.cpus")), "0-3");  // each new parent filled
  EXPECT_EQ(get_file(path("cpuset/ci/job/cpuset.cpus")), "0-3");

  EXPECT_TRUE(m->destroy().empty());

  EXPECT_FALSE(is_dir(path("memory/process_api/abc/ci")));
  EXPECT_FALSE(is_dir(path("cpu/ci")));
  EXPECT_FALSE(is_dir(path("cpuacct/ci")));
  EXPECT_FALSE(is_dir(path("cpuset/ci")));
  EXPECT_TRUE(is_dir(path("memory/process_api/abc")));
}

TEST_F(V1ManagerTest, AbsoluteCgroupParentIsFromTheRootAndRemovedAfterwards) {
  add_hybrid_layout();
  auto m = manager("/abs");

  EXPECT_EQ(m->paths().at("memory"), path("memory/abs/" + kId));
  EXPECT_EQ(m->paths().at("cpuset"), path("cpuset/abs/" + kId));
  m->create(Resources{});
  EXPECT_TRUE(is_dir(path("memory/abs/" + kId)));
  EXPECT_FALSE(is_dir(path("memory/process_api/abc/abs")));

  EXPECT_TRUE(m->destroy().empty());

  for (const auto& d : {"memory/abs", "cpu/abs", "cpuacct/abs", "cpuset/abs"})
    EXPECT_FALSE(is_dir(path(d))) << d;
}

TEST_F(V1ManagerTest, DestroyKeepsAnExplicitParentItDidNotCreate) {
  add_hybrid_layout();
  make_cgroup_dirs(path("cpu"), "/abs");
  auto m = manager("/abs");
  m->create(Resources{});

  EXPECT_TRUE(m->destroy().empty());

  EXPECT_TRUE(is_dir(path("cpu/abs")));
  EXPECT_TRUE(fs_->exists(path("cpu/abs/cpu.shares")));
  EXPECT_FALSE(is_dir(path("cpu/abs/" + kId)));
  EXPECT_FALSE(is_dir(path("memory/abs")));  // made by this run in the other hierarchies
}

TEST_F(V1ManagerTest, DestroyReportsADirectoryItCannotRemoveAndRemovesTheRest) {
  add_hybrid_layout();
  auto m = manager();
  m->create(Resources{});
  // A child the container made that cannot go (a plain directory holding a symlink to one:
  // the fake's rmdir then says ENOTEMPTY), so neither can the container's directory.
  ASSERT_TRUE(fs_->make_dir(cpu_dir() + "/stray"));
  ASSERT_EQ(::symlink("/", (cpu_dir() + "/stray/link").c_str()), 0);

  auto problems = m->destroy();

  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find(cpu_dir()), std::string::npos) << problems[0];
  EXPECT_FALSE(is_dir(memory_dir()));
  EXPECT_FALSE(is_dir(cpuset_dir()));
  EXPECT_TRUE(is_dir(cpu_dir()));  // it could not go
}

// ---- validate ----

TEST_F(V1ManagerTest, ValidateFailsWhenALimitNeedsAnAbsentHierarchy) {
  add_v1("cpu,cpuacct");
  add_v1("memory");  // no cpuset mount
  Manager m(*fs_, host(), kId, "");
  Resources r;
  r.cpuset_cpus = "0";

  try {
    m.validate(r);
    FAIL() << "no exception";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'cpuset'"), std::string::npos) << what;
    EXPECT_NE(what.find("-cpuset"), std::string::npos) << what;
  }
}

TEST_F(V1ManagerTest, ValidateFailsForAMemoryLimitWithoutAMemoryHierarchy) {
  add_v1("cpu,cpuacct");
  Manager m(*fs_, host(), kId, "");
  Resources r;
  r.memory = 1 << 20;
  EXPECT_THROW(m.validate(r), Error);
}

TEST_F(V1ManagerTest, ValidatePassesWhenOnlyAnUnneededHierarchyIsAbsent) {
  add_v1("cpu,cpuacct");
  add_v1("memory");  // no cpuset mount, and no -cpuset asked for
  Manager m(*fs_, host(), kId, "");
  Resources r = limits();
  r.cpuset_cpus.reset();
  EXPECT_NO_THROW(m.validate(r));
}

TEST_F(V1ManagerTest, ValidateFailsWhenNothingWouldBeJoined) {
  add_v1("name=systemd", "/", "systemd");
  Manager m(*fs_, host(), kId, "");
  EXPECT_THROW(m.validate(Resources{}), Error);
}

// ---- dry run ----

TEST_F(V1ManagerTest, DryRunCreatesNothingButSucceeds) {
  add_hybrid_layout();
  const auto before = test::snapshot_tree(root_);
  const test::FakeCgroupFs dry(root_, /*dry_run=*/true);
  Resources r = limits();
  r.cpuset_cpus = "1";
  TraceCapture capture;

  auto m = manager("", r, true, kId, &dry);
  EXPECT_NO_THROW(m->create(r));
  EXPECT_NO_THROW(m->set(r));
  EXPECT_EQ(m->kill_all(), 0);
  auto problems = m->destroy();

  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(test::snapshot_tree(root_), before);
  const auto lines = capture.lines();
  EXPECT_GE(index_of(lines, "+ mkdir " + cpu_dir()), 0);
  EXPECT_GE(index_of(lines, "+ echo 1 > " + cpuset_dir() + "/cpuset.cpus"), 0);
  EXPECT_GE(index_of(lines, "+ echo 104857600 > " + memory_dir() + "/memory.limit_in_bytes"), 0);
  EXPECT_GE(index_of(lines, "+ echo 104857600 > " + memory_dir() + "/memory.memsw.limit_in_bytes"),
            0);
  EXPECT_GE(index_of(lines, "+ rmdir " + cpu_dir()), 0);
  EXPECT_EQ(index_of(lines, "+ mkdir " + path("cpu/mydocker")), -1);  // no parent of its own
}

// ---- stats, oom report, available CPUs ----

TEST_F(V1ManagerTest, StatsAndOomReportReadTheContainersFiles) {
  add_hybrid_layout();
  auto m = manager();
  m->create(Resources{});
  put_file(memory_dir() + "/memory.limit_in_bytes", "104857600\n");
  put_file(memory_dir() + "/memory.max_usage_in_bytes", "104857600\n");
  put_file(memory_dir() + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  put_file(cpu_dir() + "/cpu.stat", "nr_periods 4\nnr_throttled 3\nthrottled_time 2\n");
  put_file(cpuacct_dir() + "/cpuacct.usage", "1000\n");

  Stats stats = m->stats();
  auto oom = m->oom_report();

  ASSERT_TRUE(stats.memory.has_value());
  EXPECT_EQ(stats.memory->limit, 104857600);
  EXPECT_EQ(stats.memory->oom_kills, 1u);
  ASSERT_TRUE(stats.cpu.has_value());
  EXPECT_EQ(stats.cpu->usage_ns, 1000u);
  EXPECT_EQ(stats.cpu->nr_throttled, 3u);
  ASSERT_TRUE(oom.has_value());
  EXPECT_EQ(oom->oom_kills, 1u);
  EXPECT_EQ(oom->limit, 104857600);
  EXPECT_EQ(oom->peak, 104857600u);
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V1ManagerTest, AHostWithoutAMemoryHierarchyIsRefused) {
  add_v1("cpu,cpuacct");
  Manager m(*fs_, host(), kId, "");
  EXPECT_THROW(m.validate(Resources{}), Error);
  EXPECT_EQ(m.oom_report(), std::nullopt);
}

TEST_F(V1ManagerTest, AvailableCpusAndNodesComeFromTheCpusetHierarchy) {
  add_hybrid_layout();
  auto m = manager();
  HostLimits before = m->available();  // before create: the root's
  EXPECT_EQ(before.cpus, (CpuSet{0, 1, 2, 3}));
  EXPECT_EQ(before.mems, (CpuSet{0}));
  m->create(Resources{});
  EXPECT_EQ(m->available().cpus, (CpuSet{0, 1, 2, 3}));
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V1ManagerTest, AvailableCpusFollowTheParentsEffectiveCpus) {
  add_hybrid_layout();
  make_cgroup_dirs(path("cpuset"), "/limited");
  put_file(path("cpuset/limited/cpuset.effective_cpus"), "1,3\n");
  auto m = manager("/limited");
  EXPECT_EQ(m->available().cpus, (CpuSet{1, 3}));
}

// ---- kill guard ----

TEST_F(V1ManagerTest, KillAllWithEmptyCgroupsKillsNothing) {
  add_hybrid_layout();
  auto m = manager();
  m->create(Resources{});
  EXPECT_EQ(m->kill_all(), 0);
  EXPECT_TRUE(m->destroy().empty());
}

class KillCgroupProcsTest : public test::FakeCgroupTest {
 protected:
  void SetUp() override {
    FakeCgroupTest::SetUp();
    fs_->add_root("memory");
  }
};

TEST_F(KillCgroupProcsTest, RefusesADirectoryNotNamedAfterTheId) {
  const std::string dir = path("memory/" + kOtherId);
  ASSERT_TRUE(fs_->make_dir(dir));
  try {
    (void)kill_cgroup_procs(*fs_, dir, kId);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("refusing"), std::string::npos) << e.what();
  }
}

TEST_F(KillCgroupProcsTest, RefusesTheHierarchyRootAndEmptyPaths) {
  EXPECT_THROW((void)kill_cgroup_procs(*fs_, path("memory"), kId), Error);
  EXPECT_THROW((void)kill_cgroup_procs(*fs_, "", kId), Error);
  EXPECT_THROW((void)kill_cgroup_procs(*fs_, kId, kId), Error);        // no directory part
  EXPECT_THROW((void)kill_cgroup_procs(*fs_, "/" + kId, kId), Error);  // the root itself
  EXPECT_THROW((void)kill_cgroup_procs(*fs_, path("memory/" + kId + "/"), kId), Error);
}

// OCI containers name their cgroup's leaf themselves (cgroupsPath): any name is accepted as
// long as it is one component, the last of the directory.
TEST_F(KillCgroupProcsTest, RefusesALeafThatIsEmptyOrNotOneComponent) {
  for (const std::string& id :
       {std::string(""), std::string("."), std::string(".."), std::string("a/b")}) {
    const std::string dir = path("memory/" + (id.empty() ? std::string("x") : id));
    try {
      (void)kill_cgroup_procs(*fs_, dir, id);
      ADD_FAILURE() << "accepted id '" << id << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("refusing"), std::string::npos) << e.what();
    }
  }
}

TEST_F(KillCgroupProcsTest, AcceptsAnOciLeafName) {
  const std::string dir = path("memory/default/my-ctr.1");
  ASSERT_TRUE(fs_->make_dir(path("memory/default")));
  ASSERT_TRUE(fs_->make_dir(dir));
  EXPECT_EQ(kill_cgroup_procs(*fs_, dir, "my-ctr.1"), 0);
}

TEST_F(KillCgroupProcsTest, AcceptsTheDefaultNameAndNoOtherContainers) {
  const std::string dir = path("memory/mydocker-" + kId);
  ASSERT_TRUE(fs_->make_dir(dir));
  EXPECT_EQ(kill_cgroup_procs(*fs_, dir, kId), 0);
  EXPECT_THROW(kill_cgroup_procs(*fs_, dir, kOtherId), Error);
  EXPECT_THROW(kill_cgroup_procs(*fs_, path("memory"), kId), Error);
}

TEST_F(KillCgroupProcsTest, EmptyCgroupKillsNothing) {
  const std::string dir = path("memory/" + kId);
  ASSERT_TRUE(fs_->make_dir(dir));
  EXPECT_EQ(kill_cgroup_procs(*fs_, dir, kId), 0);
}

TEST_F(KillCgroupProcsTest, MissingCgroupKillsNothing) {
  EXPECT_EQ(kill_cgroup_procs(*fs_, path("memory/" + kId), kId), 0);
}

TEST_F(KillCgroupProcsTest, KillsTheListedProcessesAndSkipsJunk) {
  // The only pid ever written is a child this test forked.
  const std::string dir = path("memory/" + kId);
  ASSERT_TRUE(fs_->make_dir(dir));
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (;;) ::pause();
  }
  put_file(dir + "/cgroup.procs", "junk\n\n" + std::to_string(child) + "\n");

  int killed = kill_cgroup_procs(*fs_, dir, kId);
  if (killed != 1) ::kill(child, SIGKILL);  // never leave the child behind

  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(killed, 1);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

}  // namespace
}  // namespace mydocker::v1

// ---- an existing container's cgroups, re-opened from its record ----

namespace mydocker::v1 {
namespace {

TEST_F(V1ManagerTest, ReopenedFromItsRecordTheManagerActsOnTheSameDirectories) {
  add_hybrid_layout();
  auto made = manager("", limits());
  made->create(limits());
  made->set(limits());
  const CgroupRecord record = made->record();
  EXPECT_EQ(record.driver_name(), "v1");
  EXPECT_EQ(record.dirs, all_dirs());

  auto again = open_cgroup_manager(*fs_, record, kId);

  EXPECT_EQ(again->paths(), made->paths());
  EXPECT_EQ(again->record(), record);
  Resources more;
  more.memory = 209715200;
  again->update(more);
  EXPECT_EQ(value_of(memory_dir() + "/memory.limit_in_bytes"), "209715200");
  EXPECT_EQ(again->join().self_files.front(), memory_dir() + "/tasks");
  EXPECT_TRUE(again->join().clone_into.empty());
  EXPECT_EQ(again->available().cpus, (CpuSet{0, 1, 2, 3}));
  put_file(memory_dir() + "/cgroup.procs", "");
  EXPECT_TRUE(again->pids().empty());
  // destroy: the directories; the caller's own cgroups stay.
  EXPECT_TRUE(again->destroy().empty());
  for (const auto& d : all_dirs()) EXPECT_FALSE(is_dir(d)) << d;
  for (const auto& d : own_dirs()) EXPECT_TRUE(is_dir(d)) << d;
}

TEST_F(V1ManagerTest, AContainerOfTheOldLayoutIsRemovedWithTheParentItRecorded) {
  // Started by an older mydocker: <own>/mydocker/<id>, the parent listed in its record.
  add_v1("cpu");
  add_v1("memory");
  make_cgroup_dirs(path("cpu"), "/mydocker/" + kId);
  make_cgroup_dirs(path("memory"), "/mydocker/" + kId);
  CgroupRecord old;
  old.driver = CgroupMode::kV1;
  old.paths = {{"cpu", path("cpu/mydocker/" + kId)}, {"memory", path("memory/mydocker/" + kId)}};
  old.dirs = {path("memory/mydocker/" + kId), path("cpu/mydocker/" + kId)};
  old.parents = {path("memory/mydocker"), path("cpu/mydocker")};
  auto again = open_cgroup_manager(*fs_, old, kId);
  EXPECT_EQ(again->kill_all(), 0);  // its leaf is the bare id: still a container's own
  EXPECT_TRUE(again->destroy().empty());
  for (const auto& d : {"cpu/mydocker", "memory/mydocker"}) EXPECT_FALSE(is_dir(path(d))) << d;
}

TEST_F(V1ManagerTest, UpdateOfAControllerTheContainerDidNotJoinIsAnError) {
  add_hybrid_layout();
  auto made = manager("", Resources{});
  made->create(Resources{});
  CgroupRecord memory_only = made->record();  // a record of an older run that joined less
  memory_only.paths = {{"memory", memory_dir()}};
  auto again = open_cgroup_manager(*fs_, memory_only, kId);
  Resources cpu;
  cpu.cpu_shares = 100;
  EXPECT_THROW(again->update(cpu), Error);
  EXPECT_THROW(again->freeze(true), Error);  // no freezer joined
  EXPECT_TRUE(made->destroy().empty());
}

// ---- update: all or nothing ----

// A kernel without blkio weight (blk-mq without BFQ): `update -m 120m --cpu-shares 900
// --blkio-weight 300` is refused before anything is written. It wrote memory and cpu first.
TEST_F(V1ManagerTest, AnUpdateACheckRefusesWritesNothing) {
  add_hybrid_layout();
  add_v1("blkio");  // the fake's blkio cgroups have no weight file
  auto made = manager("", limits());
  made->create(limits());
  made->set(limits());
  Resources more;
  more.memory = 120 * 1024 * 1024;
  more.cpu_shares = 900;
  more.blkio_weight = 300;
  const auto before = test::snapshot_tree(root_);

  EXPECT_THROW(made->update(more), Error);

  EXPECT_EQ(test::snapshot_tree(root_), before);
  EXPECT_TRUE(made->destroy().empty());
}

// What only the kernel can refuse, after other files were written (here pids.max, which the
// test makes unwritable; on the kernel a cpuset a child cgroup still uses, a limit below usage):
// those files get back what they held.
TEST_F(V1ManagerTest, AnUpdateTheKernelRefusesHalfWayTakesBackWhatItWrote) {
  add_hybrid_layout();
  add_v1("pids");
  auto made = manager("", limits());
  made->create(limits());
  made->set(limits());
  const std::string pids_max = path("pids/mydocker-" + kId + "/pids.max");
  ASSERT_EQ(::unlink(pids_max.c_str()), 0);
  ASSERT_EQ(::mkdir(pids_max.c_str(), 0755), 0);  // EISDIR for the write
  Resources more;
  more.memory = 120 * 1024 * 1024;
  more.memory_swap = 200 * 1024 * 1024;
  more.cpu_shares = 900;
  more.pids_limit = 10;
  const auto before = test::snapshot_tree(root_);
  TraceCapture trace;

  // The kernel's refusal names the flag behind the file first (cgroup::naming_flags).
  try {
    made->update(more);
    ADD_FAILURE() << "the update went through";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--pids-limit: the kernel refused the value \"10\"", 0),
              0u)
        << e.what();
  }

  EXPECT_EQ(test::snapshot_tree(root_), before);
  const auto lines = trace.lines();
  EXPECT_NE(index_of(lines, "+ echo 900 > " + cpu_dir() + "/cpu.shares"), -1) << "written";
  EXPECT_GT(index_of(lines, "+ echo 512 > " + cpu_dir() + "/cpu.shares"),
            index_of(lines, "+ echo 900 > " + cpu_dir() + "/cpu.shares"))
      << "then taken back";
  ASSERT_EQ(::rmdir(pids_max.c_str()), 0);
  EXPECT_TRUE(made->destroy().empty());
}

// ---- a paused container's end ----

// A child of this test stands for a paused container's process (the only pid ever written);
// the freezer says FROZEN, as the kernel does for a paused container.
class FrozenContainerTest : public V1ManagerTest {
 protected:
  void SetUp() override {
    V1ManagerTest::SetUp();
    add_hybrid_layout();
    add_v1("freezer");
    m_ = manager();
    m_->create(Resources{});
    child_ = ::fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      for (;;) ::pause();
    }
    put_file(memory_dir() + "/cgroup.procs", std::to_string(child_) + "\n");
    put_file(freezer_state(), "FROZEN\n");
  }
  void TearDown() override {
    if (child_ > 0) {  // never left behind, whatever the test saw
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    V1ManagerTest::TearDown();
  }
  std::string freezer_state() const { return path("freezer/mydocker-" + kId + "/freezer.state"); }
  // Whether the child died of SIGKILL (reaped here).
  bool child_killed() {
    int status = 0;
    if (::waitpid(child_, &status, 0) != child_) return false;
    child_ = -1;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }

  std::unique_ptr<Manager> m_;
  pid_t child_ = -1;
};

// v1's freezer keeps a SIGKILL pending until the cgroup is thawed: without the thaw a paused
// container (stop's timeout, rm -f, its supervisor killed) never died. The kill comes first.
TEST_F(FrozenContainerTest, KillAllKillsThenThaws) {
  const std::string killing = "+ kill -9 " + std::to_string(child_);
  TraceCapture capture;

  const int killed = m_->kill_all();

  EXPECT_GE(killed, 1);
  EXPECT_TRUE(child_killed());
  EXPECT_EQ(get_file(freezer_state()), "THAWED");
  const auto lines = capture.lines();
  const auto kill = index_of(lines, killing);
  const auto thaw = index_of(lines, "+ echo THAWED > " + freezer_state());
  EXPECT_GE(kill, 0) << capture.text();
  EXPECT_GT(thaw, kill) << capture.text();
}

// What rm, prune and start do with the cgroups a killed supervisor left: a frozen one goes too.
TEST_F(FrozenContainerTest, DestroyOfAFrozenContainerKillsThawsAndRemoves) {
  auto again = open_cgroup_manager(*fs_, m_->record(), kId);  // as rm opens it, from its record

  const auto problems = again->destroy();

  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_TRUE(child_killed());
  EXPECT_FALSE(is_dir(path("freezer/mydocker-" + kId)));
  for (const auto& d : all_dirs()) EXPECT_FALSE(is_dir(d)) << d;
}

TEST_F(FrozenContainerTest, AThawedContainerIsNotWrittenTo) {
  put_file(freezer_state(), "THAWED\n");
  put_file(memory_dir() + "/cgroup.procs", "");
  TraceCapture capture;

  EXPECT_EQ(m_->kill_all(), 0);
  EXPECT_TRUE(m_->destroy().empty());

  EXPECT_EQ(capture.text().find("THAWED"), std::string::npos) << capture.text();
}

}  // namespace
}  // namespace mydocker::v1

// ---- a record saved before create(): its directories planned, not claimed ----

namespace mydocker::v1 {
namespace {

TEST_F(V1ManagerTest, ARecordSavedBeforeCreateClaimsOnlyWhatWasMade) {
  add_hybrid_layout();
  auto m = manager("", limits());
  EXPECT_EQ(m->record().unmade, all_dirs()) << "nothing made yet";
  EXPECT_TRUE(m->record().empty());
  EXPECT_FALSE(m->record().once_made().empty());  // mydocker run's record, written in advance
  m->create(limits());
  EXPECT_TRUE(m->record().unmade.empty());
  EXPECT_FALSE(m->record().empty());
  EXPECT_TRUE(m->destroy().empty());
}

// A create killed before its mkdir (which another container's directory of the same name
// would refuse) leaves a record planning that directory: re-opened from it, the manager kills,
// freezes, joins and removes nothing of it. The only pid written is a child this test forked.
TEST_F(V1ManagerTest, AManagerFromAKilledCreatesRecordLeavesAnotherContainersCgroupAlone) {
  add_hybrid_layout();
  auto other = manager("", limits());  // the other container: the same directories
  other->create(limits());
  const CgroupRecord planned = manager("", limits())->record();  // ours, saved before create()
  ASSERT_EQ(planned.unmade, all_dirs());
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (;;) ::pause();
  }
  put_file(memory_dir() + "/cgroup.procs", std::to_string(child) + "\n");

  auto reopened = open_cgroup_manager(*fs_, planned, kId);
  const int killed = reopened->kill_all();
  const auto pids = reopened->pids();
  EXPECT_NO_THROW(reopened->freeze(false));  // nothing of its own to thaw
  const auto problems = reopened->destroy();

  const bool alive = ::kill(child, 0) == 0;
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(killed, 0);
  EXPECT_TRUE(alive) << "the other container's process was killed";
  EXPECT_TRUE(pids.empty());
  EXPECT_TRUE(reopened->join().self_files.empty());
  EXPECT_TRUE(reopened->paths().empty());
  EXPECT_TRUE(problems.empty());
  for (const auto& d : all_dirs()) EXPECT_TRUE(is_dir(d)) << d << " was removed";
  put_file(memory_dir() + "/cgroup.procs", "");
  EXPECT_TRUE(other->destroy().empty());
}

TEST(CgroupRecordJson, UnmadeDirectoriesRoundTripAndOlderRecordsClaimAll) {
  CgroupRecord r;
  r.driver = CgroupMode::kV1;
  r.paths = {{"memory", "/m/x/a"}, {"cpu", "/c/x/a"}};
  r.dirs = {"/m/x/a", "/c/x/a"};
  r.unmade = {"/c/x/a"};
  nlohmann::json j;
  put_cgroup_record(j, r);
  EXPECT_EQ(get_cgroup_record(j), r);
  EXPECT_EQ(r.claimed().dirs, (Strings{"/m/x/a"}));
  EXPECT_EQ(r.claimed().paths, (std::map<std::string, std::string>{{"memory", "/m/x/a"}}));
  r.unmade.clear();
  nlohmann::json all_made;
  put_cgroup_record(all_made, r);
  EXPECT_FALSE(all_made.contains("cgroup_unmade")) << "earlier versions' records have no such key";
  EXPECT_EQ(get_cgroup_record(all_made).claimed(), r);
}

}  // namespace
}  // namespace mydocker::v1
