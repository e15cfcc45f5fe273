#include "mydocker/cgroup/v1/cpu.hpp"

#include <sstream>

namespace mydocker::v1 {

void Cpu::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  // Period before quota: the kernel checks quota against the period in force.
  if (r.cpu_period) fs.write(path_join(dir, "cpu.cfs_period_us"), std::to_string(*r.cpu_period));
  if (r.cpu_quota) fs.write(path_join(dir, "cpu.cfs_quota_us"), std::to_string(*r.cpu_quota));
  if (r.cpu_shares) fs.write(path_join(dir, "cpu.shares"), std::to_string(*r.cpu_shares));
}

void Cpu::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  // cpu.stat: "nr_periods N\nnr_throttled N\nthrottled_time NS\n..."
  auto text = fs.read_if_exists(path_join(dir, "cpu.stat"));
  if (!text) return;
  if (!out.cpu) out.cpu = CpuStats{};
  std::istringstream in(*text);
  std::string key;
  uint64_t value;
  while (in >> key >> value) {
    if (key == "nr_periods") out.cpu->nr_periods = value;
    if (key == "nr_throttled") out.cpu->nr_throttled = value;
    if (key == "throttled_time") out.cpu->throttled_ns = value;
  }
}

}  // namespace mydocker::v1
