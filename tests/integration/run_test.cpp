// What a container sees and what mydocker reports: isolation, exit statuses, trace, dry run.

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "integration/harness.hpp"

namespace itest {
namespace {

using RunTest = IntegrationTest;

TEST_F(RunTest, CommandIsPid1) {
  auto r = md({"run", "sh", "-c", "echo $$"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
  // Its /proc shows its own PID namespace only: ls itself, as PID 1.
  auto ps = md({"run", "sh", "-c", "exec ls -d /proc/[0-9]*"});
  EXPECT_EQ(ps.out, "/proc/1\n") << ps.out;
}

TEST_F(RunTest, ExitStatusPassesThrough) {
  EXPECT_EQ(md({"run", "sh", "-c", "exit 3"}).status, 3);
  EXPECT_EQ(md({"run", "true"}).status, 0);
  EXPECT_EQ(md({"run", "false"}).status, 1);
}

TEST_F(RunTest, MissingCommandIs127AndUnexecutableIs126) {
  auto nf = md({"run", "no-such-command-xyz"});
  EXPECT_EQ(nf.status, 127);
  EXPECT_NE(nf.err.find("executable file not found in $PATH"), std::string::npos) << nf.err;
  auto abs = md({"run", "/no/such/file"});
  EXPECT_EQ(abs.status, 127) << abs.err;
  auto na = md({"run", "/etc/passwd"});
  EXPECT_EQ(na.status, 126);
  EXPECT_NE(na.err.find("permission denied"), std::string::npos) << na.err;
}

TEST_F(RunTest, HostnameIsIsolated) {
  std::string host_before = read_file("/proc/sys/kernel/hostname");
  // Changing it takes CAP_SYS_ADMIN, which a default container lacks (as in docker).
  auto r = md({"run", "--cap-add", "SYS_ADMIN", "--hostname", "box1", "sh", "-c",
               "hostname; hostname changed; hostname"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "box1\nchanged\n");
  EXPECT_NE(md({"run", "sh", "-c", "hostname changed"}).status, 0);
  EXPECT_EQ(read_file("/proc/sys/kernel/hostname"), host_before);
  // Default: the container's short id (12 hex digits).
  auto d = md({"run", "hostname"});
  EXPECT_TRUE(std::regex_match(d.out, std::regex("[0-9a-f]{12}\n"))) << d.out;
}

TEST_F(RunTest, MountsDoNotReachTheHost) {
  std::string before = read_file("/proc/self/mountinfo");
  Background c(args({"run", "sh", "-c", "mount -t tmpfs none /mnt; echo ready; sleep 2"}), env());
  ASSERT_TRUE(c.wait_for_output("ready", std::chrono::seconds(10)));
  EXPECT_EQ(read_file("/proc/self/mountinfo"), before) << "a container mount reached the host";
  EXPECT_EQ(c.wait(std::chrono::seconds(10)), 0) << c.stderr_text();
  EXPECT_EQ(read_file("/proc/self/mountinfo"), before);
}

TEST_F(RunTest, NamespacesAreNew) {
  for (const char* ns : {"uts", "pid", "mnt", "ipc"}) {
    std::string host = run({"readlink", std::string("/proc/self/ns/") + ns}).out;
    auto r = md({"run", "readlink", std::string("/proc/self/ns/") + ns});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out, host) << ns;
  }
}

TEST_F(RunTest, TheInitJoinsAndEntersItsRootBeforeTheGoAhead) {
  // The protocol (init/protocol.hpp): the init joins its cgroups and enters its root while the
  // parent writes the limits, and waits for "go" only before anything of its command. Its own
  // timing marks say in which order it did them (one process: their order is its code's).
  Options o;
  o.env["MYDOCKER_TIMING"] = "1";
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"-mem", "100m", "-cpuset", "0"}, {}}) {
    std::vector<std::string> a = {"run", "--rm"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.push_back("/bin/true");
    auto r = md(a, o);
    ASSERT_EQ(r.status, 0) << r.err;
    const size_t joined = r.err.find(" init: joined"), entered = r.err.find(" init: root entered"),
                 go = r.err.find(" init: go");
    ASSERT_NE(go, std::string::npos) << r.err;
    EXPECT_LT(joined, entered) << r.err;
    EXPECT_LT(entered, go) << r.err;
  }
}

TEST_F(RunTest, TheCommandFindsItsLimitsInPlaceAtItsStart) {
  // The init joins before the limits are written; the command runs only after "go". Its first
  // reads of its own cgroup's files show the limits (the host's files: /sys/fs/cgroup is there).
  auto r =
      md({"run", "--rm", "-mem", "100m", "-cpuset", "0", "/bin/sh", "-c",
          "m=$(grep ':memory:' /proc/self/cgroup | cut -d: -f3); "
          "c=$(grep ':cpuset:' /proc/self/cgroup | cut -d: -f3); "
          "cat /sys/fs/cgroup/memory$m/memory.limit_in_bytes /sys/fs/cgroup/cpuset$c/cpuset.cpus"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "104857600\n0\n") << r.err;
}

TEST_F(RunTest, LoopbackIsUp) {
  // The network namespace made while the run is planned has its loopback brought up by the
  // helper that makes it (net/netns.hpp); with --trace the init does it, in the lesson's order.
  for (const bool trace : {false, true}) {
    std::vector<std::string> a = {"run", "ip", "-o", "link", "show", "lo"};
    if (trace) a.insert(a.begin() + 1, "--trace");
    auto r = md(a);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("<LOOPBACK,UP,LOWER_UP>"), std::string::npos) << trace << r.out;
  }
}

TEST_F(RunTest, NothingOfTheCallerLeaks) {
  // Environment: docker's defaults only.
  Options o;
  o.env["SECRET_OF_THE_CALLER"] = "x";
  o.extra_fd = true;  // fd 7, inheritable
  auto e = md({"run", "/usr/bin/env"}, o);
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_EQ(e.out.find("SECRET_OF_THE_CALLER"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"),
            std::string::npos);
  EXPECT_NE(e.out.find("HOME=/root\n"), std::string::npos);
  EXPECT_EQ(lines(e.out).size(), 3u) << e.out;
  // File descriptors: 0, 1, 2 and the one ls opens for the directory.
  auto fds = md({"run", "ls", "/proc/self/fd"}, o);
  EXPECT_EQ(fds.out, "0\n1\n2\n3\n");
  // Working directory and umask as docker sets them.
  auto wd = md({"run", "sh", "-c", "pwd; umask"});
  EXPECT_EQ(wd.out, "/\n0022\n");
  // Signals: none ignored, whatever the caller ignored (nohup's HUP, a shell's INT and QUIT
  // for a background job) or mydocker did (PIPE); a blocked one is not blocked in there.
  auto sig = run({"sh", "-c",
                  "trap '' HUP INT QUIT PIPE USR2; exec " + mydocker() + " --root " + root() +
                      " --data-root " + root() + "/data" +
                      " run sh -c 'grep -E \"^Sig(Ign|Blk)\" /proc/self/status'"});
  ASSERT_EQ(sig.status, 0) << sig.err;
  EXPECT_EQ(sig.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_F(RunTest, StdinOnlyWithDashI) {
  Options o;
  o.input = "hello\n";
  EXPECT_EQ(md({"run", "cat"}, o).out, "");
  EXPECT_EQ(md({"run", "-i", "cat"}, o).out, "hello\n");
  // -t needs a terminal on stdin to be of use: without one, -it runs as -i (docker refuses,
  // podman warns) and says so.
  auto it = md({"run", "-it", "cat"}, o);
  EXPECT_EQ(it.out, "hello\n");
  EXPECT_NE(it.err.find("not a terminal"), std::string::npos) << it.err;
}

TEST_F(RunTest, TraceShowsEveryKernelAction) {
  auto r = md({"run", "--trace", "-mem", "100m", "-cpu", "20", "-cpuset", "0", "true"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string& t = r.err;
  for (const char* want :
       {"+ unshare --uts --pid --mount --ipc --net --fork", "+ mkdir /", "/memory.limit_in_bytes\n",
        "+ echo 20000 > ", "/cpu.cfs_quota_us\n", "+ echo 100000 > ", "/cpu.cfs_period_us\n",
        "/cpuset.cpus\n", "/cpuset.mems\n", "+ echo 0 > ", "/tasks\n",
        "+ mount --make-rprivate /\n", "+ mount -t proc proc /proc", "+ hostname ",
        "+ exec true   # through mydocker's exec stub", "+ rmdir /"})
    EXPECT_NE(t.find(want), std::string::npos) << want << "\n" << t;
  EXPECT_NE(t.find("+ echo 104857600 > "), std::string::npos) << t;
  // Writes are always exactly "+ echo VALUE > PATH" (VALUE quoted when it has spaces).
  for (const auto& l : lines(t)) {
    if (l.rfind("+ echo ", 0) == 0) {
      EXPECT_TRUE(std::regex_match(l, std::regex(R"(\+ echo ('[^']+'|\S+) > /\S+)"))) << l;
    }
  }
  // Order: the cgroups are set up before the container joins them and before the exec.
  EXPECT_LT(t.find("memory.limit_in_bytes"), t.find("/tasks\n"));
  EXPECT_LT(t.find("/tasks\n"), t.find("+ exec true"));
}

TEST_F(RunTest, DryRunPrintsTheSameLinesAndCreatesNothing) {
  auto r = md({"run", "--dry-run", "-mem", "100m", "-cpuset", "0", "stress", "-m", "1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("+ unshare --uts --pid --mount --ipc --net --fork"), std::string::npos);
  EXPECT_NE(r.err.find("+ echo 104857600 > "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("+ mount -t proc proc /proc"), std::string::npos);
  EXPECT_NE(r.err.find("+ exec stress -m 1\n"), std::string::npos) << r.err;
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(container_cgroups().empty());
  EXPECT_FALSE(std::filesystem::exists(root() + "/data/seccomp"))
      << "the seccomp filter's cache is made by real runs only";
  // Bad input is still bad in a dry run.
  EXPECT_EQ(md({"run", "--dry-run", "-mem", "abc", "true"}).status, 125);
}

// The lesson is the same whichever way it is asked for: --dry-run's clone is the real run's (it
// printed a re-exec of mydocker a run does not make); run -d --trace prints up to the start (it
// printed nothing); the lines never land in the container's log (the init wrote them to the
// container's stderr); pause and update take --trace too.
TEST_F(RunTest, TraceLinesAreTheRunsOwnEverywhere) {
  auto inspect_status = [&](const std::string& name) {
    auto r = md({"inspect", "-f", "{{.State.Status}}", name});
    return r.out.empty() ? std::string() : r.out.substr(0, r.out.size() - 1);
  };
  auto clone_line = [](const std::string& text) {
    for (const auto& l : lines(text))
      if (l.rfind("+ unshare ", 0) == 0) return l;
    return std::string();
  };
  auto real = md({"run", "--rm", "--trace", "true"});
  ASSERT_EQ(real.status, 0) << real.err;
  auto dry = md({"run", "--dry-run", "true"});
  ASSERT_EQ(dry.status, 0) << dry.err;
  EXPECT_NE(clone_line(real.err), "") << real.err;
  EXPECT_EQ(clone_line(dry.err), clone_line(real.err)) << dry.err;
  EXPECT_EQ(dry.err.find("/proc/self/exe init"), std::string::npos) << dry.err;

  Options quick;
  quick.timeout_s = 10;
  const auto began = std::chrono::steady_clock::now();
  auto d = md({"run", "-d", "--trace", "--name", "traced", "sleep", "3493"}, quick);
  ASSERT_EQ(d.status, 0) << d.err;
  EXPECT_FALSE(d.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5))
      << "the supervisor kept the caller's stderr (a reader waited for the container's end)";
  EXPECT_NE(d.err.find("+ mkdir /"), std::string::npos) << d.err;
  EXPECT_NE(d.err.find("+ exec sleep 3493"), std::string::npos) << d.err;
  auto paused = md({"pause", "--trace", "traced"});
  EXPECT_EQ(paused.status, 0) << paused.err;
  EXPECT_TRUE(paused.err.find("freezer.state") != std::string::npos ||
              paused.err.find("cgroup.freeze") != std::string::npos)
      << paused.err;
  EXPECT_EQ(md({"unpause", "traced"}).status, 0);
  auto updated = md({"update", "--trace", "--pids-limit", "50", "traced"});
  EXPECT_EQ(updated.status, 0) << updated.err;
  EXPECT_NE(updated.err.find("+ echo 50 > "), std::string::npos) << updated.err;
  EXPECT_EQ(md({"rm", "-f", "traced"}).status, 0);
  // A restart's init traces nowhere: the caller's stderr (a file here) has the first start only.
  const std::string err_file = root() + "/restarts.err";
  auto restarts =
      run({"sh", "-c",
           mydocker() + " --root " + root() + " --data-root " + root() + "/data" +
               " run -d --trace --restart on-failure:2 --name again sh -c 'exit 3' 2>" + err_file});
  ASSERT_EQ(restarts.status, 0) << restarts.err;
  for (int i = 0; i < 100 && inspect_status("again") != "exited"; ++i) usleep(50000);
  EXPECT_EQ(inspect_status("again"), "exited");
  int execs = 0;
  for (const auto& l : lines(read_file(err_file)))
    if (l.rfind("+ exec sh", 0) == 0) ++execs;
  EXPECT_EQ(execs, 1) << read_file(err_file);
  EXPECT_EQ(md({"rm", "-f", "again"}).status, 0);

  auto fg = md({"run", "--trace", "--name", "logged", "sh", "-c", "echo out; echo err >&2"});
  ASSERT_EQ(fg.status, 0) << fg.err;
  EXPECT_NE(fg.err.find("+ hostname "), std::string::npos) << fg.err;
  auto logs = md({"logs", "logged"});
  EXPECT_EQ(logs.out, "out\n");
  EXPECT_EQ(logs.err, "err\n") << "no trace line in the container's log";
  EXPECT_EQ(md({"rm", "logged"}).status, 0);
}

TEST_F(RunTest, InfoReportsTheHost) {
  auto r = md({"info", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  std::string mode = j["cgroup"]["mode"];
  EXPECT_TRUE(mode == "v1" || mode == "hybrid") << mode;
  bool memory = false;
  for (const auto& h : j["cgroup"]["hierarchies"])
    for (const auto& c : h["controllers"])
      if (c == "memory") {
        memory = true;
        EXPECT_TRUE(exists(h["mount_point"].get<std::string>()));
      }
  EXPECT_TRUE(memory);
  EXPECT_TRUE(j["namespaces"]["pid"].get<bool>());
  auto text = md({"info"});
  EXPECT_NE(text.out.find("Cgroup mode:"), std::string::npos);
}

}  // namespace
}  // namespace itest
