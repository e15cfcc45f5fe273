#pragma once
// `mydocker network create|ls|inspect|rm|prune` and `mydocker port`: networks live in the data
// root (net/ipam.hpp); a network's bridge and firewall elements are made on its first use by a
// container (net/endpoint.hpp) and taken away with the network.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/net/ipam.hpp"
#include "mydocker/store/store.hpp"

namespace mydocker {

net::Network network_create(const std::string& data_root, const std::string& name,
                            const std::string& subnet, const std::string& gateway, bool internal);
// Every network, the built-in `bridge` first made if missing.
std::vector<net::Network> network_list(const std::string& data_root);
// `store`: the containers, for the pre-defined networks' Containers (see predefined_inspect).
nlohmann::json network_inspect(const std::string& data_root, const Store& store,
                               const std::string& name);
// host or none as docker inspects it: Containers lists the running containers in that network
// mode (--net host, --net none: mydocker's default), without addresses.
nlohmann::json predefined_inspect(const Store& store, const net::Network& n);
// Refused while containers use it; its bridge device and firewall elements go with it.
net::Network network_remove(const std::string& data_root, const std::string& name);
// The networks no container uses go (the built-in one stays); returns them.
std::vector<net::Network> network_prune(const std::string& data_root);
// `network connect [--ip IP] [--alias NAME]... NETWORK CONTAINER`: an address on one more
// network (eth1, eth2...; no route, no ports), made at once in a running container and at each
// start; the peers there resolve its name (and its aliases) and it resolves theirs. Refused
// (Error) for a container without a network of its own (--net none, host, container:), for a
// network it is on already, and for aliases on the built-in network (docker's rule).
void network_connect(const Store& store, const std::string& network, const std::string& ref,
                     const std::string& ip, const std::vector<std::string>& aliases = {});
// `network disconnect NETWORK CONTAINER`: one that `network connect` added goes (its veth at
// once, its address, its name from its peers'); the network it was run on stays (Error).
void network_disconnect(const Store& store, const std::string& network, const std::string& ref);
// `port CONTAINER`: "80/tcp -> 0.0.0.0:8080" lines.
// `port CONTAINER [PORT[/PROTO]]`: every mapping ("80/tcp -> 0.0.0.0:8080"), or the host
// addresses of one container port ("0.0.0.0:8080"; exit 1 when it is not published).
std::vector<std::string> container_ports(const Store& store, const std::string& ref,
                                         const std::string& which = "");

}  // namespace mydocker
