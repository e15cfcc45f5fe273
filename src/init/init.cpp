#include "mydocker/init/init.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "mydocker/init/pty.hpp"
#include "mydocker/init/rootfs.hpp"
#include "mydocker/init/security.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/timing.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// docker words its errors with Go's lower-case errno texts: "permission denied".
std::string error_text(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

InitFailure sys_failure(const std::string& what) {
  return InitFailure{kExitSetupError, what + ": " + std::strerror(errno)};
}

std::string env_value(const std::vector<std::string>& env, std::string_view key) {
  for (const auto& kv : env)
    if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=')
      return kv.substr(key.size() + 1);
  return {};
}

// A NULL-terminated array for execve: `first`, then `v`.
std::vector<char*> c_strings(const std::vector<std::string>& v,
                             std::initializer_list<const char*> first = {}) {
  std::vector<char*> out;
  for (const char* f : first) out.push_back(const_cast<char*>(f));
  for (const auto& x : v) out.push_back(const_cast<char*>(x.c_str()));
  out.push_back(nullptr);
  return out;
}

// The file a command names, found as a shell (and Go's exec.LookPath) finds it, with docker's
// messages when there is none.
std::variant<std::string, InitFailure> find_command(const InitConfig& c) {
  const std::string& cmd = c.argv.front();
  if (cmd.find('/') != std::string::npos) return cmd;  // the stub's exec says what is wrong
  std::string path = env_value(c.env, "PATH");
  if (path.empty()) path = kDefaultPath;
  bool denied = false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    if (colon == std::string::npos) colon = path.size();
    const std::string dir = path.substr(start, colon - start);
    start = colon + 1;
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + cmd;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) != 0) continue;
    if (!S_ISDIR(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    denied = true;  // not executable here (or a directory): keep looking, as LookPath does
  }
  if (denied) return InitFailure{kExitCannotExec, "exec: \"" + cmd + "\": permission denied"};
  return InitFailure{kExitNotFound, "exec: \"" + cmd + "\": executable file not found in $PATH"};
}

// The command through the sealed exec stub (exec_stub.c): argv "mydocker-exec:<error fd>",
// the file, the command's argv. The error pipe stays open across this exec for the stub to
// report on, and closes at the command's.
InitFailure exec_through_stub(const InitConfig& c) {
  auto found = find_command(c);
  if (auto* f = std::get_if<InitFailure>(&found)) return *f;
  const std::string& file = std::get<std::string>(found);
  const std::string tag =
      (c.init_process ? "mydocker-init:" : "mydocker-exec:") + std::to_string(c.error_fd);
  std::vector<char*> argv = c_strings(c.argv, {tag.c_str(), file.c_str()});
  std::vector<char*> envp = c_strings(c.env);
  ::fcntl(c.error_fd, F_SETFD, 0);
  ::syscall(SYS_execveat, c.exec_stub_fd, "", argv.data(), envp.data(), AT_EMPTY_PATH);
  const int err = errno;  // a seccomp profile without execveat: the /proc path
  const std::string via_proc = "/proc/self/fd/" + std::to_string(c.exec_stub_fd);
  ::execve(via_proc.c_str(), argv.data(), envp.data());
  ::fcntl(c.error_fd, F_SETFD, FD_CLOEXEC);
  return {kExitCannotExec,
          "exec: \"" + file + "\": exec of mydocker's exec stub: " + error_text(err)};
}

// The command itself (`exec`, whose init is a re-executed mydocker: no stub needed), found as
// find_command finds it, with docker's messages.
InitFailure exec_command(const InitConfig& c) {
  auto found = find_command(c);
  if (auto* f = std::get_if<InitFailure>(&found)) return *f;
  const std::string& file = std::get<std::string>(found);
  std::vector<char*> argv = c_strings(c.argv), envp = c_strings(c.env);
  ::execve(file.c_str(), argv.data(), envp.data());
  const int e = errno;
  if (e == ENOENT || e == ENOTDIR)
    return {kExitNotFound, "exec: \"" + file + "\": stat " + file + ": " + error_text(e)};
  return {kExitCannotExec, "exec: \"" + file + "\": " + error_text(e)};
}

