#include "mydocker/runtime/run.hpp"

#include <fcntl.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/init/init.hpp"
#include "mydocker/init/pty.hpp"
#include "mydocker/net/endpoint.hpp"
#include "mydocker/net/hosts.hpp"
#include "mydocker/net/netlink.hpp"
#include "mydocker/net/netns.hpp"
#include "mydocker/runtime/signals.hpp"
#include "mydocker/runtime/spawn.hpp"
#include "mydocker/runtime/supervisor.hpp"
#include "mydocker/seccomp/seccomp.hpp"
#include "mydocker/spec/config.hpp"
#include "mydocker/spec/layer.hpp"
#include "mydocker/spec/namespaces.hpp"
#include "mydocker/spec/prepare.hpp"
#include "mydocker/store/events.hpp"
#include "mydocker/store/store.hpp"
#include "mydocker/store/volumes.hpp"
#include "mydocker/util/closer.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/scope_guard.hpp"
#include "mydocker/util/timing.hpp"
#include "mydocker/util/trace.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

// Everything a run decides before it creates anything: bad input fails here.
struct Plan {
  std::string id;
  std::string name;
  std::string image_id;     // "" without an image
  std::string stop_signal;  // --stop-signal, else the image's StopSignal ("" for SIGTERM)
  std::map<std::string, std::string> labels;  // the image's, then --label-file, --label
  std::vector<std::string> image_volumes;     // the image's Volumes given an anonymous volume
  std::string user;                           // -u, else the image's User
  size_t entrypoint_size = 0;          // the first words of the command that are its Entrypoint
  std::optional<HealthConfig> health;  // --health-* over the image's Healthcheck
  std::string files_dir;               // the container's own files (overlay layers, /etc files)
  std::unique_ptr<CgroupManager> cgroups;
  Resources resources;
  InitConfig init;
  std::optional<net::Endpoint> endpoint;  // --net bridge|NAME, -p: its address is leased
  UniqueFd shared_netns;                  // --net container:NAME: its network namespace
  UniqueFd made_netns;                    // its own, made while it was planned (net/netns.hpp)
  bool veth_made = false;                 // ... with the veth pair in it
  UniqueFd shared_ipcns, shared_pidns;    // --ipc/--pid container:NAME
  std::string shm_dir;  // --ipc shareable: its /dev/shm, a tmpfs on the host (Launch::shm_dir)
  std::string notice;   // warnings, one a line: the host's command ran (check_host_command), ...
  std::string missing_hint;  // added to a "not found" error: no image of that name either
  bool ran_before = false;   // `start` of a container that ran: a failed start leaves it exited
};

// Whether `start` restarts a container that ran before (its record has a StartedAt): docker
// calls a container that never started "created", whatever its exit code.
bool started_before(const Store& store, const RunOptions& o) {
  if (o.id.empty()) return false;
  try {
    return !ContainerDir(store.root(), o.id).state().started_at.empty();
  } catch (const Error&) {
    return false;
  }
}

void print_notice(const Plan& p) {
  for (const auto& line : split(p.notice, "\n"))
    if (!line.empty()) std::fprintf(stderr, "mydocker: %s\n", line.c_str());
}

// The init's failure, as the user sees it.
Error failure_error(const InitFailure& f, const Plan& p) {
  return Error(f.message + (f.exit_code == kExitNotFound ? p.missing_hint : ""), f.exit_code);
}

// `start`: the image the container was made from, by its id (a tag moved or removed since
// changes nothing: `rmi -f` keeps an image a container uses); none on the host's files.
std::optional<ImageInfo> recorded_image(const RunOptions& o) {
  if (o.image_id->empty()) return std::nullopt;
  auto info = ImageStore(o.data_root).lookup(*o.image_id);
  if (!info || info->id != *o.image_id)
    throw Error("the image sha256:" + *o.image_id + " the container was made from is gone from " +
                o.data_root + "/images");
  return info;
}

// The image a run names: its first argument, when that is an image's name[:tag], its id, or
// 12 or more hex digits of it; otherwise the command runs on the host's files.
std::optional<ImageInfo> named_image(const RunOptions& o) {
  if (o.image_id) return recorded_image(o);
  if (!o.rootfs_dir.empty() || o.command.empty()) return std::nullopt;
  const std::string& ref = o.command.front();
  auto info = ImageStore(o.data_root).lookup(ref);
  if (!info) return std::nullopt;
  const bool by_name = ref == info->repository || ref == info->repository + ":" + info->tag ||
                       ref.find(':') != std::string::npos;  // a tag, or NAME@sha256:...
  const bool by_id = ref.size() >= 12 && info->id.compare(0, ref.size(), ref) == 0;
  if (by_name || by_id) return info;
  return std::nullopt;
}

// The file a command word names on the host's files, searched as the container's init will
// (PATH from -e, else docker's default); "" when there is none.
std::string host_command(const RunOptions& o, const std::string& word) {
  auto executable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (word.find('/') != std::string::npos) return executable(word) ? word : "";
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : o.env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  for (const auto& dir : split(path, ":"))
    if (executable(dir + "/" + word)) return dir + "/" + word;
  return "";
}

