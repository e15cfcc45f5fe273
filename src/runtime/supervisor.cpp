#include "mydocker/runtime/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "mydocker/init/pty.hpp"
#include "mydocker/init/userns.hpp"
#include "mydocker/store/log.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

// One run of the container: the child, the pipes to it, its cgroups while they exist.
struct Supervisor::Instance {
  Child child;
  Pipe sync, errors, out, err;
  std::vector<UniqueFd> trees;  // --userns private: idmapped trees for the init to attach
  CgroupManager* cgroups = nullptr;
  bool created = false;
  bool done = false;

  ~Instance() { (void)teardown(); }
  std::vector<std::string> teardown() noexcept {
    if (done) return {};
    done = true;
    if (child.pid > 0) {
      ::kill(child.pid, SIGKILL);
      while (::waitpid(child.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      child.pid = -1;
    }
    return created ? cgroups->destroy() : std::vector<std::string>{};
  }
};

Supervisor::Supervisor(SupervisorSetup setup, ContainerDir dir)
    : s_(std::move(setup)), dir_(std::move(dir)) {}

void Supervisor::adopt(Child child, Pipe sync, Pipe errors) {
  adopted_ = std::move(child);
  adopted_sync_ = std::move(sync);
  adopted_errors_ = std::move(errors);
}

void Supervisor::spawn(Instance& in, const std::string& into) {
  in.sync = make_channel();
  in.errors = make_pipe();
  SpawnOptions so;
  so.cgroup_dir = into;
  so.new_net = s_.init.new_net;
  so.userns = s_.init.userns;
  if (s_.detached && !s_.init.tty) so.stdio = {-1, in.out.write.get(), in.err.write.get()};
  trace_spawn(so);
  in.child = spawn_init(in.sync.read.get(), in.errors.write.get(), s_.signals->original_mask(), so);
  in.sync.read.reset();
  if (s_.init.userns) map_user_namespace(in);
  in.errors.write.reset();
  in.out.write.reset();
  in.err.write.reset();
}

// --userns private, right after the clone: the id maps, the idmapped trees (which need the
// child's user namespace), then the byte the child waits for before it becomes its root.
void Supervisor::map_user_namespace(Instance& in) {
  const pid_t pid = in.child.pid;
  write_id_maps(pid, {s_.init.uid_base, s_.init.uid_count}, {s_.init.gid_base, s_.init.gid_count});
  const std::string ns = "/proc/" + std::to_string(pid) + "/ns/user";
  UniqueFd userns(::open(ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!userns) throw SysError(errno, "open " + ns);
  for (const auto& m : s_.init.idmapped)
    in.trees.push_back(detached_tree(m.source, userns.get(), false));
  // The binds: our own /etc files idmapped like the rest of the container's directory, volumes
  // with their host owners (as docker's userns-remap does).
  const std::string files_dir =
      s_.init.idmapped.empty() ? "" : s_.init.idmapped.front().source + "/";
  for (const auto& m : s_.init.mounts)
    if (m.fstype.empty()) {
      const bool own = !files_dir.empty() && m.source.rfind(files_dir, 0) == 0;
      in.trees.push_back(detached_tree(m.source, own ? userns.get() : -1, m.readonly));
    }
  const char mapped = 1;
  (void)write_all(in.sync.write.get(), &mapped, 1);  // EPIPE: it died; the wait tells why
}

// The init's configuration, then (--userns private) the idmapped trees it attaches.
void Supervisor::send_start(Instance& in) {
  send_init_config(in.sync.write.get(), s_.init);
  for (const auto& t : in.trees)
    if (!send_fd(in.sync.write.get(), t.get()) && errno != EPIPE)
      throw_errno("send an idmapped tree to the init");
  in.trees.clear();
}

Outcome Supervisor::run_once(bool first,
                             const std::function<void(const std::optional<InitFailure>&)>& cb) {
  Outcome out;
  Instance in;
  in.cgroups = s_.cgroups;
  const auto started = Clock::now();
  const bool born_inside = !s_.cgroups->clone_into().empty();
  std::optional<LogWriter> log;
  if (s_.detached) {
    if (!s_.init.tty) {
      in.out = make_pipe();
      in.err = make_pipe();
    }
    log.emplace(dir_.log_path());
  }
  if (first && adopted_) {
    in.child = std::move(*adopted_);
    in.sync = std::move(*adopted_sync_);
    in.errors = std::move(*adopted_errors_);
    adopted_.reset();
  } else if (!born_inside) {
    spawn(in, "");  // v1: the child's exec overlaps our cgroup set-up
  }
  if (!born_inside) send_start(in);
  in.created = true;
  s_.cgroups->create(s_.resources);
  s_.cgroups->set(s_.resources);
  // An init in a user namespace of its own cannot write the host's cgroup files: we move it.
  if (!born_inside && s_.init.userns) s_.cgroups->apply(in.child.pid);
  if (born_inside) {
    spawn(in, s_.cgroups->clone_into());
    if (!in.child.born_in_cgroup) s_.cgroups->apply(in.child.pid);  // an older kernel
    send_start(in);
  }
  // "go": the cgroups exist and hold their limits. A v1 init joins them before anything of
  // the command runs; a v2 init was born in its cgroup.
  (void)write_all(in.sync.write.get(), &kSyncGo, 1);  // EPIPE: it died; the wait tells why
  if (!s_.init.tty) in.sync.write.reset();  // with -t the PTY's master comes back this way
  const pid_t pid = in.child.pid;
  if (!(first && s_.first_state_written))
    dir_.update([&](ContainerState& st) {
      st.status = "running";
      st.pid = pid;
      st.supervisor_pid = ::getpid();
      st.started_at = now_rfc3339();
      st.exit_code = 0;
      st.oom_killed = false;
      st.cgroup_mode = born_inside ? "v2" : "v1";
      st.cgroups = s_.cgroups->paths();
      st.cgroup_dirs = s_.cgroups->dirs();
      st.cgroup_parents = s_.cgroups->own_parents();
    });

  // Wait for the exit: forward signals, relay the PTY or log the output, learn whether the
  // exec worked.
  std::optional<Clock::time_point> deadline;
  bool killed = false, errors_open = true, out_open = in.out.read.valid(),
       err_open = in.err.read.valid();
  bool stdin_open = !s_.detached && s_.init.tty && s_.init.interactive;
  PtyRelay pty;
  bool reported = !first;
  std::string failure_text;
  auto report_start = [&](const std::optional<InitFailure>& f) {
    if (!reported && cb) cb(f);
    reported = true;
  };
  auto deliver = [&](std::string_view stream, std::string_view data) {
    if (log)
      log->add(stream, data);
    else
      (void)write_all(stream == "stderr" ? 2 : 1, data.data(), data.size());
  };
  for (;;) {
    int timeout_ms = -1;
    if (deadline && !killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count() + 1));
    }
    enum { kPid, kSignals, kErrors, kOut, kErr, kSync, kMaster, kStdin, kCount };
    pollfd fds[kCount] = {{in.child.pidfd.get(), POLLIN, 0},
                          {s_.signals->fd(), POLLIN, 0},
                          {errors_open ? in.errors.read.get() : -1, POLLIN, 0},
                          {out_open ? in.out.read.get() : -1, POLLIN, 0},
                          {err_open ? in.err.read.get() : -1, POLLIN, 0},
                          {in.sync.write ? in.sync.write.get() : -1, POLLIN, 0},
                          {pty.fd(), POLLIN, 0},
                          {stdin_open && pty.fd() >= 0 ? 0 : -1, POLLIN, 0}};
    if (::poll(fds, kCount, timeout_ms) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    char buf[16384];
    for (int i : {kErrors, kOut, kErr}) {
      if (fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0 && i == kErrors) failure_text.append(buf, static_cast<size_t>(n));
      if (n > 0 && i != kErrors) deliver(i == kOut ? "stdout" : "stderr", std::string_view(buf, n));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        (i == kErrors ? errors_open : i == kOut ? out_open : err_open) = false;
        if (i == kErrors && failure_text.empty()) report_start(std::nullopt);  // the exec worked
      }
    }
    if (fds[kSync].revents != 0) {  // -t: the PTY's master
      pty.receive(in.sync.write.get(), !s_.detached);
      in.sync.write.reset();
    }
    auto to_stdout = [&](std::string_view data) { deliver("stdout", data); };
    if (fds[kMaster].revents != 0) pty.pump(to_stdout);
    if (fds[kStdin].revents != 0) stdin_open = pty.feed_stdin();
    while (int sig = s_.signals->next()) {
      if (sig == SIGWINCH) {  // the kernel tells the container's foreground group itself
        pty.resize();
        continue;
      }
      trace::emit("kill -" + signal_name(sig) + " " + std::to_string(pid));
      ::kill(pid, sig);
      if (is_stop_signal(sig)) {
        stop_signalled_ = true;  // stopped on purpose: no restart
        if (!deadline && s_.stop_timeout >= 0)
          deadline = Clock::now() + std::chrono::seconds(s_.stop_timeout);
      }
    }
    if (deadline && !killed && Clock::now() >= *deadline) {
      spdlog::info("the container did not stop within {} s: killing it", s_.stop_timeout);
      trace::emit("kill -KILL " + std::to_string(pid));
      ::kill(pid, SIGKILL);
      (void)s_.cgroups->kill_all();
      killed = true;
    }
    if (fds[kPid].revents != 0) {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      in.child.pid = -1;
      out.status = exit_status(status);
      break;
    }
  }
  // What is left in the pipes and the PTY (the namespace's processes are gone, so they end).
  for (auto* p : {&in.errors.read, &in.out.read, &in.err.read}) {
    if (!*p) continue;
    ::fcntl(p->get(), F_SETFL, O_NONBLOCK);
    char buf[16384];
    ssize_t n;
    while ((n = ::read(p->get(), buf, sizeof buf)) > 0) {
      if (p == &in.errors.read)
        failure_text.append(buf, static_cast<size_t>(n));
      else
        deliver(p == &in.err.read ? "stderr" : "stdout", std::string_view(buf, n));
    }
  }
  // The PTY's last output, and the caller's terminal as it was before anything more is printed.
  pty.finish([&](std::string_view data) { deliver("stdout", data); });
  if (log) log->flush();
  out.wall_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  // Read before the cgroups go: the whole picture for --report, else just the OOM count.
  if (s_.report)
    out.stats = s_.cgroups->stats();
  else
    out.stats.memory = s_.cgroups->oom_report();
  out.problems = in.teardown();
  if (!failure_text.empty()) out.failure = decode_failure(failure_text);
  report_start(out.failure);
  return out;
}

bool Supervisor::should_restart(const Outcome& o, int restarts) const {
  if (stop_signalled_ || o.failure) return false;
  switch (s_.restart.kind) {
    case RestartPolicy::kNo:
      return false;
    case RestartPolicy::kOnFailure:
      return o.status != 0 && (s_.restart.max_retries == 0 || restarts < s_.restart.max_retries);
    case RestartPolicy::kAlways:
    case RestartPolicy::kUnlessStopped:
      return true;
  }
  return false;
}

Outcome Supervisor::run(const std::function<void(const std::optional<InitFailure>&)>& on_start) {
  // docker's back-off: 100 ms before the first restart, doubling, at most a minute; back to
  // 100 ms once a run has lasted 10 s.
  long delay_ms = 100;
  for (int restarts = 0;; ++restarts) {
    Outcome o = run_once(restarts == 0, on_start);
    // --rm (never with a restart policy): the directory goes right after; no state to write.
    if (s_.options->remove && !o.failure) return o;
    const bool oom = o.stats.memory && o.stats.memory->oom_kills > 0;
    const ContainerState st = dir_.update([&](ContainerState& st) {
      st.status = "exited";
      st.pid = 0;
      st.exit_code = o.failure ? o.failure->exit_code : o.status;
      st.oom_killed = oom;
      st.finished_at = now_rfc3339();
      if (o.failure) st.error = o.failure->message;
    });
    if (st.stop_requested || !should_restart(o, restarts)) return o;
    if (o.wall_seconds >= 10) delay_ms = 100;
    const std::string reason = oom ? "OOM-killed (exit " + std::to_string(o.status) + ")"
                                   : "exit " + std::to_string(o.status);
    spdlog::info("restarting after {} in {} ms", reason, delay_ms);
    dir_.update([&](ContainerState& s) {
      s.status = "restarting";
      s.restart_reason = reason;
    });
    // The back-off, cut short by a stop (stop/rm/kill mark the state; a signal to us).
    for (long waited = 0; waited < delay_ms; waited += 50) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50L, delay_ms - waited)));
      while (int sig = s_.signals->next())
        if (is_stop_signal(sig)) stop_signalled_ = true;
      if (stop_signalled_ || dir_.state().stop_requested) {
        dir_.update([](ContainerState& s) { s.status = "exited"; });
        return o;
      }
    }
    delay_ms = std::min(delay_ms * 2, 60000L);
    dir_.update([](ContainerState& s) { s.restart_count += 1; });  // counted as it happens
  }
}

}  // namespace mydocker
