#include "mydocker/cgroup/record.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace mydocker {

std::string CgroupRecord::driver_name() const {
  if (dirs.empty()) return "";
  return driver == CgroupMode::kV2 ? "v2" : "v1";
}

CgroupRecord CgroupRecord::claimed() const {
  CgroupRecord r = *this;
  auto unmade_dir = [&](const std::string& dir) {
    return std::find(unmade.begin(), unmade.end(), dir) != unmade.end();
  };
  std::erase_if(r.dirs, unmade_dir);
  std::erase_if(r.paths, [&](const auto& entry) { return unmade_dir(entry.second); });
  r.unmade.clear();
  return r;
}

CgroupRecord CgroupRecord::once_made() const {
  CgroupRecord r = *this;
  r.unmade.clear();
  return r;
}

void put_cgroup_record(nlohmann::json& state, const CgroupRecord& r) {
  state["cgroup_mode"] = r.driver_name();
  state["cgroups"] = r.paths;
  state["cgroup_dirs"] = r.dirs;
  state["cgroup_parents"] = r.parents;
  if (!r.unmade.empty()) state["cgroup_unmade"] = r.unmade;
}

CgroupRecord get_cgroup_record(const nlohmann::json& state) {
  CgroupRecord r;
  r.driver = state.value("cgroup_mode", "") == "v2" ? CgroupMode::kV2 : CgroupMode::kV1;
  r.paths = state.value("cgroups", std::map<std::string, std::string>{});
  r.dirs = state.value("cgroup_dirs", std::vector<std::string>{});
  r.parents = state.value("cgroup_parents", std::vector<std::string>{});
  r.unmade = state.value("cgroup_unmade", std::vector<std::string>{});
  return r;
}

CgroupView cgroup_view_of(const HostCgroups& host, const CgroupRecord& r) {
  CgroupView view;
  if (r.driver == CgroupMode::kV2) {
    if (!r.dirs.empty()) view.v2 = r.dirs.front();
    return view;
  }
  for (const auto& h : host.v1)
    for (const auto& [controller, dir] : r.paths) {
      if (dir.rfind(h.mount_point + "/", 0) != 0) continue;
      const std::string name = h.mount_point.substr(h.mount_point.rfind('/') + 1);
      bool seen = false;
      for (const auto& b : view.v1) seen = seen || b.first == name;
      if (!seen) view.v1.emplace_back(name, dir);
    }
  return view;
}

}  // namespace mydocker
