#pragma once
// The container's init: `mydocker init`, re-executed from /proc/self/exe inside the new
// namespaces. It reads its InitConfig from the sync pipe, waits for the parent's "go" (sent once
// the cgroups exist and hold their limits), joins them, sets up the mounts and hostname, and
// execs the command: nothing of the command runs outside its limits. This path uses neither CLI11 nor the logger: it starts fast and stays small.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mydocker {

struct InitConfig {
  std::vector<std::string> argv;  // the user's command
  std::vector<std::string> env;   // its whole environment
  std::string hostname;
  std::string cwd = "/";  // docker's default working directory
  // Files the init writes "0" into to join the container's cgroups (v1: <dir>/tasks).
  std::vector<std::string> join_files;
  bool interactive = false;
  bool tty = false;
  bool trace = false;
};

std::string encode_init_config(const InitConfig& c);
std::optional<InitConfig> decode_init_config(std::string_view data);

// The message the sync pipe carries after the config: the parent's go-ahead.
inline constexpr char kSyncGo = 'G';

struct InitFailure {
  int exit_code;  // 125 setup, 126 cannot execute, 127 not found
  std::string message;
};

// The init's steps, inside the new namespaces. With `dry` (for --dry-run) each prints its trace
// lines and does nothing.
//
// Joins the container's cgroups: writes "0" into each of c.join_files.
std::optional<InitFailure> join_cgroups(const InitConfig& c, bool dry);
// Makes the mount tree private, mounts /proc, sets the hostname, points stdin at /dev/null
// without -i.
std::optional<InitFailure> prepare_container(const InitConfig& c, bool dry);
// Drops what the command must not inherit and execs it; returns only on failure.
InitFailure exec_container(const InitConfig& c);

// The `mydocker init SYNC_FD ERROR_FD` entry point (called from main before any other set-up).
int init_main(int argc, char** argv);

// The child's failure as sent over the error pipe: "<exit code>\n<message>".
std::string encode_failure(const InitFailure& f);
std::optional<InitFailure> decode_failure(std::string_view data);

}  // namespace mydocker
