#include "mydocker/runtime/relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <vector>

#include "mydocker/init/protocol.hpp"
#include "mydocker/init/pty.hpp"
#include "mydocker/runtime/attach.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/signal_name.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
namespace {

using Clock = std::chrono::steady_clock;

class Loop {
 public:
  Loop(SignalForwarder& signals, const RelayOptions& o)
      : o_(o),
        signals_(signals),
        errors_open_(o.errors >= 0),
        out_open_(o.out >= 0),
        err_open_(o.err >= 0),
        stdin_open_(o.forward_stdin),
        pty_socket_(o.pty_socket),
        stdin_pipe_(o.stdin_pipe) {
    if (o.attach) input_ = attach_input();  // once: the poll loop hands it to each round
  }

  RelayResult run() {
    while (!step()) {
    }
    drain();
    return result_;
  }

 private:
  enum { kPid, kSignals, kErrors, kOut, kErr, kSocket, kMaster, kStdin, kSink, kOom, kCount };

  // Where input goes (attached clients', our stdin): the PTY's master (-t) or the stdin pipe (-i).
  int sink() const { return pty_.fd() >= 0 ? pty_.fd() : stdin_pipe_; }

  // Our stdin, read while nothing of it waits: into the PTY (-it) or the stdin pipe (-i);
  // where it ends, the pipe closes once what was read is written (the container reads EOF).
  bool reads_stdin() const {
    return stdin_open_ && (pty_.fd() >= 0 || (stdin_pipe_ >= 0 && pending_.empty()));
  }
  void read_stdin() {
    if (pty_.fd() >= 0) {
      stdin_open_ = pty_.feed_stdin();
      return;
    }
    char buf[16384];
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n > 0) {
      pending_.append(buf, static_cast<size_t>(n));
      write_input();
      return;
    }
    stdin_open_ = false;
    close_pipe_when_written();
  }
  void close_pipe_when_written() {
    if (stdin_open_ || !pending_.empty() || pty_.fd() >= 0 || stdin_pipe_ < 0 || !o_.forward_stdin)
      return;
    if (o_.close_stdin_pipe) o_.close_stdin_pipe();
    stdin_pipe_ = -1;
  }

  // What attached clients typed (or our stdin gave), written as far as the container reads
  // it; the rest waits (and neither is read meanwhile).
  void write_input() {
    while (!pending_.empty() && sink() >= 0) {
      const ssize_t n = ::write(sink(), pending_.data(), pending_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) {  // the container closed its stdin: ours is read no more
        pending_.clear();
        if (pty_.fd() < 0) stdin_open_ = false;
        return;
      }
      pending_.erase(0, static_cast<size_t>(n));
    }
    close_pipe_when_written();
  }

  attach::Input attach_input() {
    attach::Input in;
    if (pty_socket_ >= 0 || o_.stdin_pipe >= 0)  // -t (its PTY comes) or -i
      in.stdin_data = [this](std::string_view d) {
        pending_.append(d);
        write_input();
      };
    in.resize = [this](unsigned rows, unsigned cols) {
      winsize ws{};
      ws.ws_row = static_cast<unsigned short>(rows);
      ws.ws_col = static_cast<unsigned short>(cols);
      if (pty_.fd() >= 0) ::ioctl(pty_.fd(), TIOCSWINSZ, &ws);
    };
    in.signal = [this](int sig) {
      trace::emit("kill -" + signal_name(sig) + " " + std::to_string(o_.pid));
      ::kill(o_.pid, sig);
    };
    return in;
  }

