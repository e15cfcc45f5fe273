#include "mydocker/runtime/spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "mydocker/init/init.hpp"
#include "mydocker/init/protocol.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/timing.hpp"
#include "mydocker/util/trace.hpp"

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
  char* envp[2];
  char failure[64];
  char exe[4096];  // mydocker's own file, re-executed through a read-only bind mount of it
  bool userns;     // a new user namespace: wait for its id maps, then become its root
  bool die_with_parent;
  InitConfig* init;  // run: the init's configuration; it runs here, in the clone, without exec
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
  if (a->die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Its /proc/PID/exe is mydocker's own file until the exec: not for anyone else to open.
  if (a->init) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::sigprocmask(SIG_SETMASK, &a->mask, nullptr);
  for (int i = 0; i < 3; ++i)
    if (a->stdio[i] >= 0) ::dup2(a->stdio[i], i);
  ::fcntl(a->sync_fd, F_SETFD, 0);
  ::fcntl(a->error_fd, F_SETFD, 0);
  const char* step = "wait for the user namespace's id maps";
  if (a->userns) {
    // Until the parent has written uid_map and gid_map we are nobody in here. Then root of
    // the namespace, without the host's supplementary groups; before the exec, or it would
    // drop our capabilities. (A credential change clears the parent-death signal: again.)
    char mapped = 0;
    if (::read(a->sync_fd, &mapped, 1) != 1) ::_exit(kExitSetupError);
    step = "become root of the user namespace";
    if (::setgroups(0, nullptr) != 0 || ::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0)
      goto fail;
    if (a->die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  }
  if (a->init && a->init->oci) {
    // oci create: the init waits for `start` for as long as the caller likes, visible to the
    // container's processes (oci exec, a pod sharing the PID namespace): it must not be a copy
    // of mydocker's own file (CVE-2019-5736), so it re-executes itself from a detached,
    // read-only clone of that file (open_tree), attached nowhere and so propagating nowhere. It
    // reads its configuration from the sync socket; the fds it keeps by number survive the exec.
    // By path: open_tree clones mounts of our own namespace only, and /proc/self/exe names the
    // host's. Then checked to be the very file we run, not whatever the path names now.
    step = "read-only clone of mydocker's binary (open_tree, mount_setattr: Linux 5.12+)";
    if (a->exe[0] == '\0') goto fail;
    const int tree =
        static_cast<int>(::open_tree(AT_FDCWD, a->exe, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    mount_attr ro{};
    ro.attr_set = MOUNT_ATTR_RDONLY;
    struct stat ours, clone;
    if (tree < 0 || ::mount_setattr(tree, "", AT_EMPTY_PATH, &ro, sizeof ro) != 0 ||
        ::stat("/proc/self/exe", &ours) != 0 || ::fstat(tree, &clone) != 0)
      goto fail;
    if (ours.st_dev != clone.st_dev || ours.st_ino != clone.st_ino) {
      errno = ESTALE;  // replaced while we run
      goto fail;
    }
    // The bundle's rootfsPropagation, exactly (runc: rslave unless it says); the init makes the
    // root's parent mount private and the old root a slave (rootfs.cpp), as runc does.
    step = "mount --make-r<rootfsPropagation> /";
    if (::mount(nullptr, "/", nullptr, a->init->rootfs_propagation, nullptr) != 0) goto fail;
    for (const auto& [fd, type] : a->init->join_namespaces) ::fcntl(fd, F_SETFD, 0);
    if (a->init->exec_fifo_fd >= 0) ::fcntl(a->init->exec_fifo_fd, F_SETFD, 0);
    step = "exec mydocker init";
    ::syscall(SYS_execveat, tree, "", a->argv, a->envp, AT_EMPTY_PATH);
    goto fail;
  }
  // From here on the mount tree is the container's own: nothing mounted below propagates to
  // the host (the seeds forget this and break the host's /proc).
  step = "mount --make-rprivate /";
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) goto fail;
  if (a->init) {
    // run: the init is this clone, with its configuration in memory already: no exec of
    // mydocker (a 6 MB static binary) and nothing to decode. It execs the command through the
    // sealed exec stub (exec_stub.c), so its own file never reaches the container.
    ::_exit(run_init(*a->init, a->sync_fd, a->error_fd));
  }
  {
    // exec: a container must never get a writable handle on the mydocker binary (through
    // /proc/<pid>/exe, CVE-2019-5736). We re-execute ourselves through a read-only bind mount of
    // our own file, made in this mount namespace only: opening that exe for writing fails with
    // EROFS, whoever tries. The remount keeps the flags of the mount the binary lives on
    // (nosuid, nodev...): in a user namespace they are locked, and dropping one is refused.
    step = "read-only bind mount of mydocker's binary (it was replaced while running)";
    struct statfs fs;
    if (a->exe[0] != '\0' && ::statfs(a->exe, &fs) == 0 &&
        ::mount(a->exe, a->exe, nullptr, MS_BIND, nullptr) == 0) {
      unsigned long keep = 0;
      if (fs.f_flags & ST_NOSUID) keep |= MS_NOSUID;
      if (fs.f_flags & ST_NODEV) keep |= MS_NODEV;
      if (fs.f_flags & ST_NOEXEC) keep |= MS_NOEXEC;
      step = "read-only bind mount of mydocker's binary";
      if (::mount(nullptr, a->exe, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) ==
          0) {
        step = "exec mydocker init";
        ::execve(a->exe, a->argv, a->envp);
      }
    }
  }
fail:
  // errno is the parent's too (CLONE_VM): read once, right after the failed call.
  const char* why = a->exe[0] == '\0' ? "no such file" : std::strerror(errno);
  (void)!::write(a->error_fd, a->failure, std::strlen(a->failure));
  (void)!::write(a->error_fd, step, std::strlen(step));
  (void)!::write(a->error_fd, ": ", 2);
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
  static char timing_env[] = "MYDOCKER_TIMING=1";
  a.envp[0] = timing::enabled() ? timing_env : nullptr;
  a.envp[1] = nullptr;
  std::snprintf(a.failure, sizeof a.failure, "%d\nstarting the container: ", kExitSetupError);
  // Our own file, by path: a bind mount covers a path, and exec through the path is what makes
  // the new image's exe the read-only mount (exec of /proc/self/exe would bypass it).
  ssize_t n = ::readlink("/proc/self/exe", a.exe, sizeof a.exe - 1);
  a.exe[n > 0 ? n : 0] = '\0';
  if (std::strstr(a.exe, " (deleted)")) a.exe[0] = '\0';  // replaced while we run: refuse
}

// clone3 like fork (no CLONE_VM: no stack to hand over), born in the cgroup `cgroup_fd` when it
// is not -1. Returns -1 with errno set when the kernel refuses.
pid_t clone_like_fork(int cgroup_fd, int namespaces, int* pidfd) {
  clone_args args{};
  args.flags = static_cast<uint64_t>(namespaces) | CLONE_PIDFD;
  if (cgroup_fd >= 0) args.flags |= CLONE_INTO_CGROUP;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cgroup_fd);
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) child_main(&g_args);  // does not return
  return static_cast<pid_t>(pid);
}

