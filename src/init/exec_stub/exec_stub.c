// mydocker's exec stub: the last step of a container's start. The container's init is a clone
// of mydocker that never re-executes itself (its setup is done in the memory mydocker already
// has), so its /proc/self/exe is mydocker's own file on the host. If it exec'd the user's command
// directly and that command were /proc/self/exe (or a script whose interpreter is), mydocker
// itself would run as the container's PID 1, and the container could reopen that file for
// writing through /proc/1/exe (CVE-2019-5736). So the init execs this small program from a
// sealed memfd (its /proc/self/exe is that memfd: nothing of the host), and it execs the command.
//
// argv: "mydocker-exec:<error fd>", the path to execute, then the command's own argv. On
// failure it writes mydocker's failure message ("<code>\n<text>") to the error fd and exits
// with that code; on success the command's exec closes the fd (we set FD_CLOEXEC first).
// Without libc: raw system calls, no allocation, a few hundred bytes of code.
//
// run --init: argv[0] "mydocker-init:<error fd>" makes the stub the container's PID 1, a tiny
// init (docker's tini): it blocks every signal, forks the command as PID 2 (in a process group
// of its own, the terminal's foreground one), forwards each signal it receives to it, reaps
// every zombie that is reparented to it, and exits with the command's status (128+N when a
// signal N ended it). It maps nothing but these pages: no memory a tight limit would notice.

typedef unsigned long ulong;

#if defined(__x86_64__)
#define NR_WRITE 1
#define NR_FCNTL 72
#define NR_EXECVE 59
#define NR_EXIT_GROUP 231
#define NR_CLOSE 3
#define NR_IOCTL 16
#define NR_RT_SIGPROCMASK 14
#define NR_RT_SIGTIMEDWAIT 128
#define NR_GETPID 39
#define NR_SETPGID 109
#define NR_WAIT4 61
#define NR_KILL 62
#define NR_FORK 57
#define NR_PRCTL 157
static long sys3(long n, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}
static long sys4(long n, long a, long b, long c, long d) {
  long ret;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}
static long fork_process(void) { return sys3(NR_FORK, 0, 0, 0); }
__asm__(
    ".text\n.globl _start\n_start:\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call stub_main\n  hlt\n");
