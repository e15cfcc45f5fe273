// oci create / start / run: the bundle's container, set up by an init cloned into its
// namespaces (oci_init.cpp shows the other side of the exchange).

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "mydocker/cgroup/devices.hpp"
#include "mydocker/cgroup/manager.hpp"
#include "mydocker/oci/hooks.hpp"
#include "mydocker/oci/runtime.hpp"
#include "mydocker/oci/spec.hpp"
#include "mydocker/runtime/join.hpp"
#include "mydocker/runtime/spawn.hpp"
#include "mydocker/seccomp/seccomp.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/time.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker::oci {

using nlohmann::json;

void make_root(const std::string& root) {
  if (root.empty() || root.front() != '/') throw Error("--root must be an absolute path: " + root);
  make_dirs(root, 0700);
}

void write_pid_file(const std::string& path, pid_t pid) {
  write_file_atomic(path, std::to_string(pid), /*durable=*/false);
}

void send_console(const std::string& path, int fd) { send_console_fd(path, fd); }

namespace {

// Where the container's cgroups go: cgroupsPath split into a parent and the container's own
// directory. On cgroup v1 (this kind of host) both absolute and relative paths are placed
// below the caller's own cgroup (for a containerd or kubelet at the root this is exactly
// runc's placement; elsewhere it keeps a runtime inside the cgroup it was given). On v2 an
// absolute path is taken from the root, as runc does (v2's "no internal processes" rule).
struct Placement {
  std::string parent, leaf;
};

Placement placement(const std::string& cgroups_path, const std::string& id, CgroupMode mode) {
  if (cgroups_path.find(':') != std::string::npos)
    throw Error("config.json: linux.cgroupsPath: \"" + cgroups_path +
                "\" is a systemd slice path; mydocker has no systemd cgroup driver (use a path)");
  if (cgroups_path.empty()) return {"mydocker-runc", id};
  auto parts = split(cgroups_path, "/");
  for (const auto& p : parts)
    if (p == "." || p == "..")
      throw Error("config.json: linux.cgroupsPath: '.' and '..' are not allowed");
  if (parts.empty()) throw Error("config.json: linux.cgroupsPath: \"/\" is the root cgroup");
  Placement out{"", parts.back()};
  parts.pop_back();
  const bool absolute = cgroups_path.front() == '/' && mode == CgroupMode::kV2;
  for (const auto& p : parts) out.parent += (out.parent.empty() && !absolute ? "" : "/") + p;
  if (out.parent.empty()) out.parent = absolute ? "/" : ".";
  return out;
}

// Deny all, the spec's device rules, then runc's allowlist as runc and youki append it: mknod
// of any node ("c *:* m", "b *:* m": a node is useless without read or write, which the other
// rules govern) and the default devices. A node of linux.devices gets no rule of its own: the
// bundle's rules say whether it may be used (docker, podman and containerd write one for each).
std::vector<DeviceRule> device_rules(const Spec& s) {
  // Deny first, always: a bundle without rules gets the default devices only (runc's
  // allowlist), never every device of the host.
  std::vector<DeviceRule> rules = {DeviceRule{false, 'a', -1, -1, "rwm"}};
  rules.insert(rules.end(), s.resources.devices.begin(), s.resources.devices.end());
  const auto allows = default_device_allows();
  rules.insert(rules.end(), allows.begin(), allows.end());
  return rules;
}

uint32_t seccomp_flag_bits(const std::vector<std::string>& flags) {
  uint32_t bits = 0;
  for (const auto& f : flags) {
    if (f == "SECCOMP_FILTER_FLAG_LOG") bits |= SECCOMP_FILTER_FLAG_LOG;
    if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") bits |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  }
  return bits;
}

void compile_seccomp(const Spec& s, InitConfig& c) {
  if (s.seccomp.is_null()) return;
  for (const char* key : {"listenerPath", "listenerMetadata"})
    if (s.seccomp.contains(key) && !s.seccomp[key].get<std::string>().empty())
      throw Error(std::string("config.json: linux.seccomp.") + key +
                  ": seccomp notification is not supported by mydocker");
  json profile = s.seccomp;
  profile.erase("listenerPath");
  profile.erase("listenerMetadata");
  try {
    const SeccompProfile p = parse_seccomp_profile(profile);
    // Not compacted (seccomp/bpf.hpp): nothing is cached here, and compacting and checking
    // the program (about 2 ms) costs more than it saves at load time (about 0.2 ms).
    c.seccomp_bpf = compile_seccomp_bpf(p, c.capabilities, /*compact=*/false);
    c.seccomp_flags = seccomp_flag_bits(p.flags);
  } catch (const Error& e) {
    throw Error(std::string("config.json: linux.seccomp: ") + e.what());
  }
}

json hooks_json(const std::vector<OciHook>& hooks) {
  json out = json::array();
  for (const auto& h : hooks)
    out.push_back({{"path", h.path}, {"args", h.args}, {"env", h.env}, {"timeout", h.timeout}});
  return out;
}

std::string id_map_text(const std::vector<IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps)
    out += std::to_string(m.container) + " " + std::to_string(m.host) + " " +
           std::to_string(m.size) + "\n";
  return out;
}

// One create in progress: what it made is undone by the destructor unless it succeeded.
class Creation {
 public:
  Creation(Container ct, CreateOptions o) : ct_(std::move(ct)), o_(std::move(o)) {}
  ~Creation() {
    if (committed_) return;
    if (child_.pid > 0) {
      ::kill(child_.pid, SIGKILL);
      while (::waitpid(child_.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (cgroups_ && cgroups_made_) (void)cgroups_->destroy();
    if (created_dir_) remove_tree(ct_.dir());
  }
  Creation(const Creation&) = delete;
  Creation& operator=(const Creation&) = delete;

  pid_t run();

 private:
  void plan();
  void spawn();
  void make_cgroups();
  void exchange();
  [[noreturn]] void init_failed();
  json state_json(const std::string& status) const;

  Container ct_;
  CreateOptions o_;
  Spec spec_;
  Fs fs_;  // the cgroup manager keeps a reference
  HostCgroups host_;
  std::unique_ptr<CgroupManager> cgroups_;
  std::string leaf_;
  Child child_;
  Pipe sync_, errors_;
  UniqueFd fifo_;
  std::vector<UniqueFd> ns_fds_;
  std::string created_;
  bool created_dir_ = false, cgroups_made_ = false, committed_ = false;
};

json Creation::state_json(const std::string& status) const {
  json st = {{"ociVersion", kOciVersion}, {"id", ct_.id()},
             {"status", status},          {"bundle", spec_.bundle},
             {"rootfs", spec_.root},      {"annotations", spec_.annotations},
             {"created", created_},       {"cgroup_leaf", leaf_}};
  if (child_.pid > 0) {
    st["pid"] = child_.pid;
    st["pid_start"] = process_start_time(child_.pid);
  }
  json cg = json::object();
  if (cgroups_) put_cgroup_record(cg, cgroups_->record());
  st["cgroup"] = cg;
  return st;
}

void Creation::plan() {
  spec_ = load_bundle(o_.bundle);
  created_ = now_rfc3339();
  InitConfig& c = spec_.init;
  c.preserve_fds = o_.preserve_fds;
  c.no_pivot = o_.no_pivot;
  c.make_console = c.tty;
  if (c.tty && o_.console_socket.empty())
    throw Error("process.terminal is true: --console-socket is needed to receive the terminal");
  if (!c.tty && !o_.console_socket.empty())
    throw Error("--console-socket given, but process.terminal is false");
  c.new_net = c.new_uts = c.new_ipc = false;
  for (const auto& n : spec_.namespaces) {
    if (n.type == CLONE_NEWNET) c.new_net = n.path.empty();
    if (n.type == CLONE_NEWUSER) c.userns = n.path.empty();
  }
  const Fs& fs = fs_;
  host_ = detect_host_cgroups(fs);
  const Placement p = placement(spec_.cgroups_path, ct_.id(), host_.mode);
  leaf_ = p.leaf;
  cgroups_ = make_cgroup_manager(fs, host_, p.leaf, p.parent);
  spec_.resources.devices = device_rules(spec_);
  cgroups_->validate(spec_.resources);
  if (const CgroupJoin join = cgroups_->join(); join.clone_into.empty() && !c.userns)
    c.join_files = join.self_files;
  const CgroupView view = cgroup_view_of(host_, cgroups_->record());  // for a "cgroup" mount
  c.cgroup_binds = view.v1;
  c.cgroup2_dir = view.v2;
  compile_seccomp(spec_, c);
}

void Creation::spawn() {
  InitConfig& c = spec_.init;
  int new_namespaces = 0;
  for (const auto& n : spec_.namespaces) {
    if (n.path.empty()) {
      // A new cgroup namespace is unshared by the init once in its cgroups (runc's order): made
      // at the clone, its root would be our cgroup, not the container's.
      if (n.type == CLONE_NEWCGROUP)
        c.new_cgroupns = true;
      else if (n.type != CLONE_NEWUSER)
        new_namespaces |= n.type;
      continue;
    }
    UniqueFd fd(::open(n.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
      throw SysError(errno, "open linux.namespaces " + namespace_name(n.type) + " " + n.path);
    if (n.type == CLONE_NEWPID) {  // for our children only: the init is born in it
      if (::setns(fd.get(), CLONE_NEWPID) != 0)
        throw SysError(errno, "setns into the pid namespace " + n.path);
      continue;
    }
    // The init joins it; a user namespace first (it owns the others).
    auto at = n.type == CLONE_NEWUSER ? c.join_namespaces.begin() : c.join_namespaces.end();
    c.join_namespaces.insert(at, {fd.get(), n.type});
    ns_fds_.push_back(std::move(fd));
  }
  // Writable by anyone (past our umask): an init in a user namespace is not the host's root.
  if (::mkfifo(ct_.fifo().c_str(), 0622) != 0 || ::chmod(ct_.fifo().c_str(), 0622) != 0)
    throw SysError(errno, "mkfifo " + ct_.fifo());
  fifo_.reset(::open(ct_.fifo().c_str(), O_PATH | O_CLOEXEC));
  if (!fifo_) throw SysError(errno, "open " + ct_.fifo());
  c.exec_fifo_fd = fifo_.get();
  sync_ = make_channel();
  errors_ = make_pipe();
  const std::string into = cgroups_->join().clone_into;
  // The record on disk before any cgroup exists, its directories planned, not claimed (see
  // make_cgroups): a create killed from here on leaves a state `delete --force` finds.
  ct_.save(state_json("creating"));
  if (!into.empty()) make_cgroups();
  SpawnOptions so;
  so.init = &c;
  so.cgroup_dir = into;
  so.namespaces = new_namespaces;
  so.userns = c.userns;
  sigset_t mask;
  ::sigprocmask(SIG_SETMASK, nullptr, &mask);
  trace_spawn(so);
  child_ = spawn_init(sync_.read.get(), errors_.write.get(), mask, so);
  sync_.read.reset();
  errors_.write.reset();
  fifo_.reset();
  ns_fds_.clear();
  ct_.save(state_json("creating"));  // from here `delete --force` finds the init
  if (c.userns) {
    const std::string proc = "/proc/" + std::to_string(child_.pid);
    Fs().write(proc + "/uid_map", id_map_text(spec_.uid_mappings));
    Fs().write(proc + "/gid_map", id_map_text(spec_.gid_mappings));
    const char mapped = 1;
    (void)write_all(sync_.write.get(), &mapped, 1);
  }
  // The init re-executed itself (spawn.cpp): its configuration goes over the socket.
  send_init_config(sync_.write.get(), c);
  if (into.empty()) make_cgroups();
  if (c.userns || (!into.empty() && !child_.born_in_cgroup)) cgroups_->apply(child_.pid);
}

// The cgroups made, then claimed in the record: until then it names them as planned only, for
// cgroupsPath may name another container's directory (mkdir refuses it, and a create killed
// before that refusal must not leave a record that makes `delete --force` kill that container
// and remove its cgroups). A kill between the mkdirs and this save leaves empty directories
// that no record claims; `delete --force` names them.
void Creation::make_cgroups() {
  cgroups_made_ = true;
  cgroups_->create(spec_.resources);
  ct_.save(state_json("creating"));
  cgroups_->set(spec_.resources);
}

[[noreturn]] void Creation::init_failed() {
  std::string msg(8192, '\0');
  const ssize_t n = read_full(errors_.read.get(), msg.data(), msg.size());
  msg.resize(n > 0 ? static_cast<size_t>(n) : 0);
  if (auto f = decode_failure(msg)) throw Error(f->message, f->exit_code);
  throw Error("the container's init died while it was set up");
}

void Creation::exchange() {
  const int sync = sync_.write.get();
  (void)write_all(sync, &kSyncGo, 1);
  char step = 0;
  if (read_full(sync, &step, 1) != 1 || step != kSyncHooks) init_failed();
  // prestart (deprecated) and createRuntime: in our namespaces, the container's exist. Hooks see
  // the runtime-spec's state (and runc's extras), as `state` prints it: not our record's
  // internal fields (cgroup paths, the init's start time).
  const std::string state = ct_.spec_state(state_json("creating"), "creating", child_.pid).dump();
  if (auto why = run_hooks(spec_.hooks.prestart, "prestart", state)) throw Error(*why);
  if (auto why = run_hooks(spec_.hooks.create_runtime, "createRuntime", state)) throw Error(*why);
  const uint32_t size = static_cast<uint32_t>(state.size());
  (void)write_all(sync, &kSyncGo, 1);
  (void)write_all(sync, &size, sizeof size);
  (void)write_all(sync, state.data(), state.size());
  if (spec_.init.tty) {
    UniqueFd master(receive_fd(sync));
    if (!master) init_failed();
    send_console(o_.console_socket, master.get());
  }
  if (read_full(sync, &step, 1) != 1 || step != kSyncReady) init_failed();
}

pid_t Creation::run() {
  plan();
  if (::mkdir(ct_.dir().c_str(), 0711) != 0) {
    if (errno == EEXIST) throw Error("container with id " + ct_.id() + " already exists");
    throw SysError(errno, "mkdir " + ct_.dir());
  }
  created_dir_ = true;
  spawn();
  exchange();
  json st = state_json("created");
  // What exec, start and delete need later: the process (exec's defaults), the hooks still to
  // run, the seccomp filter (exec'd processes get it too).
  st["process"] = spec_.process;
  st["hooks"] = {{"poststart", hooks_json(spec_.hooks.poststart)},
                 {"poststop", hooks_json(spec_.hooks.poststop)}};
  st["seccomp_flags"] = spec_.init.seccomp_flags;
  if (!spec_.init.seccomp_bpf.empty())
    write_file_atomic(ct_.dir() + "/seccomp.bpf", spec_.init.seccomp_bpf, false);
  ct_.save(st);
  if (!o_.pid_file.empty()) write_pid_file(o_.pid_file, child_.pid);
  remember_parents(o_.root, cgroups_->record().parents);
  committed_ = true;
  return child_.pid;
}

}  // namespace
}  // namespace mydocker::oci

namespace mydocker::oci {

pid_t create(const CreateOptions& o) {
  ::signal(SIGPIPE, SIG_IGN);
  if (::geteuid() != 0) throw Error("mydocker oci create needs root");
  if (o.preserve_fds < 0) throw Error("invalid value for --preserve-fds: must not be negative");
  make_root(o.root);
  // --preserve-fds N hands fds 3..3+N-1 to the container: a gap among them is filled with
  // /dev/null first, so that nothing of ours (the lock, the sync socket) can land there.
  for (int fd = 3; fd < 3 + o.preserve_fds; ++fd)
    if (::fcntl(fd, F_GETFD) < 0) {
      const int null = ::open("/dev/null", O_RDWR);
      if (null >= 0 && null != fd) {
        ::dup2(null, fd);
        ::close(null);
      }
    }
  Container ct(o.root, o.id);
  UniqueFd lock = lock_container(o.root, o.id, /*creating=*/true);
  if (ct.exists()) throw Error("container with id " + o.id + " already exists");
  try {
    Creation creation(ct, o);
    return creation.run();
  } catch (...) {
    ::unlink((o.root + "/" + o.id + ".lock").c_str());  // nothing of this id is left
    throw;
  }
}

}  // namespace mydocker::oci
