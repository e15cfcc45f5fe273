#include "mydocker/container/run.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cgroup/subsystem.hpp"
#include "mydocker/container/init.hpp"
#include "mydocker/container/record.hpp"
#include "mydocker/container/report.hpp"
#include "mydocker/container/signals.hpp"
#include "mydocker/container/spawn.hpp"
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
  c.interactive = o.interactive;
  c.tty = o.tty;
  c.trace = o.trace;
  return c;
}

Plan make_plan(const RunOptions& o, const Fs& fs, const HostCgroups& host) {
  Plan p;
  p.id = new_container_id();
  const bool report = o.report || !o.report_file.empty();
  p.cgroups = make_cgroup_manager(fs, host, p.id, o.cgroup_parent, report);
  p.resources = parse_resources(o, p.cgroups->available());
  p.cgroups->validate(p.resources);
  p.init = make_init_config(o, p.id, *p.cgroups);
  return p;
}

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json state_json(const RunOptions& o, const std::string& id, const CgroupManager& cg) {
  nlohmann::json parents = nlohmann::json::array();
  if (o.cgroup_parent.empty())
    for (const auto& d : cg.dirs()) parents.push_back(parent_dir(d));
  return {{"id", id},           {"name", o.name},           {"command", o.command},
          {"pid", ::getpid()},  {"created", now_rfc3339()}, {"cgroups", cg.dirs()},
          {"cgroup_parents", parents}};
}

void send_config(int fd, const InitConfig& c) {
  std::string blob = encode_init_config(c);
  uint32_t size = static_cast<uint32_t>(blob.size());
  // EPIPE means the child already died; the wait reports why.
  if (!write_all(fd, &size, sizeof size) || !write_all(fd, blob.data(), blob.size())) {
    if (errno != EPIPE) throw_errno("write to the container's sync pipe");
  }
}

std::optional<InitFailure> read_failure(int fd) {
  std::string data(4096, '\0');
  ssize_t n = read_full(fd, data.data(), data.size());
  if (n <= 0) return std::nullopt;
  data.resize(static_cast<size_t>(n));
  return decode_failure(data);
}

int exit_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return kExitSetupError;
}

// What a run has made, undone whichever way the run ends: the child killed and reaped, the
// cgroups removed, then the record (kept for `mydocker prune` if a cgroup could not be removed).
struct Running {
  Child child;
  std::unique_ptr<CgroupManager> cgroups;
  std::optional<RunRecord> record;
  bool done = false;

  Running() = default;
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
  ~Running() { (void)teardown(); }

