#include "mydocker/net/firewall.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "mydocker/net/netlink.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/program.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker::net {
namespace {

[[noreturn]] void bad_publish(const std::string& spec, const std::string& why) {
  throw Error("invalid value '" + spec + "' for -p: " + why);
}

// "8080" or "8080-8081" -> {first, last}; "" -> {0, 0} (a free port).
std::pair<int, int> port_range(const std::string& text, const std::string& spec) {
  if (text.empty()) return {0, 0};
  const size_t dash = text.find('-');
  auto number = [&](const std::string& s) {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
      bad_publish(spec, "'" + s + "' is not a port number");
    const int n = std::stoi(s);
    if (n < 1 || n > 65535) bad_publish(spec, "port " + s + " is out of range 1-65535");
    return n;
  };
  const int first = number(text.substr(0, dash));
  const int last = dash == std::string::npos ? first : number(text.substr(dash + 1));
  if (last < first) bad_publish(spec, "the range " + text + " ends before it starts");
  return {first, last};
}

}  // namespace

// Debian's place for it, then PATH (a VM's /usr/local/bin).
std::string nft_path() {
  std::string dirs = "/usr/sbin:/sbin:/usr/bin:/bin:/usr/local/sbin:/usr/local/bin";
  if (const char* path = ::getenv("PATH")) dirs += std::string(":") + path;
  for (const auto& dir : split(dirs, ":"))
    if (::access((dir + "/nft").c_str(), X_OK) == 0) return dir + "/nft";
  return "";
}

namespace {

// Runs nft with `args` and `input` on stdin; its stderr comes back on failure.
int run_nft(const std::vector<std::string>& args, const std::string& input, std::string& out) {
  const std::string nft = nft_path();
  if (nft.empty())
    throw Error("nft (Debian's nftables package) is needed for container networking");
  ProgramResult r = run_program(nft, args, input, /*with_stderr=*/true);
  out += r.output;
  return r.status;
}

std::string key_of(const PortMapping& p) {
  std::string key = p.proto + " . " + std::to_string(p.host_port);
  return p.host_ip.empty() ? key : p.host_ip + " . " + key;
}

const char* map_of(const PortMapping& p) { return p.host_ip.empty() ? "ports_any" : "ports_ip"; }

}  // namespace

std::string PortMapping::text(const std::string& container_ip) const {
  std::string out = (host_ip.empty() ? "0.0.0.0" : host_ip) + ":" + std::to_string(host_port) +
                    "->" + std::to_string(container_port) + "/" + proto;
  return container_ip.empty() ? out : out + " (" + container_ip + ")";
}

std::vector<PortMapping> parse_publish(const std::string& spec) {
  std::string rest = spec, proto = "tcp";
  if (const size_t slash = rest.rfind('/'); slash != std::string::npos) {
    proto = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (proto != "tcp" && proto != "udp") bad_publish(spec, "the protocol must be tcp or udp");
  }
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t colon; (colon = rest.find(':', start)) != std::string::npos; start = colon + 1)
    parts.push_back(rest.substr(start, colon - start));
  parts.push_back(rest.substr(start));
  if (parts.size() > 3) bad_publish(spec, "expected [HOSTIP:]HOSTPORT:CONTAINERPORT[/PROTO]");
  std::string host_ip = parts.size() == 3 ? parts[0] : "";
  if (host_ip == "0.0.0.0") host_ip.clear();
  in_addr a{};
  if (!host_ip.empty() && ::inet_pton(AF_INET, host_ip.c_str(), &a) != 1)
    bad_publish(spec, "'" + host_ip + "' is not an IPv4 address");
  const auto host = port_range(parts.size() >= 2 ? parts[parts.size() - 2] : "", spec);
  const auto ctr = port_range(parts.back(), spec);
  if (ctr.first == 0) bad_publish(spec, "the container port is missing");
  if (host.first != 0 && host.second - host.first != ctr.second - ctr.first)
    bad_publish(spec, "the host and container ranges differ in size");
  std::vector<PortMapping> out;
  for (int i = 0; i <= ctr.second - ctr.first; ++i)
    out.push_back(PortMapping{host_ip, static_cast<uint16_t>(host.first ? host.first + i : 0),
                              static_cast<uint16_t>(ctr.first + i), proto});
  return out;
}

