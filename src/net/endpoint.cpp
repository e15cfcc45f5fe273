#include "mydocker/net/endpoint.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <set>

#include "mydocker/net/netlink.hpp"
#include "mydocker/net/netns.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/timing.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker::net {
namespace {

// A sysctl of our network namespace, traced.
void sysctl(const std::string& key, const std::string& value) {
  std::string path = key;
  for (auto& c : path)
    if (c == '.') c = '/';
  trace::emit("sysctl -w " + key + "=" + value);
  // Written here, not through Fs::write, which would trace the same step again as an `echo`.
  path = "/proc/sys/" + path;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd || ::write(fd.get(), value.data(), value.size()) < 0)
    throw Error(std::string("sysctl -w ") + key + "=" + value + ": " +
                FsError(errno, "write", path, value).what());
}

// The default route's device's MTU (1500 without one).
int uplink_mtu(const std::vector<Netlink::Route>& routes) {
  for (const auto& r : routes)
    if (r.prefix == 0 && r.mtu_of_dev > 0) return r.mtu_of_dev;
  return 1500;
}

// 0 when the bridge is not made yet.
int bridge_mtu(Netlink& nl, const std::string& bridge) {
  try {
    return nl.mtu(bridge);
  } catch (const SysError& e) {
    if (e.err() != ENODEV) throw;
    return 0;
  }
}

std::vector<Subnet> subnets_of(const std::vector<Netlink::Route>& routes) {
  std::vector<Subnet> out;
  for (const auto& r : routes)
    if (r.prefix > 0) out.push_back(Subnet::of(parse_ipv4(r.dst, "route"), r.prefix));
  return out;
}

// The network's bridge and firewall elements, made on first use (under the store's lock); the
// bridge's ifindex.
// The table is checked too (one netlink round trip): a firewall reload or `nft flush ruleset`
// may have removed it while the bridge stayed, and without it nothing is masqueraded, isolated
// or published. It comes back with the elements of every network whose bridge exists (the
// published ports of running containers do not: see README, "Networks").
int ensure_network(const NetworkStore& store, const Network& n, Netlink& nl, int mtu) {
  Firewall fw;
  const int index = nl.index(n.bridge);
  const bool table = fw.has_table();
  if (index != 0 && table) return index;  // made with its elements by an earlier run
  if (!table && fw.ensure_table())
    for (const Network& other : store.list())
      if (other.name != n.name && nl.index(other.bridge) != 0)
        fw.add_network(other.subnet.text(), other.bridge, other.internal);
  if (index == 0) {
    nl.create_bridge(n.bridge, mtu);
    nl.add_address(n.bridge, format_ipv4(n.gateway), n.subnet.prefix);
    nl.set_up(n.bridge);
    sysctl("net.ipv4.ip_forward", "1");
    // localhost:PORT from the host itself: DNAT'd 127.0.0.1 may then leave through the bridge
    // (the table's guard chain drops what would come in to 127.x through it).
    sysctl("net.ipv4.conf." + n.bridge + ".route_localnet", "1");
  }
  fw.add_network(n.subnet.text(), n.bridge, n.internal);
  return index != 0 ? index : nl.index(n.bridge);
}

}  // namespace

std::vector<Subnet> host_subnets() { return subnets_of(Netlink().routes_v4()); }

Endpoint plan_endpoint(const std::string& data_root, const std::string& network,
                       const std::string& requested_ip, const std::vector<std::string>& publish,
                       const std::string& container_id, const std::string& container_name,
                       const std::vector<std::string>& aliases) {
  Endpoint e;
  for (const auto& p : publish)
    for (auto& m : parse_publish(p)) e.ports.push_back(m);
  std::optional<uint32_t> ip;
  if (!requested_ip.empty()) ip = parse_ipv4(requested_ip, "--ip");
  // No rtnetlink request here but the routes when the built-in network is first made (the
  // subnets taken): the RTNL lock is the kernel's one for all links, and the helper making the
  // run's veth meanwhile holds it (net/netns.hpp). The MTU is the connect's to find.
  NetworkStore store(data_root);
  auto held = store.lock();
  if (auto n = store.get(network); n && network == kDefaultNetwork) {
    e.network = *n;
  } else if (network == kDefaultNetwork) {
    e.network = store.ensure_default(subnets_of(Netlink().routes_v4()));
  } else if (n) {
    e.network = *n;
  } else {
    throw Error("network " + network + " not found (`mydocker network ls` lists them)");
  }
  if (ip && e.network.builtin())
    throw Error("invalid value '" + requested_ip + "' for --ip: only a user-defined network " +
                "takes a fixed address (docker's rule)");
  // docker accepts -p here and publishes nothing (moby#36174): a published port the firewall
  // then drops is a silent trap; an internal network has no way in, so it is refused.
  if (!e.ports.empty() && e.network.internal)
    throw Error("invalid value '" + publish.front() + "' for -p: network " + network +
                " is --internal (no way in or out): publish from a network that is not internal");
  if (!aliases.empty() && e.network.builtin())  // docker's words
    throw Error("network-scoped alias is supported only for containers in user defined networks");
  // A port another container publishes is refused by the kernel when the run publishes it
  // (`nft create element`: EEXIST), before the command runs, as docker refuses it at start; a
  // host program's port is refused here.
  choose_host_ports(e.ports);
  e.lease = store.allocate(e.network.name, container_id, container_name, ip, aliases);
  e.veth = veth_name(container_id);
  return e;
}

