#pragma once
// System calls for a child that shares our memory (clone with CLONE_VM: the netfilter closer,
// the network namespace maker). Such a child also shares the calling thread's TLS, so a libc
// wrapper that fails would set *our* errno: these return -errno instead and touch no memory of
// ours. Where they are not written (kRawSyscalls false), callers fork or do without.

#include <sys/syscall.h>
#include <unistd.h>

namespace mydocker {

#if defined(__x86_64__)
inline constexpr bool kRawSyscalls = true;
inline long raw_syscall(long n, long a = 0, long b = 0, long c = 0) {
  long ret;
  asm volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
inline constexpr bool kRawSyscalls = true;
inline long raw_syscall(long n, long a = 0, long b = 0, long c = 0) {
  register long x8 asm("x8") = n;
  register long x0 asm("x0") = a;
  register long x1 asm("x1") = b;
  register long x2 asm("x2") = c;
  asm volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
#else
inline constexpr bool kRawSyscalls = false;
inline long raw_syscall(long n, long a = 0, long b = 0, long c = 0) {
  return ::syscall(n, a, b, c);  // only in a forked child: errno is its own
}
#endif

}  // namespace mydocker
