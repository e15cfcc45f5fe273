// parse_signal's real-time names and aliases (docker's table), and signal_name reading them back.
// The plain names and numbers: tests/unit/commands/ps_text_test.cpp.

#include "mydocker/util/signal_name.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

TEST(SignalName, RealTimeNamesAsDockersTable) {
  // docker's RTMIN is 34, glibc's SIGRTMIN as this (static) binary sees it, RTMAX 64.
  EXPECT_EQ(SIGRTMIN, 34);
  EXPECT_EQ(SIGRTMAX, 64);
  EXPECT_EQ(parse_signal("RTMIN"), SIGRTMIN);
  EXPECT_EQ(parse_signal("SIGRTMIN"), 34);
  EXPECT_EQ(parse_signal("RTMIN+3"), 37);
  EXPECT_EQ(parse_signal("SIGRTMIN+3"), 37);  // systemd's stop signal
  EXPECT_EQ(parse_signal("sigrtmin+3"), 37);
  EXPECT_EQ(parse_signal("RTMIN+1"), 35);
  EXPECT_EQ(parse_signal("RTMIN+15"), 49);
  EXPECT_EQ(parse_signal("RTMAX-14"), 50);
  EXPECT_EQ(parse_signal("RTMAX-1"), 63);
  EXPECT_EQ(parse_signal("RTMAX"), SIGRTMAX);
  EXPECT_EQ(parse_signal("SIGRTMAX"), 64);
}

TEST(SignalName, DockersAliases) {
  EXPECT_EQ(parse_signal("IOT"), SIGABRT);
  EXPECT_EQ(parse_signal("SIGCLD"), SIGCHLD);
  EXPECT_EQ(parse_signal("POLL"), SIGIO);
}

TEST(SignalName, RefusesWhatDockersTableLacks) {
  for (const std::string& bad : std::vector<std::string>{
           "RTMIN+0", "RTMIN+16", "RTMIN+03", "RTMAX-15", "RTMAX-0", "RTMAX+1", "RTMIN-1", "RTMIN+",
           "RTMAX-", "RTMIN+1x", "RTMIN 3", "SIGRTMIN+100"}) {
    try {
      (void)parse_signal(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "invalid signal: " + bad);
      EXPECT_EQ(e.exit_code(), 125);
    }
  }
}

TEST(SignalName, NamesReadBack) {
  EXPECT_EQ(signal_name(SIGTERM), "TERM");
  EXPECT_EQ(signal_name(34), "RTMIN");
  EXPECT_EQ(signal_name(37), "RTMIN+3");
  EXPECT_EQ(signal_name(49), "RTMIN+15");
  EXPECT_EQ(signal_name(50), "RTMAX-14");
  EXPECT_EQ(signal_name(64), "RTMAX");
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == 32 || sig == 33) continue;  // glibc's own: no name
    EXPECT_EQ(parse_signal(signal_name(sig)), sig) << sig;
  }
  EXPECT_EQ(signal_name(32), "32");
}

}  // namespace
}  // namespace mydocker
