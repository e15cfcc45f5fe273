#pragma once
// `mydocker run`: a command in new namespaces, inside cgroups set up before it starts, and
// nothing left behind however it ends.

#include <optional>
#include <string>
#include <vector>

#include "mydocker/cgroup/stats.hpp"
#include "mydocker/spec/options.hpp"

namespace mydocker {

// --report / --report-file: what the container used, read from its cgroups before they went.
struct RunReport {
  std::string id;
  std::string cgroup_mode;  // "v1", "v2" (CgroupRecord::driver_name)
  int status = 0;
  double wall_seconds = 0;
  Stats stats;
};

struct RunResult {
  int status = 0;                     // the command's status, 128+N for signal N
  std::vector<std::string> messages;  // for stderr after the run (OOM kills, teardown problems)
  std::optional<RunReport> report;    // --report, --report-file
  std::string id;                     // the container's id (run -d prints it)
};

// Throws Error (exit 125 for mydocker's own failures, 126/127 when the command cannot run).
RunResult run_container(const RunOptions& options);

// "1 process of container 3f2a9c8e1b7d was killed by the OOM killer (memory limit 100MiB, peak
// 100MiB)", or "" when nothing was OOM-killed.

std::string oom_message(const Stats& stats, const std::string& id);

}  // namespace mydocker
