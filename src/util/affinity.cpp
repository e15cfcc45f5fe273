#include "mydocker/util/affinity.hpp"

#include <sched.h>

namespace mydocker {

void nudge_off_this_cpu(pid_t tid) {
  cpu_set_t had, ours;
  CPU_ZERO(&had);
  CPU_ZERO(&ours);
  const int here = ::sched_getcpu();
  if (here < 0 || here >= CPU_SETSIZE || ::sched_getaffinity(tid, sizeof had, &had) != 0 ||
      ::sched_getaffinity(0, sizeof ours, &ours) != 0 || !CPU_ISSET(here, &had) ||
      CPU_COUNT(&had) < 2)
    return;
  cpu_set_t others = had;
  CPU_CLR(here, &others);
  if (::sched_setaffinity(tid, sizeof others, &others) != 0) return;
  // Back to what it inherited: our mask (Linux 6.2+ keeps the one asked for and intersects
  // every later cpuset with it: the cpuset-narrowed one would pin it there), which the kernel
  // narrows to its cpuset; where ours has no CPU of that cpuset, the one it had.
  if (::sched_setaffinity(tid, sizeof ours, &ours) != 0)
    (void)::sched_setaffinity(tid, sizeof had, &had);
}

}  // namespace mydocker
