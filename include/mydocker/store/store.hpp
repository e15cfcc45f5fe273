#pragma once
// Where containers live: one directory each under the state root (/run/mydocker; --root and
// MYDOCKER_ROOT move it).
//
//   <root>/<id>/config.json      what was asked for, and the cgroups made for it
//   <root>/<id>/state.json       what is happening (temp file, fsync, rename: never half-written),
//                                and what `ps` shows: ps reads this one small file per container
//   <root>/<id>/container.log    the output of a detached container, docker's json-file lines
//   <root>/<id>/supervisor.lock  flock'ed by the mydocker process that owns the container for
//                                its whole life: free while the state says "running" means
//                                that process died (kill -9), and `prune` may clean up
//   <root>/<id>/state.lock       flock'ed around each read-modify-write of state.json
//   <root>/<id>/attach.sock      a detached container's supervisor listens here for
//                                `mydocker attach` (runtime/attach.hpp)
//   <root>/names/<name>          a symlink to <id>: symlink(2) is atomic, so of two
//                                `run --name x` at the same moment exactly one wins
//   <root>/events                docker's lifecycle events, a JSON line each, appended by every
//                                mydocker process (store/events.hpp); `events` reads it
//   <root>/events.1              the generation before: events is renamed here past 4 MiB
//
// A container directory is built as <root>/.tmp-<id> and renamed into place: readers see all
// of it or nothing.

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/store/state.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"

namespace mydocker {

// Whether a container's supervisor writes its container.log: detached, or in the foreground
// without --rm (docker's; a foreground --rm one's record and log go when it ends, and its output
// is the caller's only). The config.json form also says no to --log-driver none.
inline bool keeps_log(bool detached, bool auto_remove) { return detached || !auto_remove; }
bool keeps_log(const nlohmann::json& config);

class ContainerDir {
 public:
  // `durable`: state writes are fsync'd (see Store::create).
  ContainerDir(std::string root, std::string id, bool durable = true);

  const std::string& id() const { return id_; }
  const std::string& path() const { return path_; }
  std::string log_path() const { return path_ + "/container.log"; }
  // `restart`: a --rm container is kept when the run it stops ends (docker's), to be started
  // again. A file beside the record (one access(2) at a --rm run's end, no JSON read); the
  // start's new record has none.
  void request_restart() const;
  bool restart_requested() const;
  // The networks `network connect` added (networks.json beside the record: net::endpoint_json
  // objects), an empty array when there are none (one failed open: the run path's cost).
  nlohmann::json extra_networks() const;
  void set_extra_networks(const nlohmann::json& list) const;
  // The state root's lock over every container's added networks (<root>/.networks.lock):
  // `network connect/disconnect` hold it exclusively from reading a container's list to saving
  // it; a start holds it shared from reading the list until its run is recorded running, and
  // `start` while it moves networks.json into the new record. Empty when it cannot be had.
  UniqueFd hold_networks(bool exclusive) const;

  nlohmann::json config() const;  // throws Error
  ContainerState state() const;   // throws Error
  // state() for a caller that has read config() already (its cgroup record is there).
  ContainerState state(const nlohmann::json& config) const;
  // state.json alone, without the cgroup record: what `ps` needs, one small file.
  ContainerState status() const;  // throws Error
  // Read-modify-write of state.json under state.lock; returns the new state.
  ContainerState update(const std::function<void(ContainerState&)>& change) const;
  // Whether a live process holds supervisor.lock.
  bool supervisor_alive() const;
  // Running: `st` (this container's state) says so and its supervisor lives.
  bool running(const ContainerState& st) const { return st.live() && supervisor_alive(); }
  // Blocks until `done()` holds or `timeout` has passed; returns whether it held. `done` is
  // asked again when the supervisor exits and, with `state_changes`, after each change of
  // state.json. No polling: it sleeps in poll(2) on a pidfd of the supervisor and an inotify
  // watch of the directory (state.json is renamed into place at each change), and wakes
  // within microseconds. Closing an inotify instance waits for an SRCU grace period (10-15 ms
  // here): a wait that only the supervisor's exit can end (stop, rm) does without one, unless
  // there is no supervisor to watch.
  bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                bool state_changes = true) const;
  // Takes supervisor.lock for as long as the returned fd is open (nonblocking: throws Error
  // when another process holds it).
  UniqueFd lock_supervisor() const;

 private:
  std::string root_, id_, path_;
  bool durable_;
};

class Store {
 public:
  explicit Store(std::string root);
  const std::string& root() const { return root_; }

  // Creates the container directory with its config and first state, and takes its name.
  // The returned fd holds supervisor.lock. Throws Error (exit 125) when the name is taken or
  // the state root is not writable.
  //
  // Every write is atomic (temp file, rename). `durable` adds an fsync before the rename, for
  // detached containers. A foreground container's state lives no longer than the mydocker
  // that runs it (a crash of the machine ends both), and an fsync costs milliseconds (8 ms
  // measured on this machine's /run): too much for a run that should take 3.
  struct Created {
    ContainerDir dir;
    UniqueFd supervisor_lock;
  };
  // `config` by value: the cgroups are added to it in place (no copy of the whole document).
  // `replacing` (`start` of a container that has a record): that record goes, but its log files
  // move into the new one (docker keeps one log over a container's life).
  Created create(const std::string& id, const std::string& name, nlohmann::json config,
                 const ContainerState& state, bool durable = true, bool replacing = false) const;
  // Removes the directory, the name link and the container's files (its overlay layers):
  // `name` and `files_dir` when the caller knows them, else they are read from its config.
  void remove(const ContainerDir& dir, const std::string& name = {},
              const std::optional<std::string>& files_dir = std::nullopt) const;

  // `rename`: the new name is taken first (the same atomic symlink as create), then recorded,
  // then the old one is let go. Throws Error when the name is in use.
  void rename(const std::string& ref, const std::string& name) const;
  // Every container's id (directories whose name is a container id).
  std::vector<std::string> ids() const;
  // A full id, a unique prefix of one, or a name. Throws Error: "No such container: x", or
  // an ambiguous prefix.
  std::string resolve(const std::string& ref) const;
  // The id of the container named `name` (its name link, and its directory there), if any.
  std::optional<std::string> named(const std::string& name) const;
  ContainerDir open(const std::string& ref) const { return ContainerDir(root_, resolve(ref)); }
  // The name of a container (from its config).
  std::string name_of(const std::string& id) const;

  // Directories of creations that never finished (their creator died): `prune` removes them.
  std::vector<std::string> abandoned() const;
  // Removes one of those, with whatever files it has.
  void remove_abandoned(const std::string& path) const;

 private:
  void reserve_name(const std::string& name, const std::string& id) const;
  std::string root_;
};

// docker-style generated names: "brave_turing".
std::string generate_name(const std::string& id);

}  // namespace mydocker
