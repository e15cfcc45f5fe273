#pragma once
// A run's network namespace, made on a thread of its own while the run is planned.
//
// A clone with CLONE_NEWNET spends about 0.35 ms in the kernel making the namespace (its
// loopback, its sysctl tables, every pernet subsystem's state): a seventh of the floor of a
// whole container. Nothing of it depends on the run's plan, so `mydocker run` starts this
// thread as soon as its command line is parsed, and the init, cloned without CLONE_NEWNET,
// enters the namespace (setns) before anything else. The caller must take() (join) before it
// forks or clones: a child copied from a process with two threads could inherit a lock held
// by the other.

#include <exception>
#include <thread>

#include "mydocker/util/fd.hpp"

namespace mydocker::net {

class NetnsOnThread {
 public:
  NetnsOnThread() = default;  // none made
  explicit NetnsOnThread(bool make);
  NetnsOnThread(const NetnsOnThread&) = delete;
  NetnsOnThread& operator=(const NetnsOnThread&) = delete;
  ~NetnsOnThread();  // joins; a namespace not taken is dropped
  // Joins the thread: the namespace (an O_CLOEXEC fd of it), or an empty fd when none was
  // asked for. Throws what the thread met.
  UniqueFd take();

 private:
  std::thread thread_;
  UniqueFd made_;
  std::exception_ptr error_;
};

}  // namespace mydocker::net