// Every fd from `first` on closes at the command's exec: close_range (Linux 5.11+), else one by
// one from /proc/self/fd. Nothing mydocker inherited may reach the container (the fd leaks of
// CVE-2024-21626).
bool close_on_exec_from(int first) {
  if (::close_range(static_cast<unsigned>(first), ~0U, CLOSE_RANGE_CLOEXEC) == 0) return true;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return false;
  const int own = ::dirfd(dir);
  while (dirent* e = ::readdir(dir)) {
    const int fd = std::atoi(e->d_name);
    if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd < first || fd == own) continue;
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0 && ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
      ::closedir(dir);
      return false;
    }
  }
  ::closedir(dir);
  return true;
}

// The signals we ignore, from /proc/self/status (SigIgn, hex); every signal when it cannot be
// read. Only these need resetting: the exec resets a caught one to its default itself.
uint64_t ignored_signals() {
  const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ~0ULL;
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return ~0ULL;
  buf[n] = '\0';
  const char* at = std::strstr(buf, "\nSigIgn:\t");
  if (!at) return ~0ULL;
  char* end = nullptr;
  const unsigned long long mask = std::strtoull(at + 9, &end, 16);
  return end && *end == '\n' ? mask : ~0ULL;
}

// Nothing of mydocker's own process state reaches the command: default signal dispositions,
// an empty signal mask, umask 022, the working directory asked for ("/" by default), and
// only fds 0-2.
std::optional<InitFailure> clean_process_state(const InitConfig& c) {
  const uint64_t ignored = ignored_signals();
  for (int sig = 1; sig < NSIG && sig <= 64; ++sig)
    if (ignored & (1ULL << (sig - 1))) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::umask(c.umask.value_or(022));
  if (!close_on_exec_from(3 + c.preserve_fds))
    return InitFailure{kExitSetupError,
                       std::string("mark fds close-on-exec: ") + std::strerror(errno)};
  if (::chdir(c.cwd.c_str()) != 0)
    return InitFailure{kExitCannotExec, "chdir to cwd (\"" + c.cwd + "\"): " + error_text(errno)};
  return std::nullopt;
}

}  // namespace

std::optional<InitFailure> check_command(const InitConfig& c) {
  auto found = find_command(c);
  if (auto* f = std::get_if<InitFailure>(&found)) return *f;
  const std::string& file = std::get<std::string>(found);
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    return InitFailure{kExitNotFound,
                       "exec: \"" + file + "\": stat " + file + ": " + error_text(errno)};
  if (S_ISDIR(st.st_mode) || ::access(file.c_str(), X_OK) != 0)
    return InitFailure{kExitCannotExec, "exec: \"" + file + "\": permission denied"};
  return std::nullopt;
}

std::optional<InitFailure> join_cgroups(const InitConfig& c, bool dry) {
  // Writing "0" to a v1 `tasks` file moves the writing thread itself, which the kernel does
  // without taking the global cgroup_threadgroup_rwsem for writing: 0.07 ms, where a
  // parent moving the init (writing its pid into the procs file) waits 12-15 ms for an RCU
  // grace period on an idle
  // host (measured here). Our init is single-threaded: its one thread is the whole process.
  const Fs fs(dry);
  for (const auto& file : c.join_files) {
    try {
      fs.write(file, "0");
    } catch (const FsError& e) {
      return InitFailure{kExitSetupError,
                         std::string("cannot join the container's cgroup: ") + e.what()};
    }
  }
  return std::nullopt;
}

std::optional<InitFailure> unshare_cgroupns(const InitConfig& c, bool dry) {
  if (!c.new_cgroupns) return std::nullopt;
  trace::emit("unshare --cgroup   # --cgroupns private: its cgroups are the namespace's root");
  if (!dry && ::unshare(CLONE_NEWCGROUP) != 0) return sys_failure("unshare --cgroup");
  return std::nullopt;
}

