#pragma once
// The kernel's CPU and memory-node list format: "0-2,4" (cpuset.cpus, Cpus_allowed_list).

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace mydocker {

using CpuSet = std::set<int>;

// "0-2,4" -> {0,1,2,4}; "" (or "\n") -> {}. nullopt for anything else ("1-0", "a", "1-", "-1").
std::optional<CpuSet> parse_cpu_list(std::string_view text);

// {0,1,2,4} -> "0-2,4"
std::string format_cpu_list(const CpuSet& cpus);
// The CPUs this process may run on (sched_getaffinity); empty if that fails.
CpuSet affinity_cpus();

}  // namespace mydocker