// unshare's flags for a clone with explicit namespaces (oci create).
std::string namespace_flags(const SpawnOptions& o) {
  std::string flags;
  for (const auto& [flag, name] : {std::pair{CLONE_NEWUTS, "--uts"},
                                   {CLONE_NEWPID, "--pid"},
                                   {CLONE_NEWNS, "--mount"},
                                   {CLONE_NEWIPC, "--ipc"},
                                   {CLONE_NEWNET, "--net"},
                                   {CLONE_NEWCGROUP, "--cgroup"}})
    if (o.namespaces >= 0 && (o.namespaces & flag))
      flags += std::string(flags.empty() ? "" : " ") + name;
  if (o.userns) flags += std::string(flags.empty() ? "" : " ") + "--user";
  return flags;
}

}  // namespace

void trace_spawn(const SpawnOptions& o) {
  if (!trace::enabled()) return;
  if (o.init && o.init->oci) {
    const std::string flags = namespace_flags(o);
    trace::emit("unshare " + (flags.empty() ? "" : flags + " ") + "--fork   # the init");
    trace::emit("mount --make-r<rootfsPropagation> /");
    trace::emit(
        "exec /proc/self/exe init   # from a detached read-only clone of its file "
        "(open_tree, mount_setattr): CVE-2019-5736");
    return;
  }
  if (o.init) {
    std::string line = "unshare --uts --pid --mount --ipc --fork";
    if (o.new_net) line += " --net";
    if (o.userns) line += " --user";
    if (o.namespaces >= 0) line = "unshare " + namespace_flags(o) + " --fork";
    if (o.pid_ns_fd >= 0) line = "nsenter --pid=/proc/<its init>/ns/pid " + line;
    line += "   # the init: a copy of mydocker (clone3, no exec)";
    if (!o.cgroup_dir.empty()) line += ", born in " + o.cgroup_dir + " (CLONE_INTO_CGROUP)";
    trace::emit(line);
    trace::emit("mount --make-rprivate /");
    return;
  }
  std::string line =
      o.joining ? "unshare --mount --fork" : "unshare --uts --pid --mount --ipc --fork";
  if (o.new_net && !o.joining) line += " --net";
  if (o.userns) line += " --user";
  if (o.namespaces >= 0 && !o.joining) line = "unshare " + namespace_flags(o) + " --fork";
  if (o.pid_ns_fd >= 0) line = "nsenter --pid=/proc/<its init>/ns/pid " + line;
  line += " /proc/self/exe init";
  if (!o.cgroup_dir.empty()) line += "   # clone3(CLONE_INTO_CGROUP): born in " + o.cgroup_dir;
  trace::emit(line);
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  const std::string path(exe, n > 0 ? static_cast<size_t>(n) : 0);
  for (const std::string& step :
       {std::string("mount --make-rprivate /"), "mount --bind " + path + " " + path,
        "mount -o remount,bind,ro " + path + "   # CVE-2019-5736: a read-only mydocker",
        "exec " + path + " init"})
    trace::emit(step);
}

