#pragma once
// rtnetlink by hand (no libnl): links (bridges, veth pairs), IPv4 addresses and routes, the way
// `ip link`, `ip addr` and `ip route` do them.
//
// One Netlink object owns one NETLINK_ROUTE socket. A netlink socket belongs to the network
// namespace it was created in for its whole life, so a socket made inside a container's
// namespace (in_namespace) configures that namespace, whatever namespace the process is in later.
//
// Every call that changes the kernel first prints its `ip` equivalent through trace::emit, then
// sends one request with NLM_F_ACK and waits for the kernel's answer. A refusal throws SysError
// "<the ip command>: <the kernel's explanation, when it gives one>: <strerror>", e.g.
// "ip link add mydocker0 type bridge: File exists", with the kernel's errno in err().

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/util/fd.hpp"

namespace mydocker::net {

class Netlink {
 public:
  // A socket in the caller's network namespace.
  Netlink();
  // A socket inside the network namespace `netns_fd` (an open /proc/PID/ns/net): the calling
  // thread enters it, makes the socket, and goes back (the process must be single-threaded, or
  // at least nothing else may rely on this thread's namespace meanwhile). `label` names that
  // namespace in trace lines: "/proc/1234/ns/net" prints them as
  // "nsenter --net=/proc/1234/ns/net ip link set eth0 up"; empty prints bare `ip` lines.
  // Throws SysError.
  [[nodiscard]] static Netlink in_namespace(int netns_fd, const std::string& label = "");

  Netlink(Netlink&&) noexcept = default;
  Netlink& operator=(Netlink&&) noexcept = default;
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  // The link's ifindex; 0 when there is no such link.
  [[nodiscard]] int index(const std::string& link) const;
  [[nodiscard]] bool exists(const std::string& link) const;
  // The link's MTU. Throws SysError (ENODEV) when there is no such link.
  [[nodiscard]] int mtu(const std::string& link) const;
  // The names of all links, in ifindex order.
  [[nodiscard]] std::vector<std::string> links() const;

  // ip link add NAME [mtu MTU] type bridge (mtu <= 0: the kernel's default).
  void create_bridge(const std::string& name, int mtu);
  // ip link add NAME [mtu MTU] type veth peer name PEER [mtu MTU] [netns NS]. With
  // peer_netns_fd >= 0 the peer is created directly inside that namespace (it never exists in
  // this one); peer_netns_label is how trace lines name it (default: /proc/<our pid>/fd/<fd>).
  void create_veth(const std::string& name, const std::string& peer, int mtu,
                   int peer_netns_fd = -1, const std::string& peer_netns_label = "");
  // A pair in one request (one rtnl round trip instead of ten):
  //   ip link add NAME mtu MTU [master BRIDGE] [up] type veth peer name PEER mtu MTU address MAC
  //     netns NS
  // (the peer is set up afterwards: the kernel cannot open it before the pair exists). A
  // container's pair is made bare (no master, down) and finished by finish_veth, as the one
  // the early helper makes (net/netns.hpp).
  struct VethPair {
    std::string name, peer;
    int mtu = 0;
    int master_index = 0;  // the bridge's ifindex (0: none)
    std::string master;    // its name, for the trace line
    bool up = false;       // the first end
    std::optional<std::array<uint8_t, 6>> peer_mac;
    int peer_netns_fd = -1;
    std::string peer_netns_label;
  };
  void create_veth(const VethPair& pair);
  // A container's pair made ahead by the helper that makes its network namespace (which can
  // only make raw system calls, net/netns.hpp): the request it sends from inside that
  // namespace, making `inside` there and its peer `outside` in the one `outside_netns_fd` names.
  static std::vector<char> veth_request(const std::string& inside, const std::string& outside,
                                        int outside_netns_fd);
  // Finishes a bare pair (pair.name on this side, pair.peer in `peer_side`'s namespace): this
  // end's MTU, master, addrgenmode none (no IPv6 address on a bridge port; left out where the
  // link has no IPv6) and up in one request, the peer's MTU, MAC and up (pair.up: both ends) in
  // another. Throws SysError (ENODEV when the pair is gone).
  void finish_veth(const VethPair& pair, Netlink& peer_side);
  // ip link set LINK master BRIDGE
  void set_master(const std::string& link, const std::string& bridge);
  // Hairpin mode on a bridge port (`ip link set PORT type bridge_slave hairpin on`).
  void set_hairpin(const std::string& port);
  // ip link set LINK up
  void set_up(const std::string& link);
  // ip link set LINK name NEW_NAME (the link must be down: the kernel says EBUSY otherwise).
  void rename(const std::string& link, const std::string& new_name);
  // ip link set LINK address aa:bb:cc:dd:ee:ff
  void set_mac(const std::string& link, const std::array<uint8_t, 6>& mac);
  // ip addr add IPV4/PREFIX brd + dev LINK (brd + only up to /30, as ip does).
  void add_address(const std::string& link, const std::string& ipv4, int prefix);
  // ip route add default via GATEWAY (the kernel picks the device whose subnet holds it).
  void add_default_route(const std::string& gateway_ipv4);
  // ip link del LINK; nothing (and no trace line) when there is no such link. Deleting one end
  // of a veth pair deletes both.
  void delete_link(const std::string& link);

