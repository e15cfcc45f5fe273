#pragma once
// The clone: a child in new UTS, PID, mount and IPC namespaces that re-executes
// `/proc/self/exe init SYNC_FD ERROR_FD`.

#include <signal.h>
#include <sys/types.h>

#include <array>
#include <string>
#include <vector>

#include "mydocker/init/protocol.hpp"
#include "mydocker/util/fd.hpp"

namespace mydocker {

struct Child {
  pid_t pid = -1;               // -1 once reaped
  UniqueFd pidfd;               // readable when the child exits
  bool born_in_cgroup = false;  // clone3(CLONE_INTO_CGROUP) put it in its cgroup
};

struct SpawnOptions {
  // cgroup v2: the child is born in this cgroup (clone3 CLONE_INTO_CGROUP, Linux 5.7+); where
  // the kernel refuses that, born_in_cgroup is false and the caller moves it.
  std::string cgroup_dir;
  std::array<int, 3> stdio{-1, -1, -1};  // the child's fds 0, 1, 2 (-1: ours)
  bool new_net = true;                   // a network namespace of its own (not --net host)
  // mydocker exec: only a mount namespace of its own (for the read-only re-exec); the caller
  // has joined the container's other namespaces, so the child is born in its PID namespace.
  bool joining = false;
  // --userns private: a user namespace of its own too. The child waits for one byte on the
  // sync socket: the parent's sign that it wrote the id maps (write_id_maps).
  bool userns = false;
  // run: the init's configuration. The child is a copy of us (clone3 without CLONE_VM) that
  // runs the init from memory (run_init), without exec; it reads no configuration from the
  // sync socket. Without it (exec) the child re-executes `mydocker init` from a read-only bind
  // mount of our binary and reads its configuration from the socket.
  InitConfig* init = nullptr;
  // mydocker oci, run --uts/--pid/--ipc: exactly these CLONE_NEW* flags; -1: docker's.
  int namespaces = -1;
  // run --pid container:NAME: the child is born in this PID namespace (we enter it for the
  // clone only, and go back to ours).
  int pid_ns_fd = -1;
};

// `child_mask` is the signal mask the child starts with (the caller's, before it blocked the
// signals it forwards). The child gets PR_SET_PDEATHSIG(SIGKILL): it dies with mydocker.
[[nodiscard]]  // The CLONE_NEW* flags of a run's init: docker's set, less what
               // --uts/--pid/--ipc/--net share.
               int
               namespaces_of(const InitConfig& c);

Child spawn_init(int sync_fd, int error_fd, const sigset_t& child_mask,
                 const SpawnOptions& options);

// --trace: the clone, and what the child does before it becomes `mydocker init`, as shell
// lines (nothing when not tracing).
void trace_spawn(const SpawnOptions& options);

}  // namespace mydocker
