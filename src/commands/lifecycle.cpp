// stop, kill, rm, wait, pause/unpause, update, prune.

#include <dirent.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cgroup/placement.hpp"
#include "mydocker/cgroup/subsystem.hpp"
#include "mydocker/commands/commands.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/net/endpoint.hpp"
#include "mydocker/net/hosts.hpp"
#include "mydocker/runtime/supervisor.hpp"
#include "mydocker/spec/config.hpp"
#include "mydocker/spec/layer.hpp"
#include "mydocker/spec/prepare.hpp"
#include "mydocker/store/events.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/signal_name.hpp"
#include "mydocker/util/time.hpp"
#include "mydocker/util/timing.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
namespace {

void require_root(const char* what) {
  if (::geteuid() != 0) throw Error(std::string("mydocker ") + what + " needs root");
}

// Stopped: the state says so, or its supervisor is gone (or so is the container).
bool stopped(const ContainerDir& dir) {
  try {
    return !dir.running(dir.status());
  } catch (const Error&) {
    return true;  // removed meanwhile (--rm)
  }
}

// Waits until the supervisor has recorded the end (or is gone); false on timeout.
// After stop's signal: its supervisor exits once the container has (a stop-requested one does
// not restart it), so its exit alone wakes us (no inotify: see ContainerDir::wait_for).
bool wait_until_stopped(const ContainerDir& dir, std::chrono::milliseconds timeout) {
  return dir.wait_for([&] { return stopped(dir); }, timeout, /*state_changes=*/false);
}

// docker's event for the container, with the name, image and labels its state has.
void record(const Store& store, const std::string& action, const ContainerDir& dir,
            const ContainerState& st, const std::map<std::string, std::string>& extra = {}) {
  Event e = container_event(action, dir.id(), st);
  e.attributes.insert(extra.begin(), extra.end());
  record_event(store.root(), std::move(e));
}

void signal_init(const Store& store, const ContainerDir& dir, const ContainerState& st, int sig) {
  if (st.pid > 0 && pid_in_container(st.pid, dir.id())) {
    trace::emit("kill -" + signal_name(sig) + " " + std::to_string(st.pid));
    if (::kill(st.pid, sig) == 0) record(store, "kill", dir, st, {{"signal", std::to_string(sig)}});
  }
}

std::unique_ptr<CgroupManager> cgroups_of(const ContainerDir& dir, const ContainerState& st,
                                          const Fs& fs) {
  return open_cgroup_manager(fs, st.cgroup, dir.id());
}

// The state, with the end of a container whose supervisor was killed recorded first.
ContainerState current_state(const Store& store, const ContainerDir& dir) {
  return settle_dead_supervisor(store, dir, dir.state());
}

// docker's rule (moby's killWithSignal): SIGKILL, the container's stop signal, or any signal
// when neither --stop-signal nor the image named one, is meant to end the container: the
// restart policy does not bring it back, and a paused one is resumed to act on it.
bool ends_container(int sig, const nlohmann::json& config) {
  return sig == SIGKILL || !config.contains("stop_signal") || sig == stop_signal_of(config);
}

// docker resumes a paused container after such a signal: it stays pending while the cgroup is
// frozen (v1: even SIGKILL), so it would act on it only once someone unpaused it.
void resume_after_kill(const Store& store, const ContainerDir& dir, const ContainerState& st) {
  cgroups_of(dir, st, Fs())->freeze(false);
  dir.update([](ContainerState& s) {
    if (s.status == "paused") s.status = "running";  // unless it ended meanwhile
  });
  record(store, "unpause", dir, st);
}

// stop's work, without its event (rm -f uses it too, with SIGKILL as docker's): false when it
// was not running. `signal`: the container's stop signal unless given.
bool halt(const Store& store, const ContainerDir& dir, std::optional<int> timeout,
          std::optional<int> signal = std::nullopt) {
  ContainerState st = current_state(store, dir);
  if (!dir.running(st)) return false;  // docker: stopping a stopped container is no error
  const auto config = dir.config();
  const int seconds = timeout.value_or(config.value("stop_timeout", kDefaultStopTimeout));
  const int stop_signal = signal.value_or(stop_signal_of(config));
  st = dir.update([](ContainerState& s) { s.stop_requested = true; });
  if (st.status == "paused")  // a frozen process cannot act on SIGTERM
    cgroups_of(dir, st, Fs())->freeze(false);
  if (st.status != "restarting") signal_init(store, dir, st, stop_signal);
  timing::mark("stop: signalled");
  if (seconds < 0 ? wait_until_stopped(dir, std::chrono::hours(24 * 365))
                  : wait_until_stopped(dir, std::chrono::seconds(seconds))) {
    timing::mark("stop: stopped");
    return true;
  }
  // Still there: everything in its cgroups goes.
  (void)cgroups_of(dir, st, Fs())->kill_all();
  record(store, "kill", dir, st, {{"signal", std::to_string(SIGKILL)}});
  if (!wait_until_stopped(dir, std::chrono::seconds(10)))
    throw Error("container " + short_id(dir.id()) + " did not stop");
  return true;
}

// Removes the cgroups a dead supervisor left (what is in them is killed first: each is checked
// to be the container's own). `removed`: the directories that were there; `problems`: what
// could not go.
struct LeftoverCgroups {
  std::vector<std::string> removed, problems;
};

LeftoverCgroups remove_leftover_cgroups(const Fs& fs, const std::string& id,
                                        const ContainerState& st) {
  LeftoverCgroups c;
  for (const auto& dir : st.cgroup.dirs)
    if (fs.exists(dir)) c.removed.push_back(dir);
  c.problems = open_cgroup_manager(fs, st.cgroup, id)->destroy();
  return c;
}

// What settle_dead_supervisor records in the state of a container whose supervisor was killed.
// Returns whether the container was running then (its `die` is still to be recorded).
bool mark_killed_supervisor(ContainerState& s) {
  const bool ran = s.status != "restarting";
  const std::string who =
      "its mydocker supervisor (pid " + std::to_string(s.supervisor_pid) + ") was killed";
  s.error = ran ? who + ", and the container with it (SIGKILL)"
                : who + " while the container waited to restart";
  if (ran) {
    s.exit_code = 128 + SIGKILL;
    s.oom_killed = false;
    s.finished_at = now_rfc3339();
  }
  s.status = "dead";
  s.pid = 0;
  return ran;
}

}  // namespace