void choose_host_ports(std::vector<PortMapping>& ports) {
  for (auto& p : ports) {
    UniqueFd s(::socket(AF_INET, (p.proto == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
    if (!s) throw_errno("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(p.host_port);
    if (!p.host_ip.empty()) ::inet_pton(AF_INET, p.host_ip.c_str(), &addr.sin_addr);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (errno == EADDRINUSE)
        throw Error("-p " + p.text() + ": port is already allocated (a program of the host " +
                    "listens on it)");
      if (errno != EADDRNOTAVAIL) throw SysError(errno, "-p " + p.text());
      throw Error("-p " + p.text() + ": " + p.host_ip + " is not an address of this host");
    }
    socklen_t len = sizeof addr;
    ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    p.host_port = ntohs(addr.sin_port);
  }
}

// The chains' rules; the sets and maps hold what changes. `guard` is the newest chain: a table
// without it was made by an older mydocker, and its chains are flushed and filled again in one
// transaction (upgrade_script), its sets and maps kept.
//
// guard (before everything, at raw priority): every bridge has route_localnet=1 (so that the
// host's own localhost:PORT may leave, DNAT'd, through it), which would also let a container
// send to the host's 127.0.0.1-only services (or claim to come from 127.x): dropped.
// prerouting never DNATs to 127.0.0.0/8-addressed ports: such a packet in prerouting came from
// another machine (the host's own go through output), and a port published on 127.0.0.1 is the
// host's alone.
// forward: containers of one bridge talk (also on an internal network, also with
// br_netfilter); internal networks have no way out; published ports (DNAT'd) come in; networks
// are isolated; and nothing else comes into a bridge from outside but the replies to what its
// containers opened (docker's rule: an unpublished port is not reachable by routing to the
// container's address, though mydocker turns on ip_forward).
std::string table_script() {
  return R"(table ip mydocker {
  set all_nets { type ipv4_addr; flags interval; }
  set nat_nets { type ipv4_addr; flags interval; }
  set bridges { type ifname; }
  set internal { type ifname; }
  set same_bridge { type ifname . ifname; }
  map ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }
  map ports_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
  chain guard {
    type filter hook prerouting priority raw; policy accept;
    iifname @bridges ip daddr 127.0.0.0/8 drop
    iifname @bridges ip saddr 127.0.0.0/8 drop
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 127.0.0.0/8 return
    fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @ports_ip
    fib daddr type local dnat ip to meta l4proto . th dport map @ports_any
  }
  chain output {
    type nat hook output priority -100; policy accept;
    fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @ports_ip
    fib daddr type local dnat ip to meta l4proto . th dport map @ports_any
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr @nat_nets ip daddr != @all_nets masquerade
    ct status dnat ip daddr @all_nets ip saddr 127.0.0.0/8 masquerade
    ct status dnat ip daddr @all_nets ip saddr @all_nets masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname . oifname @same_bridge accept
    iifname @internal drop
    oifname @internal drop
    ct status dnat accept
    iifname @bridges oifname @bridges drop
    oifname @bridges ct state established,related accept
    oifname @bridges drop
  }
}
)";
}

// An older mydocker's table made current: its chains emptied, then the definition again (sets,
// maps and chains that exist stay, with their elements), in one `nft -f` transaction.
std::string upgrade_script() {
  std::string out;
  for (const char* chain : {"prerouting", "output", "postrouting", "forward"})
    out += std::string("flush chain ip mydocker ") + chain + "\n";
  return out + table_script();
}

void Firewall::apply(const std::string& script) { run_script(script, /*as_commands=*/true); }

// `as_commands`: traced as one `nft` command per line; otherwise the table's definition, which
// ensure_table() traces itself as one here-document.
void Firewall::run_script(const std::string& script, bool as_commands) {
  if (trace::enabled() && as_commands)
    for (const auto& line : split(script, "\n")) trace::emit("nft " + line);
  std::string out;
  if (run_nft({"nft", "-f", "-"}, script, out) != 0) {
    while (!out.empty() && out.back() == '\n') out.pop_back();
    throw Error("nft: " + out);
  }
}

bool Firewall::has_table() const { return NfTables::shared().has_chain("mydocker", "guard"); }

