#include "mydocker/cgroup/hierarchy.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <algorithm>
#include <charconv>

namespace mydocker {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      auto oct = s.substr(i + 1, 3);
      if (oct.size() == 3 &&
          std::all_of(oct.begin(), oct.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out += static_cast<char>((oct[0] - '0') * 64 + (oct[1] - '0') * 8 + (oct[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

int to_int(std::string_view s) {
  int v = -1;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return -1;
  return v;
}

bool path_has_prefix(std::string_view path, std::string_view prefix) {
  if (prefix == "/") return true;
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace

namespace {

// The mount point of a mountinfo line (its 5th field, unescaped) and its filesystem type (the
// field after " - "); false for a malformed line.
bool point_and_type(std::string_view line, std::string& point, std::string_view& fstype) {
  size_t at = 0;
  for (int field = 0; field < 4; ++field) {
    at = line.find(' ', at);
    if (at == std::string_view::npos) return false;
    ++at;
  }
  const size_t end = line.find(' ', at), dash = line.find(" - ", at);
  if (end == std::string_view::npos || dash == std::string_view::npos || dash < end) return false;
  const size_t type_end = line.find(' ', dash + 3);
  if (type_end == std::string_view::npos) return false;
  point = unescape(line.substr(at, end - at));
  fstype = line.substr(dash + 3, type_end - dash - 3);
  return true;
}

}  // namespace

std::vector<MountInfo> parse_mountinfo(std::string_view text, bool cgroups_only) {
  std::vector<MountInfo> out;
  for (auto line : split(text, '\n')) {
    if (line.empty()) continue;
    if (cgroups_only) {  // others by mount point and type only (what may hide a hierarchy)
      MountInfo other;
      std::string_view fstype;
      if (!point_and_type(line, other.mount_point, fstype)) continue;
      if (fstype != "cgroup" && fstype != "cgroup2") {
        other.fstype = std::string(fstype);
        out.push_back(std::move(other));
        continue;
      }
    }
    auto fields = split(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), std::string_view("-"));
    // id parent major:minor root mountpoint options [optional...] - fstype source superopts
    if (fields.size() < 10 || dash == fields.end() || dash - fields.begin() < 6 ||
        fields.end() - dash < 4)
      continue;
    MountInfo m;
    m.mount_id = to_int(fields[0]);
    m.parent_id = to_int(fields[1]);
    if (m.mount_id < 0 || m.parent_id < 0) continue;
    m.root = unescape(fields[3]);
    m.mount_point = unescape(fields[4]);
    m.fstype = std::string(*(dash + 1));
    m.source = unescape(*(dash + 2));
    for (auto opt : split(*(dash + 3), ',')) m.super_options.emplace_back(opt);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<ProcCgroup> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroup> out;
  for (auto line : split(text, '\n')) {
    if (line.empty()) continue;
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    ProcCgroup pc;
    pc.hierarchy_id = to_int(line.substr(0, c1));
    if (pc.hierarchy_id < 0) continue;
    auto ctrls = line.substr(c1 + 1, c2 - c1 - 1);
    if (!ctrls.empty())
      for (auto c : split(ctrls, ',')) pc.controllers.emplace_back(c);
    pc.path = std::string(line.substr(c2 + 1));
    if (pc.path.empty() || pc.path[0] != '/') continue;
    out.push_back(std::move(pc));
  }
  return out;
}

bool Hierarchy::has(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

std::string Hierarchy::dir(std::string_view cgroup_path) const {
  // A mount of a subtree (root "/a") shows cgroup "/a/b" at <mount_point>/b.
  std::string_view rel = cgroup_path;
  if (mount_root != "/" && path_has_prefix(cgroup_path, mount_root))
    rel = cgroup_path.substr(mount_root.size());
  return path_join(mount_point, rel);
}

std::string_view to_string(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::kV1:
      return "v1";
    case CgroupMode::kHybrid:
      return "hybrid";
    case CgroupMode::kV2:
      return "v2";
    case CgroupMode::kNone:
      break;
  }
  return "none";
}

const Hierarchy* HostCgroups::v1_hierarchy(std::string_view controller) const {
  for (const auto& h : v1)
    if (h.has(controller)) return &h;
  return nullptr;
}

HostCgroups host_cgroups_from(std::string_view mountinfo, std::string_view proc_cgroup) {
  HostCgroups host;
  auto mounts = parse_mountinfo(mountinfo, /*cgroups_only=*/true);
  // A mount stacked over another at the same point (a bind of a subtree over a hierarchy's
  // root, as a container runtime's private namespace may have) hides it: keep the last.
  for (size_t i = 0; i < mounts.size(); ++i)
    for (size_t j = i + 1; j < mounts.size(); ++j)
      if (mounts[j].mount_point == mounts[i].mount_point) {
        mounts[i].fstype = "(hidden)";
        break;
      }
  auto own = parse_proc_cgroup(proc_cgroup);
  bool has_v1_controller = false;
  for (const auto& pc : own) {
    if (pc.hierarchy_id == 0 && pc.controllers.empty()) {
      // The unified hierarchy: the first cgroup2 mount that shows the caller's cgroup.
      for (const auto& m : mounts) {
        if (m.fstype != "cgroup2" || !path_has_prefix(pc.path, m.root)) continue;
        Hierarchy h;
        h.mount_point = m.mount_point;
        h.mount_root = m.root;
        h.own_path = pc.path;
        host.unified = h;
        break;
      }
      continue;
    }
    // A v1 hierarchy: the cgroup mount whose super options name all of its controllers.
    for (const auto& m : mounts) {
      if (m.fstype != "cgroup" || !path_has_prefix(pc.path, m.root)) continue;
      bool all = std::all_of(pc.controllers.begin(), pc.controllers.end(), [&](const auto& c) {
        return std::find(m.super_options.begin(), m.super_options.end(), c) !=
               m.super_options.end();
      });
      if (!all) continue;
      Hierarchy h;
      h.id = pc.hierarchy_id;
      h.controllers = pc.controllers;
      h.mount_point = m.mount_point;
      h.mount_root = m.root;
      h.own_path = pc.path;
      for (const auto& c : h.controllers)
        if (c.rfind("name=", 0) != 0) has_v1_controller = true;
      host.v1.push_back(std::move(h));
      break;
    }
  }
  if (has_v1_controller && host.unified) {
    host.mode = CgroupMode::kHybrid;
    host.why = "cgroup v1 controllers are mounted and a cgroup2 hierarchy is mounted at " +
               host.unified->mount_point + " (controllers are used through v1)";
  } else if (has_v1_controller) {
    host.mode = CgroupMode::kV1;
    host.why = "only cgroup v1 hierarchies are mounted";
  } else if (host.unified) {
    host.mode = CgroupMode::kV2;
    host.why = "a cgroup2 filesystem is mounted at " + host.unified->mount_point +
               " and no v1 controller is mounted";
  } else {
    host.why = "no cgroup filesystem is mounted (see /proc/self/mountinfo)";
  }
  return host;
}

std::string statfs_kind(const std::string& path) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) != 0) return "";
  switch (static_cast<unsigned long>(st.f_type)) {
    case CGROUP2_SUPER_MAGIC:
      return "cgroup2";
    case CGROUP_SUPER_MAGIC:
      return "cgroup";
    case TMPFS_MAGIC:
      return "tmpfs";
  }
  return "other";
}

HostCgroups detect_host_cgroups(const Fs& fs, const std::string& proc) {
  HostCgroups host =
      host_cgroups_from(fs.read(proc + "/self/mountinfo"), fs.read(proc + "/self/cgroup"));
  // runc's test, as a second opinion: cgroup2 at /sys/fs/cgroup means the unified layout.
  if (auto kind = statfs_kind("/sys/fs/cgroup"); !kind.empty())
    host.why += "; statfs(/sys/fs/cgroup) says " + kind;
  return host;
}

}  // namespace mydocker