// A first word that is no local image. Only an image can have a tag, a digest or a registry:
// "image not found", before anything exists (a typo must never run a command on the host's
// files). A bare name (`busybox`) may be either: it runs the host's command, and says so on a
// terminal and with --trace; when the host has no such command either, `hint` completes the
// "not found" error with the missing image.
void check_host_command(const RunOptions& o, std::string& notice, std::string& hint) {
  if (!o.rootfs_dir.empty() || o.command.empty() || o.entrypoint) return;
  const std::string& word = o.command.front();
  const ReferenceKind kind = reference_kind(word);
  if (kind == ReferenceKind::kNotAReference) return;
  const std::string found = host_command(o, word);
  if (kind == ReferenceKind::kImageOnly && found.empty())
    throw Error("image '" + word + "' not found: no such image in " + o.data_root +
                "/images (`mydocker images` lists them; `mydocker import TARBALL NAME[:TAG]` " +
                "adds one)");
  if (found.empty()) {
    hint = " (and no image '" + word + "': `mydocker images` lists them)";
  } else if (::isatty(STDERR_FILENO) || o.trace || o.dry_run) {
    notice = "no image '" + word + "'; running the host's " + found + " on the host's files" +
             (o.host_rw ? " (writable: --host-rw)" : " (read-only)");
  }
}

// Without -h: the id's first 12 digits, or with --net host the host's own name (docker's: the
// container is on the host's network, and names itself as the host does).
std::string default_hostname(const RunOptions& o, const std::string& id) {
  char name[HOST_NAME_MAX + 1] = {};
  if (effective_network(o) == "host" && ::gethostname(name, sizeof name - 1) == 0 && name[0])
    return name;
  return short_id(id);
}

// A container path as the kernel will walk it ("/sys//fs/./cgroup/" is /sys/fs/cgroup; ".."
// was refused already): for comparing mount targets.
std::string plain_path(const std::string& path) {
  std::string out;
  for (const auto& part : split(path, "/"))
    if (!part.empty() && part != ".") out += "/" + part;
  return out.empty() ? "/" : out;
}

// docker's defaults, and the container's cgroups as it sees them:
// - an image's root (or --rootfs): its own cgroups at /sys/fs/cgroup, and a cgroup namespace
//   of its own on v2 (docker: private on v2, host on v1); a mount of the user's at /sys/fs/cgroup
//   or above it takes the view's place, one below it the place of the hierarchy it is in (v1;
//   on v2 the view is one mount: it goes);
// - the host's files: the host's /sys as it is, and the host's cgroup namespace unless
//   --cgroupns private asks otherwise, which brings the view too (over the host's cgroups, in
//   its own mount namespace), so that /proc/self/cgroup and /sys/fs/cgroup agree.
void prepare_cgroups_seen(const RunOptions& o, const HostCgroups& host, const Plan& p,
                          InitConfig& c) {
  const bool v2 = host.mode == CgroupMode::kV2;  // the manager's driver (hybrid: v1)
  c.new_cgroupns = o.cgroupns.empty() ? v2 && !c.rootfs.empty() : o.cgroupns == "private";
  if (c.rootfs.empty() && !c.new_cgroupns) return;
  CgroupView view = cgroup_view_of(host, p.cgroups->record());
  constexpr std::string_view kView = "/sys/fs/cgroup/";
  for (const auto& m : c.mounts) {
    const std::string t = plain_path(m.target);
    if (t == "/" || t == "/sys" || t == "/sys/fs" || t == "/sys/fs/cgroup") return;
    if (t.rfind(kView, 0) != 0) continue;
    if (v2) return;
    const std::string name = t.substr(kView.size(), t.find('/', kView.size()) - kView.size());
    std::erase_if(view.v1, [&](const auto& b) {  // "cpu,cpuacct": by either name too
      const auto parts = split(b.first, ",");
      return b.first == name || std::find(parts.begin(), parts.end(), name) != parts.end();
    });
  }
  c.cgroup_view = true;
  c.cgroup_binds = view.v1;
  c.cgroup2_dir = view.v2;
}

InitConfig make_init_config(const RunOptions& o, const HostCgroups& host, const Plan& p,
                            const ImageDefaults& image) {
  InitConfig c;
  c.argv = o.command;
  if (!p.image_id.empty()) c.argv.erase(c.argv.begin());  // the image's name
  c.hostname = o.hostname.empty() ? default_hostname(o, p.id) : o.hostname;
  // v1: the init joins itself; v2: it is born inside (CLONE_INTO_CGROUP).
  if (const CgroupJoin join = p.cgroups->join(); join.clone_into.empty())
    c.join_files = join.self_files;
  // -d -i: the container's stdin is a pipe its supervisor holds open, for `mydocker attach`
  // (docker's `run -di`); -d -t: a PTY, whatever our own stdin is. `create -t` likewise: its
  // start decides (a start without -a is detached).
  c.interactive = o.interactive;
  c.tty = o.detach || o.create_only ? o.tty : use_pty(o.tty, c.interactive);
  c.trace = o.trace;
  if (c.tty && !o.detach) {
    winsize ws{};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
      c.rows = ws.ws_row;
      c.cols = ws.ws_col;
    }
  }
  prepare_init(o, image, p.files_dir, o.state_root + "/" + p.id, c);
  prepare_cgroups_seen(o, host, p, c);
  if (c.userns) c.join_files.clear();  // the parent moves it (see Supervisor::run_once)
  SeccompFilter filter = seccomp_filter_for(o, c.capabilities);
  c.seccomp_bpf = std::move(filter.bpf);
  c.seccomp_file = std::move(filter.file);
  return c;
}

