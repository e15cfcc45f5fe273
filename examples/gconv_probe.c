/* gconv_probe: a shared object a hostile container plants as a glibc charset converter (with a
 * gconv-modules naming it), to prove that mydocker's cp and export never load code from the
 * container's files. Its constructor runs at dlopen: it writes /PWNED (in whatever root the
 * loading process has) or, when it cannot, "PWNED" to stderr. No libc: raw system calls. */
#include <fcntl.h>
#include <sys/syscall.h>

static long sys3(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return ret;
}

__attribute__((constructor)) static void planted(void) {
  static const char msg[] = "PWNED by the container's gconv module\n";
  long fd = sys3(SYS_open, (long)"/PWNED", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fd = 2;
  sys3(SYS_write, fd, (long)msg, sizeof msg - 1);
}
