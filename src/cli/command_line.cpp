#include "mydocker/cli/command_line.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "mydocker/cli/run_args.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker::cli {
namespace {

constexpr const char* kVersion = "0.2.0";

// Limit flags are kept as text with the spelling typed, so errors name both.
struct LimitText {
  std::string memory, memory_swap, memory_reservation, memory_swappiness;
  std::string cpu, cpus, cpu_period, cpu_quota, shares, rt_runtime, rt_period, cpuset, cpuset_mems;
  std::string pids_limit, blkio_weight;
  std::vector<std::string> read_bps, write_bps, read_iops, write_iops;
};

// The resource flags `run` and `update` share.
void add_limit_flags(CLI::App& app, LimitText& t, bool devices) {
  const auto last = CLI::MultiOptionPolicy::TakeLast;  // docker: the last one counts
  app.add_option("-m,--mem,--memory", t.memory, "Memory limit: 100m, 1.5g (also -mem)")
      ->multi_option_policy(last);
  app.add_option("--memory-swap", t.memory_swap, "Memory+swap limit: SIZE, -1 = unlimited swap")
      ->multi_option_policy(last);
  app.add_option("--memory-reservation", t.memory_reservation, "Memory soft limit: SIZE")
      ->multi_option_policy(last);
  app.add_option("--memory-swappiness", t.memory_swappiness, "0..100 (cgroup v1)")
      ->multi_option_policy(last);
  app.add_option("--cpu", t.cpu, "CPU limit in percent of one CPU: 20 = 20% (also -cpu)")
      ->multi_option_policy(last);
  app.add_option("--cpus", t.cpus, "CPU limit in CPUs: 1.5")->multi_option_policy(last);
  app.add_option("--cpu-period", t.cpu_period, "CFS period in µs (1000..1000000)")
      ->multi_option_policy(last);
  app.add_option("--cpu-quota", t.cpu_quota, "CFS quota in µs per period (-1: unlimited)")
      ->multi_option_policy(last);
  app.add_option("-c,--cpushare,--cpu-shares", t.shares,
                 "CPU weight against other cgroups, default 1024 (also -cpushare)")
      ->multi_option_policy(last);
  app.add_option("--cpu-rt-runtime", t.rt_runtime, "Real-time runtime in µs (cgroup v1)")
      ->multi_option_policy(last);
  app.add_option("--cpu-rt-period", t.rt_period, "Real-time period in µs (cgroup v1)")
      ->multi_option_policy(last);
  app.add_option("--cpuset,--cpuset-cpus", t.cpuset, "CPUs allowed: 0-2,4 (also -cpuset)")
      ->multi_option_policy(last);
  app.add_option("--cpuset-mems", t.cpuset_mems, "Memory nodes allowed: 0-1")
      ->multi_option_policy(last);
  app.add_option("--pids-limit", t.pids_limit, "Process limit (0 or -1: unlimited)")
      ->multi_option_policy(last);
  app.add_option("--blkio-weight", t.blkio_weight, "Block I/O weight 10..1000")
      ->multi_option_policy(last);
  if (!devices) return;
  app.add_option("--device-read-bps", t.read_bps, "Read rate limit: DEVICE:SIZE (/dev/sda:1mb)");
  app.add_option("--device-write-bps", t.write_bps, "Write rate limit: DEVICE:SIZE");
  app.add_option("--device-read-iops", t.read_iops, "Read operations limit: DEVICE:N");
  app.add_option("--device-write-iops", t.write_iops, "Write operations limit: DEVICE:N");
}

void add_run_flags(CLI::App& run, RunOptions& o, LimitText& t, std::string& stop_timeout) {
  run.set_help_flag("--help", "Print this help");  // -h is --hostname, as in docker
  add_limit_flags(run, t, true);
  run.add_flag("--oom-kill-disable", o.oom_kill_disable, "Disable the OOM killer (cgroup v1)");
  run.add_option("--rootfs", o.rootfs_dir, "Run in this directory as the root filesystem");
  run.add_flag("--host-rw", o.host_rw,
               "Without an image: the host's files writable (default: read-only, with fresh "
               "/tmp, /run and /dev/shm)");
  run.add_option("--device", o.devices, "A host device in the container: HOST[:CONTAINER][:rwm]");
  run.add_option("--device-cgroup-rule", o.device_cgroup_rules,
                 "Allow a device: 'TYPE MAJOR:MINOR PERMS' ('c 1:3 rwm', 'b 8:* r')");
  run.add_option("-v,--volume", o.volumes, "Bind mount: HOST:CONTAINER[:ro]");
  run.add_option("--tmpfs", o.tmpfs, "A tmpfs: PATH[:OPTIONS]");
  run.add_flag("--read-only", o.read_only, "Mount the root filesystem read-only");
  run.add_option("-e,--env", o.env, "Set an environment variable: KEY=VALUE (KEY: ours)");
  run.add_option("--env-file", o.env_files, "Read environment variables from a file");
  run.add_option("-w,--workdir", o.workdir, "Working directory inside the container");
  run.add_option("-u,--user", o.user, "UID[:GID] or NAME[:GROUP] (from the image)");
  run.add_option("--entrypoint", o.entrypoint, "Run this instead, with the command as arguments");
  run.add_option("--net,--network", o.network, "none (default: only a loopback) or host");
  run.add_option("--cap-add", o.cap_add, "Add a capability (NET_ADMIN, ALL ...)");
  run.add_option("--cap-drop", o.cap_drop, "Drop a capability");
  run.add_flag("--privileged", o.privileged,
               "All capabilities and devices, no seccomp, no masked paths");
  run.add_option("--security-opt", o.security_opts,
                 "seccomp=unconfined|FILE.json, no-new-privileges[=true|false]");
  run.add_option("--ulimit", o.ulimits, "A resource limit: NAME=SOFT[:HARD] (nofile=1024)");
  run.add_option(
      "--userns", o.userns,
      "User namespace: host (default) or private (root mapped to an unprivileged range)");
  run.add_flag("-d,--detach", o.detach, "Run in the background and print the container's id");
  run.add_flag("-i,--interactive", o.interactive, "Keep stdin attached");
  run.add_flag("-t,--tty", o.tty, "A terminal (PTY) inside the container, relayed to the caller's");
  run.add_flag("--rm", o.remove, "Remove the container when it exits");
  run.add_option("--restart", o.restart, "no, on-failure[:N], always or unless-stopped");
  run.add_option("--name", o.name, "Name of the container");
  run.add_option("-h,--hostname", o.hostname, "Hostname (default: the container's short id)");
  run.add_option("--cgroup-parent", o.cgroup_parent,
                 "Parent cgroup: /abs from the hierarchy root, relative from your own cgroup");
  run.add_option("--stop-timeout", stop_timeout,
                 "Seconds from a forwarded SIGTERM/SIGINT to SIGKILL (default 10, -1 never)");
  run.add_flag("--trace", o.trace, "Print every kernel action as a shell line");
  run.add_flag("--dry-run", o.dry_run, "Check everything and print the actions; run nothing");
  run.add_flag("--report", o.report, "Print what the container used when it ends");
  run.add_option("--report-file", o.report_file, "Write the same as JSON to FILE");
}

std::optional<FlagValue> flag_value(CLI::App& app, const RunArgs& split, const char* name,
                                    const std::string& text) {
  CLI::Option* opt = app.get_option_no_throw(name);
  if (!opt || opt->count() == 0) return std::nullopt;
  auto typed = split.typed.find(opt->get_name());
  return FlagValue{typed != split.typed.end() ? typed->second : opt->get_name(), text};
}

void fill_limits(CLI::App& app, const RunArgs& split, const LimitText& t, RunOptions& o) {
  o.memory = flag_value(app, split, "--mem", t.memory);
  o.memory_swap = flag_value(app, split, "--memory-swap", t.memory_swap);
  o.memory_reservation = flag_value(app, split, "--memory-reservation", t.memory_reservation);
  o.memory_swappiness = flag_value(app, split, "--memory-swappiness", t.memory_swappiness);
  o.cpu_percent = flag_value(app, split, "--cpu", t.cpu);
  o.cpus = flag_value(app, split, "--cpus", t.cpus);
  o.cpu_period = flag_value(app, split, "--cpu-period", t.cpu_period);
  o.cpu_quota = flag_value(app, split, "--cpu-quota", t.cpu_quota);
  o.cpu_shares = flag_value(app, split, "--cpushare", t.shares);
  o.cpu_rt_runtime = flag_value(app, split, "--cpu-rt-runtime", t.rt_runtime);
  o.cpu_rt_period = flag_value(app, split, "--cpu-rt-period", t.rt_period);
  o.cpuset_cpus = flag_value(app, split, "--cpuset", t.cpuset);
  o.cpuset_mems = flag_value(app, split, "--cpuset-mems", t.cpuset_mems);
  o.pids_limit = flag_value(app, split, "--pids-limit", t.pids_limit);
  o.blkio_weight = flag_value(app, split, "--blkio-weight", t.blkio_weight);
  auto list = [](const std::vector<std::string>& values, const char* flag) {
    std::vector<FlagValue> out;
    for (const auto& v : values) out.push_back({flag, v});
    return out;
  };
  o.device_read_bps = list(t.read_bps, "--device-read-bps");
  o.device_write_bps = list(t.write_bps, "--device-write-bps");
  o.device_read_iops = list(t.read_iops, "--device-read-iops");
  o.device_write_iops = list(t.write_iops, "--device-write-iops");
}

// Index of the subcommand in args (skipping global flags and their values), or args.size().
size_t find_subcommand(const std::vector<std::string>& args, CLI::App& app) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.empty() || a[0] != '-') return i;
    const CLI::Option* opt = app.get_option_no_throw(a.substr(0, a.find('=')));
    if (opt && opt->get_expected_max() > 0 && a.find('=') == std::string::npos) ++i;
  }
  return args.size();
}

