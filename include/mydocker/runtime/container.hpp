#pragma once
// A run of a container in phases, each usable on its own:
//
//   create   the cgroups with their limits, the init cloned into new namespaces (a copy of
//            mydocker holding its InitConfig in memory: no exec); it waits, nothing of the
//            command runs yet
//   start    releases the init: it joins its cgroups (v1), enters its root and execs
//   wait     relay.hpp: stdio, signals, the exit status, the failure if the exec failed
//   destroy  kills and reaps what is left, removes the cgroups (also from the destructor, so a
//            failed create undoes itself)
//
// Foreground `run` and the supervisor of `run -d` compose them (supervisor.hpp); `exec` uses
// create_joining() for a process in an existing container.

#include <signal.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/init/protocol.hpp"
#include "mydocker/runtime/spawn.hpp"
#include "mydocker/util/fd.hpp"

namespace mydocker {

// What create() needs.
struct Launch {
  CgroupManager* cgroups = nullptr;
  Resources resources;
  InitConfig init;
  bool capture_output = false;  // stdout/stderr into pipes (a detached container's log)
  bool open_stdin = false;  // -i: stdin from a pipe we hold (attach, or our stdin, writes to it)
  sigset_t child_mask{};    // the signal mask the init starts with
  // --ipc shareable: a tmpfs mounted here on the host (mode 1777, --shm-size) before the init
  // exists, which binds it as its /dev/shm; unmounted by destroy().
  std::string shm_dir;
  // Called with the init's pid as soon as it exists (on v1 with a root filesystem of its own,
  // before the cgroups): what must wait for its namespaces but not for its cgroups starts here
  // (the network, on a thread).
  std::function<void(pid_t)> after_spawn = nullptr;
  // Called right before the clone with the init's configuration: a run's early network
  // namespace (net/netns.hpp) is adopted here (made_netns_fd, loopback_up), so that its making
  // overlaps everything before, the cgroup set-up included.
  std::function<void(InitConfig&)> adopt_netns = nullptr;
};

// Whether the init is cloned before its cgroups are made (`clone_into`: the v2 cgroup it is
// born in, or empty). v1: the init joins them itself once they exist (kSyncJoin, while their
// limits are written; its command waits for "go"); with a root filesystem
// of its own to mount, the clone comes first, so that those mounts overlap our cgroup set-up;
// with the host's files it has nothing to do meanwhile, and the set-up overlaps the making of
// its network namespace instead (Launch::adopt_netns, right before the clone). v2: born in its
// finished cgroup (clone3 CLONE_INTO_CGROUP).
inline bool clone_before_cgroups(const InitConfig& init, const std::string& clone_into) {
  return clone_into.empty() && !init.rootfs.empty();
}

// One start of a container's init, and its cgroups while they exist.
class Instance {
 public:
  explicit Instance(CgroupManager* cgroups) : cgroups_(cgroups) {}
  ~Instance() { (void)destroy(); }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // create: throws Error; what was made is undone by destroy() (the destructor).
  void create(const Launch& l);
  // start: the go-ahead. EPIPE (the init died) is left for the wait to explain.
  void start(bool keep_socket);
  // A bridged run's second word, once its network is wired (InitConfig::wait_network).
  void network_ready(bool keep_socket);
  // destroy: SIGKILL and reap the init if it still runs, remove the cgroups. Idempotent.
  [[nodiscard]] std::vector<std::string> destroy() noexcept;

  Child& child() { return child_; }
  int sync_fd() const { return sync_.write.get(); }
  int errors_fd() const { return errors_.read.get(); }
  int out_fd() const { return out_.read.get(); }
  int err_fd() const { return err_.read.get(); }
  int in_fd() const { return in_.write.get(); }  // -i: the container's stdin, when a pipe
  void close_stdin() { in_.write.reset(); }      // it reads EOF
  // Our end of its "stdout" or "stderr" pipe: it gets EPIPE from then on.
  void close_output(std::string_view stream) { (stream == "stderr" ? err_ : out_).read.reset(); }
  bool born_in_cgroup() const { return born_inside_; }
  // The init was reaped by the wait: nothing left to kill.
  void reaped() { child_.pid = -1; }

 private:
  void spawn(const Launch& l, const std::string& into);
  void let_join();                                        // kSyncJoin: the cgroups exist
  void launch(const Launch& l, const std::string& into);  // spawn, then what follows the clone
  void map_user_namespace(const InitConfig& init);
  void send_trees();
  void mount_shm(const std::string& dir, const std::string& size);

  CgroupManager* cgroups_;
  Child child_;
  Pipe sync_, errors_, out_, err_, in_;
  std::vector<UniqueFd> trees_;  // --userns private: idmapped trees for the init to attach
  UniqueFd stub_;                // the sealed exec stub the init execs the command through
  std::string shm_dir_;          // mounted by create()
  bool cgroups_made_ = false;
  bool born_inside_ = false;
  bool destroyed_ = false;
};

}  // namespace mydocker
