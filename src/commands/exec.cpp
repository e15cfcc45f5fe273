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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "mydocker/cgroup/existing.hpp"
#include "mydocker/commands/commands.hpp"
#include "mydocker/init/protocol.hpp"
#include "mydocker/init/pty.hpp"
#include "mydocker/init/security.hpp"
#include "mydocker/runtime/signals.hpp"
#include "mydocker/runtime/spawn.hpp"
#include "mydocker/spec/prepare.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
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
  for (const auto& kv : o.env) set_env(c.env, kv);
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

// The exec'd command's terminal (with -t), and the signals for it, until it exits.
int wait_for(pid_t pid, const UniqueFd& pidfd, SignalForwarder& signals, int sync, bool tty,
             bool interactive) {
  PtyRelay pty;
  bool stdin_open = interactive;
  auto to_stdout = [](std::string_view data) { (void)write_all(1, data.data(), data.size()); };
  int status = 0;
  for (;;) {
    enum { kPid, kSignals, kSync, kMaster, kStdin, kCount };
    pollfd fds[kCount] = {{pidfd.get(), POLLIN, 0},
                          {signals.fd(), POLLIN, 0},
                          {tty ? sync : -1, POLLIN, 0},
                          {pty.fd(), POLLIN, 0},
                          {stdin_open && pty.fd() >= 0 ? 0 : -1, POLLIN, 0}};
    if (::poll(fds, kCount, -1) < 0 && errno != EINTR) throw_errno("poll");
    if (fds[kSync].revents != 0) {
      pty.receive(sync, true);  // nothing came: the init failed first, the error pipe says why
      tty = false;
    }
    if (fds[kMaster].revents != 0) pty.pump(to_stdout);
    if (fds[kStdin].revents != 0) stdin_open = pty.feed_stdin();
    while (int sig = signals.next()) {
      if (sig == SIGWINCH)
        pty.resize();
      else
        ::kill(pid, sig);
    }
    if (fds[kPid].revents != 0) {
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
  }
  pty.finish(to_stdout);
  return exit_status(status);
}

}  // namespace

int exec(const Store& store, const ExecOptions& o) {
  if (::geteuid() != 0) throw Error("mydocker exec needs root");
  if (o.command.empty())
    throw Error("missing the command: mydocker exec [OPTIONS] CONTAINER COMMAND [ARG...]");
  if (!o.workdir.empty() && o.workdir.front() != '/')
    throw Error("invalid value '" + o.workdir + "' for -w: the path must be absolute");
  const ContainerDir dir = store.open(o.container);
  const ContainerState st = dir.state();
  if (st.status == "paused")
    throw Error("container " + short_id(dir.id()) +
                " is paused, unpause the container before exec");
  // A pidfd first: while the process it names lives, its pid cannot be reused, so the /proc
  // paths below are its own if it is still alive after they are opened.
  UniqueFd init_pidfd(st.pid > 0 ? static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)) : -1);
  if (st.status != "running" || !init_pidfd || !dir.supervisor_alive() ||
      !pid_in_container(st.pid, dir.id()))
    throw Error("container " + short_id(dir.id()) + " is not running");
  InitConfig c = exec_config(dir.config(), o, st.pid);
  c.trace = trace::enabled();

  // Our own binary must never be reachable from the container: not dumpable from here on.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // The namespaces by the init's pid (checked above), opened before we move anywhere.
  std::vector<std::pair<UniqueFd, int>> namespaces;
  UniqueFd mount_ns, pid_ns;
  for (auto [name, type] : {std::pair{"ipc", CLONE_NEWIPC},
                            {"uts", CLONE_NEWUTS},
                            {"net", CLONE_NEWNET},
                            {"pid", CLONE_NEWPID},
                            {"mnt", CLONE_NEWNS}}) {
    const std::string path = "/proc/" + std::to_string(st.pid) + "/ns/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError(errno, "open " + path);
    if (type == CLONE_NEWNS)
      mount_ns = std::move(fd);
    else if (type == CLONE_NEWPID)
      pid_ns = std::move(fd);
    else
      namespaces.emplace_back(std::move(fd), type);
  }
  // --userns private: its user namespace first (then we may join the others it owns), and
  // its root, which is an unprivileged host uid.
  const std::string user_ns = "/proc/" + std::to_string(st.pid) + "/ns/user";
  struct stat theirs {
  }, ours{};
  if (::stat(user_ns.c_str(), &theirs) != 0 || ::stat("/proc/self/ns/user", &ours) != 0)
    throw SysError(errno, "stat " + user_ns);
  const bool own_userns = theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev;
  UniqueFd user_fd(own_userns ? ::open(user_ns.c_str(), O_RDONLY | O_CLOEXEC) : -1);
  if (own_userns && !user_fd) throw SysError(errno, "open " + user_ns);
  if (::syscall(SYS_pidfd_send_signal, init_pidfd.get(), 0, nullptr, 0) != 0)
    throw Error("container " + short_id(dir.id()) + " stopped meanwhile");
  // The cgroups' files, opened here, on the host's side; the command's process writes "0"
  // into each (it alone joins: the waiter and we stay outside, off its pids limit).
  std::vector<UniqueFd> join;
  std::set<std::string> seen;
  for (const auto& [controller, cg] : st.cgroups) {
    if (!seen.insert(cg).second) continue;
    const std::string file = path_join(cg, st.cgroup_mode == "v2" ? "cgroup.procs" : "tasks");
    trace::emit("echo 0 > " + trace::quote(file) + "   # by the command's process");
    UniqueFd fd(::open(file.c_str(), O_WRONLY));  // inherited by the init
    if (!fd) throw SysError(errno, "open " + file);
    c.join_fds.push_back(fd.get());
    join.push_back(std::move(fd));
  }
  trace::emit("nsenter --target " + std::to_string(st.pid) + (own_userns ? " --user" : "") +
              " --ipc --uts --net");
  if (own_userns && ::setns(user_fd.get(), CLONE_NEWUSER) != 0)
    throw SysError(errno, "setns into the container's user namespace");
  for (auto& [fd, type] : namespaces)
    if (::setns(fd.get(), type) != 0) throw SysError(errno, "setns into the container");
  if (own_userns &&
      (::setgroups(0, nullptr) != 0 || ::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0))
    throw SysError(errno, "become root of the container's user namespace");
  ::fcntl(mount_ns.get(), F_SETFD, 0);  // the init inherits them
  ::fcntl(pid_ns.get(), F_SETFD, 0);
  c.mount_ns_fd = mount_ns.get();
  c.pid_ns_fd = pid_ns.get();

  ::signal(SIGPIPE, SIG_IGN);
  SignalForwarder signals;
  Pipe sync = make_channel();
  Pipe errors = make_pipe();
  SpawnOptions so;
  so.joining = true;
  trace_spawn(so);
  Child child = spawn_init(sync.read.get(), errors.write.get(), signals.original_mask(), so);
  sync.read.reset();
  errors.write.reset();
  mount_ns.reset();
  pid_ns.reset();
  join.clear();
  send_init_config(sync.write.get(), c);
  (void)write_all(sync.write.get(), &kSyncGo, 1);
  const int status =
      wait_for(child.pid, child.pidfd, signals, sync.write.get(), c.tty, c.interactive && c.tty);
  std::string failure(4096, '\0');
  ssize_t n = read_full(errors.read.get(), failure.data(), failure.size());
  if (n > 0) {
    failure.resize(static_cast<size_t>(n));
    if (auto f = decode_failure(failure)) throw Error(f->message, f->exit_code);
  }
  return status;
}

}  // namespace mydocker
