#include "mydocker/init/pty.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mydocker/util/error.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {

std::optional<InitFailure> make_pty(const InitConfig& c, int socket, bool dry) {
  if (!c.tty) return std::nullopt;
  trace::emit(
      "# a PTY from /dev/pts/ptmx: its slave is the command's terminal, its master "
      "goes to mydocker");
  if (dry) return std::nullopt;
  auto failed = [](const char* what) {
    return InitFailure{kExitSetupError, std::string(what) + ": " + std::strerror(errno)};
  };
  UniqueFd master(::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return failed("open /dev/pts/ptmx");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) return failed("unlockpt");
  // The slave straight from the master (no path to race on).
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY));
  if (!slave) return failed("open the PTY's slave");
  if (c.rows > 0 && c.cols > 0) {
    winsize ws{static_cast<unsigned short>(c.rows), static_cast<unsigned short>(c.cols), 0, 0};
    ::ioctl(slave.get(), TIOCSWINSZ, &ws);
  }
  if (c.make_console) {  // OCI: /dev/console is the PTY's slave, as runc binds it
    unsigned int n = 0;
    if (::ioctl(master.get(), TIOCGPTN, &n) != 0) return failed("ptsname");
    const std::string pts = "/dev/pts/" + std::to_string(n);
    if (::mount(pts.c_str(), "/dev/console", nullptr, MS_BIND, nullptr) != 0)
      return failed("mount --bind /dev/pts/N /dev/console");
  }
  if (::setsid() < 0) return failed("setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) return failed("set the controlling terminal");
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave.get(), fd) < 0) return failed("dup2 the PTY");
  if (!send_fd(socket, master.get())) return failed("send the PTY to mydocker");
  return std::nullopt;
}

RawTerminal::RawTerminal() {
  termios t;
  if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &t) != 0) return;
  saved_ = t;
  ::cfmakeraw(&t);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

RawTerminal::~RawTerminal() {
  if (saved_) ::tcsetattr(STDIN_FILENO, TCSANOW, &*saved_);
}

bool copy_window_size(int master) {
  winsize ws{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0) return false;
  return ::ioctl(master, TIOCSWINSZ, &ws) == 0;
}

bool use_pty(bool tty, bool interactive) {
  if (!tty || !interactive || ::isatty(STDIN_FILENO)) return tty;
  spdlog::warn("stdin is not a terminal: -t ignored, running as -i");
  return false;
}

bool PtyRelay::receive(int socket, bool attach) {
  master_.reset(receive_fd(socket));
  if (!master_) return false;
  ::fcntl(master_.get(), F_SETFL, O_NONBLOCK);
  if (attach) {
    raw_.emplace();
    copy_window_size(master_.get());
  }
  return true;
}

void PtyRelay::pump(const Deliver& deliver) {
  char buf[16384];
  const ssize_t n = ::read(master_.get(), buf, sizeof buf);
  if (n > 0)
    deliver(std::string_view(buf, static_cast<size_t>(n)));
  else if (n == 0 || (errno != EAGAIN && errno != EINTR))
    master_.reset();  // EIO: every slave fd is closed
}

bool PtyRelay::feed_stdin() {
  char buf[16384];
  const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
  if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINTR);
  (void)write_all(master_.get(), buf, static_cast<size_t>(n));
  return true;
}

void PtyRelay::resize() {
  if (master_ && raw_) copy_window_size(master_.get());
}

void PtyRelay::finish(const Deliver& deliver) {
  if (master_) {
    char buf[16384];
    ssize_t n;
    while ((n = ::read(master_.get(), buf, sizeof buf)) > 0)
      deliver(std::string_view(buf, static_cast<size_t>(n)));
    master_.reset();
  }
  raw_.reset();
}

}  // namespace mydocker