ContainerState settle_dead_supervisor(const Store& store, const ContainerDir& dir,
                                      const ContainerState& st) noexcept {
  try {
    if (!st.live() || dir.supervisor_alive()) return st;
    bool ran = false, settled = false;
    const ContainerState now = dir.update([&](ContainerState& s) {
      // Asked again under state.lock: a supervisor records its end before it lets go of its
      // lock, so a live state with the lock free now is an end it never recorded (and one
      // mydocker alone settles it).
      if (!s.live() || dir.supervisor_alive()) return;
      settled = true;
      ran = mark_killed_supervisor(s);
    });
    if (!settled || !ran) return now;
    // Its init died of PR_SET_PDEATHSIG; whatever else is left goes too (a paused one is
    // thawed after the kill: kill_all).
    try {
      (void)open_cgroup_manager(Fs(), now.cgroup, dir.id())->kill_all();
    } catch (const std::exception&) {  // rm and prune say what could not go
    }
    const double ran_for = parse_rfc3339(now.finished_at) - parse_rfc3339(now.started_at);
    record(store, "die", dir, now,
           {{"exitCode", std::to_string(now.exit_code)},
            {"execDuration", std::to_string(static_cast<long>(std::max(0.0, ran_for)))}});
    return now;
  } catch (const std::exception&) {
    return st;
  }
}

