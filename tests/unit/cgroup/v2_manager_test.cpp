// The cgroup v2 manager on a fake cgroup2 mount: placement (and the "no internal processes"
// rule), validation, top-down controller enabling, create/set/destroy, dry-run, available CPUs.
//
// The caller sits in /payload.slice/session.scope, as under systemd. The only pid ever put in a
// fake cgroup.procs here is 4194304, above the kernel's PID_MAX_LIMIT (so no process can have
// it), and only in the caller's cgroup, which no code path under test signals or removes.

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cgroup/resources.hpp"
#include "mydocker/cgroup/v2/manager.hpp"
#include "mydocker/spec/options.hpp"
#include "mydocker/util/error.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker::v2 {
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

constexpr int64_t kMiB = 1024 * 1024;
const std::string kOwn = "/payload.slice/session.scope";
// Above PID_MAX_LIMIT (4194304 = 2^22 is the largest pid_max, pids are below it).
const std::string kImpossiblePid = "4194304";

class V2ManagerTest : public test::FakeCgroupTest {
 protected:
  // A pure v2 host: cgroup2 at <tmp>/cg2 offering `controllers`, the caller in kOwn.
  // `delegated`: enabled down to kOwn (as systemd does), so kOwn has those controllers' files.
  void v2_host(const std::string& controllers = test::FakeCgroupFs::kAllV2Controllers,
               const std::string& delegated = "") {
    add_cgroup2(kOwn, controllers, delegated);
  }

  // A validated manager: a container joins every hierarchy (controller) the host has. The
  // third argument is gone from the manager (it used to pick fewer); kept here for the calls.
  std::unique_ptr<Manager> manager(const std::string& parent = "", const Resources& r = {},
                                   bool /*all*/ = true, const std::string& id = kId,
                                   const Fs* fs = nullptr) {
    auto m = std::make_unique<Manager>(fs ? *fs : *fs_, host(), id, parent);
    m->validate(r);
    return m;
  }

  std::string mount() const { return path("cg2"); }
  std::string at(const std::string& rel) const { return mount() + "/" + rel; }
  std::string leaf(const std::string& id = kId) const { return at("mydocker/" + id); }
  std::string own_dir() const { return mount() + kOwn; }
  // The trace line of a write of `value` into `file`.
  static std::string echo(const std::string& value, const std::string& file) {
    return "+ echo " + trace::quote(value) + " > " + file;
  }
  // The paths() of a manager whose controllers are `names`.
  std::map<std::string, std::string> paths_of(const Strings& names, const std::string& dir) const {
    std::map<std::string, std::string> out;
    for (const auto& n : names) out[n] = dir;
    return out;
  }

  static Resources limits() {
    Resources r;
    r.memory = 100 * kMiB;
    r.cpu_quota = 20000;
    r.cpu_period = 100000;
    r.cpu_shares = 512;
    r.cpuset_cpus = "1-2";
    r.pids_limit = 64;
    return r;
  }
};

// ---- construction and placement ----

TEST_F(V2ManagerTest, TheFakeHostIsPureV2WithTheCallerInASessionScope) {
  v2_host();

  const HostCgroups h = host_cgroups_from(mountinfo_, "0::/payload.slice/session.scope\n");

  EXPECT_EQ(h.mode, CgroupMode::kV2);
  ASSERT_TRUE(h.unified.has_value());
  EXPECT_EQ(h.unified->mount_point, mount());
  EXPECT_EQ(h.unified->own_path, kOwn);
  EXPECT_TRUE(is_dir(own_dir()));
}

TEST_F(V2ManagerTest, MakeCgroupManagerPicksV2OnAPureV2Host) {
  v2_host();

  auto m = make_cgroup_manager(*fs_, host(), kId, "");

  ASSERT_NE(m, nullptr);
  m->validate(Resources{});
  EXPECT_EQ(m->record().dirs, (Strings{leaf()}));
  EXPECT_EQ(m->join().clone_into, leaf());  // born in its cgroup: clone3(CLONE_INTO_CGROUP)
  // exec'd processes (and old kernels) join by writing to cgroup.procs
  EXPECT_EQ(m->join().self_files, (Strings{leaf() + "/cgroup.procs"}));
}

TEST_F(V2ManagerTest, DefaultPlacementIsMydockerAtTheRootOfTheMount) {
  v2_host();

  auto m = manager();

  EXPECT_EQ(m->record().dirs, (Strings{leaf()}));
  EXPECT_EQ(m->join().clone_into, leaf());
  EXPECT_EQ(m->record().parents, (Strings{at("mydocker")}));
  EXPECT_EQ(m->paths(), paths_of({"cpu", "cpuset", "io", "memory", "pids"}, leaf()));
}

