#pragma once
// cgroup v1 cpu: cpu.cfs_period_us, cpu.cfs_quota_us, cpu.shares (the CFS bandwidth controller).

#include "mydocker/cgroup/subsystem.hpp"

namespace mydocker::v1 {

class Cpu final : public Subsystem {
 public:
  std::string_view name() const override { return "cpu"; }
  bool needed(const Resources& r) const override {
    return r.cpu_quota || r.cpu_period || r.cpu_shares;
  }
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void stats(const Fs& fs, const std::string& dir, Stats& out) const override;
};

}  // namespace mydocker::v1