  int timeout_ms() const {
    const int idle = o_.on_idle && started_ && !idle_ ? RelayOptions::kIdleMs : -1;
    if (!deadline_ || killed_) return idle;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline_ - Clock::now());
    const int until_deadline = static_cast<int>(std::max<int64_t>(0, left.count() + 1));
    return idle < 0 ? until_deadline : std::min(idle, until_deadline);
  }

  // Output of the container's: to `deliver`, else to our stdout/stderr (and its copy). From a
  // pipe (`which`: kOut, kErr), a stream we can no longer write stops: its pipe closes. (From
  // the PTY it is drained on, as the container's terminal must not block.)
  void deliver(std::string_view stream, std::string_view data, int which = -1) {
    if (o_.deliver) {
      o_.deliver(stream, data);
      return;
    }
    if (o_.copy) o_.copy(stream, data);
    if (!write_all_waiting(stream == "stderr" ? 2 : 1, data) && which >= 0) stop_output(which);
  }

  void stop_output(int which) {
    bool& open = which == kOut ? out_open_ : err_open_;
    if (!open) return;
    open = false;
    if (o_.close_output) o_.close_output(which == kOut ? "stdout" : "stderr");
  }

  void started() {
    if (!started_ && o_.on_started && result_.failure.empty()) o_.on_started();
    started_ = true;
  }

  // One read from the error pipe or an output pipe; closes it at its end.
  void read_pipe(int which, int fd) {
    char buf[16384];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0 && which == kErrors) result_.failure.append(buf, static_cast<size_t>(n));
    if (n > 0 && which != kErrors)
      deliver(which == kOut ? "stdout" : "stderr", std::string_view(buf, static_cast<size_t>(n)),
              which);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
      (which == kErrors ? errors_open_ : which == kOut ? out_open_ : err_open_) = false;
      if (which == kErrors) started();  // EOF: the exec closed it (or a failure came first)
    }
  }

  void handle_signals() {
    while (int sig = signals_.next()) {
      if (sig == SIGWINCH) {  // the kernel tells the container's foreground group itself
        pty_.resize();
        continue;
      }
      trace::emit("kill -" + signal_name(sig) + " " + std::to_string(o_.pid));
      ::kill(o_.pid, sig);
      if (!is_stop_signal(sig)) continue;
      result_.stop_signalled = true;
      if (!deadline_ && o_.stop_timeout >= 0)
        deadline_ = Clock::now() + std::chrono::seconds(o_.stop_timeout);
    }
    if (deadline_ && !killed_ && Clock::now() >= *deadline_) {
      spdlog::info("the container did not stop within {} s: killing it", o_.stop_timeout);
      trace::emit("kill -KILL " + std::to_string(o_.pid));
      ::kill(o_.pid, SIGKILL);
      if (o_.kill_all) o_.kill_all();
      killed_ = true;
    }
  }

  // One poll and what it found; true once the process has exited and been reaped.
  bool step() {
    std::vector<pollfd> fds = {{o_.pidfd, POLLIN, 0},
                               {signals_.fd(), POLLIN, 0},
                               {errors_open_ ? o_.errors : -1, POLLIN, 0},
                               {out_open_ ? o_.out : -1, POLLIN, 0},
                               {err_open_ ? o_.err : -1, POLLIN, 0},
                               {pty_socket_, POLLIN, 0},
                               {pty_.fd(), POLLIN, 0},
                               {reads_stdin() ? 0 : -1, POLLIN, 0},
                               {pending_.empty() ? -1 : sink(), POLLOUT, 0},
                               {o_.oom, POLLIN, 0}};
    if (o_.attach) o_.attach->add_pollfds(fds, pending_.empty());
    int ready = ::poll(fds.data(), fds.size(), timeout_ms());
    // Quiet for a while: once, until something happens again (on_idle waits in our place).
    if (ready == 0 && o_.on_idle && started_ && !idle_) {
      idle_ = true;
      ready = o_.on_idle(fds.data(), fds.size(), timeout_ms());
    }
    if (ready < 0) {
      if (errno == EINTR) return false;
      throw_errno("poll");
    }
    if (ready > 0) idle_ = false;
    for (int i : {kErrors, kOut, kErr})
      if (fds[i].revents != 0) read_pipe(i, fds[i].fd);
    if (fds[kSocket].revents != 0) {  // -t: the PTY's master (or EOF: the init failed first)
      pty_.receive(pty_socket_, o_.attach_terminal);
      pty_socket_ = -1;
      write_input();  // typed before the PTY came
    }
    if (fds[kMaster].revents != 0) pty_.pump([&](std::string_view d) { deliver("stdout", d); });
    if (fds[kStdin].revents != 0) read_stdin();
    if (fds[kSink].revents != 0) write_input();
    if (fds[kOom].revents != 0 && o_.on_oom) o_.on_oom();
    if (o_.attach) o_.attach->handle(fds.data() + kCount, fds.size() - kCount, input_);
    handle_signals();
    if (fds[kPid].revents == 0) return false;
    int status = 0;
    while (::waitpid(o_.pid, &status, 0) < 0 && errno == EINTR) {
    }
    result_.status = exit_status(status);
    return true;
  }

  // What is left in the pipes and the PTY (the namespace's processes are gone, so they end),
  // then the caller's terminal as it was.
  void drain() {
    const struct {
      int which, fd;
      const bool& open;
    } pipes[] = {
        {kErrors, o_.errors, errors_open_}, {kOut, o_.out, out_open_}, {kErr, o_.err, err_open_}};
    for (const auto& p : pipes) {
      if (!p.open) continue;
      ::fcntl(p.fd, F_SETFL, O_NONBLOCK);
      char buf[16384];
      ssize_t n;
      while (p.open && (n = ::read(p.fd, buf, sizeof buf)) > 0) {
        const std::string_view data(buf, static_cast<size_t>(n));
        if (p.which == kErrors)
          result_.failure.append(data);
        else
          deliver(p.which == kOut ? "stdout" : "stderr", data, p.which);
      }
    }
    pty_.finish([&](std::string_view d) { deliver("stdout", d); });
    started();
  }

  const RelayOptions& o_;
  SignalForwarder& signals_;
  PtyRelay pty_;
  RelayResult result_;
  bool errors_open_, out_open_, err_open_, stdin_open_;
  int pty_socket_;
  int stdin_pipe_;  // o_.stdin_pipe until it is closed
  bool started_ = false, killed_ = false, idle_ = false;
  std::optional<Clock::time_point> deadline_;
  std::string pending_;  // input (attached clients', or our stdin) the container has not read
  attach::Input input_;  // what attached clients send, applied here
};

}  // namespace

TerminalRelay terminal_relay(bool interactive) {
  return {::isatty(STDOUT_FILENO) == 1 || ::isatty(STDERR_FILENO) == 1,
          interactive && ::isatty(STDIN_FILENO) == 1};
}

RelayResult relay(SignalForwarder& signals, const RelayOptions& o) {
  return Loop(signals, o).run();
}

}  // namespace mydocker
