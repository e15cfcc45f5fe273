#pragma once
// OCI hooks (runtime-spec config.md "POSIX-platform Hooks"): each runs with the container's
// state JSON on its stdin, its own args and env, bounded by its timeout.

#include <optional>
#include <string>
#include <vector>

#include "mydocker/init/protocol.hpp"

namespace mydocker::oci {

// Runs `hook` to its end. nullopt when it exited 0; otherwise why not ("hook /bin/x: exit
// status 2: <its output>", "... timed out after 5s"). Never throws (the init calls it).
std::optional<std::string> run_hook(const OciHook& hook, const std::string& state_json);
// Each hook of `hooks` in order, stopping at the first failure: "<phase> hook #N: <why>".
std::optional<std::string> run_hooks(const std::vector<OciHook>& hooks, const char* phase,
                                     const std::string& state_json);

}  // namespace mydocker::oci
