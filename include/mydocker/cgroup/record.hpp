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
  // Those of `dirs` not made yet. A record saved before create() (oci create saves one first,
  // so that a killed create leaves a state delete can find) plans directories that are not
  // the container's: one may be another container's of the same name (two bundles with the
  // same cgroupsPath; mkdir refuses the second), which nothing must kill or remove.
  std::vector<std::string> unmade;

  // Claims no directory: none planned, or none made yet.
  bool empty() const { return claimed().dirs.empty(); }
  // Only what the container made: `dirs` and `paths` without the unmade directories. What
  // open_cgroup_manager() acts on.
  CgroupRecord claimed() const;
  // The record once create() has made every directory: what a record written once, before
  // create(), keeps where no other container's directory can have its names (mydocker run's
  // end in the container's own random id).
  CgroupRecord once_made() const;
  // "v1" or "v2" ("" when nothing is planned), for `inspect` and `--report`.
  std::string driver_name() const;
  bool operator==(const CgroupRecord&) const = default;
};

// Into and out of a container's state.json, as flat keys beside its other fields:
// cgroup_mode, cgroups, cgroup_dirs, cgroup_parents (the names of earlier versions), and
// cgroup_unmade when some are (records without it were saved once all were made).
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
