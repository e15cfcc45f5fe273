#include "mydocker/commands/network.hpp"

#include <unistd.h>

#include <algorithm>

#include "mydocker/net/endpoint.hpp"
#include "mydocker/net/firewall.hpp"
#include "mydocker/net/netlink.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

void require_root(const char* what) {
  if (::geteuid() != 0) throw Error(std::string("mydocker network ") + what + " needs root");
}

// The bridge device and the firewall's elements of a network that is going away.
void take_down(const net::Network& n) {
  net::Netlink nl;
  if (!nl.exists(n.bridge)) return;
  nl.delete_link(n.bridge);
  net::Firewall().remove_network(n.subnet.text(), n.bridge, n.internal);
}

}  // namespace

net::Network network_create(const std::string& data_root, const std::string& name,
                            const std::string& subnet, const std::string& gateway, bool internal) {
  require_root("create");
  std::optional<net::Subnet> s;
  if (!subnet.empty()) s = net::Subnet::parse(subnet, "--subnet");
  std::optional<uint32_t> gw;
  if (!gateway.empty()) gw = net::parse_ipv4(gateway, "--gateway");
  net::NetworkStore store(data_root);
  auto held = store.lock();
  std::vector<net::Subnet> taken = net::host_subnets();
  // The built-in bridge's subnet is taken too, even before its first use.
  taken.push_back(store.ensure_default(taken).subnet);
  return store.create(name, s, gw, internal, taken);
}

std::vector<net::Network> network_list(const std::string& data_root) {
  net::NetworkStore store(data_root);
  if (!store.get(net::kDefaultNetwork) && ::geteuid() == 0) {
    auto held = store.lock();
    store.ensure_default(net::host_subnets());
  }
  std::vector<net::Network> all = store.list();
  for (auto& n : net::predefined_networks()) all.push_back(std::move(n));
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return all;
}

nlohmann::json predefined_inspect(const Store& store, const net::Network& n) {
  nlohmann::json j = net::inspect_json(n, {});
  for (const auto& id : store.ids()) try {
      const ContainerState st = ContainerDir(store.root(), id).status();
      if (!st.live() || st.network != n.name) continue;
      j["Containers"][id] = {{"Name", st.name},
                             {"EndpointID", ""},
                             {"MacAddress", ""},
                             {"IPv4Address", ""},
                             {"IPv6Address", ""}};
    } catch (const Error&) {  // removed meanwhile
    }
  return j;
}

nlohmann::json network_inspect(const std::string& data_root, const Store& containers,
                               const std::string& name) {
  (void)network_list(data_root);  // the built-in one exists once asked about
  net::NetworkStore store(data_root);
  if (auto n = store.get(name)) return net::inspect_json(*n, store.leases(n->name));
  if (auto n = net::find_predefined(name)) return predefined_inspect(containers, *n);
  throw Error("network " + name + " not found");
}

net::Network network_remove(const std::string& data_root, const std::string& name) {
  for (const auto& n : net::predefined_networks())  // docker's words, before anything else
    if (n.name == name) throw Error(name + " is a pre-defined network and cannot be removed");
  require_root("rm");
  net::NetworkStore store(data_root);
  auto held = store.lock();
  net::Network n = store.remove(name);
  take_down(n);
  return n;
}

std::vector<net::Network> network_prune(const std::string& data_root) {
  require_root("prune");
  net::NetworkStore store(data_root);
  auto held = store.lock();
  const auto before = store.list();
  const auto pruned = store.prune();
  std::vector<net::Network> out;
  for (const auto& n : before)
    if (std::find(pruned.begin(), pruned.end(), n.name) != pruned.end()) {
      take_down(n);
      out.push_back(n);
    }
  return out;
}

std::vector<std::string> container_ports(const Store& store, const std::string& ref,
                                         const std::string& which) {
  // docker's PRIVATE_PORT[/PROTO] (tcp by default): only its host addresses.
  std::string port = which, proto = "tcp";
  if (const size_t slash = which.find('/'); slash != std::string::npos) {
    port = which.substr(0, slash);
    proto = which.substr(slash + 1);
  }
  if (!which.empty() &&
      (port.empty() || port.size() > 5 ||
       port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) < 1 ||
       std::stoul(port) > 65535 || (proto != "tcp" && proto != "udp")))
    throw Error("invalid value '" + which + "' for port: expected PORT[/tcp|/udp]");
  const ContainerDir dir = store.open(ref);
  const auto config = dir.config();
  std::vector<std::string> out;
  // docker: a container that is not running publishes nothing (its ports come back with it).
  const bool live = dir.status().live() && dir.supervisor_alive();
  auto e = live ? net::endpoint_from_json(config.value("network", nlohmann::json())) : std::nullopt;
  for (size_t i = 0; e && i < e->ports.size(); ++i) {
    const auto& p = e->ports[i];
    const std::string host =
        (p.host_ip.empty() ? "0.0.0.0" : p.host_ip) + ":" + std::to_string(p.host_port);
    if (which.empty())
      out.push_back(std::to_string(p.container_port) + "/" + p.proto + " -> " + host);
    else if (std::to_string(p.container_port) == port && p.proto == proto)
      out.push_back(host);
  }
  if (!which.empty() && out.empty())  // docker's words and status
    throw Error("No public port '" + port + "/" + proto + "' published for " + ref, 1);
  return out;
}

}  // namespace mydocker
