#pragma once
// Descriptors whose last close is slow, closed by a "closer": a child nobody waits for.
//   - A netfilter netlink socket: its release waits for nf_tables' pending frees (an RCU grace
//     period, 6-17 ms here; net/netlink.cpp).
//   - A removed directory of a container's layer: its inode is freed at its last reference, and
//     on ext4 without a journal mounted with `discard` (this VM's disk) freeing its block is a
//     synchronous discard to the disk: 20-600 µs each, three per `run --rm` (spec/layer.cpp).
//     Held open, the directory is gone from every path when its rmdir returns; the closer frees
//     the inode beside the rest of the run's teardown and the next run, not on its path.
//
// The closer shares our memory (CLONE_VM: no page tables copied, ~40 µs against ~130 for a
// fork) but has its own copy of the file table; it closes every descriptor but the ones it
// keeps and says so (settle_closers waits for that at our exit, so that no lock of ours
// outlives us), waits until we have closed ours (its reference must be the last), then
// `delay_ns` longer, and exits, closing them.

#include <vector>

#include "mydocker/util/fd.hpp"

namespace mydocker {

// Hands `fds` (8 at most) to a closer; on any failure they are closed here, as before.
void close_later(std::vector<UniqueFd> fds, long delay_ns = 0);

// Waits (100 ms at most each) until our closers have closed their copies of our other
// descriptors: run at exit and before a supervisor's _exit.
void settle_closers() noexcept;
// Registers settle_closers with atexit (once; close_later does it too). An object whose static
// destructor makes a closer registers it before it exists, so that it runs after that.
void settle_closers_at_exit();

}  // namespace mydocker
