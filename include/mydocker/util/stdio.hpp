#pragma once
// Our stdout and stderr when the caller made them non-blocking (a Node or Python parent that
// reads a pipe with O_NONBLOCK set on it: the flag belongs to the pipe, so our end has it too).
// stdio gives up on EAGAIN and drops what it had buffered; `logs` of a big log lost all but the
// first 64 KiB. Such a stream is replaced by one that waits (poll) until the reader makes room.
// The flag itself is left as it is: the open file is shared with the caller.

namespace mydocker {

// Checks fds 1 and 2 (one fcntl each); replaces stdout/stderr only where O_NONBLOCK is set.
void wait_on_nonblocking_stdio();

}  // namespace mydocker