bool wants_report(const RunOptions& o) { return o.report || !o.report_file.empty(); }

// --net/--pid/--ipc container:NAME: a namespace of that running container, opened through its
// init's pidfd (a pid reused meanwhile is not it). `flag` names the flag in errors.
UniqueFd container_namespace(const RunOptions& o, const std::string& ref, const char* flag,
                             const char* ns) {
  const Store store(o.state_root);
  const ContainerDir dir = store.open(ref);
  const ContainerState st = dir.state();
  UniqueFd pidfd(st.pid > 0 ? static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)) : -1);
  if (st.status != "running" || !pidfd || !dir.supervisor_alive() ||
      !pid_in_container(st.pid, dir.id()))
    throw Error("invalid value 'container:" + ref + "' for " + flag +
                ": the container is not running");
  if (std::string(flag) == "--ipc" &&
      dir.config().value("host_config", nlohmann::json::object()).value("IpcMode", "") !=
          "shareable")
    throw Error("invalid value 'container:" + ref +
                "' for --ipc: its IPC namespace is private (run it with --ipc shareable)");
  const std::string path = "/proc/" + std::to_string(st.pid) + "/ns/" + ns;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError(errno, "open " + path);
  return fd;
}

// --net container:NAME, docker's way: the other container's hostname, and its /etc/hosts and
// /etc/resolv.conf themselves (bound: what its network learns, this one sees), as the network
// is its. (Not in a user namespace of this run's own: the files are the other's, unmapped.)
void share_network_files(const RunOptions& o, const std::string& ref, InitConfig& init) {
  if (init.rootfs.empty() || o.userns == "private") return;
  const ContainerDir dir = Store(o.state_root).open(ref);
  const auto config = dir.config();
  init.hostname = config.value("hostname", init.hostname);
  for (const std::string file : {"hosts", "resolv.conf", "hostname"}) {
    std::string source = dir.path() + "/" + file;  // its own files (own_files_dir)
    if (::access(source.c_str(), F_OK) != 0) source = config.value("files_dir", "") + "/" + file;
    if (::access(source.c_str(), F_OK) != 0) continue;  // a run on the host's files has none
    for (auto& m : init.mounts)
      if (m.file && m.target == "/etc/" + file) m.source = source;
  }
}

// The namespaces of other containers this run joins: the network's and IPC's are entered by
// the init, the PID one around its clone (spawn.cpp).
void join_containers(const RunOptions& o, Plan& p) {
  if (const std::string n = effective_network(o); n.rfind("container:", 0) == 0) {
    p.shared_netns = container_namespace(o, n.substr(10), "--net", "net");
    p.init.join_namespaces.push_back({p.shared_netns.get(), CLONE_NEWNET});
    share_network_files(o, n.substr(10), p.init);
  }
  // Its System V IPC and message queues, and its /dev/shm (POSIX shared memory: shm_open). A
  // mount of another mount namespace cannot be bound (EINVAL), so docker's way: a shareable
  // container's /dev/shm is a tmpfs on the host, <state root>/<id>/shm, bound into it and into
  // the containers that join it.
  auto bind_shm = [&](const std::string& dir) {
    MountSpec m;
    m.source = dir;
    m.target = "/dev/shm";
    p.init.mounts.push_back(m);
  };
  if (o.ipc == "shareable") {
    p.shm_dir = o.state_root + "/" + p.id + "/shm";
    bind_shm(p.shm_dir);
  }
  if (const std::string t = container_mode_target(o.ipc); !t.empty()) {
    p.shared_ipcns = container_namespace(o, t, "--ipc", "ipc");
    p.init.join_namespaces.push_back({p.shared_ipcns.get(), CLONE_NEWIPC});
    bind_shm(Store(o.state_root).open(t).path() + "/shm");
  }
  if (const std::string t = container_mode_target(o.pid); !t.empty()) {
    p.shared_pidns = container_namespace(o, t, "--pid", "pid");
    p.init.born_in_pid_ns = p.shared_pidns.get();
  }
}

// The volumes -v names, made once the plan holds; an empty one gets the image's files at its
// target (docker's copy-up), done by the init, which sees the image there.
void make_volumes(const RunOptions& o, Plan& p) {
  const VolumeStore volumes(o.data_root);
  for (const auto& [name, anonymous] : p.init.volumes) {
    bool made = false;
    const Volume v = volumes.ensure(name, {}, anonymous, &made);
    if (made) record_event(o.state_root, volume_event("create", name));
    // docker's rule: an empty volume (new, or made by `volume create`) gets the image's files.
    if (p.init.lower.empty() || !list_dir(v.mountpoint).empty()) continue;
    for (auto& m : p.init.mounts)
      if (m.source == v.mountpoint && !m.nocopy) m.copy_up = true;
  }
}

