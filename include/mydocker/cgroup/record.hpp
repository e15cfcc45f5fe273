#pragma once
// What a container's state keeps of its cgroups, so that later commands (stats, update, pause,
// exec, stop, rm, prune) re-open them through the same interface that made them
// (open_cgroup_manager). Only src/cgroup/ reads its fields; the rest stores it, shows it, and
// hands it back.

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "mydocker/cgroup/hierarchy.hpp"

namespace mydocker {

struct CgroupRecord {
  CgroupMode driver = CgroupMode::kNone;     // kV1 (also on hybrid hosts) or kV2
  std::map<std::string, std::string> paths;  // controller -> directory
  std::vector<std::string> dirs;             // the container's directories
  std::vector<std::string> parents;          // ours, removed when empty, deepest first

  bool empty() const { return dirs.empty(); }
  // "v1" or "v2" ("" when empty), for `inspect` and `--report`.
  std::string driver_name() const;
  bool operator==(const CgroupRecord&) const = default;
};

// Into and out of a container's state.json, as flat keys beside its other fields:
// cgroup_mode, cgroups, cgroup_dirs, cgroup_parents (the names of earlier versions).
void put_cgroup_record(nlohmann::json& state, const CgroupRecord& r);
CgroupRecord get_cgroup_record(const nlohmann::json& state);

}  // namespace mydocker
