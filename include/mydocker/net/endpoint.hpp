#pragma once
// A container on a bridge network (`run --net bridge|NAME`, `-p`): what its run plans (an
// address leased in the data root, host ports chosen), what each start makes (the bridge and
// mydocker's nftables table on first use, a veth pair with its container end as eth0 in the
// container's network namespace, the address, the default route, the published ports), and what
// each stop and the container's removal take away. Every kernel change is traced as the `ip` or
// `nft` command a learner could type.
//
//   host netns:  mydocker0 (10.88.0.1/16) ── mdv<id> ═══ veth ═══ eth0 (10.88.0.2/16) :container
//                nft table ip mydocker: masquerade 10.88.0.0/16, DNAT HOSTPORT -> 10.88.0.2:PORT

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/net/firewall.hpp"
#include "mydocker/net/ipam.hpp"
#include "mydocker/util/fd.hpp"

namespace mydocker::net {

struct Endpoint {
  Network network;
  Lease lease;
  std::vector<PortMapping> ports;
  std::string veth;  // the host end: "mdv" + the container's first 8 hex digits
  // The container's end: eth0 for the network it was run on (the primary: its default route
  // and its published ports); eth1... for those `network connect` added (no route, no ports).
  std::string ifname = "eth0";
  bool primary = true;
  std::string ip() const { return format_ipv4(lease.ip); }
};

// --net NAME (or "bridge"), --ip, -p, --network-alias: leases the address (persisted) and
// checks the ports. Throws Error naming the flag; nothing is kept on failure.
Endpoint plan_endpoint(const std::string& data_root, const std::string& network,
                       const std::string& requested_ip, const std::vector<std::string>& publish,
                       const std::string& container_id, const std::string& container_name,
                       const std::vector<std::string>& aliases = {});
// Into and out of config.json (for `port`, `inspect`, removal).
nlohmann::json endpoint_json(const Endpoint& e);
std::optional<Endpoint> endpoint_from_json(const nlohmann::json& j);
// The endpoints `network connect` added, from networks.json's list (ContainerDir::
// extra_networks); entries that are not what connect writes are skipped.
std::vector<Endpoint> extra_endpoints(const nlohmann::json& list);

// The host end of a container's veth pair: "mdv" and the first 8 digits of its id; for its
// `index`th network (network connect: 1, 2...) "x" and the index after that (mdv0123abcdx1).
std::string veth_name(const std::string& container_id, int index = 0);
// The container id's first 8 digits a veth of ours names ("" for another link's name).
std::string veth_owner(const std::string& link);
// `network connect`: an address leased on `network` for its `index`th extra endpoint (eth<N>,
// veth mdv<id>x<N>; no route, no ports). Throws Error naming the flag (--ip) or the network.
Endpoint plan_extra_endpoint(const std::string& data_root, const std::string& network,
                             const std::string& requested_ip, const std::string& container_id,
                             const std::string& container_name, int index,
                             const std::vector<std::string>& aliases = {});
// At each start, the addresses of the networks `network connect` added leased again (kept when
// held; a failed first start gave them back): Error when another container took one meanwhile.
void lease_again(const std::string& data_root, const std::string& container_id,
                 const std::vector<Endpoint>& extras);
// `network disconnect` of a running container: its veth pair (the host end; eth<N> goes with
// it). Throws SysError; no error when it is gone already.
void remove_veth(const Endpoint& e);
// Before the container's command runs: bridge (first use), veth, eth0's address and route,
// ports, in the init's network namespace (it is born in it: see runtime/spawn.cpp). Throws
// Error; what it made is undone by disconnect(). `veth_made`: the pair exists already (eth0
// in the init's namespace, bare: net/netns.hpp), and is finished instead of made.
void connect(const std::string& data_root, const Endpoint& e, pid_t init_pid,
             bool veth_made = false);
// --dry-run: what connect() would do, as trace lines with $PID and $IP; nothing is leased or
// made. Throws Error for a network that does not exist or a bad -p.
void trace_connect(const std::string& data_root, const std::string& network,
                   const std::vector<std::string>& publish, const std::string& container_id);
// After each run: the published ports (the veth pair dies with the namespace). Never throws.
void disconnect(const Endpoint& e) noexcept;
// At the container's removal: its address goes back to the pool. Never throws.
void release(const std::string& data_root, const std::string& container_id) noexcept;
// The subnets the host already routes (a new network must not collide with them).
std::vector<Subnet> host_subnets();
// The "IP\tNAME" lines of a container's peers on `e`'s network (none on the built-in network,
// where names do not resolve).
std::vector<std::string> peer_lines(const std::string& data_root, const Endpoint& e);
// A run's guard while its veth may exist before its lease and record (net/netns.hpp makes it
// while the run is planned): a shared lock that prune_network_leftovers leaves the veths alone
// under. Empty when it cannot be taken (the run then makes its veth later, in connect()).
UniqueFd hold_early_veths(const std::string& data_root);
// prune: leases of containers that are gone (`alive(id)`: its record exists), veths (mdv*) of
// containers not running (`running(id)`), published ports to no leased address. Returns what
// was removed, for the user.
std::vector<std::string> prune_network_leftovers(
    const std::string& data_root, const std::function<bool(const std::string&)>& alive,
    const std::function<bool(const std::string&)>& running);

}  // namespace mydocker::net
