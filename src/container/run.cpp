#include "mydocker/container/run.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/container/config.hpp"
#include "mydocker/container/init.hpp"
#include "mydocker/container/report.hpp"
#include "mydocker/container/signals.hpp"
#include "mydocker/container/spawn.hpp"
#include "mydocker/container/store.hpp"
#include "mydocker/container/supervisor.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/trace.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

constexpr const char* kContainerPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Everything a run decides before it creates anything: bad input fails here.
struct Plan {
  std::string id;
  std::string name;
  std::unique_ptr<CgroupManager> cgroups;
  Resources resources;
  InitConfig init;
};

// docker's environment for a container without an image: PATH, HOSTNAME, HOME, and TERM with
// -t. Nothing of the caller's environment is passed on.
InitConfig make_init_config(const RunOptions& o, const std::string& id,
                            const CgroupManager& cgroups) {
  InitConfig c;
  c.argv = o.command;
  c.hostname = o.hostname.empty() ? short_id(id) : o.hostname;
  c.env = {kContainerPath, "HOSTNAME=" + c.hostname, "HOME=/root"};
  if (o.tty) c.env.push_back("TERM=xterm");
  c.join_files = cgroups.self_join_files();
  c.interactive = o.interactive && !o.detach;  // no attach yet: a detached stdin is /dev/null
  c.tty = o.tty && !o.detach;
  c.trace = o.trace && !o.detach;
  return c;
}

bool wants_report(const RunOptions& o) { return o.report || !o.report_file.empty(); }

Plan make_plan(const RunOptions& o, const Fs& fs, const HostCgroups& host) {
  Plan p;
  p.id = new_container_id();
  p.name = o.name.empty() ? generate_name(p.id) : o.name;
  // Detached containers join every controller: `stats`, `update` and `pause` act on them later.
  p.cgroups =
      make_cgroup_manager(fs, host, p.id, o.cgroup_parent, wants_report(o) || o.detach);
  p.resources = parse_resources(o, p.cgroups->available());
  p.cgroups->validate(p.resources);
  p.init = make_init_config(o, p.id, *p.cgroups);
  return p;
}

ContainerState first_state(const Plan& p) {
  ContainerState st;
  st.cgroups = p.cgroups->paths();
  st.cgroup_dirs = p.cgroups->dirs();
  st.cgroup_parents = p.cgroups->own_parents();
  st.supervisor_pid = ::getpid();
  return st;
}

SupervisorSetup setup_for(const RunOptions& o, const HostCgroups& host, const Fs& fs, Plan& p,
                          SignalForwarder& signals) {
  SupervisorSetup s;
  s.options = &o;
  s.host = &host;
  s.fs = &fs;
  s.id = p.id;
  s.cgroups = p.cgroups.get();
  s.resources = p.resources;
  s.init = p.init;
  s.restart = parse_restart_policy(o.restart);
  s.stop_timeout = stop_timeout_seconds(o);
  s.detached = o.detach;
  s.report = wants_report(o);
  s.signals = &signals;
  return s;
}

// --dry-run: the same checks and the same trace lines, in the order a real run prints them,
// with $PID for the pid; nothing is created or run.
RunResult dry_run(const RunOptions& o) {
  const Fs fs(/*dry_run=*/true);
  const HostCgroups host = detect_host_cgroups(fs);
  Plan p = make_plan(o, fs, host);
  const std::string into = p.cgroups->clone_into();
  if (into.empty()) trace::emit(unshare_trace(""));
  p.cgroups->create(p.resources);
  p.cgroups->set(p.resources);
  if (!into.empty()) trace::emit(unshare_trace(into));
  (void)join_cgroups(p.init, /*dry=*/true);
  (void)prepare_container(p.init, /*dry=*/true);
  trace::emit("exec " + trace::join(p.init.argv));
  (void)p.cgroups->destroy();
  return {};
}

void add_report(const RunOptions& o, const std::string& id, const HostCgroups& host,
                const Outcome& out, RunResult& result) {
  if (!wants_report(o)) return;
  RunReport report{id, host.mode == CgroupMode::kV2 ? "v2" : "v1", out.status, out.wall_seconds,
                   out.stats};
  if (o.report) result.report = format_report(report);
  if (!o.report_file.empty()) {
    try {
      write_file_atomic(o.report_file, report_json(report).dump(2) + "\n");
    } catch (const std::exception& e) {
      result.messages.push_back(std::string("--report-file: ") + e.what());
      if (result.status == 0) result.status = kExitSetupError;
    }
  }
}

// run -d: a supervisor process is forked off to own the container; we wait until the command
// has started (or failed to), print the id and leave.
RunResult run_detached(const RunOptions& o, const Store& store, Store::Created created, Plan& p,
                       const HostCgroups& host, const Fs& fs) {
  Pipe ready = make_pipe();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork (the container's supervisor)");
  if (pid == 0) {
    // The supervisor: its own session, no terminal, nothing of our stdio (a caller reading
    // our output until EOF must not wait for it). It inherited supervisor.lock.
    ::setsid();
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
    ready.read.reset();
    int code = 0;
    try {
      SignalForwarder signals;
      Supervisor sup(setup_for(o, host, fs, p, signals), created.dir);
      Outcome out = sup.run([&](const std::optional<InitFailure>& f) {
        std::string msg = f ? encode_failure(*f) : "ok";
        (void)write_all(ready.write.get(), msg.data(), msg.size());
        ready.write.reset();
      });
      if (o.remove) store.remove(created.dir, p.name);
      code = out.status;
    } catch (const std::exception& e) {
      std::string msg = encode_failure({kExitSetupError, e.what()});
      if (ready.write) (void)write_all(ready.write.get(), msg.data(), msg.size());
      try {
        created.dir.update([&](ContainerState& st) {
          st.status = "exited";
          st.exit_code = kExitSetupError;
          st.error = e.what();
        });
        if (o.remove) store.remove(created.dir, p.name);
      } catch (...) {
      }
      code = kExitSetupError;
    }
    ::_exit(code & 0xff);
  }
  ready.write.reset();
  created.supervisor_lock.reset();  // the supervisor holds it now
  std::string msg(4096, '\0');
  ssize_t n = read_full(ready.read.get(), msg.data(), msg.size());
  msg.resize(n > 0 ? static_cast<size_t>(n) : 0);
  if (msg == "ok") return RunResult{0, {}, "", p.id};
  if (auto f = decode_failure(msg)) throw Error(f->message, f->exit_code);
  throw Error("the container's supervisor died before the container started");
}

}  // namespace

