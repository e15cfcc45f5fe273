// Detached containers and the commands that manage them (issue: container lifecycle).

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "integration/harness.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

class ContainersTest : public IntegrationTest {
 protected:
  // run -d ...: the id it printed (asserts success).
  std::string start(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "-d"});
    auto r = md(args);
    EXPECT_EQ(r.status, 0) << r.err;
    auto id = r.out.substr(0, r.out.find('\n'));
    EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{64}"))) << r.out;
    return id;
  }
  Json inspect(const std::string& ref) {
    auto r = md({"inspect", ref});
    EXPECT_EQ(r.status, 0) << r.err;
    auto j = Json::parse(r.out, nullptr, false);
    return j.is_array() && !j.empty() ? j[0] : Json::object();
  }
  // Polls inspect until `pred` holds (at most `timeout`).
  bool until(const std::string& ref, const std::function<bool(const Json&)>& pred,
             std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred(inspect(ref))) return true;
      usleep(20000);
    }
    return false;
  }
  // Processes whose whole command line is `command` (not merely containing it: an unrelated
  // `sleep 300` on the machine is not a container's `sleep 30`), each described by its pid,
  // parent, namespaced pids, state and cgroups (what a failure needs to be understood).
  static std::vector<std::string> processes_with(const std::string& command) {
    std::vector<std::string> found;
    DIR* d = opendir("/proc");
    while (dirent* e = readdir(d)) {
      if (!isdigit(e->d_name[0])) continue;
      const std::string proc = std::string("/proc/") + e->d_name;
      std::string cmd = read_file(proc + "/cmdline");
      for (auto& c : cmd)
        if (c == '\0') c = ' ';
      if (cmd != command + " ") continue;
      std::string about = std::string("pid ") + e->d_name;
      std::istringstream status(read_file(proc + "/status"));
      for (std::string line; std::getline(status, line);)
        if (line.rfind("PPid:", 0) == 0 || line.rfind("NSpid:", 0) == 0 ||
            line.rfind("State:", 0) == 0)
          about += "; " + line;
      found.push_back(about + "; cgroups:\n" + read_file(proc + "/cgroup"));
    }
    closedir(d);
    return found;
  }
  static std::string described(const std::vector<std::string>& processes) {
    std::string all;
    for (const auto& p : processes) all += p + "\n";
    return all;
  }
  // mydocker with these words (our roots added) on a terminal of its own: script(1)'s PTY is
  // its stdin, stdout and stderr; `opt.input` is typed on it.
  Result in_terminal(const std::string& words, const Options& opt = {}) {
    const std::string md = mydocker() + " --root " + root() + " --data-root " + root() + "/data ";
    return run({"script", "-qec", md + words, "/dev/null"}, opt);
  }

  // `text` appears twice: the terminal's echo of what was typed, then the container's copy.
  static bool typed_and_echoed(const std::string& out, const std::string& text) {
    const size_t first = out.find(text);
    return first != std::string::npos && out.find(text, first + 1) != std::string::npos;
  }
};

TEST_F(ContainersTest, RunDetachedReturnsAtOnceAndKeepsRunning) {
  auto begin = std::chrono::steady_clock::now();
  auto id = start({"--name", "web", "-mem", "50m", "sleep", "30"});
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 2s);
  auto j = inspect("web");
  EXPECT_EQ(j["Id"], id);
  EXPECT_EQ(j["Name"], "/web");
  EXPECT_EQ(j["State"]["Status"], "running");
  EXPECT_TRUE(j["State"]["Running"].get<bool>());
  EXPECT_GT(j["State"]["Pid"].get<int>(), 1);
  EXPECT_EQ(j["HostConfig"]["Memory"], 52428800);
  EXPECT_EQ(j["Path"], "sleep");
  EXPECT_FALSE(j["Cgroups"]["memory"].get<std::string>().empty());
  auto ps = md({"ps"});
  EXPECT_NE(ps.out.find(id.substr(0, 12)), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("Up "), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("mem 50MiB"), std::string::npos) << ps.out;
  EXPECT_EQ(md({"ps", "-q"}).out, id.substr(0, 12) + "\n");
  // A unique prefix selects it, like the name.
  EXPECT_EQ(inspect(id.substr(0, 5))["Id"], id);
  EXPECT_EQ(md({"stop", "-t", "1", "web"}).status, 0);
  EXPECT_EQ(inspect("web")["State"]["Status"], "exited");
  EXPECT_EQ(inspect("web")["State"]["ExitCode"], 137);
  EXPECT_TRUE(container_cgroups().empty());
  EXPECT_EQ(md({"ps", "-q"}).out, "");
  EXPECT_NE(md({"ps", "-a"}).out.find("Exited (137)"), std::string::npos);
  EXPECT_EQ(md({"rm", "web"}).status, 0);
  EXPECT_TRUE(records().empty());
}

// --tail reads the log from its end (the bytes read, counted by the kernel for the shell that
// reaped the command, stay far below the log's size), and --since/--until pick entries by time,
// both inclusive, as times or durations before now.
TEST_F(ContainersTest, LogsTailReadsTheEndAndSinceUntilPickByTime) {
  auto id = start({"sh", "-c", "echo first; sleep 1.2; echo second; seq 1 200000; echo last"});
  Options slow;
  slow.timeout_s = 60;
  ASSERT_TRUE(until(
      id, [](const Json& j) { return j["State"]["Status"] == "exited"; }, 60s));
  const std::string log = inspect(id)["LogPath"];
  ASSERT_GT(read_file(log).size(), 8u << 20) << "a log long enough to tell";
  EXPECT_EQ(md({"logs", "--tail", "2", id}).out, "200000\nlast\n");
  auto io = run(
      {"sh", "-c",
       mydocker() + " --root " + root() + " logs --tail 2 " + id + " >/dev/null; cat /proc/$$/io"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(io.out, m, std::regex(R"(rchar: (\d+))"))) << io.out;
  EXPECT_LT(std::stoull(m[1]), 1u << 20) << "bytes read for the last two lines";

  auto stamped = lines(md({"logs", "-t", "--tail", "all", id}, slow).out);
  ASSERT_GE(stamped.size(), 2u);
  const std::string first_time = stamped[0].substr(0, stamped[0].find(' '));
  const std::string second_time = stamped[1].substr(0, stamped[1].find(' '));
  EXPECT_EQ(stamped[1].substr(second_time.size()), " second");
  EXPECT_EQ(md({"logs", "--until", first_time, id}).out, "first\n");
  auto since = lines(md({"logs", "--since", second_time, id}, slow).out);
  ASSERT_EQ(since.size(), 200002u);
  EXPECT_EQ(since.front(), "second");
  EXPECT_EQ(since.back(), "last");
  EXPECT_EQ(lines(md({"logs", "--since", "1h", id}, slow).out).size(), 200003u);
  EXPECT_EQ(md({"logs", "--until", "1h", id}).out, "") << "an hour before now: nothing yet";
  EXPECT_EQ(md({"logs", "--tail", "1", "--since", second_time, id}).out, "last\n");
  auto bad = md({"logs", "--since", "yesterday", id});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("'yesterday' for --since"), std::string::npos) << bad.err;
  EXPECT_EQ(md({"rm", id}).status, 0);
}

