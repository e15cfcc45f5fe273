// parse_command_line: mydocker's whole command line (CLI11 behind split_run_args).

#include "mydocker/cli/command_line.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "mydocker/cli/cli11.hpp"
#include "mydocker/cli/docs.hpp"
#include "mydocker/commands/events.hpp"
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

// Options are registered in batches that CLI11 does not check against each other
// (OptionBatch): no two options of a command may share a name.
TEST_F(CommandLineTest, EveryCommandsOptionNamesAreUnique) {
  const auto app = full_app();
  size_t commands = 0;
  for (const CLI::App* sub : app->get_subcommands({})) {
    ++commands;
    std::map<std::string, int> seen;
    for (const CLI::Option* opt : sub->get_options()) {
      for (const auto& n : opt->get_snames()) ++seen["-" + n];
      for (const auto& n : opt->get_lnames()) ++seen["--" + n];
    }
    for (const auto& [name, count] : seen)
      EXPECT_EQ(count, 1) << sub->get_name() << " has " << count << " options named " << name;
  }
  EXPECT_GT(commands, 30u);
  // The batches put every option back, in order: run's help lists them as they are added.
  const CLI::App* run = app->get_subcommand("run");
  const auto options = run->get_options();
  ASSERT_GE(options.size(), 80u);
  EXPECT_EQ(options.front()->get_name(), "--help");
  EXPECT_EQ(options[1]->get_lnames().front(), "mem");
  EXPECT_EQ(options.back()->get_name(), "--report-file");
}

// ---- run: flags versus the command ----

TEST_F(CommandLineTest, RunSplitsMydockersFlagsFromTheCommandsFlags) {
  CommandLine cl = parse_command_line(
      {"run", "-mem", "100m", "stress", "--vm-bytes", "200m", "--vm-keep", "-m", "1"});

  EXPECT_EQ(cl.command, "run");
  EXPECT_FALSE(cl.exit_now.has_value());
  EXPECT_EQ(cl.run.command, (Strings{"stress", "--vm-bytes", "200m", "--vm-keep", "-m", "1"}));
  expect_flag(cl.run.memory, "-mem", "100m");
  EXPECT_FALSE(cl.run.cpu_percent.has_value());
  EXPECT_FALSE(cl.run.cpus.has_value());
  EXPECT_FALSE(cl.run.cpu_shares.has_value());
  EXPECT_FALSE(cl.run.cpuset_cpus.has_value());
  EXPECT_FALSE(cl.run.stop_timeout.has_value());
}

// docker 23's client: "." and "./"/"../" paths are host paths from the working directory; a
// bare word stays a volume's name, an absolute path as it is.
TEST_F(CommandLineTest, RunMakesARelativeVolumeSourceAbsolute) {
  const std::string cwd = std::filesystem::current_path().string();
  const std::string parent = std::filesystem::current_path().parent_path().string();
  CommandLine cl = parse_command_line({"run", "-v", ".:/a", "-v", "./x/../y:/b:ro", "-v", "../z:/c",
                                       "-v", "cache:/d", "-v", "/abs:/e", "-v", "/f", "--mount",
                                       "type=bind,src=.,dst=/g", "-v", "./h", "true"});
  EXPECT_EQ(cl.run.volumes, (Strings{cwd + ":/a", cwd + "/y:/b:ro", parent + "/z:/c", "cache:/d",
                                     "/abs:/e", "/f", "./h", cwd + ":/g"}))
      << "./h alone is a container path (an anonymous volume's, refused later as docker does)";
}

