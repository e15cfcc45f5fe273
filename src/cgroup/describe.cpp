#include "mydocker/cgroup/describe.hpp"

#include "mydocker/cgroup/placement.hpp"
#include "mydocker/cgroup/subsystem.hpp"
#include "mydocker/cgroup/v1/manager.hpp"
#include "mydocker/cgroup/v2/manager.hpp"

namespace mydocker {
namespace {

using nlohmann::json;

bool empty_file(const Fs& fs, const std::string& path) {
  auto v = fs.read_if_exists(path);
  return v && trim(*v).empty();
}

void v1_info(const Fs& fs, const HostCgroups& host, json& cg, json& problems) {
  std::vector<std::string> managed;
  for (const auto& s : v1::make_subsystems()) managed.emplace_back(s->name());
  for (const auto& h : host.v1) {
    json j = {
        {"controllers", h.controllers}, {"mount_point", h.mount_point}, {"own_cgroup", h.own_path}};
    bool ours = false;
    for (const auto& m : managed) ours = ours || h.has(m);
    if (ours) {
      j["containers_under"] = h.own_dir();
      j["container_name"] = default_cgroup_name("<id>");
    }
    cg["hierarchies"].push_back(j);
  }
  for (const auto& m : managed)
    if (!host.v1_hierarchy(m))
      problems.push_back(problem("the cgroup v1 '" + m + "' hierarchy is not mounted: " +
                                     (m == "freezer"   ? std::string("pause fails")
                                      : m == "devices" ? "every run fails (each container gets "
                                                         "device rules)"
                                                       : "limits that need it fail"),
                                 "mkdir -p /sys/fs/cgroup/" + m + " && mount -t cgroup -o " + m +
                                     " cgroup /sys/fs/cgroup/" + m));
  if (const Hierarchy* mem = host.v1_hierarchy("memory");
      mem && !fs.exists(path_join(mem->own_dir(), "memory.memsw.limit_in_bytes")))
    problems.push_back(problem(
        "no swap accounting (memory.memsw.limit_in_bytes is missing): --memory-swap fails, and "
        "a container under -mem can swap beyond its limit",
        "boot the kernel with swapaccount=1"));
  if (const Hierarchy* cs = host.v1_hierarchy("cpuset")) {
    // A cpuset with no CPUs or memory nodes takes no process: containers below it cannot start.
    for (std::string dir = cs->own_dir();; dir = parent_dir(dir)) {
      for (const char* f : {"cpuset.cpus", "cpuset.mems"})
        if (empty_file(fs, path_join(dir, f)))
          problems.push_back(
              problem("empty " + std::string(f) + " in " + dir +
                          ": a container below it cannot start (ENOSPC)",
                      "echo <list> > " + path_join(dir, f) +
                          " (run mydocker from a cgroup whose cpuset has CPUs and memory nodes)"));
      if (dir.size() <= cs->mount_point.size()) break;
    }
  }
}

void v2_info(const Fs& fs, const HostCgroups& host, json& cg, json& problems) {
  const Hierarchy& u = *host.unified;
  const auto placement = v2::default_placement(u);
  cg["hierarchies"].push_back({{"controllers", json::array({"(all)"})},
                               {"mount_point", u.mount_point},
                               {"own_cgroup", u.own_path},
                               {"containers_under", u.dir(placement.parent)},
                               {"container_name", "<id>"}});
  cg["placement_why"] = placement.why;
  auto offered = fs.read_if_exists(path_join(u.mount_point, "cgroup.controllers")).value_or("");
  cg["controllers"] = std::string(trim(offered));
  const std::string words = " " + std::string(trim(offered)) + " ";
  for (const auto& c : v2::make_controllers())
    if (words.find(" " + std::string(c->name()) + " ") == std::string::npos)
      problems.push_back(problem("the cgroup v2 '" + std::string(c->name()) +
                                     "' controller is not delegated to " + u.mount_point +
                                     ": limits that need it fail",
                                 "enable it in the kernel, or with systemd set Delegate=yes for "
                                 "the unit that runs mydocker"));
  if (!fs.exists(path_join(u.mount_point, "memory.swap.max")) &&
      offered.find("memory") != std::string::npos) {
    // The root has no memory.swap.max: probe a child that exists, the caller's cgroup.
    if (u.own_path != "/" && !fs.exists(path_join(u.own_dir(), "memory.swap.max")))
      problems.push_back(
          problem("no swap accounting (memory.swap.max is missing): "
                  "--memory-swap fails",
                  "use a kernel with CONFIG_MEMCG_SWAP (and swapaccount=1)"));
  }
}

}  // namespace

json problem(const std::string& what, const std::string& fix) {
  return {{"problem", what}, {"fix", fix}};
}

json describe_cgroups(const Fs& fs, const HostCgroups& host, json& problems) {
  json cg = {{"mode", std::string(to_string(host.mode))},
             {"why", host.why},
             {"hierarchies", json::array()}};
  if (host.unified)
    cg["unified"] = {{"mount_point", host.unified->mount_point},
                     {"own_cgroup", host.unified->own_path}};
  switch (host.mode) {
    case CgroupMode::kV1:
    case CgroupMode::kHybrid:
      v1_info(fs, host, cg, problems);
      break;
    case CgroupMode::kV2:
      v2_info(fs, host, cg, problems);
      break;
    case CgroupMode::kNone:
      problems.push_back(problem("no cgroup filesystem is mounted: mydocker run cannot start",
                                 "mount -t cgroup2 none /sys/fs/cgroup"));
  }
  return cg;
}

}  // namespace mydocker