// An image of another platform than the one asked for (--platform) is refused, as docker's
// "does not match the specified platform"; one of another platform than the host's, asked for
// nothing, is run with docker's warning (it fails at its first exec: exec format error, 126).
void check_image_platform(const RunOptions& o, const std::string& image, std::string& notice) {
  if (image.empty()) return;  // an import's config names the host's; older ones none
  const std::string host = "linux/" + host_architecture();
  if (!o.platform.empty() && o.platform.rfind(image, 0) != 0)
    throw Error("image " + o.command.front() + " was found but does not match the specified " +
                "platform: wanted " + o.platform + ", actual: " + image);
  if (o.platform.empty() && image != host)
    notice = "WARNING: The requested image's platform (" + image +
             ") does not match the detected host platform (" + host +
             ") and no specific platform was requested";
}

// `start` of a container made before: the limits its record holds (its flags', with what
// `update` changed since: docker keeps them in HostConfig) over those of its words.
void apply_limits_of_record(const RunOptions& o, Resources& r) {
  if (o.id.empty()) return;
  try {
    const auto config = ContainerDir(o.state_root, o.id).config();
    apply_recorded_limits(config.value("host_config", nlohmann::json()), r);
  } catch (const Error&) {  // no record: its words' limits
  }
}

// `id`: chosen already (run: its veth is named before the plan exists), else o.id or a new one.
Plan make_plan(const RunOptions& o, const Fs& fs, const HostCgroups& host,
               const std::string& id = "") {
  Plan p;
  p.id = !id.empty() ? id : o.id.empty() ? new_container_id() : o.id;
  p.name = o.name.empty() ? generate_name(p.id) : o.name;
  p.cgroups = make_cgroup_manager(fs, host, p.id, o.cgroup_parent);
  timing::mark("plan: manager");
  const HostLimits limits = p.cgroups->available();
  p.resources = parse_resources(o, limits);
  apply_limits_of_record(o, p.resources);
  const auto warnings =
      limit_warnings(o, p.resources, !p.resources.blkio_weight || p.cgroups->io_weight_supported());
  timing::mark("plan: resources");
  p.resources.devices = device_rules(o);
  p.cgroups->validate(p.resources);
  ImageDefaults image;
  if (auto info = named_image(o)) {
    p.image_id = info->id;
    const ImageStore images(o.data_root);
    image = image_defaults(images.config(*info), images.lowerdirs(*info));
    check_image_platform(o, image.platform, p.notice);
    p.stop_signal = image.stop_signal;
    p.labels = image.labels;
    p.user = image.user;
  } else {
    check_host_command(o, p.notice, p.missing_hint);
  }
  for (const auto& w : warnings) p.notice += (p.notice.empty() ? "" : "\n") + w;
  timing::mark("plan: image");
  if (!o.stop_signal.empty()) p.stop_signal = o.stop_signal;
  if (!o.user.empty()) p.user = o.user;
  p.health = health_config(o, image.healthcheck);
  if (o.entrypoint)
    p.entrypoint_size = o.entrypoint->empty() ? 0 : 1;
  else
    p.entrypoint_size = image.entrypoint.size();
  for (auto& [k, v] : parse_labels(o)) p.labels[k] = v;
  if (!image.lowers.empty() || !o.rootfs_dir.empty())
    p.files_dir = container_files_dir(o.data_root, p.id);
  p.init = make_init_config(o, host, p, image);
  p.image_volumes = image_volumes(o, image);
  if (!fs.dry_run()) join_containers(o, p);
  if (!fs.dry_run()) make_volumes(o, p);
  // Last: the address is leased (persisted) only once everything else checked out.
  if (bridged(o) && !fs.dry_run())
    p.endpoint = net::plan_endpoint(o.data_root, effective_network(o), o.ip, o.publish, p.id,
                                    p.name, o.network_aliases);
  return p;
}

// Whether the run's own network namespace is made by a helper while it is planned (net/netns.hpp):
// not with
// --trace (the lesson's clone makes it, in order), not for the host's or another container's
// network, and not in a user namespace of the container's own (which must own its network
// namespace for its root to configure it).
bool netns_early(const RunOptions& o) {
  const std::string n = effective_network(o);
  return !o.trace && (o.userns.empty() || o.userns == "host") && n != "host" &&
         n.rfind("container:", 0) != 0;
}

// Whether the early namespace's helper makes the veth pair too: on a bridge, of a network that
// exists (the built-in one is made on first use). A run refused while it is planned removes a
// pair made for nothing (~EarlyNetns); one of a network that does not exist is never made.
bool early_veth(const RunOptions& o) {
  if (!bridged(o)) return false;
  const std::string n = effective_network(o);
  return n == net::kDefaultNetwork || net::NetworkStore(o.data_root).has(n);
}

// The /etc/hosts lines of a bridged container: its address with its hostname and name (the
// containers already on its network come with announce(), under the networks' lock).
// A container started again lists its peers on the networks `network connect` added too.
std::string endpoint_hosts(const Plan& p, const std::string& data_root, const ContainerDir& dir) {
  if (!p.endpoint) return "";
  std::string out =
      p.endpoint->ip() + "\t" + p.init.hostname + "\n" + net::hosts_line(p.endpoint->lease) + "\n";
  for (const auto& x : net::extra_endpoints(dir.extra_networks()))
    for (const auto& line : net::peer_lines(data_root, x)) out += line + "\n";
  return out;
}