// docker 25's --add-host NAME=IP (IPv6 in brackets or not) and its API's "/name".
TEST_F(CommandLineTest, RunTakesDockersAddHostAndNameForms) {
  CommandLine cl = parse_command_line({"run", "--name", "/web", "--add-host", "a=10.0.0.1",
                                       "--add-host", "b=[2001:db8::1]", "--add-host", "c:10.0.0.3",
                                       "--add-host", "d=2001:db8::4", "true"});
  EXPECT_EQ(cl.run.name, "web");
  EXPECT_EQ(cl.run.add_hosts,
            (Strings{"a:10.0.0.1", "b:2001:db8::1", "c:10.0.0.3", "d:2001:db8::4"}));
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
  for (const Strings& flags :
       {Strings{"-it"}, Strings{"-ti"}, Strings{"-i", "-t"}, Strings{"--interactive", "--tty"}}) {
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
  EXPECT_EQ(cl.command, "run");
  EXPECT_EQ(cl.run.command, (Strings{"-x"}));
}

TEST_F(CommandLineTest, RunOtherFlags) {
  CommandLine cl =
      parse_command_line({"run", "--name", "web", "--hostname", "box", "--cgroup-parent", "ci/job",
                          "--stop-timeout", "5", "--trace", "--dry-run", "--rm", "true"});
  EXPECT_EQ(cl.run.name, "web");
  EXPECT_EQ(cl.run.hostname, "box");
  EXPECT_EQ(cl.run.cgroup_parent, "ci/job");
  expect_flag(cl.run.stop_timeout, "--stop-timeout", "5");
  EXPECT_TRUE(cl.run.trace);
  EXPECT_TRUE(cl.run.dry_run);
  EXPECT_EQ(cl.run.command, (Strings{"true"}));
}

TEST_F(CommandLineTest, RunDockerResourceFlags) {
  CommandLine cl = parse_command_line({"run",
                                       "--memory-swap",
                                       "200m",
                                       "--memory-reservation=50m",
                                       "--memory-swappiness",
                                       "10",
                                       "--oom-kill-disable",
                                       "--cpu-period",
                                       "50000",
                                       "--cpu-quota",
                                       "25000",
                                       "--cpu-rt-runtime",
                                       "1000",
                                       "--cpu-rt-period",
                                       "100000",
                                       "--cpuset-mems",
                                       "0",
                                       "--pids-limit",
                                       "64",
                                       "--blkio-weight",
                                       "300",
                                       "true"});
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
  expect_flag(
      parse_command_line({"run", "-m", "1g", "--memory-swap", "-1", "true"}).run.memory_swap,
      "--memory-swap", "-1");
}

TEST_F(CommandLineTest, RunDeviceLimitsRepeat) {
  CommandLine cl =
      parse_command_line({"run", "--device-read-bps", "/dev/sda:1mb", "--device-read-bps",
                          "/dev/sdb:2mb", "--device-write-iops", "/dev/sda:100", "true"});
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
  EXPECT_EQ(cl.command, "run");
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
  EXPECT_EQ(cl.command, "run");
  EXPECT_EQ(cl.log_level, "info");
  EXPECT_EQ(cl.state_root, "/tmp/r2");
  EXPECT_EQ(cl.run.state_root, "/tmp/r2");
  EXPECT_EQ(cl.run.command, (Strings{"true"}));
}

TEST_F(CommandLineTest, RootsBecomeAbsolute) {
  // They are recorded and used from other working directories (a detached supervisor, prune).
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  CommandLine cl = parse_command_line(
      {"--root", "state/./x/", "--data-root", "../data", "run", "--name", "a", "true"});
  const std::filesystem::path here(cwd);
  EXPECT_EQ(cl.state_root, (here / "state/x").string());
  EXPECT_EQ(cl.run.state_root, cl.state_root);
  EXPECT_EQ(cl.data_root, (here.parent_path() / "data").lexically_normal().string());
  EXPECT_EQ(cl.run.data_root, cl.data_root);
  EXPECT_EQ(parse_command_line({"--root", "/tmp//r/", "ps"}).state_root, "/tmp/r");
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
  EXPECT_EQ(what, "unknown flag '-z' for mydocker run: see mydocker run --help");
}

TEST_F(CommandLineTest, UnknownLongRunFlagIsReported) {
  const std::string what = parse_error({"run", "--no-such-flag", "true"});
  EXPECT_NE(what.find("unknown flag '--no-such-flag' for mydocker run"), std::string::npos) << what;
}

TEST_F(CommandLineTest, UnknownCommandIsReported) {
  EXPECT_EQ(parse_error({"launch"}),
            "unknown command 'launch': see mydocker --help for the commands");
  // Named as typed, not with the words after it (CLI11 said "unknown command: b a rename").
  EXPECT_EQ(
      parse_error({"--root", "/tmp/x", "renme", "a", "b"}),
      "unknown command 'renme' (did you mean 'rename'?): see mydocker --help for the commands");
}

TEST_F(CommandLineTest, MistypedCommandsAndFlagsGetTheClosestOne) {
  EXPECT_EQ(parse_error({"pss", "-a"}),
            "unknown command 'pss' (did you mean 'ps'?): see mydocker --help for the commands");
  EXPECT_EQ(parse_error({"imagez"}),
            "unknown command 'imagez' (did you mean 'images'?): see "
            "mydocker --help for the commands");
  EXPECT_EQ(parse_error({"ps", "--formt", "json"}),
            "unknown flag '--formt' for mydocker ps (did you mean '--format'?): see mydocker ps "
            "--help");
  EXPECT_EQ(parse_error({"ps", "extra"}),
            "unexpected argument 'extra' for mydocker ps: see "
            "mydocker ps --help");
  // A tie goes to the flag the word begins: docker's --cpu-shares, not our --cpushare.
  EXPECT_NE(parse_error({"run", "--cpu-share", "10", "true"}).find("did you mean '--cpu-shares'"),
            std::string::npos);
}

// volume's words are subcommands of their own with docker's flags: -f is ls's --filter,
// inspect's --format, rm's and prune's --force; another word's flag is unknown.
TEST_F(CommandLineTest, VolumeWordsTakeTheirOwnFlags) {
  CommandLine ls =
      parse_command_line({"volume", "ls", "-q", "-f", "name=test", "--filter", "dangling=true"});
  EXPECT_EQ(ls.command, "volume");
  EXPECT_EQ(ls.volume.command, "ls");
  EXPECT_TRUE(ls.volume.quiet);
  EXPECT_FALSE(ls.force);
  EXPECT_EQ(ls.volume.filters, (Strings{"name=test", "dangling=true"}));
  EXPECT_EQ(parse_command_line({"volume", "list"}).volume.command, "ls");
  CommandLine inspect = parse_command_line({"volume", "inspect", "-f", "{{.Name}}", "a", "b"});
  EXPECT_EQ(inspect.volume.command, "inspect");
  EXPECT_EQ(inspect.format, "{{.Name}}");
  EXPECT_EQ(inspect.args, (Strings{"a", "b"}));
  CommandLine rm = parse_command_line({"volume", "remove", "-f", "a"});
  EXPECT_EQ(rm.volume.command, "rm");
  EXPECT_TRUE(rm.force);
  EXPECT_EQ(rm.args, (Strings{"a"}));
  CommandLine prune = parse_command_line({"volume", "prune", "-af", "--filter", "label=x"});
  EXPECT_TRUE(prune.force);
  EXPECT_TRUE(prune.volume.all);
  EXPECT_EQ(prune.volume.filters, (Strings{"label=x"}));
  CommandLine create = parse_command_line({"volume", "create", "--label", "k=v", "n"});
  EXPECT_EQ(create.volume.command, "create");
  EXPECT_EQ(create.args, (Strings{"n"}));
  EXPECT_EQ(create.run.labels, (Strings{"k=v"}));
  EXPECT_EQ(parse_error({"volume", "ls", "--force"}),
            "unknown flag '--force' for mydocker volume ls: see mydocker volume ls --help");
  EXPECT_EQ(parse_error({"volume", "ls", "extra"}),
            "unexpected argument 'extra' for mydocker volume ls: see mydocker volume ls --help");
  EXPECT_NE(parse_error({"volume", "rm", "--filter", "x", "a"}), "");
  EXPECT_NE(parse_error({"volume", "inspect", "-q", "a"}), "");
  EXPECT_NE(parse_error({"volume", "create", "a", "b"}), "");
  EXPECT_NE(parse_error({"volume", "rm"}), "") << "a volume is required";
  EXPECT_NE(parse_error({"volume", "ls", "rm"}), "") << "one word only";
  EXPECT_EQ(parse_error({"volume", "foo"}),
            "unknown volume command 'foo': create, ls, inspect, rm or prune");
  EXPECT_EQ(parse_error({"volume"}),
            "mydocker volume: missing the command (create, ls, inspect, rm or prune): see mydocker "
            "volume --help");
}

// images [REPOSITORY[:TAG]]: docker's reference filter; --digests.
TEST_F(CommandLineTest, ImagesTakesOneRepository) {
  CommandLine cl = parse_command_line({"images", "--digests", "busybox:1", "-f", "dangling=false"});
  EXPECT_TRUE(cl.digests);
  EXPECT_EQ(cl.ps.filters, (Strings{"dangling=false", "reference=busybox:1"}));
  EXPECT_EQ(parse_error({"images", "a", "b"}),
            "unexpected argument 'b' for mydocker images: see mydocker images --help");
}

TEST_F(CommandLineTest, ValuesCLI11CannotConvertAreNamed) {
  EXPECT_EQ(parse_error({"run", "--rm=maybe", "true"}),
            "invalid value 'maybe' for --rm (see mydocker run --help)");
}

TEST_F(CommandLineTest, MissingValueIsReported) {
  const std::string what = parse_error({"run", "-mem"});
  EXPECT_NE(what.find("needs a value"), std::string::npos) << what;
  EXPECT_NE(what.find("-mem"), std::string::npos) << what;
}

// ---- info, prune, help ----

TEST_F(CommandLineTest, Info) {
  CommandLine cl = parse_command_line({"info"});
  EXPECT_EQ(cl.command, "info");
  EXPECT_EQ(cl.format, "text");
}

TEST_F(CommandLineTest, InfoFormatJson) {
  CommandLine cl = parse_command_line({"info", "--format", "json"});
  EXPECT_EQ(cl.command, "info");
  EXPECT_EQ(cl.format, "json");
  // Any other text is a Go template (docker's rule: "yaml" prints yaml); a broken one fails.
  EXPECT_EQ(parse_command_line({"info", "--format", "yaml"}).format, "yaml");
  EXPECT_EQ(parse_error({"info", "--format", "{{.X"}), "template: 1:1: unclosed action");
}

TEST_F(CommandLineTest, Prune) {
  CommandLine cl = parse_command_line({"prune"});
  EXPECT_EQ(cl.command, "prune");
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
  EXPECT_EQ(cl.command, "");
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

// ---- container commands ----

TEST_F(CommandLineTest, PsAllQuietJson) {
  CommandLine cl = parse_command_line({"ps", "-a", "-q", "--format", "json"});

  EXPECT_EQ(cl.command, "ps");
  EXPECT_TRUE(cl.ps.all);
  EXPECT_TRUE(cl.ps.quiet);
  EXPECT_EQ(cl.ps.format, "json");
  EXPECT_FALSE(cl.exit_now.has_value());
}

TEST_F(CommandLineTest, PsDefaultsAndLongFlags) {
  CommandLine plain = parse_command_line({"ps"});
  EXPECT_EQ(plain.command, "ps");
  EXPECT_FALSE(plain.ps.all);
  EXPECT_FALSE(plain.ps.quiet);
  EXPECT_EQ(plain.ps.format, "");

  CommandLine full = parse_command_line({"ps", "--all", "--quiet", "--format=table"});
  EXPECT_TRUE(full.ps.all);
  EXPECT_TRUE(full.ps.quiet);
  EXPECT_EQ(full.ps.format, "") << "table is the default";
  EXPECT_TRUE(parse_command_line({"ps", "-aq"}).ps.quiet);
}

TEST_F(CommandLineTest, PsRejectsABrokenTemplate) {
  EXPECT_EQ(parse_error({"ps", "--format", "{{.Names"}), "template: 1:1: unclosed action");
  EXPECT_EQ(parse_command_line({"ps", "--format", "{{.Names}}"}).ps.format, "{{.Names}}");
}

TEST_F(CommandLineTest, LogsFollowTailTimestamps) {
  CommandLine cl = parse_command_line({"logs", "-f", "--tail", "5", "-t", "C"});

  EXPECT_EQ(cl.command, "logs");
  EXPECT_TRUE(cl.logs.follow);
  ASSERT_TRUE(cl.logs.tail.has_value());
  EXPECT_EQ(*cl.logs.tail, 5u);
  EXPECT_TRUE(cl.logs.timestamps);
  EXPECT_EQ(cl.containers, (Strings{"C"}));
}

TEST_F(CommandLineTest, LogsSinceUntilTakeTimesAndDurations) {
  CommandLine cl = parse_command_line(
      {"logs", "--since", "2026-12-07T11:17:33.5Z", "--until", "1700000000", "C"});
  EXPECT_EQ(cl.logs.since, 1796642253500000000);
  EXPECT_EQ(cl.logs.until, 1700000000000000000);
  const int64_t before = wall_clock_ns();
  cl = parse_command_line({"logs", "--since", "10m", "C"});
  ASSERT_TRUE(cl.logs.since.has_value());
  EXPECT_NEAR(static_cast<double>(before - *cl.logs.since), 600e9, 5e9);
  EXPECT_FALSE(cl.logs.until.has_value());
  EXPECT_EQ(parse_error({"logs", "--until", "soon", "C"}).substr(0, 33),
            "invalid value 'soon' for --until:");
}

TEST_F(CommandLineTest, LogsTailAllIsNoTail) {
  CommandLine cl = parse_command_line({"logs", "--tail", "all", "C"});

  EXPECT_EQ(cl.command, "logs");
  EXPECT_FALSE(cl.logs.tail.has_value());
  EXPECT_FALSE(cl.logs.follow);
  EXPECT_FALSE(cl.logs.timestamps);
  EXPECT_EQ(cl.containers, (Strings{"C"}));
}

TEST_F(CommandLineTest, LogsTailZeroAndShortN) {
  EXPECT_EQ(parse_command_line({"logs", "--tail", "0", "C"}).logs.tail, std::optional<size_t>(0));
  EXPECT_EQ(parse_command_line({"logs", "-n", "7", "C"}).logs.tail, std::optional<size_t>(7));
}

TEST_F(CommandLineTest, LogsRejectsABadTailAndAMissingContainer) {
  EXPECT_NE(parse_error({"logs", "--tail", "-1", "C"}), "");
  EXPECT_NE(parse_error({"logs", "--tail", "x", "C"}), "");
  EXPECT_NE(parse_error({"logs"}), "");
}

TEST_F(CommandLineTest, ExecFlagsBeforeTheContainerAndTheCommandsFlagsAfter) {
  CommandLine cl =
      parse_command_line({"exec", "-i", "-e", "A=1", "-w", "/tmp", "C", "sh", "-c", "x", "-i"});

  EXPECT_EQ(cl.command, "exec");
  EXPECT_TRUE(cl.exec.interactive);
  EXPECT_FALSE(cl.exec.tty);
  EXPECT_EQ(cl.exec.env, (Strings{"A=1"}));
  EXPECT_EQ(cl.exec.workdir, "/tmp");
  EXPECT_EQ(cl.exec.container, "C");
  EXPECT_EQ(cl.exec.command, (Strings{"sh", "-c", "x", "-i"}));
}

TEST_F(CommandLineTest, ExecTheCommandsFlagsAreNotExecs) {
  CommandLine cl = parse_command_line({"exec", "C", "ls", "-t", "-e", "-w"});

  EXPECT_FALSE(cl.exec.interactive);
  EXPECT_FALSE(cl.exec.tty);
  EXPECT_TRUE(cl.exec.env.empty());
  EXPECT_EQ(cl.exec.workdir, "");
  EXPECT_EQ(cl.exec.container, "C");
  EXPECT_EQ(cl.exec.command, (Strings{"ls", "-t", "-e", "-w"}));
}

TEST_F(CommandLineTest, ExecRepeatedEnvAndLongFlags) {
  CommandLine cl = parse_command_line(
      {"exec", "-it", "--env", "A=1", "--env=B=2", "--workdir=/srv", "C", "env"});

  EXPECT_TRUE(cl.exec.interactive);
  EXPECT_TRUE(cl.exec.tty);
  EXPECT_EQ(cl.exec.env, (Strings{"A=1", "B=2"}));
  EXPECT_EQ(cl.exec.workdir, "/srv");
  EXPECT_EQ(cl.exec.command, (Strings{"env"}));
}

TEST_F(CommandLineTest, ExecWithoutAContainerThrows) {
  EXPECT_NE(parse_error({"exec"}).find("missing the container"), std::string::npos);
  EXPECT_NE(parse_error({"exec", "-i"}).find("missing the container"), std::string::npos);
}

TEST_F(CommandLineTest, ExecWithAContainerButNoCommandParses) {
  // exec() reports the missing command (it has the usage line).
  CommandLine cl = parse_command_line({"exec", "C"});

  EXPECT_EQ(cl.command, "exec");
  EXPECT_EQ(cl.exec.container, "C");
  EXPECT_TRUE(cl.exec.command.empty());
}

TEST_F(CommandLineTest, StopWithATimeoutAndSeveralContainers) {
  CommandLine cl = parse_command_line({"stop", "-t", "3", "C1", "C2"});

  EXPECT_EQ(cl.command, "stop");
  EXPECT_EQ(cl.stop_timeout, std::optional<int>(3));
  EXPECT_EQ(cl.containers, (Strings{"C1", "C2"}));
}

TEST_F(CommandLineTest, StopWithoutATimeoutUsesTheContainers) {
  CommandLine cl = parse_command_line({"stop", "C"});

  EXPECT_FALSE(cl.stop_timeout.has_value());
  EXPECT_EQ(cl.containers, (Strings{"C"}));
  EXPECT_EQ(parse_command_line({"stop", "--time", "0", "C"}).stop_timeout, std::optional<int>(0));
}

TEST_F(CommandLineTest, StopRejectsABadTimeoutAndNoContainer) {
  EXPECT_NE(parse_error({"stop", "-t", "soon", "C"}), "");
  EXPECT_NE(parse_error({"stop"}), "");
}

TEST_F(CommandLineTest, KillWithASignal) {
  CommandLine cl = parse_command_line({"kill", "-s", "HUP", "C"});

  EXPECT_EQ(cl.command, "kill");
  EXPECT_EQ(cl.signal, "HUP");
  EXPECT_EQ(cl.containers, (Strings{"C"}));
}

TEST_F(CommandLineTest, KillDefaultsToKill) {
  CommandLine cl = parse_command_line({"kill", "C1", "C2"});

  EXPECT_EQ(cl.signal, "KILL");
  EXPECT_EQ(cl.containers, (Strings{"C1", "C2"}));
  EXPECT_EQ(parse_command_line({"kill", "--signal=9", "C"}).signal, "9");
}

TEST_F(CommandLineTest, RmForceVolumes) {
  CommandLine cl = parse_command_line({"rm", "-f", "-v", "C"});

  EXPECT_EQ(cl.command, "rm");
  EXPECT_TRUE(cl.force);
  EXPECT_EQ(cl.containers, (Strings{"C"}));
  EXPECT_FALSE(parse_command_line({"rm", "C"}).force);
  EXPECT_NE(parse_error({"rm"}), "");
}

TEST_F(CommandLineTest, InspectSeveralContainers) {
  CommandLine cl = parse_command_line({"inspect", "C1", "C2"});

  EXPECT_EQ(cl.command, "inspect");
  EXPECT_EQ(cl.containers, (Strings{"C1", "C2"}));
}

TEST_F(CommandLineTest, TopOneContainer) {
  CommandLine cl = parse_command_line({"top", "C"});

  EXPECT_EQ(cl.command, "top");
  EXPECT_EQ(cl.containers, (Strings{"C"}));
  EXPECT_NE(parse_error({"top"}), "");
}

TEST_F(CommandLineTest, StatsNoStreamJson) {
  CommandLine cl = parse_command_line({"stats", "--no-stream", "--format", "json", "C"});

  EXPECT_EQ(cl.command, "stats");
  EXPECT_TRUE(cl.stats.no_stream);
  EXPECT_EQ(cl.stats.format, "json");
  EXPECT_EQ(cl.stats.containers, (Strings{"C"}));
}

TEST_F(CommandLineTest, StatsWithoutContainersMeansAllRunning) {
  CommandLine cl = parse_command_line({"stats"});

  EXPECT_EQ(cl.command, "stats");
  EXPECT_FALSE(cl.stats.no_stream);
  EXPECT_EQ(cl.stats.format, "");
  EXPECT_TRUE(cl.stats.containers.empty());
  EXPECT_EQ(parse_command_line({"stats", "--format", "table"}).stats.format, "");
}

TEST_F(CommandLineTest, UpdateFillsTheLimits) {
  CommandLine cl =
      parse_command_line({"update", "-m", "100m", "--cpus", "0.5", "--pids-limit", "5", "C"});

  EXPECT_EQ(cl.command, "update");
  ASSERT_TRUE(cl.run.memory.has_value());
  EXPECT_EQ(cl.run.memory->value, "100m");
  EXPECT_FALSE(cl.run.memory->flag.empty());
  ASSERT_TRUE(cl.run.cpus.has_value());
  EXPECT_EQ(cl.run.cpus->value, "0.5");
  EXPECT_EQ(cl.run.cpus->flag, "--cpus");
  ASSERT_TRUE(cl.run.pids_limit.has_value());
  EXPECT_EQ(cl.run.pids_limit->value, "5");
  EXPECT_EQ(cl.run.pids_limit->flag, "--pids-limit");
  EXPECT_FALSE(cl.run.cpu_percent.has_value());
  EXPECT_FALSE(cl.run.cpuset_cpus.has_value());
  EXPECT_TRUE(cl.run.command.empty());
  EXPECT_EQ(cl.containers, (Strings{"C"}));
}

TEST_F(CommandLineTest, UpdateKeepsTheSpellingTypedAsRunDoes) {
  // FlagValue carries "the spelling the user typed, so errors can name it".
  CommandLine cl = parse_command_line({"update", "-m", "100m", "-c", "512", "C"});

  expect_flag(cl.run.memory, "-m", "100m");
  expect_flag(cl.run.cpu_shares, "-c", "512");
}

TEST_F(CommandLineTest, UpdateTakesOtherLimitFlags) {
  CommandLine cl = parse_command_line({"update", "--cpu-shares", "512", "--cpuset-cpus", "0",
                                       "--memory-swap", "-1", "--blkio-weight", "300", "C1", "C2"});

  ASSERT_TRUE(cl.run.cpu_shares.has_value());
  EXPECT_EQ(cl.run.cpu_shares->value, "512");
  ASSERT_TRUE(cl.run.cpuset_cpus.has_value());
  EXPECT_EQ(cl.run.cpuset_cpus->value, "0");
  ASSERT_TRUE(cl.run.memory_swap.has_value());
  EXPECT_EQ(cl.run.memory_swap->value, "-1");
  ASSERT_TRUE(cl.run.blkio_weight.has_value());
  EXPECT_EQ(cl.run.blkio_weight->value, "300");
  EXPECT_EQ(cl.containers, (Strings{"C1", "C2"}));
}

TEST_F(CommandLineTest, UpdateHasNoDeviceFlagsAndNeedsAContainer) {
  EXPECT_NE(parse_error({"update", "--device-read-bps", "/dev/sda:1mb", "C"}), "");
  EXPECT_NE(parse_error({"update", "-m", "100m"}), "");
}

// docker's: an update that changes nothing is an error (exit 125), whatever the flag's value.
TEST_F(CommandLineTest, UpdateNeedsAFlag) {
  EXPECT_EQ(parse_error({"update", "C"}),
            "you must provide one or more flags when using this command");
  EXPECT_EQ(parse_error({"update", "C1", "C2"}),
            "you must provide one or more flags when using this command");
  EXPECT_EQ(parse_error({"update", "--pids-limit", "0", "C"}), "");
}

// docker's update --restart: a flag of its own (no limit needed), checked before anything.
TEST_F(CommandLineTest, UpdateTakesARestartPolicy) {
  CommandLine cl = parse_command_line({"update", "--restart", "on-failure:3", "C1", "C2"});
  EXPECT_EQ(cl.restart, std::optional<std::string>("on-failure:3"));
  EXPECT_EQ(cl.containers, (Strings{"C1", "C2"}));
  EXPECT_FALSE(parse_command_line({"update", "-m", "100m", "C"}).restart.has_value());
  EXPECT_NE(parse_error({"update", "--restart", "sometimes", "C"}).find("for --restart"),
            std::string::npos);
}

// docker 23's stop/restart -s/--signal, checked before any container is stopped.
TEST_F(CommandLineTest, StopAndRestartTakeASignal) {
  EXPECT_EQ(parse_command_line({"stop", "-s", "HUP", "C"}).stop_signal, "HUP");
  EXPECT_EQ(parse_command_line({"restart", "--signal", "SIGUSR1", "-t", "1", "C"}).stop_signal,
            "SIGUSR1");
  EXPECT_EQ(parse_command_line({"stop", "C"}).stop_signal, "");
  EXPECT_NE(parse_error({"stop", "-s", "NOPE", "C"}), "");
  EXPECT_NE(parse_error({"restart", "-s", "NOPE", "C"}), "");
}

TEST_F(CommandLineTest, PauseUnpauseWait) {
  struct Case {
    const char* name;
    std::string command;
  };
  for (const Case& c : {Case{"pause", "pause"}, Case{"unpause", "unpause"}, Case{"wait", "wait"}}) {
    CommandLine cl = parse_command_line({c.name, "C"});

    EXPECT_EQ(cl.command, c.command) << c.name;
    EXPECT_EQ(cl.containers, (Strings{"C"})) << c.name;
    EXPECT_NE(parse_error({c.name}), "") << c.name << " without a container";
  }
}

TEST_F(CommandLineTest, RunDetachedRemoveRestartName) {
  CommandLine cl =
      parse_command_line({"run", "-d", "--rm", "--restart", "on-failure:2", "--name", "x", "true"});

  EXPECT_EQ(cl.command, "run");
  EXPECT_TRUE(cl.run.detach);
  EXPECT_TRUE(cl.run.remove);
  EXPECT_EQ(cl.run.restart, "on-failure:2");
  EXPECT_EQ(cl.run.name, "x");
  EXPECT_EQ(cl.run.command, (Strings{"true"}));
}

TEST_F(CommandLineTest, RunRestartDefaultsToNo) {
  CommandLine cl = parse_command_line({"run", "true"});

  EXPECT_EQ(cl.run.restart, "no");
  EXPECT_FALSE(cl.run.detach);
  EXPECT_FALSE(cl.run.remove);
}

TEST_F(CommandLineTest, GlobalRootBeforeAContainerCommand) {
  CommandLine cl = parse_command_line({"--root", "/tmp/r", "ps", "-a"});

  EXPECT_EQ(cl.command, "ps");
  EXPECT_EQ(cl.state_root, "/tmp/r");
  EXPECT_TRUE(cl.ps.all);
}

// ---- events ----

TEST_F(CommandLineTest, EventsTimesFiltersAndFormat) {
  CommandLine cl =
      parse_command_line({"events", "--since", "1700000000", "--until", "1700000060.5", "-f",
                          "container=web", "--filter", "event=die", "--format", "{{.Action}}"});
  EXPECT_EQ(cl.command, "events");
  EXPECT_EQ(cl.events.since, 1700000000LL * 1000000000);
  EXPECT_EQ(cl.events.until, 1700000060LL * 1000000000 + 500000000);
  EXPECT_EQ(cl.events.filters, (Strings{"container=web", "event=die"}));
  EXPECT_EQ(cl.events.format, "{{.Action}}");
  CommandLine plain = parse_command_line({"events"});
  EXPECT_FALSE(plain.events.since.has_value()) << "no time: only what happens from now on";
  EXPECT_FALSE(plain.events.until.has_value());
}

TEST_F(CommandLineTest, SystemEventsIsEvents) {
  CommandLine cl = parse_command_line({"system", "events", "--since", "10m"});
  EXPECT_EQ(cl.command, "events");
  ASSERT_TRUE(cl.events.since.has_value());
  EXPECT_EQ(parse_command_line({"system", "df"}).command, "system");
}

TEST_F(CommandLineTest, EventsBadTimesFiltersAndTemplatesNameTheFlag) {
  EXPECT_NE(parse_error({"events", "--since", "yesterday"}).find("'yesterday' for --since"),
            std::string::npos);
  EXPECT_NE(parse_error({"events", "--until", "2023-02-30"}).find("'2023-02-30' for --until"),
            std::string::npos);
  EXPECT_NE(parse_error({"events", "--since", "1700000100", "--until", "1700000000"})
                .find("it is after --until"),
            std::string::npos);
  EXPECT_NE(parse_error({"events", "--filter", "colour=red"}).find("'colour=red' for --filter"),
            std::string::npos);
  EXPECT_EQ(parse_error({"events", "--format", "{{.X"}), "template: 1:1: unclosed action");
}

}  // namespace
}  // namespace mydocker::cli

