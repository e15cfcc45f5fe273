#include "mydocker/cgroup/v2/manager.hpp"

#include <sched.h>

#include <algorithm>
#include <cerrno>

#include "mydocker/cgroup/placement.hpp"
#include "mydocker/cgroup/v2/controllers.hpp"
#include "mydocker/cgroup/v2/device_filter.hpp"

namespace mydocker::v2 {
namespace {

bool has_processes(const Fs& fs, const std::string& dir) {
  auto procs = fs.read_if_exists(path_join(dir, "cgroup.procs"));
  return procs && !trim(*procs).empty();
}

}  // namespace

std::vector<std::unique_ptr<Subsystem>> make_controllers() {
  std::vector<std::unique_ptr<Subsystem>> out;
  out.push_back(std::make_unique<Memory>());
  out.push_back(std::make_unique<Cpu>());
  out.push_back(std::make_unique<Cpuset>());
  out.push_back(std::make_unique<Pids>());
  out.push_back(std::make_unique<Io>());
  return out;
}

Placement default_placement(const Hierarchy& unified) {
  if (unified.own_path == "/")
    return {"/mydocker", "your cgroup is the root: containers go to /mydocker"};
  return {"/mydocker", "your cgroup " + unified.own_path +
                           " holds processes (this shell, mydocker itself), and cgroup v2 gives "
                           "no controllers to the children of a cgroup with processes (the "
                           "\"no internal processes\" rule): containers go to /mydocker at the "
                           "root instead"};
}

Manager::Manager(const Fs& fs, const HostCgroups& host, std::string id,
                 const std::string& cgroup_parent, bool all_controllers)
    : fs_(fs),
      unified_(*host.unified),
      id_(std::move(id)),
      default_parent_(cgroup_parent.empty()),
      all_controllers_(all_controllers),
      controllers_(make_controllers()) {
  if (default_parent_) {
    parent_path_ = default_placement(unified_).parent;
  } else {
    parent_path_ = resolve_cgroup_parent(unified_.own_path, cgroup_parent);
    // A relative parent goes below the caller's cgroup, which holds processes (at least us).
    if (cgroup_parent.front() != '/' && unified_.own_path != "/" &&
        has_processes(fs_, unified_.own_dir()))
      throw Error("invalid value '" + cgroup_parent +
                  "' for --cgroup-parent: a relative parent goes below your cgroup " +
                  unified_.own_path +
                  ", which holds processes, and cgroup v2 gives no controllers below it (the "
                  "\"no internal processes\" rule); use an absolute path such as /" +
                  cgroup_parent);
  }
  parent_dir_ = unified_.dir(parent_path_);
  dir_ = path_join(parent_dir_, id_);
}

std::vector<std::string> Manager::offered() const {
  auto text = fs_.read_if_exists(path_join(unified_.mount_point, "cgroup.controllers"));
  return split(text.value_or(""), " \n");
}

void Manager::validate(const Resources& r) {
  // What cgroup v2 has no file for: an error rather than a flag silently dropped.
  if (r.memory_swappiness)
    throw Error("--memory-swappiness is not available on cgroup v2 (no per-cgroup swappiness)");
  if (r.oom_kill_disable)
    throw Error(
        "--oom-kill-disable is not available on cgroup v2 (the OOM killer cannot be "
        "disabled for a cgroup)");
  if (r.cpu_rt_runtime || r.cpu_rt_period)
    throw Error(
        "--cpu-rt-runtime/--cpu-rt-period are not available on cgroup v2 (real-time "
        "group scheduling is v1 only)");
  planned_ = missing_parents(fs_, unified_.mount_point, parent_dir_);
  const auto have = offered();
  enable_.clear();
  for (const auto& c : controllers_) {
    const std::string name(c->name());
    const bool available = std::find(have.begin(), have.end(), name) != have.end();
    if (c->needed(r) && !available)
      throw Error("the cgroup v2 '" + name + "' controller is not available: " +
                  path_join(unified_.mount_point, "cgroup.controllers") +
                  " does not list it (see `mydocker info`)");
    if (available && (c->needed(r) || name == "memory" || all_controllers_))
      enable_.push_back(name);
  }
}

void Manager::create(const Resources&) {
  attempted_ = true;
  // Top-down: each ancestor gives its children the controllers (cgroup.subtree_control), then
  // the next directory is made.
  std::string cur = unified_.mount_point;
  auto enable_in = [&](const std::string& dir) {
    auto on =
        split(fs_.read_if_exists(path_join(dir, "cgroup.subtree_control")).value_or(""), " \n");
    std::string add;
    for (const auto& c : enable_)
      if (std::find(on.begin(), on.end(), c) == on.end()) add += (add.empty() ? "+" : " +") + c;
    if (!add.empty()) fs_.write(path_join(dir, "cgroup.subtree_control"), add);
  };
  const std::vector<std::string> parts =
      split(std::string_view(parent_dir_).substr(unified_.mount_point.size()), "/");
  for (int attempt = 0;; ++attempt) {
    cur = unified_.mount_point;
    for (const auto& part : parts) {
      enable_in(cur);
      cur = path_join(cur, part);
      if (fs_.make_dir(cur) && std::find(created_.begin(), created_.end(), cur) == created_.end())
        created_.push_back(cur);
    }
    enable_in(cur);
    try {
      if (!fs_.make_dir(dir_)) throw Error("cgroup " + dir_ + " already exists");
      made_ = true;
      return;
    } catch (const FsError& e) {
      if (e.err() != ENOENT || attempt >= 4) throw;  // ENOENT: a parent went meanwhile
    }
  }
}

void Manager::set(const Resources& r) {
  for (const auto& c : controllers_)
    if (std::find(enable_.begin(), enable_.end(), std::string(c->name())) != enable_.end())
      c->set(fs_, dir_, r);
  // Not a controller on v2: a BPF program attached to the directory.
  if (!r.devices.empty()) attach_device_filter(fs_, dir_, r.devices);
}

void Manager::apply(pid_t pid) { controllers_.front()->apply(fs_, dir_, pid); }

int Manager::kill_all() {
  if (fs_.dry_run() || !made_) return 0;
  return kill_cgroup_procs(fs_, dir_, id_);
}

std::vector<std::string> Manager::destroy() noexcept {
  std::vector<std::string> problems;
  if (!attempted_) return problems;
  attempted_ = false;
  if (made_) {
    try {
      remove_cgroup_dir(fs_, dir_);
      made_ = false;
    } catch (const std::exception& e) {
      problems.emplace_back(e.what());
    }
  }
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) (void)fs_.remove_dir(*it);
  if (default_parent_ && std::find(created_.begin(), created_.end(), parent_dir_) == created_.end())
    (void)fs_.remove_dir(parent_dir_);
  created_.clear();
  return problems;
}

Stats Manager::stats() const {
  Stats out;
  for (const auto& c : controllers_) c->stats(fs_, dir_, out);
  return out;
}

std::optional<MemoryStats> Manager::oom_report() const { return Memory::oom_report(fs_, dir_); }

HostLimits Manager::available() const {
  HostLimits out;
  out.cpus = Cpuset::effective(fs_, parent_dir_, "cpus");
  out.mems = Cpuset::effective(fs_, parent_dir_, "mems");
  if (out.cpus.empty()) out.cpus = affinity_cpus();
  if (out.mems.empty()) out.mems = {0};
  return out;
}

std::map<std::string, std::string> Manager::paths() const {
  std::map<std::string, std::string> out;
  for (const auto& c : enable_) out[c] = dir_;
  return out;
}

std::vector<std::string> Manager::own_parents() const {
  std::vector<std::string> out = planned_;
  if (default_parent_ && std::find(out.begin(), out.end(), parent_dir_) == out.end())
    out.push_back(parent_dir_);
  return out;
}

}  // namespace mydocker::v2
