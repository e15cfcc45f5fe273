#pragma once
// The cgroups of a container that already runs, from the paths its state recorded: what
// `stats`, `update`, `pause`, `top` and `stop` act on.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "mydocker/cgroup/resources.hpp"
#include "mydocker/cgroup/stats.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker {

class ExistingCgroups {
 public:
  // `mode` "v1" or "v2"; `paths` controller -> directory; `id` the container's id.
  ExistingCgroups(const Fs& fs, std::string mode, std::map<std::string, std::string> paths,
                  std::string id);

  Stats stats() const;
  // Writes new limits (runc update's semantics: only what `r` sets). Throws Error when a limit
  // needs a controller the container did not join.
  void update(const Resources& r) const;
  // Freezes or thaws every process, and waits until the kernel says it is done.
  void freeze(bool frozen) const;
  // The processes in the container's cgroup.
  std::vector<pid_t> pids() const;
  int kill_all() const;

 private:
  std::string any_dir() const;
  const Fs& fs_;
  std::string mode_;
  std::map<std::string, std::string> paths_;
  std::string id_;
};

// Whether `pid` is a process of the container `id` (its /proc/PID/cgroup names the id): checked
// before a pid read from a state file is signalled, against pid reuse.
bool pid_in_container(pid_t pid, const std::string& id);

}  // namespace mydocker
