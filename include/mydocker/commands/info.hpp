#pragma once
// `mydocker info`: the host as mydocker sees it (cgroup mode and why, each hierarchy's mount and
// the caller's cgroup in it, where containers' cgroups go, which namespaces exist).

#include <nlohmann/json.hpp>
#include <string>

#include "mydocker/util/fs.hpp"

namespace mydocker {

nlohmann::json host_info(const Fs& fs, const std::string& state_root,
                         const std::string& proc = "/proc");

}  // namespace mydocker
