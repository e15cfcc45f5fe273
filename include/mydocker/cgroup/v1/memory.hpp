#pragma once
// cgroup v1 memory: memory.limit_in_bytes, memory.memsw.limit_in_bytes, memory.soft_limit_in_bytes,
// memory.swappiness, memory.oom_control.

#include "mydocker/cgroup/subsystem.hpp"

namespace mydocker::v1 {

class Memory final : public Subsystem {
 public:
  std::string_view name() const override { return "memory"; }
  bool needed(const Resources& r) const override {
    return r.memory || r.memory_swap || r.memory_reservation || r.memory_swappiness ||
           r.oom_kill_disable;
  }
  void check(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void stats(const Fs& fs, const std::string& dir, Stats& out) const override;
  // oom_kills from memory.oom_control; limit and peak only when it is not 0.
  static MemoryStats oom_report(const Fs& fs, const std::string& dir);
};

}  // namespace mydocker::v1
