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
// docker's HostConfig resource fields: Memory, MemorySwap, CpuQuota, CpusetCpus, PidsLimit...
nlohmann::json host_config_json(const Resources& r);
// What `ps` shows in LIMITS, from a HostConfig: "mem 100MiB, cpu 20%, cpuset 0, pids 10"
// ("-" when none).
std::string limits_summary(const nlohmann::json& host_config);

}  // namespace mydocker
