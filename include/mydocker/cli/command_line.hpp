#pragma once
// Parses mydocker's command line into plain structs (testable without running anything).

#include <optional>
#include <string>
#include <vector>

#include "mydocker/commands/commands.hpp"
#include "mydocker/spec/options.hpp"

namespace mydocker::cli {

enum class Command {
  kNone,
  kRun,
  kInfo,
  kPrune,
  kPs,
  kLogs,
  kExec,
  kStop,
  kKill,
  kRm,
  kInspect,
  kTop,
  kStats,
  kUpdate,
  kPause,
  kUnpause,
  kWait,
  kImport,
  kImages,
  kRmi,
  kExport,
  kCommit
};

struct CommandLine {
  Command command = Command::kNone;
  std::string log_level = "warn";
  std::string state_root = kDefaultStateRoot;  // --root, MYDOCKER_ROOT
  std::string data_root = kDefaultDataRoot;    // --data-root, MYDOCKER_DATA_ROOT
  RunOptions run;                              // run, and update's limits
  std::string format;                          // info, ps, stats: "json"
  PsOptions ps;
  LogsOptions logs;
  ExecOptions exec;
  StatsOptions stats;
  std::vector<std::string> containers;  // the containers a command acts on
  std::optional<int> stop_timeout;      // stop -t, rm -f
  std::string signal = "KILL";          // kill -s
  bool force = false;                   // rm -f, rmi -f
  std::vector<std::string> args;        // import TARBALL NAME, commit CONTAINER NAME, rmi IMAGE...
  std::string output;                   // export -o FILE
  // Set when parsing already finished the job (--help, --version, no command): exit with this.
  std::optional<int> exit_now;
};

// Throws Error (exit 125) for unknown flags and missing values. `args` excludes argv[0].
CommandLine parse_command_line(const std::vector<std::string>& args);

}  // namespace mydocker::cli
