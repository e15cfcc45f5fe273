#pragma once
// One controller (memory, cpu, cpuacct, cpuset, pids, blkio/io): small and stateless. The
// manager calls prepare() on the parent directories that are its own, set() on the container's
// directory, apply() to move a process in from outside, remove() at the end, and stats(). A
// subsystem skips what the Resources leave unset.

#include <sys/types.h>

#include <string>
#include <string_view>

#include "mydocker/cgroup/resources.hpp"
#include "mydocker/cgroup/stats.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker {

class Subsystem {
 public:
  virtual ~Subsystem() = default;

  // The controller's name as the kernel spells it.
  virtual std::string_view name() const = 0;
  // True when `r` asks for something only this controller does: its hierarchy is then required.
  virtual bool needed(const Resources& r) const = 0;
  // Readies a parent directory this run has just made (so still empty) for children.
  virtual void prepare(const Fs& /*fs*/, const std::string& /*dir*/, const Resources& /*r*/) const {
  }
  // Throws Error when `r` asks for something the kernel has no interface file for in `dir` (a
  // swap limit without swap accounting, a weight without a weight file...). set() checks it
  // too; `update` asks every controller first, so that nothing is written when one would fail.
  virtual void check(const Fs& /*fs*/, const std::string& /*dir*/, const Resources& /*r*/) const {}
  // Writes the limits into the container's directory, and reads them back.
  virtual void set(const Fs& fs, const std::string& dir, const Resources& r) const = 0;
  // True when a process cannot join the directory before set() (v1 cpuset: ENOSPC while empty):
  // the manager then sets it as soon as it is made (set_made), before the init may join.
  virtual bool set_before_join() const { return false; }
  // set() of a directory create() has just made, so still empty: nothing to read back first.
  virtual void set_made(const Fs& fs, const std::string& dir, const Resources& r) const {
    set(fs, dir, r);
  }
  // Moves a process in: echo PID > cgroup.procs. `pid` <= 0 prints the "$PID" placeholder.
  virtual void apply(const Fs& fs, const std::string& dir, pid_t pid) const;
  // Adds what this controller accounts to `out`.
  virtual void stats(const Fs& /*fs*/, const std::string& /*dir*/, Stats& /*out*/) const {}
};

// rmdir of container `id`'s cgroup directory: EINTR retried; on EBUSY the processes left in it
// are killed and the cgroups it made below its own removed (clear_container_cgroup, which
// checks `dir` is that container's own) and rmdir retried, backing
// off from 1 ms doubling to 100 ms, for at most 5 s; ENOENT counts as done. Throws FsError, or
// Error when `dir` is not the container's cgroup.
void remove_cgroup_dir(const Fs& fs, const std::string& dir, const std::string& id);
// The directory itself when it exists, else its nearest existing ancestor (for --dry-run, where
// the container's directory is never created).
std::string existing_dir(const Fs& fs, std::string dir);
// Whether a cgroup interface file exists for `dir` (probed in the nearest existing directory).
bool has_file(const Fs& fs, const std::string& dir, const std::string& file);
// The directories between `base` (exists) and `parent` (its descendant) that do not exist yet,
// deepest first: the parents a container placed in `parent` is about to make. They are
// recorded before they are made, so that `prune` can remove them (when empty) after a run that
// was killed, and never a parent it did not make.
std::vector<std::string> missing_parents(const Fs& fs, const std::string& base,
                                         const std::string& parent);
// The parent directory of a path.
std::string parent_dir(std::string_view dir);
// A cgroup file holding one unsigned number; 0 when missing or unreadable as a number
// ("max" reads as UINT64_MAX).
uint64_t read_u64(const Fs& fs, const std::string& path);
// A "key value" file as a map; empty when missing.
std::map<std::string, uint64_t> read_keyed(const Fs& fs, const std::string& path);

}  // namespace mydocker
