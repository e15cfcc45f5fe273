#include "mydocker/runtime/supervisor.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <thread>

#include "mydocker/init/pty.hpp"
#include "mydocker/net/hosts.hpp"
#include "mydocker/runtime/events.hpp"
#include "mydocker/spec/config.hpp"
#include "mydocker/util/memory.hpp"
#include "mydocker/util/timing.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
namespace {

// A function run on a thread; join() rethrows what it threw. The destructor joins too (an
// error of the caller's own wins). The process must not fork or clone while one runs: a
// child copied from a process with two threads would inherit the other's locks.
class BackgroundTask {
 public:
  BackgroundTask() = default;
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;
  ~BackgroundTask() {
    if (thread_.joinable()) thread_.join();
  }
  void start(std::function<void()> body) {
    thread_ = std::thread([this, body = std::move(body)] {
      try {
        body();
      } catch (...) {
        error_ = std::current_exception();
      }
    });
  }
  void join() {
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  std::thread thread_;
  std::exception_ptr error_;
};

// On a bridge: the network is wired on a thread of its own as soon as the init exists, while
// this one makes the cgroups (v1: about 0.5 ms of a bridged run's critical path); joined
// before anything else runs or forks. `veth_made`, read once the init exists (its namespace is
// adopted right before the clone): the first start's pair may be made already (net/netns.hpp);
// `veth_from`: or it is being made still, and the thread asks the helper.
void connect_when_spawned(Launch& launch, BackgroundTask& connecting, const std::string& data_root,
                          const net::Endpoint& e, const std::vector<net::Endpoint>& extras,
                          bool& veth_made, net::EarlyNetns*& veth_from, bool& wired) {
  launch.after_spawn = [&connecting, &data_root, &e, &extras, &veth_made, &veth_from,
                        &wired](pid_t pid) {
    const bool made = std::exchange(veth_made, false);
    net::EarlyNetns* early = std::exchange(veth_from, nullptr);
    connecting.start([&data_root, &e, &extras, pid, made, early, &wired] {
      const bool claimed = early ? early->claim_veth() : made;
      timing::mark("connect: helper done");
      net::connect(data_root, e, pid, claimed);
      wired = true;
      for (const auto& x : extras) net::connect(data_root, x, pid);  // network connect's
    });
  };
}

}  // namespace

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

net::HostsFileOf hosts_files_of(const Store& store) {
  return [&store](const std::string& id) { return net::hosts_file_in(store.open(id).config()); };
}

void forget_network(const RunOptions& o, const net::Endpoint* e, const std::string& id,
                    const std::vector<net::Endpoint>& extras) noexcept {
  if (!e) return;
  try {
    const Store store(o.state_root);
    net::forget(o.data_root, *e, id, hosts_files_of(store), extras);
  } catch (...) {
  }
}

void record_ended(ContainerState& st, bool never_started, int exit_code, const std::string& error) {
  st.status = never_started ? "created" : "exited";
  st.pid = 0;
  st.exit_code = exit_code;
  st.error = error;
  if (never_started)
    st.started_at.clear();
  else
    st.finished_at = now_rfc3339();
}

NetworkTeardown::~NetworkTeardown() {
  if (e) net::disconnect(*e);
}

Supervisor::Supervisor(SupervisorSetup setup, ContainerDir dir)
    : s_(std::move(setup)), dir_(std::move(dir)) {}

void Supervisor::record_running(Instance& in) {
  const pid_t pid = in.child().pid;
  const ContainerState now = dir_.update([&](ContainerState& st) {
    st.status = "running";
    st.pid = pid;
    st.supervisor_pid = ::getpid();
    st.started_at = now_rfc3339();
    st.exit_code = 0;
    st.oom_killed = false;
  });
  record_start(*s_.options, dir_.id(), now, s_.endpoint);
  // `stop` asked while this restart was on its way (it saw "restarting" and signalled nobody):
  // this run gets the stop signal it would have sent.
  if (now.stop_requested) try {
      ::kill(pid, stop_signal_of(dir_.config()));
    } catch (const Error&) {  // no config: the stop's timeout kills it
    }
}

RelayOptions Supervisor::relay_options(Instance& in, std::optional<LogWriter>& log) {
  RelayOptions r;
  r.pid = in.child().pid;
  r.pidfd = in.child().pidfd.get();
  r.errors = in.errors_fd();
  r.out = in.out_fd();
  r.err = in.err_fd();
  r.pty_socket = s_.init.tty ? in.sync_fd() : -1;
  r.attach_terminal = !s_.detached;
  r.forward_stdin = !s_.detached && s_.init.interactive && (s_.init.tty || in.in_fd() >= 0);
  r.stop_timeout = s_.stop_timeout;
  r.attach = attach_ ? &*attach_ : nullptr;
  r.stdin_pipe = in.in_fd();
  r.close_stdin_pipe = [&in] { in.close_stdin(); };
  if (s_.detached)
    r.deliver = [&log, a = r.attach](std::string_view stream, std::string_view data) {
      if (log) log->add(stream, data);
      if (a) a->broadcast(stream == "stderr" ? attach::kStderr : attach::kStdout, data);
    };
  else if (log)  // in the foreground: ours, and the log
    r.copy = [&log](std::string_view stream, std::string_view data) { log->add(stream, data); };
  r.close_output = [&in](std::string_view stream) { in.close_output(stream); };
  r.kill_all = [this] { (void)s_.cgroups->kill_all(); };
  return r;
}

bool adopt_early_netns(net::EarlyNetns& early, InitConfig& init, UniqueFd& holder) {
  UniqueFd fd = early.take_netns();
  timing::mark("create: netns taken");
  if (!fd || !init.new_net || init.userns) return false;
  holder = std::move(fd);
  init.made_netns_fd = holder.get();
  init.loopback_up = early.loopback_up();
  return true;
}

// `with_log`: this start writes container.log. In the foreground without -t, our terminals
// are relayed (terminal_relay); a foreground --rm run on pipes or files copies none of its
// output (run --rm's fast path).
Launch Supervisor::make_launch(bool with_log) {
  const bool pty = s_.init.tty;
  const TerminalRelay ours =
      s_.detached || pty ? TerminalRelay{} : terminal_relay(s_.init.interactive);
  const bool capture = s_.detached || (!pty && (with_log || ours.output));
  const bool stdin_pipe = s_.init.interactive && (s_.detached || ours.input);
  Launch launch{s_.cgroups, s_.resources, s_.init, capture, stdin_pipe, s_.signals->original_mask(),
                s_.shm_dir};
  if (s_.early_netns)  // the first start's, taken right before its clone
    launch.adopt_netns = [this](InitConfig& init) {
      net::EarlyNetns* early = std::exchange(s_.early_netns, nullptr);
      if (adopt_early_netns(*early, init, s_.made_netns)) s_.veth_from = early;
    };
  return launch;
}

Outcome Supervisor::run_once(bool first,
                             const std::function<void(const std::optional<InitFailure>&)>& cb) {
  Outcome out;
  const auto started = Clock::now();
  std::optional<LogWriter> log;
  if (const auto rotation = log_rotation(*s_.options);
      rotation && keeps_log(s_.detached, s_.options->remove))
    log.emplace(dir_.log_path(), *rotation);
  // A restart applies what `update` recorded meanwhile (docker's HostConfig); the first run's
  // limits are those its record was just made from.
  if (!first) (void)reload_limits();
  Launch launch = make_launch(log.has_value());
  Instance in(s_.cgroups);
  NetworkTeardown network;  // on a bridge: the ports go with each run, however it ends
  // docker's oom event when the kernel reports one, not only when the container ends (a
  // service whose worker is OOM-killed and restarted by it may never end).
  UniqueFd oom;
  {
    const UniqueFd networks = create_and_start(in, launch, network, oom);
    record_running(in);  // before `network connect` may look: it sees this run's pid
  }
  // An `update` between the reload and the record saw "restarting" and wrote only the record.
  if (!first && reload_limits()) try {
      Resources limits = s_.resources;
      limits.devices.clear();  // the device rules stay (update() would write them all again)
      s_.cgroups->update(limits);
    } catch (const Error& e) {  // as an `update` the kernel refused: the run goes on
      spdlog::warn("{}", e.what());
    }
  HealthChecker health(dir_, *s_.options, s_.health, s_.signals->original_mask());
  timing::mark("started");
  bool reported = !first;
  RelayOptions ro = relay_options(in, log);
  ro.on_started = [&] {
    if (!reported && cb) cb(std::nullopt);
    reported = true;
  };
  // A detached supervisor sleeps until its container ends: while it does, it keeps only the
  // memory it changed (about 0.2 MiB; see README, performance).
  if (s_.detached) ro.on_idle = release_idle_memory_and_poll;
  ro.oom = oom.get();
  ro.on_oom = [&] {
    for (uint64_t n = s_.cgroups->oom_events(oom.get()); n > 0; --n) {
      ++out.oom_events;
      record_oom(*s_.options, dir_);
    }
  };
  const RelayResult r = relay(*s_.signals, ro);
  timing::mark("exited");
  in.reaped();
  stop_signalled_ = stop_signalled_ || r.stop_signalled;
  out.status = r.status;
  if (log) log->flush();
  out.wall_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  // Read before the cgroups go: the whole picture for --report, else just the OOM count.
  if (s_.report)
    out.stats = s_.cgroups->stats();
  else
    out.stats.memory = s_.cgroups->oom_report();
  out.problems = in.destroy();
  timing::mark("destroyed");
  if (!r.failure.empty()) out.failure = decode_failure(r.failure);
  if (!reported && cb && !out.failure) cb(std::nullopt);  // a failure: run() reports it
  return out;
}

// On a bridge, the networks `network connect` added are read, and leased again (a failed first
// start gave its addresses back), under a shared hold of the state root's networks lock, which
// the caller keeps until the run is recorded running (returned): a `network connect` or
// `disconnect` meanwhile waits, then sees this run.
UniqueFd Supervisor::create_and_start(Instance& in, Launch& launch, NetworkTeardown& network,
                                      UniqueFd& oom) {
  UniqueFd held;
  std::vector<net::Endpoint> extras;  // the connecting thread's, joined before we return
  BackgroundTask connecting;
  bool wired = false;  // written by the thread, read after join()
  if (s_.endpoint) {
    held = dir_.hold_networks(false);
    extras = net::extra_endpoints(dir_.extra_networks());
    net::lease_again(s_.options->data_root, dir_.id(), extras);
    connect_when_spawned(launch, connecting, s_.options->data_root, *s_.endpoint, extras,
                         s_.veth_made, s_.veth_from, wired);
  }
  // Once its own network is wired its ports are its own, and go with it however the run ends
  // (v1: a cgroup write refused once the init existed; an added network's connect failed).
  auto join = [&](bool report) {
    std::exception_ptr failed;
    try {
      connecting.join();
    } catch (...) {
      failed = std::current_exception();
    }
    if (wired) network.e = s_.endpoint;
    if (failed && report) std::rethrow_exception(failed);
  };
  try {
    in.create(launch);
  } catch (...) {
    join(false);  // the create error is the one reported
    throw;
  }
  timing::mark("created");
  // The init joins its cgroups and enters its root while the network is wired; it waits for
  // "network ready" before its sysctls and its command (InitConfig::wait_network). A failed
  // connect throws from join(): ~Instance kills the waiting init.
  in.start(/*keep_socket=*/s_.init.tty || s_.endpoint);
  // Right after the go-ahead, off the init's path: the command is not even exec'd yet (the
  // stub, then it: some 0.2 ms), so an OOM at its first steps is still seen.
  oom = s_.cgroups->oom_watch();
  if (s_.endpoint) {
    // Its ports are unpublished only once they are its own: a refused -p (another container
    // publishes the port) must not take the other's away. (connect publishes last; the veth
    // of a failed connect dies with the namespace.)
    join(true);
    in.network_ready(/*keep_socket=*/s_.init.tty);
  }
  if (s_.made_netns) {  // the init and the veth have it: a restart makes its own
    s_.init.made_netns_fd = -1;
    s_.init.loopback_up = false;
    s_.made_netns.reset();
  }
  return held;
}

RestartPolicy Supervisor::restart_policy() const {
  try {
    const auto config = dir_.config();
    if (config.contains("restart_policy"))
      return parse_restart_policy(recorded_restart_policy(config));
  } catch (const std::exception& e) {  // no record to read: the run's
    spdlog::warn("{}", e.what());
  }
  return s_.restart;
}

bool Supervisor::should_restart(const Outcome& o, int restarts) const {
  if (stop_signalled_ || o.failure) return false;
  const RestartPolicy policy = restart_policy();
  switch (policy.kind) {
    case RestartPolicy::kNo:
      return false;
    case RestartPolicy::kOnFailure:
      return o.status != 0 && (policy.max_retries == 0 || restarts < policy.max_retries);
    case RestartPolicy::kAlways:
    case RestartPolicy::kUnlessStopped:
      return true;
  }
  return false;
}

bool Supervisor::back_off(long delay_ms) {
  for (long waited = 0; waited < delay_ms; waited += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50L, delay_ms - waited)));
    while (int sig = s_.signals->next())
      if (is_stop_signal(sig)) stop_signalled_ = true;
    if (stop_signalled_ || dir_.state().stop_requested) {
      dir_.update([](ContainerState& s) { s.status = "exited"; });
      return false;
    }
  }
  return true;
}

