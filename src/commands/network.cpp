#include "mydocker/commands/network.hpp"

#include <unistd.h>

#include <algorithm>

#include "mydocker/net/endpoint.hpp"
#include "mydocker/net/firewall.hpp"
#include "mydocker/net/hosts.hpp"
#include "mydocker/net/netlink.hpp"
#include "mydocker/runtime/supervisor.hpp"
#include "mydocker/store/events.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/id.hpp"

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

// A container's networks as config.json keeps them: the one it was run on, and those added.
struct Attached {
  nlohmann::json config;
  net::Endpoint primary;
  std::vector<net::Endpoint> extras;
  std::string data_root;
};

Attached attached(const ContainerDir& dir) {
  Attached a{dir.config(), {}, {}, ""};
  auto primary = net::endpoint_from_json(a.config.value("network", nlohmann::json()));
  if (!primary)
    throw Error("container " + short_id(dir.id()) + " has no network of its own (--net " +
                dir.status().network + "): only a container run on a bridge network (--net " +
                "bridge or NAME, -p) takes more");
  a.primary = *primary;
  a.extras = net::extra_endpoints(dir.extra_networks());
  a.data_root = a.config["network"].value("data_root", a.config.value("data_root", ""));
  return a;
}

// The extras into config.json and state.json (ps's Networks, --filter network=).
void save_extras(const ContainerDir& dir, Attached& a) {
  nlohmann::json list = nlohmann::json::array();
  std::vector<std::string> names;
  for (const auto& e : a.extras) {
    list.push_back(net::endpoint_json(e));
    names.push_back(e.network.name);
  }
  dir.set_extra_networks(list);
  dir.update([&](ContainerState& s) { s.extra_networks = names; });
}

void release_lease(const std::string& data_root, const std::string& network,
                   const std::string& id) {
  net::NetworkStore store(data_root);
  auto held = store.lock();
  store.release(network, id);
}

// A network's id from its name or id prefix (NetworkStore::get's rule); Error when none.
std::string network_id(const std::string& data_root, const std::string& network) {
  const auto n = net::NetworkStore(data_root).get(network);
  if (!n) throw Error("network " + network + " not found (`mydocker network ls` lists them)");
  return n->id;
}

// The lowest eth<N> no added network has (1 to 999: veth names stay within 15 characters).
int free_index(const std::vector<net::Endpoint>& extras) {
  for (int index = 1; index <= 999; ++index)
    if (std::none_of(extras.begin(), extras.end(), [&](const net::Endpoint& e) {
          return e.ifname == "eth" + std::to_string(index);
        }))
      return index;
  throw Error("a container takes at most 999 added networks");
}

bool live_run(const ContainerDir& dir, pid_t& pid) {
  const ContainerState st = dir.status();
  pid = st.pid;
  return dir.running(st) && st.status != "restarting" && st.pid > 0;
}

}  // namespace

void network_connect(const Store& store, const std::string& network, const std::string& ref,
                     const std::string& ip, const std::vector<std::string>& aliases) {
  for (const auto& alias : aliases) net::check_alias(alias, "--alias");
  require_root("connect");
  const ContainerDir dir = store.open(ref);
  const UniqueFd held = dir.hold_networks(true);  // no start, connect or disconnect meanwhile
  Attached a = attached(dir);
  const std::string id = network_id(a.data_root, network);
  auto on = [&](const net::Endpoint& e) { return e.network.id == id; };
  if (on(a.primary) || std::any_of(a.extras.begin(), a.extras.end(), on))
    throw Error("container " + short_id(dir.id()) + " is already connected to network " + network);
  const int index = free_index(a.extras);
  const std::string name = dir.status().name;
  net::Endpoint e =
      net::plan_extra_endpoint(a.data_root, network, ip, dir.id(), name, index, aliases);
  try {
    pid_t pid = 0;
    if (live_run(dir, pid)) net::connect(a.data_root, e, pid);
    a.extras.push_back(e);
    save_extras(dir, a);
  } catch (...) {
    release_lease(a.data_root, e.network.name, dir.id());
    try {
      net::remove_veth(e);
    } catch (const std::exception&) {
    }
    throw;
  }
  // Connected: what follows only helps names resolve, and fails nothing.
  if (!e.network.builtin()) try {
      net::announce_peer(a.data_root, e.network.name, dir.id(), net::hosts_line(e.lease),
                         hosts_files_of(store));  // both ways: its peers' names into its file
    } catch (const std::exception&) {
    }
  record_event(store.root(),
               network_event("connect", e.network.id, e.network.name, e.network.driver, dir.id()));
}

void network_disconnect(const Store& store, const std::string& network, const std::string& ref) {
  require_root("disconnect");
  const ContainerDir dir = store.open(ref);
  const UniqueFd held = dir.hold_networks(true);
  Attached a = attached(dir);
  const std::string id = network_id(a.data_root, network);
  auto on = [&](const net::Endpoint& e) { return e.network.id == id; };
  if (on(a.primary))
    throw Error("network " + network + " is the one container " + short_id(dir.id()) +
                " was run on (--net): it stays with it; disconnect takes the networks `network "
                "connect` added");
  const auto it = std::find_if(a.extras.begin(), a.extras.end(), on);
  if (it == a.extras.end())
    throw Error("container " + short_id(dir.id()) + " is not connected to network " + network);
  const net::Endpoint e = *it;
  a.extras.erase(it);
  pid_t pid = 0;
  if (live_run(dir, pid)) net::remove_veth(e);
  save_extras(dir, a);  // before the address goes back: never a listed address nobody holds
  net::retract_names(a.data_root, dir.id(), {e}, hosts_files_of(store));
  if (!e.network.builtin()) try {
      if (const std::string own = net::hosts_file_in(a.config); !own.empty())
        for (const auto& line : net::peer_lines(a.data_root, e)) net::remove_line(own, line);
    } catch (const std::exception&) {
    }
  release_lease(a.data_root, e.network.name, dir.id());
  record_event(store.root(), network_event("disconnect", e.network.id, e.network.name,
                                           e.network.driver, dir.id()));
}

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
