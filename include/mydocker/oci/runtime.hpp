#pragma once
// The OCI runtime's operations (runc's command line, which containerd's shim and podman's
// conmon call): create, start, state, kill, delete, pause, resume, ps, update, events,
// exec. The CLI
// (src/oci/cli.cpp) parses the flags and prints; these do the work and throw Error.

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/oci/state.hpp"

namespace mydocker::oci {

struct CreateOptions {
  std::string root = kDefaultRoot;
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  int preserve_fds = 0;
};

// Everything set up; the container's process waits on its exec FIFO. Returns its pid (our
// child: `run` waits for it).
pid_t create(const CreateOptions& o);
// Releases a created container to exec process.args, then runs the poststart hooks.
void start(const std::string& root, const std::string& id);
// `run`: create + start, then (unless detached) wait for the process and delete the
// container; returns its exit status (128+N for signal N).
int run(const CreateOptions& o, bool detach, bool keep);

nlohmann::json state(const std::string& root, const std::string& id);
// Signals the init (all of the container's processes with `all`). Throws Error when the
// container is not created, running or paused.
void kill(const std::string& root, const std::string& id, int signal, bool all);
// Removes a stopped (or, with force, any) container: processes, cgroups, poststop hooks, state.
void remove(const std::string& root, const std::string& id, bool force);
void pause(const std::string& root, const std::string& id, bool frozen);
std::vector<pid_t> processes(const std::string& root, const std::string& id);
void update(const std::string& root, const std::string& id, const nlohmann::json& resources);
// runc events: each event ({"type": "stats"|"oom", "id", "data"}) to `emit`; with `once` one
// stats event, otherwise stats every `interval_ms` and OOMs as they come, until the container
// stops. Throws Error when it is not running.
void events(const std::string& root, const std::string& id, bool once, int interval_ms,
            const std::function<void(const nlohmann::json&)>& emit);

struct ExecOptions {
  std::string root = kDefaultRoot;
  std::string id;
  std::string process_file;       // --process FILE: a runtime-spec process object
  std::vector<std::string> args;  // or the command
  std::vector<std::string> env;   // --env
  std::string cwd, user;          // --cwd, --user UID[:GID]
  std::vector<std::string> caps;  // --cap (added to every set)
  bool tty = false, detach = false, no_new_privs = false;
  std::string pid_file, console_socket;
  int preserve_fds = 0;
};
// Runs a process in the container; returns its exit status (0 with detach).
int exec(const ExecOptions& o);

// Sends `fd` over the unix socket at `path` with SCM_RIGHTS, as runc hands a PTY's master to
// --console-socket. Throws Error.
void send_console(const std::string& path, int fd);
// mkdir -p of --root (0700).
void make_root(const std::string& root);
// Writes `pid` into `path` atomically (a temp file renamed).
void write_pid_file(const std::string& path, pid_t pid);

}  // namespace mydocker::oci
