#include "mydocker/cgroup/v1/manager.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "mydocker/cgroup/common.hpp"
#include "mydocker/cgroup/placement.hpp"
#include "mydocker/cgroup/v1/blkio.hpp"
#include "mydocker/cgroup/v1/cpu.hpp"
#include "mydocker/cgroup/v1/cpuacct.hpp"
#include "mydocker/cgroup/v1/cpuset.hpp"
#include "mydocker/cgroup/v1/devices.hpp"
#include "mydocker/cgroup/v1/freezer.hpp"
#include "mydocker/cgroup/v1/memory.hpp"
#include "mydocker/cgroup/v1/pids.hpp"
#include "mydocker/util/trace.hpp"

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

bool Manager::Joined::has(std::string_view controller) const {
  return std::any_of(subsystems.begin(), subsystems.end(),
                     [&](const Subsystem* s) { return s->name() == controller; });
}

Manager::Manager(const Fs& fs, const HostCgroups& host, std::string id,
                 const std::string& cgroup_parent)
    : fs_(fs), id_(std::move(id)), subsystems_(make_subsystems()) {
  // The default: mydocker-<id> in the caller's own cgroup (placement.hpp).
  const std::string leaf = cgroup_parent.empty() ? default_cgroup_name(id_) : id_;
  const bool absolute = !cgroup_parent.empty() && cgroup_parent.front() == '/';
  std::vector<const Hierarchy*> hierarchies;
  for (const auto& s : subsystems_) {
    const Hierarchy* h = host.v1_hierarchy(s->name());
    if (!h) continue;  // validate() fails if a requested limit needs it
    auto same = std::find(hierarchies.begin(), hierarchies.end(), h);
    if (same != hierarchies.end()) {  // co-mounted, e.g. cpu,cpuacct: one directory
      joined_[static_cast<size_t>(same - hierarchies.begin())].subsystems.push_back(s.get());
      continue;
    }
    hierarchies.push_back(h);
    Joined j;
    j.subsystems = {s.get()};
    j.base_dir = absolute ? h->dir("/") : h->own_dir();
    j.parent_dir = h->dir(resolve_cgroup_parent(h->own_path, cgroup_parent));
    j.dir = path_join(j.parent_dir, leaf);
    joined_.push_back(std::move(j));
  }
}

Manager::Manager(const Fs& fs, const CgroupRecord& record, std::string id)
    : fs_(fs), id_(std::move(id)), subsystems_(make_subsystems()), old_parents_(record.parents) {
  // Only the directories the container made: one its killed create only planned may be another
  // container's, which nothing here may kill, freeze, join or remove.
  const CgroupRecord own = record.claimed();
  for (const auto& s : subsystems_) {
    auto it = own.paths.find(std::string(s->name()));
    if (it == own.paths.end()) continue;
    auto same = std::find_if(joined_.begin(), joined_.end(),
                             [&](const Joined& j) { return j.dir == it->second; });
    if (same != joined_.end()) {
      same->subsystems.push_back(s.get());
      continue;
    }
    Joined j;
    j.subsystems = {s.get()};
    j.dir = it->second;
    j.parent_dir = j.base_dir = parent_dir(j.dir);
    j.made = true;
    joined_.push_back(std::move(j));
  }
}

void Manager::validate(const Resources& r) {
  for (const auto& s : subsystems_)
    if (s->needed(r) && !find(s->name()))
      throw Error("the cgroup v1 '" + std::string(s->name()) + "' hierarchy is not mounted, and " +
                  std::string(flag_for(s->name())) + " needs it (see `mydocker info`)");
  // Every container joins every hierarchy mounted: `stats`, `--report`, `update` and `pause`
  // see and act on all of it, foreground or detached.
  for (auto& j : joined_) j.planned = missing_parents(fs_, j.base_dir, j.parent_dir);
  if (!find("memory"))
    throw Error("no cgroup v1 memory hierarchy is mounted (see `mydocker info`)");
}

void Manager::create_one(Joined& j, const Resources& r) {
  cgroup::MakeDirHooks hooks;
  // Only directories of our own get prepared: the parents this run makes.
  hooks.on_new_parent = [&](const std::string& dir) {
    for (const Subsystem* s : j.subsystems) s->prepare(fs_, dir, r);
  };
  cgroup::make_dir(fs_, j.base_dir, j.dir, j.created, hooks);
  j.made = true;
  // Joinable at once: the init may join while set() writes the other limits.
  for (const Subsystem* s : j.subsystems)
    if (s->set_before_join()) s->set_made(fs_, j.dir, r);
}