TEST_F(V2ManagerTest, DefaultPlacementExplainsTheNoInternalProcessesRule) {
  v2_host();

  const Placement p = default_placement(*host().unified);

  EXPECT_EQ(p.parent, "/mydocker");
  EXPECT_NE(p.why.find("no internal processes"), std::string::npos) << p.why;
  EXPECT_NE(p.why.find(kOwn), std::string::npos) << p.why;
}

TEST_F(V2ManagerTest, DefaultPlacementForACallerInTheRootCgroup) {
  Hierarchy unified;
  unified.mount_point = "/sys/fs/cgroup";
  unified.own_path = "/";

  const Placement p = default_placement(unified);

  EXPECT_EQ(p.parent, "/mydocker");
  EXPECT_NE(p.why.find("root"), std::string::npos) << p.why;
  EXPECT_EQ(p.why.find("no internal processes"), std::string::npos) << p.why;
}

TEST_F(V2ManagerTest, JoinIsBornInTheLeafOrWritesItsCgroupProcs) {
  v2_host();
  auto m = manager();
  m->create(Resources{});

  EXPECT_EQ(m->join().self_files, (Strings{leaf() + "/cgroup.procs"}));
  EXPECT_EQ(m->join().clone_into, leaf());
  EXPECT_TRUE(is_dir(m->join().clone_into));
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V2ManagerTest, RejectsABadCgroupParent) {
  v2_host();
  EXPECT_THROW(Manager(*fs_, host(), kId, "../escape"), Error);
}

// ---- validate ----

TEST_F(V2ManagerTest, ValidateRejectsFlagsCgroupV2HasNoFileFor) {
  v2_host();
  struct Case {
    const char* flag;
    void (*set)(Resources&);
  };
  const Case cases[] = {
      {"--memory-swappiness", [](Resources& r) { r.memory_swappiness = 0; }},
      {"--oom-kill-disable", [](Resources& r) { r.oom_kill_disable = true; }},
      {"--cpu-rt-runtime", [](Resources& r) { r.cpu_rt_runtime = 950000; }},
      {"--cpu-rt-period", [](Resources& r) { r.cpu_rt_period = 1000000; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.flag);
    Manager m(*fs_, host(), kId, "");
    Resources r;
    c.set(r);
    try {
      m.validate(r);
      ADD_FAILURE() << "no exception";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(c.flag), std::string::npos) << what;
      EXPECT_NE(what.find("cgroup v2"), std::string::npos) << what;
    }
  }
}

TEST_F(V2ManagerTest, ValidateFailsForANeededControllerTheRootDoesNotOffer) {
  v2_host("cpu io memory pids");  // no cpuset
  Manager m(*fs_, host(), kId, "");
  Resources r;
  r.cpuset_cpus = "0";

  try {
    m.validate(r);
    FAIL() << "no exception";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'cpuset'"), std::string::npos) << what;
    EXPECT_NE(what.find(mount() + "/cgroup.controllers"), std::string::npos) << what;
  }
}

TEST_F(V2ManagerTest, ValidateFailsForAMemoryLimitWithoutTheMemoryController) {
  v2_host("cpu pids");
  Manager m(*fs_, host(), kId, "");
  Resources r;
  r.memory = 100 * kMiB;

  EXPECT_THROW(m.validate(r), Error);
}

TEST_F(V2ManagerTest, ValidatePassesWhenOnlyAnUnneededControllerIsMissing) {
  v2_host("cpu io memory pids");
  Resources r = limits();
  r.cpuset_cpus.reset();

  auto m = manager("", r, /*all=*/true);

  EXPECT_EQ(m->paths(), paths_of({"cpu", "io", "memory", "pids"}, leaf()));
}

TEST_F(V2ManagerTest, ValidateEnablesEveryOfferedControllerWhateverTheLimits) {
  v2_host();
  const auto all = paths_of({"cpu", "cpuset", "io", "memory", "pids"}, leaf());
  EXPECT_EQ(manager("", Resources{})->paths(), all);
  EXPECT_EQ(manager("", limits())->paths(), all);
}

// ---- create ----

TEST_F(V2ManagerTest, CreateEnablesControllersTopDownThenMakesTheParentAndTheLeaf) {
  v2_host();
  auto m = manager("", Resources{}, /*all=*/true);
  TraceCapture capture;

  m->create(Resources{});

  const std::string all = "+memory +cpu +cpuset +pids +io";
  EXPECT_EQ(capture.lines(), (Strings{
                                 echo(all, mount() + "/cgroup.subtree_control"),
                                 "+ mkdir " + at("mydocker"),
                                 echo(all, at("mydocker/cgroup.subtree_control")),
                                 "+ mkdir " + leaf(),
                             }));
  EXPECT_TRUE(is_dir(at("mydocker")));
  EXPECT_TRUE(is_dir(leaf()));
  EXPECT_EQ(value_of(leaf() + "/cgroup.controllers"), "memory cpu cpuset pids io");
  EXPECT_TRUE(fs_->exists(leaf() + "/memory.max"));
  EXPECT_TRUE(m->destroy().empty());
}

