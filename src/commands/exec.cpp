// exec [-i] [-t] [-u USER] [-e K=V] [-w DIR] [--privileged] CONTAINER COMMAND...: runs a
// command in a running container, under the same rules as its init: its namespaces (setns),
// its cgroups, its user, capabilities, no_new_privs, seccomp filter and rlimits. Its exit
// status passes through.
//
// The command is started like a container's init: we join the cgroups and the user, IPC, UTS
// and network namespaces ourselves, then clone a child with a mount namespace of its own that
// re-executes mydocker through a read-only bind mount of its binary (CVE-2019-5736: a process
// of the container that grabs /proc/PID/exe of the exec'd process, or runs /proc/self/exe,
// gets a read-only file). That init joins the container's mount namespace and then its PID
// namespace, and forks the process that drops what the container dropped and execs the
// command: nothing in the container ever sees a process of ours whose root is the host's.

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/commands/commands.hpp"
#include "mydocker/init/protocol.hpp"
#include "mydocker/init/pty.hpp"
#include "mydocker/init/security.hpp"
#include "mydocker/runtime/join.hpp"
#include "mydocker/runtime/relay.hpp"
#include "mydocker/runtime/signals.hpp"
#include "mydocker/runtime/spawn.hpp"
#include "mydocker/spec/prepare.hpp"
#include "mydocker/store/events.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/namespaces.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
namespace {

InitConfig exec_config(const nlohmann::json& config, const ExecOptions& o, pid_t init_pid) {
  InitConfig c;
  if (!read_process_json(config.value("process", nlohmann::json()), c))
    throw Error(
        "cannot exec: the container's process settings (user, capabilities, seccomp "
        "filter) are missing or damaged in its config.json, or its seccomp filter was "
        "removed from the data root's cache");
  c.argv = o.command;
  for (const auto& f : o.env_files)
    for (const auto& kv : read_env_file(f)) set_env(c.env, kv);
  for (const auto& kv : o.env) set_env(c.env, kv);
  c.detach_exec = o.detach;
  if (o.detach) c.die_with_parent = false;
  if (!o.workdir.empty()) c.cwd = o.workdir;
  if (!o.user.empty()) {
    // Names from the container's own /etc/passwd, read through its root (symlinks stay inside).
    ResolvedUser u = resolve_user(o.user, "/proc/" + std::to_string(init_pid) + "/root");
    c.uid = u.uid;
    c.gid = u.gid;
    c.groups = u.groups;
    set_env(c.env, "HOME=" + u.home);
  }
  if (o.privileged) {  // docker exec --privileged: every capability, no seccomp filter
    c.capabilities = held_capabilities();
    c.seccomp_bpf.clear();
  }
  c.interactive = o.interactive;
  c.tty = use_pty(o.tty, c.interactive);
  if (c.tty) set_env(c.env, "TERM=xterm");
  return c;
}

// The container's namespaces, opened by its init's pid (checked by the caller) before we move
// anywhere: mount and PID for the init we clone, the others for us to join.
struct Namespaces {
  std::vector<std::pair<UniqueFd, int>> join;  // ipc, uts, net
  UniqueFd mount, pid, user;                   // user: only with a user namespace of its own
  UniqueFd cgroup;  // only with a cgroup namespace of its own: the command joins it
};

// The container's namespace of this type if it is not ours (a user namespace, a cgroup one);
// none where the kernel has no such namespaces.
UniqueFd own_namespace(pid_t pid, const char* name) {
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
  const std::string self = std::string("/proc/self/ns/") + name;
  if (::access(self.c_str(), F_OK) != 0) {
    if (errno == ENOENT) return UniqueFd();
    throw SysError(errno, "stat " + self);
  }
  if (::access(path.c_str(), F_OK) != 0) throw SysError(errno, "stat " + path);
  if (is_own_namespace(path, name)) return UniqueFd();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError(errno, "open " + path);
  return fd;
}

Namespaces open_namespaces(pid_t pid) {
  Namespaces ns;
  for (auto [name, type] : {std::pair{"ipc", CLONE_NEWIPC},
                            {"uts", CLONE_NEWUTS},
                            {"net", CLONE_NEWNET},
                            {"pid", CLONE_NEWPID},
                            {"mnt", CLONE_NEWNS}}) {
    const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError(errno, "open " + path);
    if (type == CLONE_NEWNS)
      ns.mount = std::move(fd);
    else if (type == CLONE_NEWPID)
      ns.pid = std::move(fd);
    else
      ns.join.emplace_back(std::move(fd), type);
  }
  // --userns private: its user namespace first (then we may join the others it owns).
  ns.user = own_namespace(pid, "user");
  ns.cgroup = own_namespace(pid, "cgroup");
  return ns;
}

// We join the container's user (its root: an unprivileged host uid), IPC, UTS and network
// namespaces; the init we clone joins its mount and PID namespaces through inherited fds.
void join_namespaces(Namespaces& ns, pid_t pid, InitConfig& c) {
  trace::emit("nsenter --target " + std::to_string(pid) + (ns.user ? " --user" : "") +
              " --ipc --uts --net");
  if (ns.user && ::setns(ns.user.get(), CLONE_NEWUSER) != 0)
    throw SysError(errno, "setns into the container's user namespace");
  for (auto& [fd, type] : ns.join)
    if (::setns(fd.get(), type) != 0) throw SysError(errno, "setns into the container");
  if (ns.user &&
      (::setgroups(0, nullptr) != 0 || ::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0))
    throw SysError(errno, "become root of the container's user namespace");
  ::fcntl(ns.mount.get(), F_SETFD, 0);  // the init inherits them
  ::fcntl(ns.pid.get(), F_SETFD, 0);
  c.mount_ns_fd = ns.mount.get();
  c.pid_ns_fd = ns.pid.get();
  if (ns.cgroup) {
    ::fcntl(ns.cgroup.get(), F_SETFD, 0);
    c.cgroup_ns_fd = ns.cgroup.get();
  }
}

// The cgroups' files, opened here, on the host's side; the command's process writes "0" into
// each (it alone joins: the waiter and we stay outside, off its pids limit).
std::vector<UniqueFd> open_join_files(const CgroupRecord& record, const std::string& cgroup_id,
                                      InitConfig& c) {
  std::vector<UniqueFd> join;
  std::set<std::string> seen;
  if (record.empty()) return join;
  for (const std::string& file : open_cgroup_manager(Fs(), record, cgroup_id)->join().self_files) {
    if (!seen.insert(file).second) continue;
    trace::emit("echo 0 > " + trace::quote(file) + "   # by the command's process");
    UniqueFd fd(::open(file.c_str(), O_WRONLY));  // inherited by the init
    if (!fd) throw SysError(errno, "open " + file);
    c.join_fds.push_back(fd.get());
    join.push_back(std::move(fd));
  }
  return join;
}

// The running container `o.container` names, its init's pidfd held: while the process it names
// lives, its pid cannot be reused, so /proc paths opened afterwards are its own.
struct Target {
  ContainerDir dir;
  ContainerState st;
  UniqueFd pidfd;
};

Target find_running(const Store& store, const ExecOptions& o) {
  Target t{store.open(o.container), {}, {}};
  t.st = t.dir.state();
  if (t.st.status == "paused")
    throw Error("container " + short_id(t.dir.id()) +
                " is paused, unpause the container before exec");
  t.pidfd.reset(t.st.pid > 0 ? static_cast<int>(::syscall(SYS_pidfd_open, t.st.pid, 0)) : -1);
  if (t.st.status != "running" || !t.pidfd || !t.dir.supervisor_alive() ||
      !pid_in_container(t.st.pid, t.dir.id()))
    throw Error("container " + short_id(t.dir.id()) + " is not running");
  return t;
}

// oci exec: the PTY's master, received from the init, goes to --console-socket.
void forward_console(int sync_fd, const JoinIo& io) {
  UniqueFd master(receive_fd(sync_fd));
  if (!master) return;  // it failed: the error pipe says why
  send_console_fd(io.console_socket, master.get());
}

// --detach: the command's pid comes first on the sync socket, then (with a PTY) its master;
// EOF on the error pipe means its exec worked.
JoinResult run_detached(InitConfig& c, Pipe& sync, Pipe& errors, Child& child, const JoinIo& io) {
  JoinResult out;
  int32_t pid = -1;
  if (read_full(sync.write.get(), &pid, sizeof pid) == sizeof pid) out.pid = pid;
  if (c.tty && out.pid > 0) forward_console(sync.write.get(), io);
  std::string msg(8192, '\0');
  const ssize_t n = read_full(errors.read.get(), msg.data(), msg.size());
  msg.resize(n > 0 ? static_cast<size_t>(n) : 0);
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  child.pid = -1;
  if (auto f = decode_failure(msg)) throw Error(f->message, f->exit_code);
  if (out.pid <= 0) throw Error("the exec'd process could not be started");
  return out;
}

// create + start + wait for the exec'd process: its init joins the container's mount and PID
// namespaces and forks the command; we relay its terminal and signals and return its status.
JoinResult run_joined(InitConfig& c, Namespaces& ns, std::vector<UniqueFd>& join,
                      const JoinIo& io) {
  ::signal(SIGPIPE, SIG_IGN);
  SignalForwarder signals;
  Pipe sync = make_channel();
  Pipe errors = make_pipe();
  SpawnOptions so;
  so.joining = true;
  // Without a PTY the command never gets our terminal (terminal_relay).
  const TerminalRelay ours = c.tty || io.detach ? TerminalRelay{} : terminal_relay(c.interactive);
  Pipe out, err, in;
  UniqueFd null;
  if (io.null_stdio) {
    null.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null) throw SysError(errno, "open /dev/null");
    so.stdio = {null.get(), null.get(), null.get()};
  }
  if (ours.output) {
    out = make_pipe();
    err = make_pipe();
    so.stdio[1] = out.write.get();
    so.stdio[2] = err.write.get();
  }
  if (ours.input) {
    in = make_pipe();
    ::fcntl(in.write.get(), F_SETFL, O_NONBLOCK);  // the relay never blocks on a full pipe
    so.stdio[0] = in.read.get();
  }
  trace_spawn(so);
  Child child = spawn_init(sync.read.get(), errors.write.get(), signals.original_mask(), so);
  sync.read.reset();
  errors.write.reset();
  out.write.reset();
  err.write.reset();
  in.read.reset();
  ns.mount.reset();
  ns.pid.reset();
  ns.cgroup.reset();
  join.clear();
  send_init_config(sync.write.get(), c);
  (void)write_all(sync.write.get(), &kSyncGo, 1);
  if (io.detach) return run_detached(c, sync, errors, child, io);
  const bool console = c.tty && !io.console_socket.empty();
  if (console) forward_console(sync.write.get(), io);
  if (!c.tty || console) sync.write.reset();
  RelayOptions ro;
  ro.pid = child.pid;
  ro.pidfd = child.pidfd.get();
  ro.errors = errors.read.get();
  ro.pty_socket = c.tty && !console ? sync.write.get() : -1;
  ro.attach_terminal = io.attach_terminal;
  ro.forward_stdin = c.interactive && !console && (c.tty || in.write);
  ro.out = out.read ? out.read.get() : -1;
  ro.err = err.read ? err.read.get() : -1;
  ro.stdin_pipe = in.write ? in.write.get() : -1;
  ro.close_stdin_pipe = [&in] { in.write.reset(); };
  ro.close_output = [&out, &err](std::string_view s) { (s == "stderr" ? err : out).read.reset(); };
  const RelayResult r = relay(signals, ro);
  if (!r.failure.empty())
    if (auto f = decode_failure(r.failure)) throw Error(f->message, f->exit_code);
  return JoinResult{r.status, -1};
}