// --add-host NAME:host-gateway: the gateway of the container's network (the host's address on
// its bridge), "" off a bridge.
std::string host_gateway(const Plan& p) {
  return p.endpoint ? net::format_ipv4(p.endpoint->network.gateway) : "";
}

// The containers already on the network learn the new one's name, and it theirs.
void announce(const Plan& p, const RunOptions& o) {
  if (!p.endpoint || p.endpoint->network.builtin()) return;
  const Store store(o.state_root);
  net::announce_peer(o.data_root, p.endpoint->network.name, p.id,
                     net::hosts_line(p.endpoint->lease), hosts_files_of(store));
}

// The image as the run named it ("" on the host's files).
std::string image_name(const RunOptions& o, const Plan& p) {
  return p.image_id.empty() ? "" : o.command.front();
}

// --rm: its name out of its peers' /etc/hosts, its address back to the pool.
void forget_endpoint(const Plan& p, const RunOptions& o,
                     const std::vector<net::Endpoint>& extras = {}) noexcept {
  if (p.endpoint) return forget_network(o, &*p.endpoint, p.id, extras);
  // --net none, host, container:NAME never lease an address: nothing to look for (a lock and a
  // listing of the networks' directory each run otherwise).
  if (bridged(o)) net::release(o.data_root, p.id);
}

// --rm: the record, its files, its address and its anonymous volumes go.
void discard(const Store& store, const ContainerDir& dir, const Plan& p,
             const RunOptions& o) noexcept {
  // The networks `network connect` added, read before the record goes: forgotten with its own.
  std::vector<net::Endpoint> extras;
  try {
    if (p.endpoint) extras = net::extra_endpoints(dir.extra_networks());
    // Its files and work directories stay for the next image run (spec/layer.hpp).
    const bool kept = p.init.volatile_upper && keep_spare_layer(p.files_dir, o.state_root);
    store.remove(dir, p.name, kept ? std::string() : p.files_dir);
    timing::mark("discard: removed");
    record_event(o.state_root,
                 container_event("destroy", p.id, p.name, image_name(o, p), p.labels));
    const VolumeStore volumes(o.data_root);
    for (const auto& [name, anonymous] : p.init.volumes)
      if (anonymous) {
        volumes.remove(
            name, [](const std::string&) { return false; }, true);
        record_event(o.state_root, volume_event("destroy", name));
      }
  } catch (const std::exception&) {
  }
  forget_endpoint(p, o, extras);
  timing::mark("discard: endpoint forgotten");
}

std::string hosts_file(const Plan& p) {
  for (const auto& m : p.init.mounts)
    if (m.target == "/etc/hosts") return m.source;
  return "";
}

ContainerState first_state(const Plan& p) {
  ContainerState st;
  // Written once, before the cgroups exist, and claiming them in advance (so that `prune`
  // finds what a killed run made): no other container's directory can have their names, each
  // ends in this container's own random id.
  st.cgroup = p.cgroups->record().once_made();
  st.supervisor_pid = ::getpid();
  return st;
}

nlohmann::json config_for(const RunOptions& o, const Plan& p) {
  nlohmann::json c = make_config(o, p.id, p.name, p.resources, p.init);
  c["image"] = p.image_id;
  if (!p.stop_signal.empty()) c["stop_signal"] = p.stop_signal;
  c["image_name"] = image_name(o, p);
  c["labels"] = p.labels;
  const auto split_at = p.init.argv.begin() + static_cast<std::ptrdiff_t>(p.entrypoint_size);
  c["entrypoint"] = std::vector<std::string>(p.init.argv.begin(), split_at);
  c["cmd"] = std::vector<std::string>(split_at, p.init.argv.end());
  c["user"] = p.user;
  c["working_dir"] = p.init.cwd;
  c["platform"] = "linux";
  c["run_args"] = o.typed_args;
  nlohmann::json named = nlohmann::json::array(), anonymous = nlohmann::json::array();
  for (const auto& [name, anon] : p.init.volumes) (anon ? anonymous : named).push_back(name);
  c["volumes"] = named;
  c["anonymous_volumes"] = anonymous;  // the image's Volumes' first (image_volumes), then -v's
  c["image_volumes"] = p.image_volumes;
  if (p.health) c["healthcheck"] = health_json(*p.health);
  if (!o.created.empty()) c["created"] = o.created;
  c["files_dir"] = p.files_dir;
  c["data_root"] = o.data_root;
  c["process"] = process_json(p.init);
  if (p.endpoint) {
    c["network"] = net::endpoint_json(*p.endpoint);
    c["network"]["data_root"] = o.data_root;
    c["network"]["hosts"] = hosts_file(p);
  }
  return c;
}

// The container's record. `start` runs a created or stopped container again under its own id:
// its old record goes (its files, the writable layer, stay: docker keeps them; so does its log).
Store::Created record(const Store& store, const RunOptions& o, const Plan& p,
                      const ContainerState& st, bool durable) {
  auto created = store.create(p.id, p.name, config_for(o, p), st, durable, !o.id.empty());
  if (o.id.empty())  // not `start` of a container made before
    record_event(o.state_root, container_event("create", p.id, p.name, image_name(o, p), p.labels));
  return created;
}