bool Supervisor::reload_limits() {
  Resources now = s_.resources;
  try {
    apply_recorded_limits(dir_.config().value("host_config", nlohmann::json()), now);
  } catch (const Error& e) {  // no record to read: the limits it had
    spdlog::warn("{}", e.what());
    return false;
  }
  const bool changed = host_config_json(now) != host_config_json(s_.resources);
  s_.resources = std::move(now);
  return changed;
}

Outcome Supervisor::run(const std::function<void(const std::optional<InitFailure>&)>& on_start) {
  // docker's back-off: 100 ms before the first restart, doubling, at most a minute; back to
  // 100 ms once a run has lasted 10 s.
  long delay_ms = 100;
  // A detached container can be attached to for as long as it lives (attach.sock).
  if (s_.detached) attach_.emplace(dir_.path(), s_.init.tty, s_.init.interactive);
  for (int restarts = 0;; ++restarts) {
    Outcome o = run_once(restarts == 0, on_start);
    record_end(*s_.options, dir_, o, s_.endpoint);
    // --rm (never with a restart policy): the directory goes right after; no state to write.
    // Unless `restart` stopped it: then it ends as any other, and its start runs it again.
    if (s_.options->remove && !o.failure) o.restarting = dir_.restart_requested();
    if (s_.options->remove && !o.failure && !o.restarting) {
      if (attach_) attach_->finish(o.status);
      return o;
    }
    const bool oom = o.stats.memory && o.stats.memory->oom_kills > 0;
    // A first start that failed (its set-up, or the exec of its command) leaves the container
    // created, as docker's does: never started, with the status and the reason, no address.
    const bool never_ran = o.failure && restarts == 0 && !s_.ran_before;
    if (never_ran && !s_.options->remove)  // with --rm its removal does it
      forget_network(*s_.options, s_.endpoint, dir_.id());
    const std::string reason = oom ? "OOM-killed (exit " + std::to_string(o.status) + ")"
                                   : "exit " + std::to_string(o.status);
    // An exit that the policy follows with a restart is recorded as "restarting" in the same
    // change (docker's SetRestarting): `stop`, `rm` and `kill` see a live container throughout,
    // never a moment "exited" in which a stop would find nothing to stop while the restart
    // goes on; `wait` returns at the exit all the same (its FinishedAt changes).
    const ContainerState st = dir_.update([&](ContainerState& st) {
      record_ended(st, never_ran, o.failure ? o.failure->exit_code : o.status,
                   o.failure ? o.failure->message : "");
      st.oom_killed = oom;
      if (st.stop_requested || !should_restart(o, restarts)) return;
      st.status = "restarting";
      st.restart_reason = reason;
    });
    // A failed first start is reported once it is recorded: the caller's next inspect sees it.
    if (restarts == 0 && o.failure && on_start) on_start(o.failure);
    // Attached clients end with the container, once `inspect` shows it ended (docker's).
    if (attach_) attach_->finish(st.exit_code);
    if (st.status != "restarting") return o;
    if (o.wall_seconds >= 10) delay_ms = 100;
    spdlog::info("restarting after {} in {} ms", reason, delay_ms);
    // Recorded as restarting first: what the caller's next `inspect` sees once it returned.
    if (!s_.detached && s_.hand_off) switch (s_.hand_off()) {
        case SupervisorSetup::HandOff::kReturn:
          return o;
        case SupervisorSetup::HandOff::kGoOn:  // as run -d's supervisor from here on
          s_.detached = true;
          s_.ran_before = true;
          dir_.update([](ContainerState& s) { s.supervisor_pid = ::getpid(); });
          attach_.emplace(dir_.path(), s_.init.tty, s_.init.interactive);
          break;
        case SupervisorSetup::HandOff::kStay:
          break;
      }
    if (!back_off(delay_ms)) return o;
    delay_ms = std::min(delay_ms * 2, 60000L);
    dir_.update([](ContainerState& s) { s.restart_count += 1; });  // counted as it happens
  }
}

}  // namespace mydocker
