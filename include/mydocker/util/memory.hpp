#pragma once
// The memory a long-lived mydocker process (a detached container's supervisor) keeps while it
// sleeps.

#include <poll.h>

#include <cstddef>

namespace mydocker {

// Gives back what a sleeping process can refault cheaply: the pages of mydocker's own binary
// that were never written (its code and read-only data: unmapped from this process only, the
// page cache keeps them, and the next use maps them again in microseconds), and the free heap.
// Pages a process changed (the relocated RELRO, .data, the heap in use) stay. Best effort:
// errors are ignored. Then it sleeps in poll(2) on `fds` for `timeout_ms` and returns what
// poll returns (-1 with errno): a raw system call right after the release, so that no other
// code of ours comes back before the sleep (each page touched brings back the page cache's
// folio around it, 64 KiB or more: the return to the caller's loop, its vector, signals and
// libc's poll cost an idle supervisor 600 KiB).
int release_idle_memory_and_poll(pollfd* fds, size_t count, int timeout_ms);

}  // namespace mydocker
