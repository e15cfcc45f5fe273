#pragma once
// Where a child we clone to work beside us starts running.
//
// A new task goes to an idle CPU when the scheduler sees one; in a VM it often sees none,
// because an idle vCPU that the host has descheduled counts as busy (`vcpu_is_preempted`).
// The child then waits on our CPU until we block, and the overlap it was cloned for is lost:
// traced here (ftrace, sched_switch), 3 runs of 4 made the network namespace after the run was
// planned instead of meanwhile, and mounted the container's root after its cgroups were made
// instead of meanwhile. So such a child is given every CPU it may use but the one we run on
// (when there is another), and its own CPUs back once that part is over.

#include <sched.h>
#include <sys/types.h>

#include <optional>

namespace mydocker {

// Moves `tid` (a child cloned a moment ago) off the CPU we run on, to the others it may use.
// Returns the CPUs it had, to give back (restore_affinity); nullopt when nothing changed (one
// CPU, or a refusal: best effort).
std::optional<cpu_set_t> move_off_this_cpu(pid_t tid);

// Gives `tid` its CPUs back (what move_off_this_cpu returned). Best effort.
void restore_affinity(pid_t tid, const cpu_set_t& cpus);

}  // namespace mydocker
