#pragma once
// Networks and their addresses (IPAM): what `network create/ls/inspect/rm/prune` and
// `run --net NAME --ip IP` decide, and its persistence. Pure logic and files, no kernel calls:
// the caller makes the bridges and veths from what this returns.
//
//   <data_root>/networks/<name>.json   one network, in `docker network inspect`'s shape, without
//                                      its "Containers": written once, when it is made
//   <data_root>/networks/<name>.leases/<a.b.c.d>
//                                      one lease per file, named by its address, holding
//                                      {"Id", "Name"} of its container; each appears whole
//                                      (written aside, renamed to its new name) and goes with an
//                                      unlink. A lease costs no rewrite of the network's file:
//                                      renaming over an existing file makes ext4 start writing
//                                      it back at once (auto_da_alloc), 0.2 ms twice a run.
//                                      (Leases of an older data root, in the network's file's
//                                      "Containers", are moved to files at its next change.)
//   <data_root>/networks/.lock         flock'ed (exclusive) around every change
//
// Addresses are IPv4 in host byte order (10.88.0.1 = 0x0a580001), so that arithmetic on them
// (the next address, a mask) reads as arithmetic.

#include <array>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mydocker/util/fd.hpp"

namespace mydocker::net {

// The built-in network `run` uses without --net, and its bridge device.
inline constexpr const char* kDefaultNetwork = "bridge";
inline constexpr const char* kDefaultBridge = "mydocker0";

// "10.88.0.1" -> 0x0a580001: four decimal octets, nothing else. nullopt when it is not one.
std::optional<uint32_t> try_parse_ipv4(std::string_view text);
// The same, throwing Error "invalid value 'TEXT' for FLAG: not an IPv4 address".
uint32_t parse_ipv4(std::string_view text, std::string_view flag);
std::string format_ipv4(uint32_t ip);

struct Subnet {
  uint32_t network = 0;  // host bits zero
  int prefix = 0;        // 0..32

  // "10.88.0.0/16". Host bits set ("10.88.0.5/16") are refused, as docker does, with the
  // subnet meant in the message. Throws Error "invalid value 'TEXT' for FLAG: ...".
  static Subnet parse(std::string_view text, std::string_view flag = "--subnet");
  // The subnet of `prefix` bits holding `ip` (a route's destination, host bits dropped).
  static Subnet of(uint32_t ip, int prefix);

  uint32_t mask() const;
  uint32_t broadcast() const;  // the last address
  std::string text() const;    // "10.88.0.0/16"
  bool contains(uint32_t ip) const;
  bool overlaps(const Subnet& other) const;
  bool operator==(const Subnet&) const = default;
};

using Mac = std::array<uint8_t, 6>;
// docker's scheme: 02:42 and the four bytes of the address, so that a container's MAC follows
// from its address and two containers never share one.
Mac mac_for(uint32_t ip);
std::string format_mac(const Mac& mac);  // "02:42:0a:58:00:02"

struct Network {
  std::string name;
  std::string id;  // 64 random hex digits
  std::string driver = "bridge";
  std::string bridge;  // the device: kDefaultBridge for the built-in, else "mdbr-" + id[0:8]
  Subnet subnet;
  uint32_t gateway = 0;  // the bridge's address
  bool internal = false;
  std::string created;  // RFC 3339, UTC

  bool builtin() const { return name == kDefaultNetwork; }
  // docker's pre-defined `host` (driver host) and `none` (driver null): the network modes
  // --net host and --net none, listed and inspected like networks, never stored (no subnet).
  bool predefined() const { return driver == "host" || driver == "null"; }
};

// The pre-defined networks: host and none. Their ids are fixed (sha256 of a text naming them:
// the same on every host; docker's are random per daemon).
std::vector<Network> predefined_networks();
// The one `ref` names (its name, or a prefix of its id: look in the store first), if any.
std::optional<Network> find_predefined(const std::string& ref);

// `docker network inspect`'s shape: Name, Id, Created, Scope, Driver, EnableIPv6,
// IPAM{Driver, Config[{Subnet, Gateway}]}, Internal, Attachable, Ingress, Containers (empty
// here), Options{"com.docker.network.bridge.name"}, Labels. from_json reads what to_json writes for
// a stored (bridge) network and ignores Containers; throws nlohmann::json::exception on a missing
// member.
void to_json(nlohmann::json& j, const Network& n);
void from_json(const nlohmann::json& j, Network& n);

// A container's address on one network.
struct Lease {
  std::string network;  // the network's name
  std::string container_id;
  std::string container_name;
  uint32_t ip = 0;
  Mac mac{};
  int prefix = 0;        // the network's, for the container's address (10.88.0.2/16)
  uint32_t gateway = 0;  // the container's default route, unless the network is internal
  // --network-alias / network connect --alias: more names it has on this network (its peers'
  // /etc/hosts lists them beside its name). Only names that pass check_alias.
  std::vector<std::string> aliases;

