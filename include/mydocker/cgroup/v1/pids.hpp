#pragma once
// cgroup v1 pids: pids.max (fork fails with EAGAIN beyond it), pids.current, pids.peak.

#include "mydocker/cgroup/subsystem.hpp"

namespace mydocker::v1 {

class Pids final : public Subsystem {
 public:
  std::string_view name() const override { return "pids"; }
  bool needed(const Resources& r) const override { return r.pids_limit.has_value(); }
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void stats(const Fs& fs, const std::string& dir, Stats& out) const override;
};

// Shared by v1 and v2 (same files).
void set_pids_max(const Fs& fs, const std::string& dir, const Resources& r);
void read_pids_stats(const Fs& fs, const std::string& dir, Stats& out);

}  // namespace mydocker::v1
