#pragma once
// A container's state (state.json): rewritten atomically on every change.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/cgroup/record.hpp"
#include "mydocker/util/time.hpp"

namespace mydocker {

struct ContainerState {
  std::string status = "created";  // created, running, paused, restarting, exited
  int pid = 0;                     // the container's init, as the host sees it
  int supervisor_pid = 0;          // the mydocker process that owns it
  int exit_code = 0;
  bool oom_killed = false;  // the last run ended with OOM kills
  std::string started_at;   // RFC 3339, UTC
  std::string finished_at;
  int restart_count = 0;
  std::string restart_reason;   // why it was last restarted: "exit 1", "OOM-killed (exit 137)"
  bool stop_requested = false;  // stop/kill/rm: the restart policy does not apply
  std::string error;            // why it could not start
  CgroupRecord cgroup;          // its cgroups, for open_cgroup_manager()

  bool live() const { return status == "running" || status == "paused" || status == "restarting"; }
};

void to_json(nlohmann::json& j, const ContainerState& s);
void from_json(const nlohmann::json& j, ContainerState& s);


}  // namespace mydocker
