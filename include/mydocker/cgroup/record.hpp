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

// What a container sees at /sys/fs/cgroup (docker's and runc's "cgroup" mount): on v1 the
// name each hierarchy it is in is mounted under on the host (the mount point's last part:
// "memory", "cpu,cpuacct") with the container's directory of it, in the host's order; on v2
// its one directory. Only the container's own cgroups: never a parent's or a sibling's.
struct CgroupView {
  std::vector<std::pair<std::string, std::string>> v1;  // name, directory
  std::string v2;
};
CgroupView cgroup_view_of(const HostCgroups& host, const CgroupRecord& r);

}  // namespace mydocker
