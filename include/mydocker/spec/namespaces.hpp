#pragma once
// The namespaces a run shares instead of making its own (--uts host, --pid host|container:,
// --ipc host|container:|private|shareable), /dev/shm's size (--shm-size) and the namespaced
// kernel parameters (--sysctl), checked with docker's rules and messages.

#include <string>

#include "mydocker/init/protocol.hpp"
#include "mydocker/spec/options.hpp"

namespace mydocker {

// Fills c.new_uts, new_pid, new_ipc, shm_size, sysctls and the /dev/shm bind of --ipc host.
// --pid/--ipc container:NAME are joined by the run (it opens that container's namespaces).
// Throws Error naming the flag and the value.
void prepare_namespaces(const RunOptions& o, InitConfig& c);

// "container:NAME" -> "NAME"; "" for anything else.
std::string container_mode_target(const std::string& mode);

}  // namespace mydocker
