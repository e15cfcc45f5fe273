#pragma once
// What the parent works out for the container's init from the run flags: the filesystem (image
// layers, --rootfs, volumes, tmpfs, /etc/hostname, /etc/hosts, /etc/resolv.conf), the command
// and its environment, the user, the network, capabilities, rlimits and seccomp. All checks
// happen here, before anything exists; files are made by create_container_files().

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/init/protocol.hpp"
#include "mydocker/spec/options.hpp"
#include "mydocker/util/files.hpp"

namespace mydocker {

// What an image gives a run: its layers, and its config's defaults (docker's Config), used
// where the flags are silent: Entrypoint + Cmd (docker's rules: arguments after the image
// replace Cmd; --entrypoint replaces Entrypoint and drops Cmd), Env (before --env-file and -e),
// WorkingDir (-w), User (-u), StopSignal (--stop-signal).
struct ImageDefaults {
  std::vector<std::string> lowers;  // overlay lowerdirs, top first; empty: no image
  std::vector<std::string> entrypoint, cmd, env;
  std::string workdir, user, stop_signal;
  std::map<std::string, std::string> labels;  // the image's Labels: a container inherits them
  nlohmann::json healthcheck;                 // the image's Healthcheck (null: none)
  std::vector<std::string> volumes;           // the image's Volumes: an anonymous volume each
  std::string platform;  // "os/architecture" as its config names them ("": it names none)
};
// The defaults of an image config (JSON text; what is malformed is ignored, as docker does).
ImageDefaults image_defaults(const std::string& config_json, std::vector<std::string> lowers);
// The image's Volumes that get an anonymous volume each (docker's VOLUME): those no -v,
// --mount or --tmpfs of the run puts something else on, cleaned of trailing '/'. They are
// mounted before the run's own, so that one below such a path lands on it. Error (exit 125)
// for a path that is not absolute or has "..".
std::vector<std::string> image_volumes(const RunOptions& o, const ImageDefaults& image);

// `files_dir`: where this container's own files go (its overlay layers and /etc files).
// Throws Error naming the flag and value.
void prepare_init(const RunOptions& o, const ImageDefaults& image, const std::string& files_dir,
                  const std::string& state_dir, InitConfig& c);

// The seccomp filter a run loads, compiled to BPF here (the init only loads it): mydocker's
// default profile (docker's policy), a docker-format FILE, or none (seccomp=unconfined,
// --privileged). Throws Error naming --security-opt.
struct SeccompFilter {
  std::string bpf;   // struct sock_filter[]; "" for none
  std::string file;  // its copy in the data root's cache; "" when it could not be kept there
};
SeccompFilter seccomp_filter_for(const RunOptions& o, const std::vector<std::string>& caps);

// `state_dir`: the container's directory in the state root (its /etc files and mount point).
// An image's layer is left to the init when InitConfig::layer_owner says so.
// `extra_hosts`: /etc/hosts lines of a bridged container (its address, its network's peers);
// `host_gateway`: its network's gateway, what --add-host NAME:host-gateway names.
// --dry-run: the lines create_container_files() prints under --trace (a bridged container's
// peers, known only once its address is leased, left out), making nothing.
void describe_container_files(const InitConfig& c, const RunOptions& o,
                              const std::string& files_dir, const std::string& state_dir);

void create_container_files(const InitConfig& c, const RunOptions& o, const std::string& files_dir,
                            const std::string& state_dir, const std::string& extra_hosts = "",
                            const std::string& host_gateway = "");
// The container's /etc/resolv.conf (docker's rule; --dns).
std::string resolv_conf(const RunOptions& o);

// -v HOST:CONTAINER[:ro|rw] (absolute paths, no '..'). Throws Error naming -v.
MountSpec parse_volume(const std::string& v);
// --tmpfs PATH[:OPTIONS], on docker's defaults (noexec,nosuid,nodev,size=65536k). Throws Error.
MountSpec parse_tmpfs(const std::string& v);

// One -e entry applied to `env`, as docker does: KEY=VALUE adds or replaces KEY; a bare KEY
// takes our own value (and is dropped when we have none). Throws Error for "" or "=VALUE".
void set_env(std::vector<std::string>& env, const std::string& entry);

// "KEY=VALUE" lines of an --env-file ('#' comments and blank lines skipped; a bare KEY takes
// our own value). Throws Error naming the file and line.
std::vector<std::string> read_env_file(const std::string& path);

struct ResolvedUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> groups;
  std::string home = "/root";
};
// -u UID[:GID] or NAME[:GROUP], names from the image's /etc/passwd and /etc/group (`root`
// empty: the host's); an empty `spec` is root (uid 0) as docker defaults to it. Supplementary
// groups: those listing the user's name, unless a group was named. Throws Error naming -u.
ResolvedUser resolve_user(const std::string& spec, const std::string& root);
// --group-add: a gid, or a group's name in the group file of `root` (the image's layers, top
// first; none: the host's). Throws Error naming --group-add.
uint32_t group_id(const std::string& group, const std::vector<std::string>& root);
// The same over an image's layers (top first: the topmost that has a file gives it).
ResolvedUser resolve_user(const std::string& spec, const std::vector<std::string>& layers);

}  // namespace mydocker