void recover_killed_run(const ContainerDir& dir, const ContainerState& st,
                        const nlohmann::json& config) {
  const auto left = remove_leftover_cgroups(Fs(), dir.id(), st);
  if (!left.problems.empty())
    throw Error("container " + short_id(dir.id()) +
                ": what its killed run left: " + left.problems.front());
  if (const std::string files = config.value("files_dir", ""); !files.empty())
    forget_volatile_mount(files + "/work");
}

void record_container_event(const Store& store, const std::string& id, const std::string& action) {
  try {
    const ContainerDir dir(store.root(), id);
    record(store, action, dir, dir.status());
  } catch (const Error&) {
    record_event(store.root(), container_event(action, id, "", "", {}));
  }
}

void stop(const Store& store, const std::string& ref, std::optional<int> timeout,
          const std::string& signal) {
  require_root("stop");
  std::optional<int> sig;
  if (!signal.empty()) sig = parse_signal(signal);
  const ContainerDir dir = store.open(ref);
  const ContainerState before = dir.status();  // a --rm container's goes with it
  if (halt(store, dir, timeout, sig)) record(store, "stop", dir, before);
}

void kill(const Store& store, const std::string& ref, const std::string& signal) {
  require_root("kill");
  const int sig = parse_signal(signal);
  const ContainerDir dir = store.open(ref);
  ContainerState st = current_state(store, dir);
  if (!dir.running(st)) throw Error("container " + short_id(dir.id()) + " is not running");
  const bool ends = ends_container(sig, dir.config());
  // Killed on purpose: the restart policy does not bring it back (docker's "manually stopped").
  if (ends) st = dir.update([](ContainerState& s) { s.stop_requested = true; });
  // Between two runs there is nothing to signal: the stop alone ends the restart loop (its
  // back-off sees it), as docker's kill of a restarting container does.
  if (st.status == "restarting") return;
  signal_init(store, dir, st, sig);
  if (ends && st.status == "paused") resume_after_kill(store, dir, st);
}

void release_address(const Store& store, const ContainerDir& dir) {
  try {
    const auto config = dir.config();
    if (!config.contains("network")) return;
    const std::string data_root = config["network"].value("data_root", "");
    const auto e = net::endpoint_from_json(config["network"]);
    if (!e) return net::release(data_root, dir.id());
    net::forget(data_root, *e, dir.id(), hosts_files_of(store),
                net::extra_endpoints(dir.extra_networks()));
  } catch (const std::exception&) {
  }
}

void rename(const Store& store, const std::string& ref, const std::string& name) {
  const ContainerDir dir = store.open(ref);
  const auto network = dir.config().value("network", nlohmann::json());
  store.rename(ref, name);
  const std::string data_root = network.is_object() ? network.value("data_root", "") : "";
  if (!data_root.empty()) net::rename(data_root, dir.id(), name, hosts_files_of(store));
}

void remove(const Store& store, const std::string& ref, bool force) {
  require_root("rm");
  const ContainerDir dir = store.open(ref);
  ContainerState st = dir.state();
  if (dir.running(st)) {
    if (!force)
      throw Error("you cannot remove a running container " + dir.id() +
                  ". Stop the container before attempting removal or force remove (rm -f)");
    (void)halt(store, dir, 10, SIGKILL);  // docker's rm -f kills, no grace period
  }
  // Its supervisor finishes its teardown (or --rm removes it) before it lets go of the lock.
  dir.wait_for([&] { return !dir.supervisor_alive(); }, std::chrono::seconds(10), false);
  if (::access(dir.path().c_str(), F_OK) != 0) return;  // removed meanwhile (--rm, another rm)
  st = current_state(store, dir);
  auto cleanup = remove_leftover_cgroups(Fs(), dir.id(), st);
  if (!cleanup.problems.empty())
    throw Error("cannot remove the cgroups of " + ref + ": " + cleanup.problems.front());
  release_address(store, dir);
  store.remove(dir);
  record(store, "destroy", dir, st);
  timing::mark("rm: removed");
}