// docker's exec events: exec_create and exec_start carry the command after ": ", every one the
// exec's id.
struct ExecEvents {
  const Store& store;
  const Target& t;
  std::string id = new_container_id();
  void record(const std::string& action, const std::map<std::string, std::string>& extra = {}) {
    Event e = container_event(action, t.dir.id(), t.st);
    e.attributes["execID"] = id;
    e.attributes.insert(extra.begin(), extra.end());
    record_event(store.root(), std::move(e));
  }
  static std::string command(const ExecOptions& o) {
    std::string out;
    for (const auto& a : o.command) out += (out.empty() ? "" : " ") + a;
    return out;
  }
};

}  // namespace

int exec(const Store& store, const ExecOptions& o) {
  if (::geteuid() != 0) throw Error("mydocker exec needs root");
  if (o.command.empty())
    throw Error("missing the command: mydocker exec [OPTIONS] CONTAINER COMMAND [ARG...]");
  if (!o.workdir.empty() && o.workdir.front() != '/')
    throw Error("invalid value '" + o.workdir + "' for -w: the path must be absolute");
  Target t = find_running(store, o);
  ExecEvents events{store, t};
  events.record("exec_create: " + ExecEvents::command(o));
  InitConfig c = exec_config(t.dir.config(), o, t.st.pid);
  c.trace = trace::enabled();
  // Our own binary must never be reachable from the container: not dumpable from here on.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  Namespaces ns = open_namespaces(t.st.pid);
  if (::syscall(SYS_pidfd_send_signal, t.pidfd.get(), 0, nullptr, 0) != 0)
    throw Error("container " + short_id(t.dir.id()) + " stopped meanwhile");
  std::vector<UniqueFd> join = open_join_files(t.st.cgroup, t.dir.id(), c);
  // Recorded before we join its user namespace: the events file stays open for exec_die.
  events.record("exec_start: " + ExecEvents::command(o));
  join_namespaces(ns, t.st.pid, c);
  JoinIo io;
  io.detach = io.null_stdio = o.detach;
  int status = 0;
  try {
    status = run_joined(c, ns, join, io).status;
  } catch (const Error& e) {  // it could not be started (126, 127)
    events.record("exec_die", {{"exitCode", std::to_string(e.exit_code())}});
    throw;
  }
  // -d: it runs on, reaped by the container's init; its end is not ours to see.
  if (!o.detach) events.record("exec_die", {{"exitCode", std::to_string(status)}});
  return status;
}

void send_console_fd(const std::string& path, int fd) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) throw SysError(errno, "socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw Error("--console-socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw SysError(errno, "connect to --console-socket " + path);
  if (!send_fd(sock.get(), fd)) throw SysError(errno, "send the PTY to --console-socket " + path);
}

JoinResult run_in_container(pid_t init_pid, int init_pidfd, const CgroupRecord& cgroups,
                            const std::string& cgroup_id, InitConfig& c, const JoinIo& io) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  Namespaces ns = open_namespaces(init_pid);
  if (::syscall(SYS_pidfd_send_signal, init_pidfd, 0, nullptr, 0) != 0)
    throw Error("the container stopped meanwhile");
  std::vector<UniqueFd> join = open_join_files(cgroups, cgroup_id, c);
  join_namespaces(ns, init_pid, c);
  return run_joined(c, ns, join, io);
}

}  // namespace mydocker
