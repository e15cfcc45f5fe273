#pragma once
// Signals sent to mydocker during a run go to the container's init (docker's sig-proxy).
// They are blocked and read from a signalfd, so they are handled in the wait loop, never in a
// handler.

#include <signal.h>

#include <nlohmann/json.hpp>
#include <string>

#include "mydocker/util/fd.hpp"

namespace mydocker {

class SignalForwarder {
 public:
  SignalForwarder();   // blocks the forwarded signals, opens the signalfd
  ~SignalForwarder();  // closes the signalfd; the signals stay blocked (see signals.cpp)
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;

  int fd() const { return fd_.get(); }
  const sigset_t& original_mask() const { return original_; }
  // The next pending signal, or 0.
  int next();

 private:
  sigset_t original_;
  UniqueFd fd_;
};

// SIGINT, SIGTERM, SIGHUP, SIGQUIT: after one of these, --stop-timeout starts counting.
bool is_stop_signal(int sig);
// A container's stop signal: its config.json's stop_signal (--stop-signal, else the image's
// StopSignal: docker's rule), SIGTERM without one or for a name that is no signal (warned).
int stop_signal_of(const nlohmann::json& config);

}  // namespace mydocker