// setns changes where our thread's next child is born: the clone happens in between, and the
// destructor puts us back. For --pid container:NAME (CLONE_NEWPID: a process cannot move itself
// into another PID namespace), and for the network namespace made while the run was planned
// (CLONE_NEWNET, net/netns.hpp): the init is born in it, so no one who sees the init (a
// `mydocker exec`, a health probe, a `--net container:` of it) ever sees the host's.
class NamespaceForChildren {
 public:
  NamespaceForChildren(int ns_fd, int type, const char* own, const char* what)
      : type_(type), what_(what) {
    if (ns_fd < 0) return;
    own_.reset(::open(own, O_RDONLY | O_CLOEXEC));
    if (!own_) throw SysError(errno, std::string("open ") + own);
    if (::setns(ns_fd, type) != 0) throw SysError(errno, std::string("setns (") + what + ")");
  }
  ~NamespaceForChildren() {
    if (!own_ || ::setns(own_.get(), type_) == 0) return;
    // We would go on in the container's namespace: never.
    std::fprintf(stderr, "mydocker: cannot return from %s: %s\n", what_, std::strerror(errno));
    std::abort();
  }
  NamespaceForChildren(const NamespaceForChildren&) = delete;
  NamespaceForChildren& operator=(const NamespaceForChildren&) = delete;

 private:
  int type_;
  const char* what_;
  UniqueFd own_;
};

int namespaces_of(const InitConfig& c) {
  return CLONE_NEWNS | (c.new_uts ? CLONE_NEWUTS : 0) | (c.new_pid ? CLONE_NEWPID : 0) |
         (c.new_ipc ? CLONE_NEWIPC : 0) | (c.new_net && c.made_netns_fd < 0 ? CLONE_NEWNET : 0);
}

Child spawn_init(int sync_fd, int error_fd, const sigset_t& child_mask, const SpawnOptions& o) {
  prepare_args(sync_fd, error_fd, child_mask, o.stdio);
  int namespaces = o.joining ? CLONE_NEWNS : kNamespaces | (o.new_net ? CLONE_NEWNET : 0);
  if (o.namespaces >= 0) namespaces = o.namespaces;
  if (o.userns) namespaces |= CLONE_NEWUSER;
  g_args.die_with_parent = !o.init || o.init->die_with_parent;
  g_args.userns = o.userns;
  g_args.init = o.init;
  const std::string& cgroup_dir = o.cgroup_dir;
  NamespaceForChildren born_in(o.pid_ns_fd, CLONE_NEWPID, "/proc/self/ns/pid_for_children",
                               "the PID namespace of --pid");
  NamespaceForChildren born_in_net(o.init ? o.init->made_netns_fd : -1, CLONE_NEWNET,
                                   "/proc/thread-self/ns/net", "the container's network namespace");
  Child child;
  int pidfd = -1;
  if (!cgroup_dir.empty()) {
    UniqueFd cgroup(::open(cgroup_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!cgroup) throw SysError(errno, "open " + cgroup_dir);
    pid_t pid = clone_like_fork(cgroup.get(), namespaces, &pidfd);
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
  if (o.init) {
    // A copy of us, not a thread of our memory: the init runs C++ code while we go on.
    pid_t pid = clone_like_fork(-1, namespaces, &pidfd);
    if (pid < 0) throw_errno("clone3 (new namespaces)");
    child.pid = pid;
    child.pidfd.reset(pidfd);
    return child;
  }
  // CLONE_VM: no copy of our page tables and no copy-on-write faults afterwards, and (unlike
  // posix_spawn's CLONE_VFORK) we go on at once: the child's exec of `mydocker init` overlaps
  // our cgroup set-up instead of adding to it.
  const int flags = CLONE_VM | CLONE_PIDFD | namespaces | SIGCHLD;
  pid_t pid = ::clone(child_main, g_stack + sizeof g_stack, flags, &g_args, &pidfd);
  if (pid < 0) throw_errno("clone (new uts, pid, mount and ipc namespaces)");
  child.pid = pid;
  child.pidfd.reset(pidfd);
  return child;
}

}  // namespace mydocker
