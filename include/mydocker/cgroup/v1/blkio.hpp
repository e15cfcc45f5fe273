#pragma once
// cgroup v1 blkio: blkio.weight (or blkio.bfq.weight) and the per-device throttles
// blkio.throttle.{read,write}_{bps,iops}_device ("MAJ:MIN RATE").

#include "mydocker/cgroup/subsystem.hpp"

namespace mydocker::v1 {

class Blkio final : public Subsystem {
 public:
  std::string_view name() const override { return "blkio"; }
  bool needed(const Resources& r) const override { return r.any_io(); }
  void check(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void stats(const Fs& fs, const std::string& dir, Stats& out) const override;
  // Whether a cgroup in `dir` (or `dir` itself, for --dry-run) can take a weight.
  static bool has_weight(const Fs& fs, const std::string& dir);
};

}  // namespace mydocker::v1
