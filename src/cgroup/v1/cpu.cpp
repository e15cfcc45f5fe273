#include "mydocker/cgroup/v1/cpu.hpp"

namespace mydocker::v1 {
namespace {

void require_rt(const Fs& fs, const std::string& dir) {
  if (!has_file(fs, dir, "cpu.rt_runtime_us"))
    throw Error(
        "--cpu-rt-runtime/--cpu-rt-period: this kernel has no real-time group scheduling "
        "(CONFIG_RT_GROUP_SCHED): cpu.rt_runtime_us does not exist");
}

}  // namespace

// A new cgroup has no real-time budget (cpu.rt_runtime_us 0), and a child's budget must fit in
// its parent's: a parent this run made gets the container's runtime.
void Cpu::prepare(const Fs& fs, const std::string& dir, const Resources& r) const {
  if (!r.cpu_rt_runtime || *r.cpu_rt_runtime <= 0) return;
  require_rt(fs, dir);
  fs.write_verified(path_join(dir, "cpu.rt_runtime_us"), std::to_string(*r.cpu_rt_runtime));
}

void Cpu::check(const Fs& fs, const std::string& dir, const Resources& r) const {
  if (r.cpu_rt_period || r.cpu_rt_runtime) require_rt(fs, dir);
}

void Cpu::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  check(fs, dir, r);
  // Period before quota: the kernel checks the quota against the period in force.
  if (r.cpu_period)
    fs.write_verified(path_join(dir, "cpu.cfs_period_us"), std::to_string(*r.cpu_period));
  if (r.cpu_quota)
    fs.write_verified(path_join(dir, "cpu.cfs_quota_us"), std::to_string(*r.cpu_quota));
  if (r.cpu_shares)  // the kernel clamps to 2..262144: read back, so a clamp cannot pass unseen
    fs.write_verified(path_join(dir, "cpu.shares"), std::to_string(*r.cpu_shares));
  if (r.cpu_rt_period)
    fs.write_verified(path_join(dir, "cpu.rt_period_us"), std::to_string(*r.cpu_rt_period));
  if (r.cpu_rt_runtime)
    fs.write_verified(path_join(dir, "cpu.rt_runtime_us"), std::to_string(*r.cpu_rt_runtime));
}

void Cpu::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  auto stat = read_keyed(fs, path_join(dir, "cpu.stat"));
  if (stat.empty()) return;
  if (!out.cpu) out.cpu = CpuStats{};
  out.cpu->nr_periods = stat["nr_periods"];
  out.cpu->nr_throttled = stat["nr_throttled"];
  out.cpu->throttled_ns = stat["throttled_time"];
}

}  // namespace mydocker::v1