// The oom event's source: inotify on memory.events, counting "oom" from the watch on (other
// counters move too: they are no OOM).
TEST_F(V2ManagerTest, OomEventsCountMemoryEventsOomFromTheWatchOn) {
  v2_host();
  auto m = manager();
  m->create(Resources{});
  put_file(leaf() + "/memory.events", "low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n");
  const UniqueFd watch = m->oom_watch();
  ASSERT_TRUE(watch);
  pollfd p{watch.get(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0) << "quiet until the file changes";
  put_file(leaf() + "/memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n");
  EXPECT_EQ(::poll(&p, 1, 1000), 1);
  EXPECT_EQ(m->oom_events(watch.get()), 0u) << "max moved, not oom";
  EXPECT_EQ(::poll(&p, 1, 0), 0) << "drained";
  put_file(leaf() + "/memory.events", "low 0\nhigh 0\nmax 5\noom 3\noom_kill 2\n");
  EXPECT_EQ(::poll(&p, 1, 1000), 1);
  EXPECT_EQ(m->oom_events(watch.get()), 2u);
  EXPECT_EQ(m->oom_events(watch.get()), 0u);
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V2ManagerTest, CreateEnablesOnlyTheControllersTheHostOffers) {
  v2_host("memory pids");
  Resources r;
  r.pids_limit = 10;
  auto m = manager("", r);
  TraceCapture capture;

  m->create(r);

  const auto lines = capture.lines();
  EXPECT_GE(index_of(lines, echo("+memory +pids", mount() + "/cgroup.subtree_control")), 0);
  EXPECT_GE(index_of(lines, echo("+memory +pids", at("mydocker/cgroup.subtree_control"))), 0);
  EXPECT_TRUE(fs_->exists(leaf() + "/pids.max"));
  EXPECT_FALSE(fs_->exists(leaf() + "/cpu.max"));
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V2ManagerTest, CreateWritesOnlyControllersNotAlreadyEnabled) {
  v2_host();
  put_file(mount() + "/cgroup.subtree_control", "cpu memory\n");  // as the kernel shows it
  auto m = manager("", Resources{}, /*all=*/true);
  TraceCapture capture;

  m->create(Resources{});

  const auto lines = capture.lines();
  EXPECT_GE(index_of(lines, echo("+cpuset +pids +io", mount() + "/cgroup.subtree_control")), 0);
  EXPECT_GE(index_of(lines,
                     echo("+memory +cpu +cpuset +pids +io", at("mydocker/cgroup.subtree_control"))),
            0);
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V2ManagerTest, CreateWritesNoSubtreeControlWhereEverythingIsEnabled) {
  v2_host();
  put_file(mount() + "/cgroup.subtree_control", "cpuset cpu io memory pids\n");
  auto m = manager("", Resources{}, /*all=*/true);
  TraceCapture capture;

  m->create(Resources{});

  for (const auto& line : capture.lines())
    EXPECT_EQ(line.find(mount() + "/cgroup.subtree_control"), std::string::npos) << line;
  EXPECT_EQ(value_of(mount() + "/cgroup.subtree_control"), "cpuset cpu io memory pids");
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V2ManagerTest, CreateLeavesTheCallersCgroupAlone) {
  v2_host();
  const auto before = get_file(own_dir() + "/cgroup.subtree_control");
  auto m = manager();

  m->create(Resources{});

  EXPECT_EQ(get_file(own_dir() + "/cgroup.subtree_control"), before);
  EXPECT_FALSE(is_dir(own_dir() + "/mydocker"));
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V2ManagerTest, CreateReusesAnExistingDefaultParent) {
  v2_host();
  auto first = manager("", Resources{}, true, kId);
  first->create(Resources{});
  auto second = manager("", Resources{}, true, kOtherId);
  TraceCapture capture;

  second->create(Resources{});

  EXPECT_GE(index_of(capture.lines(), "+ mkdir " + at("mydocker")), 0);  // tried, existed
  EXPECT_TRUE(is_dir(leaf(kOtherId)));
  EXPECT_TRUE(second->destroy().empty());
  EXPECT_TRUE(is_dir(leaf(kId)));
  EXPECT_TRUE(first->destroy().empty());
}

TEST_F(V2ManagerTest, CreateFailsWhenTheContainersDirectoryExists) {
  v2_host();
  auto first = manager();
  first->create(Resources{});
  auto second = manager();

  EXPECT_THROW(second->create(Resources{}), Error);

  EXPECT_TRUE(second->destroy().empty());  // removes only what it made: not the leaf
  EXPECT_TRUE(is_dir(leaf()));
  EXPECT_TRUE(first->destroy().empty());
  EXPECT_FALSE(is_dir(at("mydocker")));
}

// ---- set ----

TEST_F(V2ManagerTest, SetWritesTheLimitsIntoTheLeaf) {
  v2_host();
  const Resources r = limits();
  auto m = manager("", r, /*all=*/false);
  m->create(r);

  EXPECT_NO_THROW(m->set(r));

  EXPECT_EQ(value_of(leaf() + "/memory.max"), "104857600");
  EXPECT_EQ(value_of(leaf() + "/memory.swap.max"), "0");
  EXPECT_EQ(value_of(leaf() + "/cpu.max"), "20000 100000");
  EXPECT_EQ(value_of(leaf() + "/cpu.weight"), std::to_string(cpu_shares_to_weight(512)));
  EXPECT_EQ(value_of(leaf() + "/cpuset.cpus"), "1-2");
  EXPECT_EQ(value_of(leaf() + "/pids.max"), "64");
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V2ManagerTest, SetWritesOnlyTheControllersValidateEnabled) {
  v2_host("memory");
  Resources memory_only;
  memory_only.memory = 100 * kMiB;
  auto m = manager("", memory_only);
  m->create(memory_only);
  Resources more = memory_only;
  more.cpu_shares = 512;
  more.pids_limit = 10;
  TraceCapture capture;

  EXPECT_NO_THROW(m->set(more));

  const auto lines = capture.lines();
  EXPECT_GE(index_of(lines, echo("104857600", leaf() + "/memory.max")), 0);
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("cpu.weight"), std::string::npos) << line;
    EXPECT_EQ(line.find("pids.max"), std::string::npos) << line;
  }
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V2ManagerTest, SetWithoutLimitsWritesNothing) {
  v2_host();
  auto m = manager();
  m->create(Resources{});
  TraceCapture capture;

  EXPECT_NO_THROW(m->set(Resources{}));

  EXPECT_EQ(capture.text(), "");
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V2ManagerTest, ApplyWritesThePidIntoTheLeafsCgroupProcs) {
  // Traced in dry-run only: a real pid must never land in a fake cgroup.procs.
  v2_host();
  const test::FakeCgroupFs dry(root_, /*dry_run=*/true);
  auto m = manager("", Resources{}, true, kId, &dry);
  TraceCapture capture;

  m->apply(0);

  EXPECT_EQ(capture.lines(), (Strings{"+ echo $PID > " + leaf() + "/cgroup.procs"}));
}

