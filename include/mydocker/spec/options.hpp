#pragma once
// What `mydocker run` was asked for, as plain values. The CLI fills this; the core checks it.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/cgroup/resources.hpp"
#include "mydocker/store/log.hpp"
#include "mydocker/util/cpulist.hpp"

namespace mydocker {

// A flag's value together with the spelling the user typed, so errors can name it:
// {"-mem", "100m"} -> "invalid value 'abc' for -mem: ...".
struct FlagValue {
  std::string flag;
  std::string value;
};

inline constexpr const char* kDefaultStateRoot = "/run/mydocker";
inline constexpr const char* kDefaultDataRoot = "/var/lib/mydocker";
inline constexpr int kDefaultStopTimeout = 10;

struct RunOptions {
  std::vector<std::string> command;  // everything from the first non-flag argument on

  // memory
  std::optional<FlagValue> memory;              // -mem, -m, --memory SIZE
  std::optional<FlagValue> memory_swap;         // --memory-swap SIZE (memory+swap), -1
  std::optional<FlagValue> memory_reservation;  // --memory-reservation SIZE
  std::optional<FlagValue> kernel_memory;       // --kernel-memory SIZE: checked, then ignored
  std::optional<FlagValue> memory_swappiness;   // --memory-swappiness 0..100
  bool oom_kill_disable = false;                // --oom-kill-disable
  // cpu
  std::optional<FlagValue> cpu_percent;     // -cpu PERCENT of one CPU
  std::optional<FlagValue> cpus;            // --cpus N (fractional CPUs)
  std::optional<FlagValue> cpu_period;      // --cpu-period µs
  std::optional<FlagValue> cpu_quota;       // --cpu-quota µs
  std::optional<FlagValue> cpu_shares;      // -cpushare, --cpu-shares N
  std::optional<FlagValue> cpu_rt_runtime;  // --cpu-rt-runtime µs
  std::optional<FlagValue> cpu_rt_period;   // --cpu-rt-period µs
  std::optional<FlagValue> cpuset_cpus;     // -cpuset, --cpuset-cpus LIST
  std::optional<FlagValue> cpuset_mems;     // --cpuset-mems LIST
  // pids, io
  std::optional<FlagValue> pids_limit;                         // --pids-limit N (0, -1: unlimited)
  std::optional<FlagValue> blkio_weight;                       // --blkio-weight 10..1000
  std::vector<FlagValue> device_read_bps, device_write_bps;    // DEVICE:SIZE
  std::vector<FlagValue> device_read_iops, device_write_iops;  // DEVICE:N
  // devices
  std::vector<std::string> devices;              // --device HOST[:CONTAINER][:PERMS]
  std::vector<std::string> device_cgroup_rules;  // --device-cgroup-rule 'c 1:3 rwm'

  bool interactive = false;  // -i: keep stdin
  bool tty = false;          // -t: keep the caller's terminal
  std::string name;
  std::string hostname;                   // default: the container's short id
  std::string cgroup_parent;              // "" = default (mydocker below the caller's cgroup)
  std::optional<FlagValue> stop_timeout;  // seconds, default 10; -1 waits forever
  bool trace = false;
  bool dry_run = false;
  // The filesystem: an image (the first argument, when it names one), or --rootfs DIR, or
  // neither (the host's files, as before images).
  std::string image;
  std::string rootfs_dir;  // --rootfs DIR
  bool host_rw = false;    // --host-rw: a run without an image sees the host's files writable
  std::vector<std::string> volumes;            // -v HOST:CTR[:ro]
  std::vector<std::string> tmpfs;              // --tmpfs PATH[:OPTIONS]
  bool read_only = false;                      // --read-only
  std::vector<std::string> env;                // -e KEY=VALUE, -e KEY (from our environment)
  std::vector<std::string> env_files;          // --env-file FILE
  std::string workdir;                         // -w DIR
  std::string user;                            // -u UID[:GID] or NAME[:GROUP]
  std::optional<std::string> entrypoint;       // --entrypoint
  std::string network = "none";                // --net none|host|bridge|NAME (-p: bridge)
  bool network_given = false;                  // --net named (-p then publishes on it only)
  std::vector<std::string> publish;            // -p [HOSTIP:][HOSTPORT:]CTRPORT[/PROTO]
  bool publish_all = false;                    // -P: the image's ExposedPorts, free host ports
  std::string ip;                              // --ip (a user-defined network)
  std::vector<std::string> network_aliases;    // --network-alias (a user-defined network)
  std::vector<std::string> dns;                // --dns IP (resolv.conf's nameservers)
  std::vector<std::string> dns_search;         // --dns-search DOMAIN ("." for none)
  std::vector<std::string> dns_options;        // --dns-option OPT (resolv.conf's options)
  std::vector<std::string> add_hosts;          // --add-host NAME:IP
  std::vector<std::string> cap_add, cap_drop;  // --cap-add, --cap-drop
  bool privileged = false;                     // --privileged
  std::vector<std::string> security_opts;      // seccomp=unconfined|FILE, no-new-privileges[=bool]
  std::vector<std::string> ulimits;            // --ulimit NAME=SOFT[:HARD]
  std::string userns = "host";                 // --userns host|private
  std::string data_root = kDefaultDataRoot;    // images and containers' files

