#pragma once
// What a container used, read from its cgroups before they are removed.

#include <cstdint>
#include <optional>

namespace mydocker {

struct MemoryStats {
  std::optional<int64_t> limit;  // nullopt: unlimited
  uint64_t usage = 0;
  uint64_t peak = 0;       // memory.max_usage_in_bytes
  uint64_t failcnt = 0;    // times the limit was hit
  uint64_t oom_kills = 0;  // processes the OOM killer killed in this cgroup
};

struct CpuStats {
  uint64_t usage_ns = 0;  // total CPU time
  uint64_t nr_periods = 0;
  uint64_t nr_throttled = 0;
  uint64_t throttled_ns = 0;
};

struct Stats {
  std::optional<MemoryStats> memory;
  std::optional<CpuStats> cpu;
};

}  // namespace mydocker