// ---- destroy ----

TEST_F(V2ManagerTest, DestroyRemovesTheLeafAndTheDefaultParentItCreated) {
  v2_host();
  auto m = manager();
  m->create(limits());
  m->set(limits());

  auto problems = m->destroy();

  EXPECT_EQ(problems, Strings{});
  EXPECT_FALSE(is_dir(leaf()));
  EXPECT_FALSE(is_dir(at("mydocker")));
  EXPECT_TRUE(is_dir(own_dir()));  // the caller's own cgroup stays
}

TEST_F(V2ManagerTest, DestroyLeavesTheDefaultParentWhileAnotherContainerIsInIt) {
  v2_host();
  auto a = manager("", Resources{}, true, kId);
  auto b = manager("", Resources{}, true, kOtherId);
  a->create(Resources{});
  b->create(Resources{});

  EXPECT_TRUE(a->destroy().empty());

  EXPECT_FALSE(is_dir(leaf(kId)));
  EXPECT_TRUE(is_dir(leaf(kOtherId)));
  EXPECT_TRUE(is_dir(at("mydocker")));

  EXPECT_TRUE(b->destroy().empty());  // b did not make the parent, yet removes it last

  EXPECT_FALSE(is_dir(at("mydocker")));
}

TEST_F(V2ManagerTest, DestroyIsIdempotent) {
  v2_host();
  auto m = manager();
  m->create(Resources{});
  EXPECT_TRUE(m->destroy().empty());
  TraceCapture capture;

  EXPECT_TRUE(m->destroy().empty());

  EXPECT_EQ(capture.text(), "");
}

TEST_F(V2ManagerTest, DestroyBeforeCreateDoesNothing) {
  v2_host();
  const auto before = test::snapshot_tree(root_);
  auto m = manager();

  EXPECT_TRUE(m->destroy().empty());

  EXPECT_EQ(test::snapshot_tree(root_), before);
}

TEST_F(V2ManagerTest, DestroyReportsALeafItCannotRemove) {
  v2_host();
  auto m = manager();
  m->create(Resources{});
  // A child that cannot go (see the v1 test), so neither can the leaf.
  ASSERT_TRUE(fs_->make_dir(leaf() + "/stray"));
  ASSERT_EQ(::symlink("/", (leaf() + "/stray/link").c_str()), 0);

  auto problems = m->destroy();

  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find(leaf()), std::string::npos) << problems[0];
  EXPECT_TRUE(is_dir(at("mydocker")));  // still holds the leaf
}