nlohmann::json endpoint_json(const Endpoint& e) {
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : e.ports)
    ports.push_back({{"HostIp", p.host_ip.empty() ? "0.0.0.0" : p.host_ip},
                     {"HostPort", std::to_string(p.host_port)},
                     {"ContainerPort", p.container_port},
                     {"Protocol", p.proto}});
  nlohmann::json network;
  to_json(network, e.network);
  return {{"network", network},
          {"ip", e.lease.ip},
          {"mac", format_mac(e.lease.mac)},
          {"ports", ports},
          {"veth", e.veth},
          {"ifname", e.ifname},
          {"primary", e.primary},
          {"name", e.lease.container_name},
          {"aliases", e.lease.aliases},
          {"id", e.lease.container_id}};
}

std::optional<Endpoint> endpoint_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("network")) return std::nullopt;
  try {
    Endpoint e;
    from_json(j.at("network"), e.network);
    e.lease.network = e.network.name;
    e.lease.ip = j.at("ip").get<uint32_t>();
    e.lease.mac = mac_for(e.lease.ip);
    e.lease.prefix = e.network.subnet.prefix;
    e.lease.gateway = e.network.gateway;
    e.lease.container_name = j.value("name", "");
    e.lease.container_id = j.value("id", "");
    if (auto a = j.find("aliases"); a != j.end() && a->is_array())
      for (const auto& x : *a)
        if (x.is_string() && valid_alias(x.get<std::string>()))
          e.lease.aliases.push_back(x.get<std::string>());
    e.veth = j.at("veth").get<std::string>();
    e.ifname = j.value("ifname", "eth0");
    e.primary = j.value("primary", true);
    for (const auto& p : j.at("ports"))
      e.ports.push_back(PortMapping{p.value("HostIp", "") == "0.0.0.0" ? "" : p.value("HostIp", ""),
                                    static_cast<uint16_t>(std::stoi(p.value("HostPort", "0"))),
                                    p.value("ContainerPort", uint16_t{0}),
                                    p.value("Protocol", "tcp")});
    return e;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<Endpoint> extra_endpoints(const nlohmann::json& list) {
  std::vector<Endpoint> out;
  if (!list.is_array()) return out;
  for (const auto& j : list) {
    auto e = endpoint_from_json(j);
    // Only what network connect writes: our veth names, eth1-eth999 (names reach netlink and
    // a /proc/sys path).
    if (!e || e->primary || veth_owner(e->veth).empty() || e->ifname.size() < 4 ||
        e->ifname.size() > 6 || e->ifname.compare(0, 3, "eth") != 0 ||
        e->ifname.find_first_not_of("0123456789", 3) != std::string::npos)
      continue;
    out.push_back(std::move(*e));
  }
  return out;
}

std::string veth_name(const std::string& container_id, int index) {
  return "mdv" + container_id.substr(0, 8) + (index > 0 ? "x" + std::to_string(index) : "");
}

std::string veth_owner(const std::string& link) {
  if (link.rfind("mdv", 0) != 0 || link.size() < 11) return "";
  if (link.size() > 11 && (link[11] != 'x' || link.size() == 12 ||
                           link.find_first_not_of("0123456789", 12) != std::string::npos))
    return "";
  return link.substr(3, 8);
}

Endpoint plan_extra_endpoint(const std::string& data_root, const std::string& network,
                             const std::string& requested_ip, const std::string& container_id,
                             const std::string& container_name, int index,
                             const std::vector<std::string>& aliases) {
  Endpoint e =
      plan_endpoint(data_root, network, requested_ip, {}, container_id, container_name, aliases);
  e.veth = veth_name(container_id, index);
  e.ifname = "eth" + std::to_string(index);
  e.primary = false;
  return e;
}

void lease_again(const std::string& data_root, const std::string& container_id,
                 const std::vector<Endpoint>& extras) {
  if (extras.empty()) return;
  NetworkStore store(data_root);
  auto held = store.lock();
  for (const auto& x : extras) try {
      const Lease l = store.allocate(x.network.name, container_id, x.lease.container_name,
                                     x.lease.ip, x.lease.aliases);
      if (l.ip != x.lease.ip) throw Error("another address is leased");
    } catch (const Error& e) {
      throw Error("network " + x.network.name + " (network connect): its address " + x.ip() +
                  " cannot be had again (" + e.what() +
                  "): disconnect the container from it and connect it again");
    }
}

void remove_veth(const Endpoint& e) {
  Netlink nl;
  if (nl.exists(e.veth)) nl.delete_link(e.veth);
}

void connect(const std::string& data_root, const Endpoint& e, pid_t init_pid, bool veth_made) {
  const std::string ns = "/proc/" + std::to_string(init_pid) + "/ns/net";
  UniqueFd netns(::open(ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns) throw SysError(errno, "open " + ns);
  Netlink nl;
  int bridge = 0, mtu = 0;
  {
    NetworkStore store(data_root);
    auto held = store.lock();
    // Once the bridge exists its MTU is the uplink's it was made with (a bridge's own follows
    // its ports', and none may be left).
    mtu = bridge_mtu(nl, e.network.bridge);
    if (mtu == 0) mtu = uplink_mtu(nl.routes_v4());
    bridge = ensure_network(store, e.network, nl, mtu);
  }
  const Netlink::VethPair pair{e.veth, e.ifname,    mtu,         bridge, e.network.bridge,
                               true,   e.lease.mac, netns.get(), ns};
  timing::mark("connect: bridge checked");
  Netlink inside = Netlink::in_namespace(netns.get(), ns);
  if (veth_made) try {
      ipv6_off_in(netns.get(), ns, e.ifname);  // still down
      nl.finish_veth(pair, inside);
    } catch (const SysError& x) {
      if (x.err() != ENODEV) throw;
      veth_made = false;  // gone meanwhile (`prune` saw no record of it yet): made again
    }
  if (!veth_made) {  // made here as the helper does (eth0 down), then finished as its pair
    Netlink::VethPair bare = pair;
    bare.up = false;
    bare.master_index = 0;
    try {
      nl.create_veth(bare);
    } catch (const SysError& x) {
      if (x.err() != EEXIST) throw;
      nl.delete_link(e.veth);  // a leftover of a killed run of the same container
      nl.create_veth(bare);
    }
    ipv6_off_in(netns.get(), ns, e.ifname);
    nl.finish_veth(pair, inside);
  }
  timing::mark(veth_made ? "connect: veth pair made ahead, finished" : "connect: veth pair made");
  inside.add_address(e.ifname, e.ip(), e.network.subnet.prefix);
  if (e.primary && !e.network.internal) inside.add_default_route(format_ipv4(e.network.gateway));
  timing::mark("connect: addressed");
  if (!e.ports.empty()) {  // under the lock: its look for crossing ports, then the batch
    NetworkStore store(data_root);
    auto held = store.lock();
    Firewall().publish(e.ip(), e.ports);
  }
  timing::mark("connect: published");
}

void trace_connect(const std::string& data_root, const std::string& network,
                   const std::vector<std::string>& publish, const std::string& container_id) {
  std::vector<PortMapping> ports;
  for (const auto& p : publish)
    for (auto& m : parse_publish(p)) ports.push_back(m);
  auto n = NetworkStore(data_root).get(network);
  if (!n && network != kDefaultNetwork)
    throw Error("network " + network + " not found (`mydocker network ls` lists them)");
  const std::string bridge = n ? n->bridge : kDefaultBridge;
  const std::string prefix = n ? std::to_string(n->subnet.prefix) : "16";
  const std::string veth = veth_name(container_id);
  const std::string ns = "nsenter --net=/proc/$PID/ns/net ";
  trace::emit("# --net " + network + ": an address leased from " +
              (n ? n->subnet.text() : std::string("the built-in network's subnet")) +
              " ($IP; none is leased in a dry run); " + bridge +
              (n ? "" : " and mydocker's nft table are made on first use"));
  trace::emit("ip link add " + veth +
              " type veth peer name eth0 address $MAC netns /proc/$PID/ns/net");
  trace::emit(ns + "sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1   # IPv4 only, as docker");
  trace::emit("ip link set " + veth + " master " + bridge + " addrgenmode none up");
  trace::emit(ns + "ip link set eth0 up");
  trace::emit(ns + "ip addr add $IP/" + prefix + " brd + dev eth0");
  if (!n || !n->internal)
    trace::emit(ns + "ip route add default via " + (n ? format_ipv4(n->gateway) : "$GATEWAY"));
  for (const auto& p : ports)
    trace::emit(std::string("nft create element ip mydocker ") +
                (p.host_ip.empty() ? "ports_any { " : "ports_ip { " + p.host_ip + " . ") + p.proto +
                " . " + (p.host_port ? std::to_string(p.host_port) : "$FREE_PORT") + " : $IP . " +
                std::to_string(p.container_port) + " }");
}

void disconnect(const Endpoint& e) noexcept {
  // The veth pair dies with the container's network namespace, which the kernel tears down
  // after its last process is gone, in the background: deleting it here would wait for the
  // RCU grace period that teardown takes (tens of ms). A restart's connect() deletes a
  // leftover of the same name first.
  Firewall().unpublish(e.ports);
  NfTables::release_shared();  // to a closer: a supervisor that lives on (restarts) keeps none
}

void release(const std::string& data_root, const std::string& container_id) noexcept {
  try {
    NetworkStore store(data_root);
    auto held = store.lock();
    store.release_all(container_id);
  } catch (const std::exception&) {
  }
}

std::vector<std::string> peer_lines(const std::string& data_root, const Endpoint& e) {
  std::vector<std::string> out;
  if (e.network.builtin()) return out;  // docker: names resolve on user-defined networks only
  NetworkStore store(data_root);
  for (const auto& l : store.leases(e.network.name))
    if (l.container_id != e.lease.container_id && !l.container_name.empty())
      out.push_back(hosts_line(l));
  return out;
}

namespace {

std::string early_veths_lock(const std::string& data_root) {
  return data_root + "/networks/.early-veths.lock";
}

// prune's side of hold_early_veths: the lock, exclusive, held while the veths are judged;
// nullopt while a run holds it. (No networks directory: no network, no veth of ours.)
std::optional<UniqueFd> sweep_early_veths(const std::string& data_root) {
  UniqueFd fd(::open(early_veths_lock(data_root).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return UniqueFd();
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return std::nullopt;
  return fd;
}

}  // namespace

UniqueFd hold_early_veths(const std::string& data_root) {
  try {
    make_dirs(data_root + "/networks", 0700);
  } catch (const std::exception&) {
    return {};
  }
  UniqueFd fd(::open(early_veths_lock(data_root).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd || ::flock(fd.get(), LOCK_SH) != 0) return {};
  return fd;
}

std::vector<std::string> prune_network_leftovers(
    const std::string& data_root, const std::function<bool(const std::string&)>& alive,
    const std::function<bool(const std::string&)>& running) {
  std::vector<std::string> removed;
  NetworkStore store(data_root);
  std::set<uint32_t> live_ips;
  {
    auto held = store.lock();
    for (const auto& l : store.stale(alive)) {
      store.release(l.network, l.container_id);
      removed.push_back("address " + format_ipv4(l.ip) + " of " + l.container_id.substr(0, 12));
    }
    for (const auto& n : store.list())
      for (const auto& l : store.leases(n.name)) live_ips.insert(l.ip);
  }
  // A run being planned may have its veth made already, before its lease and record exist
  // (net/netns.hpp): its guard held, no veth is judged now (the next prune does).
  const auto sweep = sweep_early_veths(data_root);
  if (!sweep) return removed;
  Netlink nl;
  for (const auto& link : nl.links())
    if (const std::string owner = veth_owner(link); !owner.empty()) {
      bool owned = false;
      for (const auto& n : store.list())
        for (const auto& l : store.leases(n.name))
          owned = owned || (l.container_id.substr(0, 8) == owner && running(l.container_id));
      if (!owned) {
        nl.delete_link(link);
        removed.push_back("veth " + link);
      }
    }
  Firewall fw;
  std::vector<PortMapping> orphans;
  for (const auto& p : fw.published())
    if (!live_ips.count(parse_ipv4(p.container_ip, "ip"))) orphans.push_back(p.port);
  fw.unpublish(orphans);
  for (const auto& p : orphans) removed.push_back("published port " + p.text());
  return removed;
}

}  // namespace mydocker::net
