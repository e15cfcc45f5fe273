#pragma once
// docker attach, for detached containers. The supervisor of `run -d` (the process that holds
// the container's stdio) listens on <state root>/<id>/attach.sock (a unix socket, mode 0600:
// root's); `mydocker attach` connects to it. Any number of clients may be attached at once
// (docker's "screen sharing"): each gets the container's output from the moment it attached,
// and what each sends goes to the container's stdin.
//
// Frames, both ways: a kind byte, a 4-byte big-endian length, the payload.
//   supervisor -> client   'h' hello: 2 bytes, tty and stdin-open (0/1)
//                          '1' stdout bytes, '2' stderr bytes (a PTY's output is '1')
//                          'x' the container's exit status (4 bytes); then the socket closes
//   client -> supervisor   '0' stdin bytes
//                          'w' window size: rows, cols (2 bytes each)
//                          's' a signal number (4 bytes), sent on to the container (--sig-proxy)
//
// The detach keys (ctrl-p ctrl-q unless --detach-keys says) are read by the client, in -t
// containers only, as docker does: it stops sending and leaves the container running.

#include <poll.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mydocker/util/fd.hpp"

namespace mydocker::attach {

inline constexpr char kHello = 'h', kStdin = '0', kStdout = '1', kStderr = '2', kExit = 'x',
                      kResize = 'w', kSignal = 's';
inline constexpr size_t kMaxFrame = 1 << 20;  // a larger length is a broken peer

std::string frame(char kind, std::string_view payload);
std::string frame_u32(char kind, uint32_t value);
uint32_t read_u32(std::string_view p);  // big-endian, the first 4 bytes (0 when shorter)

// Frames out of a byte stream, however it was cut.
class FrameReader {
 public:
  void append(std::string_view data) { buf_.append(data); }
  // The next whole frame. Throws Error for a length above kMaxFrame.
  std::optional<std::pair<char, std::string>> next();

 private:
  std::string buf_;
};

// --detach-keys: docker's syntax, comma-separated keys, each a single character or ctrl-X
// (X one of a-z @ [ \ ] ^ _). Throws Error naming the flag and the value. "" means the
// default, ctrl-p,ctrl-q.
std::string parse_detach_keys(const std::string& spec);

// Watches the bytes typed for the detach sequence. A prefix of it is held back until the next
// byte shows whether the sequence goes on (docker does the same): a ctrl-p followed by
// anything else reaches the container as both bytes.
class DetachKeys {
 public:
  explicit DetachKeys(std::string keys) : keys_(std::move(keys)) {}
  // Appends to `out` what goes to the container; true when the sequence is complete (the
  // bytes after it are dropped).
  bool feed(std::string_view in, std::string& out);

 private:
  std::string keys_;
  size_t matched_ = 0;
};

// What clients send, as the supervisor's relay applies it.
struct Input {
  std::function<void(std::string_view)> stdin_data;  // null: the container has no stdin
  std::function<void(unsigned rows, unsigned cols)> resize;
  std::function<void(int signal)> signal;
};

// The supervisor's side: the listening socket and its clients, polled by the relay.
class Server {
 public:
  // Binds <dir>/attach.sock (by the directory's fd: no length limit on `dir`). Throws Error.
  Server(const std::string& dir, bool tty, bool stdin_open);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Appends the fds to poll: the listening socket and each client (with POLLOUT while it has
  // output waiting). `input`: whether to read what clients send now (false while the
  // container's stdin is full).
  void add_pollfds(std::vector<pollfd>& fds, bool input) const;
  // The entries add_pollfds() appended, after poll(2).
  void handle(const pollfd* fds, size_t count, const Input& in);
  // The container's output to every client; a client more than kMaxBacklog behind is dropped
  // (the container never waits for a slow client).
  void broadcast(char kind, std::string_view data);
  // The container exited: each client gets the status (within a second) and is closed.
  void finish(int status);
  size_t clients() const { return clients_.size(); }

  static constexpr size_t kMaxBacklog = 4 << 20;

 private:
  struct Client {
    UniqueFd fd;
    FrameReader reader;
    std::string out;
    bool dead = false;
  };
  void accept_client();
  void read_client(Client& c, const Input& in);
  void flush(Client& c);
  void apply(char kind, const std::string& payload, const Input& in);

  UniqueFd dir_, listen_;
  std::vector<Client> clients_;
  bool tty_, stdin_open_;
};

}  // namespace mydocker::attach