// A foreground run whose policy restarts it returns at the first exit (docker's client), and a
// supervisor of its own goes on: the container is "restarting", then running again, its
// supervisor alive (not "Dead"), attachable, and `stop` ends it for good.
TEST_F(ContainersTest, ForegroundRestartsGoOnDetached) {
  auto ran = md({"run", "--name", "again", "--restart", "always", "-v", root() + ":/mnt", "sh",
                 "-c", "echo up; [ -e /mnt/again ] && exec sleep 30; touch /mnt/again"});
  EXPECT_EQ(ran.status, 0) << ran.err;
  EXPECT_EQ(ran.out, "up\n");
  EXPECT_NE(md({"inspect", "-f", "{{.State.Status}}", "again"}).out, "exited\n");
  ASSERT_TRUE(until("again", [](const Json& j) {
    return j["State"]["Status"] == "running" && j["RestartCount"] == 1;
  })) << "restarted without us";
  EXPECT_EQ(md({"ps", "--filter", "name=again", "--format", "{{.State}}"}).out, "running\n");
  const std::string root_dir = root() + "/" + inspect("again")["Id"].get<std::string>();
  EXPECT_TRUE(exists(root_dir + "/attach.sock")) << "attachable, as run -d's";
  EXPECT_EQ(md({"stop", "-t", "1", "again"}).status, 0);
  EXPECT_EQ(md({"inspect", "-f", "{{.State.Status}}", "again"}).out, "exited\n");
  ::usleep(300000);
  EXPECT_EQ(md({"inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "again"}).out, "exited 1\n")
      << "stopped for good";
  EXPECT_EQ(md({"rm", "again"}).status, 0);
}

TEST_F(ContainersTest, LogsKeepTheOutput) {
  auto id = start({"sh", "-c", "echo out1; echo err1 >&2; echo out2; sleep 0.3; echo out3"});
  ASSERT_TRUE(until(id, [](const Json& j) { return j["State"]["Status"] == "exited"; }));
  auto logs = md({"logs", id});
  EXPECT_EQ(logs.out, "out1\nout2\nout3\n");
  EXPECT_EQ(logs.err, "err1\n");
  EXPECT_EQ(md({"logs", "--tail", "1", id}).out, "out3\n");
  auto stamped = md({"logs", "-t", id});
  EXPECT_TRUE(
      std::regex_search(stamped.out, std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out1)")))
      << stamped.out;
  // One log over the container's life: `start` and `restart` add to it (docker's).
  ASSERT_EQ(md({"start", id}).status, 0);
  ASSERT_TRUE(until(id, [](const Json& j) { return j["State"]["Status"] == "exited"; }));
  ASSERT_EQ(md({"restart", id}).status, 0);
  ASSERT_TRUE(until(id, [](const Json& j) { return j["State"]["Status"] == "exited"; }));
  EXPECT_EQ(md({"logs", id}).out, "out1\nout2\nout3\nout1\nout2\nout3\nout1\nout2\nout3\n");
  // -f follows until the container stops.
  auto live = start({"sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 0.2; done"});
  Options slow;
  slow.timeout_s = 20;
  auto followed = md({"logs", "-f", live}, slow);
  EXPECT_EQ(followed.out, "tick 1\ntick 2\ntick 3\n");
  // A foreground container's output goes to ours and to its log (docker's), each stream
  // apart.
  auto ran = md({"run", "--name", "fg", "sh", "-c", "echo out; echo err >&2"});
  EXPECT_EQ(ran.out, "out\n");
  EXPECT_EQ(ran.err, "err\n");
  auto fg = md({"logs", "fg"});
  EXPECT_EQ(fg.status, 0) << fg.err;
  EXPECT_EQ(fg.out, "out\n");
  EXPECT_EQ(fg.err, "err\n");
  EXPECT_NE(inspect("fg")["LogPath"], "");
  // Restarted by its policy: docker's client returns at the first exit, with its status, and
  // the restarts go on detached; one log over all its runs.
  auto retried = md(
      {"run", "--name", "retry", "--restart", "on-failure:2", "sh", "-c", "echo attempt; exit 1"});
  EXPECT_EQ(retried.status, 1);
  EXPECT_EQ(retried.out, "attempt\n");
  ASSERT_TRUE(until("retry", [](const Json& j) {
    return j["State"]["Status"] == "exited" && j["RestartCount"] == 2;
  }));
  EXPECT_EQ(md({"logs", "retry"}).out, "attempt\nattempt\nattempt\n");
  // Not a foreground --rm one's: its output goes to ours only (and its record goes with it).
  std::thread rm_run([this] { md({"run", "--rm", "--name", "fgrm", "sleep", "2"}); });
  bool running = false;
  for (int i = 0; i < 100 && !running; ++i, usleep(20000))
    running = md({"inspect", "--format", "{{.State.Status}}", "fgrm"}).out == "running\n";
  auto none = md({"logs", "fgrm"});
  rm_run.join();
  ASSERT_TRUE(running);
  EXPECT_EQ(none.status, 125);
  EXPECT_NE(none.err.find("--rm"), std::string::npos) << none.err;
}

// A container without -t never gets our terminal as its stdout or stderr (docker's: pipes),
// --rm or not: it could change the terminal's settings, or push input into it (TIOCSTI).
TEST_F(ContainersTest, WithoutDashTTheContainerNeverGetsOurTerminal) {
  for (const std::string rm : {"--rm", "--name=kept"}) {
    auto r =
        in_terminal("run " + rm + " sh -c 'readlink /proc/self/fd/1 /proc/self/fd/2; echo done'");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out.find("/dev/pts"), std::string::npos) << rm << ": " << r.out;
    EXPECT_NE(r.out.find("pipe:["), std::string::npos) << rm << ": " << r.out;
    EXPECT_NE(r.out.find("done"), std::string::npos) << rm << ": " << r.out;
  }
  EXPECT_NE(md({"logs", "kept"}).out.find("pipe:["), std::string::npos) << "its log has it too";
  // A reader that goes away ends the writer, as in a pipeline: our end of its pipe closes.
  Options bounded;
  bounded.timeout_s = 20;
  for (const std::string rm : {"--rm", "--name=yes"}) {
    auto head = in_terminal("run " + rm + " sh -c 'yes' | head -n 2", bounded);
    EXPECT_EQ(head.status, 0) << rm << ": " << head.err;
    const std::string two = "y\r\ny\r\n";  // after the notice that sh is the host's
    EXPECT_TRUE(head.out.size() >= two.size() &&
                head.out.compare(head.out.size() - two.size(), two.size(), two) == 0)
        << rm << ": " << head.out;
  }
  // -i: what we type reaches it through a pipe, and the end of our input is its EOF.
  Options typed;
  typed.input = "a line\n";
  typed.timeout_s = 20;
  auto in = in_terminal("run --rm -i sh -c 'readlink /proc/self/fd/0; cat; echo EOF seen'", typed);
  ASSERT_EQ(in.status, 0) << in.err;
  EXPECT_EQ(in.out.find("/dev/pts"), std::string::npos) << in.out;
  EXPECT_NE(in.out.find("pipe:["), std::string::npos) << in.out;
  EXPECT_TRUE(typed_and_echoed(in.out, "a line")) << in.out;
  EXPECT_NE(in.out.find("EOF seen"), std::string::npos) << in.out;
  // One that closes its stdin: we stop reading ours, and it ends as it likes.
  auto closed = in_terminal("run --rm -i sh -c 'exec 0<&-; sleep 0.2; echo closed'", typed);
  EXPECT_EQ(closed.status, 0) << closed.err;
  EXPECT_NE(closed.out.find("closed"), std::string::npos) << closed.out;
}

// exec likewise, its exit status passed on.
TEST_F(ContainersTest, ExecWithoutDashTNeverGetsOurTerminal) {
  const std::string id = start({"sleep", "30"});
  auto ex = in_terminal("exec " + id +
                        " sh -c 'readlink /proc/self/fd/1; readlink /proc/self/fd/2; exit 3'");
  EXPECT_EQ(ex.status, 3) << ex.err;
  EXPECT_EQ(ex.out.find("/dev/pts"), std::string::npos) << ex.out;
  EXPECT_NE(ex.out.find("pipe:["), std::string::npos) << ex.out;
  Options typed;
  typed.input = "a line\n";
  typed.timeout_s = 20;
  auto exi = in_terminal("exec -i " + id + " sh -c 'readlink /proc/self/fd/0; cat'", typed);
  EXPECT_EQ(exi.status, 0) << exi.err;
  EXPECT_EQ(exi.out.find("/dev/pts"), std::string::npos) << exi.out;
  EXPECT_TRUE(typed_and_echoed(exi.out, "a line")) << exi.out;
  md({"rm", "-f", id});
}

// A reader that made its pipe non-blocking (Node, Python's asyncio) gets all of it: we wait for
// room instead of dropping what stdio had buffered (it kept the first 64 KiB).
TEST_F(ContainersTest, ANonBlockingStdoutGetsEverything) {
  ASSERT_EQ(md({"run", "--name", "big", "seq", "1", "200000"}).status, 0);
  const std::string whole = md({"logs", "big"}).out;
  ASSERT_EQ(whole.size(), 1288895u);
  const std::string reader = R"(
import os, sys, fcntl, subprocess, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(0.3)
total = 0
while True:
    d = os.read(r, 4096)  # slowly: the pipe is full most of the time
    if not d: break
    total += len(d)
    time.sleep(0.002)
print(total, p.wait())
)";
  auto r = run({"python3", "-c", reader, mydocker(), "--root", root(), "--data-root",
                root() + "/data", "logs", "big"});
  EXPECT_EQ(r.out, std::to_string(whole.size()) + " 0\n") << r.err;
}

TEST_F(ContainersTest, ExecJoinsTheNamespacesAndCgroups) {
  auto id = start({"--hostname", "box", "-mem", "50m", "sleep", "30"});
  auto r = md({"exec", id, "sh", "-c",
               "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; cat /proc/self/cgroup"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 4), "box\n");
  EXPECT_NE(r.out.find("sleep 30"), std::string::npos) << "not in its PID namespace: " << r.out;
  EXPECT_NE(r.out.find("memory:"), std::string::npos);
  EXPECT_NE(r.out.find(id), std::string::npos) << "not in its cgroups: " << r.out;
  EXPECT_EQ(md({"exec", id, "sh", "-c", "exit 7"}).status, 7);
  EXPECT_EQ(md({"exec", "-e", "FOO=bar", "-w", "/tmp", id, "sh", "-c", "echo $FOO; pwd"}).out,
            "bar\n/tmp\n");
  // -d: started and left; it holds none of our stdio (a caller reading our output to EOF
  // returns at once) and runs on.
  const auto begin = std::chrono::steady_clock::now();
  auto detached = md({"exec", "-d", id, "sh", "-c", "sleep 1; echo done > /tmp/detached"});
  EXPECT_EQ(detached.status, 0) << detached.err;
  EXPECT_EQ(detached.out, "");
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 900ms);
  bool ran = false;
  for (int i = 0; i < 100 && !ran; ++i, usleep(50000))
    ran = md({"exec", id, "cat", "/tmp/detached"}).out == "done\n";
  EXPECT_TRUE(ran);
  EXPECT_EQ(md({"exec", "-d", "-t", id, "true"}).status, 125);
  // --env-file, then -e over it (run's order).
  {
    std::FILE* f = std::fopen((root() + "/env").c_str(), "w");
    ASSERT_TRUE(f);
    std::fputs("# a comment\nA=1\nB=two\n", f);
    std::fclose(f);
  }
  EXPECT_EQ(
      md({"exec", "--env-file", root() + "/env", "-e", "B=three", id, "sh", "-c", "echo $A $B"})
          .out,
      "1 three\n");
  EXPECT_EQ(md({"exec", "--env-file", root() + "/nonexistent", id, "true"}).status, 125);
  // docker's exec makes no missing working directory (its run does): 126, nothing made.
  auto nowd = md({"exec", "-w", "/no/such/dir", id, "pwd"});
  EXPECT_EQ(nowd.status, 126);
  EXPECT_NE(nowd.err.find("/no/such/dir"), std::string::npos) << nowd.err;
  EXPECT_NE(md({"exec", id, "ls", "/no"}).status, 0) << "exec -w made the directory";
  Options in;
  in.input = "piped\n";
  EXPECT_EQ(md({"exec", "-i", id, "cat"}, in).out, "piped\n");
  EXPECT_EQ(md({"exec", id, "cat"}, in).out, "");
  EXPECT_EQ(md({"exec", id, "no-such-command"}).status, 127);
  md({"stop", "-t", "0", id});
  auto stopped = md({"exec", id, "true"});
  EXPECT_EQ(stopped.status, 125);
  EXPECT_NE(stopped.err.find("is not running"), std::string::npos);
}

TEST_F(ContainersTest, StopKillWaitAndRm) {
  // A handler for TERM: stop ends it at once, with its own status.
  auto a = start({"sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.05; done"});
  usleep(200000);
  auto begin = std::chrono::steady_clock::now();
  EXPECT_EQ(md({"stop", a}).status, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 3s);
  EXPECT_EQ(md({"wait", a}).out, "42\n");
  // kill -s
  auto b = start({"sh", "-c", "trap 'exit 5' HUP; while :; do sleep 0.05; done"});
  usleep(200000);
  EXPECT_EQ(md({"kill", "-s", "HUP", b}).status, 0);
  EXPECT_EQ(md({"wait", b}).out, "5\n");
  auto c = start({"sleep", "30"});
  EXPECT_EQ(md({"kill", c}).status, 0);
  EXPECT_EQ(md({"wait", c}).out, "137\n");
  EXPECT_EQ(md({"kill", c}).status, 125);  // not running
  // --rm: its record goes with it, wait still says how it ended (its "die" event).
  auto gone = start({"--rm", "sh", "-c", "sleep 0.3; exit 7"});
  auto waited = md({"wait", gone});
  EXPECT_EQ(waited.status, 0) << waited.err;
  EXPECT_EQ(waited.out, "7\n");
  // rm refuses a running container unless forced.
  auto d = start({"sleep", "30"});
  auto refused = md({"rm", d});
  EXPECT_EQ(refused.status, 125);
  EXPECT_NE(refused.err.find("Stop the container"), std::string::npos);
  EXPECT_EQ(md({"rm", "-f", d}).status, 0);
  EXPECT_EQ(md({"rm", a, b, c}).status, 0);
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(container_cgroups().empty());
  const auto left = processes_with("sleep 30");
  EXPECT_TRUE(left.empty()) << described(left);
}

TEST_F(ContainersTest, BadReferencesAre125) {
  // inspect is docker's: "No such object" on stderr, status 1, the others still shown.
  auto r = md({"inspect", "nosuchcontainer"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("No such object: nosuchcontainer"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "[]\n");
  // Two containers: a prefix both share is ambiguous.
  std::string a, b;
  for (int i = 0; i < 200 && (a.empty() || a[0] != b[0]); ++i) {  // 1 - (15/16)^200
    if (!a.empty()) md({"rm", "-f", a, b});
    a = start({"true"});
    b = start({"true"});
  }
  ASSERT_EQ(a[0], b[0]) << "no shared first digit in 200 tries";
  auto amb = md({"inspect", a.substr(0, 1)});
  EXPECT_EQ(amb.status, 1);
  EXPECT_NE(amb.err.find("multiple containers"), std::string::npos) << amb.err;
  EXPECT_EQ(md({"exec", "nosuch", "true"}).status, 125);
  EXPECT_EQ(md({"stop", "nosuch"}).status, 125);
  EXPECT_EQ(md({"rm", "nosuch"}).status, 125);
  // docker's rm -f: a container that is not there is said on stderr, and no failure; the
  // others go as asked (a CI teardown under `set -e` goes on).
  const std::string gone = start({"true"});
  auto forced = md({"rm", "-f", "nosuch", gone});
  EXPECT_EQ(forced.status, 0) << forced.err;
  EXPECT_EQ(forced.out, gone + "\n");
  EXPECT_NE(forced.err.find("No such container: nosuch"), std::string::npos) << forced.err;
  EXPECT_EQ(md({"rm", "-f", "nosuch"}).status, 0);
  // An unwritable state root.
  auto bad = run({mydocker(), "--root", "/proc/mydocker-state", "--data-root", root() + "/data",
                  "run", "-d", "true"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("/proc/mydocker-state"), std::string::npos) << bad.err;
}

TEST_F(ContainersTest, TopAndStats) {
  auto id = start({"-mem", "64m", "-cpu", "50", example("burn"), "30"});
  usleep(300000);
  auto top = md({"top", id});
  EXPECT_EQ(top.status, 0) << top.err;
  EXPECT_NE(top.out.find("UID"), std::string::npos);
  EXPECT_NE(top.out.find("burn 30"), std::string::npos) << top.out;
  // docker's `top CONTAINER PS-OPTIONS`: the host's ps, only the container's rows.
  auto ps = md({"top", id, "-o", "pid,comm"});
  EXPECT_EQ(ps.status, 0) << ps.err;
  EXPECT_EQ(lines(ps.out).size(), 2u) << "the header and its one process:\n" << ps.out;
  EXPECT_NE(ps.out.find("burn"), std::string::npos) << ps.out;
  EXPECT_EQ(md({"top", id, "-o", "comm"}).status, 125) << "no PID column";
  auto stats = md({"stats", "--no-stream", "--format", "json", id});
  ASSERT_EQ(stats.status, 0) << stats.err;
  auto j = Json::parse(stats.out);
  EXPECT_EQ(j["ID"], id.substr(0, 12)) << "docker's ID: cut unless --no-trunc";
  EXPECT_NE(j["MemUsage"].get<std::string>().find("/ 64MiB"), std::string::npos) << stats.out;
  EXPECT_EQ(j["PIDs"], "1");
  double cpu = std::atof(j["CPUPerc"].get<std::string>().c_str());
  EXPECT_GT(cpu, 35) << stats.out;  // the -cpu 50 quota, measured over half a second
  EXPECT_LT(cpu, 65) << stats.out;
  auto table = md({"stats", "--no-stream"});
  EXPECT_NE(table.out.find("CONTAINER ID"), std::string::npos);
  EXPECT_NE(table.out.find("MEM USAGE / LIMIT"), std::string::npos);
  // Stopped and named: docker's row of zeros; not named, no row.
  md({"stop", "-t", "0", id});
  auto stopped =
      md({"stats", "--no-stream", "--format", "{{.ID}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}", id});
  EXPECT_EQ(stopped.status, 0) << stopped.err;
  EXPECT_EQ(stopped.out, id.substr(0, 12) + " 0.00% 0B / 0B 0\n");
  EXPECT_EQ(md({"stats", "--no-stream", "--format", "{{.ID}}"}).out.find(id.substr(0, 12)),
            std::string::npos)
      << "not named, a stopped container has no row";
  EXPECT_EQ(md({"stats", "--no-stream", "--no-trunc", "--format", "{{.ID}}", id}).out, id + "\n");
  EXPECT_NE(md({"stats", "--no-stream", "--no-trunc", id}).out.find(id), std::string::npos)
      << "--no-trunc: the full id";
  md({"rm", "-f", id});
  // A command line of the container's is shown, not obeyed: no escape sequence, no fake row.
  const std::string other = start({"sleep", "30"});
  ASSERT_EQ(md({"exec", "-d", other, "sh", "-c", "sleep 29", "\033[2Jx\nroot 1 fake"}).status, 0);
  std::string shown;
  for (int i = 0; i < 100 && shown.find("sleep 29") == std::string::npos; ++i) {
    usleep(20000);
    shown = md({"top", other}).out;
  }
  EXPECT_EQ(shown.find('\033'), std::string::npos) << shown;
  EXPECT_NE(shown.find("sh -c sleep 29 ?[2Jx?root 1 fake"), std::string::npos) << shown;
  md({"rm", "-f", other});
}

TEST_F(ContainersTest, UpdateChangesLimitsOfARunningContainer) {
  auto id = start({"-mem", "64m", example("burn"), "30"});
  usleep(300000);
  auto cpu_percent = [&] {
    auto s = Json::parse(md({"stats", "--no-stream", "--format", "json", id}).out);
    return std::atof(s["CPUPerc"].get<std::string>().c_str());
  };
  EXPECT_GT(cpu_percent(), 80);
  EXPECT_EQ(md({"update", "--cpus", "0.2", "--pids-limit", "3", id}).status, 0);
  double limited = cpu_percent();
  EXPECT_GT(limited, 10);
  EXPECT_LT(limited, 30);
  // The new pids limit stops forks (the init and burn are two of the three).
  auto forks = md({"exec", id, example("forks"), "5"});
  EXPECT_NE(forks.out.find("succeeded, first error: Resource temporarily unavailable"),
            std::string::npos)
      << forks.out << forks.err;
  auto j = inspect(id);
  EXPECT_EQ(j["HostConfig"]["CpuQuota"], 0) << "docker's --cpus is NanoCpus alone";
  EXPECT_EQ(j["HostConfig"]["NanoCpus"], 200000000) << "docker's --cpus, in billionths";
  // docker's rule: the CPU limit keeps the form it was given in.
  auto period = md({"update", "--cpu-period", "50000", id});
  EXPECT_EQ(period.status, 125);
  EXPECT_NE(period.err.find("CPU Period cannot be updated as NanoCPUs has already been set"),
            std::string::npos)
      << period.err;
  EXPECT_EQ(j["HostConfig"]["PidsLimit"], 3);
  EXPECT_EQ(j["HostConfig"]["Memory"], 67108864) << "kept";
  // A limit below what it uses: runc's error, with the usage.
  auto low = start({"-mem", "64m", example("alloc"), "1", "20", "0"});
  usleep(300000);
  auto refused = md({"update", "-m", "4m", low});
  EXPECT_EQ(refused.status, 125);
  md({"rm", "-f", id, low});
}

TEST_F(ContainersTest, PauseFreezesEveryProcess) {
  auto id = start({example("burn"), "30"});
  usleep(200000);
  EXPECT_EQ(md({"pause", id}).status, 0);
  EXPECT_TRUE(inspect(id)["State"]["Paused"].get<bool>());
  EXPECT_NE(md({"ps"}).out.find("(Paused)"), std::string::npos);
  auto cpu = [&] {
    return std::atof(
        Json::parse(md({"stats", "--no-stream", "--format", "json", id}).out)["CPUPerc"]
            .get<std::string>()
            .c_str());
  };
  EXPECT_LT(cpu(), 2) << "a frozen process uses no CPU";
  EXPECT_EQ(md({"pause", id}).status, 125);  // already paused
  EXPECT_EQ(md({"unpause", id}).status, 0);
  EXPECT_GT(cpu(), 50);
  md({"rm", "-f", id});
}

TEST_F(ContainersTest, RestartPolicies) {
  // on-failure:2 - two restarts, then it stays exited.
  auto a = start({"--restart", "on-failure:2", "sh", "-c", "exit 3"});
  ASSERT_TRUE(until(
      a, [](const Json& j) { return j["State"]["Status"] == "exited" && j["RestartCount"] == 2; }));
  usleep(500000);
  EXPECT_EQ(inspect(a)["RestartCount"], 2);
  EXPECT_EQ(inspect(a)["State"]["ExitCode"], 3);
  // on-failure does not restart a success; no never restarts.
  auto b = start({"--restart", "on-failure", "true"});
  auto c = start({"--restart", "no", "false"});
  usleep(500000);
  EXPECT_EQ(inspect(b)["RestartCount"], 0);
  EXPECT_EQ(inspect(c)["RestartCount"], 0);
  // always: a success restarts too, with docker's back-off (100, 200, 400 ms...).
  auto begin = std::chrono::steady_clock::now();
  auto d = start({"--restart", "always", "true"});
  ASSERT_TRUE(until(d, [](const Json& j) { return j["RestartCount"].get<int>() >= 3; }));
  EXPECT_GT(std::chrono::steady_clock::now() - begin, 650ms) << "no back-off";
  EXPECT_EQ(md({"stop", d}).status, 0);
  ASSERT_TRUE(until(d, [](const Json& j) { return j["State"]["Status"] == "exited"; }));
  int count = inspect(d)["RestartCount"];
  usleep(800000);
  EXPECT_EQ(inspect(d)["RestartCount"], count) << "restarted after stop";
  // The OOM killer: restarted under on-failure (seed 000's supervisor), and ps says why.
  auto e = start({"--restart", "on-failure", "-mem", "20m", example("alloc"), "1", "0", "1"});
  ASSERT_TRUE(until(e, [](const Json& j) { return j["RestartCount"].get<int>() >= 1; }));
  auto j = inspect(e);
  EXPECT_EQ(j["RestartReason"], "OOM-killed (exit 137)");
  auto ps = md({"ps", "-a"}).out;
  EXPECT_NE(ps.find("OOM"), std::string::npos) << ps;
  md({"rm", "-f", a, b, c, d, e});
  EXPECT_TRUE(container_cgroups().empty());
}

// An exit the policy restarts is recorded as "restarting" at once (docker's SetRestarting):
// `wait` returns its status although the container goes on, `logs -f` ends with the run, and a
// `stop` that lands between two runs still ends it for good (it was ignored when it found the
// run's end "exited").
TEST_F(ContainersTest, WaitReturnsAtEachExitAndStopWinsOverRestarts) {
  auto id = start({"--restart", "always", "sh", "-c", "echo run; sleep 0.3; exit 4"});
  Options slow;
  slow.timeout_s = 10;
  auto waited = md({"wait", id}, slow);
  EXPECT_EQ(waited.status, 0) << waited.err;
  EXPECT_EQ(waited.out, "4\n");
  EXPECT_NE(md({"inspect", "-f", "{{.State.Status}}", id}).out, "exited\n");
  // logs -f ends with the run it follows, as docker's, though the policy starts another.
  auto followed = md({"logs", "-f", id}, slow);
  EXPECT_EQ(followed.status, 0) << "followed past the run's end";
  EXPECT_NE(followed.out.find("run\n"), std::string::npos) << followed.out;
  EXPECT_EQ(md({"rm", "-f", id}).status, 0);
  for (int i = 0; i < 8; ++i) {
    auto quick = start({"--restart", "always", "true"});
    ::usleep(static_cast<useconds_t>(20000 * i));
    ASSERT_EQ(md({"stop", "-t", "2", quick}).status, 0);
    ASSERT_TRUE(until(
        quick, [](const Json& j) { return j["State"]["Status"] == "exited"; }, 3s))
        << "stop " << i << " ignored";
    const int count = inspect(quick)["RestartCount"];
    ::usleep(300000);
    EXPECT_EQ(inspect(quick)["RestartCount"], count) << "restarted after stop " << i;
    EXPECT_EQ(md({"rm", quick}).status, 0);
  }
}

TEST_F(ContainersTest, RmFlagRemovesWhenItEnds) {
  auto id = start({"--rm", "sh", "-c", "sleep 0.2"});
  auto deadline = std::chrono::steady_clock::now() + 10s;
  // inspect while it goes: it is there or it is "No such object", never a file of its own
  // missing half-way (a read raced the removal: "cannot read .../config.json").
  std::string said;
  while (!records().empty() && std::chrono::steady_clock::now() < deadline) {
    auto looked = md({"inspect", id});
    if (looked.status != 0) said += looked.err;
  }
  EXPECT_TRUE(records().empty());
  for (const auto& l : lines(said))
    EXPECT_NE(l.find("No such object: " + id), std::string::npos) << l;
  EXPECT_EQ(md({"run", "--rm", "--restart", "always", "true"}).status, 125);
  // `restart` keeps it (docker's): it runs again with its files, and goes when it next ends.
  // Its image's layer was mounted volatile: the new mount must not be refused for it.
  const std::string tree = root() + "/bb";
  ASSERT_EQ(
      run({"sh", "-c", busybox_rootfs(tree) + "tar -C " + tree + " -cf " + tree + ".tar ."}).status,
      0);
  ASSERT_EQ(md({"import", tree + ".tar", "busybox"}).status, 0);
  auto rr = start({"--rm", "--name", "rr", "busybox", "sh", "-c",
                   "cat /mark 2>/dev/null; echo kept > /mark; sleep 30"});
  ASSERT_EQ(md({"restart", "-t", "1", "rr"}).status, 0);
  EXPECT_EQ(inspect("rr")["State"]["Status"], "running");
  for (int i = 0; i < 50 && md({"logs", "rr"}).out.empty(); ++i) usleep(20000);
  EXPECT_EQ(md({"logs", "rr"}).out, "kept\n") << "the second run found the first's file";
  ASSERT_EQ(md({"stop", "-t", "1", "rr"}).status, 0);
  deadline = std::chrono::steady_clock::now() + 10s;
  while (!records().empty() && std::chrono::steady_clock::now() < deadline) usleep(20000);
  EXPECT_TRUE(records().empty()) << "a --rm container goes when it ends after its restart";
}

TEST_F(ContainersTest, NamesAreUniqueEvenUnderARace) {
  std::vector<std::thread> threads;
  std::atomic<int> won{0}, lost{0};
  for (int i = 0; i < 20; ++i)
    threads.emplace_back([&] {
      auto r = md({"run", "-d", "--name", "only", "sleep", "30"});
      if (r.status == 0)
        ++won;
      else if (r.status == 125 && r.err.find("already in use") != std::string::npos)
        ++lost;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(lost, 19);
  EXPECT_EQ(md({"rm", "-f", "only"}).status, 0);
  // Free again once removed.
  EXPECT_EQ(md({"run", "--rm", "--name", "only", "true"}).status, 0);
}

TEST_F(ContainersTest, TwentyAtOnce) {
  std::vector<std::thread> threads;
  std::vector<Result> started(20);
  for (size_t i = 0; i < started.size(); ++i)
    threads.emplace_back([&, i] { started[i] = md({"run", "-d", "-mem", "30m", "sleep", "30"}); });
  for (auto& t : threads) t.join();
  std::vector<std::string> ids;
  for (const auto& r : started) {
    EXPECT_EQ(r.status, 0) << r.err;
    ids.push_back(r.out.substr(0, 64));
  }
  EXPECT_EQ(lines(md({"ps", "-q"}).out).size(), 20u);
  threads.clear();
  std::vector<Result> removed(20);
  for (size_t i = 0; i < ids.size(); ++i)
    threads.emplace_back([&, i] { removed[i] = md({"rm", "-f", ids[i]}); });
  for (auto& t : threads) t.join();
  for (const auto& r : removed) EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(container_cgroups().empty());
  const auto left = processes_with("sleep 30");
  EXPECT_TRUE(left.empty()) << described(left);
}

// kill -9 of the supervisor: the container dies with it, ps says so, prune cleans up.
TEST_F(ContainersTest, SupervisorKilledShowsInPsAndPruneCleansUp) {
  auto id = start({"-mem", "30m", "sleep", "3457"});
  int supervisor = inspect(id)["SupervisorPid"];
  ASSERT_GT(supervisor, 1);
  ::kill(supervisor, SIGKILL);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!processes_with("sleep 3457").empty() && std::chrono::steady_clock::now() < deadline)
    usleep(20000);
  const auto left = processes_with("sleep 3457");
  EXPECT_TRUE(left.empty()) << "the container outlived its supervisor: " << described(left);
  auto ps = md({"ps", "-a"}).out;
  EXPECT_NE(ps.find("supervisor died"), std::string::npos) << ps;
  EXPECT_EQ(inspect(id)["State"]["Dead"], true);
  // Its name stays taken (not --rm: docker keeps the record too).
  EXPECT_EQ(md({"rename", id, "kept"}).status, 0);
  EXPECT_EQ(md({"run", "--rm", "--name", "kept", "true"}).status, 125);
  EXPECT_EQ(md({"prune"}).status, 0);
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(container_cgroups().empty());

  // A --rm one whose supervisor was killed (a cancelled CI job) gives its name to the next run
  // of it, which removes it first: docker's daemon would have removed it when it ended.
  auto job = start({"--rm", "--name", "job", "-v", "/mnt", "sleep", "3494"});
  ::kill(inspect(job)["SupervisorPid"].get<int>(), SIGKILL);
  deadline = std::chrono::steady_clock::now() + 5s;
  while (!processes_with("sleep 3494").empty() && std::chrono::steady_clock::now() < deadline)
    usleep(20000);
  EXPECT_EQ(inspect("job")["State"]["Dead"], true);
  auto again = md({"run", "--rm", "--name", "job", "true"});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_TRUE(records().empty());
  EXPECT_EQ(md({"volume", "ls", "-q"}).out, "") << "its anonymous volume went with it";
  EXPECT_TRUE(container_cgroups().empty());
}

// Whether process `pid` is gone (or a zombie) within `timeout`.
bool process_gone(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos || stat.compare(paren + 2, 1, "Z") == 0) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    usleep(20000);
  }
}

// A paused container's freezer cgroup (made by mydocker for it) is thawed when the test ends,
// whatever it saw: its processes can then die, and the harness's prune remove it.
class ThawAtExit {
 public:
  explicit ThawAtExit(std::string dir) : dir_(std::move(dir)) {}
  ~ThawAtExit() {
    if (!dir_.empty() && exists(dir_ + "/freezer.state"))
      std::ofstream(dir_ + "/freezer.state") << "THAWED";
  }
  ThawAtExit(const ThawAtExit&) = delete;
  ThawAtExit& operator=(const ThawAtExit&) = delete;

 private:
  std::string dir_;
};

// pause, then kill -9 of its supervisor: the container's processes keep their SIGKILL pending in
// the frozen cgroup (v1), in D state. They used to stay so for ever, and unpause, start, rm,
// rm -f failed ("rmdir ...: Device or resource busy") and prune left it. Now the first mydocker
// that notices thaws them (they die) and records the container dead; rm -f (or prune) removes it
// even when nobody noticed before.
TEST_F(ContainersTest, APausedContainerWhoseSupervisorIsKilledDiesAndGoes) {
  std::vector<std::unique_ptr<ThawAtExit>> thaw;
  auto pause_and_kill_supervisor = [&](const std::string& name, const std::string& sleep) {
    start({"--name", name, "sleep", sleep});
    EXPECT_EQ(md({"pause", name}).status, 0);
    const Json j = inspect(name);
    thaw.push_back(std::make_unique<ThawAtExit>(j["Cgroups"].value("freezer", "")));
    const int supervisor = j["SupervisorPid"];
    ASSERT_GT(supervisor, 1);
    ASSERT_EQ(::kill(supervisor, SIGKILL), 0);
    ASSERT_TRUE(process_gone(supervisor, 5s));
  };
  auto dies = [&](const std::string& sleep) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!processes_with(sleep).empty() && std::chrono::steady_clock::now() < deadline)
      usleep(20000);
    return processes_with(sleep).empty();
  };
  // Noticed by inspect: dead, its processes thawed and gone; unpause says so; rm removes it.
  pause_and_kill_supervisor("p", "3471");
  EXPECT_EQ(inspect("p")["State"]["Status"], "dead");
  EXPECT_TRUE(dies("sleep 3471")) << described(processes_with("sleep 3471"));
  auto unpause = md({"unpause", "p"});
  EXPECT_EQ(unpause.status, 125);
  EXPECT_NE(unpause.err.find("is not running"), std::string::npos) << unpause.err;
  auto rm = md({"rm", "p"});
  EXPECT_EQ(rm.status, 0) << rm.err;
  // Nobody looked before rm -f, nor before prune.
  pause_and_kill_supervisor("q", "3472");
  rm = md({"rm", "-f", "q"});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_TRUE(dies("sleep 3472")) << described(processes_with("sleep 3472"));
  pause_and_kill_supervisor("r", "3473");
  auto pruned = md({"prune"});
  EXPECT_EQ(pruned.status, 0) << pruned.out << pruned.err;
  EXPECT_TRUE(dies("sleep 3473")) << described(processes_with("sleep 3473"));
  EXPECT_TRUE(records().empty()) << md({"ps", "-a"}).out;
  EXPECT_TRUE(container_cgroups().empty());
}

// docker never reports success for a container it did not see exit. One whose supervisor was
// killed (run -d's, or a foreground `mydocker run`) was killed with it (PR_SET_PDEATHSIG): it is
// dead with exit code 137, FinishedAt when first noticed, State.Error saying why, and one `die`
// event however often it is looked at. It said 0 before: wait, ExitCode, ps -f exited=0.
TEST_F(ContainersTest, AContainerWhoseSupervisorWasKilledNeverSucceeded) {
  start({"--name", "d", "sleep", "3474"});
  const int supervisor = inspect("d")["SupervisorPid"];
  ASSERT_GT(supervisor, 1);
  ASSERT_EQ(::kill(supervisor, SIGKILL), 0);
  ASSERT_TRUE(process_gone(supervisor, 5s));
  Background fg(args({"run", "--name", "fg", "sh", "-c", "echo ready; exec sleep 3475"}), env());
  ASSERT_TRUE(fg.wait_for_output("ready", 10s));
  ::kill(fg.pid(), SIGKILL);
  EXPECT_EQ(fg.wait(5s), 137);

  for (const char* name : {"d", "fg"}) {
    Options quick;
    quick.timeout_s = 10;
    auto waited = md({"wait", name}, quick);
    EXPECT_EQ(waited.status, 0) << waited.err;
    EXPECT_EQ(waited.out, "137\n") << name;
    const Json st = inspect(name)["State"];
    EXPECT_EQ(st["Status"], "dead") << name;
    EXPECT_EQ(st["Dead"], true) << name;
    EXPECT_EQ(st["ExitCode"], 137) << name;
    EXPECT_NE(st["FinishedAt"], "0001-01-01T00:00:00Z") << name;
    EXPECT_NE(st["Error"].get<std::string>().find("supervisor"), std::string::npos) << st;
  }
  EXPECT_EQ(md({"ps", "-a", "-q", "-f", "exited=0"}).out, "");
  EXPECT_EQ(lines(md({"ps", "-a", "-q", "-f", "status=dead"}).out).size(), 2u);
  EXPECT_NE(md({"ps", "-a"}).out.find("supervisor died"), std::string::npos);
  const auto died =
      md({"events", "--since", "0", "--until", "0s", "--filter", "event=die", "--format", "json"});
  std::vector<std::string> seen;
  for (const auto& l : lines(died.out)) {
    const Json e = Json::parse(l, nullptr, false);
    seen.push_back(e["Actor"]["Attributes"].value("name", "?") + " " +
                   e["Actor"]["Attributes"].value("exitCode", "?"));
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"d 137", "fg 137"})) << died.out;
  EXPECT_EQ(md({"rm", "d", "fg"}).status, 0);
}

