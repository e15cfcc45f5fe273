// parse_command_line: mydocker's whole command line (CLI11 behind split_run_args).

#include "mydocker/cli/command_line.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <stdlib.h>

#include <optional>
#include <string>
#include <vector>

#include "mydocker/util/error.hpp"

namespace mydocker::cli {
namespace {

using Strings = std::vector<std::string>;

// Unsets MYDOCKER_ROOT for the test, and restores what was there.
class EnvGuard {
 public:
  EnvGuard() {
    if (const char* v = std::getenv("MYDOCKER_ROOT")) saved_ = v;
    ::unsetenv("MYDOCKER_ROOT");
  }
  ~EnvGuard() {
    if (saved_)
      ::setenv("MYDOCKER_ROOT", saved_->c_str(), 1);
    else
      ::unsetenv("MYDOCKER_ROOT");
  }

 private:
  std::optional<std::string> saved_;
};

class CommandLineTest : public ::testing::Test {
 protected:
  // The error parse_command_line throws, or "" when it does not.
  static std::string parse_error(const Strings& args) {
    try {
      (void)parse_command_line(args);
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitSetupError);
      return e.what();
    }
    return "";
  }

  EnvGuard env_;
};

void expect_flag(const std::optional<FlagValue>& got, const std::string& flag,
                 const std::string& value) {
  ASSERT_TRUE(got.has_value()) << "expected " << flag << " " << value;
  EXPECT_EQ(got->flag, flag);
  EXPECT_EQ(got->value, value);
}

// ---- run: flags versus the command ----

TEST_F(CommandLineTest, RunSplitsMydockersFlagsFromTheCommandsFlags) {
  CommandLine cl = parse_command_line(
      {"run", "-mem", "100m", "stress", "--vm-bytes", "200m", "--vm-keep", "-m", "1"});

  EXPECT_EQ(cl.command, Command::kRun);
  EXPECT_FALSE(cl.exit_now.has_value());
  EXPECT_EQ(cl.run.command, (Strings{"stress", "--vm-bytes", "200m", "--vm-keep", "-m", "1"}));
  expect_flag(cl.run.memory, "-mem", "100m");
  EXPECT_FALSE(cl.run.cpu_percent.has_value());
  EXPECT_FALSE(cl.run.cpus.has_value());
  EXPECT_FALSE(cl.run.cpu_shares.has_value());
  EXPECT_FALSE(cl.run.cpuset_cpus.has_value());
  EXPECT_FALSE(cl.run.stop_timeout.has_value());
}

TEST_F(CommandLineTest, RunAcceptsEverySpellingOfTheMemoryFlag) {
  for (const std::string spelling : {"-mem", "--mem", "-m", "--memory"}) {
    CommandLine cl = parse_command_line({"run", spelling, "64m", "true"});
    expect_flag(cl.run.memory, spelling, "64m");
    EXPECT_EQ(cl.run.command, (Strings{"true"}));
  }
}

TEST_F(CommandLineTest, RunAcceptsInlineAndAttachedValues) {
  expect_flag(parse_command_line({"run", "--mem=100m", "true"}).run.memory, "--mem", "100m");
  expect_flag(parse_command_line({"run", "-mem=100m", "true"}).run.memory, "-mem", "100m");
  expect_flag(parse_command_line({"run", "-m100m", "true"}).run.memory, "-m", "100m");
  expect_flag(parse_command_line({"run", "--cpus=1.5", "true"}).run.cpus, "--cpus", "1.5");
}

TEST_F(CommandLineTest, RunAcceptsEverySpellingOfTheCpuFlags) {
  for (const std::string spelling : {"-cpu", "--cpu"})
    expect_flag(parse_command_line({"run", spelling, "20", "true"}).run.cpu_percent, spelling,
                "20");
  expect_flag(parse_command_line({"run", "--cpus", "1.5", "true"}).run.cpus, "--cpus", "1.5");
  for (const std::string spelling : {"-cpushare", "--cpushare", "--cpu-shares", "-c"})
    expect_flag(parse_command_line({"run", spelling, "512", "true"}).run.cpu_shares, spelling,
                "512");
  for (const std::string spelling : {"-cpuset", "--cpuset", "--cpuset-cpus"})
    expect_flag(parse_command_line({"run", spelling, "0-1", "true"}).run.cpuset_cpus, spelling,
                "0-1");
}

TEST_F(CommandLineTest, RunKeepsCpuAndCpusApart) {
  CommandLine cl = parse_command_line({"run", "-cpu", "20", "--cpus", "1", "true"});
  expect_flag(cl.run.cpu_percent, "-cpu", "20");
  expect_flag(cl.run.cpus, "--cpus", "1");
}

TEST_F(CommandLineTest, RunTakesTheLastOfARepeatedFlag) {
  CommandLine cl = parse_command_line({"run", "-m", "1m", "-m", "2m", "true"});
  expect_flag(cl.run.memory, "-m", "2m");
}

TEST_F(CommandLineTest, RunInteractiveAndTtyInEverySpelling) {
  for (const Strings& flags : {Strings{"-it"}, Strings{"-ti"}, Strings{"-i", "-t"},
                               Strings{"--interactive", "--tty"}}) {
    Strings args{"run"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back("sh");
    CommandLine cl = parse_command_line(args);
    EXPECT_TRUE(cl.run.interactive) << flags[0];
    EXPECT_TRUE(cl.run.tty) << flags[0];
    EXPECT_EQ(cl.run.command, (Strings{"sh"}));
  }
  CommandLine plain = parse_command_line({"run", "sh"});
  EXPECT_FALSE(plain.run.interactive);
  EXPECT_FALSE(plain.run.tty);
}

TEST_F(CommandLineTest, RunDoubleDashEndsTheFlags) {
  CommandLine cl = parse_command_line({"run", "--", "-x"});
  EXPECT_EQ(cl.command, Command::kRun);
  EXPECT_EQ(cl.run.command, (Strings{"-x"}));
}

TEST_F(CommandLineTest, RunOtherFlags) {
  CommandLine cl = parse_command_line({"run", "--name", "web", "--hostname", "box",
                                       "--cgroup-parent", "ci/job", "--stop-timeout", "5",
                                       "--trace", "--dry-run", "--rm", "true"});
  EXPECT_EQ(cl.run.name, "web");
  EXPECT_EQ(cl.run.hostname, "box");
  EXPECT_EQ(cl.run.cgroup_parent, "ci/job");
  expect_flag(cl.run.stop_timeout, "--stop-timeout", "5");
  EXPECT_TRUE(cl.run.trace);
  EXPECT_TRUE(cl.run.dry_run);
  EXPECT_EQ(cl.run.command, (Strings{"true"}));
}

TEST_F(CommandLineTest, RunDockerResourceFlags) {
  CommandLine cl = parse_command_line(
      {"run", "--memory-swap", "200m", "--memory-reservation=50m", "--memory-swappiness", "10",
       "--oom-kill-disable", "--cpu-period", "50000", "--cpu-quota", "25000", "--cpu-rt-runtime",
       "1000", "--cpu-rt-period", "100000", "--cpuset-mems", "0", "--pids-limit", "64",
       "--blkio-weight", "300", "true"});
  expect_flag(cl.run.memory_swap, "--memory-swap", "200m");
  expect_flag(cl.run.memory_reservation, "--memory-reservation", "50m");
  expect_flag(cl.run.memory_swappiness, "--memory-swappiness", "10");
  EXPECT_TRUE(cl.run.oom_kill_disable);
  expect_flag(cl.run.cpu_period, "--cpu-period", "50000");
  expect_flag(cl.run.cpu_quota, "--cpu-quota", "25000");
  expect_flag(cl.run.cpu_rt_runtime, "--cpu-rt-runtime", "1000");
  expect_flag(cl.run.cpu_rt_period, "--cpu-rt-period", "100000");
  expect_flag(cl.run.cpuset_mems, "--cpuset-mems", "0");
  expect_flag(cl.run.pids_limit, "--pids-limit", "64");
  expect_flag(cl.run.blkio_weight, "--blkio-weight", "300");
  EXPECT_EQ(cl.run.command, (Strings{"true"}));
}

TEST_F(CommandLineTest, RunMemorySwapMinusOne) {
  expect_flag(parse_command_line({"run", "-m", "1g", "--memory-swap", "-1", "true"}).run.memory_swap,
              "--memory-swap", "-1");
}

TEST_F(CommandLineTest, RunDeviceLimitsRepeat) {
  CommandLine cl = parse_command_line({"run", "--device-read-bps", "/dev/sda:1mb",
                                       "--device-read-bps", "/dev/sdb:2mb", "--device-write-iops",
                                       "/dev/sda:100", "true"});
  ASSERT_EQ(cl.run.device_read_bps.size(), 2u);
  EXPECT_EQ(cl.run.device_read_bps[0].flag, "--device-read-bps");
  EXPECT_EQ(cl.run.device_read_bps[0].value, "/dev/sda:1mb");
  EXPECT_EQ(cl.run.device_read_bps[1].value, "/dev/sdb:2mb");
  ASSERT_EQ(cl.run.device_write_iops.size(), 1u);
  EXPECT_EQ(cl.run.device_write_iops[0].value, "/dev/sda:100");
  EXPECT_TRUE(cl.run.device_write_bps.empty());
  EXPECT_TRUE(cl.run.device_read_iops.empty());
}

TEST_F(CommandLineTest, RunReport) {
  CommandLine cl = parse_command_line({"run", "--report", "--report-file", "/tmp/r.json", "true"});
  EXPECT_TRUE(cl.run.report);
  EXPECT_EQ(cl.run.report_file, "/tmp/r.json");
  CommandLine plain = parse_command_line({"run", "true"});
  EXPECT_FALSE(plain.run.report);
  EXPECT_TRUE(plain.run.report_file.empty());
}

TEST_F(CommandLineTest, RunShortHIsTheHostname) {
  CommandLine cl = parse_command_line({"run", "-h", "box", "true"});
  EXPECT_EQ(cl.run.hostname, "box");
  EXPECT_FALSE(cl.exit_now.has_value());
}

TEST_F(CommandLineTest, RunStopTimeoutMinusOne) {
  expect_flag(parse_command_line({"run", "--stop-timeout", "-1", "true"}).run.stop_timeout,
              "--stop-timeout", "-1");
  expect_flag(parse_command_line({"run", "--stop-timeout=-1", "true"}).run.stop_timeout,
              "--stop-timeout", "-1");
}

TEST_F(CommandLineTest, RunDefaults) {
  CommandLine cl = parse_command_line({"run", "true"});
  EXPECT_FALSE(cl.run.trace);
  EXPECT_FALSE(cl.run.dry_run);
  EXPECT_TRUE(cl.run.name.empty());
  EXPECT_TRUE(cl.run.hostname.empty());
  EXPECT_TRUE(cl.run.cgroup_parent.empty());
  EXPECT_EQ(cl.run.state_root, "/run/mydocker");
  EXPECT_EQ(cl.log_level, "warn");
}

TEST_F(CommandLineTest, RunWithoutACommandParses) {
  // validate_run_options reports the missing command later, with the usage line.
  CommandLine cl = parse_command_line({"run", "-mem", "1m"});
  EXPECT_EQ(cl.command, Command::kRun);
  EXPECT_TRUE(cl.run.command.empty());
}

// ---- global flags ----

TEST_F(CommandLineTest, GlobalFlagsBeforeRun) {
  CommandLine cl = parse_command_line({"--log-level", "debug", "--root", "/tmp/r", "run", "true"});
  EXPECT_EQ(cl.log_level, "debug");
  EXPECT_EQ(cl.state_root, "/tmp/r");
  EXPECT_EQ(cl.run.state_root, "/tmp/r");
  EXPECT_EQ(cl.run.command, (Strings{"true"}));
}

TEST_F(CommandLineTest, GlobalFlagsAfterRun) {
  CommandLine cl = parse_command_line({"run", "--log-level", "info", "--root=/tmp/r2", "true"});
  EXPECT_EQ(cl.command, Command::kRun);
  EXPECT_EQ(cl.log_level, "info");
  EXPECT_EQ(cl.state_root, "/tmp/r2");
  EXPECT_EQ(cl.run.state_root, "/tmp/r2");
  EXPECT_EQ(cl.run.command, (Strings{"true"}));
}

TEST_F(CommandLineTest, RejectsAnUnknownLogLevel) {
  EXPECT_NE(parse_error({"--log-level", "loud", "info"}), "");
}

TEST_F(CommandLineTest, RootFromTheEnvironment) {
  ::setenv("MYDOCKER_ROOT", "/tmp/from-env", 1);
  CommandLine cl = parse_command_line({"run", "true"});
  EXPECT_EQ(cl.state_root, "/tmp/from-env");
  EXPECT_EQ(cl.run.state_root, "/tmp/from-env");

  CommandLine flag_wins = parse_command_line({"--root", "/tmp/flag", "run", "true"});
  EXPECT_EQ(flag_wins.state_root, "/tmp/flag");

  ::unsetenv("MYDOCKER_ROOT");
  EXPECT_EQ(parse_command_line({"run", "true"}).state_root, "/run/mydocker");
}

// ---- errors ----

TEST_F(CommandLineTest, UnknownRunFlagIsReported) {
  const std::string what = parse_error({"run", "-z", "true"});
  EXPECT_NE(what.find("unknown flag: -z"), std::string::npos) << what;
}

TEST_F(CommandLineTest, UnknownLongRunFlagIsReported) {
  const std::string what = parse_error({"run", "--no-such-flag", "true"});
  EXPECT_NE(what.find("unknown flag: --no-such-flag"), std::string::npos) << what;
}

TEST_F(CommandLineTest, UnknownCommandIsReported) {
  const std::string what = parse_error({"launch"});
  EXPECT_NE(what, "");
  EXPECT_NE(what.find("launch"), std::string::npos) << what;
}

TEST_F(CommandLineTest, MissingValueIsReported) {
  const std::string what = parse_error({"run", "-mem"});
  EXPECT_NE(what.find("needs a value"), std::string::npos) << what;
  EXPECT_NE(what.find("-mem"), std::string::npos) << what;
}

// ---- info, prune, help ----

TEST_F(CommandLineTest, Info) {
  CommandLine cl = parse_command_line({"info"});
  EXPECT_EQ(cl.command, Command::kInfo);
  EXPECT_EQ(cl.format, "text");
}

TEST_F(CommandLineTest, InfoFormatJson) {
  CommandLine cl = parse_command_line({"info", "--format", "json"});
  EXPECT_EQ(cl.command, Command::kInfo);
  EXPECT_EQ(cl.format, "json");
  EXPECT_NE(parse_error({"info", "--format", "yaml"}), "");
}

TEST_F(CommandLineTest, Prune) {
  CommandLine cl = parse_command_line({"prune"});
  EXPECT_EQ(cl.command, Command::kPrune);
  EXPECT_FALSE(cl.exit_now.has_value());
}

TEST_F(CommandLineTest, HelpPrintsToStdoutAndExitsZero) {
  ::testing::internal::CaptureStdout();
  CommandLine cl = parse_command_line({"--help"});
  const std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(cl.exit_now.has_value());
  EXPECT_EQ(*cl.exit_now, 0);
  EXPECT_NE(out.find("run"), std::string::npos) << out;
  EXPECT_NE(out.find("info"), std::string::npos) << out;
}

TEST_F(CommandLineTest, RunHelpPrintsRunsFlags) {
  ::testing::internal::CaptureStdout();
  CommandLine cl = parse_command_line({"run", "--help"});
  const std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(cl.exit_now.has_value());
  EXPECT_EQ(*cl.exit_now, 0);
  EXPECT_NE(out.find("--memory"), std::string::npos) << out;
  EXPECT_NE(out.find("--cgroup-parent"), std::string::npos) << out;
}

TEST_F(CommandLineTest, NoCommandPrintsHelpAndExitsZero) {
  ::testing::internal::CaptureStdout();
  CommandLine cl = parse_command_line({});
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(cl.command, Command::kNone);
  ASSERT_TRUE(cl.exit_now.has_value());
  EXPECT_EQ(*cl.exit_now, 0);
  EXPECT_NE(out.find("run"), std::string::npos) << out;
}

TEST_F(CommandLineTest, VersionExitsZero) {
  ::testing::internal::CaptureStdout();
  CommandLine cl = parse_command_line({"--version"});
  const std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(cl.exit_now.has_value());
  EXPECT_EQ(*cl.exit_now, 0);
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(\d+\.\d+\.\d+)"))) << out;
}

}  // namespace
}  // namespace mydocker::cli