std::optional<InitFailure> setup_process(const InitConfig& c, int socket, bool dry) {
  auto step = [dry](const std::string& line) {
    trace::emit(line);
    return !dry;
  };
  const bool joining = c.mount_ns_fd >= 0;  // mydocker exec: the container is set up already
  // An OCI bundle without a hostname keeps the one it has (maybe the host's: no uts namespace).
  // run --uts host keeps the host's name (new_uts false); an OCI bundle's hostname needs a uts
  // namespace of its own (spec.cpp checks), and its new_uts is not used for that.
  const bool set_hostname = !joining && (c.oci ? !c.hostname.empty() : c.new_uts);
  if (set_hostname && step("hostname " + trace::quote(c.hostname)) &&
      ::sethostname(c.hostname.data(), c.hostname.size()) != 0)
    return sys_failure("hostname " + c.hostname);
  if (!joining && !c.domainname.empty() && step("domainname " + trace::quote(c.domainname)) &&
      ::setdomainname(c.domainname.data(), c.domainname.size()) != 0)
    return sys_failure("domainname " + c.domainname);
  if (!joining)
    if (auto f = bring_up_loopback(c, dry)) return f;
  // A bridged run: eth0 is wired meanwhile (a sysctl may name it: net.ipv4.conf.eth0.*).
  if (!joining && !dry && c.wait_network && !await_word(socket, kSyncNetwork))
    return InitFailure{kExitSetupError, ""};  // the parent failed or died: it says why
  if (!joining && !c.oci)
    if (auto f = set_sysctls(c, dry)) return f;
  if (c.tty) {
    if (auto f = make_pty(c, socket, dry)) return f;
  } else if (!c.interactive && step("exec </dev/null")) {  // docker: no -i, no stdin
    UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null || ::dup2(null.get(), 0) < 0) return sys_failure("open /dev/null");
  }
  // Before the seccomp filter (which may not allow close_range) and the user change.
  if (!dry && !close_on_exec_from(3 + c.preserve_fds)) return sys_failure("mark fds close-on-exec");
  // docker's run creates a missing working directory (as root, before the user changes);
  // its exec does not (`exec -w /nonexistent` fails with 126).
  // Made as docker's MkdirAll in the root: a symlink on the way (an image's /wd -> /data/wd,
  // dangling) is followed inside it (we are in the container's root by now), and what it names
  // is made. A failure is chdir's to report.
  if (c.cwd != "/" && !dry && !joining && ::access(c.cwd.c_str(), F_OK) != 0) {
    InitConfig here;
    here.rootfs = "/";
    here.cwd = c.cwd;
    (void)make_oci_cwd(here, false);
  }
  return drop_privileges(c, dry);
}

InitFailure exec_container(const InitConfig& c) {
  // Without -t the container gets a session of its own (no controlling terminal), as docker's
  // non-tty containers do; with -t make_pty made the PTY its controlling terminal.
  if (!c.tty) ::setsid();
  if (auto f = clean_process_state(c)) return *f;
  if (c.exec_stub_fd >= 0) {
    trace::emit("exec " + trace::join(c.argv) +
                (c.init_process ? "   # --init: mydocker's exec stub stays PID 1 (a sealed memfd), "
                                  "forks this, forwards signals and reaps zombies"
                                : "   # through mydocker's exec stub, a sealed memfd"));
    return exec_through_stub(c);
  }
  trace::emit("exec " + trace::join(c.argv));
  return exec_command(c);
}

std::optional<InitFailure> describe_init(const InitConfig& c) {
  for (auto* step :
       {&join_cgroups, &mount_rootfs, &mount_cgroup_view, &enter_rootfs, &unshare_cgroupns})
    if (auto f = (*step)(c, true)) return f;
  if (auto f = setup_process(c, -1, true)) return f;
  trace::emit("exec " + trace::join(c.argv));
  return std::nullopt;
}

