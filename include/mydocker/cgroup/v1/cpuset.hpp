#pragma once
// cgroup v1 cpuset: cpuset.cpus and cpuset.mems.
//
// A new v1 cpuset cgroup starts with both empty, and a process cannot join it until they are
// set (ENOSPC): every directory mydocker creates gets its parent's values first.

#include "mydocker/cgroup/subsystem.hpp"
#include "mydocker/util/cpulist.hpp"

namespace mydocker::v1 {

class Cpuset final : public Subsystem {
 public:
  std::string_view name() const override { return "cpuset"; }
  bool needed(const Resources& r) const override { return r.cpuset_cpus || r.cpuset_mems; }
  void prepare(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
  bool set_before_join() const override { return true; }
  void set_made(const Fs& fs, const std::string& dir, const Resources& r) const override;

  // What a child of `dir` may use: the nearest non-empty cpuset.effective_{cpus,mems} upwards.
  static CpuSet effective(const Fs& fs, const std::string& dir, const std::string& what);
};

// The nearest non-empty value of `file` in `dir` or above it ("" when none).
std::string inherited_value(const Fs& fs, std::string dir, const std::string& file);

}  // namespace mydocker::v1
