#pragma once
// cgroup v1 cpuacct: accounting only (cpuacct.usage), no limits.

#include "mydocker/cgroup/subsystem.hpp"

namespace mydocker::v1 {

class Cpuacct final : public Subsystem {
 public:
  std::string_view name() const override { return "cpuacct"; }
  bool needed(const Resources&) const override { return false; }
  void set(const Fs&, const std::string&, const Resources&) const override {}
  void stats(const Fs& fs, const std::string& dir, Stats& out) const override;
};

}  // namespace mydocker::v1