int wait(const Store& store, const std::string& ref) {
  const ContainerDir dir = store.open(ref);
  // Until it ends: stopped, or ended and restarting by its policy (docker's wait returns at
  // each exit: its SetRestarting wakes the waiters), which a new FinishedAt tells.
  std::string finished;
  try {
    finished = dir.status().finished_at;
  } catch (const Error&) {
  }
  dir.wait_for(
      [&] {
        try {
          const ContainerState st = dir.status();
          return !dir.running(st) || (st.status == "restarting" && st.finished_at != finished);
        } catch (const Error&) {
          return true;  // removed meanwhile (--rm)
        }
      },
      std::chrono::hours(24 * 365 * 100));
  try {
    return settle_dead_supervisor(store, dir, dir.status()).exit_code;  // 137: see there
  } catch (const Error&) {
    // --rm: the record went with the container; its last "die" event has the status.
    const auto events = read_events(store.root(), 0, std::numeric_limits<int64_t>::max());
    for (auto e = events.rbegin(); e != events.rend(); ++e)
      if (e->type == "container" && e->actor == dir.id() && e->action == "die" &&
          e->attributes.count("exitCode"))
        return std::atoi(e->attributes.at("exitCode").c_str());
    throw;
  }
}

void pause(const Store& store, const std::string& ref, bool paused) {
  require_root(paused ? "pause" : "unpause");
  const ContainerDir dir = store.open(ref);
  const ContainerState st = current_state(store, dir);
  if (!dir.running(st) || st.status == "restarting")
    throw Error("container " + short_id(dir.id()) + " is not running");
  if (paused && st.status == "paused")
    throw Error("container " + short_id(dir.id()) + " is already paused");
  if (!paused && st.status != "paused")
    throw Error("container " + short_id(dir.id()) + " is not paused");
  cgroups_of(dir, st, Fs())->freeze(paused);
  dir.update([&](ContainerState& s) {
    if (s.live()) s.status = paused ? "paused" : "running";
  });
  record(store, paused ? "pause" : "unpause", dir, st);
}

std::vector<std::string> update(const Store& store, const std::string& ref,
                                const RunOptions& limits,
                                const std::optional<std::string>& restart) {
  require_root("update");
  const ContainerDir dir = store.open(ref);
  const ContainerState st = current_state(store, dir);
  auto config = dir.config();
  // docker's update --restart: recorded, for its supervisor at its next exit and every start.
  if (restart) {
    const RestartPolicy policy = parse_restart_policy(*restart);
    if (config.value("auto_remove", false) && policy.kind != RestartPolicy::kNo)
      throw Error(  // docker's words
          "Restart policy cannot be updated because AutoRemove is enabled for the container");
    config["restart_policy"] = restart_policy_json(policy);
  }
  const Fs fs;
  // Running: its cgroups take the limits now. Stopped, or between two runs (its cgroups go
  // with each run): only recorded, as docker's update of a stopped container; the next start
  // applies them.
  const bool live = dir.running(st) && st.status != "restarting";
  auto cgroups = live ? cgroups_of(dir, st, fs)
                      : make_cgroup_manager(fs, detect_host_cgroups(fs), dir.id(),
                                            config.value("cgroup_parent", ""));
  // The CPUs and memory nodes its parent may use bound -cpuset and --cpus, as at run time; its
  // memory+swap limit stays with a new memory limit (docker's), and bounds it.
  Resources current;
  apply_recorded_limits(config.value("host_config", nlohmann::json()), current);
  const HostLimits host = cgroups->available();
  Resources r = parse_resources(limits, host, &current);
  const std::vector<std::string> warnings =
      limit_warnings(limits, r, !r.blkio_weight || cgroups->io_weight_supported());
  if (live)  // all or nothing: a limit refused leaves the others as they were
    cgroups->update(r);
  else
    cgroups->validate(r);  // the host can take them (a start would fail otherwise)
  // Recorded in its HostConfig (docker's): inspect and ps show the limits in force, and every
  // later start or restart applies them (spec/config.hpp: apply_recorded_limits).
  merge_limits(config["host_config"], r);
  config["limits"] = limits_summary(config["host_config"]);
  write_file_atomic(dir.path() + "/config.json", config.dump(2) + "\n");
  const ContainerState now = dir.update([&](ContainerState& s) { s.limits = config["limits"]; });
  // A restart that made its cgroups before the record changed (its supervisor reads the
  // record right before) has the old limits: they are written now.
  if (!live && dir.running(now) && now.status != "restarting") cgroups_of(dir, now, fs)->update(r);
  record(store, "update", dir, now);
  return warnings;
}