SupervisorSetup setup_for(const RunOptions& o, const HostCgroups& host, const Fs& fs, Plan& p,
                          SignalForwarder& signals) {
  SupervisorSetup s;
  s.options = &o;
  s.host = &host;
  s.fs = &fs;
  s.id = p.id;
  s.cgroups = p.cgroups.get();
  s.resources = p.resources;
  s.init = p.init;
  s.made_netns = std::move(p.made_netns);
  s.veth_made = p.veth_made;
  s.init.wait_network = p.endpoint.has_value();
  s.restart = parse_restart_policy(o.restart);
  s.stop_timeout = stop_timeout_seconds(o);
  s.detached = o.detach;
  s.report = wants_report(o);
  s.signals = &signals;
  s.endpoint = p.endpoint ? &*p.endpoint : nullptr;
  s.health = p.health;
  s.shm_dir = p.shm_dir;
  s.ran_before = p.ran_before;
  return s;
}

// --dry-run: the same checks and the same trace lines, in the order a real run prints them,
// with $PID for the pid; nothing is created or run.
RunResult dry_run(const RunOptions& o) {
  const Fs fs(/*dry_run=*/true);
  const HostCgroups host = detect_host_cgroups(fs);
  Plan p = make_plan(o, fs, host);
  print_notice(p);
  SpawnOptions so;
  so.init = &p.init;  // the clone a real run makes (trace_spawn's line for it)
  so.cgroup_dir = p.cgroups->join().clone_into;
  so.new_net = p.init.new_net;
  so.userns = p.init.userns;
  so.namespaces = namespaces_of(p.init);
  auto clone = [&] {
    trace_spawn(so);
    if (p.init.userns)
      for (const char* file : {"uid_map", "gid_map"}) {
        const bool uid = file[0] == 'u';
        trace::emit("echo '0 " + std::to_string(uid ? p.init.uid_base : p.init.gid_base) + " " +
                    std::to_string(uid ? p.init.uid_count : p.init.gid_count) + "' > /proc/$PID/" +
                    file);
      }
  };
  describe_container_files(p.init, o, p.files_dir, o.state_root + "/" + p.id);
  const bool clone_first = clone_before_cgroups(p.init, so.cgroup_dir);
  if (clone_first) clone();
  p.cgroups->create(p.resources);
  p.cgroups->set(p.resources);
  if (!clone_first) clone();
  if (bridged(o)) net::trace_connect(o.data_root, effective_network(o), o.publish, p.id);
  (void)describe_init(p.init);
  (void)p.cgroups->destroy();
  return {};
}

// A start that failed, for run and run -d alike: with --rm the record goes; otherwise it stays,
// with the reason (created if it never ran, exited if it did).
void record_failure(const RunOptions& o, const Store& store, Store::Created& created,
                    const Plan& plan, const std::exception& e) noexcept {
  try {
    if (o.remove) {
      discard(store, created.dir, plan, o);
    } else {  // never started: created, as docker leaves it, with the reason and no address
      if (!plan.ran_before) forget_endpoint(plan, o);
      created.dir.update([&](ContainerState& st) {
        record_ended(st, !plan.ran_before, kExitSetupError, e.what());
      });
    }
  } catch (...) {
  }
}

// A supervisor forked to go on without the caller: its own session, no terminal, nothing of the
// caller's stdio (a caller reading our output until EOF must not wait for it), and not the
// caller's nftables socket (net/netlink.hpp: one owner per socket). The working directory
// stays: a relative --root or --data-root names paths from it.
void detach_from_caller() {
  ::setsid();
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) throw_errno("open /dev/null (a supervisor's stdio)");
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  if (null > 2) ::close(null);
  net::NfTables::release_shared();
}

// run -d: a supervisor process is forked off to own the container; we wait until the command
// has started (or failed to), print the id and leave.
RunResult run_detached(const RunOptions& o, const Store& store, Store::Created created, Plan& p,
                       const HostCgroups& host, const Fs& fs) {
  Pipe ready = make_pipe();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork (the container's supervisor)");
  if (pid == 0) {
    // The supervisor (it inherited supervisor.lock).
    ready.read.reset();
    int code = 0;
    try {
      detach_from_caller();
      SignalForwarder signals;
      Supervisor sup(setup_for(o, host, fs, p, signals), created.dir);
      Outcome out = sup.run([&](const std::optional<InitFailure>& f) {
        std::string msg = f ? encode_failure(*f) : "ok";
        // --trace: the lines up to the start went to the caller's stderr; the caller leaves
        // now, and what the supervisor does later (the teardown) is no lesson for its terminal.
        // Its copy of that stderr goes too (a caller reading it to the end would wait for the
        // container's), and a restart's init, a clone of us, finds no descriptor to write to.
        const int traced_to = trace::fd();
        trace::set_enabled(false);
        trace::set_fd(-1);
        if (traced_to > STDERR_FILENO) ::close(traced_to);
        (void)write_all(ready.write.get(), msg.data(), msg.size());
        ready.write.reset();
      });
      if (o.remove && !out.restarting) discard(store, created.dir, p, o);
      code = out.status;
    } catch (const std::exception& e) {
      // The record first (created, no address: docker's), then the caller is told: what it
      // inspects next is the final state.
      record_failure(o, store, created, p, e);
      std::string msg = encode_failure({kExitSetupError, e.what()});
      if (ready.write) (void)write_all(ready.write.get(), msg.data(), msg.size());
      code = kExitSetupError;
    }
    settle_closers();  // no copy of supervisor.lock outlives us (atexit does not run)
    ::_exit(code & 0xff);
  }
  ready.write.reset();
  created.supervisor_lock.reset();  // the supervisor holds it now
  std::string msg(4096, '\0');
  ssize_t n = read_full(ready.read.get(), msg.data(), msg.size());
  msg.resize(n > 0 ? static_cast<size_t>(n) : 0);
  if (msg == "ok") return RunResult{0, {}, std::nullopt, p.id};
  if (auto f = decode_failure(msg)) throw failure_error(*f, p);
  throw Error("the container's supervisor died before the container started");
}

}  // namespace

