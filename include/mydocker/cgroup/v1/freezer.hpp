#pragma once
// cgroup v1 freezer: freezer.state FROZEN / THAWED (pause, unpause). No limits: a container
// joins it when it may be paused later (detached containers).

#include "mydocker/cgroup/subsystem.hpp"

namespace mydocker::v1 {

class Freezer final : public Subsystem {
 public:
  std::string_view name() const override { return "freezer"; }
  bool needed(const Resources&) const override { return false; }
  void set(const Fs&, const std::string&, const Resources&) const override {}
};

}  // namespace mydocker::v1
