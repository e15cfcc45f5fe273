#pragma once
// The clone: a child in new UTS, PID, mount and IPC namespaces that re-executes
// `/proc/self/exe init SYNC_FD ERROR_FD`.

#include <signal.h>
#include <sys/types.h>

#include "mydocker/util/fd.hpp"

namespace mydocker {

struct Child {
  pid_t pid = -1;  // -1 once reaped
  UniqueFd pidfd;  // readable when the child exits
};

// `child_mask` is the signal mask the child starts with (the caller's, before it blocked the
// signals it forwards). The child gets PR_SET_PDEATHSIG(SIGKILL): it dies with mydocker.
[[nodiscard]] Child spawn_init(int sync_fd, int error_fd, const sigset_t& child_mask);

// Namespaces as unshare(1) flags, for --trace.
inline constexpr const char* kUnshareTrace =
    "unshare --uts --pid --mount --ipc --fork /proc/self/exe init";

}  // namespace mydocker
