#pragma once
// The protocol between mydocker (the parent) and the container's init, both sides of it:
//
//   parent                                  init (`mydocker init SYNC ERRORS`)
//   clone + exec  ───────────────────────►  reads: u32 size, then the InitConfig (CBOR)
//   (--userns private: the id maps, then one byte; the idmapped trees as SCM_RIGHTS fds)
//   cgroups made                            mounts made meanwhile (what does not need them)
//   kSyncJoin ───────────────────────────►  joins the cgroups (v1), pivot_root
//   limits written (meanwhile)
//   kSyncGo ─────────────────────────────►  drops privileges, seccomp, the command
//   -t: receives the PTY master  ◄────────  sends it over the sync socket (SCM_RIGHTS)
//   error pipe: EOF = the exec worked  ◄──  or "<exit code>\n<message>" (encode_failure)
//
// The error pipe is close-on-exec in the init: the command's exec closes it, so EOF without a
// message means the command started.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mydocker {

// A device node the init makes in the container's /dev (--device, --privileged).
struct DeviceNode {
  std::string path;       // inside the container, absolute (/dev/xvdc)
  std::string host_path;  // where it came from (bound instead of mknod in a user namespace)
  char type = 'c';        // 'c' or 'b'
  uint32_t major = 0, minor = 0;
  uint32_t mode = 0660;  // permission bits, as on the host
  uint32_t uid = 0, gid = 0;
  bool operator==(const DeviceNode&) const = default;
};

// A mount inside the container: a bind (volumes, /etc/hostname...) or a filesystem (tmpfs).
struct MountSpec {
  std::string source;  // host path (bind) or the filesystem's source name
  std::string target;  // path inside the container
  std::string fstype;  // "" for a bind mount
  std::string data;    // mount options for the filesystem ("size=64m")
  bool readonly = false;
  bool file = false;  // the bind target is a file, not a directory
  // A new named volume: the image's files at the target are copied into it first (docker's).
  bool copy_up = false;
  bool nocopy = false;  // -v NAME:/path:nocopy: not that (planning only; not sent to the init)
};

// A mount of an OCI bundle's config.json (mydocker oci), as mount(2) takes it.
struct OciMount {
  std::string source;       // a host path for binds (absolute), else the filesystem's source name
  std::string target;       // inside the container
  std::string type;         // "bind" for binds; "cgroup" is made from the container's own cgroups
  std::string data;         // what is left for the filesystem ("mode=755,size=65536k")
  unsigned long flags = 0;  // MS_RDONLY, MS_NOSUID... (MS_BIND, MS_REC for binds)
  unsigned long propagation = 0;        // MS_PRIVATE, MS_SLAVE... (with MS_REC for r-forms)
  uint64_t attr_set = 0, attr_clr = 0;  // recursive attributes (rro, rnosuid...): mount_setattr
  bool file = false;                    // a bind of a file: the target is a file
  bool copy_up = false;  // tmpcopyup: a tmpfs gets the files it covers (podman's --read-only)
  bool operator==(const OciMount&) const = default;
};

// One hook of an OCI bundle (path, args, env, timeout in seconds; 0 = none).
struct OciHook {
  std::string path;
  std::vector<std::string> args, env;
  int timeout = 0;
  bool operator==(const OciHook&) const = default;
};

struct InitConfig {
  std::vector<std::string> argv;  // the user's command
  std::vector<std::string> env;   // its whole environment
  std::string hostname;
  std::string cwd = "/";  // docker's default working directory
  // Files the init writes "0" into to join the container's cgroups (v1: <dir>/tasks).
  std::vector<std::string> join_files;
  bool interactive = false;
  bool tty = false;             // a PTY: the init makes one and hands its master to the parent
  bool init_process = false;    // --init: the exec stub stays as PID 1 and forks the command
  uint16_t rows = 0, cols = 0;  // its first window size (the caller's terminal)
  bool trace = false;

  // The filesystem. An empty rootfs keeps the host's files (a container without an image).
  std::string rootfs;              // the new root: overlay's merged dir, or --rootfs
  std::string lower, upper, work;  // overlay layers (empty for --rootfs)
  // --rm: the container's layer goes with it, so its overlay is "volatile" (no syncs; see
  // mount_overlay in rootfs.cpp).
  bool volatile_upper = false;
  // Not empty: the init makes the container's layer (spec/layer.hpp: the spare a --rm run left,
  // renamed, with a new upper; or the files directory, marked for this state root, upper and
  // work) before its overlay, while the parent makes the cgroups. The record exists by then,
  // so `prune` knows it is alive.
  std::string layer_owner;
  bool readonly_rootfs = false;     // --read-only
  std::vector<MountSpec> mounts;    // -v, --tmpfs, /etc/hostname, /etc/hosts, resolv.conf
  bool privileged = false;          // no masked or read-only paths, /sys writable, rootfs dev
  std::vector<DeviceNode> devices;  // made in the container's /dev: --device, --privileged
  // Without a rootfs: the host's files, read-only (fresh /tmp, /run, /dev/shm) unless this.
  bool host_rw = false;