std::string oom_message(const Stats& stats, const std::string& id) {
  if (!stats.memory || stats.memory->oom_kills == 0) return "";
  const auto& m = *stats.memory;
  std::string limit = m.limit ? "memory limit " + format_size(*m.limit) : "no memory limit";
  return std::to_string(m.oom_kills) + (m.oom_kills == 1 ? " process" : " processes") +
         " of container " + short_id(id) + (m.oom_kills == 1 ? " was" : " were") +
         " killed by the OOM killer (" + limit + ", peak " +
         format_size(static_cast<int64_t>(m.peak)) + ")";
}

namespace {

RunResult finish(const RunOptions& o, const Store& store, Store::Created& created, const Plan& plan,
                 const Outcome& out) {
  RunResult result;
  result.id = plan.id;
  result.status = out.status;
  for (auto& problem : out.problems) result.messages.push_back("cleanup: " + problem);
  if (o.remove && !out.restarting) discard(store, created.dir, plan, o);
  if (out.failure) throw failure_error(*out.failure, plan);
  if (auto oom = oom_message(out.stats, plan.id); !oom.empty())
    result.messages.insert(result.messages.begin(), oom);
  if (wants_report(o))
    result.report = RunReport{plan.id, plan.cgroups->record().driver_name(), out.status,
                              out.wall_seconds, out.stats};
  return result;
}

// --cidfile: made (never replaced: docker's rule, a file that exists may belong to a running
// container) before anything else, filled with the id once the container exists, and removed
// again when the run fails and leaves no container behind.
class CidFile {
 public:
  explicit CidFile(const RunOptions& o) : path_(o.cidfile), remove_(o.remove) {
    if (path_.empty()) return;
    fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd_ && errno == EEXIST)
      throw Error("invalid value '" + path_ +
                  "' for --cidfile: the file exists (a container may still use it); remove it "
                  "first");
    if (!fd_) throw Error("invalid value '" + path_ + "' for --cidfile: " + errno_text(errno));
  }
  CidFile(const CidFile&) = delete;
  CidFile& operator=(const CidFile&) = delete;
  ~CidFile() {
    if (fd_ && !keep_) ::unlink(path_.c_str());
  }
  // The container exists: its record stays after a failed start, unless --rm.
  void write(const std::string& id) {
    if (!fd_) return;
    if (!write_all(fd_.get(), id.data(), id.size()))
      throw Error("--cidfile " + path_ + ": " + errno_text(errno));
    keep_ = !remove_;
  }
  void keep() { keep_ = true; }

 private:
  std::string path_;
  bool remove_;
  UniqueFd fd_;
  bool keep_ = false;
};

// create: the record, status "created", and nothing else: no cgroup, no process, no address
// held (start plans the run again from the words it was given).
RunResult create_only(const RunOptions& o, const Store& store, const Plan& p, CidFile& cid) {
  ContainerState st = first_state(p);
  st.supervisor_pid = 0;
  auto created = record(store, o, p, st, true);
  cid.write(p.id);
  forget_endpoint(p, o);
  cid.keep();
  return RunResult{0, {}, std::nullopt, p.id};
}

// Foreground: we are the supervisor.
// A foreground run whose policy restarts its container (docker's client returns at the first
// exit and its daemon restarts it): a supervisor is forked to go on as run -d's does, in its own
// session without our stdio (the container's output goes to its log); the caller returns the
// first run's status. supervisor.lock is shared with it (one open file: flock's lock stays
// while either holds it).
SupervisorSetup::HandOff hand_off_restarts(bool& detached_child, Plan& plan) {
  const pid_t pid = ::fork();
  if (pid < 0) return SupervisorSetup::HandOff::kStay;
  if (pid > 0) return SupervisorSetup::HandOff::kReturn;
  detached_child = true;
  plan.ran_before = true;  // a restart that fails leaves it exited, not created (record_failure)
  detach_from_caller();
  return SupervisorSetup::HandOff::kGoOn;
}

// The handed-off supervisor's end: nothing of the caller's return path (its output, its
// --cidfile, its guards) runs again here.
[[noreturn]] void exit_detached_supervisor(int status) {
  settle_closers();  // no copy of supervisor.lock outlives us (atexit does not run)
  ::_exit(status & 0xff);
}

