#pragma once
// The clone: a child in new UTS, PID, mount and IPC namespaces that re-executes
// `/proc/self/exe init SYNC_FD ERROR_FD`.

#include <signal.h>
#include <sys/types.h>

#include <array>
#include <string>

#include "mydocker/util/fd.hpp"

namespace mydocker {

struct Child {
  pid_t pid = -1;  // -1 once reaped
  UniqueFd pidfd;  // readable when the child exits
  bool born_in_cgroup = false;  // clone3(CLONE_INTO_CGROUP) put it in its cgroup
};

// `child_mask` is the signal mask the child starts with (the caller's, before it blocked the
// signals it forwards). The child gets PR_SET_PDEATHSIG(SIGKILL): it dies with mydocker.
// With `cgroup_dir` (cgroup v2) the child is born in that cgroup (clone3 CLONE_INTO_CGROUP,
// Linux 5.7+); where the kernel refuses that, born_in_cgroup is false and the caller moves it.
// `stdio` are the fds the child gets as 0, 1 and 2 (-1: ours).
[[nodiscard]] Child spawn_init(int sync_fd, int error_fd, const sigset_t& child_mask,
                               const std::string& cgroup_dir = {},
                               std::array<int, 3> stdio = {-1, -1, -1});

// The clone as a shell line, for --trace.
std::string unshare_trace(const std::string& cgroup_dir);

}  // namespace mydocker
