// exec [-i] [-t] [-e K=V] [-w DIR] CONTAINER COMMAND...: joins all of the container's
// namespaces (setns) and cgroups, then runs the command there; its exit status passes through.

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "mydocker/cgroup/existing.hpp"
#include "mydocker/container/commands.hpp"
#include "mydocker/container/init.hpp"
#include "mydocker/container/signals.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
namespace {

InitConfig exec_config(const nlohmann::json& config, const ExecOptions& o) {
  InitConfig c;
  c.argv = o.command;
  c.env = config.value("env", std::vector<std::string>{});
  for (const auto& kv : o.env) {  // -e KEY=VALUE replaces KEY; -e KEY alone is dropped
    const std::string key = kv.substr(0, kv.find('='));
    std::erase_if(c.env, [&](const std::string& e) { return e.compare(0, key.size() + 1, key + "=") == 0; });
    if (kv.find('=') != std::string::npos) c.env.push_back(kv);
  }
  if (o.tty) c.env.push_back("TERM=xterm");
  c.cwd = o.workdir.empty() ? "/" : o.workdir;
  c.interactive = o.interactive;
  c.tty = o.tty;
  return c;
}

}  // namespace

int exec(const Store& store, const ExecOptions& o) {
  if (::geteuid() != 0) throw Error("mydocker exec needs root");
  if (o.command.empty())
    throw Error("missing the command: mydocker exec [OPTIONS] CONTAINER COMMAND [ARG...]");
  for (const auto& kv : o.env)
    if (kv.empty() || kv.front() == '=') throw Error("invalid value '" + kv + "' for -e: KEY=VALUE");
  const ContainerDir dir = store.open(o.container);
  const ContainerState st = dir.state();
  if (st.status == "paused")
    throw Error("container " + short_id(dir.id()) +
                " is paused, unpause the container before exec");
  if (st.status != "running" || !dir.supervisor_alive() || !pid_in_container(st.pid, dir.id()))
    throw Error("container " + short_id(dir.id()) + " is not running");
  const InitConfig c = exec_config(dir.config(), o);

  // The namespaces first (by the init's pid, checked above), then the cgroups: we move
  // ourselves in (single-threaded), and what we fork is born there.
  std::vector<std::pair<UniqueFd, int>> namespaces;
  for (auto [name, type] : {std::pair{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
                            {"mnt", CLONE_NEWNS}, {"pid", CLONE_NEWPID}}) {
    const std::string path = "/proc/" + std::to_string(st.pid) + "/ns/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError(errno, "open " + path);
    namespaces.emplace_back(std::move(fd), type);
  }
  const Fs fs;
  std::set<std::string> joined;
  for (const auto& [controller, cg] : st.cgroups)
    if (joined.insert(cg).second)
      fs.write(path_join(cg, st.cgroup_mode == "v2" ? "cgroup.procs" : "tasks"), "0");
  trace::emit("nsenter --target " + std::to_string(st.pid) + " --ipc --uts --mount --pid");
  for (auto& [fd, type] : namespaces)
    if (::setns(fd.get(), type) != 0) throw SysError(errno, "setns into the container");

  ::signal(SIGPIPE, SIG_IGN);
  SignalForwarder signals;
  Pipe errors = make_pipe();
  const pid_t pid = ::fork();  // the child is in the container's PID namespace
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    errors.read.reset();
    if (!c.interactive) {
      int null = ::open("/dev/null", O_RDONLY);
      ::dup2(null, 0);
    }
    // exec_container resets the signal mask and closes every fd but 0-2 on exec.
    InitFailure f = exec_container(c);
    std::string msg = encode_failure(f);
    (void)write_all(errors.write.get(), msg.data(), msg.size());
    ::_exit(f.exit_code);
  }
  errors.write.reset();
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  int status = 0;
  for (;;) {
    pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) throw_errno("poll");
    while (int sig = signals.next()) ::kill(pid, sig);
    if (fds[0].revents != 0 || !pidfd) {
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
  }
  std::string failure(4096, '\0');
  ssize_t n = read_full(errors.read.get(), failure.data(), failure.size());
  if (n > 0) {
    failure.resize(static_cast<size_t>(n));
    if (auto f = decode_failure(failure)) throw Error(f->message, f->exit_code);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitSetupError;
}

}  // namespace mydocker
