#include "mydocker/container/spawn.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mydocker/container/init.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

constexpr int kNamespaces = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC;

// What the child reads. With CLONE_VM it shares our memory until its execve, so this lives in
// static storage that nothing else touches: one container is spawned at a time per process,
// and the previous child has exec'd or died before the next spawn.
struct ChildArgs {
  int stdio[3];
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

// System calls only, no allocation, until execve replaces the image. The calls below succeed
// in practice, so they do not even touch errno (shared with us under CLONE_VM) except on the
// failure path.
int child_main(void* raw) {
  const auto* a = static_cast<const ChildArgs*>(raw);
  // The container dies with mydocker, even on kill -9. (If mydocker died before this line,
  // the init reads EOF on the sync pipe and exits.)
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::sigprocmask(SIG_SETMASK, &a->mask, nullptr);
  for (int i = 0; i < 3; ++i)
    if (a->stdio[i] >= 0) ::dup2(a->stdio[i], i);
  ::fcntl(a->sync_fd, F_SETFD, 0);
  ::fcntl(a->error_fd, F_SETFD, 0);
  ::execve("/proc/self/exe", a->argv, a->envp);
  const char* why = std::strerror(errno);
  (void)!::write(a->error_fd, a->failure, std::strlen(a->failure));
  (void)!::write(a->error_fd, why, std::strlen(why));
  ::_exit(kExitSetupError);
}

void prepare_args(int sync_fd, int error_fd, const sigset_t& mask, std::array<int, 3> stdio) {
  ChildArgs& a = g_args;
  for (int i = 0; i < 3; ++i) a.stdio[i] = stdio[static_cast<size_t>(i)];
  a.sync_fd = sync_fd;
  a.error_fd = error_fd;
  a.mask = mask;
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
}

// clone3 like fork (no CLONE_VM: no stack to hand over), born in the cgroup `cgroup_fd`.
// Returns -1 with errno set when the kernel refuses.
pid_t clone_into_cgroup(int cgroup_fd, int* pidfd) {
  clone_args args{};
  args.flags = kNamespaces | CLONE_PIDFD | CLONE_INTO_CGROUP;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cgroup_fd);
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) child_main(&g_args);  // does not return
  return static_cast<pid_t>(pid);
}

}  // namespace

std::string unshare_trace(const std::string& cgroup_dir) {
  std::string line = "unshare --uts --pid --mount --ipc --fork /proc/self/exe init";
  if (!cgroup_dir.empty())
    line += "   # clone3(CLONE_INTO_CGROUP): born in " + cgroup_dir;
  return line;
}

Child spawn_init(int sync_fd, int error_fd, const sigset_t& child_mask,
                 const std::string& cgroup_dir, std::array<int, 3> stdio) {
  prepare_args(sync_fd, error_fd, child_mask, stdio);
  Child child;
  int pidfd = -1;
  if (!cgroup_dir.empty()) {
    UniqueFd cgroup(::open(cgroup_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!cgroup) throw SysError(errno, "open " + cgroup_dir);
    pid_t pid = clone_into_cgroup(cgroup.get(), &pidfd);
    if (pid > 0) {
      child.pid = pid;
      child.pidfd.reset(pidfd);
      child.born_in_cgroup = true;
      return child;
    }
    if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
      throw SysError(errno, "clone3 (new namespaces, into " + cgroup_dir + ")");
    // An older kernel: clone as below, and the caller moves the child in.
  }
  // CLONE_VM: no copy of our page tables and no copy-on-write faults afterwards, and (unlike
  // posix_spawn's CLONE_VFORK) we go on at once: the child's exec of `mydocker init` overlaps
  // our cgroup set-up instead of adding to it.
  const int flags = CLONE_VM | CLONE_PIDFD | kNamespaces | SIGCHLD;
  pid_t pid = ::clone(child_main, g_stack + sizeof g_stack, flags, &g_args, &pidfd);
  if (pid < 0) throw_errno("clone (new uts, pid, mount and ipc namespaces)");
  child.pid = pid;
  child.pidfd.reset(pidfd);
  return child;
}

}  // namespace mydocker
