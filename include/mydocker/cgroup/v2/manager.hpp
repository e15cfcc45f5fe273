#pragma once
// cgroup v2: one directory for every controller, controllers enabled top-down in each
// ancestor's cgroup.subtree_control, and the "no internal processes" rule respected.

#include <memory>
#include <vector>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cgroup/subsystem.hpp"

namespace mydocker::v2 {

std::vector<std::unique_ptr<Subsystem>> make_controllers();

// Where containers go by default, and why: `mydocker` below the caller's cgroup when that is
// the root, else `/mydocker` at the root, because the caller's cgroup holds processes (mydocker
// itself, its shell) and v2 gives no controllers to the children of such a cgroup.
struct Placement {
  std::string parent;  // path from the hierarchy root: "/mydocker"
  std::string why;
};
Placement default_placement(const Hierarchy& unified);

class Manager final : public CgroupManager {
 public:
  // A new container.
  Manager(const Fs& fs, const HostCgroups& host, std::string id, const std::string& cgroup_parent);
  // An existing container's cgroup, from its record.
  Manager(const Fs& fs, const CgroupRecord& record, std::string id);

  void validate(const Resources& r) override;
  void create(const Resources& r) override;
  void set(const Resources& r) override;
  void update(const Resources& r) override;
  CgroupJoin join() const override;
  void apply(pid_t pid) override;
  void freeze(bool frozen) override;
  std::vector<pid_t> pids() const override;
  int kill_all() override;
  std::vector<std::string> destroy() noexcept override;
  Stats stats() const override;
  std::optional<MemoryStats> oom_report() const override;
  UniqueFd oom_watch() override;
  uint64_t oom_events(int watch) override;
  HostLimits available() const override;
  std::map<std::string, std::string> paths() const override;
  CgroupRecord record() const override;

 private:
  // The controllers the host offers at the root (cgroup.controllers).
  std::vector<std::string> offered() const;
  bool enabled(std::string_view controller) const;

  const Fs& fs_;
  std::string mount_point_;
  std::string id_;
  bool default_parent_ = false;
  std::string parent_dir_;
  std::string dir_;
  std::vector<std::unique_ptr<Subsystem>> controllers_;
  std::vector<std::string> enable_;       // controllers the container's parent must give it
  std::vector<std::string> created_;      // parent directories this run made, outermost first
  std::vector<std::string> planned_;      // parents missing at validate(), deepest first
  std::vector<std::string> old_parents_;  // a re-opened container's own parents (its record)
  bool made_ = false;
  uint64_t ooms_seen_ = 0;  // memory.events' "oom", as oom_events() last read it
};

}  // namespace mydocker::v2
