// Nothing left behind however a run ends: normal exit, failed start, bad input, signals,
// kill -9 of mydocker followed by prune, concurrent runs.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "integration/harness.hpp"

namespace itest {
namespace {

using LifecycleTest = IntegrationTest;
using namespace std::chrono_literals;

// The cgroup directories a running container's record lists (its config.json: they are fixed
// when it is made).
std::vector<std::string> recorded_cgroups(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : lines(run({"ls", root}).out)) {
    std::ifstream in(root + "/" + e + "/config.json");
    if (!in) continue;
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) continue;
    for (const auto& d : j["cgroup_dirs"]) out.push_back(d.get<std::string>());
  }
  return out;
}

TEST_F(LifecycleTest, NormalExitRemovesEverything) {
  auto r = md({"run", "--rm", "-mem", "50m", "-cpu", "50", "-cpuset", "0", "true"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(container_cgroups().empty());
  EXPECT_TRUE(records().empty()) << "--rm";
  // Without --rm the container stays, stopped (as in docker), and only its cgroups go.
  auto kept = md({"run", "-mem", "50m", "sh", "-c", "exit 4"});
  EXPECT_EQ(kept.status, 4);
  EXPECT_TRUE(container_cgroups().empty());
  ASSERT_EQ(records().size(), 1u);
  auto ps = md({"ps", "-a"});
  EXPECT_NE(ps.out.find("Exited (4)"), std::string::npos) << ps.out;
}

TEST_F(LifecycleTest, FailedStartRemovesEverything) {
  EXPECT_EQ(md({"run", "--rm", "-mem", "50m", "no-such-command-xyz"}).status, 127);
  EXPECT_TRUE(container_cgroups().empty());
  EXPECT_TRUE(records().empty());
  // A cgroup set-up the kernel refuses (a file where the parent directory should be).
  auto r = md({"run", "--rm", "--cgroup-parent", "cgroup.procs", "true"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("cgroup.procs"), std::string::npos) << r.err;
  EXPECT_TRUE(records().empty());
  // Kept without --rm, created (never started, as docker leaves it), with the reason.
  EXPECT_EQ(md({"run", "no-such-command-xyz"}).status, 127);
  auto ps = md({"ps", "-a"});
  EXPECT_NE(ps.out.find("Created"), std::string::npos) << ps.out;
  auto j = nlohmann::json::parse(md({"inspect", records().front()}).out);
  EXPECT_EQ(j[0]["State"]["Status"], "created");
  EXPECT_EQ(j[0]["State"]["ExitCode"], 127);
  EXPECT_EQ(j[0]["State"]["StartedAt"], "0001-01-01T00:00:00Z");
  EXPECT_NE(j[0]["State"]["Error"].get<std::string>().find("executable file not found"),
            std::string::npos);
}

// A container that ran before and fails to start again is exited (docker decides by StartedAt),
// not created.
TEST_F(LifecycleTest, AFailedStartOfOneThatRanLeavesItExited) {
  const std::string dir = root() + "/bin";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  std::ofstream(dir + "/s") << "#!/bin/sh\nexit 0\n";
  ASSERT_EQ(::chmod((dir + "/s").c_str(), 0755), 0);
  ASSERT_EQ(md({"run", "--name", "y", "-v", dir + ":/mnt", "/mnt/s"}).status, 0);
  ASSERT_EQ(::unlink((dir + "/s").c_str()), 0);
  EXPECT_EQ(md({"start", "y"}).status, 127);
  const auto j = nlohmann::json::parse(md({"inspect", "y"}).out)[0];
  EXPECT_EQ(j["State"]["Status"], "exited");
  EXPECT_EQ(j["State"]["ExitCode"], 127);
  EXPECT_NE(j["State"]["StartedAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(md({"rm", "y"}).status, 0);
}

TEST_F(LifecycleTest, BadInputIs125NamesTheFlagAndLeavesNothing) {
  struct Case {
    std::vector<std::string> args;
    std::string must_say;
  };
  const std::vector<Case> cases = {
      {{"run", "--no-such-flag", "true"}, "--no-such-flag"},
      {{"run"}, "missing the command"},
      {{"run", "-mem", "100m"}, "missing the command"},
      {{"run", "-mem", "abc", "true"}, "'abc' for -mem"},
      {{"run", "-mem", "-5m", "true"}, "'-5m' for -mem"},
      {{"run", "-mem", "32bm", "true"}, "'32bm' for -mem"},
      {{"run", "-mem", " 32", "true"}, "' 32' for -mem"},
      {{"run", "-mem", "", "true"}, "'' for -mem"},
      {{"run", "--memory", "abc", "true"}, "'abc' for --memory"},
      {{"run", "-cpu", "0", "true"}, "'0' for -cpu"},
      {{"run", "-cpu", "-1", "true"}, "'-1' for -cpu"},
      {{"run", "-cpu", "abc", "true"}, "'abc' for -cpu"},
      {{"run", "-cpu", "100000", "true"}, "'100000' for -cpu"},
      {{"run", "-cpushare", "abc", "true"}, "'abc' for -cpushare"},
      {{"run", "-cpuset", "99", "true"}, "'99' for -cpuset"},
      {{"run", "-cpuset", "1-0", "true"}, "'1-0' for -cpuset"},
      {{"run", "-cpuset", "a", "true"}, "'a' for -cpuset"},
      {{"run", "-cpuset", "1-", "true"}, "'1-' for -cpuset"},
      {{"run", "--cpus", "1", "-cpu", "20", "true"}, "cannot be used together"},
      {{"run", "--cpus", "99", "true"}, "Range of CPUs is from 0.01 to"},
      {{"run", "--cpus", "abc", "true"}, "'abc' for --cpus: not a number of CPUs"},
      {{"run", "--cpus", "1", "--cpu-quota", "5000", "true"}, "cannot both be set"},
      {{"run", "--memory-swap", "100m", "true"}, "'100m' for --memory-swap"},
      {{"run", "-m", "100m", "--memory-swap", "50m", "true"}, "'50m' for --memory-swap"},
      {{"run", "-m", "10m", "--memory-reservation", "20m", "true"}, "--memory-reservation"},
      {{"run", "--memory-swappiness", "101", "true"}, "swappiness range is 0-100"},
      {{"run", "--cpu-period", "999", "true"}, "can not be less than 1ms"},
      {{"run", "--cpu-period", "1000001", "true"}, "larger than 1s"},
      {{"run", "--cpu-quota", "999", "true"}, "can not be less than 1ms"},
      {{"run", "--pids-limit", "-2", "true"}, "'-2' for --pids-limit"},
      {{"run", "--pids-limit", "abc", "true"}, "'abc' for --pids-limit"},
      {{"run", "--blkio-weight", "5", "true"}, "Range of blkio weight is from 10 to 1000"},
      {{"run", "--device-read-bps", "/dev/null:1mb", "true"}, "not a block device"},
      {{"run", "--device-write-iops", "/dev/nosuch:10", "true"},
       "'/dev/nosuch:10' for --device-write-iops"},
      {{"run", "--device-read-bps", "nocolon", "true"}, "expected DEVICE:RATE"},
      {{"run", "--cpuset-mems", "7", "true"}, "'7' for --cpuset-mems"},
      {{"run", "--cpu-rt-runtime", "2000000", "true"}, "cannot be higher than cpu-rt-period"},
      {{"run", "--stop-timeout", "x", "true"}, "--stop-timeout"},
      {{"run", "--cgroup-parent", "../escape", "true"}, "--cgroup-parent"},
  };
  for (const auto& c : cases) {
    auto r = md(c.args);
    EXPECT_EQ(r.status, 125) << c.args.back();
    EXPECT_NE(r.err.find(c.must_say), std::string::npos) << r.err;
    EXPECT_EQ(lines(r.err).size(), 1u) << "printed once: " << r.err;
  }
  EXPECT_TRUE(container_cgroups().empty());
  EXPECT_TRUE(records().empty());
}

TEST_F(LifecycleTest, NotRootIs125) {
  // setpriv drops to an unprivileged uid; a dry run is allowed, a run is not.
  Options o;
  o.env = env();
  auto r = run(
      {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", mydocker(), "run", "true"},
      o);
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_NE(r.err.find("needs root"), std::string::npos) << r.err;
  auto dry = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", mydocker(), "run",
                  "--dry-run", "-mem", "10m", "true"});
  EXPECT_EQ(dry.status, 0) << dry.err;
}

// SIGTERM goes to the container's init. `sleep` as PID 1 ignores it (the kernel drops signals
// without a handler for a namespace's init), so --stop-timeout later everything is killed.
TEST_F(LifecycleTest, SigtermThenStopTimeoutKills) {
  Background c(
      args({"run", "--stop-timeout", "1", "-mem", "50m", "sh", "-c", "echo ready; exec sleep 30"}),
      env());
  ASSERT_TRUE(c.wait_for_output("ready", 10s));
  usleep(100000);
  auto start = std::chrono::steady_clock::now();
  kill(c.pid(), SIGTERM);
  EXPECT_EQ(c.wait(10s), 137) << c.stderr_text();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_TRUE(container_cgroups().empty());
}

// An init with a handler gets the forwarded signal and exits its own way.
TEST_F(LifecycleTest, ForwardedSignalsReachTheInit) {
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) {
    Background c(args({"run", "sh", "-c",
                       "trap 'exit 42' TERM INT HUP QUIT; echo ready; while :; do sleep 0.05; "
                       "done"}),
                 env());
    ASSERT_TRUE(c.wait_for_output("ready", 10s));
    kill(c.pid(), sig);
    EXPECT_EQ(c.wait(10s), 42) << "signal " << sig << ": " << c.stderr_text();
  }
  EXPECT_TRUE(container_cgroups().empty());
}

// docker's CLI stops (kills, removes, pauses) the containers it is given all at once (trial
// report, item 6): three whose PID 1 ignores SIGTERM stop in one -t 2, not three one after the
// other (6 s). The names come in the order given, an error as its own line, status non-zero.
TEST_F(LifecycleTest, StopOfSeveralContainersIsParallel) {
  for (const char* name : {"par1", "par2", "par3"})
    ASSERT_EQ(md({"run", "-d", "--name", name, "sleep", "3484"}).status, 0);
  auto begin = std::chrono::steady_clock::now();
  auto r = md({"stop", "-t", "2", "par1", "par2", "nosuch", "par3"});
  const auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(r.out, "par1\npar2\npar3\n");
  EXPECT_EQ(r.status, 125) << "the missing one";
  EXPECT_NE(r.err.find("mydocker: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;
  EXPECT_GE(took, 2s) << "each waited its timeout";
  EXPECT_LT(took, 4s) << "one after the other";
  EXPECT_TRUE(live_records().empty());
  // rm of several at once, in the order given, as docker's.
  auto rm = md({"rm", "par3", "par1", "par2"});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_EQ(rm.out, "par3\npar1\npar2\n");
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(container_cgroups().empty());
}

// kill -9 of mydocker: the container dies with it (PR_SET_PDEATHSIG); its cgroups stay until
// `mydocker prune`, which removes them and the record.
TEST_F(LifecycleTest, Kill9ThenPruneLeavesNothing) {
  Background c(
      args({"run", "-mem", "50m", "-cpuset", "0", "sh", "-c", "echo ready; exec sleep 30"}), env());
  ASSERT_TRUE(c.wait_for_output("ready", 10s));
  auto cgroups = recorded_cgroups(root());
  ASSERT_FALSE(cgroups.empty());
  std::string procs = cgroups.front() + "/cgroup.procs";
  ASSERT_FALSE(read_file(procs).empty());
  kill(c.pid(), SIGKILL);
  EXPECT_EQ(c.wait(5s), 137);
  // The container's processes die with mydocker.
  for (int i = 0; i < 200 && !read_file(procs).empty(); ++i) usleep(10000);
  EXPECT_TRUE(read_file(procs).empty()) << "the container outlived mydocker";
  EXPECT_FALSE(container_cgroups().empty()) << "nothing to prune?";
  auto p = md({"prune"});
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.out.find("removed"), std::string::npos) << p.out;
  EXPECT_TRUE(container_cgroups().empty());
  EXPECT_TRUE(records().empty());
  for (const auto& d : cgroups) EXPECT_FALSE(exists(d)) << d;
}

// prune never touches a live container.
// prune on a fresh host (no state or data root yet) cleans nothing and makes nothing.
TEST_F(LifecycleTest, PruneOnAFreshHostMakesNothing) {
  auto r = run(
      {mydocker(), "--root", root() + "/no-state", "--data-root", root() + "/no-data", "prune"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(exists(root() + "/no-state"));
  EXPECT_FALSE(exists(root() + "/no-data")) << "no images.lock or networks/ made by a prune";
}

TEST_F(LifecycleTest, PruneLeavesRunningContainersAlone) {
  Background c(args({"run", "-mem", "50m", "sh", "-c", "echo ready; sleep 1; echo done"}), env());
  ASSERT_TRUE(c.wait_for_output("ready", 10s));
  auto cgroups = recorded_cgroups(root());
  ASSERT_FALSE(cgroups.empty());
  auto p = md({"prune"});
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.out.find("left alone (running)"), std::string::npos) << p.out;
  for (const auto& d : cgroups) EXPECT_TRUE(exists(d)) << d;
  EXPECT_EQ(c.wait(10s), 0) << c.stderr_text();
  EXPECT_NE(c.stdout_text().find("ready"), std::string::npos);
}

// Runs at the same time share the default parent: each removes only what is its own, and the
// last one out removes the parent.
TEST_F(LifecycleTest, ConcurrentRunsCleanUp) {
  std::vector<std::thread> threads;
  std::vector<Result> results(8);
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] {
      results[i] = md({"run", "--rm", "-mem", "50m", "-cpu", "50", "-cpuset", "0", "sh", "-c",
                       "echo " + std::to_string(i)});
    });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].status, 0) << results[i].err;
    EXPECT_EQ(results[i].out, std::to_string(i) + "\n");
  }
  EXPECT_TRUE(container_cgroups().empty());
  EXPECT_TRUE(records().empty());
}

}  // namespace
}  // namespace itest
