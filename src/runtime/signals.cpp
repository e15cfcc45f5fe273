#include "mydocker/runtime/signals.hpp"

#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include "mydocker/util/error.hpp"
#include "mydocker/util/signal_name.hpp"

namespace mydocker {
namespace {

// SIGWINCH is read too: a -t container's PTY gets the caller's new window size.
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

}  // namespace

SignalForwarder::SignalForwarder() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwarded) sigaddset(&set, sig);
  if (::sigprocmask(SIG_BLOCK, &set, &original_) != 0) throw_errno("sigprocmask");
  fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd_) {
    int err = errno;
    ::sigprocmask(SIG_SETMASK, &original_, nullptr);
    throw SysError(err, "signalfd");
  }
}

// The mask stays: mydocker exits right after a run, and a late SIGTERM arriving after an
// unblock would kill it before it reports the command's status and cleans up.
SignalForwarder::~SignalForwarder() = default;

int SignalForwarder::next() {
  signalfd_siginfo info;
  ssize_t n;
  do {
    n = ::read(fd_.get(), &info, sizeof info);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof info)) return 0;
  return static_cast<int>(info.ssi_signo);
}

bool is_stop_signal(int sig) {
  return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
}

int stop_signal_of(const nlohmann::json& config) {
  const std::string name = config.is_object() ? config.value("stop_signal", "") : "";
  if (name.empty()) return SIGTERM;
  try {
    return parse_signal(name);
  } catch (const Error&) {
    spdlog::warn("the image's StopSignal {} is no signal: SIGTERM sent", name);
    return SIGTERM;
  }
}

}  // namespace mydocker
