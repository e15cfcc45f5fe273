#pragma once
// cgroup v1 cpu: the CFS bandwidth controller (cpu.cfs_period_us, cpu.cfs_quota_us), cpu.shares,
// and real-time group scheduling (cpu.rt_period_us, cpu.rt_runtime_us) where the kernel has it.

#include "mydocker/cgroup/subsystem.hpp"

namespace mydocker::v1 {

class Cpu final : public Subsystem {
 public:
  std::string_view name() const override { return "cpu"; }
  bool needed(const Resources& r) const override {
    return r.cpu_quota || r.cpu_period || r.cpu_shares || r.cpu_rt_runtime || r.cpu_rt_period;
  }
  void prepare(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void check(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void stats(const Fs& fs, const std::string& dir, Stats& out) const override;
};

}  // namespace mydocker::v1
