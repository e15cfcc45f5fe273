#include "mydocker/cgroup/v2/manager.hpp"

#include <sched.h>
#include <sys/inotify.h>

#include <algorithm>
#include <cerrno>

#include "mydocker/cgroup/common.hpp"
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
  const std::string parent = "/" + std::string(kDefaultCgroupParent);
  if (unified.own_path == "/")
    return {parent, "your cgroup is the root: containers go to " + parent};
  return {parent, "your cgroup " + unified.own_path +
                      " holds processes (this shell, mydocker itself), and cgroup v2 gives "
                      "no controllers to the children of a cgroup with processes (the "
                      "\"no internal processes\" rule): containers go to " +
                      parent + " at the root instead"};
}

Manager::Manager(const Fs& fs, const HostCgroups& host, std::string id,
                 const std::string& cgroup_parent)
    : fs_(fs),
      mount_point_(host.unified->mount_point),
      id_(std::move(id)),
      default_parent_(cgroup_parent.empty()),
      controllers_(make_controllers()) {
  const Hierarchy& unified = *host.unified;
  std::string parent_path;
  if (default_parent_) {
    parent_path = default_placement(unified).parent;
  } else {
    parent_path = resolve_cgroup_parent(unified.own_path, cgroup_parent);
    // A relative parent goes below the caller's cgroup, which holds processes (at least us).
    if (cgroup_parent.front() != '/' && unified.own_path != "/" &&
        has_processes(fs_, unified.own_dir()))
      throw Error("invalid value '" + cgroup_parent +
                  "' for --cgroup-parent: a relative parent goes below your cgroup " +
                  unified.own_path +
                  ", which holds processes, and cgroup v2 gives no controllers below it (the "
                  "\"no internal processes\" rule); use an absolute path such as /" +
                  cgroup_parent);
  }
  parent_dir_ = unified.dir(parent_path);
  dir_ = path_join(parent_dir_, id_);
}

Manager::Manager(const Fs& fs, const CgroupRecord& record, std::string id)
    : fs_(fs), id_(std::move(id)), controllers_(make_controllers()), old_parents_(record.parents) {
  // Only a directory the container made: one its killed create only planned may be another
  // container's, which nothing here may kill, freeze, join or remove.
  const CgroupRecord own = record.claimed();
  dir_ = own.dirs.empty() ? "" : own.dirs.front();
  parent_dir_ = parent_dir(dir_);
  for (const auto& [controller, dir] : own.paths) enable_.push_back(controller);
  made_ = !dir_.empty();
}

std::vector<std::string> Manager::offered() const {
  auto text = fs_.read_if_exists(path_join(mount_point_, "cgroup.controllers"));
  return split(text.value_or(""), " \n");
}

bool Manager::enabled(std::string_view controller) const {
  return std::find(enable_.begin(), enable_.end(), controller) != enable_.end();
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
  planned_ = missing_parents(fs_, mount_point_, parent_dir_);
  const auto have = offered();
  enable_.clear();
  for (const auto& c : controllers_) {
    const std::string name(c->name());
    const bool available = std::find(have.begin(), have.end(), name) != have.end();
    if (c->needed(r) && !available)
      throw Error("the cgroup v2 '" + name + "' controller is not available: " +
                  path_join(mount_point_, "cgroup.controllers") +
                  " does not list it (see `mydocker info`)");
    if (available) enable_.push_back(name);  // every controller offered, for stats and update
  }
}

void Manager::create(const Resources&) {
  // Top-down: each ancestor gives its children the controllers (cgroup.subtree_control), then
  // the next directory is made.
  cgroup::MakeDirHooks hooks;
  hooks.before_child = [&](const std::string& dir) {
    auto on =
        split(fs_.read_if_exists(path_join(dir, "cgroup.subtree_control")).value_or(""), " \n");
    std::string add;
    for (const auto& c : enable_)
      if (std::find(on.begin(), on.end(), c) == on.end()) add += (add.empty() ? "+" : " +") + c;
    if (!add.empty()) fs_.write(path_join(dir, "cgroup.subtree_control"), add);
  };
  cgroup::make_dir(fs_, mount_point_, dir_, created_, hooks);
  made_ = true;
}

void Manager::set(const Resources& r) {
  cgroup::naming_flags([&] {
    for (const auto& c : controllers_)
      if (enabled(c->name())) c->set(fs_, dir_, r);
  });
  // Not a controller on v2: a BPF program attached to the directory.
  if (!r.devices.empty()) attach_device_filter(fs_, dir_, r.devices);
}

