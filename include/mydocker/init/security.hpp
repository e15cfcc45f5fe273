#pragma once
// What the container's init does to itself last, before it execs the command: the loopback up
// in its new network namespace, rlimits (--ulimit), the user (-u), the capabilities it keeps
// (docker's default set, --cap-add/--cap-drop, --privileged), no_new_privs, and the seccomp
// filter (compiled by the parent, loaded here).

#include <optional>
#include <string>
#include <vector>

#include "mydocker/init/protocol.hpp"

namespace mydocker {

std::optional<InitFailure> bring_up_loopback(const InitConfig& c, bool dry);
std::optional<InitFailure> drop_privileges(const InitConfig& c, bool dry);
// OCI with noNewPrivileges: the seccomp filter, loaded last (after `start`).
std::optional<InitFailure> load_seccomp_filter(const InitConfig& c);

// docker's default capabilities. CAP_MKNOD is one: a node made in the container is the host's
// device, but the device rules (cgroup v1 devices, v2 BPF filter) allow opening only docker's
// usual ones, so making it gives nothing more.
std::vector<std::string> default_capabilities();
// "NET_ADMIN", "cap_net_admin" -> "CAP_NET_ADMIN"; "ALL" stays "ALL". Throws Error for an
// unknown name.
std::string capability_name(const std::string& text, const char* flag = nullptr);
// Every capability the running kernel knows.
std::vector<std::string> all_capabilities();
// The capabilities this process holds (permitted and in its bounding set). Only these can be
// given to a container: mydocker run inside a container or a restricted VM lacks some, and
// --privileged then means "everything we have", as in docker (moby's caps.initCaps).
std::vector<std::string> held_capabilities();
// The default set with --cap-add and --cap-drop applied (docker's rules: ALL in either),
// limited to `held`. --cap-add of a capability that is not held is an error.
std::vector<std::string> effective_capabilities(const std::vector<std::string>& add,
                                                const std::vector<std::string>& drop,
                                                bool privileged,
                                                const std::vector<std::string>& held);

// --ulimit NAME=SOFT[:HARD] -> {resource, soft, hard}. Throws Error naming the flag.
std::vector<uint64_t> parse_ulimit(const std::string& text);

}  // namespace mydocker