  // The process.
  bool new_net = true;                    // --net none (default): only a loopback, up
  bool new_pid = true;                    // --pid host|container: (new_uts, new_ipc: below)
  std::string shm_size = "size=65536k";   // /dev/shm's tmpfs (--shm-size; docker's 64 MiB)
  uint32_t uid = 0, gid = 0;              // -u
  std::vector<uint32_t> groups;           // supplementary groups from the image's /etc/group
  std::vector<std::string> capabilities;  // kept: "CAP_CHOWN" ... (all: --privileged)
  bool no_new_privs = true;
  std::string seccomp_bpf;  // the compiled filter (struct sock_filter[]); "" = none
  std::vector<std::vector<uint64_t>> rlimits;  // {resource, soft, hard}
  // Where that filter is kept (the data root's cache): config.json names it for exec. Not
  // sent to the init.
  std::string seccomp_file;
  // Named volumes the run makes once its plan holds: name, anonymous (-v /path). Not sent.
  std::vector<std::pair<std::string, bool>> volumes;

  // /sys/fs/cgroup (docker's "cgroup" mount; an OCI bundle's mount of type "cgroup"): v1, the
  // name each hierarchy is mounted under and the container's directory in it, bound below a
  // tmpfs; v2, the container's cgroup, bound. Read-only but with --privileged.
  bool cgroup_view = false;  // run: mounted (an image's root, no user mount in its place)
  std::vector<std::pair<std::string, std::string>> cgroup_binds;
  std::string cgroup2_dir;
  // --cgroupns private (docker's default on v2; an OCI bundle's "cgroup" namespace): a cgroup
  // namespace unshared once the init is in its cgroups, so that they are its root ("0::/").
  bool new_cgroupns = false;

  // mydocker exec: the init joins the container's mount namespace through this inherited fd
  // (the parent joined the others and the cgroups) instead of building a root filesystem.
  int mount_ns_fd = -1;
  int pid_ns_fd = -1;
  // and fds of its cgroups' tasks / cgroup.procs files, opened by `mydocker exec` before it
  // left the host's mount namespace: the command's process writes "0" into each.
  std::vector<int> join_fds;  // and, after the mount namespace, its PID namespace for its child
  int cgroup_ns_fd = -1;      // its cgroup namespace (if not ours), joined after the cgroups

  // --userns private: a user namespace of its own, root mapped to host uid_base/gid_base.
  bool userns = false;
  uint32_t uid_base = 0, uid_count = 0, gid_base = 0, gid_count = 0;
  // Trees the parent makes idmapped (source) and the init attaches (target), in this order,
  // before the overlay: the container's directory over itself, the image at <dir>/lower.
  // Then, in a user namespace, every bind of `mounts` comes as a tree made by the parent too
  // (its source may be out of the container root's reach): idmapped for the container's own
  // /etc files, as is for volumes, read-only as asked.
  std::vector<MountSpec> idmapped;
  std::vector<int> trees;  // the init: their fds, as received (not encoded)

