#pragma once
// What the v1 and v2 drivers share, written once: making a cgroup directory with its missing
// parents (and the retry when a concurrent run removes an empty parent meanwhile), removing a
// container's directories and the parents that are its own, waiting for the freezer, reading
// pids, and the fallback for the CPUs and memory nodes a container may use.

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "mydocker/cgroup/resources.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker::cgroup {

struct MakeDirHooks {
  // Before a directory's child is made (v2: give the child the controllers).
  std::function<void(const std::string& dir)> before_child;
  // On each parent on the way made just now (v1: ready a new cpuset).
  std::function<void(const std::string& dir)> on_new_parent;
};

// Makes `dir` and the directories between `base` (exists) and it. The parents made are added
// to `created` (outermost first). A concurrent run may rmdir an empty parent between our mkdirs
// (ENOENT): the walk starts again from `base`, five times at most. Throws Error when `dir`
// exists already, FsError on other failures.
void make_dir(const Fs& fs, const std::string& base, const std::string& dir,
              std::vector<std::string>& created, const MakeDirHooks& hooks);

// Removes each of `dirs`, container `id`'s (remove_cgroup_dir: killing what is left in it,
// retried), then each of `parents` when empty (EBUSY: another container still uses it). Never
// throws: returns what could not be removed.
std::vector<std::string> remove_dirs(const Fs& fs, const std::vector<std::string>& dirs,
                                     const std::vector<std::string>& parents,
                                     const std::string& id) noexcept;

// Waits until `file` shows `want` (freezing takes a moment: FREEZING), at most 5 s; throws
// Error naming `file` otherwise. A freeze that does not finish is undone first (`thaw` written
// into `control`): a failed pause leaves the container running, not half frozen, where no
// signal, SIGKILL included, would reach it. `nudge`, when given, runs before each look with the
// look's number (v1's freezer needs its FROZEN written again: see v1::Manager::freeze).
void wait_for_freezer(const Fs& fs, const std::string& file, const std::string& want, bool frozen,
                      const std::string& control, const std::string& thaw,
                      const std::function<void(int)>& nudge = {});

// The flag that writes a cgroup file ("--pids-limit" for pids.max), "" for none.
std::string_view flag_of_file(std::string_view file);

// Runs `writes` (limits written into cgroup files); a value the kernel refuses (an FsError of a
// write) becomes an Error that names the flag behind the file first, then the write.
void naming_flags(const std::function<void()>& writes);

// The pids in `dir`/cgroup.procs.
std::vector<pid_t> read_pids(const Fs& fs, const std::string& dir);

// Runs `writes` (limits written into several cgroup files in turn, `update`'s) all or nothing:
// when one throws, every file written before it gets back what it held (WriteJournal) before
// the error goes up. An undo the kernel refuses too is added to the error.
void all_or_nothing(const Fs& fs, const std::function<void()>& writes);

// `limits` with what a parent did not say filled in: the CPUs we may run on, memory node 0.
HostLimits with_fallbacks(HostLimits limits);

}  // namespace mydocker::cgroup