RunResult run_foreground(const RunOptions& o, const Fs& fs, const HostCgroups& host,
                         const Store& store, CidFile& cid, net::EarlyNetns& early,
                         const std::string& id, UniqueFd& veth_guard) {
  SignalForwarder signals;
  Plan plan = make_plan(o, fs, host, id);
  plan.ran_before = started_before(store, o);
  timing::mark("planned");
  print_notice(plan);
  // The container's directory (and its lock) exists before its first cgroup, so `prune`
  // knows it is alive.
  auto created = record(store, o, plan, first_state(plan), /*durable=*/false);
  veth_guard.reset();  // its record and lease exist: prune sees it is ours
  cid.write(plan.id);
  create_container_files(plan.init, o, plan.files_dir, created.dir.path(),
                         endpoint_hosts(plan, o.data_root, created.dir), host_gateway(plan));
  announce(plan, o);
  timing::mark("recorded");
  SupervisorSetup setup = setup_for(o, host, fs, plan, signals);
  // Taken right before the clone: the kernel makes it while we plan, record and (v1, the
  // host's files; v2) make the cgroups.
  setup.early_netns = &early;
  bool detached_child = false;
  setup.hand_off = [&] { return hand_off_restarts(detached_child, plan); };
  Outcome out;
  try {
    Supervisor sup(std::move(setup), created.dir);  // gone before a handed-off one exits
    out = sup.run(nullptr);
  } catch (const std::exception& e) {
    record_failure(o, store, created, plan, e);  // the supervisor has undone the run
    if (detached_child) exit_detached_supervisor(kExitSetupError);
    throw;
  }
  if (detached_child) exit_detached_supervisor(out.status);
  timing::mark("supervised");
  cid.keep();
  return finish(o, store, created, plan, out);
}

}  // namespace

// -P: the image's ExposedPorts ("80/tcp", "53/udp") added to -p as CTRPORT/PROTO, each on a
// free host port (docker's rule). Without an image, or an image exposing nothing: no change.
static std::optional<RunOptions> with_exposed_ports(const RunOptions& o) {
  if (!o.publish_all) return std::nullopt;
  RunOptions out = o;
  out.publish_all = false;
  if (auto info = named_image(o)) {
    const auto config =
        nlohmann::json::parse(ImageStore(o.data_root).config(*info), nullptr, false);
    if (config.is_object() && config.contains("config") && config["config"].is_object()) {
      const auto& c = config["config"];
      if (c.contains("ExposedPorts") && c["ExposedPorts"].is_object())
        for (const auto& [port, _] : c["ExposedPorts"].items()) out.publish.push_back(port);
    }
  }
  return out;
}

RunResult run_container(const RunOptions& o) {
  if (auto expanded = with_exposed_ports(o)) return run_container(*expanded);
  validate_run_options(o);
  trace::set_enabled(o.trace || o.dry_run);
  if (o.dry_run) return dry_run(o);
  if (::geteuid() != 0)
    throw Error("mydocker run needs root (running as uid " + std::to_string(::geteuid()) +
                "); --dry-run shows what it would do");
  // As early as possible: it takes about as long as planning the run. On a bridge its veth
  // pair too, named after the container's id (chosen here for that).
  const std::string id = o.id.empty() ? new_container_id() : o.id;
  const bool early_netns = !o.create_only && netns_early(o);
  // Held until the record exists: `prune` judges no veth meanwhile (its lease and record come
  // later). Declared first: ~EarlyNetns deletes a pair nobody claimed while it is held.
  UniqueFd veth_guard =
      early_netns && early_veth(o) ? net::hold_early_veths(o.data_root) : UniqueFd();
  net::EarlyNetns early(early_netns, veth_guard ? net::veth_name(id) : "");
  timing::mark("plan: netns helper");
  const Fs fs;
  const HostCgroups host = detect_host_cgroups(fs);
  timing::mark("plan: host cgroups");
  const Store store(o.state_root);
  ::signal(SIGPIPE, SIG_IGN);  // a dead child shows as EPIPE, not as our death
  // --trace: the lines go to a copy of our stderr that the command never gets (close-on-exec)
  // and that the init keeps when its stderr becomes the container's (a log would hold them):
  // the init is a clone, so it writes where we do. A supervisor of run -d keeps it too.
  UniqueFd trace_out(o.trace ? ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3) : -1);
  if (trace_out) trace::set_fd(trace_out.get());
  const ScopeGuard trace_back([&] {
    if (trace_out) trace::set_fd(STDERR_FILENO);  // before trace_out closes
  });
  CidFile cid(o);
  if (!o.detach && !o.create_only)
    return run_foreground(o, fs, host, store, cid, early, id, veth_guard);
  Plan p = make_plan(o, fs, host, id);
  p.ran_before = started_before(store, o);
  print_notice(p);
  if (o.create_only) return create_only(o, store, p, cid);
  auto created = record(store, o, p, first_state(p), true);
  veth_guard.reset();  // its record and lease exist: prune sees it is ours
  cid.write(p.id);
  create_container_files(p.init, o, p.files_dir, created.dir.path(),
                         endpoint_hosts(p, o.data_root, created.dir), host_gateway(p));
  announce(p, o);
  p.veth_made = adopt_early_netns(early, p.init, p.made_netns) && early.claim_veth();
  (void)early.take();  // no helper lives on across the supervisor's fork
  RunResult result = run_detached(o, store, std::move(created), p, host, fs);
  cid.keep();
  return result;
}

}  // namespace mydocker
