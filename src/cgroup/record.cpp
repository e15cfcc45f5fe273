#include "mydocker/cgroup/record.hpp"

#include <nlohmann/json.hpp>

namespace mydocker {

std::string CgroupRecord::driver_name() const {
  if (dirs.empty()) return "";
  return driver == CgroupMode::kV2 ? "v2" : "v1";
}

void put_cgroup_record(nlohmann::json& state, const CgroupRecord& r) {
  state["cgroup_mode"] = r.driver_name();
  state["cgroups"] = r.paths;
  state["cgroup_dirs"] = r.dirs;
  state["cgroup_parents"] = r.parents;
}

CgroupRecord get_cgroup_record(const nlohmann::json& state) {
  CgroupRecord r;
  r.driver = state.value("cgroup_mode", "") == "v2" ? CgroupMode::kV2 : CgroupMode::kV1;
  r.paths = state.value("cgroups", std::map<std::string, std::string>{});
  r.dirs = state.value("cgroup_dirs", std::vector<std::string>{});
  r.parents = state.value("cgroup_parents", std::vector<std::string>{});
  return r;
}

}  // namespace mydocker