[[noreturn]] void rethrow_parse_error(const CLI::ParseError& e) {
  std::string what = e.what();
  for (const std::string prefix : {"The following argument was not expected: ",
                                   "The following arguments were not expected: "}) {
    if (what.rfind(prefix, 0) != 0) continue;
    std::string rest = what.substr(prefix.size());
    what = (rest.empty() || rest[0] == '-' ? "unknown flag: " : "unknown command: ") + rest;
  }
  throw Error(what + " (see mydocker --help)");
}

// The subcommand in the arguments ("" when there is none, or it is no command of ours).
std::string subcommand_name(const std::vector<std::string>& args) {
  static const char* const kCommands[] = {
      "run",     "info", "prune",   "ps",     "logs",  "exec",   "stop",
      "kill",    "rm",   "inspect", "top",    "stats", "update", "pause",
      "unpause", "wait", "import",  "images", "rmi",   "export", "commit"};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--root" || a == "--log-level" || a == "--data-root") && i + 1 < args.size()) {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    for (const char* c : kCommands)
      if (a == c) return a;
    return "";
  }
  return "";
}

int int_value(const std::string& flag, const std::string& text) {
  auto v = parse_int(text);
  if (!v) throw Error("invalid value '" + text + "' for " + flag + ": must be a whole number");
  return static_cast<int>(*v);
}

