#include "mydocker/net/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <cerrno>
#include <utility>

#include "mydocker/util/raw_syscall.hpp"

namespace mydocker::net {
namespace {

constexpr size_t kStack = 16 * 1024;

// The helper: raw system calls only (it shares our memory and our thread's TLS).
// A refusal leaves *made at -1: the clone then makes the namespace and says why if it cannot.
int make_netns(void* arg) {
  int* made = static_cast<int*>(arg);
  if (raw_syscall(SYS_unshare, CLONE_NEWNET) < 0) return 1;
  static const char path[] = "/proc/self/ns/net";  // the helper is a process: its own
  const long fd =
      raw_syscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1;
  *made = static_cast<int>(fd);  // in our fd table too (CLONE_FILES)
  return 0;
}

}  // namespace

EarlyNetns::EarlyNetns(bool make) {
  if (!make || !kRawSyscalls) return;
  stack_ = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                  -1, 0);
  if (stack_ == MAP_FAILED) {
    stack_ = nullptr;
    return;  // the clone makes it, as before
  }
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  // No exit signal: nobody is signalled; take() waits for it by pid (__WALL).
  pid_ =
      ::clone(make_netns, static_cast<char*>(stack_) + kStack - 64, CLONE_VM | CLONE_FILES, &made_);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid_ < 0) {
    pid_ = 0;
    ::munmap(stack_, kStack);
    stack_ = nullptr;
  }
}

EarlyNetns::~EarlyNetns() { (void)take(); }  // closed here

UniqueFd EarlyNetns::take() {
  if (pid_ <= 0) return {};
  while (::waitpid(pid_, nullptr, __WALL) < 0 && errno == EINTR) {
  }
  pid_ = 0;
  ::munmap(stack_, kStack);
  stack_ = nullptr;
  // A refused unshare (a seccomp filter around us, say) is no error of the run: the clone
  // makes the namespace as before, and says why if it cannot either.
  UniqueFd made(std::exchange(made_, -1));
  if (!made) return {};
  // Above 0-2: with stdin closed the helper got fd 0, which -d and -i give other meanings.
  if (made.get() > 2) return made;
  return UniqueFd(::fcntl(made.get(), F_DUPFD_CLOEXEC, 3));
}

}  // namespace mydocker::net