  // mydocker oci: config.json's mounts replace docker's /proc, /sys and /dev; its masked and
  // read-only paths replace docker's; and the rest of what a bundle may ask for.
  bool oci = false;
  std::vector<OciMount> oci_mounts;
  std::vector<std::string> masked_paths, readonly_paths;
  unsigned long rootfs_propagation = 0;  // linux.rootfsPropagation (spec.cpp: rslave unset)
  bool no_pivot = false;                 // create --no-pivot: MS_MOVE and chroot
  bool new_uts = true, new_ipc = true;   // namespaces created (else joined or the host's)
  std::string domainname;
  std::vector<std::pair<std::string, std::string>> sysctls;  // "net.ipv4.ip_forward", "1"
  int64_t personality = -1;                                  // personality(2) domain; -1: none
  std::optional<int> oom_score_adj;
  std::optional<uint32_t> umask;
  // The other capability sets; `capabilities` is the bounding set. Empty with oci = false:
  // docker's rule (effective = permitted = bounding for root, nothing inheritable or ambient).
  std::vector<std::string> cap_effective, cap_permitted, cap_inheritable, cap_ambient;
  std::vector<OciHook> create_container_hooks, start_container_hooks;
  std::string hook_state;       // the state JSON the hooks read on stdin
  bool die_with_parent = true;  // PR_SET_PDEATHSIG: not for `oci create`, which exits
  bool make_console = false;    // process.terminal: /dev/console is the PTY's slave
  int preserve_fds = 0;         // --preserve-fds N: fds 3..3+N-1 reach the command
  bool detach_exec = false;     // oci exec --detach: the waiter leaves once the command runs
  uint32_t seccomp_flags = 0;   // SECCOMP_FILTER_FLAG_* for the load
  // Not encoded: the namespaces to join (fd, CLONE_NEW*), user first; the exec FIFO `start`
  // opens (O_PATH), which the init waits on before the exec.
  std::vector<std::pair<int, int>> join_namespaces;
  int exec_fifo_fd = -1;
  // --pid container:NAME: the PID namespace the init is born in (the parent enters it around
  // the clone: a process cannot move itself into another one).
  int born_in_pid_ns = -1;
  // mydocker run: the network namespace made by a helper while the run was planned
  // (net/netns.hpp): the init is cloned without CLONE_NEWNET, born in this one (spawn.cpp enters
  // it around the clone).
  int made_netns_fd = -1;
  // ... whose loopback the helper brought up already (bring_up_loopback has nothing to do).
  bool loopback_up = false;
  // mydocker run on a bridge: the veth is wired while the init joins its cgroups and enters its
  // root; it waits for kSyncNetwork before the steps that may need eth0 (sysctls) and the exec.
  bool wait_network = false;

  // Not encoded: an init cloned from `mydocker run` has its configuration in memory already.
  int exec_stub_fd = -1;      // the sealed exec stub the command is exec'd through (exec_stub.hpp)
  int error_fd = -1;          // the error pipe, which the stub reports an exec failure on
  size_t tree_count() const;  // how many the parent sends
};

// The messages the sync socket carries after the config: the cgroups exist (the init joins
// them and enters its root while their limits are written), then the parent's go-ahead (the
// limits are in place: the command may run).
inline constexpr char kSyncJoin = 'J';
inline constexpr char kSyncGo = 'G';
// A bridged run's second one: its eth0 is wired (InitConfig::wait_network).
inline constexpr char kSyncNetwork = 'N';
// mydocker oci: the init asks for the prestart/createRuntime hooks, then says it waits on the
// exec FIFO (oci_init.cpp).
inline constexpr char kSyncHooks = 'H';
inline constexpr char kSyncReady = 'R';

// The init's side: the parent's next word on the sync socket is `word`. False on EOF or another
// word: the parent failed or died, and says why itself.
bool await_word(int sync_fd, char word);

struct InitFailure {
  int exit_code;  // 125 setup, 126 cannot execute, 127 not found
  std::string message;
};
// The init's failure as sent over the error pipe: "<exit code>\n<message>", at most
// kMaxFailureSize bytes (PIPE_BUF): a longer message is cut in its middle, which is marked,
// keeping its end (the reason, "...: Invalid argument"). So the write into the empty pipe
// never blocks, whatever the parent is doing: one over the pipe's 64 KiB (a bundle's 70000
// character hostname, in the message that refused it) had the init wait for a reader while
// `oci create` waited on the sync socket for the init.
inline constexpr size_t kMaxFailureSize = 4096;
std::string encode_failure(const InitFailure& f);
std::optional<InitFailure> decode_failure(std::string_view data);

// A waitpid status as mydocker reports it: the exit code, or 128+N for signal N.
int exit_status(int wait_status);

std::string encode_init_config(const InitConfig& c);
std::optional<InitConfig> decode_init_config(std::string_view data);
// Writes the encoded config to the init's sync socket (size, then bytes). EPIPE (the init
// died) is left for the wait to explain; other errors throw.
void send_init_config(int fd, const InitConfig& c);

// The process part (env, cwd, user, capabilities, no_new_privs, seccomp, rlimits), kept in
// the container's config.json so that `mydocker exec` runs under the same rules.
nlohmann::json process_json(const InitConfig& c);
// Fills those fields back from process_json's output; false when it is missing or malformed
// (a container created by an older mydocker).
bool read_process_json(const nlohmann::json& j, InitConfig& c);

}  // namespace mydocker