// mydocker exec's init: the parent joined the container's cgroups and its IPC, UTS, network
// and PID namespaces (we were born in that PID namespace); we join its mount namespace, which
// also makes its root ours, and run the command under the container's rules.
//
// We are not in the container's PID namespace ourselves: only our child, forked once we have
// the container's root, is. So nothing of the container ever sees a process of ours whose
// root is the host's (through /proc/PID/root), and the child is non-dumpable until its exec.
// We stay outside as its waiter: signals from `mydocker exec` go on to it, and its exit
// status comes back as ours (128+N for signal N).
static InitFailure exec_init(const InitConfig& c, int sync_fd) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (!await_word(sync_fd, kSyncGo)) return InitFailure{kExitSetupError, ""};
  trace::emit("nsenter --mount=/proc/$PID/ns/mnt --pid=/proc/$PID/ns/pid" +
              std::string(c.cgroup_ns_fd >= 0 ? "   # and, once in its cgroups, "
                                                "--cgroup=/proc/$PID/ns/cgroup"
                                              : ""));
  if (::setns(c.mount_ns_fd, CLONE_NEWNS) != 0)
    return sys_failure("setns into the container's mount namespace");
  if (::setns(c.pid_ns_fd, CLONE_NEWPID) != 0)
    return sys_failure("setns into the container's PID namespace");
  ::close(c.mount_ns_fd);
  ::close(c.pid_ns_fd);
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &old);  // the child resets its mask before the exec
  // oci exec --detach: the child waits until we have sent its pid (before its PTY's master,
  // on the same socket), then we leave and it is the caller's subreaper's to reap.
  int hold[2] = {-1, -1};
  if (c.detach_exec && ::pipe2(hold, O_CLOEXEC) != 0) return sys_failure("pipe");
  const pid_t pid = ::fork();
  if (pid < 0) return sys_failure("fork into the container's PID namespace");
  if (pid == 0) {
    if (c.detach_exec) {
      char b = 0;
      ::close(hold[1]);
      if (::read(hold[0], &b, 1) != 1) ::_exit(kExitSetupError);
      ::close(hold[0]);
    }
    if (c.die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Only this process joins the container's cgroups (its pids limit counts it alone).
    for (int fd : c.join_fds)
      if (::write(fd, "0", 1) != 1) return sys_failure("join the container's cgroup");
    for (int fd : c.join_fds) ::close(fd);
    // Its cgroup namespace once inside its cgroups (the namespace's root): "0::/" as for its init.
    if (c.cgroup_ns_fd >= 0 && ::setns(c.cgroup_ns_fd, CLONE_NEWCGROUP) != 0)
      return sys_failure("setns into the container's cgroup namespace");
    if (c.cgroup_ns_fd >= 0) ::close(c.cgroup_ns_fd);
    if (auto f = setup_process(c, sync_fd, false)) return *f;
    ::close(sync_fd);
    if (c.oci && c.no_new_privs)  // OCI defers it past the set-up (drop_privileges)
      if (auto f = load_seccomp_filter(c)) return *f;
    return exec_container(c);
  }
  if (c.detach_exec) {
    const int32_t host_pid = pid;
    (void)write_all(sync_fd, &host_pid, sizeof host_pid);
    (void)!::write(hold[1], "g", 1);
    ::_exit(0);
  }
  ::close(sync_fd);
  for (int fd : c.join_fds) ::close(fd);
  if (c.cgroup_ns_fd >= 0) ::close(c.cgroup_ns_fd);
  for (;;) {
    siginfo_t info{};
    const int sig = ::sigwaitinfo(&all, &info);
    if (sig == SIGCHLD) {
      int status = 0;
      const pid_t done = ::waitpid(pid, &status, WNOHANG);
      if (done != pid) continue;
      ::_exit(exit_status(status));
    }
    if (sig > 0 && sig != SIGCHLD) ::kill(pid, sig);
  }
}

