#include "integration/harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/cgroup/placement.hpp"
#include "mydocker/util/fs.hpp"

namespace itest {
namespace {

using Clock = std::chrono::steady_clock;

int decode_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            int in_fd, int out_fd, int err_fd, bool extra_fd) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  dup2(in_fd, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  if (extra_fd) {
    int fd = open("/dev/null", O_RDONLY);  // no O_CLOEXEC: inheritable
    dup2(fd, 7);
  }
  setpgid(0, 0);
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

void drain(int fd, std::string& into) {
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) into.append(buf, static_cast<size_t>(n));
}

}  // namespace

std::string mydocker() { return MYDOCKER_BIN; }
std::string busybox_rootfs(const std::string& dir) {
  return "mkdir -p " + dir + "/bin " + dir + "/etc " + dir + "/tmp && cp /bin/busybox " + dir +
         "/bin/ && for a in $(/bin/busybox --list); do [ $a = busybox ] || ln -s busybox " + dir +
         "/bin/$a; done && chmod 1777 " + dir + "/tmp; ";
}
std::string example(const std::string& name) {
  return std::string(MYDOCKER_EXAMPLES_DIR) + "/" + name;
}

Result run(const std::vector<std::string>& argv, const Options& opt) {
  int in[2], out[2], err[2];
  EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
  pid_t pid = spawn(argv, opt.env, in[0], out[1], err[1], opt.extra_fd);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!opt.input.empty()) (void)!write(in[1], opt.input.data(), opt.input.size());
  close(in[1]);
  Result r;
  auto deadline = Clock::now() + std::chrono::seconds(opt.timeout_s);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    for (int i = 0; i < 2; ++i) {
      if (!fds[i].revents) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0)
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EAGAIN)
        (i == 0 ? out_open : err_open) = false;
    }
  }
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = decode_status(st);
  close(out[0]);
  close(err[0]);
  return r;
}

Background::Background(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env) {
  int out[2], err[2];
  EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_ = spawn(argv, env, null, out[1], err[1], false);
  close(null);
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
}

Background::~Background() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close(out_fd_);
  close(err_fd_);
}

bool Background::wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (out_.find(text) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) return out_.find(text) != std::string::npos;
    out_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

int Background::wait(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return decode_status(st);
    }
    usleep(10000);
  }
  return -1;
}

std::string Background::stdout_text() {
  fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  drain(out_fd_, out_);
  return out_;
}

std::string Background::stderr_text() {
  fcntl(err_fd_, F_SETFL, O_NONBLOCK);
  drain(err_fd_, err_);
  return err_;
}

std::vector<std::string> default_parents() {
  mydocker::Fs fs;
  auto host = mydocker::detect_host_cgroups(fs);
  std::vector<std::string> out;
  for (const auto& h : host.v1)
    for (const char* c : {"memory", "cpu", "cpuacct", "cpuset"})
      if (h.has(c)) {
        out.push_back(h.dir(mydocker::resolve_cgroup_parent(h.own_path, "")));
        break;
      }
  return out;
}

std::vector<std::string> all_container_cgroups() {
  static const std::regex id("mydocker-[0-9a-f]{64}");  // v1's default (cgroup/placement.hpp)
  std::vector<std::string> out;
  for (const auto& parent : default_parents()) {
    DIR* d = opendir(parent.c_str());
    if (!d) continue;
    while (dirent* e = readdir(d))
      if (std::regex_match(e->d_name, id)) out.push_back(parent + "/" + e->d_name);
    closedir(d);
  }
  return out;
}

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

void IntegrationTest::SetUp() {
  if (geteuid() != 0)
    GTEST_SKIP() << "integration tests need root: they create cgroups and namespaces "
                    "(run scripts/test.sh as root)";
  const auto before = all_container_cgroups();
  cgroups_before_.insert(before.begin(), before.end());
  for (const auto& p : default_parents())
    if (exists(p + "/mydocker")) old_parents_before_.insert(p + "/mydocker");
  static bool told = false;
  if (!before.empty() && !told) {
    told = true;
    std::fprintf(stderr,
                 "note: %zu container cgroup(s) not made by these tests exist (e.g. %s); "
                 "the tests check only their own (`mydocker prune` with the right --root "
                 "removes leftovers)\n",
                 before.size(), before.front().c_str());
  }
  char tmpl[] = "/tmp/mydocker-itest-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  root_ = tmpl;
}

void IntegrationTest::TearDown() {
  if (root_.empty()) return;
  // Networking tests run in namespaces of their own: nothing of mydocker's may appear in the
  // host's network namespace (a bridge, the nft table).
  const std::string links = run({"ip", "-o", "link"}).out;
  EXPECT_EQ(links.find("mydocker0"), std::string::npos) << "a bridge in the host's namespace";
  EXPECT_EQ(links.find(" mdv"), std::string::npos) << "a veth in the host's namespace";
  EXPECT_NE(run({"nft", "list", "table", "ip", "mydocker"}).status, 0)
      << "mydocker's nft table in the host's namespace";
  auto live = live_records();
  for (const auto& id : live) run({mydocker(), "--root", root_, "rm", "-f", id});
  EXPECT_TRUE(live.empty()) << live.size() << " container(s) still running at the end";
  auto left = container_cgroups();
  if (!left.empty()) {
    // Clean up for the next test, then fail this one.
    run({mydocker(), "--root", root_, "prune"});
    ADD_FAILURE() << "left behind: " << left.size() << " container cgroup(s), e.g. "
                  << left.front();
  }
  // v1 containers sit right in the caller's cgroup (mydocker-<id>): no shared parent may appear.
  for (const auto& p : default_parents()) {
    if (!old_parents_before_.count(p + "/mydocker")) {
      EXPECT_FALSE(exists(p + "/mydocker")) << "a parent " << p << "/mydocker was made";
    }
  }
  run({"rm", "-rf", root_});
}

std::vector<std::string> IntegrationTest::args(std::vector<std::string> a) const {
  a.insert(a.begin(), mydocker());
  return a;
}

Result IntegrationTest::md(std::vector<std::string> a, Options opt) {
  opt.env["MYDOCKER_ROOT"] = root_;
  opt.env.emplace("MYDOCKER_DATA_ROOT", root_ + "/data");  // unless the test chose one
  return run(args(std::move(a)), opt);
}

std::vector<std::string> IntegrationTest::container_cgroups() const {
  std::vector<std::string> out;
  for (auto& c : all_container_cgroups())
    if (!cgroups_before_.count(c)) out.push_back(std::move(c));
  return out;
}

std::vector<std::string> IntegrationTest::records() const {
  static const std::regex id("(\\.tmp-)?[0-9a-f]{64}");
  std::vector<std::string> out;
  DIR* d = opendir(root_.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d))
    if (std::regex_match(e->d_name, id)) out.push_back(e->d_name);
  closedir(d);
  return out;
}

std::vector<std::string> IntegrationTest::live_records() const {
  std::vector<std::string> out;
  for (const auto& r : records()) {
    int fd = open((root_ + "/" + r + "/supervisor.lock").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0) out.push_back(r);
    close(fd);
  }
  return out;
}

}  // namespace itest