  std::string cidr() const;  // "10.88.0.2/16", docker's IPv4Address
};

// The /etc/hosts line that names a container to its peers: "IP\tNAME ALIAS...".
std::string hosts_line(const Lease& lease);
// A network alias as a name other containers resolve: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 253
// characters (a DNS name's), so that it is one word of an /etc/hosts line. Throws Error naming
// `flag` (--network-alias, --alias).
void check_alias(const std::string& alias, const std::string& flag);
bool valid_alias(std::string_view alias);

// A network as inspect shows it: to_json(network) with Containers{id: {Name, EndpointID,
// MacAddress, IPv4Address, IPv6Address}} filled from its leases.
nlohmann::json inspect_json(const Network& network, const std::vector<Lease>& leases);

// Docker's rule for network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters, and not
// a network mode (host, none, container) or the built-in network's name. Throws Error.
void validate_network_name(const std::string& name);

class NetworkStore {
 public:
  explicit NetworkStore(std::string data_root);

  // The networks' lock, held until the guard is gone. Every change below takes it itself; hold
  // it across several steps that must not interleave with another process (the firewall table
  // made once, a network created and its bridge set up). Reentrant within this object (not
  // across objects of one process: flock is per open file); one object per thread.
  class Lock {
   public:
    explicit Lock(NetworkStore& store);
    Lock(Lock&& other) noexcept : store_(std::exchange(other.store_, nullptr)) {}
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    Lock& operator=(Lock&&) = delete;
    ~Lock();

   private:
    NetworkStore* store_;
  };
  [[nodiscard]] Lock lock() { return Lock(*this); }

  // `network create`. Refuses a bad or duplicate name, --gateway without --subnet, a subnet
  // smaller than /30 or overlapping another network's or one of `taken` (the host's routes,
  // other runtimes' networks: the caller's view; /0, the default route, never conflicts), a
  // gateway outside the subnet or equal to its first or last address. Without a subnet: the
  // first free /16 of 10.88-10.255, then 172.18-172.31 (never docker's 172.17.0.0/16), then
  // 192.168.N.0/20. The gateway defaults to the subnet's first host (.1).
  Network create(const std::string& name, std::optional<Subnet> subnet,
                 std::optional<uint32_t> gateway, bool internal, const std::vector<Subnet>& taken);
  // The built-in "bridge" network (device mydocker0), created on first use by create's rules.
  Network ensure_default(const std::vector<Subnet>& taken);

  // By exact name, else by full id or unique id prefix (as docker resolves `network inspect
  // ID`). Throws Error when a prefix matches several networks.
  std::optional<Network> get(const std::string& name_or_id) const;
  // Whether a network of that exact name is stored: one stat, nothing parsed (a run's start).
  bool has(const std::string& name) const;
  std::vector<Network> list() const;  // by name
  // `network rm`: refused (Error) for a missing network, the built-in one, and one with leases
  // ("network NAME has active endpoints: c1, c2"). Returns what was removed: its bridge device
  // and subnet are the caller's to tear down.
  Network remove(const std::string& name_or_id);
  // `network prune`: every network but the built-in one without leases; their names, sorted.
  std::vector<std::string> prune();

  // The lowest free address after the gateway (then wrapping round below it), never the
  // network's first or last address or its gateway; or `requested` (--ip), which must be in
  // the subnet and free (Error naming --ip and the value). Persisted before it returns. A
  // container that already holds an address on the network gets it back (a restart keeps its
  // address). Error "no free address in network NAME (SUBNET)" when the subnet is full.
  // `aliases` are kept with a new lease (a held one keeps its own).
  Lease allocate(const std::string& network, const std::string& container_id,
                 const std::string& container_name, std::optional<uint32_t> requested = {},
                 const std::vector<std::string>& aliases = {});
  // Frees the container's address; nothing to do (no error) when it has none or the network
  // is gone.
  void release(const std::string& network, const std::string& container_id);
  // Frees the container's addresses on every network (its removal).
  void release_all(const std::string& container_id);
  // `rename`: its leases name it `name` from now on (what newcomers' /etc/hosts list, and what
  // its removal takes out of its peers'). Returns them as they were.
  std::vector<Lease> rename_leases(const std::string& container_id, const std::string& name);

  std::vector<Lease> leases(const std::string& network) const;          // by address
  std::vector<Lease> leases_of(const std::string& container_id) const;  // by network name
  // Leases of containers that `alive` says are gone (killed -9, a reboot: the data root
  // outlives the state root), for prune to release.
  std::vector<Lease> stale(const std::function<bool(const std::string& container_id)>& alive) const;

  const std::string& dir() const { return dir_; }

 private:
  Network create_locked(const std::string& name, std::optional<Subnet> subnet,
                        std::optional<uint32_t> gateway, bool internal,
                        const std::vector<Subnet>& taken);

  std::string dir_;  // <data_root>/networks
  UniqueFd lock_fd_;
  int lock_depth_ = 0;
};

}  // namespace mydocker::net
