#pragma once
// -t: a PTY made inside the container (its own devpts instance), whose master the parent gets
// over the sync socket (SCM_RIGHTS) and relays to the caller's terminal, in raw mode.

#include <termios.h>

#include <optional>

#include "mydocker/container/init.hpp"
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

// Copies the caller's window size (stdin's) to the PTY master; false when there is none.
bool copy_window_size(int master);

}  // namespace mydocker