std::string absolute_path(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  std::string out = std::filesystem::absolute(path, ec).lexically_normal().string();
  if (ec) return path;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& input) {
  CommandLine cl;
  CLI::App app{"mydocker: a small container runtime (namespaces + cgroups)", "mydocker"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(0, 1);
  std::string root;
  app.add_option("--log-level", cl.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--root", root, "State directory (default /run/mydocker)")
      ->envname("MYDOCKER_ROOT");
  std::string data_root;
  app.add_option("--data-root", data_root,
                 "Images and containers' files (default /var/lib/mydocker)")
      ->envname("MYDOCKER_DATA_ROOT");

  // Only the subcommand being run gets its options: CLI11 spends about 0.4 ms adding all of
  // them, a sixth of a whole `mydocker run`. Help and unknown commands get everything.
  const std::string wanted = subcommand_name(input);
  auto sub = [&](const char* name, const char* help) -> CLI::App* {
    if (!wanted.empty() && wanted != name) return nullptr;
    CLI::App* s = app.add_subcommand(name, help);
    s->fallthrough();
    return s;
  };
  LimitText limits, update_limits;
  std::string stop_timeout_text, tail, stop_t;
  bool volumes = false;
  CLI::App* run = sub("run", "Run a command in a new container: run [OPTIONS] COMMAND [ARG...]");
  if (run) add_run_flags(*run, cl.run, limits, stop_timeout_text);
  CLI::App* info = sub("info", "Show how mydocker sees this host");
  if (info)
    info->add_option("--format", cl.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  CLI::App* prune = sub("prune", "Remove stopped containers and what crashed runs left behind");
  if (prune) prune->add_flag("-f,--force", cl.force, "Do not ask (mydocker never asks)");
  CLI::App* ps = sub("ps", "List containers");
  if (ps) {
    ps->add_flag("-a,--all", cl.ps.all, "Show stopped containers too");
    ps->add_flag("-q,--quiet", cl.ps.quiet, "Only ids");
    ps->add_option("--format", cl.ps.format, "json")->check(CLI::IsMember({"json", "table"}));
  }
  CLI::App* logs = sub("logs", "Show a detached container's output");
  if (logs) {
    logs->add_flag("-f,--follow", cl.logs.follow, "Follow the output");
    logs->add_option("-n,--tail", tail, "Only the last N lines (\"all\" for all)");
    logs->add_flag("-t,--timestamps", cl.logs.timestamps, "Show timestamps");
    logs->add_option("container", cl.containers)->required();
  }
  CLI::App* exec = sub(
      "exec", "Run a command in a running container: exec [OPTIONS] CONTAINER COMMAND [ARG...]");
  if (exec) {
    exec->add_flag("-i,--interactive", cl.exec.interactive, "Keep stdin attached");
    exec->add_flag("-t,--tty", cl.exec.tty, "A terminal (PTY) inside the container");
    exec->add_option("-e,--env", cl.exec.env, "Set an environment variable: KEY=VALUE");
    exec->add_option("-w,--workdir", cl.exec.workdir, "Working directory inside the container");
    exec->add_option("-u,--user", cl.exec.user,
                     "USER[:GROUP] to run as (default: the container's)");
    exec->add_flag("--privileged", cl.exec.privileged,
                   "Every capability and no seccomp filter for this command");
  }
  CLI::App* stop = sub("stop", "Stop containers: SIGTERM, then SIGKILL after the timeout");
  if (stop) {
    stop->add_option("-t,--time", stop_t, "Seconds to wait before SIGKILL");
    stop->add_option("container", cl.containers)->required();
  }
  CLI::App* kill = sub("kill", "Send a signal to containers (default KILL)");
  if (kill) {
    kill->add_option("-s,--signal", cl.signal, "The signal: KILL, TERM, HUP, 9 ...");
    kill->add_option("container", cl.containers)->required();
  }
  CLI::App* rm = sub("rm", "Remove containers (state and cgroups)");
  if (rm) {
    rm->add_flag("-f,--force", cl.force, "Stop running containers first");
    rm->add_flag("-v,--volumes", volumes, "Remove the container's volumes too (none yet)");
    rm->add_option("container", cl.containers)->required();
  }
  CLI::App* inspect = sub("inspect", "Show containers as JSON");
  if (inspect) inspect->add_option("container", cl.containers)->required();
  CLI::App* top = sub("top", "Show the processes of a container");
  if (top) top->add_option("container", cl.containers)->required()->expected(1);
  CLI::App* stats = sub("stats", "Show what containers use, live");
  if (stats) {
    stats->add_flag("--no-stream", cl.stats.no_stream, "Print once and exit");
    stats->add_option("--format", cl.stats.format, "json")->check(CLI::IsMember({"json", "table"}));
    stats->add_option("container", cl.stats.containers);
  }
  CLI::App* update = sub("update", "Change the limits of running containers");
  if (update) {
    add_limit_flags(*update, update_limits, false);
    update->add_option("container", cl.containers);  // split off below, as run's command
  }
  CLI::App* pause = sub("pause", "Freeze every process of containers");
  if (pause) pause->add_option("container", cl.containers)->required();
  CLI::App* unpause = sub("unpause", "Thaw paused containers");
  if (unpause) unpause->add_option("container", cl.containers)->required();
  CLI::App* wait = sub("wait", "Wait for containers to stop, print their exit codes");
  if (wait) wait->add_option("container", cl.containers)->required();
  CLI::App* import =
      sub("import", "Import a root filesystem tarball as an image: TARBALL|- NAME[:TAG]");
  if (import) import->add_option("tarball name", cl.args)->required()->expected(2);
  CLI::App* images = sub("images", "List images");
  if (images) {
    images->add_flag("-q,--quiet", cl.ps.quiet, "Only ids");
    images->add_option("--format", cl.format, "json")->check(CLI::IsMember({"json", "table"}));
  }
  CLI::App* rmi = sub("rmi", "Remove images");
  if (rmi) {
    rmi->add_flag("-f,--force", cl.force, "Even when a container uses it");
    rmi->add_option("image", cl.args)->required();
  }
  CLI::App* exprt = sub("export", "Write a container's filesystem as a tar (stdout or -o)");
  if (exprt) {
    exprt->add_option("-o,--output", cl.output, "Write to FILE instead of stdout");
    exprt->add_option("container", cl.containers)->required()->expected(1);
  }
  CLI::App* commit = sub("commit", "A container's filesystem as a new image: CONTAINER NAME[:TAG]");
  if (commit) commit->add_option("container name", cl.args)->required()->expected(2);
  auto parsed = [](const CLI::App* a) { return a != nullptr && a->parsed(); };

  // run and exec: everything from the first argument that is not a flag is the command's
  // (exec: the container, then the command).
  std::vector<std::string> args = input;
  RunArgs split;
  size_t at = find_subcommand(args, app);
  CLI::App* splitting = nullptr;
  if (at < args.size() && args[at] == "run") splitting = run;
  if (at < args.size() && args[at] == "exec") splitting = exec;
  if (at < args.size() && args[at] == "update") splitting = update;
  if (splitting) {
    std::vector<std::string> tail_args(args.begin() + static_cast<std::ptrdiff_t>(at) + 1,
                                       args.end());
    split = split_run_args(tail_args, [&](const std::string& name) -> std::optional<FlagInfo> {
      const CLI::Option* opt = splitting->get_option_no_throw(name);
      if (!opt) opt = app.get_option_no_throw(name);
      if (!opt) return std::nullopt;
      return FlagInfo{opt->get_name(), opt->get_expected_max() > 0};
    });
    args.resize(at + 1);
    args.insert(args.end(), split.flags.begin(), split.flags.end());
  }
  std::vector<const char*> argv{"mydocker"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) rethrow_parse_error(e);
    cl.exit_now = app.exit(e);  // --help, --version: printed to stdout
    return cl;
  }
  if (!root.empty()) cl.state_root = root;
  if (!data_root.empty()) cl.data_root = data_root;
  // Absolute, once: the paths derived from them are recorded (config.json, the layers' owner
  // mark) and used by processes that do not share our working directory.
  cl.state_root = absolute_path(cl.state_root);
  cl.data_root = absolute_path(cl.data_root);
  cl.run.data_root = cl.data_root;
  cl.run.state_root = cl.state_root;
  if (parsed(run)) {
    cl.command = Command::kRun;
    cl.run.command = split.command;
    fill_limits(*run, split, limits, cl.run);
    cl.run.stop_timeout = flag_value(*run, split, "--stop-timeout", stop_timeout_text);
  } else if (parsed(exec)) {
    cl.command = Command::kExec;
    if (split.command.empty())
      throw Error("missing the container: mydocker exec [OPTIONS] CONTAINER COMMAND [ARG...]");
    cl.exec.container = split.command.front();
    cl.exec.command.assign(split.command.begin() + 1, split.command.end());
  } else if (parsed(update)) {
    cl.command = Command::kUpdate;
    fill_limits(*update, split, update_limits, cl.run);
    cl.containers = split.command;
    if (cl.containers.empty())
      throw Error("missing the container: mydocker update [OPTIONS] CONTAINER...");
  } else if (parsed(logs)) {
    cl.command = Command::kLogs;
    if (!tail.empty() && tail != "all") {
      int n = int_value("--tail", tail);
      if (n < 0) throw Error("invalid value '" + tail + "' for --tail: must be 0 or more");
      cl.logs.tail = static_cast<size_t>(n);
    }
  } else if (parsed(stop)) {
    cl.command = Command::kStop;
    if (!stop_t.empty()) cl.stop_timeout = int_value("-t", stop_t);
  } else if (parsed(info)) {
    cl.command = Command::kInfo;
    if (cl.format.empty()) cl.format = "text";
  } else if (parsed(prune)) {
    cl.command = Command::kPrune;
  } else if (parsed(ps)) {
    cl.command = Command::kPs;
  } else if (parsed(kill)) {
    cl.command = Command::kKill;
  } else if (parsed(rm)) {
    cl.command = Command::kRm;
  } else if (parsed(inspect)) {
    cl.command = Command::kInspect;
  } else if (parsed(top)) {
    cl.command = Command::kTop;
  } else if (parsed(stats)) {
    cl.command = Command::kStats;
  } else if (parsed(pause)) {
    cl.command = Command::kPause;
  } else if (parsed(unpause)) {
    cl.command = Command::kUnpause;
  } else if (parsed(import)) {
    cl.command = Command::kImport;
  } else if (parsed(images)) {
    cl.command = Command::kImages;
  } else if (parsed(rmi)) {
    cl.command = Command::kRmi;
  } else if (parsed(exprt)) {
    cl.command = Command::kExport;
  } else if (parsed(commit)) {
    cl.command = Command::kCommit;
  } else if (parsed(wait)) {
    cl.command = Command::kWait;
  } else {
    std::cout << app.help();
    cl.exit_now = 0;
  }
  if (cl.ps.format == "table") cl.ps.format.clear();
  if (cl.stats.format == "table") cl.stats.format.clear();
  return cl;
}

}  // namespace mydocker::cli
