#include "mydocker/cgroup/v2/controllers.hpp"

namespace mydocker::v2 {

void Cpu::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  if (r.cpu_quota || r.cpu_period) {
    // One file for both: "QUOTA PERIOD", "max" when there is no quota.
    const std::string quota =
        r.cpu_quota && *r.cpu_quota > 0 ? std::to_string(*r.cpu_quota) : "max";
    const std::string period = std::to_string(r.cpu_period.value_or(kDefaultCpuPeriod));
    fs.write_verified(path_join(dir, "cpu.max"), quota + " " + period);
  }
  if (r.cpu_shares)
    fs.write_verified(path_join(dir, "cpu.weight"),
                      std::to_string(cpu_shares_to_weight(*r.cpu_shares)));
}

void Cpu::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  auto stat = read_keyed(fs, path_join(dir, "cpu.stat"));
  if (stat.empty()) return;
  CpuStats c;
  c.usage_ns = stat["usage_usec"] * 1000;
  c.user_ns = stat["user_usec"] * 1000;
  c.system_ns = stat["system_usec"] * 1000;
  c.nr_periods = stat["nr_periods"];
  c.nr_throttled = stat["nr_throttled"];
  c.throttled_ns = stat["throttled_usec"] * 1000;
  out.cpu = c;
}

}  // namespace mydocker::v2