int run_init(InitConfig& c, int sync_fd, int error_fd) {
  auto report = [error_fd](const InitFailure& f) {
    std::string msg = encode_failure(f);
    (void)write_all(error_fd, msg.data(), msg.size());
    return f.exit_code;
  };
  c.error_fd = error_fd;
  trace::set_enabled(c.trace);
  for (size_t i = 0; i < c.tree_count(); ++i) {  // --userns private: the trees to attach
    const int fd = receive_fd(sync_fd);
    if (fd < 0) return kExitSetupError;  // the parent failed or died: it says why
    c.trees.push_back(fd);
  }
  if (c.mount_ns_fd >= 0) return report(exec_init(c, sync_fd));
  if (c.oci) return run_oci_init(c, sync_fd, error_fd);
  // Its own network namespace, made while the run was planned (net/netns.hpp): born in it
  // (spawn.cpp), the fd is no longer needed.
  if (c.made_netns_fd >= 0) ::close(c.made_netns_fd);
  // --net/--ipc container:NAME: that container's namespaces, joined before anything else.
  for (const auto& [fd, type] : c.join_namespaces) {
    const std::string what = type == CLONE_NEWNET ? "net" : "ipc";
    trace::emit("nsenter --" + what + "=/proc/<its init>/ns/" + what + "   # --" + what +
                " container:");
    if (::setns(fd, type) != 0)
      return report(sys_failure("join the " + what + " namespace of --" + what + " container:"));
    ::close(fd);
  }
  // The mounts do not depend on the cgroups: made while the parent still sets those up. With
  // --trace they wait, so the lesson reads in order (cgroups, join, mounts, exec).
  if (!c.trace)
    if (auto f = mount_rootfs(c, false)) return report(*f);
  timing::mark("init: early mounts");
  // The cgroups exist: join them while the host's cgroupfs is still reachable (the parent
  // writes their limits meanwhile), then leave the host's files behind.
  if (!await_word(sync_fd, kSyncJoin)) return kExitSetupError;
  if (auto f = join_cgroups(c, false)) return report(*f);
  if (c.trace)
    if (auto f = mount_rootfs(c, false)) return report(*f);
  if (auto f = mount_cgroup_view(c, false)) return report(*f);
  timing::mark("init: joined");
  if (auto f = enter_rootfs(c, false)) return report(*f);
  timing::mark("init: root entered");
  // The limits are in place: only now may anything of the command run.
  if (!await_word(sync_fd, kSyncGo)) return kExitSetupError;
  timing::mark("init: go");
  if (auto f = unshare_cgroupns(c, false)) return report(*f);
  if (auto f = setup_process(c, sync_fd, false)) return report(*f);
  timing::mark("init: process ready");
  ::close(sync_fd);
  return report(exec_container(c));
}

int init_main(int argc, char** argv) {
  if (argc != 4) {
    std::fputs("mydocker init: internal command, started by `mydocker run`\n", stderr);
    return kExitSetupError;
  }
  // Nobody else's to open through /proc (our exe, fds, memory), as before the exec.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const int sync_fd = std::atoi(argv[2]);
  const int error_fd = std::atoi(argv[3]);
  // Closed by the command's exec: the parent reads EOF on the error pipe when it succeeded.
  ::fcntl(error_fd, F_SETFD, FD_CLOEXEC);
  ::fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
  uint32_t size = 0;
  if (read_full(sync_fd, &size, sizeof size) != sizeof size) return kExitSetupError;
  std::string data(size, '\0');
  if (read_full(sync_fd, data.data(), size) != static_cast<ssize_t>(size)) return kExitSetupError;
  auto config = decode_init_config(data);
  if (!config) {
    const std::string msg = encode_failure({kExitSetupError, "init: corrupt configuration"});
    (void)write_all(error_fd, msg.data(), msg.size());
    return kExitSetupError;
  }
  timing::mark("init: config read");
  return run_init(*config, sync_fd, error_fd);
}

}  // namespace mydocker