void Manager::create(const Resources& r) {
  cgroup::naming_flags([&] {
    for (auto& j : joined_) create_one(j, r);
  });
}

void Manager::set(const Resources& r) {
  cgroup::naming_flags([&] {
    for (const auto& j : joined_)
      for (const Subsystem* s : j.subsystems)
        if (!s->set_before_join()) s->set(fs_, j.dir, r);  // those went with create()
  });
}

void Manager::update(const Resources& r) {
  // Everything that can be checked before the first write is: nothing changes when it fails.
  std::vector<std::pair<const Subsystem*, std::string>> todo;
  for (const auto& s : subsystems_) {
    if (!s->needed(r)) continue;
    const Joined* j = find(s->name());
    if (!j || !j->made)
      throw Error("the container has no " + std::string(s->name()) + " cgroup, so " +
                  std::string(flag_for(s->name())) + " cannot change");
    s->check(fs_, j->dir, r);
    todo.emplace_back(s.get(), j->dir);
  }
  // What the kernel alone can refuse (a limit below usage, a cpuset a child cgroup still
  // uses): the writes before it are taken back.
  cgroup::naming_flags([&] {
    cgroup::all_or_nothing(fs_, [&] {
      for (const auto& [s, dir] : todo) s->set(fs_, dir, r);
    });
  });
}

CgroupJoin Manager::join() const {
  CgroupJoin out;
  for (const auto& dir : dirs()) out.self_files.push_back(path_join(dir, "tasks"));
  return out;
}

void Manager::apply(pid_t pid) {
  for (const auto& j : joined_) j.subsystems.front()->apply(fs_, j.dir, pid);
}

