// mydocker attach: connects to a detached container's supervisor (runtime/attach.hpp) and
// relays our stdio to the container's, as docker attach does.
#include "mydocker/commands/attach.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>

#include "mydocker/init/pty.hpp"
#include "mydocker/runtime/attach.hpp"
#include "mydocker/runtime/signals.hpp"
#include "mydocker/store/store.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"

namespace mydocker {
namespace {

// docker's words for the states that cannot be attached to (docker exits 1 for them).
void check_attachable(const ContainerState& st) {
  if (st.status == "paused")
    throw Error("You cannot attach to a paused container, unpause it first", 1);
  if (st.status == "restarting")
    throw Error("You cannot attach to a restarting container, wait until it is running", 1);
  if (!st.live()) throw Error("You cannot attach to a stopped container, start it first", 1);
}

UniqueFd connect_to(const ContainerDir& dir, const std::string& ref, const ContainerState& st) {
  UniqueFd d(::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!d) throw SysError(errno, "open " + dir.path());
  const std::string path = "/proc/self/fd/" + std::to_string(d.get()) + "/attach.sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("socket");
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return s;
  const int err = errno;
  if (err == ENOENT && !dir.config().value("detached", false))
    throw Error("cannot attach to " + ref + ": it runs in the foreground of `mydocker run` (pid " +
                    std::to_string(st.supervisor_pid) +
                    "), which relays its stdio; only a detached container (run -d) can be attached",
                1);
  if (err == ENOENT)  // a supervisor of a mydocker from before attach
    throw Error("cannot attach to " + ref +
                    ": its supervisor does not listen for attach (started by an older mydocker; "
                    "`mydocker restart " +
                    ref + "` gives it one that does)",
                1);
  throw SysError(err, "connect " + dir.path() + "/attach.sock");
}

// The terminal's window size as a 'w' frame ("" when stdin is no terminal).
std::string window_frame() {
  winsize ws{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0) return "";
  return attach::frame_u32(attach::kResize, (uint32_t{ws.ws_row} << 16) | ws.ws_col);
}

class Session {
 public:
  Session(UniqueFd sock, const AttachOptions& o) : sock_(std::move(sock)), o_(o) {}

  int run(const std::string& keys) {
    read_hello();
    detach_.emplace(keys);
    send_stdin_ = !o_.no_stdin && stdin_open_;
    if (tty_ && send_stdin_ && !::isatty(STDIN_FILENO))
      throw Error(
          "the input device is not a TTY (the container has -t: attach from a terminal, "
          "or with --no-stdin)",
          1);
    if (tty_ && ::isatty(STDIN_FILENO)) {
      if (send_stdin_) raw_.emplace();
      send(window_frame());
    }
    for (;;)
      if (auto status = step()) return *status;
  }

 private:
  void read_hello() {
    while (!hello_) {
      char buf[256];
      const ssize_t n = ::read(sock_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Error("the container ended before it could be attached", 1);
      reader_.append(std::string_view(buf, static_cast<size_t>(n)));
      if (auto f = reader_.next(); f && f->first == attach::kHello && f->second.size() == 2) {
        tty_ = f->second[0] != 0;
        stdin_open_ = f->second[1] != 0;
        hello_ = true;
      }
    }
  }

  void send(const std::string& f) {
    if (!f.empty()) (void)write_all(sock_.get(), f.data(), f.size());
  }

  // One poll; the container's status once it has exited (or we detached).
  std::optional<int> step() {
    pollfd fds[3] = {{sock_.get(), POLLIN, 0},
                     {send_stdin_ ? STDIN_FILENO : -1, POLLIN, 0},
                     {signals_.fd(), POLLIN, 0}};
    // Frames already read (with the hello) first.
    if (auto status = frames()) return status;
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) return std::nullopt;
      throw_errno("poll");
    }
    if (fds[2].revents != 0)
      if (auto status = on_signals()) return status;
    if (fds[1].revents != 0)
      if (auto status = on_stdin()) return status;
    if (fds[0].revents != 0) {
      char buf[16384];
      const ssize_t n = ::read(sock_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) return std::nullopt;
      if (n <= 0) throw Error("the container's supervisor ended without its exit status", 1);
      reader_.append(std::string_view(buf, static_cast<size_t>(n)));
      return frames();
    }
    return std::nullopt;
  }

  std::optional<int> frames() {
    while (auto f = reader_.next()) {
      const auto& [kind, data] = *f;
      if (kind == attach::kStdout) (void)write_all(STDOUT_FILENO, data.data(), data.size());
      if (kind == attach::kStderr) (void)write_all(STDERR_FILENO, data.data(), data.size());
      if (kind == attach::kExit) return static_cast<int>(attach::read_u32(data));
    }
    return std::nullopt;
  }

  std::optional<int> on_stdin() {
    char buf[16384];
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return std::nullopt;
    if (n <= 0) {
      // Our stdin ended; the container's stays open (docker's run -di: not StdinOnce).
      send_stdin_ = false;
      return std::nullopt;
    }
    std::string out;
    const std::string_view in(buf, static_cast<size_t>(n));
    const bool detach = tty_ && detach_->feed(in, out);  // docker: detach keys with -t only
    if (!tty_) out.assign(in);
    if (!out.empty()) send(attach::frame(attach::kStdin, out));
    if (!detach) return std::nullopt;
    raw_.reset();
    std::fputs("read escape sequence\n", stderr);
    return 1;
  }

  // SIGWINCH: the new size. Others: to the container (--sig-proxy, without -t, as docker);
  // else they end the attach, and the container goes on.
  std::optional<int> on_signals() {
    while (int sig = signals_.next()) {
      if (sig == SIGWINCH) {
        if (tty_) send(window_frame());
        continue;
      }
      if (o_.sig_proxy && !tty_) {
        send(attach::frame_u32(attach::kSignal, static_cast<uint32_t>(sig)));
        continue;
      }
      raw_.reset();
      return 128 + sig;
    }
    return std::nullopt;
  }

  UniqueFd sock_;
  const AttachOptions& o_;
  SignalForwarder signals_;
  attach::FrameReader reader_;
  std::optional<attach::DetachKeys> detach_;
  std::optional<RawTerminal> raw_;
  bool hello_ = false, tty_ = false, stdin_open_ = false, send_stdin_ = false;
};

}  // namespace

int attach_container(const AttachOptions& o) {
  const std::string keys = attach::parse_detach_keys(o.detach_keys);  // bad input: before all
  const Store store(o.state_root);
  const ContainerDir dir = store.open(o.container);
  const ContainerState st = dir.status();
  check_attachable(st);
  ::signal(SIGPIPE, SIG_IGN);
  Session s(connect_to(dir, o.container, st), o);
  return s.run(keys);
}

}  // namespace mydocker