// docker's values at the edges of the limit flags: swap granted keeps the inherited swappiness
// (0 would keep the cgroup from swapping at its limit); --cpus 0, --shm-size 0 and
// --memory-swap -1 alone limit nothing; --kernel-memory and --oom-kill-disable without -m warn
// and run; a value only the kernel refuses names its flag; "64.m" is no size.
TEST_F(ContainersTest, DockersLimitValuesAndWarnings) {
  auto swappiness = [&](std::vector<std::string> flags) {
    flags.insert(flags.end(), {"sleep", "3492"});
    const std::string id = start(flags);
    const std::string dir = inspect(id)["Cgroups"].value("memory", "");
    std::string v = exists(dir + "/memory.swappiness") ? read_file(dir + "/memory.swappiness") : "";
    const std::string parent = dir.substr(0, dir.rfind('/')) + "/memory.swappiness";
    if (!v.empty()) v += "parent " + read_file(parent);
    md({"rm", "-f", id});
    return v;
  };
  const std::string granted = swappiness({"-m", "64m", "--memory-swap", "128m"});
  if (!granted.empty()) {  // v1
    const std::string parent = granted.substr(granted.find("parent "));
    EXPECT_EQ(granted, parent.substr(7) + parent) << "inherited";
    EXPECT_EQ(swappiness({"-m", "64m", "--memory-swap", "-1"}), parent.substr(7) + parent);
    EXPECT_EQ(swappiness({"-m", "64m"}), "0\n" + parent) << "no swap granted: 0";
  }
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--cpus", "0"}, {"--shm-size", "0"}, {"--memory-swap", "-1"}}) {
    std::vector<std::string> a = {"run", "--rm"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.push_back("true");
    auto r = md(a);
    EXPECT_EQ(r.status, 0) << flags[0] << ": " << r.err;
  }
  auto kernel_memory = md({"run", "--rm", "--kernel-memory", "64m", "true"});
  EXPECT_EQ(kernel_memory.status, 0) << kernel_memory.err;
  EXPECT_NE(kernel_memory.err.find("kernel memory limit is deprecated"), std::string::npos);
  EXPECT_EQ(md({"run", "--rm", "--kernel-memory", "lots", "true"}).status, 125);
  auto oom = md({"run", "--rm", "--oom-kill-disable", "true"});
  EXPECT_EQ(oom.status, 0) << oom.err;
  EXPECT_NE(oom.err.find("without setting a '-m/--memory' limit"), std::string::npos) << oom.err;
  auto pids = md({"run", "--rm", "--pids-limit", "4194305", "true"});
  EXPECT_EQ(pids.status, 125);
  EXPECT_NE(pids.err.find("mydocker: --pids-limit: the kernel refused the value \"4194305\""),
            std::string::npos)
      << pids.err;
  EXPECT_EQ(md({"run", "--rm", "-m", "64.m", "true"}).status, 125);
  EXPECT_EQ(md({"ps", "-aq"}).out, "") << "nothing left";
}

