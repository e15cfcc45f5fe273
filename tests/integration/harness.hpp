#pragma once
// Runs the built mydocker binary as a user would, with a timeout, and checks that nothing is
// left behind. Root only: every test skips with the reason otherwise.

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace itest {

struct Result {
  int status = -1;  // exit code, 128+N for signal N
  std::string out;
  std::string err;
  bool timed_out = false;
};

struct Options {
  std::string input;                       // written to stdin, then closed
  std::map<std::string, std::string> env;  // added to the environment
  int timeout_s = 60;
  bool extra_fd = false;  // pass an inheritable fd 7 to mydocker (it must not reach the container)
};

// Runs `argv` to completion. A run past its timeout is killed (SIGKILL) and marked timed_out.
Result run(const std::vector<std::string>& argv, const Options& opt = {});

// A process started in the background, its stdout readable line by line.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  ~Background();  // kills and reaps it if still running
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  // Waits until a stdout line contains `text`; false on timeout or EOF.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout);
  // Waits for the exit; returns the status (128+N for signal N), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  // What it wrote to stdout so far (what wait_for_output read, and what is in the pipe).
  std::string stdout_text();
  std::string stderr_text();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::string out_;
  std::string err_;
};

std::string mydocker();
std::string example(const std::string& name);  // path of an examples/ program
// A shell fragment that makes a busybox root filesystem in `dir`: bin/ with Debian's static
// busybox and a link per applet (but `busybox` itself: it is in `--list`), etc/, and tmp/
// (1777). Tests add their own files after it.
std::string busybox_rootfs(const std::string& dir);

// The directories the default --cgroup-parent maps to in this process's hierarchies.
std::vector<std::string> default_parents();
// Every container cgroup (64-hex name) below the default parents, whoever made it.
std::vector<std::string> all_container_cgroups();
bool exists(const std::string& path);
std::string read_file(const std::string& path);
std::vector<std::string> lines(const std::string& text);

// Skips when not root; gives each test its own state root (MYDOCKER_ROOT) and checks at the end
// that the test left no container cgroup and no record behind.
class IntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // mydocker with this test's state root.
  Result md(std::vector<std::string> args, Options opt = {});
  // The test's own state root, and a data root inside it (the seccomp cache, any image):
  // nothing goes to /run/mydocker or /var/lib/mydocker.
  std::map<std::string, std::string> env() const {
    return {{"MYDOCKER_ROOT", root_}, {"MYDOCKER_DATA_ROOT", root_ + "/data"}};
  }
  std::vector<std::string> args(std::vector<std::string> a) const;
  const std::string& root() const { return root_; }
  // Container directories in this test's state root (stopped ones stay until rm or prune).
  std::vector<std::string> records() const;
  // Containers whose supervisor still runs.
  std::vector<std::string> live_records() const;
  // Container cgroups that were not there when the test began: the test's own. Cgroups of
  // other runs (a user's container on the CI host, a crash before this suite) are reported
  // once and left alone: they are not this test's to judge or to remove.
  std::vector<std::string> container_cgroups() const;

 private:
  std::string root_;
  std::set<std::string> cgroups_before_;
  std::set<std::string> old_parents_before_;  // <own cgroup>/mydocker dirs that existed
};

}  // namespace itest
