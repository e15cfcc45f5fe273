#include "mydocker/container/info.hpp"

#include <sstream>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/cgroup/placement.hpp"
#include "mydocker/cgroup/v1/manager.hpp"

namespace mydocker {

nlohmann::json host_info(const Fs& fs, const std::string& state_root, const std::string& proc) {
  const HostCgroups host = detect_host_cgroups(fs, proc);
  nlohmann::json cg;
  cg["mode"] = std::string(to_string(host.mode));
  cg["why"] = host.why;
  cg["hierarchies"] = nlohmann::json::array();
  for (const auto& h : host.v1) {
    nlohmann::json j;
    j["controllers"] = h.controllers;
    j["mount_point"] = h.mount_point;
    j["own_cgroup"] = h.own_path;
    bool managed = false;
    for (const auto& s : v1::make_subsystems()) managed = managed || h.has(s->name());
    if (managed)
      j["containers_under"] = h.dir(resolve_cgroup_parent(h.own_path, ""));
    cg["hierarchies"].push_back(j);
  }
  if (host.unified)
    cg["unified"] = {{"mount_point", host.unified->mount_point},
                     {"own_cgroup", host.unified->own_path}};
  nlohmann::json missing = nlohmann::json::array();
  if (host.mode == CgroupMode::kV1 || host.mode == CgroupMode::kHybrid)
    for (const auto& s : v1::make_subsystems())
      if (!host.v1_hierarchy(s->name())) missing.push_back(std::string(s->name()));
  cg["missing_controllers"] = missing;

  nlohmann::json ns;
  for (const char* n : {"uts", "pid", "mnt", "ipc", "net", "user", "cgroup", "time"})
    ns[n] = fs.exists(proc + "/self/ns/" + n);
  return {{"cgroup", cg}, {"namespaces", ns}, {"state_root", state_root}};
}

std::string format_host_info(const nlohmann::json& info) {
  std::ostringstream out;
  const auto& cg = info["cgroup"];
  out << "Cgroup mode:   " << cg["mode"].get<std::string>() << " ("
      << cg["why"].get<std::string>() << ")\n";
  out << "Hierarchies:\n";
  for (const auto& h : cg["hierarchies"]) {
    std::string ctrls;
    for (const auto& c : h["controllers"]) ctrls += (ctrls.empty() ? "" : ",") + c.get<std::string>();
    out << "  " << ctrls << std::string(ctrls.size() < 14 ? 14 - ctrls.size() : 1, ' ')
        << h["mount_point"].get<std::string>() << "  (your cgroup: "
        << h["own_cgroup"].get<std::string>() << ")\n";
  }
  if (cg.contains("unified"))
    out << "  (cgroup2)     " << cg["unified"]["mount_point"].get<std::string>()
        << "  (your cgroup: " << cg["unified"]["own_cgroup"].get<std::string>() << ")\n";
  out << "Containers go to (<parent>/<id>, parent = mydocker below your own cgroup):\n";
  for (const auto& h : cg["hierarchies"])
    if (h.contains("containers_under"))
      out << "  " << h["containers_under"].get<std::string>() << "/<id>\n";
  if (!cg["missing_controllers"].empty()) {
    out << "Missing controllers (limits that need them fail):";
    for (const auto& m : cg["missing_controllers"]) out << " " << m.get<std::string>();
    out << "\n";
  }
  out << "Namespaces:   ";
  for (const auto& [name, ok] : info["namespaces"].items()) out << " " << name << (ok ? "" : "(missing)");
  out << "\nState root:    " << info["state_root"].get<std::string>() << "\n";
  return out.str();
}

}  // namespace mydocker
