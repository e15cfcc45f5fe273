#pragma once
// Containers as data, for the commands that show them (ps, inspect, top, stats, logs): the core
// reads records, cgroups and logs; the format layer (format/) turns them into docker's tables
// and JSON.

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mydocker/cgroup/stats.hpp"
#include "mydocker/store/log.hpp"
#include "mydocker/store/store.hpp"

namespace mydocker {

// A container as its record shows it.
struct ContainerView {
  std::string id;
  nlohmann::json config;  // config.json
  ContainerState state;
  bool supervisor_alive = false;
  std::string log_path;
  // ps -s: bytes of its writable layer, and with its image's ("virtual"); -1: unknown.
  int64_t size_rw = -1, size_root_fs = -1;
  // Running as far as anyone can tell: a live state with a live supervisor.
  bool live() const { return state.live() && supervisor_alive; }
  // Its supervisor was killed (kill -9): recorded so (settle_dead_supervisor), or a live state
  // whose supervisor is gone and that nobody has settled yet. `rm` or `prune` cleans up.
  bool dead() const { return state.status == "dead" || (state.live() && !supervisor_alive); }
};

// Every container (`all`) or the live ones, newest first; records being removed are skipped.
std::vector<ContainerView> list_containers(const Store& store, bool all);
// Fills size_rw and size_root_fs (ps -s): the files of its upper dir, and of its image.
void measure_size(ContainerView& c, const Store& store, const std::string& data_root);
// What containers (running or not) were made from and mount, from their config.json: the images
// (ids) and volumes (names) that rmi, volume rm and the prunes keep.
struct ContainersUse {
  std::set<std::string> images, volumes;
};
ContainersUse containers_use(const Store& store);
// One container by id, prefix or name. Throws Error.
ContainerView view_container(const Store& store, const std::string& ref);

// A process of a running container (top).
struct ProcessInfo {
  uid_t uid = 0;
  pid_t pid = 0, ppid = 0;
  double started_at = 0;  // seconds since the epoch
  long cpu_ticks = 0;     // user + system, in clock ticks
  std::string cmd;        // its command line, or [comm] for a kernel-less one
};
// Throws Error when the container is not running.
std::vector<ProcessInfo> container_processes(const Store& store, const std::string& ref);
// `top CONTAINER PS-OPTIONS` (docker's): the host's `ps PS-OPTIONS`, its header and the rows of
// the container's processes (found by the header's PID column). Throws Error.
std::string container_ps(const Store& store, const std::string& ref,
                         const std::vector<std::string>& ps_args);

// What a running container uses now (stats).
struct StatsSample {
  std::string id, name;
  Stats stats;
  double at = 0;  // steady clock, seconds
  // NET I/O: bytes received and sent on its interfaces but lo (its init's /proc/PID/net/dev);
  // none with --net host (the host's counters are not the container's).
  std::optional<std::pair<uint64_t, uint64_t>> net;
  // Named on the command line but not running: docker's row of zeros.
  bool stopped = false;
};
// /proc/PID/net/dev's received and transmitted bytes, summed over every interface but lo.
std::pair<uint64_t, uint64_t> parse_net_dev(const std::string& text);
// The running ones among `ids`; with `stopped_too` (containers named on the command line, as
// docker does) a row of zeros for each of the others.
std::vector<StatsSample> sample_stats(const Store& store, const std::vector<std::string>& ids,
                                      bool stopped_too = false);
// The host's memory (MemTotal), the limit of a container without one.
uint64_t host_memory_bytes();

// What `logs` asks for (docker's order: the last `tail` entries, of those the ones from `since`
// to `until`, nanoseconds since the epoch, both inclusive).
struct LogQuery {
  std::optional<size_t> tail;
  bool follow = false;
  std::optional<int64_t> since, until;
};
// A container's log: what `q` asks for, then with `follow` what is appended until its supervisor
// is gone (or, with `until`, until that time has passed). The tail is read from the files' ends:
// a long log costs what the lines asked for. Throws Error for a container that keeps no log.
void read_logs(const Store& store, const std::string& ref, const LogQuery& q,
               const std::function<void(const LogEntry&)>& each);

}  // namespace mydocker
