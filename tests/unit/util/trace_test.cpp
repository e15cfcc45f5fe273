// --trace: shell-quoted "+ " lines written to a file descriptor.

#include "mydocker/util/trace.hpp"

#include <gtest/gtest.h>

#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using test::TraceCapture;

TEST(TraceQuote, LeavesPlainWordsBare) {
  EXPECT_EQ(trace::quote("echo"), "echo");
  EXPECT_EQ(trace::quote("104857600"), "104857600");
  EXPECT_EQ(trace::quote("/sys/fs/cgroup/cpu,cpuacct/mydocker/x"),
            "/sys/fs/cgroup/cpu,cpuacct/mydocker/x");
  EXPECT_EQ(trace::quote("--vm-bytes=200m"), "--vm-bytes=200m");
  EXPECT_EQ(trace::quote("a_b.c:d+e%f@g"), "a_b.c:d+e%f@g");
  EXPECT_EQ(trace::quote("-1"), "-1");
}

TEST(TraceQuote, QuotesWordsTheShellWouldSplitOrExpand) {
  EXPECT_EQ(trace::quote("a b"), "'a b'");
  EXPECT_EQ(trace::quote(""), "''");
  EXPECT_EQ(trace::quote("a\tb"), "'a\tb'");
  EXPECT_EQ(trace::quote("*"), "'*'");
  EXPECT_EQ(trace::quote("a;b"), "'a;b'");
  EXPECT_EQ(trace::quote("\"x\""), "'\"x\"'");
  EXPECT_EQ(trace::quote("a\\b"), "'a\\b'");
}

TEST(TraceQuote, EscapesSingleQuotesTheShellWay) {
  EXPECT_EQ(trace::quote("it's"), "'it'\\''s'");
  EXPECT_EQ(trace::quote("'"), "''\\'''");
}

TEST(TraceQuote, QuotesDollarExceptThePidPlaceholder) {
  EXPECT_EQ(trace::quote("$PID"), "$PID");
  EXPECT_EQ(trace::quote("$HOME"), "'$HOME'");
  EXPECT_EQ(trace::quote("$PIDX"), "'$PIDX'");
  EXPECT_EQ(trace::quote("a$PID"), "'a$PID'");
  EXPECT_EQ(trace::quote("$"), "'$'");
}

TEST(TraceJoin, QuotesEachWordAndJoinsWithSpaces) {
  EXPECT_EQ(trace::join({"sh", "-c", "echo $HOME"}), "sh -c 'echo $HOME'");
  EXPECT_EQ(trace::join({"echo", ""}), "echo ''");
  EXPECT_EQ(trace::join({}), "");
}

TEST(TraceEmit, WritesPrefixedLineToTheConfiguredFdWhenEnabled) {
  TraceCapture capture;
  EXPECT_TRUE(trace::enabled());

  trace::emit("mkdir /x");
  trace::emit("echo 0 > /x/tasks");

  EXPECT_EQ(capture.text(), "+ mkdir /x\n+ echo 0 > /x/tasks\n");
}

TEST(TraceEmit, WritesNothingWhenDisabled) {
  TraceCapture capture;
  trace::set_enabled(false);

  trace::emit("mkdir /x");

  EXPECT_EQ(capture.text(), "");
}

TEST(TraceEmit, FollowsSetFd) {
  TraceCapture capture;
  const int fd = trace::fd();
  auto other = make_pipe();
  trace::set_fd(other.write.get());

  trace::emit("elsewhere");
  trace::set_fd(fd);
  trace::emit("here");

  char buf[64] = {};
  ssize_t n = ::read(other.read.get(), buf, sizeof buf - 1);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "+ elsewhere\n");
  EXPECT_EQ(capture.text(), "+ here\n");
}

TEST(TraceCaptureHelper, RestoresTheDefaults) {
  { TraceCapture capture; }
  EXPECT_FALSE(trace::enabled());
  EXPECT_EQ(trace::fd(), 2);
}

}  // namespace
}  // namespace mydocker
