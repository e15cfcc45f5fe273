#pragma once
// The memory a long-lived mydocker process (a detached container's supervisor) keeps while it
// sleeps.

namespace mydocker {

// Gives back what a sleeping process can refault cheaply: the pages of mydocker's own binary
// that were never written (its code and read-only data: unmapped from this process only, the
// page cache keeps them, and the next use maps them again in microseconds), and the free heap.
// Pages a process changed (the relocated RELRO, .data, the heap in use) stay. Best effort:
// errors are ignored.
void release_idle_memory();

}  // namespace mydocker
