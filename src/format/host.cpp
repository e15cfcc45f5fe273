#include "mydocker/format/host.hpp"

#include <sstream>

namespace mydocker {

std::string format_host_info(const nlohmann::json& info) {
  std::ostringstream out;
  const auto& cg = info["cgroup"];
  out << "Cgroup mode:   " << cg["mode"].get<std::string>() << " (" << cg["why"].get<std::string>()
      << ")\n";
  out << "Hierarchies:\n";
  for (const auto& h : cg["hierarchies"]) {
    std::string ctrls;
    for (const auto& c : h["controllers"])
      ctrls += (ctrls.empty() ? "" : ",") + c.get<std::string>();
    out << "  " << ctrls << std::string(ctrls.size() < 14 ? 14 - ctrls.size() : 1, ' ')
        << h["mount_point"].get<std::string>()
        << "  (your cgroup: " << h["own_cgroup"].get<std::string>() << ")\n";
  }
  if (cg.contains("unified") && !cg.contains("controllers"))  // hybrid: cgroup2 without them
    out << "  (cgroup2)     " << cg["unified"]["mount_point"].get<std::string>()
        << "  (your cgroup: " << cg["unified"]["own_cgroup"].get<std::string>()
        << "; not used for controllers)\n";
  if (cg.contains("controllers"))
    out << "Controllers:   " << cg["controllers"].get<std::string>() << "\n";
  out << "Containers go to:\n";
  for (const auto& h : cg["hierarchies"])
    if (h.contains("containers_under"))
      out << "  " << h["containers_under"].get<std::string>() << "/"
          << h.value("container_name", std::string("<id>")) << "\n";
  if (cg.contains("placement_why")) out << "  (" << cg["placement_why"].get<std::string>() << ")\n";
  out << "Namespaces:   ";
  for (const auto& [name, ok] : info["namespaces"].items())
    out << " " << name << (ok ? "" : "(missing)");
  if (info.contains("networking")) {
    const auto& n = info["networking"];
    out << "\nNetworking:    nft " << (n["nft"] == "" ? "missing" : n["nft"].get<std::string>())
        << ", ip_forward " << (n["ip_forward"] == "" ? "?" : n["ip_forward"].get<std::string>())
        << " (set to 1 by the first bridged run), br_netfilter "
        << (n["br_netfilter"].get<bool>() ? "loaded (mydocker's rules allow its traffic)"
                                          : "not loaded (not needed)");
  }
  out << "\nState root:    " << info["state_root"].get<std::string>() << "\n";
  if (info["problems"].empty()) {
    out << "Problems:      none found\n";
  } else {
    out << "Problems:\n";
    for (const auto& p : info["problems"])
      out << "  - " << p["problem"].get<std::string>()
          << "\n    fix: " << p["fix"].get<std::string>() << "\n";
  }
  return out.str();
}

}  // namespace mydocker
