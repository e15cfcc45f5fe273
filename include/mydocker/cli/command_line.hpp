#pragma once
// Parses mydocker's command line into plain structs (testable without running anything).

#include <optional>
#include <string>
#include <vector>

#include "mydocker/container/options.hpp"

namespace mydocker::cli {

enum class Command { kNone, kRun, kInfo, kPrune };

struct CommandLine {
  Command command = Command::kNone;
  std::string log_level = "warn";
  std::string state_root = kDefaultStateRoot;  // --root, MYDOCKER_ROOT
  RunOptions run;                              // for kRun
  std::string format = "text";                 // for kInfo
  // Set when parsing already finished the job (--help, --version, no command): exit with this.
  std::optional<int> exit_now;
};

// Throws Error (exit 125) for unknown flags and missing values. `args` excludes argv[0].
CommandLine parse_command_line(const std::vector<std::string>& args);

}  // namespace mydocker::cli