TEST_F(V2ManagerTest, KillAllOfAnEmptyLeafKillsNothing) {
  v2_host();
  auto m = manager();
  m->create(Resources{});

  EXPECT_EQ(m->kill_all(), 0);

  EXPECT_EQ(get_file(leaf() + "/cgroup.kill"), "");  // not written: nothing to kill
  EXPECT_TRUE(m->destroy().empty());
}

// ---- --cgroup-parent ----

TEST_F(V2ManagerTest, AbsoluteCgroupParentIsCreatedFromTheRootAndRemovedAfterwards) {
  v2_host();
  auto m = manager("/ci/job", Resources{});
  EXPECT_EQ(m->record().dirs, (Strings{at("ci/job/" + kId)}));
  // Missing, so this run makes them: recorded, deepest first, for prune after a kill -9.
  EXPECT_EQ(m->record().parents, (Strings{at("ci/job"), at("ci")}));
  TraceCapture capture;

  m->create(Resources{});

  const std::string all = "+memory +cpu +cpuset +pids +io";
  EXPECT_EQ(capture.lines(), (Strings{
                                 echo(all, mount() + "/cgroup.subtree_control"),
                                 "+ mkdir " + at("ci"),
                                 echo(all, at("ci/cgroup.subtree_control")),
                                 "+ mkdir " + at("ci/job"),
                                 echo(all, at("ci/job/cgroup.subtree_control")),
                                 "+ mkdir " + at("ci/job/" + kId),
                             }));
  EXPECT_TRUE(is_dir(at("ci/job/" + kId)));
  EXPECT_FALSE(is_dir(own_dir() + "/ci"));

  EXPECT_TRUE(m->destroy().empty());

  EXPECT_FALSE(is_dir(at("ci")));
  EXPECT_TRUE(is_dir(own_dir()));
}

TEST_F(V2ManagerTest, ALongAbsoluteCgroupParentIsCreatedComponentByComponent) {
  // Longer than std::string's small-buffer (15 chars): its path must outlive create()'s split.
  v2_host("memory");
  const std::string parent = "/ci/pipeline-12345/job-67890";
  auto m = manager(parent, Resources{});
  TraceCapture capture;

  m->create(Resources{});

  EXPECT_EQ(capture.lines(),
            (Strings{
                echo("+memory", mount() + "/cgroup.subtree_control"),
                "+ mkdir " + at("ci"),
                echo("+memory", at("ci/cgroup.subtree_control")),
                "+ mkdir " + at("ci/pipeline-12345"),
                echo("+memory", at("ci/pipeline-12345/cgroup.subtree_control")),
                "+ mkdir " + at("ci/pipeline-12345/job-67890"),
                echo("+memory", at("ci/pipeline-12345/job-67890/cgroup.subtree_control")),
                "+ mkdir " + at("ci/pipeline-12345/job-67890/" + kId),
            }));
  EXPECT_TRUE(is_dir(at("ci/pipeline-12345/job-67890/" + kId)));
  EXPECT_TRUE(m->destroy().empty());
  EXPECT_FALSE(is_dir(at("ci")));
}

TEST_F(V2ManagerTest, DestroyKeepsAnAbsoluteParentItDidNotCreate) {
  v2_host();
  make_cgroup_dirs(mount(), "/ci", "memory");
  auto m = manager("/ci/job");
  m->create(Resources{});

  EXPECT_TRUE(m->destroy().empty());

  EXPECT_TRUE(is_dir(at("ci")));
  EXPECT_FALSE(is_dir(at("ci/job")));
}

TEST_F(V2ManagerTest, RelativeCgroupParentWhileTheCallersCgroupHasProcessesFails) {
  v2_host();
  put_file(own_dir() + "/cgroup.procs", kImpossiblePid + "\n");

  try {
    Manager m(*fs_, host(), kId, "ci");
    FAIL() << "no exception";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--cgroup-parent"), std::string::npos) << what;
    EXPECT_NE(what.find(kOwn), std::string::npos) << what;
    EXPECT_NE(what.find("/ci"), std::string::npos) << what;  // the absolute path suggested
  }
  EXPECT_FALSE(is_dir(own_dir() + "/ci"));
}

TEST_F(V2ManagerTest, RelativeCgroupParentBelowAnEmptyCallersCgroupIsAllowed) {
  v2_host();
  auto m = manager("ci", Resources{}, /*all=*/false);

  EXPECT_EQ(m->record().dirs, (Strings{own_dir() + "/ci/" + kId}));
  m->create(Resources{});
  EXPECT_TRUE(is_dir(own_dir() + "/ci/" + kId));

  EXPECT_TRUE(m->destroy().empty());

  EXPECT_FALSE(is_dir(own_dir() + "/ci"));
  EXPECT_TRUE(is_dir(own_dir()));
}

