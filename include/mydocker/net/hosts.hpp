#pragma once
// Names on a user-defined network: every container's /etc/hosts (a file of its own that it
// bind-mounts) lists the containers on its networks. A newcomer is announced to those already
// there (a line appended); a removed container is retracted (its line taken out). Both edit the
// files in place, so the bind mounts see them, under the networks' lock, so that an
// announcement and a retraction never interleave. (docker does this with an embedded DNS
// server; these files are what docker did before it, and need no process per network.)

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "mydocker/net/endpoint.hpp"

namespace mydocker::net {

// The host-side path of a container's /etc/hosts ("" when it has none, or is not ours).
using HostsFileOf = std::function<std::string(const std::string& container_id)>;

// Where a container's config.json (run.cpp's config_for) keeps its hosts file: "" for none.
std::string hosts_file_in(const nlohmann::json& config);

// "IP\tNAME" appended to the /etc/hosts of every other container leased on `network`, and theirs
// to the container's own, under the networks' lock, each line once: concurrent runs on one
// network each end with every peer's line exactly once, whatever order their files and
// announces came in.
void announce_peer(const std::string& data_root, const std::string& network,
                   const std::string& container_id, const std::string& line,
                   const HostsFileOf& hosts_of) noexcept;
// Every line equal to `line` taken out of those files.
void retract_peer(const std::string& data_root, const std::string& network,
                  const std::string& container_id, const std::string& line,
                  const HostsFileOf& hosts_of) noexcept;
// `rename`: its leases take the new name, and in its peers' /etc/hosts and its own (it lists
// itself) the line with the name it had becomes one with the new name.
void rename(const std::string& data_root, const std::string& container_id, const std::string& name,
            const HostsFileOf& hosts_of);
// A container leaves its networks for good (rm, --rm, prune): its name out of its peers'
// /etc/hosts on `e`'s network and on those `network connect` added (`extras`: retract_names),
// then its addresses back to the pools (release).
void forget(const std::string& data_root, const Endpoint& e, const std::string& container_id,
            const HostsFileOf& hosts_of, const std::vector<Endpoint>& extras = {}) noexcept;
// The container's name out of its peers' files on each of `endpoints`' user-defined networks:
// the name its lease there holds (rename keeps it current), else the endpoint's. Leases stay.
// Never throws.
void retract_names(const std::string& data_root, const std::string& container_id,
                   const std::vector<Endpoint>& endpoints, const HostsFileOf& hosts_of) noexcept;
// The same for one file (both in place, through O_NOFOLLOW); false when it cannot be opened.
// append_line adds nothing when the file has the line already (an announce and a file written
// from the leases may both bring a peer's line).
bool append_line(const std::string& path, const std::string& line);
bool remove_line(const std::string& path, const std::string& line);
// Lines equal to `line` replaced by `replacement` (or taken out when it is nullopt).
bool replace_line(const std::string& path, const std::string& line,
                  const std::optional<std::string>& replacement);

}  // namespace mydocker::net
