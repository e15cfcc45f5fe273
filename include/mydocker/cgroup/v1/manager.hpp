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
  Manager(const Fs& fs, const HostCgroups& host, std::string id, const std::string& cgroup_parent,
          bool all_controllers);
  Manager(const Manager&) = delete;  // joined_ points into host_
  Manager& operator=(const Manager&) = delete;

  void validate(const Resources& r) override;
  void create(const Resources& r) override;
  void set(const Resources& r) override;
  void apply(pid_t pid) override;
  std::vector<std::string> self_join_files() const override;
  int kill_all() override;
  std::vector<std::string> destroy() noexcept override;
  Stats stats() const override;
  std::optional<MemoryStats> oom_report() const override;
  HostLimits available() const override;
  std::map<std::string, std::string> paths() const override;
  std::vector<std::string> dirs() const override;
  std::vector<std::string> own_parents() const override;

 private:
  struct Joined {
    const Hierarchy* hierarchy;
    std::vector<const Subsystem*> subsystems;  // those mounted in this hierarchy
    std::string base_dir;    // exists already: the caller's cgroup, or the root for /abs parents
    std::string parent_dir;  // <base>/<parent components>
    std::string dir;         // <parent>/<id>
    bool selected = true;    // validate() keeps only what the container needs
    std::vector<std::string> created;  // parent directories this run made, outermost first
    std::vector<std::string> planned;  // parents missing at validate(), deepest first
    bool made = false;                 // dir was created
    bool attempted = false;            // create() got to it
  };
  void create_one(Joined& j, const Resources& r);
  const Joined* find(std::string_view controller) const;

  const Fs& fs_;
  HostCgroups host_;
  std::string id_;
  bool default_parent_;
  bool all_controllers_;
  std::vector<std::unique_ptr<Subsystem>> subsystems_;
  std::vector<Joined> joined_;  // every hierarchy a container could join; see `selected`
};

}  // namespace mydocker::v1