#elif defined(__aarch64__)
#define NR_WRITE 64
#define NR_FCNTL 25
#define NR_EXECVE 221
#define NR_EXIT_GROUP 94
#define NR_CLOSE 57
#define NR_IOCTL 29
#define NR_RT_SIGPROCMASK 135
#define NR_RT_SIGTIMEDWAIT 137
#define NR_GETPID 172
#define NR_SETPGID 154
#define NR_WAIT4 260
#define NR_KILL 129
#define NR_CLONE 220
#define NR_PRCTL 167
static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
static long sys4(long n, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
static long fork_process(void) { return sys4(NR_CLONE, 17 /* SIGCHLD */, 0, 0, 0); }
__asm__(".text\n.globl _start\n_start:\n  mov x0, sp\n  bl stub_main\n  brk #0\n");
#else
#error "the exec stub knows x86_64 and aarch64"
#endif

static ulong length(const char* s) {
  ulong n = 0;
  while (s[n]) ++n;
  return n;
}

static char* append(char* at, const char* end, const char* s) {
  while (*s && at < end) *at++ = *s++;
  return at;
}

static __attribute__((noreturn)) void leave(int code) {
  for (;;) sys3(NR_EXIT_GROUP, code, 0, 0);
}

// docker's words for the errors an exec can meet (Go's lower-case errno texts).
static const char* error_text(long err, int* code) {
  *code = 126;
  switch (err) {
    case 2:
      *code = 127;
      return "no such file or directory";
    case 20:
      *code = 127;
      return "not a directory";
    case 13:
      return "permission denied";
    case 8:
      return "exec format error";
    case 7:
      return "argument list too long";
    case 40:
      return "too many levels of symbolic links";
    case 26:
      return "text file busy";
    case 12:
      return "cannot allocate memory";
    case 1:
      return "operation not permitted";
    default:
      return "exec failed";
  }
}

// Execs argv[1] with argv[2...]; on failure, docker's message on the error fd, and exit.
static __attribute__((noreturn)) void exec_or_report(long fd, char** argv, char** envp) {
  sys3(NR_FCNTL, fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
  const long err = -sys3(NR_EXECVE, (long)argv[1], (long)(argv + 2), (long)envp);
  int code;
  const char* text = error_text(err, &code);
  char buf[4096];
  char* const end = buf + sizeof buf;
  char* at = append(buf, end, code == 127 ? "127\nexec: \"" : "126\nexec: \"");
  at = append(at, end, argv[1]);
  at = append(at, end, "\": ");
  if (code == 127) {
    at = append(at, end, "stat ");
    at = append(at, end, argv[1]);
    at = append(at, end, ": ");
  }
  at = append(at, end, text);
  sys3(NR_WRITE, fd, (long)buf, (long)(at - buf));
  leave(code);
}

// What `ps` shows for PID 1 (docker's "docker-init -- CMD..."): its name "mydocker-init", not
// the memfd's, and its arguments "mydocker-init -- CMD...", not our protocol's words and the
// command's path. The kernel laid the arguments out one after another; the command's are moved
// to follow the new head (no longer than the old one: "mydocker-init:N" and a path) and the
// rest is zeroed. Only PID 1's copy: the command has forked already.
static void show_as_init(long argc, char** argv) {
  sys3(NR_PRCTL, 15 /* PR_SET_NAME */, (long)"mydocker-init", 0);
  static const char head[] = "mydocker-init\0--";
  char* const end = argv[argc - 1] + length(argv[argc - 1]) + 1;
  const char* from = argv[2];
  char* at = argv[0];
  for (ulong i = 0; i < sizeof head; ++i) *at++ = head[i];
  while (from < end) *at++ = *from++;
  while (at < end) *at++ = 0;
}

// --init: PID 1 forwards signals to the command (PID 2) and reaps every child until the command
// ends. Signals stay blocked and are taken with rt_sigtimedwait: no handler, and a PID 1 with
// a blocked signal still receives it (the kernel drops only unhandled, unblocked ones).
static __attribute__((noreturn)) void run_init(long fd, long argc, char** argv, char** envp) {
  unsigned long all = ~0UL, old = 0;
  sys4(NR_RT_SIGPROCMASK, 0 /* SIG_BLOCK */, (long)&all, (long)&old, 8);
  const long child = fork_process();
  if (child < 0) {
    const char* msg = "126\nmydocker --init: fork failed";
    sys3(NR_WRITE, fd, (long)msg, (long)length(msg));
    leave(126);
  }
  if (child == 0) {
    // Its own process group, the terminal's foreground one: ^C reaches it, not PID 1 too.
    // SIGTTOU is still blocked here, so a background group may take the terminal.
    long pgid = sys3(NR_GETPID, 0, 0, 0);
    sys3(NR_SETPGID, 0, 0, 0);
    sys3(NR_IOCTL, 0, 0x5410 /* TIOCSPGRP */, (long)&pgid);
    sys4(NR_RT_SIGPROCMASK, 2 /* SIG_SETMASK */, (long)&old, 0, 8);
    exec_or_report(fd, argv, envp);
  }
  sys3(NR_CLOSE, fd, 0, 0);  // the command's exec closes the last copy: mydocker sees EOF
  show_as_init(argc, argv);
  for (;;) {
    long info[16];  // siginfo_t: 128 bytes
    const long sig = sys4(NR_RT_SIGTIMEDWAIT, (long)&all, (long)info, 0, 8);
    if (sig <= 0) continue;
    if (sig != 17 /* SIGCHLD */) {
      sys3(NR_KILL, child, sig, 0);
      continue;
    }
    for (;;) {
      int status = 0;
      const long pid = sys4(NR_WAIT4, -1, (long)&status, 1 /* WNOHANG */, 0);
      if (pid <= 0) break;
      if (pid == child) leave((status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff);
    }
  }
}

static int has_prefix(const char* s, const char* prefix) {
  for (ulong i = 0; prefix[i]; ++i)
    if (s[i] != prefix[i]) return 0;
  return 1;
}

__attribute__((used)) void stub_main(long* sp) {
  const long argc = sp[0];
  char** argv = (char**)(sp + 1);
  char** envp = argv + argc + 1;
  const char* a0 = argc > 0 ? argv[0] : "";
  const int init = has_prefix(a0, "mydocker-init:");
  if (!init && !has_prefix(a0, "mydocker-exec:")) {  // run by anything but mydocker's init
    const char* msg = "mydocker's exec stub: not a command\n";
    sys3(NR_WRITE, 2, (long)msg, (long)length(msg));
    leave(127);
  }
  long fd = 0;
  for (const char* p = a0 + 14; *p >= '0' && *p <= '9'; ++p) fd = fd * 10 + (*p - '0');
  if (argc < 3) leave(127);
  if (init) run_init(fd, argc, argv, envp);
  exec_or_report(fd, argv, envp);
}
