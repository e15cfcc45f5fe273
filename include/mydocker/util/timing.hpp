#pragma once
// MYDOCKER_TIMING=1: a line on stderr at each phase of a run, with the time since the epoch in
// microseconds (CLOCK_MONOTONIC, so the parent's and the init's lines merge by sorting), for
// profiling where a start spends its time. Off, it costs one branch. MYDOCKER_TIMING=rss adds
// the resident memory to each line (a read of /proc/self/status: some 30 µs a mark).

namespace mydocker::timing {

// Reads MYDOCKER_TIMING once (the init inherits the environment of its exec).
bool enabled();
// "mydocker-timing <µs> <pid> <what>"
void mark(const char* what);

}  // namespace mydocker::timing