TEST_F(V2ManagerTest, AbsoluteCgroupParentIsAllowedWhileTheCallersCgroupHasProcesses) {
  v2_host();
  put_file(own_dir() + "/cgroup.procs", kImpossiblePid + "\n");

  auto m = manager("/ci");

  EXPECT_EQ(m->record().dirs, (Strings{at("ci/" + kId)}));
}

// ---- available CPUs and memory nodes ----

TEST_F(V2ManagerTest, AvailableReadsTheRootsEffectiveSetsBeforeTheParentExists) {
  v2_host();
  auto m = manager();

  const HostLimits limits = m->available();

  EXPECT_EQ(limits.cpus, (CpuSet{0, 1, 2, 3}));
  EXPECT_EQ(limits.mems, (CpuSet{0}));
}

TEST_F(V2ManagerTest, AvailableReadsTheParentsEffectiveCpus) {
  v2_host();
  make_cgroup_dirs(mount(), "/limited", "cpuset");
  put_file(at("limited/cpuset.cpus.effective"), "1,3\n");
  auto m = manager("/limited");

  EXPECT_EQ(m->available().cpus, (CpuSet{1, 3}));
}

TEST_F(V2ManagerTest, AvailableReadsTheNearestExistingAncestorOfAMissingParent) {
  v2_host();
  make_cgroup_dirs(mount(), "/limited", "cpuset");
  put_file(at("limited/cpuset.cpus.effective"), "2\n");
  put_file(at("limited/cpuset.mems.effective"), "1\n");
  auto m = manager("/limited/not/yet");

  const HostLimits limits = m->available();

  EXPECT_EQ(limits.cpus, (CpuSet{2}));
  EXPECT_EQ(limits.mems, (CpuSet{1}));
}

TEST_F(V2ManagerTest, AvailableWithoutTheCpusetControllerFallsBackToAffinityAndNodeZero) {
  v2_host("cpu io memory pids");
  auto m = manager();

  const HostLimits limits = m->available();

  EXPECT_FALSE(limits.cpus.empty());  // this process's affinity
  EXPECT_EQ(limits.mems, (CpuSet{0}));
}

// ---- stats ----

