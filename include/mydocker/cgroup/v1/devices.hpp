#pragma once
// cgroup v1 devices: devices.deny and devices.allow take one rule per write ("a", "c 1:3 rwm"),
// in order; devices.list shows what is allowed. Every container joins it: a device node its
// image carries must not reach the host's device.

#include "mydocker/cgroup/subsystem.hpp"

namespace mydocker::v1 {

class Devices final : public Subsystem {
 public:
  std::string_view name() const override { return "devices"; }
  bool needed(const Resources& r) const override { return !r.devices.empty(); }
  void set(const Fs& fs, const std::string& dir, const Resources& r) const override;
};

}  // namespace mydocker::v1
