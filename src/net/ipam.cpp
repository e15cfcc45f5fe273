#include "mydocker/net/ipam.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <set>

#include "mydocker/util/error.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/time.hpp"

namespace mydocker::net {
namespace {

using nlohmann::json;

constexpr size_t kMaxNameLength = 128;  // docker has none; ours is a file name (255 at most)
constexpr const char* kBridgeNameOption = "com.docker.network.bridge.name";
constexpr const char* kBridgePrefix = "mdbr-";  // + 8 hex digits: 13 < IFNAMSIZ (16, with NUL)

Error bad_value(std::string_view text, std::string_view flag, const std::string& why) {
  return Error("invalid value '" + std::string(text) + "' for " + std::string(flag) + ": " + why);
}

// Decimal digits only, at most `max`. A leading zero is refused: "010" is 8 to inet_aton
// (octal) and 10 to others, so it means nothing certain.
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 3 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

bool is_alnum(char c) {
  // ASCII only, whatever the locale: the name is also a file name and part of messages.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength && is_alnum(name[0]) &&
         std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A container as messages name it: its name, else its short id.
std::string display_name(const Lease& lease) {
  return lease.container_name.empty() ? short_id(lease.container_id) : lease.container_name;
}

Lease make_lease(const Network& n, const std::string& id, const std::string& name, uint32_t ip,
                 std::vector<std::string> aliases = {}) {
  return Lease{n.name, id, name, ip, mac_for(ip), n.subnet.prefix, n.gateway, std::move(aliases)};
}

// A lease file's aliases: those that are names (a hand-edited file adds no line to a peer's
// /etc/hosts).
std::vector<std::string> aliases_from(const json& j) {
  std::vector<std::string> out;
  if (auto it = j.find("Aliases"); it != j.end() && it->is_array())
    for (const auto& a : *it)
      if (a.is_string() && valid_alias(a.get<std::string>())) out.push_back(a.get<std::string>());
  return out;
}

// The pool networks without --subnet come from: podman's 10.88.0.0/16 and up first (rarely a
// LAN's), then docker's 172.18-31 (its own 172.17.0.0/16 never: docker0 may be down now and come
// up later), then 192.168.0.0/16 in /20s as docker does once its /16s are gone.
std::vector<Subnet> default_pool() {
  std::vector<Subnet> pool;
  for (uint32_t b = 88; b <= 255; ++b) pool.push_back({10u << 24 | b << 16, 16});
  for (uint32_t b = 18; b <= 31; ++b) pool.push_back({172u << 24 | b << 16, 16});
  for (uint32_t c = 0; c < 256; c += 16) pool.push_back({192u << 24 | 168u << 16 | c << 8, 20});
  return pool;
}

// A taken route conflicts when it overlaps; the default route (/0) overlaps everything and
// never conflicts (traffic to a more specific route goes there).
bool conflicts(const Subnet& taken, const Subnet& subnet) {
  return taken.prefix > 0 && taken.overlaps(subnet);
}

// One network: its file and its leases.
struct Record {
  Network network;
  std::vector<Lease> leases;   // by address
  bool legacy = false;         // some leases are in the network's file (an older data root)
  std::set<uint32_t> blocked;  // addresses whose lease name something else holds (a directory)
};

std::string record_path(const std::string& dir, const std::string& name) {
  return dir + "/" + name + ".json";
}

std::string leases_dir(const std::string& dir, const std::string& name) {
  return dir + "/" + name + ".leases";
}

std::string lease_path(const std::string& dir, const std::string& name, uint32_t ip) {
  return leases_dir(dir, name) + "/" + format_ipv4(ip);
}

std::string read_all(int fd, const std::string& path) {
  std::string text;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return text;
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
    } else if (errno != EINTR) {
      throw SysError(errno, "cannot read " + path);
    }
  }
}

// nullopt when there is no such file.
std::optional<std::string> read_text(const std::string& path) {
  UniqueFd fd(open_noatime(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw SysError(errno, "cannot read " + path);
  }
  return read_all(fd.get(), path);
}

// A lease is a regular file of its own: anything else under its name (a directory, a FIFO
// whose open would block, a symlink) is none, and `other` says something holds the name.
std::optional<std::string> read_lease(const std::string& path, bool& other) {
  other = false;
  struct stat st {};
  // Looked at first, opened only if a file: opening a socket fails (ENXIO), a device has
  // effects of its own.
  if (::fstatat(AT_FDCWD, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::nullopt;  // released while we looked
    throw SysError(errno, "cannot read " + path);
  }
  other = !S_ISREG(st.st_mode);
  if (other) return std::nullopt;
  UniqueFd fd(
      open_noatime(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    other = errno == ELOOP || errno == ENXIO;  // swapped for something else meanwhile
    if (other) return std::nullopt;
    throw SysError(errno, "cannot read " + path);
  }
  if (::fstat(fd.get(), &st) != 0) throw SysError(errno, "cannot read " + path);
  other = !S_ISREG(st.st_mode);
  if (other) return std::nullopt;
  return read_all(fd.get(), path);
}

std::vector<Lease> leases_from_json(const json& j, const Network& n) {
  std::vector<Lease> out;
  const json containers = j.value("Containers", json::object());  // items() refers into it
  for (const auto& [id, endpoint] : containers.items()) {
    const std::string cidr = endpoint.at("IPv4Address").get<std::string>();
    const uint32_t ip = parse_ipv4(cidr.substr(0, cidr.find('/')), "IPv4Address");
    // The MAC follows from the address (mac_for): computed again, never trusted from the file.
    out.push_back(make_lease(n, id, endpoint.value("Name", ""), ip));
  }
  return out;
}

void sort_leases(std::vector<Lease>& leases) {
  std::sort(leases.begin(), leases.end(),
            [](const Lease& a, const Lease& b) { return a.ip < b.ip; });
}

// The lease files of a network. A file that is not an address of its subnet, or not a lease,
// is none (the temporary files of a write in progress among them); an address whose name
// something other than a file holds is `blocked` (a lease could not be written there).
std::vector<Lease> leases_from_files(const std::string& dir, const Network& n,
                                     std::set<uint32_t>& blocked) {
  std::vector<Lease> out;
  const std::string from = leases_dir(dir, n.name);
  for (const std::string& file : list_dir(from)) {
    const auto ip = try_parse_ipv4(file);
    if (!ip || !n.subnet.contains(*ip) || format_ipv4(*ip) != file) continue;
    bool other = false;
    const auto text = read_lease(from + "/" + file, other);
    if (other) blocked.insert(*ip);
    if (!text) continue;
    const json j = json::parse(*text, nullptr, false);
    if (!j.is_object() || !j.contains("Id") || !j["Id"].is_string()) continue;
    out.push_back(
        make_lease(n, j["Id"].get<std::string>(), j.value("Name", ""), *ip, aliases_from(j)));
  }
  return out;
}

// nullopt when the network does not exist (or went away while we looked).
std::optional<Record> load(const std::string& dir, const std::string& name) {
  const std::string path = record_path(dir, name);
  const auto text = read_text(path);
  if (!text) return std::nullopt;
  Record r;
  try {
    const json j = json::parse(*text);
    r.network = j.get<Network>();
    r.leases = leases_from_json(j, r.network);
  } catch (const std::exception& e) {  // nlohmann's exceptions and our Error alike
    throw Error("cannot read " + path + ": " + e.what());
  }
  r.legacy = !r.leases.empty();
  for (Lease& l : leases_from_files(dir, r.network, r.blocked))
    if (std::none_of(r.leases.begin(), r.leases.end(),
                     [&](const Lease& x) { return x.ip == l.ip; }))
      r.leases.push_back(std::move(l));
  sort_leases(r.leases);
  return r;
}

std::vector<Record> load_all(const std::string& dir) {
  std::vector<Record> out;
  for (const std::string& file : list_dir(dir)) {
    // <name>.json only: not .lock, nor write_file_atomic's <name>.json.tmp.PID.N.
    const size_t dot = file.size() >= 5 ? file.size() - 5 : 0;
    if (file.size() <= 5 || file.compare(dot, 5, ".json") != 0) continue;
    const std::string name = file.substr(0, dot);
    if (!is_name(name)) continue;
    if (auto r = load(dir, name)) out.push_back(std::move(*r));
  }
  std::sort(out.begin(), out.end(),
            [](const Record& a, const Record& b) { return a.network.name < b.network.name; });
  return out;
}

// Atomic (a reader sees the old file or the new one) but not synced: an fsync on every run's
// lease costs milliseconds, and what a crash loses is a lease `prune` would release anyway.
void save(const std::string& dir, const Network& n) {
  write_file_atomic(record_path(dir, n.name), inspect_json(n, {}).dump(2) + "\n",
                    /*durable=*/false);
}

void write_lease(const std::string& dir, const Lease& l) {
  // A lease file comes and goes with each run: the network's leases in a group of their own
  // (util/files.hpp, spread_children), away from the data root's other files.
  if (const std::string leases = leases_dir(dir, l.network); ::access(leases.c_str(), F_OK) != 0) {
    spread_children(dir);
    make_dirs(leases, 0700);
  }
  json j{{"Id", l.container_id}, {"Name", l.container_name}};
  if (!l.aliases.empty()) j["Aliases"] = l.aliases;
  write_file_atomic(lease_path(dir, l.network, l.ip), j.dump() + "\n", /*durable=*/false);
}

void unlink_lease(const std::string& dir, const Lease& l) {
  const std::string path = lease_path(dir, l.network, l.ip);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    throw SysError(errno, "cannot remove " + path);
}

// An older data root's leases, in the network's file, become files (under the lock).
void migrate(const std::string& dir, Record& r) {
  if (!r.legacy) return;
  for (const Lease& l : r.leases) write_lease(dir, l);
  save(dir, r.network);
  r.legacy = false;
}

// A network's lease directory and what is in it: the temporary files of a killed writer, or
// (when a new network takes the name) what a killed `network rm` left.
void remove_leases(const std::string& dir, const std::string& name) {
  const std::string leases = leases_dir(dir, name);
  std::error_code ec;  // whatever is in it, a directory under an address's name included
  std::filesystem::remove_all(leases, ec);
  if (ec) throw SysError(ec.value(), "cannot remove " + leases);
}

// The network's lease directory, then its file (a kill in between leaves a network without
// leases, never leases without a network).
void unlink_record(const std::string& dir, const std::string& name) {
  remove_leases(dir, name);
  const std::string path = record_path(dir, name);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    throw SysError(errno, "cannot remove " + path);
}

// docker's lookup order: the exact name, then the full id, then a unique id prefix.
std::optional<Record> resolve(const std::string& dir, const std::string& key) {
  if (is_name(key))
    if (auto r = load(dir, key)) return r;
  if (key.empty() || !is_hex(key)) return std::nullopt;
  std::optional<Record> found;
  for (Record& r : load_all(dir)) {
    if (!r.network.id.starts_with(key)) continue;
    if (r.network.id == key) return std::move(r);
    if (found)
      throw Error("network id " + key + " is ambiguous: it starts the ids of " +
                  found->network.name + " and " + r.network.name);
    found = std::move(r);
  }
  return found;
}

Record resolve_existing(const std::string& dir, const std::string& key) {
  auto r = resolve(dir, key);
  if (!r) throw Error("network " + key + " not found");
  return std::move(*r);
}

Subnet checked_subnet(const Subnet& s, const std::vector<Record>& existing,
                      const std::vector<Subnet>& taken) {
  const std::string text = s.text();
  if (s.prefix > 30)
    throw bad_value(text, "--subnet",
                    "too small: a network needs a /30 at least (its address, a gateway, one "
                    "container, the broadcast address)");
  // Addresses that cannot be a bridge's: "this network" (0/8), loopback (127/8), link-local
  // (169.254/16: the kernel's own), multicast and reserved (224/3, the broadcast among them).
  const struct {
    uint32_t network;
    int prefix;
    const char* what;
  } kSpecial[] = {{0x00000000, 8, "\"this network\" (0.0.0.0/8)"},
                  {0x7f000000, 8, "loopback (127.0.0.0/8)"},
                  {0xa9fe0000, 16, "link-local (169.254.0.0/16)"},
                  {0xe0000000, 3, "multicast or reserved (224.0.0.0/3)"}};
  for (const auto& sp : kSpecial)
    if (Subnet{sp.network, sp.prefix}.overlaps(s))
      throw bad_value(text, "--subnet", std::string("overlaps ") + sp.what + ": not a network's");
  for (const Record& r : existing)
    if (r.network.subnet.overlaps(s))
      throw bad_value(text, "--subnet",
                      "overlaps network " + r.network.name + " (" + r.network.subnet.text() + ")");
  for (const Subnet& t : taken)
    if (conflicts(t, s)) throw bad_value(text, "--subnet", "overlaps " + t.text() + ", in use");
  return s;
}

Subnet pool_subnet(const std::string& name, const std::vector<Record>& existing,
                   const std::vector<Subnet>& taken) {
  for (const Subnet& s : default_pool()) {
    const bool used =
        std::any_of(existing.begin(), existing.end(),
                    [&](const Record& r) { return r.network.subnet.overlaps(s); }) ||
        std::any_of(taken.begin(), taken.end(), [&](const Subnet& t) { return conflicts(t, s); });
    if (!used) return s;
  }
  throw Error("no free subnet left in the default pool for network " + name +
              ": give one with --subnet");
}

uint32_t checked_gateway(uint32_t gateway, const Subnet& s) {
  const std::string text = format_ipv4(gateway);
  if (!s.contains(gateway)) throw bad_value(text, "--gateway", "not in the subnet " + s.text());
  if (gateway == s.network)
    throw bad_value(text, "--gateway", "the network address of " + s.text());
  if (gateway == s.broadcast())
    throw bad_value(text, "--gateway", "the broadcast address of " + s.text());
  return gateway;
}

uint32_t checked_request(uint32_t ip, const Record& r) {
  const Network& n = r.network;
  const std::string text = format_ipv4(ip);
  if (!n.subnet.contains(ip))
    throw bad_value(text, "--ip", "not in network " + n.name + "'s subnet " + n.subnet.text());
  if (ip == n.subnet.network || ip == n.subnet.broadcast())
    throw bad_value(text, "--ip", "the network or broadcast address of " + n.subnet.text());
  if (ip == n.gateway) throw bad_value(text, "--ip", "the gateway of network " + n.name);
  if (r.blocked.contains(ip))
    throw bad_value(text, "--ip",
                    "its lease's name in the data root is held by something that is not a file");
  for (const Lease& l : r.leases)
    if (l.ip == ip)
      throw bad_value(text, "--ip",
                      "already in use by container " + display_name(l) + " on network " + n.name);
  return ip;
}

uint32_t first_free(const Record& r) {
  const Network& n = r.network;
  std::set<uint32_t> used = r.blocked;
  used.insert(n.gateway);
  for (const Lease& l : r.leases) used.insert(l.ip);
  // 64 bits: the loops' ends may be 2^32 - 1, which a 32-bit counter would wrap past.
  const uint64_t low = uint64_t{n.subnet.network} + 1, high = uint64_t{n.subnet.broadcast()} - 1;
  // Up from the gateway first (.2 when it is .1, as docker), then below it: a gateway given
  // high (.254) does not leave the addresses under it unused.
  for (uint64_t ip = uint64_t{n.gateway} + 1; ip <= high; ++ip)
    if (!used.contains(static_cast<uint32_t>(ip))) return static_cast<uint32_t>(ip);
  for (uint64_t ip = low; ip < n.gateway; ++ip)
    if (!used.contains(static_cast<uint32_t>(ip))) return static_cast<uint32_t>(ip);
  throw Error("no free address in network " + n.name + " (" + n.subnet.text() + ")");
}

}  // namespace

std::optional<uint32_t> try_parse_ipv4(std::string_view text) {
  uint32_t ip = 0;
  for (int i = 0; i < 4; ++i) {
    // The last octet runs to the end: "1.2.3.4.5" leaves "4.5", which is no number.
    const size_t end = i < 3 ? text.find('.') : text.size();
    if (end == std::string_view::npos) return std::nullopt;
    const auto octet = parse_decimal(text.substr(0, end), 255);
    if (!octet) return std::nullopt;
    ip = ip << 8 | *octet;
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return ip;
}

uint32_t parse_ipv4(std::string_view text, std::string_view flag) {
  const auto ip = try_parse_ipv4(text);
  if (!ip) throw bad_value(text, flag, "not an IPv4 address");
  return *ip;
}

std::string format_ipv4(uint32_t ip) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
                ip & 255);
  return buf;
}

Subnet Subnet::parse(std::string_view text, std::string_view flag) {
  const size_t slash = text.find('/');
  std::optional<uint32_t> ip;
  std::optional<unsigned> prefix;
  if (slash != std::string_view::npos) {
    ip = try_parse_ipv4(text.substr(0, slash));
    prefix = parse_decimal(text.substr(slash + 1), 32);
  }
  if (!ip || !prefix) throw bad_value(text, flag, "not an IPv4 subnet such as 10.88.0.0/16");
  const Subnet s = of(*ip, static_cast<int>(*prefix));
  if (s.network != *ip)
    throw bad_value(text, flag, "host bits set (the subnet is " + s.text() + ")");
  return s;
}

Subnet Subnet::of(uint32_t ip, int prefix) {
  Subnet s{0, prefix};
  s.network = ip & s.mask();
  return s;
}

// A shift by 32 is undefined: /0 is spelled out.
uint32_t Subnet::mask() const { return prefix <= 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
uint32_t Subnet::broadcast() const { return network | ~mask(); }
std::string Subnet::text() const { return format_ipv4(network) + "/" + std::to_string(prefix); }
bool Subnet::contains(uint32_t ip) const { return (ip & mask()) == network; }
// Two CIDR blocks are nested or disjoint: they overlap when one holds the other's start.
bool Subnet::overlaps(const Subnet& other) const {
  return contains(other.network) || other.contains(network);
}

Mac mac_for(uint32_t ip) {
  return {0x02,
          0x42,
          static_cast<uint8_t>(ip >> 24),
          static_cast<uint8_t>(ip >> 16),
          static_cast<uint8_t>(ip >> 8),
          static_cast<uint8_t>(ip)};
}

std::string format_mac(const Mac& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

std::string Lease::cidr() const { return format_ipv4(ip) + "/" + std::to_string(prefix); }

std::string hosts_line(const Lease& lease) {
  std::string line = format_ipv4(lease.ip) + "\t" + lease.container_name;
  for (const auto& a : lease.aliases)
    if (a != lease.container_name) line += " " + a;
  return line;
}

bool valid_alias(std::string_view a) {
  return !a.empty() && a.size() <= 253 && is_alnum(a[0]) &&
         std::all_of(a.begin() + 1, a.end(),
                     [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

void check_alias(const std::string& alias, const std::string& flag) {
  if (!valid_alias(alias))
    throw Error("invalid value '" + alias + "' for " + flag +
                ": a network alias is [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 253 characters");
}

std::vector<Network> predefined_networks() {
  // The ids: sha256("mydocker pre-defined network " + name).
  std::vector<Network> out(2);
  out[0].name = out[0].driver = "host";
  out[0].id = "0cbc8c11e9486f5747795325a3b1495320ac2b16f8c30326e7b6bf04f7579e4e";
  out[1].name = "none";
  out[1].driver = "null";
  out[1].id = "35b8360a6558d2bdfa8594529dca0dc14c4c5974b4b24c390c107983f0ee66be";
  return out;
}

std::optional<Network> find_predefined(const std::string& ref) {
  for (auto& n : predefined_networks())
    if (n.name == ref || (!ref.empty() && n.id.rfind(ref, 0) == 0)) return n;
  return std::nullopt;
}

void to_json(json& j, const Network& n) {
  json options = json::object();
  if (!n.predefined()) options[kBridgeNameOption] = n.bridge;
  if (n.builtin()) options["com.docker.network.bridge.default_bridge"] = "true";
  const json config = {{"Subnet", n.subnet.text()}, {"Gateway", format_ipv4(n.gateway)}};
  j = json{{"Name", n.name},
           {"Id", n.id},
           {"Created", n.created},
           {"Scope", "local"},
           {"Driver", n.driver},
           {"EnableIPv6", false},
           {"IPAM",
            {{"Driver", "default"},
             {"Options", json::object()},
             {"Config", n.predefined() ? json::array() : json::array({config})}}},
           {"Internal", n.internal},
           {"Attachable", false},
           {"Ingress", false},
           {"ConfigFrom", {{"Network", ""}}},
           {"ConfigOnly", false},
           {"Containers", json::object()},
           {"Options", options},
           {"Labels", json::object()}};
}

void from_json(const json& j, Network& n) {
  n.name = j.at("Name").get<std::string>();
  n.id = j.at("Id").get<std::string>();
  n.created = j.value("Created", "");
  n.driver = j.value("Driver", "bridge");
  n.internal = j.value("Internal", false);
  const json& config = j.at("IPAM").at("Config").at(0);
  n.subnet = Subnet::parse(config.at("Subnet").get<std::string>(), "Subnet");
  n.gateway = parse_ipv4(config.at("Gateway").get<std::string>(), "Gateway");
  n.bridge = j.at("Options").at(kBridgeNameOption).get<std::string>();
}

json inspect_json(const Network& network, const std::vector<Lease>& leases) {
  json j = network;
  for (const Lease& l : leases)
    j["Containers"][l.container_id] = {{"Name", l.container_name},
                                       {"EndpointID", ""},
                                       {"MacAddress", format_mac(l.mac)},
                                       {"IPv4Address", l.cidr()},
                                       {"IPv6Address", ""}};
  return j;
}

void validate_network_name(const std::string& name) {
  if (!is_name(name))
    throw Error("invalid network name \"" + name +
                "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at most " +
                std::to_string(kMaxNameLength) + " characters");
  if (name == "host" || name == "none" || name == "container")
    throw Error("network name \"" + name + "\" is reserved: it is a network mode of --net");
  if (name == kDefaultNetwork)
    throw Error("network name \"" + name + "\" is reserved for the built-in network");
}

NetworkStore::NetworkStore(std::string data_root) : dir_(std::move(data_root) + "/networks") {}

NetworkStore::Lock::Lock(NetworkStore& store) : store_(&store) {
  if (store.lock_depth_++ > 0) return;  // this object holds it already
  try {
    make_dirs(store.dir_, 0700);
    const std::string path = store.dir_ + "/.lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) throw SysError(errno, "cannot open " + path);
    while (::flock(fd.get(), LOCK_EX) != 0)
      if (errno != EINTR) throw SysError(errno, "cannot lock " + path);
    store.lock_fd_ = std::move(fd);
  } catch (...) {
    --store.lock_depth_;
    throw;
  }
}

NetworkStore::Lock::~Lock() {
  if (!store_ || --store_->lock_depth_ > 0) return;
  // Unlocked before the close: a child forked meanwhile (a supervisor that never execs) shares
  // the open file, and a close alone would leave the lock held until that child exits.
  ::flock(store_->lock_fd_.get(), LOCK_UN);
  store_->lock_fd_.reset();
}

Network NetworkStore::create(const std::string& name, std::optional<Subnet> subnet,
                             std::optional<uint32_t> gateway, bool internal,
                             const std::vector<Subnet>& taken) {
  validate_network_name(name);
  if (gateway && !subnet)
    throw Error("--gateway " + format_ipv4(*gateway) + " needs --subnet: the subnet it is in");
  Lock held(*this);
  return create_locked(name, subnet, gateway, internal, taken);
}

Network NetworkStore::ensure_default(const std::vector<Subnet>& taken) {
  Lock held(*this);
  if (auto r = load(dir_, kDefaultNetwork)) return r->network;
  return create_locked(kDefaultNetwork, std::nullopt, std::nullopt, false, taken);
}

Network NetworkStore::create_locked(const std::string& name, std::optional<Subnet> subnet,
                                    std::optional<uint32_t> gateway, bool internal,
                                    const std::vector<Subnet>& taken) {
  const std::vector<Record> existing = load_all(dir_);
  for (const Record& r : existing)
    if (r.network.name == name) throw Error("network with name " + name + " already exists");
  Network n;
  n.name = name;
  n.internal = internal;
  n.created = now_rfc3339();
  n.subnet = subnet ? checked_subnet(*subnet, existing, taken) : pool_subnet(name, existing, taken);
  n.gateway = gateway ? checked_gateway(*gateway, n.subnet) : n.subnet.network + 1;
  // Eight hex digits of the id name the device; two networks sharing them would share a bridge,
  // so another id is drawn (one in four billion).
  auto bridge_used = [&](const std::string& bridge) {
    return std::any_of(existing.begin(), existing.end(),
                       [&](const Record& r) { return r.network.bridge == bridge; });
  };
  do {
    n.id = new_container_id();
    n.bridge = n.builtin() ? kDefaultBridge : kBridgePrefix + n.id.substr(0, 8);
  } while (!n.builtin() && bridge_used(n.bridge));
  remove_leases(dir_, name);  // a killed `network rm`'s: not this network's
  save(dir_, n);
  return n;
}

bool NetworkStore::has(const std::string& name) const {
  return is_name(name) && ::access(record_path(dir_, name).c_str(), F_OK) == 0;
}

std::optional<Network> NetworkStore::get(const std::string& name_or_id) const {
  auto r = resolve(dir_, name_or_id);
  if (!r) return std::nullopt;
  return std::move(r->network);
}

std::vector<Network> NetworkStore::list() const {
  std::vector<Network> out;
  for (Record& r : load_all(dir_)) out.push_back(std::move(r.network));
  return out;
}

Network NetworkStore::remove(const std::string& name_or_id) {
  Lock held(*this);
  const Record r = resolve_existing(dir_, name_or_id);
  if (r.network.builtin())
    throw Error(r.network.name + " is a pre-defined network and cannot be removed");
  if (!r.leases.empty()) {
    std::string names;
    for (const Lease& l : r.leases) names += (names.empty() ? "" : ", ") + display_name(l);
    throw Error("network " + r.network.name + " has active endpoints: " + names);
  }
  unlink_record(dir_, r.network.name);
  return r.network;
}

std::vector<std::string> NetworkStore::prune() {
  Lock held(*this);
  std::vector<std::string> removed;
  for (const Record& r : load_all(dir_)) {
    if (r.network.builtin() || !r.leases.empty()) continue;
    unlink_record(dir_, r.network.name);
    removed.push_back(r.network.name);
  }
  return removed;  // load_all's order: by name
}

Lease NetworkStore::allocate(const std::string& network, const std::string& container_id,
                             const std::string& container_name, std::optional<uint32_t> requested,
                             const std::vector<std::string>& aliases) {
  Lock held(*this);
  Record r = resolve_existing(dir_, network);
  migrate(dir_, r);
  for (const Lease& l : r.leases) {
    if (l.container_id != container_id) continue;
    if (requested && *requested != l.ip)
      throw bad_value(format_ipv4(*requested), "--ip",
                      "the container has " + format_ipv4(l.ip) + " on network " + r.network.name);
    return l;
  }
  const uint32_t ip = requested ? checked_request(*requested, r) : first_free(r);
  Lease lease = make_lease(r.network, container_id, container_name, ip, aliases);
  write_lease(dir_, lease);
  return lease;
}

namespace {

void release_in(const std::string& dir, Record& r, const std::string& container_id) {
  if (std::none_of(r.leases.begin(), r.leases.end(),
                   [&](const Lease& l) { return l.container_id == container_id; }))
    return;
  migrate(dir, r);
  for (const Lease& l : r.leases)
    if (l.container_id == container_id) unlink_lease(dir, l);
}

}  // namespace

std::vector<Lease> NetworkStore::rename_leases(const std::string& container_id,
                                               const std::string& name) {
  Lock held(*this);
  std::vector<Lease> before = leases_of(container_id);
  for (Lease l : before) {
    Record r = resolve_existing(dir_, l.network);
    migrate(dir_, r);
    l.container_name = name;
    write_lease(dir_, l);
  }
  return before;
}

void NetworkStore::release(const std::string& network, const std::string& container_id) {
  Lock held(*this);
  auto r = resolve(dir_, network);
  if (r) release_in(dir_, *r, container_id);
}

void NetworkStore::release_all(const std::string& container_id) {
  Lock held(*this);
  for (Record& r : load_all(dir_)) release_in(dir_, r, container_id);
}

std::vector<Lease> NetworkStore::leases(const std::string& network) const {
  auto r = resolve(dir_, network);
  return r ? std::move(r->leases) : std::vector<Lease>{};
}

std::vector<Lease> NetworkStore::leases_of(const std::string& container_id) const {
  std::vector<Lease> out;
  for (const Record& r : load_all(dir_))
    for (const Lease& l : r.leases)
      if (l.container_id == container_id) out.push_back(l);
  return out;
}

std::vector<Lease> NetworkStore::stale(
    const std::function<bool(const std::string& container_id)>& alive) const {
  std::vector<Lease> out;
  for (const Record& r : load_all(dir_))
    for (const Lease& l : r.leases)
      if (!alive(l.container_id)) out.push_back(l);
  return out;
}

}  // namespace mydocker::net