std::string oom_message(const Stats& stats, const std::string& id) {
  if (!stats.memory || stats.memory->oom_kills == 0) return "";
  const auto& m = *stats.memory;
  std::string limit = m.limit ? "memory limit " + format_size(*m.limit) : "no memory limit";
  return std::to_string(m.oom_kills) + (m.oom_kills == 1 ? " process" : " processes") +
         " of container " + short_id(id) + (m.oom_kills == 1 ? " was" : " were") +
         " killed by the OOM killer (" + limit + ", peak " +
         format_size(static_cast<int64_t>(m.peak)) + ")";
}

RunResult run_container(const RunOptions& o) {
  validate_run_options(o);
  trace::set_enabled(o.trace || o.dry_run);
  if (o.dry_run) return dry_run(o);
  if (::geteuid() != 0)
    throw Error("mydocker run needs root (running as uid " + std::to_string(::geteuid()) +
                "); --dry-run shows what it would do");
  const Fs fs;
  const HostCgroups host = detect_host_cgroups(fs);
  const Store store(o.state_root);
  ::signal(SIGPIPE, SIG_IGN);  // a dead child shows as EPIPE, not as our death

  if (o.detach) {
    Plan p = make_plan(o, fs, host);
    auto created = store.create(p.id, p.name, make_config(o, p.id, p.name, p.resources, p.init),
                                first_state(p));
    return run_detached(o, store, std::move(created), p, host, fs);
  }

  // Foreground: we are the supervisor. On v1 we clone first: the child's exec of `mydocker
  // init` (about 0.6 ms) then overlaps our checks and set-up. It waits for its configuration,
  // so a check that fails below kills a child that has run nothing. (v2 clones into the
  // finished cgroup instead.)
  SignalForwarder signals;
  std::optional<Child> early;
  Pipe sync, errors;
  auto kill_early = [&] {
    if (early && early->pid > 0) {
      ::kill(early->pid, SIGKILL);
      ::waitpid(early->pid, nullptr, 0);
      early->pid = -1;
    }
  };
  if (host.mode != CgroupMode::kV2) {
    sync = make_pipe();
    errors = make_pipe();
    trace::emit(unshare_trace(""));
    early = spawn_init(sync.read.get(), errors.write.get(), signals.original_mask());
    sync.read.reset();
    errors.write.reset();
  }
  std::optional<Plan> plan;
  std::optional<Store::Created> created;
  try {
    plan.emplace(make_plan(o, fs, host));
    // The container's directory (and its lock) exists before its first cgroup, so `prune`
    // knows it is alive.
    ContainerState st = first_state(*plan);
    if (early) {  // already as it will be once the child runs: one state write fewer
      st.status = "running";
      st.pid = early->pid;
      st.started_at = now_rfc3339();
      st.cgroup_mode = "v1";
    }
    created.emplace(store.create(plan->id, plan->name,
                                 make_config(o, plan->id, plan->name, plan->resources, plan->init),
                                 st, /*durable=*/false));
  } catch (...) {
    kill_early();
    throw;
  }
  if (spdlog::should_log(spdlog::level::debug))
    spdlog::debug("container {}: cgroups {}", plan->id,
                  nlohmann::json(plan->cgroups->dirs()).dump());
  SupervisorSetup setup = setup_for(o, host, fs, *plan, signals);
  setup.first_state_written = early.has_value();
  Supervisor sup(std::move(setup), created->dir);
  if (early) sup.adopt(std::move(*early), std::move(sync), std::move(errors));
  Outcome out;
  try {
    out = sup.run(nullptr);
  } catch (const std::exception& e) {
    // The supervisor has undone the run; the container stays as exited, with the reason.
    try {
      if (o.remove) {
        store.remove(created->dir, plan->name);
      } else {
        created->dir.update([&](ContainerState& st) {
          st.status = "exited";
          st.pid = 0;
          st.exit_code = kExitSetupError;
          st.error = e.what();
          st.finished_at = now_rfc3339();
        });
      }
    } catch (...) {
    }
    throw;
  }
  RunResult result;
  result.id = plan->id;
  result.status = out.status;
  for (auto& problem : out.problems) result.messages.push_back("cleanup: " + problem);
  if (o.remove) store.remove(created->dir, plan->name);
  if (out.failure) throw Error(out.failure->message, out.failure->exit_code);
  if (auto oom = oom_message(out.stats, plan->id); !oom.empty())
    result.messages.insert(result.messages.begin(), oom);
  add_report(o, plan->id, host, out, result);
  return result;
}

}  // namespace mydocker