std::vector<std::string> prune_image_leftovers(const std::string& data_root) {
  std::vector<std::string> removed;
  if (::access(data_root.c_str(), F_OK) != 0) return removed;  // nothing made, nothing to clean
  const ImageStore images(data_root);
  for (const auto& tmp : images.abandoned()) {
    remove_tree(tmp);
    removed.push_back(tmp);
  }
  // Layers and blobs no image refers to (a load or pull killed before its image was recorded).
  for (const auto& line : images.collect_garbage()) removed.push_back(line);
  return removed;
}

PruneReport prune(const Store& store, const std::vector<ContainerCgroupPlace>& places,
                  const std::string& data_root) {
  require_root("prune");
  PruneReport report;
  const Fs fs;
  for (const auto& tmp : store.abandoned()) {
    store.remove_abandoned(tmp);
    report.removed.push_back(tmp);
  }
  // No data root (a fresh host): nothing of images or networks to clean, and nothing made.
  const bool has_data = ::access(data_root.c_str(), F_OK) == 0;
  for (const auto& line : prune_image_leftovers(data_root)) report.removed.push_back(line);
  std::set<std::string> known;
  for (const auto& id : store.ids()) {
    known.insert(id);
    const ContainerDir dir(store.root(), id);
    if (dir.supervisor_alive()) {
      report.live.push_back(short_id(id));  // running, or being set up: its owner lives
      continue;
    }
    ContainerState st;
    try {
      st = settle_dead_supervisor(store, dir, dir.state());  // its `die`, before its `destroy`
    } catch (const Error&) {
    }
    auto cleanup = remove_leftover_cgroups(fs, id, st);
    report.removed.insert(report.removed.end(), cleanup.removed.begin(), cleanup.removed.end());
    if (!cleanup.problems.empty()) {
      report.problems.insert(report.problems.end(), cleanup.problems.begin(),
                             cleanup.problems.end());
      continue;
    }
    release_address(store, dir);
    store.remove(dir);
    record(store, "destroy", dir, st);
    report.removed.push_back(dir.path());
  }
  // Networking a killed run left: leases of records gone, veths of containers not running,
  // published ports to no leased address.
  if (has_data) try {
      auto removed = net::prune_network_leftovers(
          data_root,
          [&](const std::string& id) {
            return ::access((store.root() + "/" + id).c_str(), F_OK) == 0;
          },
          [&](const std::string& id) { return ContainerDir(store.root(), id).supervisor_alive(); });
      report.removed.insert(report.removed.end(), removed.begin(), removed.end());
    } catch (const std::exception& e) {
      report.problems.push_back(std::string("networks: ") + e.what());
    }
  // Layers whose record is gone. A files directory is made only once its record exists, and
  // `rm` removes it before the record: the record checked now, after the listing, tells.
  for (const auto& name : list_dir(data_root + "/containers")) {
    const std::string files = container_files_dir(data_root, name);
    if (!is_container_id(name) || container_files_owner(files) != store.root()) continue;
    if (::access((store.root() + "/" + name).c_str(), F_OK) == 0 || errno != ENOENT) continue;
    remove_tree(files);
    report.removed.push_back(files);
  }
  for (auto& spare : remove_spare_layers(data_root, store.root()))
    report.removed.push_back(std::move(spare));
  for (const auto& place : places)
    for (const auto& name : list_dir(place.dir))
      if (const std::string id = container_of_cgroup(name, place.prefixed);
          !id.empty() && !known.count(id))
        report.foreign.push_back(path_join(place.dir, name));
  return report;
}

}  // namespace mydocker
