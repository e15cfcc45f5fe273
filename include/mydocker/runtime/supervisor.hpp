#pragma once
// The supervisor: the mydocker process that owns a container while it lives (the foreground
// `mydocker run` itself, or the background process `run -d` leaves behind, in the spirit of
// containerd-shim and conmon). It starts the container, forwards signals to it, keeps its
// output in the log (detached), records its state, applies the restart policy, and removes its
// cgroups every time it ends.

#include <functional>
#include <optional>
#include <string>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/cgroup/manager.hpp"
#include "mydocker/init/protocol.hpp"
#include "mydocker/net/endpoint.hpp"
#include "mydocker/net/hosts.hpp"
#include "mydocker/net/netns.hpp"
#include "mydocker/runtime/attach.hpp"
#include "mydocker/runtime/container.hpp"
#include "mydocker/runtime/health.hpp"
#include "mydocker/runtime/relay.hpp"
#include "mydocker/runtime/signals.hpp"
#include "mydocker/runtime/spawn.hpp"
#include "mydocker/spec/options.hpp"
#include "mydocker/store/log.hpp"
#include "mydocker/store/store.hpp"

namespace mydocker {

struct SupervisorSetup {
  const RunOptions* options = nullptr;
  const HostCgroups* host = nullptr;
  const Fs* fs = nullptr;
  std::string id;
  CgroupManager* cgroups = nullptr;
  Resources resources;
  InitConfig init;
  RestartPolicy restart;
  int stop_timeout = kDefaultStopTimeout;
  bool detached = false;  // output to container.log instead of our own stdout/stderr
  bool report = false;    // read all stats at the end (--report)
  SignalForwarder* signals = nullptr;
  const net::Endpoint* endpoint = nullptr;  // on a bridge: connected at each start
  std::optional<HealthConfig> health;       // its HEALTHCHECK, run while it runs
  std::string shm_dir;                      // --ipc shareable: Launch::shm_dir
  // The network namespace made while the run was planned (init.made_netns_fd): the first
  // start's; closed once that start has it, so a restart gets a new one, as before.
  UniqueFd made_netns;
  // Foreground: the helper making it, waited for only right before the first clone.
  net::EarlyNetns* early_netns = nullptr;
  // ... with the veth pair in it (its eth0 bare; connect() finishes it).
  bool veth_made = false;
  // Foreground: the helper, still making that pair when the first clone took its namespace:
  // the connect asks it (claim_veth) on its own thread.
  net::EarlyNetns* veth_from = nullptr;
  // `start` of a container that ran before: a failed start leaves it exited, not created.
  bool ran_before = false;
  // Foreground: called when the first run ended and the restart policy runs it again. docker's
  // client returns then (the daemon restarts it): this forks a supervisor that goes on detached
  // and answers kGoOn in it, kReturn in the caller, which returns the first run's outcome;
  // kStay when it could not fork (the restarts stay attached, as before).
  enum class HandOff { kStay, kGoOn, kReturn };
  std::function<HandOff()> hand_off;
};

// The network namespace made while the run was planned (net/netns.hpp) becomes the init's,
// if the init wants one of its own (--userns private must own its namespace): waits for the
// namespace (not for the helper's veth pair: EarlyNetns::claim_veth), keeps it in `holder` and
// names it in `init` (made_netns_fd, loopback_up). Returns whether it was adopted.
bool adopt_early_netns(net::EarlyNetns& early, InitConfig& init, UniqueFd& holder);

struct Outcome {
  int status = 0;                      // of the last run
  std::optional<InitFailure> failure;  // the command could not be started
  Stats stats;                         // of the last run (all of it with --report)
  double wall_seconds = 0;             // of the last run
  std::vector<std::string> problems;   // teardown problems
  bool restarting = false;             // --rm, stopped by `restart`: its record stays
  uint64_t oom_events = 0;             // oom events recorded while it ran
};

// A run's published ports, unpublished when it ends, however it ends (set once they are its).
struct NetworkTeardown {
  const net::Endpoint* e = nullptr;
  NetworkTeardown() = default;
  NetworkTeardown(const NetworkTeardown&) = delete;
  NetworkTeardown& operator=(const NetworkTeardown&) = delete;
  ~NetworkTeardown();
};

class Supervisor {
 public:
  Supervisor(SupervisorSetup setup, ContainerDir dir);
  // Runs the container until it ends for good. `on_start` runs once, when the first start
  // succeeded (nullopt) or failed.
  Outcome run(const std::function<void(const std::optional<InitFailure>&)>& on_start);

 private:
  Launch make_launch(bool with_log);  // what one start launches
  // One start: create, start, record it, wait (relay), read the stats, destroy.
  Outcome run_once(bool first, const std::function<void(const std::optional<InitFailure>&)>& cb);
  void record_running(Instance& in);
  RelayOptions relay_options(Instance& in, std::optional<LogWriter>& log);
  bool should_restart(const Outcome& o, int restarts) const;
  // The restart policy the record holds now (`update --restart` writes it there), else the
  // run's.
  RestartPolicy restart_policy() const;
  // Creates and starts the run, wired on a bridge; the networks lock to hold until it is
  // recorded running.
  // `oom`: the run's oom_watch(), made as the init is let go.
  UniqueFd create_and_start(Instance& in, Launch& launch, NetworkTeardown& network, UniqueFd& oom);
  // The back-off before a restart, cut short by a stop; false when stopped.
  bool back_off(long delay_ms);
  // The limits the record holds now (`update` writes them there); whether they differ from
  // those of s_.resources, which they replace.
  bool reload_limits();

  SupervisorSetup s_;
  ContainerDir dir_;
  std::optional<attach::Server> attach_;  // detached: `mydocker attach` connects here
  bool stop_signalled_ = false;
};

// A run that ended, in its state: exited, or created when it never started (a first start that
// failed: docker's), with its status and the reason ("" when it exited by itself).
void record_ended(ContainerState& st, bool never_started, int exit_code, const std::string& error);
// Where the containers of `store` keep their /etc/hosts (net/hosts.hpp's peers' files).
net::HostsFileOf hosts_files_of(const Store& store);
// A container leaves its network: its name out of its peers' /etc/hosts, its address back to
// the pool. Never throws.
void forget_network(const RunOptions& o, const net::Endpoint* e, const std::string& id,
                    const std::vector<net::Endpoint>& extras = {}) noexcept;

}  // namespace mydocker