bool Firewall::ensure_table() const {
  if (has_table()) return false;
  const bool older = NfTables::shared().has_table("mydocker");
  const std::string script = older ? upgrade_script() : table_script();
  // One write: the init's lines, printed meanwhile, must not land inside the here-document.
  std::vector<std::string> block = {
      older ? "nft -f - <<'EOF'   # an older mydocker's table: its rules made current"
            : "nft -f - <<'EOF'   # mydocker's own table: its rules never change, only its sets"};
  for (const auto& line : split(script, "\n")) block.push_back(line);
  block.push_back("EOF");
  trace::emit_block(block);
  run_script(script, /*as_commands=*/false);
  return !older;
}

namespace {

// A network's elements, added or deleted (`verb`). same_bridge: with br_netfilter loaded (docker
// loads it) traffic between two containers of one bridge reaches the forward hook with the
// bridge as both devices; it stays allowed.
std::string network_elements(const char* verb, const std::string& subnet, const std::string& bridge,
                             bool internal) {
  const std::string e = std::string(verb) + " element ip mydocker ";
  const std::string dev = "\"" + bridge + "\"";
  return e + "all_nets { " + subnet + " }\n" + e + "bridges { " + dev + " }\n" + e +
         "same_bridge { " + dev + " . " + dev + " }\n" +
         (internal ? e + "internal { " + dev + " }\n" : e + "nat_nets { " + subnet + " }\n");
}

}  // namespace

void Firewall::add_network(const std::string& subnet, const std::string& bridge,
                           bool internal) const {
  apply(network_elements("add", subnet, bridge, internal));
}

void Firewall::remove_network(const std::string& subnet, const std::string& bridge,
                              bool internal) const {
  try {
    apply(network_elements("delete", subnet, bridge, internal));
  } catch (const Error&) {  // already gone (a prune after a crash)
  }
}

namespace {

// A part of a concatenation as the kernel keeps it: its bytes, zero-padded to 4.
std::string part(const void* bytes, size_t size) {
  std::string s(static_cast<const char*>(bytes), size);
  s.resize((size + 3) & ~size_t{3}, '\0');
  return s;
}

std::string ipv4_bytes(const std::string& ip) {
  in_addr a{};
  if (::inet_pton(AF_INET, ip.c_str(), &a) != 1) throw Error("not an IPv4 address: " + ip);
  return part(&a, sizeof a);
}

std::string port_bytes(uint16_t port) {
  const uint16_t be = htons(port);
  return part(&be, sizeof be);
}

// [host address .] protocol . port  ->  container address . port
NfTables::Element element_of(const PortMapping& p, const std::string& container_ip) {
  const uint8_t proto = p.proto == "udp" ? IPPROTO_UDP : IPPROTO_TCP;
  NfTables::Element e;
  e.key =
      (p.host_ip.empty() ? "" : ipv4_bytes(p.host_ip)) + part(&proto, 1) + port_bytes(p.host_port);
  if (!container_ip.empty()) e.data = ipv4_bytes(container_ip) + port_bytes(p.container_port);
  return e;
}

// The ports of one map, as elements, and the nft line that does the same.
struct MapChange {
  std::vector<NfTables::Element> elements;
  std::string command;
};

std::map<std::string, MapChange> by_map(const char* verb, const std::vector<PortMapping>& ports,
                                        const std::string& container_ip) {
  std::map<std::string, MapChange> maps;
  for (const auto& p : ports) {
    MapChange& m = maps[map_of(p)];
    m.elements.push_back(element_of(p, container_ip));
    std::string text = key_of(p);
    if (!container_ip.empty())
      text += " : " + container_ip + " . " + std::to_string(p.container_port);
    if (m.command.empty())
      m.command = std::string("nft ") + verb + " element ip mydocker " + map_of(p) + " { " + text;
    else
      m.command += ", " + text;
  }
  for (auto& [name, m] : maps) m.command += " }";
  return maps;
}

// A port published on every address (ports_any) and the same port on one address (ports_ip)
// are different keys of different maps, so the kernel would take both, and the more specific
// one would take the other's traffic to that address: docker refuses the second ("port is
// already allocated"), and so do we, here. The caller holds the networks' lock, so that no
// other run publishes between this look and the batch.
void refuse_crossing(NfTables& nft, const std::vector<PortMapping>& ports) {
  std::optional<std::vector<std::string>> by_address;  // ports_ip's keys: address . proto . port
  std::set<std::string> everywhere;                    // ports_any's, when many are asked about
  const size_t specific = static_cast<size_t>(
      std::count_if(ports.begin(), ports.end(), [](const auto& p) { return !p.host_ip.empty(); }));
  if (specific > 16)
    for (auto& k : nft.keys("mydocker", "ports_any")) everywhere.insert(std::move(k));
  for (const auto& p : ports) {
    const NfTables::Element any = element_of(PortMapping{"", p.host_port, 0, p.proto}, "");
    bool taken = false;
    if (p.host_ip.empty()) {
      if (!by_address) by_address = nft.keys("mydocker", "ports_ip");
      taken = std::any_of(by_address->begin(), by_address->end(), [&](const std::string& k) {
        return k.size() == 4 + any.key.size() && k.compare(4, std::string::npos, any.key) == 0;
      });
    } else {
      taken = specific > 16 ? everywhere.count(any.key) > 0
                            : nft.has_element("mydocker", "ports_any", any.key);
    }
    if (taken)
      throw Error("-p " + p.text() + ": port is already allocated (another container publishes " +
                  std::to_string(p.host_port) + "/" + p.proto +
                  (p.host_ip.empty() ? " on an address of this host)" : " on every address)"));
  }
}

}  // namespace

