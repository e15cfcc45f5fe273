#pragma once
// One controller (memory, cpu, cpuacct, cpuset, ...): small and stateless. The manager calls
// prepare() on parent directories it creates, set() and apply() on the container's directory,
// and remove() at the end. A subsystem skips what the Resources leave unset.

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
  // Readies a parent directory for children (`fresh`: just created, so still empty).
  virtual void prepare(const Fs& /*fs*/, const std::string& /*dir*/, bool /*fresh*/) const {}
  // Writes the limits into the container's directory.
  virtual void set(const Fs& fs, const std::string& dir, const Resources& r) const = 0;
  // Moves a process in: echo PID > cgroup.procs. `pid` <= 0 prints the "$PID" placeholder.
  virtual void apply(const Fs& fs, const std::string& dir, pid_t pid) const;
  // Removes the (empty) directory: rmdir, EINTR retried, EBUSY backed off, ENOENT is done.
  virtual void remove(const Fs& fs, const std::string& dir) const;
  // Adds what this controller accounts to `out`.
  virtual void stats(const Fs& /*fs*/, const std::string& /*dir*/, Stats& /*out*/) const {}
};

// rmdir of a container's cgroup directory: EINTR retried; on EBUSY the processes left in it are
// killed and rmdir retried, backing off from 1 ms doubling to 100 ms, for at most 5 s; ENOENT
// counts as done. Throws FsError, or Error when `dir` is not a container's cgroup.
void remove_cgroup_dir(const Fs& fs, const std::string& dir);
// The directory itself when it exists, else its nearest existing ancestor (for --dry-run, where
// the container's directory is never created).
std::string existing_dir(const Fs& fs, std::string dir);
// The parent directory of a path.
std::string parent_dir(std::string_view dir);
// A cgroup file holding one unsigned number; 0 when missing or unreadable as a number
// ("max" reads as UINT64_MAX).
uint64_t read_u64(const Fs& fs, const std::string& path);

}  // namespace mydocker
