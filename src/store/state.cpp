#include "mydocker/store/state.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <tuple>
#include <vector>

namespace mydocker {

void to_json(nlohmann::json& j, const ContainerState& s) {
  j = {{"status", s.status},
       {"pid", s.pid},
       {"supervisor_pid", s.supervisor_pid},
       {"exit_code", s.exit_code},
       {"oom_killed", s.oom_killed},
       {"started_at", s.started_at},
       {"finished_at", s.finished_at},
       {"restart_count", s.restart_count},
       {"restart_reason", s.restart_reason},
       {"stop_requested", s.stop_requested},
       {"error", s.error},
       {"name", s.name},
       {"created", s.created},
       {"command", s.command},
       {"limits", s.limits},
       {"ports", s.ports},
       {"image", s.image},
       {"image_id", s.image_id},
       {"labels", s.labels},
       {"network", s.network},
       {"health", s.health}};
  if (!s.extra_networks.empty()) j["extra_networks"] = s.extra_networks;
}

void from_json(const nlohmann::json& j, ContainerState& s) {
  ContainerState d;
  s.status = j.value("status", d.status);
  s.pid = j.value("pid", 0);
  s.supervisor_pid = j.value("supervisor_pid", 0);
  s.exit_code = j.value("exit_code", 0);
  s.oom_killed = j.value("oom_killed", false);
  s.started_at = j.value("started_at", "");
  s.finished_at = j.value("finished_at", "");
  s.restart_count = j.value("restart_count", 0);
  s.restart_reason = j.value("restart_reason", "");
  s.stop_requested = j.value("stop_requested", false);
  s.error = j.value("error", "");
  s.name = j.value("name", "");
  s.created = j.value("created", "");
  s.command = j.value("command", std::vector<std::string>{});
  s.limits = j.value("limits", "");
  s.ports = j.value("ports", "");
  s.image = j.value("image", "");
  s.image_id = j.value("image_id", "");
  s.labels = j.value("labels", std::map<std::string, std::string>{});
  s.network = j.value("network", "");
  s.extra_networks = j.value("extra_networks", std::vector<std::string>{});
  s.health = j.value("health", nlohmann::json());
  // Records of version 0.2 kept the cgroups in state.json.
  s.cgroup = j.contains("cgroup_dirs") ? get_cgroup_record(j) : CgroupRecord{};
}

std::string ports_summary(const nlohmann::json& ports) {
  struct Port {
    std::string ip, proto;
    int host = 0, ctr = 0;
  };
  std::vector<Port> all;
  for (const auto& p : ports) {
    const std::string host = p.value("HostPort", "");
    int h = 0;
    std::from_chars(host.data(), host.data() + host.size(), h);
    all.push_back(
        {p.value("HostIp", "0.0.0.0"), p.value("Protocol", "tcp"), h, p.value("ContainerPort", 0)});
  }
  std::stable_sort(all.begin(), all.end(), [](const Port& a, const Port& b) {
    return std::tie(a.ip, a.proto, a.ctr) < std::tie(b.ip, b.proto, b.ctr);
  });
  auto range = [](int first, int last) {
    return std::to_string(first) + (last > first ? "-" + std::to_string(last) : "");
  };
  std::string out;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;  // the run: both ports one more than the last, same address and protocol
    while (j + 1 < all.size() && all[j + 1].ip == all[i].ip && all[j + 1].proto == all[i].proto &&
           all[j + 1].ctr == all[j].ctr + 1 && all[j + 1].host == all[j].host + 1)
      ++j;
    out += (out.empty() ? "" : ", ") + all[i].ip + ":" + range(all[i].host, all[j].host) + "->" +
           range(all[i].ctr, all[j].ctr) + "/" + all[i].proto;
    i = j + 1;
  }
  return out;
}

void fill_summary(ContainerState& s, const nlohmann::json& config) {
  s.name = config.value("name", "");
  s.created = config.value("created", "");
  s.command = {config.value("path", "")};
  for (const auto& a : config.value("args", std::vector<std::string>{})) s.command.push_back(a);
  s.limits = config.value("limits", "");
  s.image = config.value("image_name", "");
  s.image_id = config.value("image", "");
  s.labels = config.value("labels", std::map<std::string, std::string>{});
  // By reference: value() would copy the whole HostConfig object for one key.
  const auto hc = config.find("host_config");
  s.network = hc != config.end() && hc->is_object() ? hc->value("NetworkMode", "") : "";
  s.ports.clear();
  if (config.contains("network"))
    s.ports = ports_summary(config["network"].value("ports", nlohmann::json::array()));
}

}  // namespace mydocker
