#include "mydocker/commands/info.hpp"

#include "mydocker/cgroup/describe.hpp"
#include "mydocker/net/firewall.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker {

using nlohmann::json;

nlohmann::json host_info(const Fs& fs, const std::string& state_root, const std::string& proc) {
  const HostCgroups host = detect_host_cgroups(fs, proc);
  json problems = json::array();
  json cg = describe_cgroups(fs, host, problems);
  json ns;
  for (const char* n : {"uts", "pid", "mnt", "ipc", "net", "user", "cgroup", "time"})
    ns[n] = fs.exists(proc + "/self/ns/" + n);
  // What --net bridge and -p need: nft (the firewall), forwarding (set by the first bridged
  // run), br_netfilter (only noted: mydocker's rules allow what it sends to the forward hook).
  json net = {
      {"nft", ""}, {"ip_forward", ""}, {"br_netfilter", fs.exists(proc + "/sys/net/bridge")}};
  net["nft"] = net::nft_path();
  if (auto fwd = fs.read_if_exists(proc + "/sys/net/ipv4/ip_forward"))
    net["ip_forward"] = std::string(trim(*fwd));
  if (net["nft"] == "")
    problems.push_back({{"problem", "nft is missing: --net bridge, --net NAME and -p need it"},
                        {"fix", "apt-get install nftables"}});
  return {{"cgroup", cg},
          {"namespaces", ns},
          {"networking", net},
          {"problems", problems},
          {"state_root", state_root}};
}

}  // namespace mydocker
