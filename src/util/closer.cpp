#include "mydocker/util/closer.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "mydocker/util/raw_syscall.hpp"

namespace mydocker {
namespace {

// A closer runs on a stack of its own with every signal blocked. Sharing our memory, it also
// shares the calling thread's TLS, so it makes raw system calls only (no libc wrapper: a
// failing one would set *our* errno). Cloned without an exit signal, nobody is signalled; we
// reap it at the next hand-off, or our reaper does. On an architecture without the raw calls it
// is a plain fork (its own memory, errno included).
struct Closer {
  pid_t pid;
  void* stack;
  const int* closed;  // in its CloserArgs: 1 once it closed its copies of our descriptors
  pid_t owner;        // who cloned it: a forked child (a supervisor) has a stale copy of it
};
constexpr size_t kCloserStack = 64 * 1024;
constexpr int kMaxKept = 9;  // 8 handed over, and the read end of the pipe

std::vector<Closer>& closers() {
  static auto* list = new std::vector<Closer>;  // never destroyed: used by static destructors
  return *list;
}

void reap_closers() {
  std::erase_if(closers(), [](const Closer& c) {
    if (::waitpid(c.pid, nullptr, WNOHANG | __WALL) == 0) return false;
    if (c.stack) ::munmap(c.stack, kCloserStack);
    return true;
  });
}

struct CloserArgs {
  int kept[kMaxKept];  // sorted
  int count;
  int read_end;    // EOF once we have closed our copies of the kept ones
  long delay_ns;   // after that EOF
  int fd_limit;    // RLIMIT_NOFILE: where closing one by one stops
  int closed = 0;  // set to 1 (and woken: FUTEX_WAKE) once the others are closed
};

// Closes [lo, hi]: close_range (Linux 5.9), else one by one (an older kernel, or a seccomp
// filter that refuses it). Nothing of ours may stay open there: the write end of the pipe
// would keep the closer waiting forever, and a lock or a pipe would be held past its owner.
void close_span(long lo, long hi, int fd_limit) {
  if (lo > hi) return;
  if (raw_syscall(SYS_close_range, lo, hi, 0) == 0) return;
  for (long fd = lo; fd <= hi && fd < fd_limit; ++fd) raw_syscall(SYS_close, fd);
}

int closer_main(void* arg) {
  const auto* a = static_cast<const CloserArgs*>(arg);  // at the top of its stack
  long next = 0;
  for (int i = 0; i < a->count; ++i) {
    close_span(next, a->kept[i] - 1L, a->fd_limit);
    next = a->kept[i] + 1L;
  }
  close_span(next, static_cast<long>(~0U), a->fd_limit);
  auto* closed = const_cast<int*>(&a->closed);
  __atomic_store_n(closed, 1, __ATOMIC_RELEASE);
  raw_syscall(SYS_futex, reinterpret_cast<long>(closed), FUTEX_WAKE, 1);
  char byte;
  // EOF: ours are closed (signals are blocked: no EINTR).
  (void)raw_syscall(SYS_read, a->read_end, reinterpret_cast<long>(&byte), 1);
  const timespec later{a->delay_ns / 1'000'000'000, a->delay_ns % 1'000'000'000};
  if (a->delay_ns > 0) (void)raw_syscall(SYS_nanosleep, reinterpret_cast<long>(&later), 0);
  return 0;  // the kept ones close as it exits
}

// The closer's arguments, and the pipe whose EOF tells it that ours are closed.
bool closer_args(const std::vector<UniqueFd>& fds, long delay_ns, CloserArgs& a, UniqueFd& read_end,
                 UniqueFd& write_end) {
  if (fds.empty() || fds.size() + 1 > kMaxKept) return false;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
  read_end.reset(pipe_fds[0]);
  write_end.reset(pipe_fds[1]);
  a.read_end = read_end.get();
  a.delay_ns = delay_ns;
  a.count = 0;
  a.kept[a.count++] = read_end.get();
  for (const auto& fd : fds) a.kept[a.count++] = fd.get();
  std::sort(a.kept, a.kept + a.count);
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  // the hard limit: a descriptor opened before the soft one was lowered may lie above it
  a.fd_limit =
      static_cast<int>(std::min<rlim_t>(std::max(files.rlim_cur, files.rlim_max), 1 << 20));
  return true;
}

}  // namespace

void close_later(std::vector<UniqueFd> fds, long delay_ns) {
  settle_closers_at_exit();
  reap_closers();
  CloserArgs local{};
  UniqueFd read_end, write_end;
  if (!closer_args(fds, delay_ns, local, read_end, write_end)) return;  // ours are the last
  void* stack = nullptr;
  if (kRawSyscalls) {
    stack = ::mmap(nullptr, kCloserStack, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return;
  }
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid;
  CloserArgs* args = nullptr;
  if (stack) {
    char* top = static_cast<char*>(stack) + kCloserStack;
    args = new (top - sizeof(CloserArgs) - 64) CloserArgs(local);
    pid = ::clone(closer_main, top - sizeof(CloserArgs) - 128, CLONE_VM, args);
  } else {
    pid = ::fork();
    if (pid == 0) ::_exit(closer_main(&local));
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    if (stack) ::munmap(stack, kCloserStack);
    return;
  }
  closers().push_back(Closer{pid, stack, stack ? &args->closed : nullptr, ::getpid()});
  fds.clear();  // ours first, then the pipe: the closer's references are the last
}

void settle_closers_at_exit() {
  static const bool registered = std::atexit(settle_closers) == 0;
  (void)registered;
}

void settle_closers() noexcept {
  // Until a closer has run, it holds copies of all our descriptors (its file table was copied
  // at the clone): a lock of ours (a container's supervisor.lock) would outlive our exit, and
  // `rm` take the container for running. Usually done long before; at most 100 ms each.
  const pid_t self = ::getpid();
  for (const Closer& c : closers()) {
    if (!c.closed || c.owner != self) continue;
    const timespec wait{0, 10'000'000};
    for (int i = 0; i < 10 && __atomic_load_n(c.closed, __ATOMIC_ACQUIRE) == 0; ++i)
      ::syscall(SYS_futex, c.closed, FUTEX_WAIT, 0, &wait, nullptr, 0);
  }
}

}  // namespace mydocker