  std::vector<std::string> teardown() noexcept {
    if (done) return {};
    done = true;
    if (child.pid > 0) {
      ::kill(child.pid, SIGKILL);
      while (::waitpid(child.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      child.pid = -1;
    }
    std::vector<std::string> problems;
    if (cgroups) problems = cgroups->destroy();
    if (record) {
      if (problems.empty())
        record->remove();
      else
        record->keep();
    }
    return problems;
  }
};

// Waits for the container's init to exit, forwarding signals. After SIGINT, SIGTERM, SIGHUP or
// SIGQUIT, the init has `stop_timeout` seconds before everything in its cgroups is killed.
int wait_for_exit(Running& run, SignalForwarder& signals, int stop_timeout) {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> deadline;
  bool killed = false;
  const pid_t pid = run.child.pid;
  for (;;) {
    int timeout_ms = -1;
    if (deadline && !killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count() + 1));
    }
    pollfd fds[2] = {{run.child.pidfd.get(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    if (fds[0].revents != 0) {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      run.child.pid = -1;
      return exit_status(status);
    }
    while (int sig = signals.next()) {
      trace::emit("kill -" + signal_name(sig) + " " + std::to_string(pid));
      ::kill(pid, sig);
      if (is_stop_signal(sig) && !deadline && stop_timeout >= 0)
        deadline = Clock::now() + std::chrono::seconds(stop_timeout);
    }
    if (deadline && !killed && Clock::now() >= *deadline) {
      spdlog::info("the container did not stop within {} s: killing it", stop_timeout);
      trace::emit("kill -KILL " + std::to_string(pid));
      ::kill(pid, SIGKILL);
      (void)run.cgroups->kill_all();
      killed = true;
    }
  }
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

void write_report(const RunOptions& o, const RunReport& report, RunResult& result) {
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
  const int stop_timeout = stop_timeout_seconds(o);
  trace::set_enabled(o.trace || o.dry_run);
  if (o.dry_run) return dry_run(o);
  if (::geteuid() != 0)
    throw Error("mydocker run needs root (running as uid " + std::to_string(::geteuid()) +
                "); --dry-run shows what it would do");
  const auto started = std::chrono::steady_clock::now();
  const Fs fs;
  const HostCgroups host = detect_host_cgroups(fs);
  // v2: the child is born in its cgroup (clone3 CLONE_INTO_CGROUP), so the cgroup comes first.
  // v1 has no such flag: we clone first, and the child's exec of `mydocker init` (about
  // 0.6 ms) overlaps our checks and cgroup set-up. It waits for its configuration, so a check
  // that fails below kills a child that has run nothing.
  const bool born_inside = host.mode == CgroupMode::kV2;

  ::signal(SIGPIPE, SIG_IGN);  // a dead child shows as EPIPE, not as our death
  SignalForwarder signals;
  Pipe sync = make_pipe();
  Pipe errors = make_pipe();
  Running run;
  auto spawn = [&](const std::string& into) {
    trace::emit(unshare_trace(into));
    run.child = spawn_init(sync.read.get(), errors.write.get(), signals.original_mask(), into);
    sync.read.reset();
    errors.write.reset();
  };
  if (!born_inside) spawn("");
  Plan plan = make_plan(o, fs, host);
  run.cgroups = std::move(plan.cgroups);
  // The record (and its lock) exists before the first cgroup, so `prune` knows it is alive.
  run.record.emplace(RunRecord::create(o.state_root, plan.id, state_json(o, plan.id, *run.cgroups)));
  if (spdlog::should_log(spdlog::level::debug))
    spdlog::debug("container {}: cgroups {}", plan.id, nlohmann::json(run.cgroups->dirs()).dump());
  if (!born_inside) send_config(sync.write.get(), plan.init);
  run.cgroups->create(plan.resources);
  run.cgroups->set(plan.resources);
  if (born_inside) {
    spawn(run.cgroups->clone_into());
    if (!run.child.born_in_cgroup) run.cgroups->apply(run.child.pid);  // an older kernel
    send_config(sync.write.get(), plan.init);
  }
  // "go": the cgroups exist and hold their limits. A v1 init joins them before anything of
  // the command runs; a v2 init was born in its cgroup.
  (void)write_all(sync.write.get(), &kSyncGo, 1);  // EPIPE: it died; the wait tells why
  sync.write.reset();

  RunResult result;
  result.status = wait_for_exit(run, signals, stop_timeout);
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;
  // Read before the cgroups go: the whole picture for --report, else just the OOM count.
  Stats stats;
  const bool report = o.report || !o.report_file.empty();
  if (report)
    stats = run.cgroups->stats();
  else
    stats.memory = run.cgroups->oom_report();
  for (auto& problem : run.teardown()) result.messages.push_back("cleanup: " + problem);
  if (auto failure = read_failure(errors.read.get()))
    throw Error(failure->message, failure->exit_code);
  if (auto oom = oom_message(stats, plan.id); !oom.empty())
    result.messages.insert(result.messages.begin(), oom);
  if (report)
    write_report(o, {plan.id, std::string(to_string(host.mode == CgroupMode::kV2 ? CgroupMode::kV2 : CgroupMode::kV1)), result.status, wall.count(), stats}, result);
  return result;
}

}  // namespace mydocker
