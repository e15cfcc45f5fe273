#pragma once
// How ps, inspect, top, stats and logs show containers: docker's columns and JSON shapes.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/commands/containers.hpp"

namespace mydocker {

struct PsOptions {
  bool all = false;                  // -a: stopped ones too
  bool quiet = false;                // -q: ids only
  std::string format;                // "json": one object per line
  std::vector<std::string> filters;  // --filter KEY=VALUE
  int last = -1;                     // -n N (-l: 1): the N newest, whatever their state
  bool no_trunc = false;             // --no-trunc: full ids and commands
  bool size = false;                 // -s: the SIZE column
};
// The rows of `ps` at time `now` (seconds since the epoch).
std::string format_ps(const std::vector<ContainerView>& containers, const PsOptions& o, double now);
// `ps --format json`'s object for one container.
nlohmann::json ps_json(const ContainerView& c, double now, bool no_trunc = false);

// `inspect`: docker's shape.
nlohmann::json inspect_json(const ContainerView& c);

// `top`: UID PID PPID C STIME TTY TIME CMD.
std::string format_top(const std::vector<ProcessInfo>& processes);

// `stats`: CPU % from the difference between two samples of the same container.
std::string format_stats(const std::vector<StatsSample>& before,
                         const std::vector<StatsSample>& now, uint64_t host_memory,
                         const std::string& format,  // "", "json" or a Go template
                         bool no_trunc = false);     // the full ids in the table

// `logs`: one entry, with its time in front for -t.
std::string format_log_entry(const LogEntry& e, bool timestamps);

}  // namespace mydocker
