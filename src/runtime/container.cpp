#include "mydocker/runtime/container.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "mydocker/init/exec_stub.hpp"
#include "mydocker/init/userns.hpp"
#include "mydocker/util/affinity.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/timing.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {

void Instance::spawn(const Launch& l, const std::string& into) {
  sync_ = make_channel();
  errors_ = make_pipe();
  stub_ = make_exec_stub();
  InitConfig init = l.init;  // the child's copy of our memory holds it from the clone on
  init.exec_stub_fd = stub_.get();
  if (l.adopt_netns) l.adopt_netns(init);
  SpawnOptions so;
  so.init = &init;
  so.cgroup_dir = into;
  so.new_net = init.new_net && init.made_netns_fd < 0;  // else it is born in that one
  so.userns = init.userns;
  so.namespaces = namespaces_of(init);
  so.pid_ns_fd = l.init.born_in_pid_ns;
  if (l.capture_output && !l.init.tty) so.stdio = {-1, out_.write.get(), err_.write.get()};
  if (in_.read) so.stdio[0] = in_.read.get();
  trace_spawn(so);
  child_ = spawn_init(sync_.read.get(), errors_.write.get(), l.child_mask, so);
  nudge_off_this_cpu(child_.pid);  // to run beside us (util/affinity.hpp)
  sync_.read.reset();
  stub_.reset();
  if (l.init.userns) map_user_namespace(l.init);
  errors_.write.reset();
  out_.write.reset();
  err_.write.reset();
  in_.read.reset();
}

// --userns private, right after the clone: the id maps, the idmapped trees (which need the
// child's user namespace), then the byte the child waits for before it becomes its root.
void Instance::map_user_namespace(const InitConfig& init) {
  const pid_t pid = child_.pid;
  write_id_maps(pid, {init.uid_base, init.uid_count}, {init.gid_base, init.gid_count});
  const std::string ns = "/proc/" + std::to_string(pid) + "/ns/user";
  UniqueFd userns(::open(ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!userns) throw SysError(errno, "open " + ns);
  for (const auto& m : init.idmapped)
    trees_.push_back(detached_tree(m.source, userns.get(), false));
  // The binds: our own /etc files idmapped like the rest of the container's directory, volumes
  // with their host owners (as docker's userns-remap does).
  const std::string files_dir = init.idmapped.empty() ? "" : init.idmapped.front().source + "/";
  for (const auto& m : init.mounts)
    if (m.fstype.empty()) {
      const bool own = !files_dir.empty() && m.source.rfind(files_dir, 0) == 0;
      trees_.push_back(detached_tree(m.source, own ? userns.get() : -1, m.readonly));
    }
  const char mapped = 1;
  (void)write_all(sync_.write.get(), &mapped, 1);  // EPIPE: it died; the wait tells why
}

// --userns private: the idmapped trees the init attaches.
void Instance::send_trees() {
  for (const auto& t : trees_)
    if (!send_fd(sync_.write.get(), t.get()) && errno != EPIPE)
      throw_errno("send an idmapped tree to the init");
  trees_.clear();
}

void Instance::mount_shm(const std::string& dir, const std::string& size) {
  const std::string data = "mode=1777," + size;
  trace::emit("mkdir " + dir + " && mount -t tmpfs shm " + dir + " -o nosuid,nodev,noexec," + data);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw SysError(errno, "mkdir " + dir);
  if (::mount("shm", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data.c_str()) != 0)
    throw SysError(errno, "mount -t tmpfs shm " + dir);
  shm_dir_ = dir;
}

void Instance::create(const Launch& l) {
  if (!l.shm_dir.empty()) mount_shm(l.shm_dir, l.init.shm_size);  // the init binds it
  const std::string into = cgroups_->join().clone_into;
  born_inside_ = !into.empty();
  if (l.capture_output && !l.init.tty) {
    out_ = make_pipe();
    err_ = make_pipe();
  }
  if (l.open_stdin && !l.init.tty) {
    in_ = make_pipe();
    ::fcntl(in_.write.get(), F_SETFL, O_NONBLOCK);  // the relay never blocks on a full pipe
  }
  const bool clone_first = clone_before_cgroups(l.init, into);
  if (clone_first) launch(l, "");
  cgroups_made_ = true;
  timing::mark("create: cloned");
  cgroups_->create(l.resources);
  timing::mark("create: cgroups made");
  // v1: the init joins the new directories and enters its root while their limits are
  // written; "go" (start) lets its command run, inside them. With --trace the lesson keeps its
  // order (cgroups, limits, clone, join); v2's init is born in its cgroup, limits set.
  const bool join_early = into.empty() && !l.init.trace;
  auto set_limits = [&] {
    cgroups_->set(l.resources);
    timing::mark("create: limits set");
  };
  if (!join_early) set_limits();
  if (!clone_first) launch(l, into);  // join_early: `into` is empty
  let_join();
  if (join_early) set_limits();
  // An init in a user namespace of its own cannot write the host's cgroup files: we move it,
  // as we do one that an older kernel could not clone into its v2 cgroup.
  if (born_inside_ ? !child_.born_in_cgroup : l.init.userns) cgroups_->apply(child_.pid);
}

void Instance::launch(const Launch& l, const std::string& into) {
  spawn(l, into);
  send_trees();
  if (l.after_spawn) l.after_spawn(child_.pid);
}

void Instance::let_join() {
  (void)write_all(sync_.write.get(), &kSyncJoin, 1);  // EPIPE: it died; the wait tells why
}

void Instance::start(bool keep_socket) {
  // The cgroups hold their limits: the init's command may run (a v1 init joined them after
  // let_join; a v2 init was born in its cgroup).
  (void)write_all(sync_.write.get(), &kSyncGo, 1);  // EPIPE: it died; the wait tells why
  if (!keep_socket) sync_.write.reset();            // with -t the PTY's master comes back this way
}

void Instance::network_ready(bool keep_socket) {
  (void)write_all(sync_.write.get(), &kSyncNetwork, 1);  // EPIPE: as for start()
  if (!keep_socket) sync_.write.reset();
}

std::vector<std::string> Instance::destroy() noexcept {
  if (destroyed_) return {};
  destroyed_ = true;
  if (child_.pid > 0) {
    ::kill(child_.pid, SIGKILL);
    while (::waitpid(child_.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    child_.pid = -1;
  }
  std::vector<std::string> problems =
      cgroups_made_ ? cgroups_->destroy() : std::vector<std::string>{};
  if (!shm_dir_.empty()) {  // lazily: a container that joined it keeps its own reference
    if (::umount2(shm_dir_.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 ||
        ::rmdir(shm_dir_.c_str()) != 0)
      problems.push_back("umount " + shm_dir_ + ": " + errno_text(errno));
  }
  return problems;
}

}  // namespace mydocker