// docker resumes a paused container after a kill that ends it (SIGKILL, its stop signal), so it
// acts on the signal at once; it waited for an unpause before (kill said 0, nothing happened).
TEST_F(ContainersTest, AKillResumesAPausedContainer) {
  Options quick;
  quick.timeout_s = 10;
  const std::string a = start({"sleep", "3476"});
  ASSERT_EQ(md({"pause", a}).status, 0);
  EXPECT_EQ(md({"kill", a}).status, 0);
  EXPECT_EQ(md({"wait", a}, quick).out, "137\n");
  const std::string b = start({"sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.05; done"});
  usleep(200000);
  const auto paused = md({"pause", b});
  ASSERT_EQ(paused.status, 0) << paused.err;
  EXPECT_EQ(md({"kill", "-s", "TERM", b}).status, 0);
  EXPECT_EQ(md({"wait", b}, quick).out, "42\n");
  EXPECT_EQ(inspect(b)["State"]["Status"], "exited");
  EXPECT_EQ(md({"rm", a, b}).status, 0);
}

// kill of a container between two runs of its restart policy: docker accepts it and ends the
// restart loop (it was refused with 125 "is not running").
TEST_F(ContainersTest, AKillDuringTheRestartBackOffEndsTheLoop) {
  const std::string id = start({"--restart", "always", "sh", "-c", "exit 3"});
  // The back-off doubles from 100 ms: from the third restart on it lasts 800 ms or more. The
  // count goes up as a back-off ends, a moment before the next run: 100 ms later that run has
  // failed and the next back-off began.
  auto restarting = [](const Json& j) {
    return j["State"]["Restarting"] == true && j["RestartCount"].get<int>() >= 3;
  };
  ASSERT_TRUE(until(id, restarting, 20s));
  usleep(100000);
  ASSERT_TRUE(restarting(inspect(id)));
  auto killed = md({"kill", id});
  EXPECT_EQ(killed.status, 0) << killed.err;
  EXPECT_TRUE(until(
      id, [](const Json& j) { return j["State"]["Status"] == "exited"; }, 5s));
  const int restarts = inspect(id)["RestartCount"];
  usleep(500000);
  EXPECT_EQ(inspect(id)["RestartCount"], restarts) << "it restarted after the kill";
  EXPECT_EQ(inspect(id)["State"]["ExitCode"], 3);
  EXPECT_EQ(md({"rm", id}).status, 0);
}

