#pragma once
// The wait phase, shared by `run` (the supervisor) and `exec`: one poll loop until the
// container's process exits. It forwards the signals mydocker receives (SIGWINCH resizes the
// PTY instead), reads the init's error pipe (EOF without a message: the command's exec worked),
// copies the container's output pipes (detached: to the log) and its PTY (-t), feeds stdin to
// the PTY (-it), and after a stop signal and the stop timeout kills everything in the cgroups.

#include <poll.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "mydocker/runtime/signals.hpp"

namespace mydocker {

namespace attach {
class Server;
}

struct RelayOptions {
  pid_t pid = -1;                // the process to wait for (the container's init, or exec's waiter)
  int pidfd = -1;                // readable when it exits
  int errors = -1;               // the init's error pipe (-1: none)
  int out = -1, err = -1;        // the container's stdout/stderr pipes (-1: it writes to ours)
  int pty_socket = -1;           // -t: the PTY master arrives here (SCM_RIGHTS)
  bool attach_terminal = false;  // our terminal goes raw and follows the PTY's window size
  bool forward_stdin = false;    // -it: our stdin goes to the PTY; -i: to `stdin_pipe`
  int stop_timeout = -1;         // seconds from a stop signal to kill_all; -1: never
  // A detached container: `mydocker attach` clients (runtime/attach.hpp); what they type goes
  // to the PTY (-t) or to `stdin_pipe` (-i), where the container reads it.
  attach::Server* attach = nullptr;
  // -i without a PTY: the container's stdin, a pipe whose other end it reads. Attach clients
  // write to it (detached), or our stdin does (forward_stdin).
  int stdin_pipe = -1;
  // Closes `stdin_pipe` (its owner's): the container reads EOF once ours has ended (-i).
  std::function<void()> close_stdin_pipe;
  // Where the container's output goes instead of our stdout/stderr (a detached container's log
  // and attach clients): "stdout" or "stderr", and the bytes.
  std::function<void(std::string_view stream, std::string_view data)> deliver;
  // Without `deliver`: a copy of what goes to our stdout/stderr (a foreground container's log).
  std::function<void(std::string_view stream, std::string_view data)> copy;
  // Closes our end of the container's "stdout" or "stderr" pipe (its owner's) once ours is gone
  // (EPIPE): the container then gets EPIPE too, as in a pipeline (`run ... yes | head -1`).
  std::function<void(std::string_view stream)> close_output;
  std::function<void()> kill_all;    // after the stop timeout
  std::function<void()> on_started;  // the error pipe closed without a message
  int oom = -1;                      // readable when the OOM killer may have acted (oom_watch)
  std::function<void()> on_oom;      // ... then called (to drain it)
  // Called once each time the loop has been quiet for kIdleMs after it started (a detached
  // supervisor gives back memory it does not need while it sleeps): it then waits in the
  // loop's place, poll(2) on `fds` for `timeout_ms`, and returns what poll returned.
  std::function<int(pollfd* fds, size_t count, int timeout_ms)> on_idle;
  static constexpr int kIdleMs = 1000;
};

// Without a PTY a container never gets our terminal (it could change its settings, or with
// CAP_SYS_ADMIN push input into it: TIOCSTI): which of our streams go through pipes of ours
// because they are terminals (docker's: always pipes). Pipes and files are handed over as they
// are, so a run with neither copies none of its output.
struct TerminalRelay {
  bool output = false;  // our stdout or stderr is a terminal
  bool input = false;   // -i, and our stdin is a terminal
};
TerminalRelay terminal_relay(bool interactive);

struct RelayResult {
  int status = 0;               // exit_status(): the code, or 128+N for signal N
  std::string failure;          // what the init wrote to the error pipe (encode_failure)
  bool stop_signalled = false;  // SIGTERM, SIGINT, SIGHUP or SIGQUIT reached us meanwhile
};

// Runs until the process exits and is reaped; then drains what is left in the pipes and the
// PTY and gives the caller's terminal back as it was.
RelayResult relay(SignalForwarder& signals, const RelayOptions& o);

}  // namespace mydocker
