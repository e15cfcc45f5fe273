#pragma once
// The host's cgroup layout, read from /proc/self/mountinfo and /proc/self/cgroup; never
// hard-coded: `cpu` and `cpuacct` may be separate mounts (this machine) or co-mounted.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mydocker/util/fs.hpp"

namespace mydocker {

struct MountInfo {
  int mount_id = 0;
  int parent_id = 0;
  std::string root;         // the path inside the filesystem that is mounted ("/" normally)
  std::string mount_point;  // where it is mounted
  std::string fstype;       // "cgroup", "cgroup2", ...
  std::string source;
  std::vector<std::string> super_options;  // for cgroup v1: "rw", "cpu", "cpuacct", ...
};
// One line per mount; octal escapes (\040) decoded. Malformed lines are skipped.
// `cgroups_only`: every field of cgroup and cgroup2 mounts, only the mount point and type of the
// others (what host_cgroups_from needs, at a fraction of the cost).
std::vector<MountInfo> parse_mountinfo(std::string_view text, bool cgroups_only = false);

struct ProcCgroup {
  int hierarchy_id = 0;
  std::vector<std::string> controllers;  // {"cpu","cpuacct"}, {"name=systemd"}, {} for v2
  std::string path;                      // "/user.slice/session-1.scope"
};
// "4:memory:/a/b" per line. Malformed lines are skipped.
std::vector<ProcCgroup> parse_proc_cgroup(std::string_view text);

// One mounted hierarchy and where the caller sits in it.
struct Hierarchy {
  int id = 0;                            // from /proc/self/cgroup; 0 is the unified (v2) one
  std::vector<std::string> controllers;  // v1: what is mounted together
  std::string mount_point;               // /sys/fs/cgroup/memory
  std::string mount_root = "/";          // mountinfo root: non-"/" inside some containers
  std::string own_path = "/";            // the caller's cgroup, from /proc/self/cgroup

  bool has(std::string_view controller) const;
  // The directory of a cgroup given by its path from the hierarchy's root.
  std::string dir(std::string_view cgroup_path) const;
  std::string own_dir() const { return dir(own_path); }
};

enum class CgroupMode { kNone, kV1, kHybrid, kV2 };
std::string_view to_string(CgroupMode mode);

struct HostCgroups {
  CgroupMode mode = CgroupMode::kNone;
  std::vector<Hierarchy> v1;         // controller hierarchies (named ones like name=systemd too)
  std::optional<Hierarchy> unified;  // the cgroup2 mount, if any
  std::string why;                   // how the mode was decided, for `mydocker info`

  // The v1 hierarchy a controller is mounted in, or nullptr.
  const Hierarchy* v1_hierarchy(std::string_view controller) const;
};

HostCgroups host_cgroups_from(std::string_view mountinfo, std::string_view proc_cgroup);
// The filesystem at `path` by its statfs magic: "cgroup2", "cgroup", "tmpfs", "other", or ""
// when it cannot be read.
std::string statfs_kind(const std::string& path);
// Reads <proc>/self/mountinfo and <proc>/self/cgroup, and statfs(/sys/fs/cgroup).
HostCgroups detect_host_cgroups(const Fs& fs, const std::string& proc = "/proc");

}  // namespace mydocker
