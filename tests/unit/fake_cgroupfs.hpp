#pragma once
// Test helpers shared by the unit tests: a temp directory, a fake cgroup v1 and cgroup2 "kernel"
// on top of it (FakeCgroupFs), a fixture that builds a HostCgroups whose mount points are in the
// temp dir, and a capture of --trace output through a pipe.
//
// Nothing here touches the real /sys/fs/cgroup: every path is under a mkdtemp directory.
//
// A value written through Fs::write must read back as that value, as on cgroupfs: tests read
// the files back, and Fs::write_verified does too. The order of writes is checked through the
// trace lines ("+ echo V > P").

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker::test {

// A fresh directory under $TMPDIR (or /tmp). The caller removes it (remove_tree).
inline std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/mydocker-unit-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

inline void remove_tree(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// A temp directory for one test, removed when it goes out of scope.
class TempDir {
 public:
  TempDir() : path_(make_temp_dir()) {}
  ~TempDir() { remove_tree(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Creates or truncates `path` (the test's own hand, not the code under test).
inline void put_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << content;
}

// The wall clock as the code under test reads it (CLOCK_REALTIME, to the nanosecond), in seconds.
// Not time(2): that reads the kernel's coarse clock, up to a tick behind, so a time taken in
// the first milliseconds of a second could lie a whole second after it.
inline double realtime_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Whether something (a symlink itself, not followed) is at `path`.
inline bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

inline std::string get_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A cgroup file's value as the kernel shows it, without the trailing newline.
inline std::string value_of(const std::string& path) { return std::string(trim(get_file(path))); }

inline bool is_dir(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

// Every path under `dir` with its content ("" for directories), to compare trees before and
// after an operation that must change nothing.
inline std::map<std::string, std::string> snapshot_tree(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string p = e.path().string();
    out[p] = e.is_directory() ? std::string("<dir>") : get_file(p);
  }
  return out;
}

// A fake cgroup v1 kernel. Each hierarchy is mounted at <root>/<mount name>, and the mount name
// says which controllers it carries: "memory", "cpu", "cpuacct", "cpuset", or co-mounted
// "cpu,cpuacct". mkdir fills in the interface files the kernel would create for those
// controllers; rmdir first removes them (cgroupfs removes a cgroup with its files), but only
// when the cgroup has no child cgroups, so rmdir of a busy parent fails as on the kernel.
class FakeCgroupFs : public Fs {
 public:
  explicit FakeCgroupFs(std::string root, bool dry_run = false)
      : Fs(dry_run), root_(std::move(root)) {}

  // Without swap accounting (swapaccount=0) memory cgroups have no memory.memsw.* files (v1)
  // and no memory.swap.* files (v2).
  void set_swap_accounting(bool on) { swap_accounting_ = on; }
  bool swap_accounting() const { return swap_accounting_; }

  // Creates <root>/<mount_name> as the root cgroup of a cgroup2 hierarchy offering
  // `controllers` (its cgroup.controllers, "cpuset cpu io memory pids" by default), populated
  // like a real v2 root: no controller interface files beyond cpu.stat, io.stat, memory.stat
  // and cpuset.{cpus,mems}.effective ("0-3", "0"), an empty cgroup.subtree_control.
  //
  // Below it, mkdir creates the core files (cgroup.procs, cgroup.kill, cgroup.freeze,
  // cgroup.events, cgroup.controllers, cgroup.subtree_control) and the interface files of the
  // controllers the parent's cgroup.subtree_control enables. That file is an ordinary file here:
  // it reads back what was last written, so "+memory +cpu" (what mydocker writes) and
  // "memory cpu" (what the kernel shows) both count as enabling memory and cpu.
  void add_v2_root(const std::string& mount_name,
                   const std::string& controllers = kAllV2Controllers) const {
    const std::string dir = root_ + "/" + mount_name;
    std::filesystem::create_directories(dir);
    put_file(dir + "/cgroup.controllers", controllers + "\n");
    put_file(dir + "/cgroup.subtree_control", "");
    put_file(dir + "/cgroup.procs", "");
    put_file(dir + "/cgroup.threads", "");
    put_file(dir + "/cgroup.max.depth", "max\n");
    put_file(dir + "/cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
    put_file(dir + "/io.stat", "");
    put_file(dir + "/memory.stat", "anon 0\nfile 0\ninactive_file 0\n");
    if (has_word(controllers, "cpuset")) {
      put_file(dir + "/cpuset.cpus.effective", "0-3\n");
      put_file(dir + "/cpuset.mems.effective", "0\n");
    }
  }

  // Whether `path` is in a cgroup2 hierarchy of this fake (its mount's root has
  // cgroup.controllers, which no v1 root here has).
  bool in_v2(const std::string& path) const {
    const std::string mount = mount_of(path);
    return !mount.empty() && std::filesystem::exists(mount + "/cgroup.controllers");
  }

  // The controllers a cgroup.subtree_control text enables: "+memory +cpu" or "memory cpu".
  static std::vector<std::string> enabled_in(const std::string& subtree_control) {
    std::vector<std::string> out;
    std::stringstream in(subtree_control);
    for (std::string w; in >> w;) {
      if (w.front() == '-') continue;
      out.push_back(w.front() == '+' ? w.substr(1) : w);
    }
    return out;
  }

  static inline const std::string kAllV2Controllers = "cpuset cpu io memory pids";

  // Creates <root>/<mount_name> as a hierarchy's root cgroup, populated like a real root
  // (cpuset root: cpus "0-3", mems "0").
  void add_root(const std::string& mount_name) const {
    const std::string dir = root_ + "/" + mount_name;
    std::filesystem::create_directories(dir);
    populate(dir, /*is_root=*/true);
  }

  // The mount point of the hierarchy `path` is in ("" when outside the fake tree).
  std::string mount_of(const std::string& path) const {
    if (path.compare(0, root_.size() + 1, root_ + "/") != 0) return {};
    std::string rest = path.substr(root_.size() + 1);
    return root_ + "/" + rest.substr(0, rest.find('/'));
  }

  // The controllers of the v1 hierarchy `path` is in ({} when outside the fake tree).
  std::vector<std::string> controllers_of(const std::string& path) const {
    if (path.compare(0, root_.size() + 1, root_ + "/") != 0) return {};
    std::string rest = path.substr(root_.size() + 1);
    std::string mount = rest.substr(0, rest.find('/'));
    std::vector<std::string> out;
    std::stringstream in(mount);
    for (std::string c; std::getline(in, c, ',');) out.push_back(c);
    return out;
  }

 protected:
  void on_dir_created(const std::string& path) const override {
    if (in_v2(path))
      populate_v2(path);
    else
      populate(path, false);
  }

  void on_dir_removing(const std::string& path) const override {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
      if (e.is_directory()) return;  // child cgroups: the kernel says EBUSY, the files stay
      files.push_back(e.path());
    }
    for (const auto& f : files) std::filesystem::remove(f, ec);
  }

 private:
  void populate(const std::string& dir, bool is_root) const {
    auto controllers = controllers_of(dir);
    if (controllers.empty()) return;
    put_file(dir + "/cgroup.procs", "");
    put_file(dir + "/tasks", "");
    for (const auto& c : controllers) {
      if (c == "memory") {
        put_file(dir + "/memory.limit_in_bytes", "9223372036854771712\n");
        if (swap_accounting_)
          put_file(dir + "/memory.memsw.limit_in_bytes", "9223372036854771712\n");
        put_file(dir + "/memory.soft_limit_in_bytes", "9223372036854771712\n");
        put_file(dir + "/memory.swappiness", "60\n");
        put_file(dir + "/memory.usage_in_bytes", "0\n");
        put_file(dir + "/memory.max_usage_in_bytes", "0\n");
        put_file(dir + "/memory.failcnt", "0\n");
        put_file(dir + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
      } else if (c == "cpu") {
        put_file(dir + "/cpu.cfs_period_us", "100000\n");
        put_file(dir + "/cpu.cfs_quota_us", "-1\n");
        put_file(dir + "/cpu.shares", "1024\n");
        put_file(dir + "/cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
      } else if (c == "cpuacct") {
        put_file(dir + "/cpuacct.usage", "0\n");
        put_file(dir + "/cpuacct.stat", "user 0\nsystem 0\n");
      } else if (c == "devices") {
        put_file(dir + "/devices.allow", "");
        put_file(dir + "/devices.deny", "");
        put_file(dir + "/devices.list", "a *:* rwm\n");
      } else if (c == "freezer") {
        put_file(dir + "/freezer.state", "THAWED\n");
      } else if (c == "pids") {
        put_file(dir + "/pids.max", "max\n");
        put_file(dir + "/pids.current", "0\n");
      } else if (c == "cpuset") {
        // A new v1 cpuset cgroup starts empty; the root holds the host's CPUs and nodes.
        put_file(dir + "/cpuset.cpus", is_root ? "0-3\n" : "");
        put_file(dir + "/cpuset.mems", is_root ? "0\n" : "");
        put_file(dir + "/cpuset.effective_cpus", is_root ? "0-3\n" : "");
      }
    }
  }

  static bool has_word(const std::string& text, const std::string& word) {
    std::stringstream in(text);
    for (std::string w; in >> w;)
      if (w == word) return true;
    return false;
  }

  static std::string read_or_empty(const std::string& path) {
    std::error_code ec;
    return std::filesystem::exists(path, ec) ? get_file(path) : std::string();
  }

  // A new cgroup2 directory, as the kernel fills it: see add_v2_root().
  void populate_v2(const std::string& dir) const {
    const std::string parent = std::filesystem::path(dir).parent_path().string();
    const auto enabled = enabled_in(read_or_empty(parent + "/cgroup.subtree_control"));
    std::string controllers;
    for (const auto& c : enabled) controllers += (controllers.empty() ? "" : " ") + c;
    put_file(dir + "/cgroup.procs", "");
    put_file(dir + "/cgroup.kill", "");
    put_file(dir + "/cgroup.freeze", "0\n");
    put_file(dir + "/cgroup.events", "populated 0\nfrozen 0\n");
    put_file(dir + "/cgroup.controllers", controllers + "\n");
    put_file(dir + "/cgroup.subtree_control", "");
    for (const auto& c : enabled) {
      if (c == "memory") {
        put_file(dir + "/memory.max", "max\n");
        put_file(dir + "/memory.low", "0\n");
        put_file(dir + "/memory.current", "0\n");
        put_file(dir + "/memory.peak", "0\n");
        put_file(dir + "/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
        put_file(dir + "/memory.stat", "anon 0\nfile 0\ninactive_file 0\n");
        if (swap_accounting_) {
          put_file(dir + "/memory.swap.max", "max\n");
          put_file(dir + "/memory.swap.current", "0\n");
        }
      } else if (c == "cpu") {
        put_file(dir + "/cpu.max", "max 100000\n");
        put_file(dir + "/cpu.weight", "100\n");
        put_file(dir + "/cpu.stat",
                 "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\n"
                 "throttled_usec 0\n");
      } else if (c == "cpuset") {
        // Empty means "the parent's"; the effective sets are inherited.
        put_file(dir + "/cpuset.cpus", "");
        put_file(dir + "/cpuset.mems", "");
        put_file(dir + "/cpuset.cpus.effective", read_or_empty(parent + "/cpuset.cpus.effective"));
        put_file(dir + "/cpuset.mems.effective", read_or_empty(parent + "/cpuset.mems.effective"));
      } else if (c == "devices") {
        put_file(dir + "/devices.allow", "");
        put_file(dir + "/devices.deny", "");
        put_file(dir + "/devices.list", "a *:* rwm\n");
      } else if (c == "freezer") {
        put_file(dir + "/freezer.state", "THAWED\n");
      } else if (c == "pids") {
        put_file(dir + "/pids.max", "max\n");
        put_file(dir + "/pids.current", "0\n");
        put_file(dir + "/pids.peak", "0\n");
      } else if (c == "io") {
        put_file(dir + "/io.max", "");
        put_file(dir + "/io.weight", "default 100\n");
        put_file(dir + "/io.stat", "");
      }
    }
  }

  std::string root_;
  bool swap_accounting_ = true;
};

// --trace output captured through a pipe. Restores the defaults (off, fd 2) when destroyed.
class TraceCapture {
 public:
  TraceCapture() : pipe_(make_pipe()) {
    ::fcntl(pipe_.read.get(), F_SETFL, O_NONBLOCK);
    trace::set_fd(pipe_.write.get());
    trace::set_enabled(true);
  }
  ~TraceCapture() {
    trace::set_enabled(false);
    trace::set_fd(2);
  }
  TraceCapture(const TraceCapture&) = delete;
  TraceCapture& operator=(const TraceCapture&) = delete;

  // Everything written so far, as it was written.
  std::string text() {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(pipe_.read.get(), buf, sizeof buf);
      if (n > 0) {
        text_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;  // EAGAIN: drained
    }
    return text_;
  }

  // The lines written so far, without their "\n".
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    std::stringstream in(text());
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }

 private:
  Pipe pipe_;
  std::string text_;
};

// Index of the first line equal to `line` in `lines`, or -1.
inline int index_of(const std::vector<std::string>& lines, const std::string& line) {
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i] == line) return static_cast<int>(i);
  return -1;
}

// A fixture owning a temp dir with a fake cgroup tree, and the mountinfo and /proc/self/cgroup
// text describing it, for host_cgroups_from().
class FakeCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = make_temp_dir();
    fs_ = std::make_unique<FakeCgroupFs>(root_);
  }
  void TearDown() override {
    fs_.reset();
    remove_tree(root_);
  }

  // A cgroup v1 hierarchy mounted at <root>/<mount_name>; the caller sits in `own`, whose
  // directories are created as cgroups. `controllers` as in /proc/self/cgroup ("cpu,cpuacct",
  // "name=systemd"); the mount name defaults to the controllers.
  void add_v1(const std::string& controllers, const std::string& own = "/",
              std::string mount_name = "") {
    if (mount_name.empty()) mount_name = controllers;
    const int id = next_id_++;
    fs_->add_root(mount_name);
    const std::string mount_point = root_ + "/" + mount_name;
    mountinfo_ += std::to_string(100 + id) + " 31 0:" + std::to_string(40 + id) + " / " +
                  mount_point + " rw,nosuid,nodev,noexec,relatime shared:" + std::to_string(id) +
                  " - cgroup cgroup rw," + controllers + "\n";
    proc_cgroup_ += std::to_string(id) + ":" + controllers + ":" + own + "\n";
    make_cgroup_dirs(mount_point, own);
  }

  // A cgroup2 mount at <root>/unified, the caller in `own`.
  void add_v2(const std::string& own = "/") {
    const std::string mount_point = root_ + "/unified";
    std::filesystem::create_directories(mount_point);
    mountinfo_ += "99 31 0:99 / " + mount_point +
                  " rw,nosuid,nodev,noexec,relatime shared:99 - cgroup2 cgroup2 rw,nsdelegate\n";
    proc_cgroup_ += "0::" + own + "\n";
  }

  // A cgroup2 mount at <root>/<mount_name> (a pure v2 host when it is the only mount) offering
  // `controllers`, the caller in `own`. `delegated`: the controllers enabled in the
  // cgroup.subtree_control of the root and of each ancestor of `own` (as systemd does), so that
  // `own` has their files; "" leaves every subtree_control empty.
  void add_cgroup2(const std::string& own = "/",
                   const std::string& controllers = FakeCgroupFs::kAllV2Controllers,
                   const std::string& delegated = "", const std::string& mount_name = "cg2") {
    fs_->add_v2_root(mount_name, controllers);
    const std::string mount_point = root_ + "/" + mount_name;
    mountinfo_ += "30 23 0:26 / " + mount_point +
                  " rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
                  "rw,nsdelegate,memory_recursiveprot\n";
    proc_cgroup_ += "0::" + own + "\n";
    make_cgroup_dirs(mount_point, own, delegated);
  }

  // This machine's layout: cpu and cpuacct mounted apart, cpuset, memory (the caller in
  // /process_api/abc), name=systemd, and cgroup2 at .../unified (hybrid).
  void add_hybrid_layout(const std::string& memory_own = "/process_api/abc") {
    add_v1("cpu");
    add_v1("cpuacct");
    add_v1("cpuset");
    add_v1("memory", memory_own);
    add_v1("name=systemd", "/", "systemd");
    add_v2();
  }

  HostCgroups host() const { return host_cgroups_from(mountinfo_, proc_cgroup_); }

  std::string path(const std::string& rel) const { return root_ + "/" + rel; }

  // mkdir -p of a cgroup path below a mount point, through a (non-dry) fake so each directory
  // gets its interface files (with fs_'s swap accounting). On cgroup2, a non-empty `delegated`
  // is first written into the cgroup.subtree_control of each directory that gets a child.
  void make_cgroup_dirs(const std::string& mount_point, const std::string& cgroup_path,
                        const std::string& delegated = "") {
    FakeCgroupFs maker(root_);
    maker.set_swap_accounting(fs_->swap_accounting());
    std::string cur = mount_point;
    std::stringstream in(cgroup_path);
    for (std::string part; std::getline(in, part, '/');) {
      if (part.empty()) continue;
      if (!delegated.empty()) put_file(cur + "/cgroup.subtree_control", delegated + "\n");
      cur += "/" + part;
      (void)maker.make_dir(cur);
    }
  }

  std::string root_;
  std::unique_ptr<FakeCgroupFs> fs_;
  std::string mountinfo_;
  std::string proc_cgroup_;
  int next_id_ = 1;
};

// 64 hex digits, like a container id.
inline const std::string kId = "3f2a9c8e1b7d4e6fa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d";
inline const std::string kOtherId =
    "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

}  // namespace mydocker::test
