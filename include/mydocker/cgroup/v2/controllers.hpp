#pragma once
// cgroup v2 controllers: one directory for all of them, and their own files and units.
// Each is implemented in its own file (memory.cpp, cpu.cpp, cpuset.cpp, pids.cpp, io.cpp).

#include "mydocker/cgroup/subsystem.hpp"
#include "mydocker/util/cpulist.hpp"

namespace mydocker::v2 {

// memory.max, memory.swap.max (docker's memory+swap converted), memory.low (reservation).
class Memory final : public Subsystem {
 public:
  std::string_view name() const override { return "memory"; }
  bool needed(const Resources& r) const override {
    return r.memory || r.memory_swap || r.memory_reservation;
  }
  void check(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void stats(const Fs& fs, const std::string& dir, Stats& out) const override;
  // oom_kill from memory.events; limit and peak only when it is not 0.
  static MemoryStats oom_report(const Fs& fs, const std::string& dir);
};

// cpu.max ("QUOTA PERIOD", "max" when unlimited), cpu.weight (converted from shares).
class Cpu final : public Subsystem {
 public:
  std::string_view name() const override { return "cpu"; }
  bool needed(const Resources& r) const override {
    return r.cpu_quota || r.cpu_period || r.cpu_shares;
  }
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void stats(const Fs& fs, const std::string& dir, Stats& out) const override;
};

// cpuset.cpus, cpuset.mems (empty means "the parent's": no copying needed on v2).
class Cpuset final : public Subsystem {
 public:
  std::string_view name() const override { return "cpuset"; }
  bool needed(const Resources& r) const override { return r.cpuset_cpus || r.cpuset_mems; }
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
  // The nearest cpuset.{cpus,mems}.effective at or above `dir`.
  static CpuSet effective(const Fs& fs, const std::string& dir, const std::string& what);
};

// pids.max, as on v1.
class Pids final : public Subsystem {
 public:
  std::string_view name() const override { return "pids"; }
  bool needed(const Resources& r) const override { return r.pids_limit.has_value(); }
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void stats(const Fs& fs, const std::string& dir, Stats& out) const override;
};

// io.weight (converted from --blkio-weight) and io.max ("MAJ:MIN rbps=N wbps=N riops=N wiops=N").
class Io final : public Subsystem {
 public:
  std::string_view name() const override { return "io"; }
  bool needed(const Resources& r) const override { return r.any_io(); }
  void check(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
  void stats(const Fs& fs, const std::string& dir, Stats& out) const override;
};

// The io.max line for one device, from all four limit lists ("" when it has none).
std::string io_max_line(const Resources& r, uint32_t major, uint32_t minor);

}  // namespace mydocker::v2
