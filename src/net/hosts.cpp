#include "mydocker/net/hosts.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "mydocker/net/ipam.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker::net {
namespace {

// Calls `edit` with each peer's hosts file (and the container's own with `itself`), under the
// networks' lock.
void for_each_peer(const std::string& data_root, const std::string& network,
                   const std::string& container_id, const HostsFileOf& hosts_of,
                   const std::function<void(const std::string&, const Lease&)>& edit,
                   bool itself = false) noexcept {
  try {
    NetworkStore store(data_root);
    auto held = store.lock();
    for (const auto& peer : store.leases(network)) {
      if (peer.container_id == container_id && !itself) continue;
      try {
        const std::string path = hosts_of(peer.container_id);
        if (!path.empty()) edit(path, peer);
      } catch (const std::exception&) {  // a peer of another state root, or gone
      }
    }
  } catch (const std::exception&) {  // no such network any more: nobody to tell
  }
}

// The whole of an open file; nullopt on a read error.
std::optional<std::string> read_all(int fd) {
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  if (n < 0) return std::nullopt;
  return text;
}

}  // namespace

std::string hosts_file_in(const nlohmann::json& config) {
  if (!config.is_object() || !config.contains("network")) return "";
  return config["network"].value("hosts", "");
}

bool append_line(const std::string& path, const std::string& line) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
  const auto read = fd ? read_all(fd.get()) : std::nullopt;
  if (!read) return false;
  const std::string& text = *read;
  if (("\n" + text).find("\n" + line + "\n") != std::string::npos) return true;  // there already
  const std::string add = (text.empty() || text.back() == '\n' ? "" : "\n") + line + "\n";
  return write_all(fd.get(), add.data(), add.size());
}

bool remove_line(const std::string& path, const std::string& line) {
  return replace_line(path, line, std::nullopt);
}

bool replace_line(const std::string& path, const std::string& line,
                  const std::optional<std::string>& replacement) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
  const auto read = fd ? read_all(fd.get()) : std::nullopt;
  if (!read) return false;
  const std::string& text = *read;
  std::string kept;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    const std::string_view l(text.data() + start, end - start);
    if (l != line + "\n" && l != line)
      kept.append(l);
    else if (replacement)
      kept.append(*replacement + "\n");
    start = end;
  }
  if (kept == text) return true;
  return ::pwrite(fd.get(), kept.data(), kept.size(), 0) == static_cast<ssize_t>(kept.size()) &&
         ::ftruncate(fd.get(), static_cast<off_t>(kept.size())) == 0;
}

void announce_peer(const std::string& data_root, const std::string& network,
                   const std::string& container_id, const std::string& line,
                   const HostsFileOf& hosts_of) noexcept {
  std::string own;
  try {
    own = hosts_of(container_id);
  } catch (const std::exception&) {
  }
  // Both ways under one hold of the lock: a peer whose lease came after this container's file
  // was written, and whose announce found no file of ours yet, is added here (each line once).
  for_each_peer(data_root, network, container_id, hosts_of,
                [&](const std::string& path, const Lease& peer) {
                  (void)append_line(path, line);
                  if (!own.empty() && !peer.container_name.empty())
                    (void)append_line(own, hosts_line(peer));
                });
}

void rename(const std::string& data_root, const std::string& container_id, const std::string& name,
            const HostsFileOf& hosts_of) {
  for (const Lease& was : NetworkStore(data_root).rename_leases(container_id, name)) {
    if (was.container_name.empty()) continue;
    Lease now = was;
    now.container_name = name;
    for_each_peer(
        data_root, was.network, container_id, hosts_of,
        [&](const std::string& path, const Lease&) {
          (void)replace_line(path, hosts_line(was), hosts_line(now));
        },
        /*itself=*/true);
  }
}

void retract_peer(const std::string& data_root, const std::string& network,
                  const std::string& container_id, const std::string& line,
                  const HostsFileOf& hosts_of) noexcept {
  for_each_peer(data_root, network, container_id, hosts_of,
                [&](const std::string& path, const Lease&) { (void)remove_line(path, line); });
}

void retract_names(const std::string& data_root, const std::string& container_id,
                   const std::vector<Endpoint>& endpoints, const HostsFileOf& hosts_of) noexcept {
  std::vector<Lease> leases;
  try {
    leases = NetworkStore(data_root).leases_of(container_id);
  } catch (const std::exception&) {
  }
  for (const auto& e : endpoints) {
    if (e.network.builtin()) continue;  // no names there
    Lease named = e.lease;              // as it was leased, unless renamed since
    for (const auto& l : leases)
      if (l.network == e.network.name && !l.container_name.empty()) named = l;
    if (!named.container_name.empty())
      retract_peer(data_root, e.network.name, container_id, hosts_line(named), hosts_of);
  }
}

void forget(const std::string& data_root, const Endpoint& e, const std::string& container_id,
            const HostsFileOf& hosts_of, const std::vector<Endpoint>& extras) noexcept {
  std::vector<Endpoint> all = extras;
  all.push_back(e);
  retract_names(data_root, container_id, all, hosts_of);
  release(data_root, container_id);
}

}  // namespace mydocker::net
