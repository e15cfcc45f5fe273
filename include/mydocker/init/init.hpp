#pragma once
// The container's init: a clone of `mydocker run` (or `mydocker init`, re-executed) inside the
// new namespaces. It makes its mounts, waits for the parent's "join" (the cgroups exist), joins
// them and enters its root while the parent writes their limits, waits for "go" (the limits are
// in place), then sets its hostname and privileges and execs the command: nothing of the
// command runs outside its limits. This path uses neither CLI11
// nor the logger: it starts fast and stays small.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mydocker/init/protocol.hpp"

namespace mydocker {

// The init's steps, inside the new namespaces. With `dry` (for --dry-run) each prints its trace
// lines and does nothing.
//
// Joins the container's cgroups: writes "0" into each of c.join_files.
std::optional<InitFailure> join_cgroups(const InitConfig& c, bool dry);
// c.new_cgroupns: a cgroup namespace of its own, once in its cgroups (they become its root).
std::optional<InitFailure> unshare_cgroupns(const InitConfig& c, bool dry);
// After the mounts (rootfs.hpp): the hostname, the loopback, the PTY (sent over `socket`) or
// stdin, and the privileges dropped (security.hpp).
std::optional<InitFailure> setup_process(const InitConfig& c, int socket, bool dry);
// --dry-run: every step's trace lines, in order, doing nothing.
std::optional<InitFailure> describe_init(const InitConfig& c);
// Drops what the command must not inherit and execs it; returns only on failure.
InitFailure exec_container(const InitConfig& c);

// The init's whole job once its configuration is known: the trees (--userns private), the
// mounts, the wait for "join", joining the cgroups, entering the root, the wait for "go", the
// privileges, the exec.
// Returns (an exit status) only when something failed, after reporting it on `error_fd`.
// Called in a clone of `mydocker run` (the configuration in memory, no exec) or by init_main.
int run_init(InitConfig& c, int sync_fd, int error_fd);
// mydocker oci create's init (oci_init.cpp).
int run_oci_init(InitConfig& c, int sync_fd, int error_fd);
// The command can be found and run (find_command), checked before it is exec'd.
std::optional<InitFailure> check_command(const InitConfig& c);

// The `mydocker init SYNC_FD ERROR_FD` entry point (called from main before any other set-up).
int init_main(int argc, char** argv);

}  // namespace mydocker
