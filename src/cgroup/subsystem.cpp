#include "mydocker/cgroup/subsystem.hpp"

#include <dirent.h>
#include <time.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <limits>
#include <thread>

#include "mydocker/cgroup/manager.hpp"

namespace mydocker {

void Subsystem::apply(const Fs& fs, const std::string& dir, pid_t pid) const {
  fs.write(path_join(dir, "cgroup.procs"), pid > 0 ? std::to_string(pid) : "$PID");
}

void remove_cgroup_dir(const Fs& fs, const std::string& dir, const std::string& id) {
  // A cgroup whose last process just died can stay busy for a moment while the kernel
  // finishes releasing it: back off from 1 ms doubling to 100 ms, for at most 5 s.
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  std::chrono::microseconds delay(1000);
  bool cleared = false;
  for (;;) {
    int err = fs.remove_dir(dir);
    if (err == 0) return;
    // ENOTEMPTY: what a plain directory says where the kernel says EBUSY (child cgroups); no
    // release is pending there, so once cleared it is final.
    if ((err != EBUSY && (err != ENOTEMPTY || cleared)) || Clock::now() > deadline)
      throw FsError(err, "rmdir", dir);
    cleared = true;
    // Busy: processes are left, or cgroups the container made in its own (kill them and remove
    // those; this checks `dir` is a container's own cgroup), or the last ones are still being
    // released.
    (void)clear_container_cgroup(fs, dir, id);
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::microseconds(100'000));
  }
}

std::vector<std::string> missing_parents(const Fs& fs, const std::string& base,
                                         const std::string& parent) {
  std::vector<std::string> out;
  if (parent.size() <= base.size()) return out;
  std::string cur = base;
  for (const auto& part : split(std::string_view(parent).substr(base.size()), "/")) {
    cur = path_join(cur, part);
    if (!fs.exists(cur)) out.insert(out.begin(), cur);
  }
  return out;
}

std::string parent_dir(std::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  size_t slash = dir.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(dir.substr(0, slash));
}

std::string existing_dir(const Fs& fs, std::string dir) {
  while (!fs.exists(dir) && dir != "/" && dir != ".") dir = parent_dir(dir);
  return dir;
}

bool has_file(const Fs& fs, const std::string& dir, const std::string& file) {
  const std::string probe = existing_dir(fs, dir);
  if (fs.exists(path_join(probe, file))) return true;
  if (probe == dir) return false;  // the directory itself says no
  // --dry-run: `dir` was never made. Its nearest existing ancestor may be a root, which lacks
  // files every child has (v2 memory.swap.max, io.weight; v1 blkio.bfq.weight): ask the
  // cgroups that exist beside it.
  DIR* d = ::opendir(probe.c_str());
  if (!d) return false;
  bool found = false;
  while (dirent* e = ::readdir(d))
    if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
        fs.exists(path_join(path_join(probe, e->d_name), file))) {
      found = true;
      break;
    }
  ::closedir(d);
  return found;
}

std::map<std::string, uint64_t> read_keyed(const Fs& fs, const std::string& path) {
  auto text = fs.read_if_exists(path);
  return text ? parse_flat_keyed(*text) : std::map<std::string, uint64_t>{};
}

uint64_t read_u64(const Fs& fs, const std::string& path) {
  auto text = fs.read_if_exists(path);
  if (!text) return 0;
  auto v = trim(*text);
  if (v == "max") return std::numeric_limits<uint64_t>::max();
  uint64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

}  // namespace mydocker
