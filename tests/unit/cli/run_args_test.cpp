// split_run_args: mydocker's flags versus the container's command, with a table lookup (no
// CLI11 involved).

#include "mydocker/cli/run_args.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "mydocker/util/error.hpp"

namespace mydocker::cli {
namespace {

using Strings = std::vector<std::string>;
using Typed = std::map<std::string, std::string>;

std::optional<FlagInfo> lookup(const std::string& name) {
  static const std::map<std::string, FlagInfo> kFlags = {
      {"-m", {"--mem", true}},
      {"--mem", {"--mem", true}},
      {"--memory", {"--mem", true}},
      {"--cpu", {"--cpu", true}},
      {"--cpus", {"--cpus", true}},
      {"-c", {"--cpushare", true}},
      {"--cpushare", {"--cpushare", true}},
      {"-i", {"--interactive", false}},
      {"--interactive", {"--interactive", false}},
      {"-t", {"--tty", false}},
      {"--tty", {"--tty", false}},
      {"-h", {"--hostname", true}},
      {"--rm", {"--rm", false}},
  };
  auto it = kFlags.find(name);
  if (it == kFlags.end()) return std::nullopt;
  return it->second;
}

RunArgs split(const Strings& args) { return split_run_args(args, lookup); }

TEST(SplitRunArgs, FlagsAfterTheCommandBelongToTheCommand) {
  RunArgs r = split({"-mem", "100m", "stress", "--vm-bytes", "200m", "--vm-keep", "-m", "1"});
  EXPECT_EQ(r.flags, (Strings{"--mem", "100m"}));
  EXPECT_EQ(r.command, (Strings{"stress", "--vm-bytes", "200m", "--vm-keep", "-m", "1"}));
  EXPECT_EQ(r.typed, (Typed{{"--mem", "-mem"}}));
}

TEST(SplitRunArgs, GoStyleSingleDashLongFlagsBecomeDoubleDash) {
  RunArgs r = split({"-cpu", "20", "-memory=1g", "true"});
  EXPECT_EQ(r.flags, (Strings{"--cpu", "20", "--memory=1g"}));
  EXPECT_EQ(r.command, (Strings{"true"}));
  EXPECT_EQ(r.typed, (Typed{{"--cpu", "-cpu"}, {"--mem", "-memory"}}));
}

TEST(SplitRunArgs, DoubleDashFlagsWithSeparateAndInlineValues) {
  RunArgs r = split({"--mem", "100m", "--cpus=1.5", "sh"});
  EXPECT_EQ(r.flags, (Strings{"--mem", "100m", "--cpus=1.5"}));
  EXPECT_EQ(r.command, (Strings{"sh"}));
  EXPECT_EQ(r.typed, (Typed{{"--mem", "--mem"}, {"--cpus", "--cpus"}}));
}

TEST(SplitRunArgs, BundledShortFlags) {
  for (const std::string bundle : {"-it", "-ti"}) {
    RunArgs r = split({bundle, "sh"});
    EXPECT_EQ(r.flags, (Strings{bundle}));
    EXPECT_EQ(r.command, (Strings{"sh"}));
    EXPECT_EQ(r.typed, (Typed{{"--interactive", "-i"}, {"--tty", "-t"}}));
  }
}

TEST(SplitRunArgs, ShortFlagWithAttachedOrSeparateValue) {
  RunArgs attached = split({"-m100m", "true"});
  EXPECT_EQ(attached.flags, (Strings{"-m100m"}));
  EXPECT_EQ(attached.command, (Strings{"true"}));
  EXPECT_EQ(attached.typed, (Typed{{"--mem", "-m"}}));

  RunArgs separate = split({"-m", "100m", "true"});
  EXPECT_EQ(separate.flags, (Strings{"-m", "100m"}));
  EXPECT_EQ(separate.command, (Strings{"true"}));

  RunArgs bundled = split({"-im", "100m", "true"});  // -i, then -m takes the next argument
  EXPECT_EQ(bundled.flags, (Strings{"-im", "100m"}));
  EXPECT_EQ(bundled.command, (Strings{"true"}));
}

TEST(SplitRunArgs, DoubleDashEndsTheFlags) {
  RunArgs r = split({"--", "-x"});
  EXPECT_TRUE(r.flags.empty());
  EXPECT_EQ(r.command, (Strings{"-x"}));

  r = split({"-i", "--", "--", "-m"});
  EXPECT_EQ(r.flags, (Strings{"-i"}));
  EXPECT_EQ(r.command, (Strings{"--", "-m"}));
}

TEST(SplitRunArgs, AValueThatLooksLikeAFlagIsStillAValue) {
  RunArgs r = split({"-h", "-box", "-mem", "-1", "true"});
  EXPECT_EQ(r.flags, (Strings{"-h", "-box", "--mem", "-1"}));
  EXPECT_EQ(r.command, (Strings{"true"}));
}

TEST(SplitRunArgs, UnknownFlagsArePassedOnForCli11ToReport) {
  RunArgs r = split({"-d", "--bogus", "true"});
  EXPECT_EQ(r.flags, (Strings{"-d", "--bogus"}));
  EXPECT_EQ(r.command, (Strings{"true"}));
  EXPECT_TRUE(r.typed.empty());
}

TEST(SplitRunArgs, ALoneDashStartsTheCommand) {
  RunArgs r = split({"-i", "-", "x"});
  EXPECT_EQ(r.flags, (Strings{"-i"}));
  EXPECT_EQ(r.command, (Strings{"-", "x"}));
}

TEST(SplitRunArgs, MissingValueThrowsNamingTheFlagAsTyped) {
  for (const auto& [args, typed] : std::vector<std::pair<Strings, std::string>>{
           {{"-mem"}, "-mem"}, {{"--memory"}, "--memory"}, {{"-m"}, "-m"}, {{"-im"}, "-m"}}) {
    try {
      (void)split(args);
      ADD_FAILURE() << "no exception for " << typed;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "flag " + typed + " needs a value");
      EXPECT_EQ(e.exit_code(), kExitSetupError);
    }
  }
}

TEST(SplitRunArgs, NoArguments) {
  RunArgs r = split({});
  EXPECT_TRUE(r.flags.empty());
  EXPECT_TRUE(r.command.empty());
}

TEST(SplitRunArgs, OnlyFlagsLeavesNoCommand) {
  RunArgs r = split({"-i", "--rm"});
  EXPECT_EQ(r.flags, (Strings{"-i", "--rm"}));
  EXPECT_TRUE(r.command.empty());
}

TEST(SplitRunArgs, TheLastSpellingOfAFlagIsRecorded) {
  RunArgs r = split({"-m", "1m", "--memory", "2m", "true"});
  EXPECT_EQ(r.typed, (Typed{{"--mem", "--memory"}}));
}

}  // namespace
}  // namespace mydocker::cli
