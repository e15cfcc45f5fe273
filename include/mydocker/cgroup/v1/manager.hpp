#pragma once
// cgroup v1: one directory per mounted hierarchy, driven by one Subsystem per controller.

#include <memory>
#include <vector>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cgroup/subsystem.hpp"

namespace mydocker::v1 {

// The controllers mydocker manages on v1, in the order their directories are set up.
std::vector<std::unique_ptr<Subsystem>> make_subsystems();

class Manager final : public CgroupManager {
 public:
  // A new container.
  Manager(const Fs& fs, const HostCgroups& host, std::string id, const std::string& cgroup_parent);
  // An existing container's cgroups, from its record.
  Manager(const Fs& fs, const CgroupRecord& record, std::string id);
  Manager(const Manager&) = delete;  // joined_ points into host_
  Manager& operator=(const Manager&) = delete;

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
  bool io_weight_supported() const override;
  std::map<std::string, std::string> paths() const override;
  CgroupRecord record() const override;

 private:
  struct Joined {
    std::vector<const Subsystem*> subsystems;  // those mounted in this hierarchy
    std::string base_dir;    // exists already: the caller's cgroup, or the root for /abs parents
    std::string parent_dir;  // <base>/<parent components>
    std::string dir;         // <parent>/<id>, or by default <own cgroup>/mydocker-<id>
    std::vector<std::string> created;  // parent directories this run made, outermost first
    std::vector<std::string> planned;  // parents missing at validate(), deepest first
    bool made = false;                 // dir was created (or exists: a re-opened container)
    bool has(std::string_view controller) const;
  };
  void create_one(Joined& j, const Resources& r);
  int kill_joined();
  bool frozen() const;
  void thaw();
  const Joined* find(std::string_view controller) const;
  std::vector<std::string> dirs() const;

  const Fs& fs_;
  std::string id_;
  std::vector<std::unique_ptr<Subsystem>> subsystems_;
  std::vector<Joined> joined_;            // every hierarchy mounted: the container joins all
  std::vector<std::string> old_parents_;  // a re-opened container's own parents (its record)
};

}  // namespace mydocker::v1