void Manager::freeze(bool frozen) {
  const Joined* j = find("freezer");
  if (!j && !frozen) return;  // nothing of the container's can be frozen
  if (!j)
    throw Error(
        "the container has no freezer cgroup (the freezer hierarchy is not mounted; see "
        "`mydocker info`)");
  const std::string file = path_join(j->dir, "freezer.state");
  fs_.write(file, frozen ? "FROZEN" : "THAWED");
  if (!frozen) return cgroup::wait_for_freezer(fs_, file, "THAWED", false, file, "THAWED");
  // v1's freezer signals each task once, at the write: a task that misses it (one forked or
  // moved in just then, or asleep where it cannot be frozen) keeps the cgroup FREEZING for
  // good. Each FROZEN written again signals every task not yet frozen; now and then a short
  // thaw lets a task out of where it was stuck (runc's loop does the same). A pause of a shell
  // forking `sleep` in a loop failed after 5 s without it, once in a suite run.
  cgroup::wait_for_freezer(fs_, file, "FROZEN", true, file, "THAWED", [&](int look) {
    if (look == 0) return;
    if (look % 50 == 49) {
      fs_.write(file, "THAWED");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    fs_.write(file, "FROZEN");
  });
}

std::vector<pid_t> Manager::pids() const {
  const Joined* j = find("memory");
  if (!j) j = joined_.empty() ? nullptr : &joined_.front();
  return j ? cgroup::read_pids(fs_, j->dir) : std::vector<pid_t>{};
}

int Manager::kill_joined() {
  int killed = 0;
  for (const auto& j : joined_)
    if (j.made && fs_.exists(j.dir)) killed += kill_cgroup_procs(fs_, j.dir, id_);
  return killed;
}

bool Manager::frozen() const {
  const Joined* j = find("freezer");
  if (!j || !j->made) return false;
  const auto state = fs_.read_if_exists(path_join(j->dir, "freezer.state"));
  return state && trim(*state) != "THAWED";  // FROZEN, or FREEZING half-way
}

// v1's freezer stops a task in the kernel (D state): a SIGKILL stays pending until it is thawed,
// so a paused container would never die and its cgroups never go. Written after the kill: the
// signals are queued first, so nothing of the container runs again (runc's order too).
void Manager::thaw() {
  const std::string file = path_join(find("freezer")->dir, "freezer.state");
  fs_.write(file, "THAWED");
  cgroup::wait_for_freezer(fs_, file, "THAWED", false, file, "THAWED");
}

int Manager::kill_all() {
  if (fs_.dry_run()) return 0;
  const int killed = kill_joined();
  if (frozen()) thaw();
  return killed;
}

std::vector<std::string> Manager::destroy() noexcept {
  // A frozen container (paused, and its supervisor killed) is killed, then thawed, first: its
  // processes could not die otherwise (see thaw()). One read of freezer.state otherwise.
  if (!fs_.dry_run()) try {
      if (frozen()) {
        (void)kill_joined();
        thaw();
      }
    } catch (const std::exception&) {  // rmdir below says what is left
    }
  // The PID namespace is gone once its init is reaped, so the directories are normally empty
  // and rmdir just works; remove_cgroup_dir kills what is left (a process that joined the
  // cgroup without the namespace) when rmdir says EBUSY.
  std::vector<std::string> dirs, parents;
  for (auto& j : joined_) {
    if (j.made) dirs.push_back(j.dir);
    // Parents this run made go when empty (EBUSY: another container still uses them).
    parents.insert(parents.end(), j.created.rbegin(), j.created.rend());
    j.made = false;
    j.created.clear();
  }
  parents.insert(parents.end(), old_parents_.begin(), old_parents_.end());
  old_parents_.clear();
  return cgroup::remove_dirs(fs_, dirs, parents, id_);
}

Stats Manager::stats() const {
  Stats out;
  for (const auto& j : joined_)
    for (const Subsystem* s : j.subsystems) s->stats(fs_, j.dir, out);
  return out;
}

const Manager::Joined* Manager::find(std::string_view controller) const {
  for (const auto& j : joined_)
    if (j.has(controller)) return &j;
  return nullptr;
}

std::vector<std::string> Manager::dirs() const {
  std::vector<std::string> out;
  for (const auto& j : joined_) out.push_back(j.dir);
  return out;
}

std::optional<MemoryStats> Manager::oom_report() const {
  const Joined* j = find("memory");
  if (!j) return std::nullopt;
  return Memory::oom_report(fs_, j->dir);
}

UniqueFd Manager::oom_watch() {
  const Joined* j = find("memory");
  if (!j || fs_.dry_run()) return UniqueFd();
  UniqueFd event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  UniqueFd control(::open(path_join(j->dir, "memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC));
  if (!event || !control) return UniqueFd();
  // cgroup-v1/memory.rst: "<event_fd> <fd of memory.oom_control>" (the kernel keeps the eventfd).
  // A kernel without it (v1 events are deprecated) runs the container all the same: its OOM
  // kills are still reported when it ends.
  trace::emit(
      "# the OOM watch: an eventfd and memory.oom_control, both descriptors of mydocker's, "
      "named to the kernel below (a shell cannot hand them over: the line is not for "
      "typing)");
  try {
    fs_.write(path_join(j->dir, "cgroup.event_control"),
              std::to_string(event.get()) + " " + std::to_string(control.get()));
  } catch (const FsError&) {
    return UniqueFd();
  }
  return event;
}

uint64_t Manager::oom_events(int watch) {
  uint64_t count = 0;  // an eventfd's counter: notifications since the last read (then 0)
  return ::read(watch, &count, sizeof count) == sizeof count ? count : 0;
}

HostLimits Manager::available() const {
  HostLimits out;
  if (const Joined* j = find("cpuset")) {
    const std::string parent = existing_dir(fs_, j->parent_dir);
    out.cpus = Cpuset::effective(fs_, parent, "cpus");
    out.mems = Cpuset::effective(fs_, parent, "mems");
  }
  return cgroup::with_fallbacks(out);
}

bool Manager::io_weight_supported() const {
  const Joined* j = find("blkio");
  return j && Blkio::has_weight(fs_, existing_dir(fs_, j->parent_dir));
}

std::map<std::string, std::string> Manager::paths() const {
  std::map<std::string, std::string> out;
  for (const auto& j : joined_)
    for (const Subsystem* s : j.subsystems) out[std::string(s->name())] = j.dir;
  return out;
}

CgroupRecord Manager::record() const {
  CgroupRecord r;
  r.driver = CgroupMode::kV1;
  r.paths = paths();
  r.dirs = dirs();
  for (const auto& j : joined_) {
    r.parents.insert(r.parents.end(), j.planned.begin(), j.planned.end());
    if (!j.made) r.unmade.push_back(j.dir);
  }
  r.parents.insert(r.parents.end(), old_parents_.begin(), old_parents_.end());
  return r;
}

}  // namespace mydocker::v1
