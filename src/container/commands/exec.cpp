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
#include "mydocker/container/commands.hpp"
#include "mydocker/container/init.hpp"
#include "mydocker/container/prepare.hpp"
#include "mydocker/container/pty.hpp"
#include "mydocker/container/security.hpp"
#include "mydocker/container/signals.hpp"
#include "mydocker/container/spawn.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
namespace {

void set_env(std::vector<std::string>& env, const std::string& kv) {
  const std::string key = kv.substr(0, kv.find('='));
  std::erase_if(env,
                [&](const std::string& e) { return e.compare(0, key.size() + 1, key + "=") == 0; });
  if (kv.find('=') != std::string::npos) env.push_back(kv);  // -e KEY alone drops KEY
}

InitConfig exec_config(const nlohmann::json& config, const ExecOptions& o, pid_t init_pid) {
  InitConfig c;
  if (!read_process_json(config.value("process", nlohmann::json()), c)) {
    // A container from before the rootfs work: the host's files, docker's defaults.
    c.env = config.value("env", std::vector<std::string>{});
    c.capabilities = effective_capabilities({}, {}, false, held_capabilities());
  }
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
  c.tty = o.tty;
  if (c.tty && c.interactive && !::isatty(STDIN_FILENO)) {  // as in run
    spdlog::warn("stdin is not a terminal: -t ignored, running as -i");
    c.tty = false;
  }
  if (c.tty) set_env(c.env, "TERM=xterm");
  return c;
}

// The exec'd command's output and, with -t, its terminal, until it exits.
int wait_for(pid_t pid, const UniqueFd& pidfd, SignalForwarder& signals, int sync, bool tty,
             bool interactive) {
  UniqueFd master;
  std::optional<RawTerminal> raw;
  bool stdin_open = interactive;
  int status = 0;
  for (;;) {
    enum { kPid, kSignals, kSync, kMaster, kStdin, kCount };
    pollfd fds[kCount] = {{pidfd.get(), POLLIN, 0},
                          {signals.fd(), POLLIN, 0},
                          {tty && !master ? sync : -1, POLLIN, 0},
                          {master ? master.get() : -1, POLLIN, 0},
                          {stdin_open && master ? 0 : -1, POLLIN, 0}};
    if (::poll(fds, kCount, -1) < 0 && errno != EINTR) throw_errno("poll");
    char buf[16384];
    if (fds[kSync].revents != 0) {
      master.reset(receive_fd(sync));
      if (master) {
        ::fcntl(master.get(), F_SETFL, O_NONBLOCK);
        raw.emplace();
        copy_window_size(master.get());
      } else {
        tty = false;  // the init failed before its PTY: the error pipe says why
      }
    }
    if (fds[kMaster].revents != 0) {
      ssize_t n = ::read(master.get(), buf, sizeof buf);
      if (n > 0)
        (void)write_all(1, buf, static_cast<size_t>(n));
      else if (n == 0 || (errno != EAGAIN && errno != EINTR))
        master.reset();
    }
    if (fds[kStdin].revents != 0) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n > 0)
        (void)write_all(master.get(), buf, static_cast<size_t>(n));
      else
        stdin_open = false;
    }
    while (int sig = signals.next()) {
      if (sig == SIGWINCH) {
        if (master) copy_window_size(master.get());
      } else {
        ::kill(pid, sig);
      }
    }
    if (fds[kPid].revents != 0) {
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
  }
  if (master) {  // what the command wrote last
    char buf[16384];
    ssize_t n;
    while ((n = ::read(master.get(), buf, sizeof buf)) > 0)
      (void)write_all(1, buf, static_cast<size_t>(n));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitSetupError;
}

}  // namespace

int exec(const Store& store, const ExecOptions& o) {
  if (::geteuid() != 0) throw Error("mydocker exec needs root");
  if (o.command.empty())
    throw Error("missing the command: mydocker exec [OPTIONS] CONTAINER COMMAND [ARG...]");
  for (const auto& kv : o.env)
    if (kv.empty() || kv.front() == '=')
      throw Error("invalid value '" + kv + "' for -e: KEY=VALUE");
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
  trace::emit("unshare --mount --fork /proc/self/exe init");
  for (const auto& line : child_trace()) trace::emit(line);
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