TEST_F(V2ManagerTest, StatsAndOomReportReadTheLeafsFiles) {
  v2_host();
  auto m = manager();
  m->create(Resources{});
  put_file(leaf() + "/memory.max", "104857600\n");
  put_file(leaf() + "/memory.peak", "104857600\n");
  put_file(leaf() + "/memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
  put_file(leaf() + "/cpu.stat", "usage_usec 1000\nuser_usec 600\nsystem_usec 400\n");
  put_file(leaf() + "/pids.peak", "5\n");
  put_file(leaf() + "/io.stat", "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n");

  const Stats stats = m->stats();
  const auto oom = m->oom_report();

  ASSERT_TRUE(stats.memory.has_value());
  EXPECT_EQ(stats.memory->limit, 104857600);
  EXPECT_EQ(stats.memory->failcnt, 4u);
  ASSERT_TRUE(stats.cpu.has_value());
  EXPECT_EQ(stats.cpu->usage_ns, 1'000'000u);
  ASSERT_TRUE(stats.pids.has_value());
  EXPECT_EQ(stats.pids->peak, 5u);
  ASSERT_TRUE(stats.io.has_value());
  ASSERT_EQ(stats.io->size(), 1u);
  EXPECT_EQ((*stats.io)[0].write_ios, 4u);
  ASSERT_TRUE(oom.has_value());
  EXPECT_EQ(oom->oom_kills, 1u);
  EXPECT_EQ(oom->limit, 104857600);
  EXPECT_EQ(oom->peak, 104857600u);
  EXPECT_TRUE(m->destroy().empty());
}

// ---- dry run ----

TEST_F(V2ManagerTest, DryRunCreatesNothingButSucceeds) {
  v2_host();
  const auto before = test::snapshot_tree(root_);
  const test::FakeCgroupFs dry(root_, /*dry_run=*/true);
  const Resources r = limits();
  TraceCapture capture;

  auto m = manager("", r, /*all=*/false, kId, &dry);
  EXPECT_NO_THROW(m->create(r));
  EXPECT_NO_THROW(m->set(r));
  EXPECT_EQ(m->kill_all(), 0);
  auto problems = m->destroy();

  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(test::snapshot_tree(root_), before);
  const auto lines = capture.lines();
  const std::string enable = "+memory +cpu +cpuset +pids +io";
  EXPECT_GE(index_of(lines, echo(enable, mount() + "/cgroup.subtree_control")), 0);
  EXPECT_GE(index_of(lines, "+ mkdir " + at("mydocker")), 0);
  EXPECT_GE(index_of(lines, echo(enable, at("mydocker/cgroup.subtree_control"))), 0);
  EXPECT_GE(index_of(lines, "+ mkdir " + leaf()), 0);
  EXPECT_GE(index_of(lines, echo("104857600", leaf() + "/memory.max")), 0);
  EXPECT_GE(index_of(lines, echo("20000 100000", leaf() + "/cpu.max")), 0);
  EXPECT_GE(index_of(lines, echo("1-2", leaf() + "/cpuset.cpus")), 0);
  EXPECT_GE(index_of(lines, echo("64", leaf() + "/pids.max")), 0);
  EXPECT_GE(index_of(lines, "+ rmdir " + leaf()), 0);
  EXPECT_GE(index_of(lines, "+ rmdir " + at("mydocker")), 0);
}

// `mydocker run --dry-run` calls create() and set() with a dry Fs, so the container's directory
// does not exist when the controllers probe for their files. On a real kernel the root cgroup
// has no memory.swap.max and no io.weight (both are CFTYPE_NOT_ON_ROOT), so a probe that falls
// back to the root finds neither, though a real run on the same host would.

TEST_F(V2ManagerTest, DryRunTakesMemorySwapOnAHostWithSwapAccounting) {
  v2_host(test::FakeCgroupFs::kAllV2Controllers, test::FakeCgroupFs::kAllV2Controllers);
  ASSERT_TRUE(fs_->exists(own_dir() + "/memory.swap.max"));  // this host has swap accounting
  const test::FakeCgroupFs dry(root_, /*dry_run=*/true);
  Resources r;
  r.memory = 100 * kMiB;
  r.memory_swap = 200 * kMiB;
  auto m = manager("", r, /*all=*/false, kId, &dry);
  m->create(r);
  TraceCapture capture;

  EXPECT_NO_THROW(m->set(r));

  EXPECT_GE(index_of(capture.lines(), echo("104857600", leaf() + "/memory.swap.max")), 0);
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V2ManagerTest, DryRunTakesBlkioWeightOnAHostWithIoWeight) {
  v2_host(test::FakeCgroupFs::kAllV2Controllers, test::FakeCgroupFs::kAllV2Controllers);
  ASSERT_TRUE(fs_->exists(own_dir() + "/io.weight"));  // this kernel has io.weight
  const test::FakeCgroupFs dry(root_, /*dry_run=*/true);
  Resources r;
  r.blkio_weight = 500;
  auto m = manager("", r, /*all=*/false, kId, &dry);
  m->create(r);
  TraceCapture capture;

  EXPECT_NO_THROW(m->set(r));

  EXPECT_GE(index_of(capture.lines(), echo("default 4950", leaf() + "/io.weight")), 0);
  EXPECT_TRUE(m->destroy().empty());
}

TEST_F(V2ManagerTest, RealRunTakesMemorySwapAndBlkioWeight) {
  // The same limits without dry-run: the leaf exists, so the probes find its files.
  v2_host();
  Resources r;
  r.memory = 100 * kMiB;
  r.memory_swap = 200 * kMiB;
  r.blkio_weight = 500;
  auto m = manager("", r, /*all=*/false);
  m->create(r);

  EXPECT_NO_THROW(m->set(r));

  EXPECT_EQ(value_of(leaf() + "/memory.swap.max"), "104857600");
  EXPECT_EQ(value_of(leaf() + "/io.weight"), "default 4950");
  EXPECT_TRUE(m->destroy().empty());
}

}  // namespace
}  // namespace mydocker::v2

// ---- an existing container's cgroup, re-opened from its record ----

namespace mydocker::v2 {
namespace {

TEST_F(V2ManagerTest, ReopenedFromItsRecordTheManagerActsOnTheSameCgroup) {
  v2_host();
  Resources r;
  r.memory = 104857600;
  auto made = manager("", r, /*all=*/true);
  made->create(r);
  made->set(r);
  const CgroupRecord record = made->record();
  EXPECT_EQ(record.driver_name(), "v2");
  EXPECT_EQ(record.dirs, (Strings{leaf()}));

  auto again = open_cgroup_manager(*fs_, record, kId);

  EXPECT_EQ(again->paths(), made->paths());
  EXPECT_EQ(again->record(), record);
  Resources more;
  more.pids_limit = 7;
  again->update(more);
  EXPECT_EQ(test::value_of(leaf() + "/pids.max"), "7");
  EXPECT_EQ(again->join().clone_into, leaf());
  // freeze writes cgroup.freeze and waits for the kernel's word in cgroup.events.
  test::put_file(leaf() + "/cgroup.events", "populated 1\nfrozen 1\n");
  again->freeze(true);
  EXPECT_EQ(test::value_of(leaf() + "/cgroup.freeze"), "1");
  EXPECT_TRUE(again->destroy().empty());
  EXPECT_FALSE(test::is_dir(leaf()));
  EXPECT_FALSE(test::is_dir(at("mydocker")));  // the default parent it recorded
}

}  // namespace
}  // namespace mydocker::v2

// ---- update of a container with a memory+swap limit ----

