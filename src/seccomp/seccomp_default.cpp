// mydocker's default seccomp profile, in docker's JSON format. The policy is docker's:
//
// - Everything not listed fails with EPERM (defaultAction SCMP_ACT_ERRNO, defaultErrnoRet 1).
// - Allowed: what ordinary programs need, by theme (files, memory, processes, signals, time,
//   ids, sockets, IPC), plus the 32-bit x86 names, since x86 and x32 binaries run on x86_64.
// - Allowed only to a container that keeps the capability the kernel checks anyway: mounts,
//   namespaces and hostname (CAP_SYS_ADMIN), ptrace and other processes' memory
//   (CAP_SYS_PTRACE), setting the clock (CAP_SYS_TIME), modules, reboot, raw I/O ports...
//   The kernel would refuse most of them without the capability; the filter also closes the
//   bugs reachable before that check and the calls that are not namespaced.
// - Never: the kernel keyring (not namespaced), kexec, swap, pivot_root, userfaultfd, io_uring,
//   and calls that are obsolete or unimplemented (uselib, nfsservctl, vm86, _sysctl...).
// - clone may not create namespaces without CAP_SYS_ADMIN (its flags are filtered), and clone3,
//   whose flags sit in memory a filter cannot read, fails with ENOSYS so that libc falls back
//   to clone. personality is allowed only for the harmless personas.
//
// Names libseccomp does not know yet (syscalls newer than it) are skipped when parsed.

#include "mydocker/seccomp/seccomp.hpp"

