#pragma once
// What `mydocker run` was asked for, as plain values. The CLI fills this; the core checks it.

#include <optional>
#include <string>
#include <vector>

#include "mydocker/cgroup/resources.hpp"
#include "mydocker/util/cpulist.hpp"

namespace mydocker {

// A flag's value together with the spelling the user typed, so errors can name it:
// {"-mem", "100m"} -> "invalid value 'abc' for -mem: ...".
struct FlagValue {
  std::string flag;
  std::string value;
};

inline constexpr const char* kDefaultStateRoot = "/run/mydocker";

struct RunOptions {
  std::vector<std::string> command;  // everything from the first non-flag argument on

  std::optional<FlagValue> memory;       // -mem, -m, --memory SIZE
  std::optional<FlagValue> cpu_percent;  // -cpu PERCENT of one CPU
  std::optional<FlagValue> cpus;         // --cpus N (fractional CPUs)
  std::optional<FlagValue> cpu_shares;   // -cpushare, --cpu-shares N
  std::optional<FlagValue> cpuset_cpus;  // -cpuset, --cpuset-cpus LIST

  bool interactive = false;  // -i: keep stdin
  bool tty = false;          // -t: keep the caller's terminal
  std::string name;
  std::string hostname;       // default: the container's short id
  std::string cgroup_parent;  // "" = default (mydocker below the caller's cgroup)
  std::optional<FlagValue> stop_timeout;  // seconds, default 10; -1 waits forever
  bool trace = false;
  bool dry_run = false;
  std::string state_root = kDefaultStateRoot;
};

inline constexpr int kDefaultStopTimeout = 10;

// Converts and checks the limit flags. `available` is the CPUs the container's parent cgroup
// may use: -cpuset must be within them, and -cpu / --cpus at most their number.
// Throws Error (exit 125) naming the flag and the value.
Resources parse_resources(const RunOptions& o, const CpuSet& available);

// Checks the other flags (name, hostname, stop timeout, command). Throws Error.
void validate_run_options(const RunOptions& o);
int stop_timeout_seconds(const RunOptions& o);

}  // namespace mydocker
