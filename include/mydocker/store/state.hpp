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
  std::string status = "created";  // created, running, paused, restarting, exited, dead
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
  nlohmann::json health;        // docker's State.Health (Status, FailingStreak, Log); null: none
  // What `ps` shows, copied from config.json when the container is created (and by `update`),
  // so that `ps` reads this one small file per container.
  std::string name;
  std::string created;  // RFC 3339, UTC
  std::vector<std::string> command;
  std::string limits;
  std::string ports;     // a bridged container's published ports: "0.0.0.0:8080->80/tcp, ..."
  std::string image;     // as the run named it; "" on the host's files
  std::string image_id;  // its config digest (hex)
  std::map<std::string, std::string> labels;  // for ps --filter label=
  std::string network;                        // none, host, bridge, NAME, container:NAME
  std::vector<std::string> extra_networks;    // those `network connect` added
  // Its cgroups, for open_cgroup_manager(). Kept in config.json (they are fixed when the
  // container is made): ContainerDir::state() fills it in, status() does not.
  CgroupRecord cgroup;

  bool live() const { return status == "running" || status == "paused" || status == "restarting"; }
};

void to_json(nlohmann::json& j, const ContainerState& s);
void from_json(const nlohmann::json& j, ContainerState& s);
// Copies what `ps` shows (name, created, command, limits) from a container's config.json.
void fill_summary(ContainerState& s, const nlohmann::json& config);
// ps's PORTS from a record's published ports ({HostIp, HostPort, ContainerPort, Protocol}), as
// docker shows them: sorted, and runs of consecutive ports merged ("0.0.0.0:8000-8002->80-82/tcp").
std::string ports_summary(const nlohmann::json& ports);

}  // namespace mydocker
