#pragma once
// Splits `mydocker run`'s arguments into mydocker's flags and the command, before CLI11 sees
// them: everything from the first non-flag argument (or after `--`) belongs to the command, so
// `run -mem 100m stress --vm-bytes 200m -m 1` passes `-m 1` to stress. Go-style single-dash long
// flags (`-mem`, `-cpu`, `-cpushare`, `-cpuset`) become `--mem` ... for CLI11.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mydocker::cli {

struct FlagInfo {
  std::string canonical;  // the name errors are keyed by: "--mem"
  bool takes_value;
};
// Looks a flag up by "--long" or "-s"; nullopt when mydocker has no such flag.
using FlagLookup = std::function<std::optional<FlagInfo>(const std::string&)>;

struct RunArgs {
  std::vector<std::string> flags;            // for CLI11
  std::vector<std::string> command;          // the container's command
  std::map<std::string, std::string> typed;  // canonical -> the spelling the user typed
};

// Throws Error for a flag missing its value.
RunArgs split_run_args(const std::vector<std::string>& args, const FlagLookup& lookup);

}  // namespace mydocker::cli
