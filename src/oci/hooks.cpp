#include "mydocker/oci/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mydocker/util/fd.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker::oci {
namespace {

std::vector<char*> c_array(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

long now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

std::optional<std::string> run_hook(const OciHook& hook, const std::string& state_json) {
  trace::emit(hook.path + " < state.json   # an OCI hook");
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return std::string("pipe: ") + std::strerror(errno);
  }
  std::vector<std::string> args =
      hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<char*> argv = c_array(args), envp = c_array(hook.env);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    const std::string msg = std::string("exec: ") + std::strerror(errno);
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  UniqueFd to(in[1]), from(out[0]);
  if (pid < 0) return std::string("fork: ") + std::strerror(errno);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  // The state on its stdin: a hook that does not read it must not block us (non-blocking,
  // EPIPE ignored through MSG-less write on a pipe with SIGPIPE blocked by the caller).
  ::fcntl(to.get(), F_SETFL, O_NONBLOCK);
  (void)!::write(to.get(), state_json.data(), state_json.size());
  to.reset();
  std::string output;
  const long deadline = hook.timeout > 0 ? now_ms() + hook.timeout * 1000L : -1;
  bool timed_out = false;
  auto drain = [&] {
    char buf[1024];
    const ssize_t got = ::read(from.get(), buf, sizeof buf);
    if (got <= 0) {
      if (got == 0 || errno != EAGAIN) from.reset();
      return false;
    }
    if (output.size() < 4096) output.append(buf, static_cast<size_t>(got));
    return true;
  };
  for (;;) {
    pollfd p[2] = {{pidfd.get(), POLLIN, 0}, {from ? from.get() : -1, POLLIN, 0}};
    const int wait = deadline < 0 ? -1 : static_cast<int>(std::max(0L, deadline - now_ms()));
    const int n = ::poll(p, 2, wait);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (p[1].revents) (void)drain();
    if (p[0].revents & POLLIN) break;  // it exited
  }
  if (from) {
    ::fcntl(from.get(), F_SETFL, O_NONBLOCK);
    while (from && drain()) {
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  const std::string said = output.empty() ? "" : ": " + output;
  if (timed_out)
    return "hook " + hook.path + " timed out after " + std::to_string(hook.timeout) + "s" + said;
  if (WIFSIGNALED(status))
    return "hook " + hook.path + " killed by signal " + std::to_string(WTERMSIG(status)) + said;
  if (WEXITSTATUS(status) != 0)
    return "hook " + hook.path + ": exit status " + std::to_string(WEXITSTATUS(status)) + said;
  return std::nullopt;
}

std::optional<std::string> run_hooks(const std::vector<OciHook>& hooks, const char* phase,
                                     const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i)
    if (auto why = run_hook(hooks[i], state_json))
      return std::string(phase) + " hook #" + std::to_string(i) + " failed: " + *why;
  return std::nullopt;
}

}  // namespace mydocker::oci