namespace mydocker::cli {
namespace {

std::string text(const std::optional<FlagValue>& v) { return v ? v->flag + "=" + v->value : "-"; }
std::string text(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "|";
  return out;
}
std::string text(const std::vector<FlagValue>& v) {
  std::string out;
  for (const auto& f : v) out += f.flag + "=" + f.value + "|";
  return out;
}

// Every field a command line sets, as text.
std::string summary(const RunOptions& o) {
  std::string s;
  auto add = [&](const std::string& k, const std::string& v) { s += k + ":" + v + "\n"; };
  for (const auto& [k, v] : {std::pair{"memory", &o.memory},
                             {"swap", &o.memory_swap},
                             {"res", &o.memory_reservation},
                             {"swappiness", &o.memory_swappiness},
                             {"cpu", &o.cpu_percent},
                             {"cpus", &o.cpus},
                             {"period", &o.cpu_period},
                             {"quota", &o.cpu_quota},
                             {"shares", &o.cpu_shares},
                             {"cpuset", &o.cpuset_cpus},
                             {"mems", &o.cpuset_mems},
                             {"pids", &o.pids_limit},
                             {"blkio", &o.blkio_weight},
                             {"stop_timeout", &o.stop_timeout}})
    add(k, text(*v));
  add("rbps", text(o.device_read_bps));
  add("wbps", text(o.device_write_bps));
  for (const auto& [k, v] : {std::pair{"command", &o.command},
                             {"devices", &o.devices},
                             {"volumes", &o.volumes},
                             {"tmpfs", &o.tmpfs},
                             {"env", &o.env},
                             {"publish", &o.publish},
                             {"dns", &o.dns},
                             {"dns_search", &o.dns_search},
                             {"dns_options", &o.dns_options},
                             {"add_hosts", &o.add_hosts},
                             {"cap_add", &o.cap_add},
                             {"cap_drop", &o.cap_drop},
                             {"security", &o.security_opts},
                             {"ulimits", &o.ulimits},
                             {"labels", &o.labels},
                             {"sysctls", &o.sysctls},
                             {"log_opts", &o.log_opts},
                             {"group_add", &o.group_add},
                             {"typed", &o.typed_args}})
    add(k, text(*v));
  for (const auto& [k, v] : {std::pair{"name", &o.name},
                             {"hostname", &o.hostname},
                             {"workdir", &o.workdir},
                             {"user", &o.user},
                             {"network", &o.network},
                             {"ip", &o.ip},
                             {"restart", &o.restart},
                             {"cgroup_parent", &o.cgroup_parent},
                             {"userns", &o.userns},
                             {"uts", &o.uts},
                             {"pid", &o.pid},
                             {"ipc", &o.ipc},
                             {"shm", &o.shm_size},
                             {"health", &o.health_cmd},
                             {"log_driver", &o.log_driver},
                             {"stop_signal", &o.stop_signal},
                             {"rootfs", &o.rootfs_dir}})
    add(k, *v);
  add("entrypoint", o.entrypoint.value_or("-"));
  for (const auto& [k, v] : {std::pair{"i", o.interactive},
                             {"t", o.tty},
                             {"d", o.detach},
                             {"rm", o.remove},
                             {"trace", o.trace},
                             {"dry", o.dry_run},
                             {"ro", o.read_only},
                             {"priv", o.privileged},
                             {"P", o.publish_all},
                             {"init", o.init},
                             {"oom", o.oom_kill_disable},
                             {"rw", o.host_rw},
                             {"report", o.report},
                             {"nohealth", o.no_healthcheck}})
    add(k, v ? "1" : "0");
  return s;
}

// FlagFilter: run and create add only the options their command line names; what they parse
// is what they parse with every option added.
TEST(FlagFilter, OnlyTheNamedOptionsParseTheSame) {
  EnvGuard env;
  const std::vector<Strings> lines = {
      {"run", "--rm", "-mem", "100m", "-cpu", "50", "-cpuset", "0", "/bin/true"},
      {"run", "-it", "-m100m", "--cpus=1.5", "busybox", "sh", "-c", "echo -e hi"},
      {"run",
       "-d",
       "--name",
       "web",
       "-p",
       "8080:80",
       "-p",
       "127.0.0.1::53/udp",
       "-e",
       "A=1",
       "-e",
       "B",
       "-v",
       "/srv:/srv:ro",
       "--net=bridge",
       "--dns-search",
       "example.com",
       "--dns-option=ndots:2",
       "-h",
       "host1",
       "busybox",
       "httpd",
       "-f"},
      {"run",
       "--rm",
       "--entrypoint",
       "/bin/sh",
       "-w",
       "/tmp",
       "-u",
       "1000:1000",
       "--read-only",
       "--tmpfs",
       "/run:size=1m",
       "--cap-add",
       "NET_ADMIN",
       "--cap-drop",
       "ALL",
       "--security-opt",
       "seccomp=unconfined",
       "--sysctl",
       "net.ipv4.ip_forward=1",
       "busybox",
       "-c",
       "id"},
      {"run",
       "--restart",
       "on-failure:3",
       "--health-cmd",
       "true",
       "--log-opt",
       "max-size=1m",
       "-l",
       "a=b",
       "--label",
       "c",
       "--stop-signal",
       "KILL",
       "--init",
       "--pids-limit",
       "10",
       "--memory-swap",
       "-1",
       "--device-read-bps",
       "/dev/sda:1mb",
       "--ulimit",
       "nofile=10:20",
       "--",
       "busybox",
       "--rm",
       "-d"},
      {"run", "--trace", "--dry-run", "-cpushare", "512", "--cpu-period", "100000", "--cpu-quota",
       "50000", "--privileged", "-P", "busybox"},
      {"create", "--name", "c", "-t", "--userns", "private", "--ipc", "shareable", "--pid", "host",
       "--shm-size", "1m", "--group-add", "10", "busybox", "sleep", "1"},
  };
  for (const auto& line : lines) {
    FlagFilter::counts() = {};
    const CommandLine some = parse_command_line(line);
    EXPECT_GT(FlagFilter::counts().skipped, 40) << "most of run's 80 options are not added";
    EXPECT_EQ(FlagFilter::counts().fallbacks, 0) << "parsed without every option";
    FlagFilter::counts() = {};
    const CommandLine all = parse_command_line(line, /*every_flag=*/true);
    EXPECT_EQ(FlagFilter::counts().skipped, 0);
    EXPECT_EQ(some.command, all.command);
    EXPECT_EQ(summary(some.run), summary(all.run)) << line[0] << " " << line[1];
  }
}

TEST(FlagFilter, UnknownFlagsStillGetTheWholeCommandsSuggestion) {
  EnvGuard env;
  FlagFilter::counts() = {};
  try {
    (void)parse_command_line({"run", "--memroy", "10m", "busybox"});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean '--memory'?"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(FlagFilter::counts().fallbacks, 1);
  // --help lists every option, not only the ones named.
  EXPECT_TRUE(FlagFilter::wants("--anything"));
}

TEST(FlagFilter, WantsOnlyTheNamesGiven) {
  const std::vector<std::string> given{"--mem", "-i"};
  FlagFilter::current() = &given;
  EXPECT_TRUE(FlagFilter::wants("-m,--mem,--memory"));
  EXPECT_TRUE(FlagFilter::wants("-i,--interactive"));
  EXPECT_TRUE(FlagFilter::wants("container"));  // a positional
  EXPECT_FALSE(FlagFilter::wants("-t,--tty"));
  EXPECT_FALSE(FlagFilter::wants("--memory-swap"));
  FlagFilter::current() = nullptr;
  EXPECT_TRUE(FlagFilter::wants("-t,--tty"));
}

}  // namespace
}  // namespace mydocker::cli
