#pragma once
// -t: a PTY made inside the container (its own devpts instance), whose master the parent gets
// over the sync socket (SCM_RIGHTS) and relays to the caller's terminal, in raw mode.

#include <termios.h>

#include <functional>
#include <optional>
#include <string_view>

#include "mydocker/init/protocol.hpp"
#include "mydocker/util/fd.hpp"

namespace mydocker {

// In the init: opens /dev/pts/ptmx, makes the slave its controlling terminal and fds 0-2,
// sends the master to the parent over `socket`.
std::optional<InitFailure> make_pty(const InitConfig& c, int socket, bool dry);

// The caller's terminal in raw mode for as long as this lives (when stdin is a terminal):
// keys go to the container untouched (^C included), and it is restored however the run ends.
class RawTerminal {
 public:
  RawTerminal();
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  std::optional<termios> saved_;
};

// Whether -t gets a PTY (run and exec). With -i and a stdin that is not a terminal (a pipe, a
// file) a PTY would echo the input back and never see its end: docker refuses that; we run as
// -i and say so (podman warns too), so scripted runs still work.
bool use_pty(bool tty, bool interactive);

// Copies the caller's window size (stdin's) to the PTY master; false when there is none.
bool copy_window_size(int master);

// The caller's side of a container's PTY (run and exec): the master the init sent, the
// caller's terminal in raw mode while attached, and the copying both ways.
class PtyRelay {
 public:
  using Deliver = std::function<void(std::string_view)>;
  // Takes the master from `socket`. With `attach` (a foreground run) the caller's terminal
  // goes raw and the PTY gets its window size. False when none came (the init failed first).
  bool receive(int socket, bool attach);
  int fd() const { return master_ ? master_.get() : -1; }
  // The master is readable: one read, to `deliver`; at its end (EIO) the master closes.
  void pump(const Deliver& deliver);
  // stdin is readable: one read, to the master; false at stdin's end.
  bool feed_stdin();
  // SIGWINCH: the caller's window size again.
  void resize();
  // What is left in the master, then the caller's terminal as it was.
  void finish(const Deliver& deliver);

 private:
  UniqueFd master_;
  std::optional<RawTerminal> raw_;
};

}  // namespace mydocker
