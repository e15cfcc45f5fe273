#include "mydocker/cgroup/v1/manager.hpp"

#include <sched.h>

#include <algorithm>
#include <cerrno>

#include "mydocker/cgroup/placement.hpp"
#include "mydocker/cgroup/v1/blkio.hpp"
#include "mydocker/cgroup/v1/cpu.hpp"
#include "mydocker/cgroup/v1/cpuacct.hpp"
#include "mydocker/cgroup/v1/cpuset.hpp"
#include "mydocker/cgroup/v1/devices.hpp"
#include "mydocker/cgroup/v1/freezer.hpp"
#include "mydocker/cgroup/v1/memory.hpp"
#include "mydocker/cgroup/v1/pids.hpp"

namespace mydocker::v1 {
namespace {

// What each controller is needed for, for the "not mounted" error.
std::string_view flag_for(std::string_view controller) {
  if (controller == "memory") return "a memory limit (-mem, --memory-swap, ...)";
  if (controller == "cpu") return "a CPU limit (-cpu, --cpus, -cpushare, --cpu-quota, ...)";
  if (controller == "cpuset") return "a CPU or memory-node set (-cpuset, --cpuset-mems)";
  if (controller == "pids") return "a process limit (--pids-limit)";
  if (controller == "blkio") return "an I/O limit (--blkio-weight, --device-*-bps/iops)";
  if (controller == "devices")
    return "the device rules (every container has them: a device node in an image must not "
           "reach the host's device)";
  return "a limit";
}

}  // namespace

std::vector<std::unique_ptr<Subsystem>> make_subsystems() {
  std::vector<std::unique_ptr<Subsystem>> out;
  out.push_back(std::make_unique<Memory>());
  out.push_back(std::make_unique<Cpu>());
  out.push_back(std::make_unique<Cpuacct>());
  out.push_back(std::make_unique<Cpuset>());
  out.push_back(std::make_unique<Pids>());
  out.push_back(std::make_unique<Blkio>());
  out.push_back(std::make_unique<Freezer>());
  out.push_back(std::make_unique<Devices>());
  return out;
}

Manager::Manager(const Fs& fs, const HostCgroups& host, std::string id,
                 const std::string& cgroup_parent, bool all_controllers)
    : fs_(fs),
      host_(host),
      id_(std::move(id)),
      default_parent_(cgroup_parent.empty()),
      all_controllers_(all_controllers),
      subsystems_(make_subsystems()) {
  const bool absolute = !cgroup_parent.empty() && cgroup_parent.front() == '/';
  for (const auto& s : subsystems_) {
    const Hierarchy* h = host_.v1_hierarchy(s->name());
    if (!h) continue;  // validate() fails if a requested limit needs it
    auto same = std::find_if(joined_.begin(), joined_.end(),
                             [&](const Joined& j) { return j.hierarchy == h; });
    if (same != joined_.end()) {  // co-mounted, e.g. cpu,cpuacct: one directory
      same->subsystems.push_back(s.get());
      continue;
    }
    Joined j;
    j.hierarchy = h;
    j.subsystems = {s.get()};
    j.base_dir = absolute ? h->dir("/") : h->own_dir();
    j.parent_dir = h->dir(resolve_cgroup_parent(h->own_path, cgroup_parent));
    j.dir = path_join(j.parent_dir, id_);
    joined_.push_back(std::move(j));
  }
}

void Manager::validate(const Resources& r) {
  for (const auto& s : subsystems_)
    if (s->needed(r) && !host_.v1_hierarchy(s->name()))
      throw Error("the cgroup v1 '" + std::string(s->name()) + "' hierarchy is not mounted, and " +
                  std::string(flag_for(s->name())) + " needs it (see `mydocker info`)");
  // A container joins the hierarchies its limits need and memory (the OOM report): each more
  // costs a mkdir and an rmdir on the way. --report wants the accounting of all of them.
  for (auto& j : joined_)
    j.selected = all_controllers_ || j.hierarchy->has("memory") ||
                 std::any_of(j.subsystems.begin(), j.subsystems.end(),
                             [&](const Subsystem* s) { return s->needed(r); });
  for (auto& j : joined_)
    if (j.selected) j.planned = missing_parents(fs_, j.base_dir, j.parent_dir);
  if (std::none_of(joined_.begin(), joined_.end(), [](const Joined& j) { return j.selected; }))
    throw Error("no cgroup v1 memory hierarchy is mounted (see `mydocker info`)");
}

void Manager::create_one(Joined& j, const Resources& r) {
  j.attempted = true;
  // A concurrent run may rmdir an empty default parent between our mkdir of the parent and of
  // the container's directory (ENOENT): start again from the base.
  for (int attempt = 0;; ++attempt) {
    std::string cur = j.base_dir;
    for (const auto& part : split(j.parent_dir.substr(j.base_dir.size()), "/")) {
      cur = path_join(cur, part);
      bool fresh = fs_.make_dir(cur);
      if (fresh && std::find(j.created.begin(), j.created.end(), cur) == j.created.end())
        j.created.push_back(cur);
      // Only directories of our own: new ones, and the default parent (named mydocker).
      if (fresh || (default_parent_ && cur == j.parent_dir))
        for (const Subsystem* s : j.subsystems) s->prepare(fs_, cur, fresh, r);
    }
    try {
      if (!fs_.make_dir(j.dir)) throw Error("cgroup " + j.dir + " already exists");
      j.made = true;
      return;
    } catch (const FsError& e) {
      if (e.err() != ENOENT || attempt >= 4) throw;
    }
  }
}

void Manager::create(const Resources& r) {
  for (auto& j : joined_)
    if (j.selected) create_one(j, r);
}

void Manager::set(const Resources& r) {
  for (const auto& j : joined_)
    if (j.selected)
      for (const Subsystem* s : j.subsystems) s->set(fs_, j.dir, r);
}

void Manager::apply(pid_t pid) {
  for (const auto& j : joined_)
    if (j.selected) j.subsystems.front()->apply(fs_, j.dir, pid);
}

std::vector<std::string> Manager::self_join_files() const {
  std::vector<std::string> out;
  for (const auto& dir : dirs()) out.push_back(path_join(dir, "tasks"));
  return out;
}

int Manager::kill_all() {
  int killed = 0;
  if (fs_.dry_run()) return 0;
  for (const auto& j : joined_)
    if (j.made) killed += kill_cgroup_procs(fs_, j.dir, id_);
  return killed;
}

std::vector<std::string> Manager::destroy() noexcept {
  std::vector<std::string> problems;
  // The PID namespace is gone once its init is reaped, so the directories are normally empty
  // and rmdir just works; remove() kills what is left (a process that joined the cgroup
  // without the namespace) when rmdir says EBUSY.
  for (auto& j : joined_) {
    if (!j.attempted) continue;
    j.attempted = false;
    if (j.made) {
      try {
        j.subsystems.front()->remove(fs_, j.dir);
        j.made = false;
      } catch (const std::exception& e) {
        problems.emplace_back(e.what());
      }
    }
    // Parents go when empty (EBUSY: another container still uses them). The default parent is
    // tried even when another run made it: that run may have ended while we were inside.
    for (auto it = j.created.rbegin(); it != j.created.rend(); ++it) (void)fs_.remove_dir(*it);
    if (default_parent_ &&
        std::find(j.created.begin(), j.created.end(), j.parent_dir) == j.created.end())
      (void)fs_.remove_dir(j.parent_dir);
    j.created.clear();
  }
  return problems;
}

Stats Manager::stats() const {
  Stats out;
  for (const auto& j : joined_)
    if (j.selected)
      for (const Subsystem* s : j.subsystems) s->stats(fs_, j.dir, out);
  return out;
}

const Manager::Joined* Manager::find(std::string_view controller) const {
  for (const auto& j : joined_)
    if (j.hierarchy->has(controller)) return &j;
  return nullptr;
}

std::optional<MemoryStats> Manager::oom_report() const {
  const Joined* j = find("memory");
  if (!j || !j->selected) return std::nullopt;
  return Memory::oom_report(fs_, j->dir);
}

HostLimits Manager::available() const {
  HostLimits out;
  if (const Joined* j = find("cpuset")) {
    const std::string parent = existing_dir(fs_, j->parent_dir);
    out.cpus = Cpuset::effective(fs_, parent, "cpus");
    out.mems = Cpuset::effective(fs_, parent, "mems");
  }
  if (out.cpus.empty()) out.cpus = affinity_cpus();
  if (out.mems.empty()) out.mems = {0};
  return out;
}

std::map<std::string, std::string> Manager::paths() const {
  std::map<std::string, std::string> out;
  for (const auto& j : joined_)
    if (j.selected)
      for (const Subsystem* s : j.subsystems) out[std::string(s->name())] = j.dir;
  return out;
}

std::vector<std::string> Manager::dirs() const {
  std::vector<std::string> out;
  for (const auto& j : joined_)
    if (j.selected) out.push_back(j.dir);
  return out;
}

std::vector<std::string> Manager::own_parents() const {
  std::vector<std::string> out;
  for (const auto& j : joined_) {
    if (!j.selected) continue;
    out.insert(out.end(), j.planned.begin(), j.planned.end());
    if (default_parent_ &&
        std::find(j.planned.begin(), j.planned.end(), j.parent_dir) == j.planned.end())
      out.push_back(j.parent_dir);
  }
  return out;
}

}  // namespace mydocker::v1
