// The init of an OCI container (mydocker oci create), in the order the runtime-spec's lifecycle
// gives:
//
//   create (parent)                          init
//   clone3 into the bundle's namespaces  ──► re-executes mydocker from a read-only clone of
//   the InitConfig (CBOR)  ────────────────► its file (spawn.cpp), reads its configuration,
//                                            joins the namespaces given by path (user first)
//   cgroups made, limits written; kSyncGo ─► joins its cgroups (v1), mounts config.json's mounts
//   prestart, createRuntime hooks  ◄──────── kSyncHooks
//   kSyncGo, then the state JSON  ─────────► createContainer hooks, masked/read-only paths,
//                                            pivot_root, hostname, PTY (its master ──► parent,
//                                            which sends it to --console-socket), capabilities,
//                                            user, no_new_privs
//   pid file, state.json; exits  ◄────────── kSyncReady; waits on exec.fifo
//   start: opens exec.fifo  ───────────────► startContainer hooks, seccomp, exec process.args

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "mydocker/init/init.hpp"
#include "mydocker/init/rootfs.hpp"
#include "mydocker/init/security.hpp"
#include "mydocker/oci/hooks.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
namespace {

using Result = std::optional<InitFailure>;

InitFailure failed(const std::string& what) {
  return InitFailure{kExitSetupError, what + ": " + std::strerror(errno)};
}

Result join_namespaces(const InitConfig& c) {
  for (const auto& [fd, type] : c.join_namespaces) {
    if (::setns(fd, type) != 0) return failed("setns into a namespace of linux.namespaces");
    ::close(fd);
    if (type == CLONE_NEWUSER &&
        (::setgroups(0, nullptr) != 0 || ::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0))
      return failed("become root of the joined user namespace");
  }
  return std::nullopt;
}

// The parent's answer to a step: kSyncGo. EOF: it failed or died, and says why itself.
bool wait_go(int sync_fd) { return await_word(sync_fd, kSyncGo); }

Result run_container_hooks(const std::vector<OciHook>& hooks, const char* phase,
                           const std::string& state) {
  if (auto why = oci::run_hooks(hooks, phase, state)) return InitFailure{kExitSetupError, *why};
  return std::nullopt;
}

// Until the root is entered: mounts, the parent's hooks, ours, the protected paths.
Result prepare_root(InitConfig& c, int sync_fd) {
  // The mounts and device nodes first: a device the cgroup forbids may still be made (its use
  // stays forbidden), as linux.devices asks.
  if (auto f = mount_oci_rootfs(c, false)) return f;
  if (auto f = join_cgroups(c, false)) return f;
  if (auto f = unshare_cgroupns(c, false)) return f;  // in its cgroups now (or moved there)
  (void)write_all(sync_fd, &kSyncHooks, 1);
  if (!wait_go(sync_fd)) return InitFailure{kExitSetupError, ""};
  uint32_t size = 0;
  if (read_full(sync_fd, &size, sizeof size) != sizeof size || size > (1u << 20))
    return InitFailure{kExitSetupError, ""};
  c.hook_state.assign(size, '\0');
  if (read_full(sync_fd, c.hook_state.data(), size) != static_cast<ssize_t>(size))
    return InitFailure{kExitSetupError, ""};
  if (auto f = run_container_hooks(c.create_container_hooks, "createContainer", c.hook_state))
    return f;
  if (auto f = make_oci_cwd(c, false)) return f;  // runc's order: before masks and read-only
  if (auto f = protect_oci_paths(c, false)) return f;
  return enter_oci_rootfs(c, false);
}

Result prepare_process(const InitConfig& c, int sync_fd) {
  if (c.oom_score_adj) {
    const std::string v = std::to_string(*c.oom_score_adj);
    UniqueFd fd(::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC));
    if (!fd || ::write(fd.get(), v.data(), v.size()) < 0)
      return failed("write process.oomScoreAdj " + v);
  }
  if (c.personality >= 0 && ::personality(static_cast<unsigned long>(c.personality)) < 0)
    return failed("personality");
  if (auto f = setup_process(c, sync_fd, false)) return f;
  // runc's rule: a command that cannot be found fails `create`, not the later `start`.
  if (auto f = check_command(c)) return f;
  return std::nullopt;
}

