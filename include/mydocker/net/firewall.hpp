#pragma once
// mydocker's firewall: one nftables table of its own, `ip mydocker`, whose rules never change
// after it is made; networks and published ports are elements of its sets and maps, added and
// deleted one by one (atomic, no rule handles to track, nothing of anyone else's touched):
//
//   all_nets, nat_nets (sets of subnets)   every network's subnet; the ones masqueraded
//   bridges, internal  (sets of devices)   traffic between two bridges is dropped (networks are
//                                          isolated); an --internal bridge forwards nothing
//   ports_any, ports_ip (maps)             -p: [host address .] protocol . port -> container
//                                          address . port, DNAT'd in prerouting (from outside)
//                                          and output (from the host itself, localhost too)
//
// The table is made with Debian's `nft` (nftables) through `nft -f -`, once per host: its ruleset
// language is what the --trace lines show, so a learner can type them (libnftables would do it
// in-process but has no static library). A run's own changes, the published ports, go straight
// to the kernel over netlink (netlink.hpp's NfTables), traced as the `nft` lines that do the
// same: starting nft twice per run cost 20-50 ms.

#include <cstdint>
#include <string>
#include <vector>

#include "mydocker/net/netlink.hpp"

namespace mydocker::net {

struct PortMapping {
  std::string host_ip;  // "" = every address of the host
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  std::string proto = "tcp";  // "tcp" or "udp"
  bool operator==(const PortMapping&) const = default;
  // docker's form: "0.0.0.0:8080->80/tcp"
  std::string text(const std::string& container_ip = "") const;
};

// -p [HOSTIP:]HOSTPORT:CTRPORT[/PROTO], HOSTIP::CTRPORT (a free port), CTRPORT (a free port),
// ranges (8080-8081:80-81). Throws Error naming -p and the value.
std::vector<PortMapping> parse_publish(const std::string& spec);
// Host ports 0 become free ports of the host (bind to port 0); a port already in use by a
// socket of the host is an Error ("port is already allocated").
void choose_host_ports(std::vector<PortMapping>& ports);

// Where nft is ("" when it is not installed).
std::string nft_path();

// The table's definition (for --trace and tests).
std::string table_script();

class Firewall {
 public:
  // Makes the table when it is missing, or makes an older mydocker's rules current. Call under
  // the networks' lock (two makers would add its rules twice). true: made new (empty sets: a
  // firewall reload or `nft flush ruleset` took the old one, or it is the first).
  bool ensure_table() const;
  // The table, with the current rules.
  [[nodiscard]] bool has_table() const;
  void add_network(const std::string& subnet, const std::string& bridge, bool internal) const;
  void remove_network(const std::string& subnet, const std::string& bridge, bool internal) const;
  // Throws Error "port is already allocated" when another container published the same one.
  void publish(const std::string& container_ip, const std::vector<PortMapping>& ports) const;
  void unpublish(const std::vector<PortMapping>& ports) const;  // never throws
  // The published ports' targets, for prune: "10.88.0.2" per element, with its key.
  struct Published {
    PortMapping port;
    std::string container_ip;
  };
  std::vector<Published> published() const;
  // Runs `nft -f -` with `script` (lines of nft commands); throws Error with nft's message.
  static void apply(const std::string& script);

 private:
  static void run_script(const std::string& script, bool as_commands);
  // Deletes `elements` from `map` in one batch; false when the kernel refused (one missing).
  static bool nft_delete(NfTables& nft, const std::string& map,
                         const std::vector<NfTables::Element>& elements,
                         const std::string& command = "");
};

}  // namespace mydocker::net