// docker keeps `update`'s limits in the container's HostConfig: every later start applies them,
// and inspect, ps and the kernel agree. Before, a policy restart got the run's 100m while
// inspect said 50m, and `restart`, `stop` + `start` forgot the update.
TEST_F(ContainersTest, UpdatedLimitsSurviveRestarts) {
  auto kernel_memory = [&](const std::string& ref) {
    const std::string dir = inspect(ref)["Cgroups"].value("memory", "");
    return std::atoll(read_file(dir + "/memory.limit_in_bytes").c_str());
  };
  constexpr long long k50m = 50 << 20, k60m = 60 << 20;
  // By its restart policy: each run lasts 1 s and fails.
  start(
      {"--name", "policy", "--restart", "on-failure", "-m", "100m", "sh", "-c", "sleep 1; exit 1"});
  ASSERT_EQ(md({"update", "-m", "50m", "policy"}).status, 0);
  ASSERT_TRUE(until("policy", [](const Json& j) {
    return j["RestartCount"].get<int>() >= 1 && j["State"]["Status"] == "running";
  }));
  EXPECT_EQ(kernel_memory("policy"), k50m);
  EXPECT_EQ(inspect("policy")["HostConfig"]["Memory"], k50m);
  // By hand: restart, then an update of the stopped container (docker's: applied at start).
  start({"--name", "hand", "-m", "100m", "sleep", "3477"});
  ASSERT_EQ(md({"update", "--memory", "50m", "hand"}).status, 0);
  ASSERT_EQ(md({"restart", "-t", "0", "hand"}).status, 0);
  EXPECT_EQ(kernel_memory("hand"), k50m);
  ASSERT_EQ(md({"stop", "-t", "0", "hand"}).status, 0);
  auto stopped = md({"update", "-m", "60m", "hand"});
  EXPECT_EQ(stopped.status, 0) << stopped.err;
  EXPECT_EQ(inspect("hand")["HostConfig"]["Memory"], k60m);
  ASSERT_EQ(md({"start", "hand"}).status, 0);
  EXPECT_EQ(kernel_memory("hand"), k60m);
  EXPECT_NE(md({"ps", "-f", "name=hand"}).out.find("mem 60MiB"), std::string::npos);
  // Nothing to change: docker's error.
  auto none = md({"update", "hand"});
  EXPECT_EQ(none.status, 125);
  EXPECT_NE(none.err.find("you must provide one or more flags"), std::string::npos) << none.err;
  EXPECT_EQ(md({"rm", "-f", "policy", "hand"}).status, 0);
}

