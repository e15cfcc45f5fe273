// The wait phase (relay), with plain forked children instead of containers: no root, no
// namespaces. It must return the exit status, deliver the output pipes, tell a failure from a
// start, forward signals, and kill after the stop timeout.

#include "mydocker/runtime/relay.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "mydocker/init/protocol.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"

namespace mydocker {
namespace {

// A child that runs `body` and exits with its result; the parent's pipe ends stay open.
struct Forked {
  pid_t pid = -1;
  UniqueFd pidfd;
};

template <typename Body>
Forked fork_child(Body body) {
  Forked f;
  f.pid = ::fork();
  if (f.pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::_exit(body());
  }
  f.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, f.pid, 0)));
  return f;
}

TEST(Relay, ReturnsTheStatusAndDeliversBothStreams) {
  SignalForwarder signals;
  Pipe out = make_pipe(), err = make_pipe();
  Forked child = fork_child([&] {
    (void)!::write(out.write.get(), "hello\n", 6);
    (void)!::write(err.write.get(), "oops\n", 5);
    return 3;
  });
  out.write.reset();
  err.write.reset();
  std::string got_out, got_err;
  RelayOptions o;
  o.pid = child.pid;
  o.pidfd = child.pidfd.get();
  o.out = out.read.get();
  o.err = err.read.get();
  o.deliver = [&](std::string_view stream, std::string_view data) {
    (stream == "stdout" ? got_out : got_err).append(data);
  };

  const RelayResult r = relay(signals, o);

  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(got_out, "hello\n");
  EXPECT_EQ(got_err, "oops\n");
  EXPECT_TRUE(r.failure.empty());
  EXPECT_FALSE(r.stop_signalled);
}

TEST(Relay, AFailureOnTheErrorPipeIsReturnedAndIsNoStart) {
  SignalForwarder signals;
  Pipe errors = make_pipe();
  Forked child = fork_child([&] {
    const std::string msg = encode_failure({kExitNotFound, "exec: \"x\": not found"});
    (void)!::write(errors.write.get(), msg.data(), msg.size());
    return kExitNotFound;
  });
  errors.write.reset();
  bool started = false;
  RelayOptions o;
  o.pid = child.pid;
  o.pidfd = child.pidfd.get();
  o.errors = errors.read.get();
  o.on_started = [&] { started = true; };

  const RelayResult r = relay(signals, o);

  EXPECT_EQ(r.status, kExitNotFound);
  auto f = decode_failure(r.failure);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, "exec: \"x\": not found");
  EXPECT_FALSE(started);
}

TEST(Relay, AnErrorPipeClosedEmptyMeansTheCommandStarted) {
  SignalForwarder signals;
  Pipe errors = make_pipe();
  Pipe release = make_pipe();
  Forked child = fork_child([&] {
    ::close(errors.write.release());  // as the command's exec closes it
    release.write.reset();
    char c;
    (void)!::read(release.read.get(), &c, 1);
    return 0;
  });
  errors.write.reset();
  bool started = false;
  RelayOptions o;
  o.pid = child.pid;
  o.pidfd = child.pidfd.get();
  o.errors = errors.read.get();
  o.on_started = [&] {
    started = true;
    release.write.reset();  // the child may end now
  };

  const RelayResult r = relay(signals, o);

  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(started);
}

TEST(Relay, AStopSignalIsForwardedAndTheStopTimeoutKills) {
  SignalForwarder signals;
  Forked child = fork_child([] {
    ::signal(SIGTERM, SIG_IGN);  // as a namespace's init without a handler
    ::pause();
    return 0;
  });
  ::usleep(50000);
  bool killed_all = false;
  RelayOptions o;
  o.pid = child.pid;
  o.pidfd = child.pidfd.get();
  o.stop_timeout = 1;
  o.kill_all = [&] { killed_all = true; };
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);  // blocked: read from the signalfd by the relay
  const auto begin = std::chrono::steady_clock::now();

  const RelayResult r = relay(signals, o);

  EXPECT_EQ(r.status, 128 + SIGKILL);
  EXPECT_TRUE(r.stop_signalled);
  EXPECT_TRUE(killed_all);
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(900));
}

}  // namespace
}  // namespace mydocker
