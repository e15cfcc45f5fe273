#pragma once
// The container's cgroups, one interface for cgroup v1 and v2; make_cgroup_manager() picks.
//
// Life of a container's cgroups:
//   validate(r)  before anything exists: hierarchies present, values the host can take
//   create(r)    mkdir <parent>/<id> (and missing parents)
//   set(r)       write the limits, read them back
//   the container's init joins them before it runs the user's command: it is born in its
//   cgroup (v2: clone3 CLONE_INTO_CGROUP) or joins itself (v1: echo 0 > tasks)
//   destroy()    kill what is left, rmdir (retried), remove the empty default parent

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/cgroup/resources.hpp"
#include "mydocker/cgroup/stats.hpp"
#include "mydocker/util/cpulist.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker {

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;

  // Throws Error when a limit needs a controller the host lacks or a value it cannot take.
  // Decides which controllers the container joins: those its limits need, memory always (for
  // the OOM report), and all of them when `all_controllers` was asked for (--report).
  virtual void validate(const Resources& r) = 0;
  virtual void create(const Resources& r) = 0;
  virtual void set(const Resources& r) = 0;
  // Moves a process in from outside: echo PID > cgroup.procs.
  virtual void apply(pid_t pid) = 0;
  // The files the container's init writes "0" into to join its cgroups itself (v1; see
  // init.cpp for why that is 200 times faster than apply() on an idle host).
  virtual std::vector<std::string> self_join_files() const = 0;
  // v2: the container's cgroup directory, for clone3(CLONE_INTO_CGROUP): the init is born in
  // it. Empty on v1 (no such clone flag). create() and set() then come before the clone.
  virtual std::string clone_into() const { return {}; }
  // SIGKILL every process in the container's cgroups; returns how many were signalled.
  virtual int kill_all() = 0;
  // Removes everything create() made. Never throws: returns what could not be removed.
  [[nodiscard]] virtual std::vector<std::string> destroy() noexcept = 0;
  virtual Stats stats() const = 0;
  // What the OOM killer did: oom_kills, and limit and peak when it killed something. Cheaper
  // than stats() (one read on the way out of every run).
  virtual std::optional<MemoryStats> oom_report() const = 0;
  // The CPUs and memory nodes a container placed here may use (its parent's effective ones).
  virtual HostLimits available() const = 0;
  // Controller name -> the container's cgroup directory.
  virtual std::map<std::string, std::string> paths() const = 0;
  // The container's directories, one per joined hierarchy.
  virtual std::vector<std::string> dirs() const = 0;
  // The parent directories that are ours to remove when empty, deepest first: the ones missing
  // when validate() ran (this run makes them) and the default `mydocker`.
  virtual std::vector<std::string> own_parents() const = 0;
};

// `cgroup_parent` "" is the default (`mydocker` under the caller's cgroup).
std::unique_ptr<CgroupManager> make_cgroup_manager(const Fs& fs, const HostCgroups& host,
                                                   const std::string& id,
                                                   const std::string& cgroup_parent,
                                                   bool all_controllers = false);

// Kills every process listed in `dir`/cgroup.procs, after checking that `dir` is a container's
// own cgroup (its last component is the 64-hex-digit id `id`): a wrong or empty path would read
// the root's cgroup.procs, which lists every process of the host. Returns the number killed.
int kill_cgroup_procs(const Fs& fs, const std::string& dir, const std::string& id);

}  // namespace mydocker