void Manager::update(const Resources& r) {
  if (!made_) throw Error("the container has no cgroup, so its limits cannot change");
  // Everything that can be checked before the first write is: nothing changes when it fails.
  std::vector<const Subsystem*> todo;
  for (const auto& c : controllers_) {
    if (!c->needed(r)) continue;
    if (!enabled(c->name()))
      throw Error("the container has no " + std::string(c->name()) +
                  " controller, so its limits cannot change");
    c->check(fs_, dir_, r);
    todo.push_back(c.get());
  }
  // What the kernel alone can refuse (a limit below usage): the writes before it are taken
  // back.
  cgroup::naming_flags([&] {
    cgroup::all_or_nothing(fs_, [&] {
      for (const Subsystem* c : todo) c->set(fs_, dir_, r);
    });
  });
  if (!r.devices.empty()) attach_device_filter(fs_, dir_, r.devices);
}

CgroupJoin Manager::join() const {
  if (dir_.empty()) return {};  // re-opened, and nothing made: no "cgroup.procs" of the cwd's
  return {dir_, {path_join(dir_, "cgroup.procs")}};
}

void Manager::apply(pid_t pid) { controllers_.front()->apply(fs_, dir_, pid); }

void Manager::freeze(bool frozen) {
  if (!made_) {
    if (!frozen) return;  // nothing of the container's can be frozen
    throw Error("the container has no cgroup to freeze");
  }
  const std::string control = path_join(dir_, "cgroup.freeze");
  fs_.write(control, frozen ? "1" : "0");
  cgroup::wait_for_freezer(fs_, path_join(dir_, "cgroup.events"), frozen ? "frozen 1" : "frozen 0",
                           frozen, control, "0");
}

std::vector<pid_t> Manager::pids() const {
  return made_ ? cgroup::read_pids(fs_, dir_) : std::vector<pid_t>{};
}

// No thaw needed, unlike v1's: v2's freezer lets fatal signals through (a frozen task wakes to
// die; cgroup-v2.rst, "Processes in the frozen cgroup can be killed by a fatal signal"), so a
// paused container dies of SIGKILL and of its init's PR_SET_PDEATHSIG as it is.
int Manager::kill_all() {
  if (fs_.dry_run() || !made_ || !fs_.exists(dir_)) return 0;
  return kill_cgroup_procs(fs_, dir_, id_);
}

std::vector<std::string> Manager::destroy() noexcept {
  std::vector<std::string> dirs, parents(created_.rbegin(), created_.rend());
  if (made_) dirs.push_back(dir_);
  if (default_parent_ && (made_ || !created_.empty()) &&
      std::find(created_.begin(), created_.end(), parent_dir_) == created_.end())
    parents.push_back(parent_dir_);
  parents.insert(parents.end(), old_parents_.begin(), old_parents_.end());
  made_ = false;
  created_.clear();
  old_parents_.clear();
  return cgroup::remove_dirs(fs_, dirs, parents, id_);
}

Stats Manager::stats() const {
  Stats out;
  if (!made_) return out;
  for (const auto& c : controllers_) c->stats(fs_, dir_, out);
  return out;
}

std::optional<MemoryStats> Manager::oom_report() const {
  if (!made_) return std::nullopt;
  return Memory::oom_report(fs_, dir_);
}

UniqueFd Manager::oom_watch() {
  if (!made_ || fs_.dry_run()) return UniqueFd();
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  // memory.events is modified (a notification on cgroupfs) when one of its counters moves.
  if (!watch ||
      ::inotify_add_watch(watch.get(), path_join(dir_, "memory.events").c_str(), IN_MODIFY) < 0)
    return UniqueFd();
  ooms_seen_ = read_keyed(fs_, path_join(dir_, "memory.events"))["oom"];
  return watch;
}

uint64_t Manager::oom_events(int watch) {
  char buf[4096];  // inotify's events: only that memory.events changed
  while (::read(watch, buf, sizeof buf) > 0) {
  }
  const uint64_t now = read_keyed(fs_, path_join(dir_, "memory.events"))["oom"];
  return now > ooms_seen_ ? now - std::exchange(ooms_seen_, now) : 0;
}

HostLimits Manager::available() const {
  HostLimits out;
  out.cpus = Cpuset::effective(fs_, parent_dir_, "cpus");
  out.mems = Cpuset::effective(fs_, parent_dir_, "mems");
  return cgroup::with_fallbacks(out);
}

std::map<std::string, std::string> Manager::paths() const {
  std::map<std::string, std::string> out;
  for (const auto& c : enable_) out[c] = dir_;
  return out;
}

CgroupRecord Manager::record() const {
  CgroupRecord r;
  r.driver = CgroupMode::kV2;
  r.paths = paths();
  r.dirs = {dir_};
  if (!made_) r.unmade = {dir_};
  r.parents = planned_;
  if (default_parent_ && std::find(planned_.begin(), planned_.end(), parent_dir_) == planned_.end())
    r.parents.push_back(parent_dir_);
  r.parents.insert(r.parents.end(), old_parents_.begin(), old_parents_.end());
  return r;
}

}  // namespace mydocker::v2