// Blocks until `start` opens the FIFO's other end.
Result wait_for_start(const InitConfig& c) {
  const std::string path = "/proc/self/fd/" + std::to_string(c.exec_fifo_fd);
  // A non-dumpable process's /proc/self/fd belongs to the host's root, which the root of a user
  // namespace is not: dumpable for the open. Safe there: our file belongs to the host's root,
  // whom nothing in the user namespace can act as.
  if (c.userns) ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  UniqueFd fifo(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (c.userns) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (!fifo) return failed("open the exec FIFO (the container needs a /proc mount)");
  ::close(c.exec_fifo_fd);
  // `start` is here. The startContainer hooks run before our byte lets it go on to the
  // poststart hooks (the spec's order); a failing one fails `start` (it sees us die instead).
  // The state `start` sees is "created" (createContainer's was "creating"), as runc passes it.
  std::string state = c.hook_state;
  if (const size_t at = state.find("\"status\":\"creating\""); at != std::string::npos)
    state.replace(at, 19, "\"status\":\"created\"");
  if (auto f = run_container_hooks(c.start_container_hooks, "startContainer", state)) return f;
  if (::write(fifo.get(), "0", 1) != 1) return failed("write the exec FIFO");
  return std::nullopt;
}

// The init inherits `create`'s fds that were not close-on-exec and lives on after it (until
// `start`): it keeps only what it uses, so nothing of the caller's stays held by a waiting
// container.
void close_other_fds(const InitConfig& c, int sync_fd, int error_fd) {
  std::vector<int> keep = {sync_fd, error_fd, c.exec_fifo_fd, c.exec_stub_fd};
  for (const auto& [fd, type] : c.join_namespaces) keep.push_back(fd);
  std::vector<int> close;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return;
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const int fd = std::atoi(e->d_name);
    if (fd < 3 + c.preserve_fds || fd == ::dirfd(dir)) continue;
    if (std::find(keep.begin(), keep.end(), fd) == keep.end()) close.push_back(fd);
  }
  ::closedir(dir);
  for (int fd : close) ::close(fd);
}

}  // namespace

int run_oci_init(InitConfig& c, int sync_fd, int error_fd) {
  auto report = [&](const InitFailure& f) {
    if (f.message.empty()) return f.exit_code;
    std::string msg = encode_failure(f);
    (void)write_all(error_fd, msg.data(), msg.size());
    return f.exit_code;
  };
  ::signal(SIGPIPE, SIG_IGN);  // the parent may be gone by the time we report
  close_other_fds(c, sync_fd, error_fd);
  // Inherited across our own exec by number: not for the hooks or the command to inherit.
  for (const auto& [fd, type] : c.join_namespaces) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  ::fcntl(c.exec_fifo_fd, F_SETFD, FD_CLOEXEC);
  if (auto f = join_namespaces(c)) return report(*f);
  if (!wait_go(sync_fd)) return kExitSetupError;
  if (auto f = prepare_root(c, sync_fd)) return report(*f);
  if (auto f = prepare_process(c, sync_fd)) return report(*f);
  (void)write_all(sync_fd, &kSyncReady, 1);
  ::close(sync_fd);
  // `create` has returned: from here on failures go to the container's stderr.
  ::dup3(STDERR_FILENO, error_fd, O_CLOEXEC);
  auto say = [](const InitFailure& f) {
    const std::string line = "mydocker init: " + f.message + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
    return f.exit_code;
  };
  if (auto f = wait_for_start(c)) return say(*f);
  if (c.no_new_privs)
    if (auto f = load_seccomp_filter(c)) return say(*f);
  return say(exec_container(c));
}

}  // namespace mydocker
