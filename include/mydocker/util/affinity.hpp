#pragma once
// Where a child we clone to work beside us starts running.
//
// A new task goes to an idle CPU when the scheduler sees one; in a VM it often sees none,
// because an idle vCPU that the host has descheduled counts as busy (`vcpu_is_preempted`).
// The child then waits on our CPU until we block, and the overlap it was cloned for is lost:
// traced here (ftrace, sched_switch), 3 runs of 4 made the network namespace after the run was
// planned instead of meanwhile, and mounted the container's root after its cgroups were made
// instead of meanwhile. So such a child is nudged: queued on another CPU it may use (its
// affinity narrowed to the others, which moves it there), then given all of its CPUs back at
// once. It stays where it was put unless the scheduler moves it again: pinned for longer, it
// would wait behind whatever else runs there (the kernel's teardown of the last run's network
// namespace, say) while our CPU idles; measured, that was worse than not moving it at all.

#include <sys/types.h>

namespace mydocker {

// Queues `tid` (a child cloned a moment ago, not running yet) on a CPU other than ours, then
// gives it back the CPUs it inherited from us (narrowed by its cpuset, as at its birth). Best
// effort: one CPU, or a refusal, leaves it where it is.
void nudge_off_this_cpu(pid_t tid);

}  // namespace mydocker
