#include "mydocker/cgroup/placement.hpp"

#include <vector>

#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"

namespace mydocker {

void validate_cgroup_parent(std::string_view parent) {
  auto fail = [&](const std::string& why) {
    throw Error("invalid value '" + std::string(parent) + "' for --cgroup-parent: " + why);
  };
  if (parent.empty()) fail("empty");
  for (char c : parent)
    if (static_cast<unsigned char>(c) < 0x20) fail("control character in path");
  for (const auto& c : split(parent, "/"))
    if (c == "." || c == "..") fail("'.' and '..' are not allowed");
}

std::string resolve_cgroup_parent(std::string_view own_path, std::string_view cgroup_parent) {
  // The default (v1: mydocker-<id> beside the caller's processes) and "." (the OCI runtime's).
  if (cgroup_parent.empty() || cgroup_parent == ".") return std::string(own_path);
  validate_cgroup_parent(cgroup_parent);
  std::string out = cgroup_parent.front() == '/' ? std::string() : std::string(own_path);
  for (const auto& c : split(cgroup_parent, "/")) out = path_join(out.empty() ? "/" : out, c);
  if (out.empty()) out = "/";
  return out;
}

std::string default_cgroup_name(std::string_view id) {
  return std::string(kDefaultCgroupPrefix) + std::string(id);
}

std::string container_of_cgroup(std::string_view name, bool prefixed) {
  if (prefixed) {
    if (name.substr(0, kDefaultCgroupPrefix.size()) != kDefaultCgroupPrefix) return "";
    name.remove_prefix(kDefaultCgroupPrefix.size());
  }
  return is_container_id(name) ? std::string(name) : std::string();
}

}  // namespace mydocker
