// mydocker attach (issue 14): a detached container's stdio from another process, as docker
// attach: stdin of `run -di`, a `run -dit` PTY from a real terminal (window size, detach keys),
// several clients at once, --sig-proxy, the exit status, and docker's refusals.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "integration/harness.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A program run on a terminal of its own (a PTY made here), as a user at a shell runs it.
class Terminal {
 public:
  Terminal(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
           unsigned short rows, unsigned short cols) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    EXPECT_GE(master_, 0);
    EXPECT_EQ(::grantpt(master_), 0);
    EXPECT_EQ(::unlockpt(master_), 0);
    const std::string slave = ::ptsname(master_);
    winsize ws{};
    ws.ws_row = rows;
    ws.ws_col = cols;
    ::ioctl(master_, TIOCSWINSZ, &ws);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      const int s = ::open(slave.c_str(), O_RDWR);  // our controlling terminal
      for (int fd = 0; fd < 3; ++fd) ::dup2(s, fd);
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> a;
      for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      ::execv(a[0], a.data());
      ::_exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(master_);
  }
  void type(const std::string& keys) {
    ASSERT_EQ(::write(master_, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
  }
  // What the terminal showed until `text` appeared (or the timeout).
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (screen_.find(text) == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(master_, buf, sizeof buf);
      if (n <= 0) return screen_.find(text) != std::string::npos;
      screen_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // Its exit status (128+N for signal N), or -1 after the timeout.
  int wait(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        wait_for("\x01never", 200ms);  // what it wrote last
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      wait_for("\x01never", 20ms);  // keeps reading, so it never blocks on a full terminal
    }
    return -1;
  }
  const std::string& screen() const { return screen_; }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  std::string screen_;
};

class AttachTest : public IntegrationTest {
 protected:
  std::string start(std::vector<std::string> args) {
    args.insert(args.begin(), "run");
    auto r = md(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  std::string status_of(const std::string& ref) {
    return md({"inspect", "-f", "{{.State.Status}}", ref}).out;
  }
  static Options with(std::string input, int timeout_s) {
    Options o;
    o.input = std::move(input);
    o.timeout_s = timeout_s;
    return o;
  }
  std::vector<std::string> attach_argv(std::vector<std::string> a) {
    a.insert(a.begin(), {mydocker(), "attach"});
    return a;
  }
  void TearDown() override {
    md({"rm", "-f", "c", "box", "fg"});
    IntegrationTest::TearDown();
  }
};

TEST_F(AttachTest, StdinOfRunDiAndTheExitStatus) {
  start({"-di", "--name", "c", "sh", "-c", "read x; echo got $x; echo oops >&2; exit 7"});
  // Not our stdin's end but the container's exit ends the attach, with its status.
  auto r = md({"attach", "c"}, with("abc\n", 20));
  EXPECT_EQ(r.status, 7) << r.err;
  EXPECT_EQ(r.out, "got abc\n");
  EXPECT_NE(r.err.find("oops"), std::string::npos) << "stderr stays stderr: " << r.err;
  EXPECT_EQ(status_of("c"), "exited\n");
  EXPECT_EQ(md({"logs", "c"}).out, "got abc\n") << "the log has it too";
}

TEST_F(AttachTest, WithoutDashIThereIsNoStdin) {
  // docker: no -i, the container's stdin is /dev/null, and what we type goes nowhere.
  // (A stdin held open would keep cat, and this container, running.)
  start({"-d", "--name", "c", "sh", "-c", "cat; echo cat ended"});
  auto w = md({"wait", "c"}, with("", 20));
  EXPECT_EQ(w.out, "0\n") << w.err;
  EXPECT_EQ(md({"logs", "c"}).out, "cat ended\n");
}

TEST_F(AttachTest, SeveralClientsSeeTheOutputAndTheEnd) {
  start({"-d", "--name", "c", "sh", "-c", "while :; do echo tick; sleep 0.1; done"});
  Background a(attach_argv({"--no-stdin", "c"}), env());
  Background b(attach_argv({"c"}), env());
  ASSERT_TRUE(a.wait_for_output("tick", 10s)) << a.stderr_text();
  ASSERT_TRUE(b.wait_for_output("tick", 10s)) << b.stderr_text();
  EXPECT_EQ(status_of("c"), "running\n");
  ASSERT_EQ(md({"kill", "c"}).status, 0);
  EXPECT_EQ(a.wait(10s), 137) << "SIGKILL: 128+9, the container's status";
  EXPECT_EQ(b.wait(10s), 137);
}

TEST_F(AttachTest, SignalsGoToTheContainerUnlessSigProxyIsOff) {
  // --init: the signal reaches the shell (a PID 1 without a handler ignores it, as in docker).
  start({"-di", "--init", "--name", "c", "sh", "-c",
         "trap 'echo got USR1; exit 5' USR1; while :; do echo tick; sleep 0.2; done"});
  Background off(attach_argv({"--sig-proxy=false", "c"}), env());
  Background on(attach_argv({"c"}), env());
  ASSERT_TRUE(off.wait_for_output("tick", 10s)) << off.stderr_text();
  ASSERT_TRUE(on.wait_for_output("tick", 10s)) << on.stderr_text();
  ::kill(off.pid(), SIGUSR1);
  EXPECT_EQ(off.wait(10s), 128 + SIGUSR1) << "--sig-proxy=false: the signal ends the attach";
  EXPECT_EQ(status_of("c"), "running\n") << "and the container goes on";
  ::kill(on.pid(), SIGUSR1);
  EXPECT_TRUE(on.wait_for_output("got USR1", 10s)) << on.stderr_text();
  EXPECT_EQ(on.wait(10s), 5) << "the container's own status";
}

TEST_F(AttachTest, ATerminalWithItsSizeAndTheDetachKeys) {
  start({"-dit", "--name", "box", "sh"});
  {
    Terminal t(attach_argv({"box"}), env(), 33, 111);
    t.type("stty size; echo mark$((1+2))\n");
    EXPECT_TRUE(t.wait_for("33 111")) << "the window size of our terminal: " << t.screen();
    EXPECT_TRUE(t.wait_for("mark3")) << t.screen();
    t.type("\x10");
    t.type("\x11");
    EXPECT_EQ(t.wait(), 1) << "docker's status after a detach: " << t.screen();
    EXPECT_NE(t.screen().find("read escape sequence"), std::string::npos) << t.screen();
  }
  EXPECT_EQ(status_of("box"), "running\n") << "detached, it goes on";
  {
    // Other keys; a ctrl-p now goes to the shell (it erases nothing: an empty line).
    Terminal t(attach_argv({"--detach-keys", "ctrl-x,a", "box"}), env(), 24, 80);
    t.type("echo again$((2*3))\n");
    EXPECT_TRUE(t.wait_for("again6")) << t.screen();
    t.type(
        "\x18"
        "a");
    EXPECT_EQ(t.wait(), 1) << t.screen();
  }
  {
    Terminal t(attach_argv({"box"}), env(), 24, 80);
    t.type("exit 3\n");
    EXPECT_EQ(t.wait(), 3) << "the shell's exit is the container's, and ours: " << t.screen();
  }
  EXPECT_EQ(status_of("box"), "exited\n");
}

TEST_F(AttachTest, DockersRefusals) {
  start({"-dit", "--name", "box", "sh"});
  auto piped = md({"attach", "box"}, with("echo hi\n", 10));
  EXPECT_EQ(piped.status, 1);
  EXPECT_NE(piped.err.find("the input device is not a TTY"), std::string::npos) << piped.err;
  auto keys = md({"attach", "--detach-keys", "ctrl-1", "box"});
  EXPECT_EQ(keys.status, 125);
  EXPECT_NE(keys.err.find("'ctrl-1' for --detach-keys"), std::string::npos) << keys.err;
  ASSERT_EQ(md({"run", "--name", "c", "true"}).status, 0);
  auto stopped = md({"attach", "c"});
  EXPECT_EQ(stopped.status, 1);
  EXPECT_NE(stopped.err.find("You cannot attach to a stopped container"), std::string::npos)
      << stopped.err;
  ASSERT_EQ(md({"pause", "box"}).status, 0);
  auto paused = md({"attach", "box"});
  EXPECT_EQ(paused.status, 1);
  EXPECT_NE(paused.err.find("unpause it first"), std::string::npos) << paused.err;
  ASSERT_EQ(md({"unpause", "box"}).status, 0);
  Background fg({mydocker(), "run", "--name", "fg", "sh", "-c", "echo up; sleep 30"}, env());
  ASSERT_TRUE(fg.wait_for_output("up", 10s));
  auto foreground = md({"attach", "fg"});
  EXPECT_EQ(foreground.status, 1);
  EXPECT_NE(foreground.err.find("runs in the foreground"), std::string::npos) << foreground.err;
  EXPECT_EQ(md({"attach", "nosuch"}).status, 125);
}

}  // namespace
}  // namespace itest