// An update is all or nothing (trial report, item 2): before, `update --cpu-shares 900 -m 120m
// --blkio-weight 300` failed (125) on the blkio weight after writing the shares and the memory
// limit, which the kernel kept while inspect, ps and the next start did not. Now what the
// kernel lacks (this machine has no blkio weight file) is refused before any write, and what
// only the kernel can refuse (a cpuset that a cgroup the container made still uses) takes back
// the writes before it. Either way the kernel files and inspect keep what they had.
TEST_F(ContainersTest, AFailedUpdateChangesNothing) {
  const std::string id = start({"--name", "allornot", "-m", "200m", "sleep", "3481"});
  const Json cgroups = inspect(id)["Cgroups"];
  const std::string mem = cgroups.value("memory", ""), cpu = cgroups.value("cpu", "");
  const std::string cpuset = cgroups.value("cpuset", ""), blkio = cgroups.value("blkio", "");
  const bool v1 = !exists(mem + "/cgroup.controllers");
  // Every file the updates below write (v1; v2's equivalents).
  auto kernel = [&] {
    std::string all;
    for (const char* f : {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.max",
                          "memory.swap.max", "memory.swappiness"})
      if (exists(mem + "/" + f)) all += std::string(f) + "=" + read_file(mem + "/" + f);
    for (const char* f : {"cpu.shares", "cpu.weight", "cpuset.cpus"}) {
      const std::string dir = std::string(f) == "cpuset.cpus" ? cpuset : cpu;
      if (exists(dir + "/" + f)) all += std::string(f) + "=" + read_file(dir + "/" + f);
    }
    return all;
  };
  const std::string before = kernel();
  ASSERT_NE(before.find("209715200"), std::string::npos) << before;
  const Json host_config = inspect(id)["HostConfig"];

  const std::string weight_dir = v1 ? blkio : mem;
  if (!exists(weight_dir + (v1 ? "/blkio.weight" : "/io.weight")) &&
      !exists(weight_dir + (v1 ? "/blkio.bfq.weight" : "/io.bfq.weight"))) {
    // docker's rule: a weight the kernel cannot take is dropped with a warning, the rest goes
    // on (it was refused, and a run or create with it left a container that never started).
    auto warned = md({"update", "--blkio-weight", "300", id});
    EXPECT_EQ(warned.status, 0) << warned.err;
    EXPECT_NE(warned.err.find("Weight discarded"), std::string::npos) << warned.err;
    EXPECT_EQ(kernel(), before) << "nothing else was asked";
    EXPECT_EQ(inspect(id)["HostConfig"]["BlkioWeight"], 0);
    auto ran = md({"run", "--rm", "--blkio-weight", "300", "true"});
    EXPECT_EQ(ran.status, 0) << ran.err;
    EXPECT_NE(ran.err.find("Weight discarded"), std::string::npos) << ran.err;
  } else {
    std::printf(
        "[ NOTE     ] this kernel has a blkio weight file: the discarded-weight half is not "
        "run\n");
  }

  // v1: a cgroup's cpuset may not leave out CPUs its children use (EBUSY), a write only the
  // kernel refuses, after the memory limit and the shares were written.
  if (v1 && !cpuset.empty() && sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
    const std::string held = cpuset + "/held";
    ASSERT_EQ(mkdir(held.c_str(), 0755), 0);
    std::ofstream(held + "/cpuset.mems") << read_file(cpuset + "/cpuset.mems");
    std::ofstream(held + "/cpuset.cpus") << "1";
    ASSERT_EQ(read_file(held + "/cpuset.cpus"), "1\n");
    auto busy = md({"update", "--cpu-shares", "900", "-m", "120m", "--cpuset-cpus", "0", id});
    EXPECT_EQ(busy.status, 125);
    EXPECT_NE(busy.err.find("cpuset.cpus"), std::string::npos) << busy.err;
    EXPECT_EQ(kernel(), before) << "the writes before the refused one were taken back";
    EXPECT_EQ(inspect(id)["HostConfig"], host_config);
    EXPECT_EQ(rmdir(held.c_str()), 0);
  } else {
    std::printf("[ NOTE     ] not cgroup v1 with 2 CPUs: the taken-back-update half is not run\n");
  }
  // And an update that works still does.
  EXPECT_EQ(md({"update", "--cpu-shares", "900", "-m", "120m", id}).status, 0);
  EXPECT_EQ(inspect(id)["HostConfig"]["CpuShares"], 900);
  EXPECT_EQ(md({"rm", "-f", id}).status, 0);
}

