#include "mydocker/net/netns.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "mydocker/util/error.hpp"
#include "mydocker/util/timing.hpp"

namespace mydocker::net {

// unshare(CLONE_NEWNET) moves only the calling thread: the process's other threads, and the
// children it makes later, stay where they were. The thread's reference goes when it exits;
// the fd keeps the namespace.
NetnsOnThread::NetnsOnThread(bool make) {
  if (!make) return;
  // Born with every signal blocked: a signal for the process is then never delivered to it
  // (the caller's SignalForwarder blocks them in the main thread later).
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  thread_ = std::thread([this] {
    try {
      if (::unshare(CLONE_NEWNET) != 0) throw_errno("unshare(CLONE_NEWNET)");
      made_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!made_) throw_errno("open /proc/thread-self/ns/net");
      timing::mark("netns: made");
    } catch (...) {
      error_ = std::current_exception();
    }
  });
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

NetnsOnThread::~NetnsOnThread() {
  if (thread_.joinable()) thread_.join();
}

UniqueFd NetnsOnThread::take() {
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  return std::move(made_);
}

}  // namespace mydocker::net
