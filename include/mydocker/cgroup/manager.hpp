#pragma once
// A container's cgroups: one interface for cgroup v1 and v2 (in the spirit of runc's
// cgroups.Manager and youki's CgroupManager trait). make_cgroup_manager() picks the driver for
// a new container; open_cgroup_manager() re-opens an existing container's cgroups from the
// record its state keeps. Nothing outside src/cgroup/ knows which driver it talks to.
//
// Life of a container's cgroups:
//   validate(r)  before anything exists: hierarchies present, values the host can take
//   create(r)    mkdir <parent>/<id> (and missing parents; v1 by default <own>/mydocker-<id>),
//                with what a process needs to join it at once (v1: the cpuset's cpus and mems)
//   set(r)       write the other limits, read them back (and the device rules)
//   join()       how the init enters: born inside (v2: clone3 CLONE_INTO_CGROUP) or by writing
//                "0" into files itself (v1: tasks), after create(), while set() runs; its
//                command runs only after set()
//   update(r)    new limits later (runc update: only what r sets), all or nothing
//   destroy()    kill what is left (and thaw it), rmdir (retried), remove the empty parents
//                that are ours

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/cgroup/record.hpp"
#include "mydocker/cgroup/resources.hpp"
#include "mydocker/cgroup/stats.hpp"
#include "mydocker/util/cpulist.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker {

// How a process enters the container's cgroups.
struct CgroupJoin {
  // v2: the container's directory, for clone3(CLONE_INTO_CGROUP): the init is born in it, so
  // create() and set() come before the clone. Empty on v1 (no such clone flag).
  std::string clone_into;
  // Files a process writes "0" into to join itself (v1: each hierarchy's `tasks`, which moves
  // the writing thread without the global lock a parent-side move takes; v2: `cgroup.procs`
  // for exec'd processes and kernels without CLONE_INTO_CGROUP).
  std::vector<std::string> self_files;
};

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;

  // Throws Error when a limit needs a controller the host lacks or a value it cannot take.
  // Records the parents it will make. A container joins every controller the host has.
  virtual void validate(const Resources& r) = 0;
  virtual void create(const Resources& r) = 0;
  virtual void set(const Resources& r) = 0;
  // Writes new limits into the existing cgroups (only what `r` sets), all or nothing: throws
  // Error, before anything is written, when a limit needs a controller the container did not
  // join or a file the kernel lacks; a write the kernel refuses takes back the ones before it.
  virtual void update(const Resources& r) = 0;
  virtual CgroupJoin join() const = 0;
  // Moves a process in from outside: echo PID > cgroup.procs (slow on v1: see CgroupJoin).
  virtual void apply(pid_t pid) = 0;
  // Freezes (pause) or thaws every process and waits until the kernel says it is done.
  virtual void freeze(bool frozen) = 0;
  // The processes in the container's cgroup.
  virtual std::vector<pid_t> pids() const = 0;
  // SIGKILL every process in the container's cgroups, then thaw them if they are frozen (v1: a
  // frozen process never acts on its SIGKILL); returns how many were signalled.
  virtual int kill_all() = 0;
  // Removes everything that is the container's: its directories, and the parents it made when
  // they are empty; a frozen container is killed and thawed first. Never throws: returns what
  // could not be removed.
  [[nodiscard]] virtual std::vector<std::string> destroy() noexcept = 0;
  virtual Stats stats() const = 0;
  // What the OOM killer did: oom_kills, and limit and peak when it killed something. Cheaper
  // than stats() (one read on the way out of every run).
  virtual std::optional<MemoryStats> oom_report() const = 0;
  // A descriptor that turns readable when the container runs out of memory (v1: an eventfd
  // registered on memory.oom_control, signalled before the OOM killer picks its victim; v2:
  // inotify on memory.events, whose counters each notify); -1 without a memory cgroup or in
  // dry-run. oom_events() drains it.
  [[nodiscard]] virtual UniqueFd oom_watch() = 0;
  // How many times the container ran out of memory since the last call (v1: the eventfd's
  // count; v2: memory.events' "oom" since the watch was made), having drained `watch`.
  virtual uint64_t oom_events(int watch) = 0;
  // The CPUs and memory nodes a container placed here may use (its parent's effective ones).
  virtual HostLimits available() const = 0;
  // Whether a container placed here can take an I/O weight (v1: CFQ's blkio.weight or BFQ's
  // blkio.bfq.weight). Asked only when a weight is: a few stats, not on every run's way.
  virtual bool io_weight_supported() const { return true; }
  // Controller name -> the container's cgroup directory.
  virtual std::map<std::string, std::string> paths() const = 0;
  // What the container's state keeps, for open_cgroup_manager() later.
  virtual CgroupRecord record() const = 0;
};

// A new container `id` (64 hex digits) on this host. `cgroup_parent` "" is the default
// (v1: mydocker-<id> in the caller's cgroup; v2: `/mydocker` at the root, see
// v2::default_placement()).
std::unique_ptr<CgroupManager> make_cgroup_manager(const Fs& fs, const HostCgroups& host,
                                                   const std::string& id,
                                                   const std::string& cgroup_parent);
// The cgroups of an existing container, from its record.
std::unique_ptr<CgroupManager> open_cgroup_manager(const Fs& fs, const CgroupRecord& record,
                                                   const std::string& id);

// Whether a container's init on this host is born in its cgroup (cgroup v2: clone3 with
// CLONE_INTO_CGROUP), so it cannot be cloned before its cgroup exists.
bool clones_into_cgroup(const HostCgroups& host);

// Where `prune` looks for container cgroups it has no record of, and how they are named there
// (container_of_cgroup): v1, the caller's own cgroups (mydocker-<id>) and, from mydocker before
// 2026-12-07, their `mydocker` directory (<id>); v2, /mydocker (<id>).
struct ContainerCgroupPlace {
  std::string dir;
  bool prefixed = false;  // mydocker-<id>, else <id>
};
std::vector<ContainerCgroupPlace> default_cgroup_places(const HostCgroups& host);

// Kills every process listed in `dir`/cgroup.procs, after checking that `dir` is a container's
// own cgroup (its last component is `id`, or v1's default mydocker-<id>): a wrong or empty path
// would read the root's cgroup.procs, which lists every process of the host. Returns the number
// killed.
int kill_cgroup_procs(const Fs& fs, const std::string& dir, const std::string& id);
// kill_cgroup_procs, then the cgroups below `dir` that the container made in its own (a
// --privileged one may) go, deepest first, their processes killed. Returns the number killed
// in `dir`.
int clear_container_cgroup(const Fs& fs, const std::string& dir, const std::string& id);

// Whether `pid` is a process of the container `id` (its /proc/PID/cgroup names the id): checked
// before a pid read from a state file is signalled, against pid reuse.
bool pid_in_container(pid_t pid, const std::string& id);

}  // namespace mydocker