// docker's update -m keeps the memory+swap limit (trial report, item 3): before, the kernel's
// got the new memory limit (no swap any more) and inspect said MemorySwap 0. A memory limit
// above it needs a new --memory-swap (docker's error); --memory-swap alone keeps the memory
// limit. On v2 the kernel holds the swap alone (memory.swap.max): memory+swap - memory.
TEST_F(ContainersTest, UpdateOfMemoryKeepsTheMemorySwapLimit) {
  auto probe = md({"run", "--rm", "-m", "50m", "--memory-swap", "100m", "true"});
  if (probe.status != 0 && probe.err.find("swap accounting") != std::string::npos)
    GTEST_SKIP() << "no swap accounting on this kernel (memory.memsw.limit_in_bytes or "
                    "memory.swap.max missing): --memory-swap cannot run here";
  ASSERT_EQ(probe.status, 0) << probe.err;
  const std::string id = start({"-m", "50m", "--memory-swap", "100m", "sleep", "3482"});
  const std::string mem = inspect(id)["Cgroups"].value("memory", "");
  constexpr long long kMiB = 1 << 20;
  // The kernel's memory and memory+swap limits, in bytes.
  auto kernel = [&]() -> std::pair<long long, long long> {
    if (exists(mem + "/memory.memsw.limit_in_bytes"))
      return {std::atoll(read_file(mem + "/memory.limit_in_bytes").c_str()),
              std::atoll(read_file(mem + "/memory.memsw.limit_in_bytes").c_str())};
    const long long memory = std::atoll(read_file(mem + "/memory.max").c_str());
    return {memory, memory + std::atoll(read_file(mem + "/memory.swap.max").c_str())};
  };
  auto recorded = [&]() -> std::pair<long long, long long> {
    const Json hc = inspect(id)["HostConfig"];
    return {hc["Memory"].get<long long>(), hc["MemorySwap"].get<long long>()};
  };
  ASSERT_EQ(kernel(), std::make_pair(50 * kMiB, 100 * kMiB));

  ASSERT_EQ(md({"update", "-m", "80m", id}).status, 0);
  EXPECT_EQ(kernel(), std::make_pair(80 * kMiB, 100 * kMiB));
  EXPECT_EQ(recorded(), std::make_pair(80 * kMiB, 100 * kMiB));

  auto above = md({"update", "-m", "150m", id});
  EXPECT_EQ(above.status, 125);
  EXPECT_NE(above.err.find("Memory limit should be smaller than already set memoryswap limit, "
                           "update the memoryswap at the same time"),
            std::string::npos)
      << above.err;
  EXPECT_EQ(kernel(), std::make_pair(80 * kMiB, 100 * kMiB));
  EXPECT_EQ(recorded(), std::make_pair(80 * kMiB, 100 * kMiB));

  ASSERT_EQ(md({"update", "--memory-swap", "200m", id}).status, 0);
  EXPECT_EQ(kernel(), std::make_pair(80 * kMiB, 200 * kMiB));
  EXPECT_EQ(recorded(), std::make_pair(80 * kMiB, 200 * kMiB));
  ASSERT_EQ(md({"update", "-m", "150m", id}).status, 0);
  EXPECT_EQ(kernel(), std::make_pair(150 * kMiB, 200 * kMiB));
  // Kept over a restart: the record is what the next start applies.
  ASSERT_EQ(md({"restart", "-t", "0", id}).status, 0);
  EXPECT_EQ(kernel(), std::make_pair(150 * kMiB, 200 * kMiB));
  EXPECT_EQ(md({"rm", "-f", id}).status, 0);
}

