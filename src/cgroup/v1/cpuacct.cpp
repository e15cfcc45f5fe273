#include "mydocker/cgroup/v1/cpuacct.hpp"

namespace mydocker::v1 {

void Cpuacct::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  auto path = path_join(dir, "cpuacct.usage");
  if (!fs.exists(path)) return;
  if (!out.cpu) out.cpu = CpuStats{};
  out.cpu->usage_ns = read_u64(fs, path);
}

}  // namespace mydocker::v1
