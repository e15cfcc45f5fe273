#pragma once
// `mydocker info`'s cgroup part: the mode and why, each hierarchy's mount and the caller's cgroup
// in it, where containers go (and why, on v2), the controllers offered, and the problems found
// (a missing hierarchy or controller, no swap accounting, an empty cpuset parent), each with its
// fix.

#include <nlohmann/json.hpp>
#include <string>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker {

// {"problem": what, "fix": how}
nlohmann::json problem(const std::string& what, const std::string& fix);

// The "cgroup" object of `info --format json`; problems are appended to `problems`.
nlohmann::json describe_cgroups(const Fs& fs, const HostCgroups& host, nlohmann::json& problems);

}  // namespace mydocker