  struct Route {
    std::string dst;      // "10.88.0.0"; "0.0.0.0" for the default route
    int prefix = 0;       // 16; 0 for the default route
    std::string gateway;  // "" for a directly connected subnet
    std::string dev;      // "" when the route has no device (blackhole, unreachable)
    int mtu_of_dev = 0;   // the device's MTU (0 without a device), not the route's own mtu
  };
  // The main table's IPv4 routes, of every type (a blackhole route takes a subnet too).
  [[nodiscard]] std::vector<Route> routes_v4() const;

 private:
  Netlink(UniqueFd socket, std::string label);
  // "ip ARGS" as a trace line prints it: prefixed with nsenter when the socket lives in another
  // namespace that has a label.
  std::string ip(const std::string& args) const;

  UniqueFd socket_;
  std::string label_;  // the namespace, for trace lines
  mutable uint32_t seq_ = 0;
};

// nf_tables through netlink (NETLINK_NETFILTER), as `nft` itself talks to the kernel: the
// elements of a set or map of an `ip` family table, changed in one batch (all or none), without
// starting the nft program (10-20 ms a run). The tables themselves are made with nft
// (firewall.cpp).
class NfTables {
 public:
  NfTables();   // a socket in the caller's network namespace; throws SysError
  ~NfTables();  // hands the socket to a closer (util/closer.hpp) once it was used
  // The process's socket, opened on first use and kept: one close per process, not one per
  // change. release_shared() closes it (a supervisor, once its ports are unpublished).
  static NfTables& shared();
  static void release_shared() noexcept;
  NfTables(const NfTables&) = delete;
  NfTables& operator=(const NfTables&) = delete;
  // An element: its key and, in a map, its data, as the kernel keeps them (each part of a
  // concatenation in network byte order, padded to 4 bytes).
  struct Element {
    std::string key, data;
  };
  [[nodiscard]] bool has_table(const std::string& table) const;
  // false also when the table is missing.
  [[nodiscard]] bool has_chain(const std::string& table, const std::string& chain) const;
  // Whether the set holds `key` (NFT_MSG_GETSETELEM of one key); false without the table.
  [[nodiscard]] bool has_element(const std::string& table, const std::string& set,
                                 const std::string& key) const;
  // Every key of the set (a dump); none without the table.
  [[nodiscard]] std::vector<std::string> keys(const std::string& table,
                                              const std::string& set) const;
  // add: `nft create element` (EEXIST when a key is there); else `nft delete element` (ENOENT
  // when one is missing). `command` is the trace line and names a refusal: SysError with the
  // kernel's errno.
  void change(bool add, const std::string& table, const std::string& set,
              const std::vector<Element>& elements, const std::string& command);

 private:
  UniqueFd socket_;
  mutable uint32_t seq_ = 0;
  pid_t owner_;  // a forked copy of us only closes its reference
  mutable bool used_ = false;
};

}  // namespace mydocker::net
