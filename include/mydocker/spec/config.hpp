#pragma once
// config.json: what was asked for, with docker's names where docker has them (inspect shows
// them as HostConfig and Config).

#include <nlohmann/json.hpp>
#include <string>

#include "mydocker/cgroup/resources.hpp"
#include "mydocker/init/protocol.hpp"
#include "mydocker/spec/options.hpp"

namespace mydocker {

nlohmann::json make_config(const RunOptions& o, const std::string& id, const std::string& name,
                           const Resources& r, const InitConfig& init);
// config.json's "restart_policy": docker's HostConfig.RestartPolicy (Name, MaximumRetryCount).
nlohmann::json restart_policy_json(const RestartPolicy& p);
// The policy a container's config records (`update --restart` may have changed it since its
// run), as --restart says it; "no" when it records none. Throws Error when it is not one.
std::string recorded_restart_policy(const nlohmann::json& config);
// docker's HostConfig resource fields: Memory, MemorySwap, CpuQuota, CpusetCpus, PidsLimit...
nlohmann::json host_config_json(const Resources& r);
// `update`'s limits into a container's HostConfig, where docker keeps them (its next start
// applies them): what `r` sets replaces the recorded value, the rest stays; each as the kernel
// got it (Memory and MemorySwap together, as parse_resources pairs them for update: MemorySwap 0
// is memory+swap = memory; NanoCpus again from the quota and period recorded).
void merge_limits(nlohmann::json& host_config, const Resources& r);
// The limits `update` can change (memory, CPU, cpuset, pids, blkio weight), as a HostConfig
// holds them (host_config_json's, with merge_limits' updates), over those in `r`: what a start
// or restart of the container applies. A key the record lacks leaves `r` as it is.
void apply_recorded_limits(const nlohmann::json& host_config, Resources& r);
// What `ps` shows in LIMITS, from a HostConfig: "mem 100MiB, cpu 20%, cpuset 0, pids 10"
// ("-" when none).
std::string limits_summary(const nlohmann::json& host_config);

// docker's Mounts from a container's record: one entry per -v (HOST:CTR[:ro] binds, NAME:CTR[:ro]
// and CTR volumes) and per image Volume (the first anonymous volumes), in the run's order, with
// Type, Name, Driver, Source, Destination, Mode, RW (and Propagation for binds).
nlohmann::json recorded_mounts(const nlohmann::json& config);

}  // namespace mydocker
