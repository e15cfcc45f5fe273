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

typedef unsigned long ulong;

#if defined(__x86_64__)
#define NR_WRITE 1
#define NR_FCNTL 72
#define NR_EXECVE 59
#define NR_EXIT_GROUP 231
static long sys3(long n, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}
__asm__(
    ".text\n.globl _start\n_start:\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call stub_main\n  hlt\n");
#elif defined(__aarch64__)
#define NR_WRITE 64
#define NR_FCNTL 25
#define NR_EXECVE 221
#define NR_EXIT_GROUP 94
static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
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

__attribute__((used)) void stub_main(long* sp) {
  const long argc = sp[0];
  char** argv = (char**)(sp + 1);
  char** envp = argv + argc + 1;
  const char* magic = "mydocker-exec:";
  const char* a0 = argc > 0 ? argv[0] : "";
  for (ulong i = 0; magic[i]; ++i)
    if (a0[i] != magic[i]) {  // run by anything but mydocker's init: nothing to do
      const char* msg = "mydocker's exec stub: not a command\n";
      sys3(NR_WRITE, 2, (long)msg, (long)length(msg));
      leave(127);
    }
  long fd = 0;
  for (const char* p = a0 + length(magic); *p >= '0' && *p <= '9'; ++p) fd = fd * 10 + (*p - '0');
  if (argc < 3) leave(127);
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
