#include "mydocker/util/affinity.hpp"

#include <sched.h>

namespace mydocker {

void nudge_off_this_cpu(pid_t tid) {
  cpu_set_t had;
  CPU_ZERO(&had);
  const int here = ::sched_getcpu();
  if (here < 0 || here >= CPU_SETSIZE || ::sched_getaffinity(tid, sizeof had, &had) != 0 ||
      !CPU_ISSET(here, &had) || CPU_COUNT(&had) < 2)
    return;
  cpu_set_t others = had;
  CPU_CLR(here, &others);
  if (::sched_setaffinity(tid, sizeof others, &others) == 0)
    (void)::sched_setaffinity(tid, sizeof had, &had);
}

}  // namespace mydocker
