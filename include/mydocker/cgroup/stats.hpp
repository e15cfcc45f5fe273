#pragma once
// What a container used: one struct for cgroup v1 and v2, read before its cgroups go.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mydocker {

struct MemoryStats {
  std::optional<int64_t> limit;  // nullopt: unlimited
  uint64_t usage = 0;
  uint64_t peak = 0;     // v1 memory.max_usage_in_bytes, v2 memory.peak
  uint64_t failcnt = 0;  // times the limit was hit (v2: memory.events "max")
  uint64_t cache = 0;    // page cache (v2: "file")
  uint64_t rss = 0;      // anonymous memory (v2: "anon")
  uint64_t swap = 0;
  uint64_t inactive_file = 0;  // reclaimable cache: docker's "used" leaves it out
  uint64_t oom_kills = 0;      // processes the OOM killer killed in this cgroup

  uint64_t used() const { return usage > inactive_file ? usage - inactive_file : usage; }
};

struct CpuStats {
  uint64_t usage_ns = 0;
  uint64_t user_ns = 0;
  uint64_t system_ns = 0;
  uint64_t nr_periods = 0;
  uint64_t nr_throttled = 0;
  uint64_t throttled_ns = 0;
};

struct PidsStats {
  uint64_t current = 0;
  std::optional<uint64_t> peak;  // pids.peak where the kernel has it
  std::optional<int64_t> limit;  // nullopt: unlimited
};

struct IoDeviceStats {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t read_ios = 0;
  uint64_t write_ios = 0;
};

struct Stats {
  std::optional<MemoryStats> memory;
  std::optional<CpuStats> cpu;
  std::optional<PidsStats> pids;
  std::optional<std::vector<IoDeviceStats>> io;
};

// "key value" lines (memory.stat, cpu.stat, memory.events, cpuacct.stat, memory.oom_control).
// Lines that do not parse are skipped.
std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text);
// v1 blkio.throttle.io_service_bytes and io_serviced: "8:0 Read 4096" lines, "Total N" skipped.
std::vector<IoDeviceStats> parse_blkio_v1(std::string_view bytes, std::string_view ios);
// v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" lines.
std::vector<IoDeviceStats> parse_io_stat(std::string_view text);
// A limit file: "max" (v2) or a huge v1 value -> nullopt; a number -> it; garbage -> nullopt.
std::optional<int64_t> parse_limit(std::string_view text);

}  // namespace mydocker
