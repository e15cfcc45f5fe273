#include "mydocker/cgroup/v1/cpuacct.hpp"

#include <unistd.h>

namespace mydocker::v1 {

void Cpuacct::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  auto path = path_join(dir, "cpuacct.usage");
  if (!fs.exists(path)) return;
  if (!out.cpu) out.cpu = CpuStats{};
  out.cpu->usage_ns = read_u64(fs, path);
  // cpuacct.stat counts in USER_HZ ticks.
  auto stat = read_keyed(fs, path_join(dir, "cpuacct.stat"));
  const uint64_t ns_per_tick = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  out.cpu->user_ns = stat["user"] * ns_per_tick;
  out.cpu->system_ns = stat["system"] * ns_per_tick;
}

}  // namespace mydocker::v1
