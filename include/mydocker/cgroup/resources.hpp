#pragma once
// What a container may use, in the units of seed 004's Resources (cgroup v1's, docker's).
// Unset means "not limited, not written". The v2 driver converts where v2 differs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/cgroup/devices.hpp"
#include "mydocker/util/cpulist.hpp"

namespace mydocker {

// A per-device I/O limit: --device-read-bps /dev/sda:1mb.
struct DeviceLimit {
  std::string path;  // as given
  uint32_t major = 0;
  uint32_t minor = 0;
  uint64_t value = 0;  // bytes/s or operations/s
};

struct Resources {
  // memory
  std::optional<int64_t> memory;              // bytes
  std::optional<int64_t> memory_swap;         // docker's memory+swap in bytes; -1 = unlimited.
                                              // Unset with a memory limit: no swap at all.
  std::optional<int64_t> memory_reservation;  // soft limit, bytes
  std::optional<int64_t> memory_swappiness;   // 0..100 (v1 only)
  // Unset swappiness with a memory limit: 0 (docker's run: no early swapping, seed 000), or,
  // for an OCI bundle, the inherited value as runc leaves it.
  bool inherit_swappiness = false;
  bool oom_kill_disable = false;  // v1 only
  // cpu
  std::optional<int64_t> cpu_quota;   // µs per period; -1 = unlimited
  std::optional<int64_t> cpu_period;  // µs
  // The quota came from --cpus (or -cpu): docker records it as NanoCpus alone, and refuses an
  // update of the period or quota of such a container (and --cpus for one with them set).
  bool nano_cpus = false;
  std::optional<int64_t> cpu_shares;      // relative weight 2..262144 (v2: cpu.weight)
  std::optional<int64_t> cpu_rt_runtime;  // µs per rt period (v1 with CONFIG_RT_GROUP_SCHED)
  std::optional<int64_t> cpu_rt_period;   // µs
  // cpuset
  std::optional<std::string> cpuset_cpus;  // kernel list format
  std::optional<std::string> cpuset_mems;
  // pids
  std::optional<int64_t> pids_limit;  // -1 = unlimited
  // io
  std::optional<int64_t> blkio_weight;  // 10..1000 (v2: io.weight 1..10000)
  std::vector<DeviceLimit> read_bps, write_bps, read_iops, write_iops;
  // devices: the device rules, in order (a run always has them: docker's defaults at least;
  // empty = not changed, for `update`)
  std::vector<DeviceRule> devices;

  bool any_io() const {
    return blkio_weight || !read_bps.empty() || !write_bps.empty() || !read_iops.empty() ||
           !write_iops.empty();
  }
};

// The CPUs and memory nodes a container's parent cgroup may use.
struct HostLimits {
  CpuSet cpus;
  CpuSet mems;
};

// The default CFS period (the kernel's): `-cpu 20` is 20000 µs of every 100000 µs.
inline constexpr int64_t kDefaultCpuPeriod = 100000;

// cgroup v2 conversions (as runc and crun do them).
//
// docker's --cpu-shares to cpu.weight, with the formula runc and crun use since 2025: a
// quadratic in log2(shares) through 2 -> 1, 1024 -> 100 (both defaults) and 262144 -> 10000.
int64_t cpu_shares_to_weight(int64_t shares);
// --blkio-weight 10..1000 to io.weight 1..10000 (linear).
int64_t blkio_weight_to_io_weight(int64_t weight);
// docker's memory+swap to memory.swap.max (swap alone): -1 stays -1 ("max"); errors (Error)
// when swap is set without a memory limit or below it.
int64_t memory_swap_to_v2(int64_t memory_swap, std::optional<int64_t> memory);

}  // namespace mydocker