// Through netlink: one batch per map, no nft process (a run with -p pays microseconds, not the
// 10-20 ms of starting nft twice).
void Firewall::publish(const std::string& container_ip,
                       const std::vector<PortMapping>& ports) const {
  if (ports.empty()) return;
  NfTables& nft = NfTables::shared();
  refuse_crossing(nft, ports);
  std::vector<std::pair<std::string, MapChange>> done;
  for (auto& [map, change] : by_map("create", ports, container_ip)) {
    try {
      nft.change(true, "mydocker", map, change.elements, change.command);
      done.emplace_back(map, change);
    } catch (const SysError& e) {
      for (auto& [m, c] : done) (void)nft_delete(nft, m, c.elements);
      if (e.err() != EEXIST) throw;
      std::string which = ports.front().text();
      if (ports.size() == 2) which += ", " + ports.back().text();
      if (ports.size() > 2)
        which += " ... " + ports.back().text() + " (" + std::to_string(ports.size()) + " ports)";
      throw Error("-p " + which + ": port is already allocated (another container publishes it)");
    }
  }
}

void Firewall::unpublish(const std::vector<PortMapping>& ports) const {
  if (ports.empty()) return;
  try {
    NfTables& nft = NfTables::shared();
    for (auto& [map, change] : by_map("delete", ports, "")) {
      if (nft_delete(nft, map, change.elements, change.command)) continue;
      for (auto& e : change.elements)  // one by one: a missing one must not keep the others
        (void)nft_delete(nft, map, {e});
    }
  } catch (const std::exception&) {  // no netfilter at all: nothing was published
  }
}

bool Firewall::nft_delete(NfTables& nft, const std::string& map,
                          const std::vector<NfTables::Element>& elements,
                          const std::string& command) {
  try {
    nft.change(false, "mydocker", map, elements, command);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::vector<Firewall::Published> Firewall::published() const {
  std::vector<Published> out;
  if (nft_path().empty()) return out;  // without nft nothing was ever published
  for (const char* map : {"ports_any", "ports_ip"}) {
    std::string text;
    if (run_nft({"nft", "-j", "list", "map", "ip", "mydocker", map}, "", text) != 0) continue;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) continue;
    for (const auto& item : j.value("nftables", nlohmann::json::array())) {
      if (!item.contains("map")) continue;
      for (const auto& e : item["map"].value("elem", nlohmann::json::array())) {
        // [[{"concat": [(ip,) proto, port]}, {"concat": [ip, port]}]]
        try {
          const auto& key = e.at(0).at("concat");
          const auto& val = e.at(1).at("concat");
          Published p;
          size_t i = 0;
          if (key.size() == 3) p.port.host_ip = key.at(i++).get<std::string>();
          p.port.proto = key.at(i++).get<std::string>();
          p.port.host_port = key.at(i).get<uint16_t>();
          p.container_ip = val.at(0).get<std::string>();
          p.port.container_port = val.at(1).get<uint16_t>();
          out.push_back(p);
        } catch (const std::exception&) {
        }
      }
    }
  }
  return out;
}

}  // namespace mydocker::net
