#pragma once
// The state of OCI containers: one directory per container under --root (default
// /run/mydocker-runc), holding state.json (what `state` prints, plus what later commands need:
// the init's pid and start time, the cgroup record, the hooks, the process for exec) and
// exec.fifo while the container is created but not started.
//
// The status is worked out from the kernel, never trusted from the file: the init's pid with
// the start time recorded (so a reused pid is not the container), the FIFO, the freezer.

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/cgroup/record.hpp"
#include "mydocker/util/fd.hpp"

namespace mydocker::oci {

inline constexpr const char* kDefaultRoot = "/run/mydocker-runc";

// "creating", "created", "running", "paused", "stopped".
struct Status {
  std::string name;
  pid_t pid = 0;  // 0 when stopped
};

// Throws Error unless `id` is a usable container id (runc's: letters, digits, _ . - +).
void validate_id(const std::string& id);

class Container {
 public:
  Container(std::string root, std::string id);
  const std::string& id() const { return id_; }
  std::string dir() const { return root_ + "/" + id_; }
  std::string fifo() const { return dir() + "/exec.fifo"; }
  bool exists() const;

  // The state file's JSON (throws Error "container X does not exist").
  nlohmann::json load() const;
  void save(const nlohmann::json& state) const;
  Status status(const nlohmann::json& state) const;
  // state.json in the runtime-spec's form: ociVersion, id, status, pid, bundle, annotations.
  nlohmann::json spec_state(const nlohmann::json& state) const;
  // The same for a `status` and `pid` known already (create's hooks: "creating").
  nlohmann::json spec_state(const nlohmann::json& state, const std::string& status,
                            pid_t pid) const;
  CgroupRecord cgroups(const nlohmann::json& state) const;
  // A pidfd of the init while it is the container's (start time checked); empty otherwise.
  UniqueFd init_pidfd(const nlohmann::json& state) const;

 private:
  std::string root_, id_;
};

// The start time of `pid` (field 22 of /proc/PID/stat), 0 when it is gone.
uint64_t process_start_time(pid_t pid);
// Every container id under `root`, sorted.
std::vector<std::string> list_ids(const std::string& root);
// An exclusive flock on <root>/<id>.lock, held while a command changes that container.
// Throws Error "container X does not exist" unless `creating`.
UniqueFd lock_container(const std::string& root, const std::string& id, bool creating = false);

// Cgroup directories above containers' own (cgroupsPath's parents) that a create of this root
// made. A container's delete removes the ones it made when empty; one still used by a sibling
// stays and is remembered here, and removed by a later delete once empty (runc leaves them
// all behind; mydocker leaves nothing).
void remember_parents(const std::string& root, const std::vector<std::string>& dirs);
void remove_empty_parents(const std::string& root);

}  // namespace mydocker::oci