namespace mydocker {
namespace {

constexpr const char* kDefaultProfile = R"json({
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
    {"architecture": "SCMP_ARCH_S390X", "subArchitectures": ["SCMP_ARCH_S390"]},
    {"architecture": "SCMP_ARCH_PPC64LE", "subArchitectures": []},
    {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": []}
  ],
  "syscalls": [
    {"comment": "files: open, read, write, stat, sync", "action": "SCMP_ACT_ALLOW", "names": [
      "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
      "pwritev2", "open", "openat", "openat2", "creat", "close", "close_range", "lseek", "stat",
      "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat",
      "faccessat2", "truncate", "ftruncate", "fallocate", "fsync", "fdatasync", "syncfs", "sync",
      "sync_file_range", "readahead", "fadvise64", "sendfile", "copy_file_range", "splice", "tee",
      "vmsplice", "flock", "fcntl", "ioctl", "dup", "dup2", "dup3", "pipe", "pipe2", "getdents",
      "getdents64", "cachestat"]},
    {"comment": "directories, links, modes, owners, times, xattrs", "action": "SCMP_ACT_ALLOW",
     "names": [
      "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2",
      "link", "linkat", "unlink", "unlinkat", "symlink", "symlinkat", "readlink", "readlinkat",
      "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
      "umask", "mknod", "mknodat", "utime", "utimes", "utimensat", "futimesat", "setxattr",
      "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr",
      "flistxattr", "removexattr", "lremovexattr", "fremovexattr", "setxattrat", "getxattrat",
      "listxattrat", "removexattrat"]},
    {"comment": "waiting for events: poll, epoll, eventfd, signalfd, timerfd, inotify, aio",
     "action": "SCMP_ACT_ALLOW", "names": [
      "select", "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl",
      "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd",
      "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_gettime", "inotify_init",
      "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_mark", "io_setup",
      "io_destroy", "io_getevents", "io_pgetevents", "io_submit", "io_cancel"]},
    {"comment": "memory", "action": "SCMP_ACT_ALLOW", "names": [
      "brk", "mmap", "munmap", "mremap", "mprotect", "msync", "mincore", "madvise", "mlock",
      "mlock2", "munlock", "mlockall", "munlockall", "memfd_create", "membarrier",
      "remap_file_pages", "pkey_alloc", "pkey_free", "pkey_mprotect", "mseal",
      "map_shadow_stack"]},
    {"comment": "processes and threads (clone and clone3: below)", "action": "SCMP_ACT_ALLOW",
     "names": [
      "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "kill",
      "tkill", "tgkill", "getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp",
      "getsid", "setsid", "set_tid_address", "set_robust_list", "get_robust_list", "futex",
      "futex_waitv", "futex_wake", "futex_wait", "futex_requeue", "rseq", "restart_syscall",
      "prctl", "getrlimit", "setrlimit", "prlimit64", "getrusage", "capget", "capset",
      "getpriority", "setpriority", "ioprio_get", "ioprio_set", "sched_yield",
      "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam",
      "sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
      "sched_get_priority_min", "sched_rr_get_interval", "sched_getattr", "sched_setattr",
      "getcpu", "pidfd_open", "pidfd_send_signal", "process_mrelease", "seccomp",
      "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
      "lsm_get_self_attr", "lsm_list_modules", "uname", "sysinfo", "times", "getrandom"]},
    {"comment": "signals and timers", "action": "SCMP_ACT_ALLOW", "names": [
      "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
      "rt_sigqueueinfo", "rt_tgsigqueueinfo", "rt_sigsuspend", "sigaltstack", "pause", "alarm",
      "getitimer", "setitimer", "timer_create", "timer_settime", "timer_gettime",
      "timer_getoverrun", "timer_delete"]},
    {"comment": "reading the clock and sleeping (setting it: CAP_SYS_TIME)",
     "action": "SCMP_ACT_ALLOW", "names": [
      "time", "gettimeofday", "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep"]},
    {"comment": "user and group ids (the kernel checks CAP_SETUID/CAP_SETGID)",
     "action": "SCMP_ACT_ALLOW", "names": [
      "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups", "setuid",
      "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid",
      "setfsgid"]},
    {"comment": "sockets", "action": "SCMP_ACT_ALLOW", "names": [
      "socket", "socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname",
      "getpeername", "getsockopt", "setsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg",
      "sendmmsg", "recvmmsg", "shutdown"]},
    {"comment": "IPC: System V and POSIX message queues (namespaced)", "action": "SCMP_ACT_ALLOW",
     "names": [
      "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl", "msgget",
      "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
      "mq_notify", "mq_getsetattr"]},
    {"comment": "the 32-bit x86 ABI's own names (libseccomp adds them to the x86 filter only)",
     "action": "SCMP_ACT_ALLOW", "names": [
      "_llseek", "_newselect", "mmap2", "stat64", "fstat64", "lstat64", "fstatat64", "statfs64",
      "fstatfs64", "truncate64", "ftruncate64", "fcntl64", "sendfile64", "fadvise64_64",
      "chown32", "fchown32", "lchown32", "getuid32", "geteuid32", "getgid32", "getegid32",
      "getgroups32", "setgroups32", "setuid32", "setgid32", "setreuid32", "setregid32",
      "setresuid32", "getresuid32", "setresgid32", "getresgid32", "setfsuid32", "setfsgid32",
      "ugetrlimit", "sigaction", "sigprocmask", "sigreturn", "sigsuspend", "sigpending",
      "signal", "waitpid", "nice", "socketcall", "ipc", "send", "recv", "clock_gettime64",
      "clock_getres_time64", "clock_nanosleep_time64", "timer_gettime64", "timer_settime64",
      "timerfd_gettime64", "timerfd_settime64", "utimensat_time64", "pselect6_time64",
      "ppoll_time64", "io_pgetevents_time64", "recvmmsg_time64", "mq_timedsend_time64",
      "mq_timedreceive_time64", "semtimedop_time64", "rt_sigtimedwait_time64", "futex_time64",
      "sched_rr_get_interval_time64"]},

    {"comment": "thread areas and the LDT", "action": "SCMP_ACT_ALLOW",
     "names": ["arch_prctl", "modify_ldt", "set_thread_area", "get_thread_area"],
     "includes": {"arches": ["amd64", "x32", "x86"]}},
    {"comment": "arm's own calls", "action": "SCMP_ACT_ALLOW",
     "names": ["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
               "cacheflush", "set_tls"],
     "includes": {"arches": ["arm", "arm64"]}},
    {"comment": "s390's own calls", "action": "SCMP_ACT_ALLOW",
     "names": ["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"],
     "includes": {"arches": ["s390", "s390x"]}},
    {"comment": "riscv's own calls", "action": "SCMP_ACT_ALLOW", "names": ["riscv_flush_icache"],
     "includes": {"arches": ["riscv64"]}},

    {"comment": "personality: Linux, 32-bit, UNAME26 and the query 0xffffffff only",
     "action": "SCMP_ACT_ALLOW", "names": ["personality"],
     "args": [{"index": 0, "value": 0, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
    {"action": "SCMP_ACT_ALLOW", "names": ["personality"],
     "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
    {"action": "SCMP_ACT_ALLOW", "names": ["personality"],
     "args": [{"index": 0, "value": 131072, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
    {"action": "SCMP_ACT_ALLOW", "names": ["personality"],
     "args": [{"index": 0, "value": 131080, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
    {"action": "SCMP_ACT_ALLOW", "names": ["personality"],
     "args": [{"index": 0, "value": 4294967295, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},

    {"comment": "clone without CLONE_NEW{NS,UTS,IPC,USER,PID,NET,CGROUP}: mask 0x7E020000",
     "action": "SCMP_ACT_ALLOW", "names": ["clone"],
     "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
     "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
    {"comment": "the same on s390, where the flags are the second argument",
     "action": "SCMP_ACT_ALLOW", "names": ["clone"],
     "args": [{"index": 1, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
     "includes": {"arches": ["s390", "s390x"]}, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"comment": "clone3's flags cannot be filtered: ENOSYS, and libc falls back to clone",
     "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "names": ["clone3"],
     "excludes": {"caps": ["CAP_SYS_ADMIN"]}},

    {"comment": "namespaces, mounts, hostname, fanotify, quotas", "action": "SCMP_ACT_ALLOW",
     "names": [
      "clone", "clone3", "unshare", "setns", "mount", "umount", "umount2", "mount_setattr",
      "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "sethostname",
      "setdomainname", "fanotify_init", "quotactl", "quotactl_fd", "lookup_dcookie", "bpf",
      "perf_event_open", "syslog"],
     "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"action": "SCMP_ACT_ALLOW", "names": ["bpf"], "includes": {"caps": ["CAP_BPF"]}},
    {"action": "SCMP_ACT_ALLOW", "names": ["perf_event_open"],
     "includes": {"caps": ["CAP_PERFMON"]}},
    {"action": "SCMP_ACT_ALLOW", "names": ["syslog"], "includes": {"caps": ["CAP_SYSLOG"]}},
    {"comment": "tracing (strace, gdb): docker's rule for kernels 4.8 and later (seccomp can no longer be bypassed through ptrace there), which every kernel mydocker runs on is",
     "action": "SCMP_ACT_ALLOW", "names": ["ptrace", "process_vm_readv", "process_vm_writev"]},
    {"comment": "other processes' memory and state", "action": "SCMP_ACT_ALLOW",
     "names": ["kcmp", "pidfd_getfd", "process_madvise"],
     "includes": {"caps": ["CAP_SYS_PTRACE"]}},
    {"comment": "setting the clock", "action": "SCMP_ACT_ALLOW",
     "names": ["settimeofday", "stime", "clock_settime", "clock_settime64", "adjtimex",
               "clock_adjtime", "clock_adjtime64"],
     "includes": {"caps": ["CAP_SYS_TIME"]}},
    {"comment": "NUMA placement", "action": "SCMP_ACT_ALLOW",
     "names": ["mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node",
               "migrate_pages", "move_pages"],
     "includes": {"caps": ["CAP_SYS_NICE"]}},
    {"comment": "file handles (open_by_handle_at escapes bind mounts)", "action": "SCMP_ACT_ALLOW",
     "names": ["open_by_handle_at", "name_to_handle_at"],
     "includes": {"caps": ["CAP_DAC_READ_SEARCH"]}},
    {"action": "SCMP_ACT_ALLOW", "names": ["chroot"], "includes": {"caps": ["CAP_SYS_CHROOT"]}},
    {"action": "SCMP_ACT_ALLOW", "names": ["reboot"], "includes": {"caps": ["CAP_SYS_BOOT"]}},
    {"action": "SCMP_ACT_ALLOW", "names": ["init_module", "finit_module", "delete_module"],
     "includes": {"caps": ["CAP_SYS_MODULE"]}},
    {"action": "SCMP_ACT_ALLOW", "names": ["acct"], "includes": {"caps": ["CAP_SYS_PACCT"]}},
    {"action": "SCMP_ACT_ALLOW", "names": ["iopl", "ioperm"],
     "includes": {"caps": ["CAP_SYS_RAWIO"]}},
    {"action": "SCMP_ACT_ALLOW", "names": ["vhangup"],
     "includes": {"caps": ["CAP_SYS_TTY_CONFIG"]}}
  ]
})json";

}  // namespace

nlohmann::json default_seccomp_profile() { return nlohmann::json::parse(kDefaultProfile); }

std::string_view default_seccomp_profile_text() { return kDefaultProfile; }

namespace {
// FNV-1a over the profile's text, worked out by the compiler: the filter cache's key for the
// default profile costs nothing at run time (a sha256 of its 20 KB was a sixth of a run's user
// time).
constexpr uint64_t fnv1a(const char* s) {
  uint64_t h = 14695981039346656037ull;
  for (; *s; ++s) h = (h ^ static_cast<unsigned char>(*s)) * 1099511628211ull;
  return h;
}
constexpr uint64_t kDefaultProfileHash = fnv1a(kDefaultProfile);
}  // namespace

uint64_t default_seccomp_profile_hash() { return kDefaultProfileHash; }

}  // namespace mydocker
