#pragma once
// What a container may use, in kernel units. Unset means "not limited, not written".

#include <cstdint>
#include <optional>
#include <string>

namespace mydocker {

struct Resources {
  std::optional<int64_t> memory;           // bytes: memory.limit_in_bytes
  std::optional<int64_t> cpu_quota;        // µs per period: cpu.cfs_quota_us
  std::optional<int64_t> cpu_period;       // µs: cpu.cfs_period_us
  std::optional<int64_t> cpu_shares;       // cpu.shares
  std::optional<std::string> cpuset_cpus;  // kernel list format: cpuset.cpus
};

// The default CFS period (the kernel's): `-cpu 20` is 20000 µs of every 100000 µs.
inline constexpr int64_t kDefaultCpuPeriod = 100000;

}  // namespace mydocker