// docker's update --restart (trial report, item 9): a new restart policy for a container,
// running or not, recorded: its supervisor follows it from the next exit on, and a later start
// keeps it (it used to take the run's --restart again).
TEST_F(ContainersTest, UpdateRestartChangesThePolicy) {
  start({"--name", "pol", "sh", "-c", "sleep 0.5; exit 3"});  // no policy
  auto r = md({"update", "--restart", "on-failure:2", "pol"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "pol\n");
  EXPECT_EQ(inspect("pol")["HostConfig"]["RestartPolicy"],
            (Json{{"Name", "on-failure"}, {"MaximumRetryCount", 2}}));
  ASSERT_TRUE(until(
      "pol",
      [](const Json& j) { return j["State"]["Status"] == "exited" && j["RestartCount"] == 2; },
      15s))
      << "the running container's supervisor followed the new policy";
  // Stopped: recorded; its next start follows it.
  ASSERT_EQ(md({"update", "--restart", "always", "pol"}).status, 0);
  ASSERT_EQ(md({"start", "pol"}).status, 0);
  ASSERT_TRUE(until(
      "pol", [](const Json& j) { return j["RestartCount"].get<int>() >= 1; }, 15s));
  EXPECT_EQ(inspect("pol")["HostConfig"]["RestartPolicy"]["Name"], "always");
  EXPECT_EQ(md({"stop", "-t", "1", "pol"}).status, 0);
  // docker's refusals: a --rm container, a policy that is none.
  start({"--rm", "--name", "gone", "sleep", "3483"});
  auto rm = md({"update", "--restart", "always", "gone"});
  EXPECT_EQ(rm.status, 125);
  EXPECT_NE(rm.err.find("Restart policy cannot be updated because AutoRemove is enabled"),
            std::string::npos)
      << rm.err;
  auto bad = md({"update", "--restart", "sometimes", "pol"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("'sometimes' for --restart"), std::string::npos) << bad.err;
  EXPECT_EQ(inspect("pol")["HostConfig"]["RestartPolicy"]["Name"], "always");
  EXPECT_EQ(md({"rm", "-f", "pol", "gone"}).status, 0);
}

// docker 23's stop -s/--signal and restart -s (trial report, item 9): the signal sent first,
// whatever the container's own stop signal. The shell (PID 1: TERM without a handler does
// nothing to it) exits 42 on HUP at once; TERM would mean the whole timeout, then KILL.
TEST_F(ContainersTest, StopAndRestartSendTheSignalAsked) {
  start({"--name", "sig", "sh", "-c", "trap 'exit 42' HUP; echo up; while :; do sleep 0.1; done"});
  auto up = [&](size_t times) {
    for (int i = 0; i < 100; ++i) {
      const std::string log = md({"logs", "sig"}).out;
      size_t n = 0;
      for (size_t at = log.find("up"); at != std::string::npos; at = log.find("up", at + 1)) ++n;
      if (n >= times) return true;
      usleep(50000);
    }
    return false;
  };
  ASSERT_TRUE(up(1));
  auto begin = std::chrono::steady_clock::now();
  auto stopped = md({"stop", "-s", "HUP", "-t", "8", "sig"});
  EXPECT_EQ(stopped.status, 0) << stopped.err;
  EXPECT_EQ(stopped.out, "sig\n");
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 5s) << "TERM, then KILL after 8 s";
  EXPECT_EQ(inspect("sig")["State"]["ExitCode"], 42);
  ASSERT_EQ(md({"start", "sig"}).status, 0);
  ASSERT_TRUE(up(2));
  begin = std::chrono::steady_clock::now();
  auto restarted = md({"restart", "--signal", "SIGHUP", "-t", "8", "sig"});
  EXPECT_EQ(restarted.status, 0) << restarted.err;
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 5s) << "TERM, then KILL after 8 s";
  EXPECT_TRUE(up(3));
  EXPECT_TRUE(inspect("sig")["State"]["Running"].get<bool>());
  auto bad = md({"stop", "-s", "NOPE", "sig"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("NOPE"), std::string::npos) << bad.err;
  EXPECT_TRUE(inspect("sig")["State"]["Running"].get<bool>()) << "nothing was stopped";
  EXPECT_EQ(md({"rm", "-f", "sig"}).status, 0);
}

// kill -9 of the CLI or of the supervisor at every stage of run -d: prune (after rm -f of what
// did start) leaves zero cgroups, zero records and zero processes.
TEST_F(ContainersTest, Kill9AtEveryStageThenPruneLeavesNothing) {
  for (int delay_us : {0, 200, 500, 1000, 2000, 3000, 5000, 8000, 12000, 20000}) {
    for (bool supervisor : {false, true}) {
      Background cli(args({"run", "-d", "-mem", "30m", "-cpu", "50", "sleep", "3458"}), env());
      usleep(static_cast<useconds_t>(delay_us));
      if (supervisor) {
        // The newest supervisor of this root, whatever stage it is at.
        for (const auto& r : records()) {
          auto j = Json::parse(read_file(root() + "/" + r + "/state.json"), nullptr, false);
          if (j.is_object() && j.value("supervisor_pid", 0) > 1)
            ::kill(j["supervisor_pid"], SIGKILL);
        }
      }
      ::kill(cli.pid(), SIGKILL);
      cli.wait(5s);
    }
  }
  usleep(300000);
  // What got as far as running is a live container: stop it the normal way; then prune.
  for (const auto& id : lines(md({"ps", "-q"}).out)) md({"rm", "-f", id});
  auto p = md({"prune"});
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_TRUE(records().empty()) << md({"ps", "-a"}).out;
  EXPECT_TRUE(container_cgroups().empty());
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!processes_with("sleep 3458").empty() && std::chrono::steady_clock::now() < deadline)
    usleep(20000);
  const auto left = processes_with("sleep 3458");
  EXPECT_TRUE(left.empty()) << described(left);
}

}  // namespace
}  // namespace itest