namespace mydocker::v2 {
namespace {

// docker's --memory-swap is memory+swap; memory.swap.max is the swap alone, so it is computed
// again whenever either limit changes: update passes both (parse_resources against the
// container's own limits).
TEST_F(V2ManagerTest, SwapMaxFollowsEveryUpdateOfMemoryOrMemorySwap) {
  v2_host();
  Resources run;  // run -m 50m --memory-swap 100m
  run.memory = 50 * kMiB;
  run.memory_swap = 100 * kMiB;
  auto m = manager("", run);
  m->create(run);
  m->set(run);
  ASSERT_EQ(value_of(leaf() + "/memory.swap.max"), std::to_string(50 * kMiB));
  Resources current = run;
  auto update = [&](const std::vector<FlagValue>& flags) {
    RunOptions o;
    for (const auto& f : flags) (f.flag == "-m" ? o.memory : o.memory_swap) = f;
    const Resources r = parse_resources(o, m->available(), &current);
    m->update(r);
    current.memory = r.memory;
    current.memory_swap = r.memory_swap;
  };

  update({{"-m", "80m"}});  // memory+swap stays 100m: 20m of swap
  EXPECT_EQ(value_of(leaf() + "/memory.max"), std::to_string(80 * kMiB));
  EXPECT_EQ(value_of(leaf() + "/memory.swap.max"), std::to_string(20 * kMiB));
  update({{"--memory-swap", "200m"}});  // memory stays 80m: 120m of swap
  EXPECT_EQ(value_of(leaf() + "/memory.max"), std::to_string(80 * kMiB));
  EXPECT_EQ(value_of(leaf() + "/memory.swap.max"), std::to_string(120 * kMiB));
  update({{"-m", "150m"}, {"--memory-swap", "150m"}});  // no swap at all
  EXPECT_EQ(value_of(leaf() + "/memory.swap.max"), "0");
  const auto before = test::snapshot_tree(root_);
  EXPECT_THROW(update({{"-m", "160m"}}), Error) << "above the memory+swap limit";
  EXPECT_EQ(test::snapshot_tree(root_), before);
  update({{"--memory-swap", "-1"}});
  update({{"-m", "1g"}});  // unlimited swap stays so
  EXPECT_EQ(value_of(leaf() + "/memory.max"), std::to_string(1024 * kMiB));
  EXPECT_EQ(value_of(leaf() + "/memory.swap.max"), "max");
  EXPECT_TRUE(m->destroy().empty());
}

// A container run with -m alone has memory+swap = memory: an update of -m keeps it without swap.
TEST_F(V2ManagerTest, AMemoryUpdateOfAContainerWithoutSwapKeepsItWithout) {
  v2_host();
  Resources run;
  run.memory = 50 * kMiB;
  auto m = manager("", run);
  m->create(run);
  m->set(run);
  RunOptions o;
  o.memory = FlagValue{"-m", "80m"};

  m->update(parse_resources(o, m->available(), &run));

  EXPECT_EQ(value_of(leaf() + "/memory.max"), std::to_string(80 * kMiB));
  EXPECT_EQ(value_of(leaf() + "/memory.swap.max"), "0");
  EXPECT_TRUE(m->destroy().empty());
}

}  // namespace
}  // namespace mydocker::v2

// ---- a record saved before create(): its directory planned, not claimed ----

namespace mydocker::v2 {
namespace {

// A create killed before its mkdir (refused: another container's cgroup has the same path)
// leaves a record planning that directory: re-opened from it, the manager acts on nothing.
TEST_F(V2ManagerTest, AManagerFromAKilledCreatesRecordLeavesAnotherContainersCgroupAlone) {
  v2_host();
  auto other = manager("", Resources{});
  other->create(Resources{});
  const CgroupRecord planned = manager("", Resources{})->record();  // saved before create()
  ASSERT_EQ(planned.unmade, (Strings{leaf()}));
  EXPECT_TRUE(planned.empty());
  put_file(leaf() + "/cgroup.procs", kImpossiblePid + "\n");

  auto reopened = open_cgroup_manager(*fs_, planned, kId);

  EXPECT_EQ(reopened->kill_all(), 0);
  EXPECT_TRUE(reopened->pids().empty());
  EXPECT_TRUE(reopened->join().self_files.empty());
  EXPECT_NO_THROW(reopened->freeze(false));
  EXPECT_THROW(reopened->freeze(true), Error);
  Resources more;
  more.pids_limit = 7;
  EXPECT_THROW(reopened->update(more), Error);
  EXPECT_TRUE(reopened->destroy().empty());
  EXPECT_TRUE(is_dir(leaf())) << "the other container's cgroup was removed";
  put_file(leaf() + "/cgroup.procs", "");
  EXPECT_TRUE(other->destroy().empty());
}

}  // namespace
}  // namespace mydocker::v2
