#include "mydocker/container/spawn.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mydocker/container/init.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

// What the child reads. It shares our memory (CLONE_VM) until its execve, so this lives in
// static storage that nothing else touches: one container is spawned at a time per process,
// and the previous child has exec'd or died before the next spawn.
struct ChildArgs {
  int sync_fd;
  int error_fd;
  sigset_t mask;
  char sync_arg[16];
  char error_arg[16];
  char* argv[5];
  char* envp[1];
  char failure[64];
};
ChildArgs g_args;
alignas(64) char g_stack[64 * 1024];

// Runs on g_stack in our address space: system calls only, no allocation, until execve
// replaces the image. The calls below succeed in practice, so they do not even touch errno
// (which it shares with us) except on the failure path.
int child_main(void* raw) {
  const auto* a = static_cast<const ChildArgs*>(raw);
  // The container dies with mydocker, even on kill -9. (If mydocker died before this line,
  // the init reads EOF on the sync pipe and exits.)
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::sigprocmask(SIG_SETMASK, &a->mask, nullptr);
  ::fcntl(a->sync_fd, F_SETFD, 0);
  ::fcntl(a->error_fd, F_SETFD, 0);
  ::execve("/proc/self/exe", a->argv, a->envp);
  const char* why = std::strerror(errno);
  (void)!::write(a->error_fd, a->failure, std::strlen(a->failure));
  (void)!::write(a->error_fd, why, std::strlen(why));
  ::_exit(kExitSetupError);
}

}  // namespace

Child spawn_init(int sync_fd, int error_fd, const sigset_t& child_mask) {
  ChildArgs& a = g_args;
  a.sync_fd = sync_fd;
  a.error_fd = error_fd;
  a.mask = child_mask;
  std::snprintf(a.sync_arg, sizeof a.sync_arg, "%d", sync_fd);
  std::snprintf(a.error_arg, sizeof a.error_arg, "%d", error_fd);
  static char arg0[] = "mydocker", arg1[] = "init";
  a.argv[0] = arg0;
  a.argv[1] = arg1;
  a.argv[2] = a.sync_arg;
  a.argv[3] = a.error_arg;
  a.argv[4] = nullptr;
  a.envp[0] = nullptr;
  std::snprintf(a.failure, sizeof a.failure, "%d\nexec /proc/self/exe init: ", kExitSetupError);

  // CLONE_VM: no copy of our page tables and no copy-on-write faults afterwards, and (unlike
  // posix_spawn's CLONE_VFORK) we go on at once: the child's exec of `mydocker init` overlaps
  // our cgroup set-up instead of adding to it.
  int pidfd = -1;
  const int flags = CLONE_VM | CLONE_PIDFD | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS |
                    CLONE_NEWIPC | SIGCHLD;
  pid_t pid = ::clone(child_main, g_stack + sizeof g_stack, flags, &a, &pidfd);
  if (pid < 0) throw_errno("clone (new uts, pid, mount and ipc namespaces)");
  Child child;
  child.pid = pid;
  child.pidfd.reset(pidfd);
  return child;
}

}  // namespace mydocker
