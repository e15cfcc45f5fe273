#include "mydocker/cgroup/common.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <thread>
#include <utility>

#include "mydocker/cgroup/subsystem.hpp"
#include "mydocker/util/cpulist.hpp"

namespace mydocker::cgroup {

void make_dir(const Fs& fs, const std::string& base, const std::string& dir,
              std::vector<std::string>& created, const MakeDirHooks& hooks) {
  const std::string parent = parent_dir(dir);
  const auto parts = parent.size() > base.size()
                         ? split(std::string_view(parent).substr(base.size()), "/")
                         : std::vector<std::string>{};
  // A concurrent run may rmdir an empty parent at any point of the walk, even between its
  // mkdir and a write into it (ENOENT): start again from the base.
  for (int attempt = 0;; ++attempt) {
    try {
      std::string cur = base;
      for (const auto& part : parts) {
        if (hooks.before_child) hooks.before_child(cur);
        cur = path_join(cur, part);
        const bool fresh = fs.make_dir(cur);
        if (fresh && std::find(created.begin(), created.end(), cur) == created.end())
          created.push_back(cur);
        if (fresh && hooks.on_new_parent) hooks.on_new_parent(cur);
      }
      if (hooks.before_child) hooks.before_child(cur);
      if (!fs.make_dir(dir)) throw Error("cgroup " + dir + " already exists");
      return;
    } catch (const FsError& e) {
      if (e.err() != ENOENT || attempt >= 4) throw;
    }
  }
}

std::vector<std::string> remove_dirs(const Fs& fs, const std::vector<std::string>& dirs,
                                     const std::vector<std::string>& parents,
                                     const std::string& id) noexcept {
  std::vector<std::string> problems;
  for (const auto& dir : dirs) {
    try {
      remove_cgroup_dir(fs, dir, id);
    } catch (const std::exception& e) {
      problems.emplace_back(e.what());
    }
  }
  for (const auto& p : parents) (void)fs.remove_dir(p);  // when empty
  return problems;
}

void wait_for_freezer(const Fs& fs, const std::string& file, const std::string& want, bool frozen,
                      const std::string& control, const std::string& thaw,
                      const std::function<void(int)>& nudge) {
  for (int i = 0; i < 500; ++i) {
    if (nudge) nudge(i);
    auto now = fs.read_if_exists(file).value_or("");
    if (now.find(want) != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (frozen) try {
      fs.write(control, thaw);
    } catch (const Error&) {  // the error below says what failed
    }
  throw Error("the kernel did not finish " + std::string(frozen ? "freezing" : "thawing") + " " +
              file);
}

std::string_view flag_of_file(std::string_view file) {
  static constexpr std::pair<std::string_view, std::string_view> kFlags[] = {
      {"memory.limit_in_bytes", "-m"},
      {"memory.max", "-m"},
      {"memory.memsw.limit_in_bytes", "--memory-swap"},
      {"memory.swap.max", "--memory-swap"},
      {"memory.soft_limit_in_bytes", "--memory-reservation"},
      {"memory.low", "--memory-reservation"},
      {"memory.swappiness", "--memory-swappiness"},
      {"memory.oom_control", "--oom-kill-disable"},
      {"cpu.cfs_period_us", "--cpus/--cpu-period"},
      {"cpu.cfs_quota_us", "--cpus/--cpu-quota"},
      {"cpu.max", "--cpus/--cpu-quota"},
      {"cpu.shares", "--cpu-shares"},
      {"cpu.weight", "--cpu-shares"},
      {"cpu.rt_period_us", "--cpu-rt-period"},
      {"cpu.rt_runtime_us", "--cpu-rt-runtime"},
      {"cpuset.cpus", "--cpuset-cpus"},
      {"cpuset.mems", "--cpuset-mems"},
      {"pids.max", "--pids-limit"},
      {"blkio.weight", "--blkio-weight"},
      {"blkio.bfq.weight", "--blkio-weight"},
      {"io.weight", "--blkio-weight"},
      {"io.bfq.weight", "--blkio-weight"},
      {"blkio.throttle.read_bps_device", "--device-read-bps"},
      {"blkio.throttle.write_bps_device", "--device-write-bps"},
      {"blkio.throttle.read_iops_device", "--device-read-iops"},
      {"blkio.throttle.write_iops_device", "--device-write-iops"},
      {"io.max", "--device-read/write-bps/iops"},
      {"devices.allow", "--device/--device-cgroup-rule"},
  };
  for (const auto& [name, flag] : kFlags)
    if (name == file) return flag;
  return {};
}

void naming_flags(const std::function<void()>& writes) {
  try {
    writes();
  } catch (const FsError& e) {
    const std::string& path = e.path();
    const auto flag = flag_of_file(std::string_view(path).substr(path.rfind('/') + 1));
    if (flag.empty() || e.value().empty()) throw;
    throw Error(std::string(flag) + ": the kernel refused the value \"" + e.value() + "\" (" +
                e.what() + ")");
  }
}

std::vector<pid_t> read_pids(const Fs& fs, const std::string& dir) {
  std::vector<pid_t> out;
  const auto text = fs.read_if_exists(path_join(dir, "cgroup.procs")).value_or("");
  for (const auto& line : split(text, "\n")) {
    pid_t pid = 0;
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
    if (ec == std::errc() && pid > 0) out.push_back(pid);
  }
  return out;
}

void all_or_nothing(const Fs& fs, const std::function<void()>& writes) {
  WriteJournal journal(fs);
  try {
    writes();
  } catch (const std::exception& e) {
    const auto left = journal.undo();
    if (left.empty()) throw;  // as it was: the error says what failed
    std::string text = std::string(e.what()) + "; what was written before it could not all be " +
                       "put back: " + left.front();
    for (size_t i = 1; i < left.size(); ++i) text += "; " + left[i];
    throw Error(text);
  }
}

HostLimits with_fallbacks(HostLimits limits) {
  if (limits.cpus.empty()) limits.cpus = affinity_cpus();
  if (limits.mems.empty()) limits.mems = {0};
  return limits;
}

}  // namespace mydocker::cgroup