  bool detach = false;              // -d: run in the background, print the id
  bool remove = false;              // --rm: remove the container when it ends
  std::string restart = "no";       // --restart no|on-failure[:N]|always|unless-stopped
  bool report = false;              // --report: a summary of what the container used, on stderr
  std::string report_file;          // --report-file FILE: the same as JSON
  std::vector<std::string> labels;  // --label KEY[=VALUE]
  std::vector<std::string> label_files;  // --label-file FILE: KEY[=VALUE] lines
  std::string stop_signal;               // --stop-signal SIG (over the image's StopSignal)
  std::string cidfile;                   // --cidfile FILE: the id, written when it is created
  std::string platform;                  // --platform OS/ARCH: the host's, or refused
  bool init = false;                     // --init: a tiny init as PID 1 (the exec stub)
  std::string uts, pid, ipc;             // --uts host, --pid host|container:, --ipc ...
  std::string cgroupns;                  // --cgroupns host|private ("": v2 private, v1 host)
  std::string shm_size;                  // --shm-size SIZE (/dev/shm)
  std::vector<std::string> group_add;    // --group-add GROUP (name or gid)
  std::vector<std::string> sysctls;      // --sysctl KEY=VALUE (namespaced ones)
  std::string health_cmd;                // --health-cmd (run with /bin/sh -c)
  std::string health_interval, health_timeout, health_start_period, health_retries;
  bool no_healthcheck = false;           // --no-healthcheck: not even the image's
  std::string log_driver = "json-file";  // --log-driver json-file|none
  std::vector<std::string> log_opts;     // --log-opt max-size=SIZE, max-file=N

  // create and start (not flags).
  bool create_only = false;             // create: record the container, run nothing
  std::vector<std::string> typed_args;  // run's/create's words as typed: start parses them again
  std::string id;                       // start: the container's own id (its record is replaced)
  std::string created;                  // start: when it was created (RFC 3339)
  // start: the anonymous volumes (-v /path) of its last run, in order: used again (docker's)
  std::vector<std::string> anonymous_volumes;
  // start: the image it was made from (config.json's "image": its id; "" for the host's files or
  // --rootfs), whatever the first word names now: docker ties a container to its image's id.
  std::optional<std::string> image_id;
  std::string state_root = kDefaultStateRoot;
};

// docker's smallest memory limit and reservation: below it a container is OOM-killed at once.
inline constexpr int64_t kMinMemory = 6 * 1024 * 1024;

// The container's device rules, in order: docker's defaults (every device with --privileged),
// then an allow for each --device node, then the --device-cgroup-rule rules. Throws Error
// naming the flag and the value.
std::vector<DeviceRule> device_rules(const RunOptions& o);

// Converts and checks the resource flags with docker's rules and messages where docker has
// them. Throws Error (exit 125) naming the flag and the value.
// `current` (update): the limits the container has. -m keeps its memory+swap limit and may not
// go above it without a new --memory-swap (docker's rule); --memory-swap alone keeps its memory
// limit. Either one set brings the other along: the kernel's memory+swap limit (v1), and the
// swap alone (v2's memory.swap.max = memory+swap - memory), depend on both.
Resources parse_resources(const RunOptions& o, const HostLimits& host,
                          const Resources* current = nullptr);

// docker's warnings about limits (the run goes on): a weight the kernel cannot take (no CFQ or
// BFQ here: `io_weight` false, CgroupManager::io_weight_supported) is dropped from `r`;
// --kernel-memory is ignored; --oom-kill-disable without -m.
std::vector<std::string> limit_warnings(const RunOptions& o, Resources& r, bool io_weight);

// docker's restart policies.
struct RestartPolicy {
  enum Kind { kNo, kOnFailure, kAlways, kUnlessStopped } kind = kNo;
  int max_retries = 0;       // on-failure:N; 0 = no maximum
  std::string text() const;  // "on-failure:3"
};
// Throws Error naming --restart.
RestartPolicy parse_restart_policy(const std::string& text);

// The network a run joins: "none", "host", or a bridge network's name ("bridge" is the
// built-in); -p without --net means "bridge".
std::string effective_network(const RunOptions& o);
bool bridged(const RunOptions& o);

// --label and --label-file as KEY -> VALUE, the files first and --label over them (docker's
// order). Throws Error naming the flag and the value or the file.
std::map<std::string, std::string> parse_labels(const RunOptions& o);

// --log-driver and --log-opt: json-file's rotation, or nullopt for "none" (no log kept).
// Throws Error naming the flag and the value.
std::optional<LogRotation> log_rotation(const RunOptions& o);

// --mount type=bind|volume|tmpfs,source=,target=[,readonly][,tmpfs-size=][,tmpfs-mode=] as
// the -v or --tmpfs value it means: {"-v", "SRC:DST:ro"} or {"--tmpfs", "DST:size=..."}.
// Throws Error naming --mount and the value.
std::pair<std::string, std::string> mount_flag(const std::string& text);

// docker's rule for a container's name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128). Throws Error
// naming `what` (--name, the new name of rename).
// --add-host as the run keeps it, NAME:IP: docker 25's NAME=IP form (for IPv6 addresses, also
// "[2001:db8::1]") becomes NAME:2001:db8::1; NAME:IP stays.
std::string add_host_entry(const std::string& value);

void check_container_name(const std::string& name, const std::string& what);

// --platform: empty or the host's own (linux/ARCH); anything else is refused. Throws Error.
void check_platform(const std::string& platform);

// Checks the other flags (name, hostname, stop timeout, restart, command). Throws Error.
void validate_run_options(const RunOptions& o);
int stop_timeout_seconds(const RunOptions& o);

// "/dev/sda:1mb" -> DeviceLimit (the path must be a block device). `size` parses the rate as
// a docker size (bps), otherwise as a whole number (iops). Throws Error naming the flag.
DeviceLimit parse_device_limit(const FlagValue& f, bool size);

}  // namespace mydocker
