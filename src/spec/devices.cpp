#include "mydocker/spec/devices.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker {
namespace {

[[noreturn]] void bad(const std::string& flag, const std::string& value, const std::string& why) {
  throw Error("invalid value '" + value + "' for " + flag + ": " + why);
}

bool valid_perms(const std::string& p) {
  std::string why;
  return parse_device_rule("c 1:1 " + p, &why).has_value();
}

std::optional<DeviceNode> node_of(const std::string& path, const struct stat& st) {
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) return std::nullopt;
  DeviceNode n;
  n.host_path = n.path = path;
  n.type = S_ISBLK(st.st_mode) ? 'b' : 'c';
  n.major = ::major(st.st_rdev);
  n.minor = ::minor(st.st_rdev);
  n.mode = st.st_mode & 07777;
  n.uid = st.st_uid;
  n.gid = st.st_gid;
  return n;
}

// Every device node below `dir` (symlinks not followed), in directory order.
void walk(const std::string& dir, const std::vector<std::string>& skip,
          std::vector<DeviceNode>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    bool skipped = false;
    for (const auto& s : skip) skipped = skipped || s == path;
    struct stat st {};
    if (skipped || ::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      walk(path, skip, out);
    else if (auto n = node_of(path, st))
      out.push_back(*n);
  }
  ::closedir(d);
}

}  // namespace

DeviceRequest parse_device_flag(const std::string& value) {
  const std::string flag = "--device";
  const auto parts = split(value, ":");
  if (parts.empty() || parts.size() > 3 || value.front() == ':' || value.back() == ':' ||
      value.find("::") != std::string::npos)
    bad(flag, value, "expected HOST[:CONTAINER][:PERMISSIONS], such as /dev/sdb:/dev/xvdb:rw");
  std::string host = parts[0], target = parts[0], perms = "rwm";
  if (parts.size() == 3) {
    target = parts[1];
    perms = parts[2];
  } else if (parts.size() == 2) {
    (valid_perms(parts[1]) ? perms : target) = parts[1];  // docker's reading of the middle part
  }
  if (host.front() != '/') bad(flag, value, "the host path must be absolute");
  if (target.front() != '/') bad(flag, value, "the container path must be absolute");
  if (("/" + target + "/").find("/../") != std::string::npos)
    bad(flag, value, "'..' is not allowed in the container path");
  if (!valid_perms(perms)) bad(flag, value, "the permissions are r, w and/or m");
  struct stat st {};
  if (::stat(host.c_str(), &st) != 0) bad(flag, value, host + ": " + errno_text(errno));
  DeviceRequest out;
  if (S_ISDIR(st.st_mode)) {  // every node below it, under the container's directory
    walk(host, {}, out.nodes);
    if (out.nodes.empty()) bad(flag, value, host + " holds no device node");
    for (auto& n : out.nodes) n.path = target + n.host_path.substr(host.size());
  } else if (auto n = node_of(host, st)) {
    n->path = target;
    out.nodes.push_back(*n);
  } else {
    bad(flag, value, host + " is not a device node");
  }
  for (const auto& n : out.nodes) out.rules.push_back({true, n.type, n.major, n.minor, perms});
  return out;
}

DeviceRule parse_device_cgroup_rule(const std::string& value) {
  std::string why;
  auto rule = parse_device_rule(value, &why);
  if (!rule) bad("--device-cgroup-rule", value, why);
  return *rule;
}

std::vector<DeviceNode> host_devices(const std::string& dev) {
  std::vector<DeviceNode> out;
  walk(dev, {dev + "/pts", dev + "/shm", dev + "/mqueue", dev + "/console", dev + "/ptmx"}, out);
  return out;
}

}  // namespace mydocker
