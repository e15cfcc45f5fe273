#pragma once
// A process started inside an existing container: `mydocker exec` and `mydocker oci exec`
// (commands/exec.cpp). We join the container's user, IPC, UTS and network namespaces and its
// cgroups; an init we clone joins its mount and PID namespaces and forks the command.

#include <sys/types.h>

#include <string>

#include "mydocker/cgroup/record.hpp"
#include "mydocker/init/protocol.hpp"

namespace mydocker {

struct JoinIo {
  bool attach_terminal = true;  // docker exec: our terminal goes raw, our stdin feeds the PTY
  bool detach = false;          // oci exec --detach, exec -d: return once the command runs
  bool null_stdio = false;      // exec -d: its stdin, stdout and stderr are /dev/null
  std::string console_socket;   // oci: the PTY's master goes there instead of to us
};

struct JoinResult {
  int status = 0;  // its exit status (128+N for signal N); 0 when detached
  pid_t pid = -1;  // detached: the command's pid
};

// `init_pidfd` holds the container's init (checked alive before we join); `cgroup_id` is the
// last component of its cgroup directories. Throws Error.
JoinResult run_in_container(pid_t init_pid, int init_pidfd, const CgroupRecord& cgroups,
                            const std::string& cgroup_id, InitConfig& c, const JoinIo& io);

// Sends a PTY's master to the unix socket at `path` (SCM_RIGHTS), as runc's --console-socket.
void send_console_fd(const std::string& path, int fd);

}  // namespace mydocker
