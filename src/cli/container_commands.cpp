// run, ps, logs, exec, stop, kill, rm, inspect, top, stats, update, pause, unpause, wait.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/commands/containers.hpp"
#include "mydocker/commands/events.hpp"
#include "mydocker/commands/filters.hpp"
#include "mydocker/commands/network.hpp"
#include "mydocker/commands/volumes.hpp"
#include "mydocker/format/containers.hpp"
#include "mydocker/format/report.hpp"
#include "mydocker/format/template.hpp"
#include "mydocker/format/text.hpp"
#include "mydocker/net/ipam.hpp"
#include "mydocker/runtime/run.hpp"
#include "mydocker/spec/config.hpp"
#include "mydocker/spec/layer.hpp"
#include "mydocker/spec/prepare.hpp"
#include "mydocker/store/volumes.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker::cli {
namespace {

// run and create: limits, devices and the filesystem.
void run_fs_options(CLI::App& app, CommandLine& cl, Scratch& s) {
  Flags run(app);
  RunOptions& o = cl.run;
  run.set_help_flag("--help", "Print this help");  // -h is --hostname, as in docker
  {
    OptionBatch batch(app);
    add_limit_flags(run, s.limits, true);
  }
  OptionBatch batch(app);
  run.add_flag("--oom-kill-disable", o.oom_kill_disable, "Disable the OOM killer (cgroup v1)");
  run.add_option("--rootfs", o.rootfs_dir, "Run in this directory as the root filesystem");
  run.add_flag("--host-rw", o.host_rw,
               "Without an image: the host's files writable (default: read-only, with fresh "
               "/tmp, /run and /dev/shm)");
  run.add_option("--device", o.devices, "A host device in the container: HOST[:CONTAINER][:rwm]");
  run.add_option("--device-cgroup-rule", o.device_cgroup_rules,
                 "Allow a device: 'TYPE MAJOR:MINOR PERMS' ('c 1:3 rwm', 'b 8:* r')");
  run.add_option("-v,--volume", o.volumes,
                 "HOST:CONTAINER[:ro] (a bind), NAME:CONTAINER[:ro] (a volume) or CONTAINER");
  run.add_option("--mount", s.mounts,
                 "type=bind|volume|tmpfs,source=,target=[,readonly][,tmpfs-size=]");
  run.add_option("--tmpfs", o.tmpfs, "A tmpfs: PATH[:OPTIONS]");
  run.add_flag("--read-only", o.read_only, "Mount the root filesystem read-only");
  run.add_option("-e,--env", o.env, "Set an environment variable: KEY=VALUE (KEY: ours)");
  run.add_option("--env-file", o.env_files, "Read environment variables from a file");
  run.add_option("-w,--workdir", o.workdir, "Working directory inside the container");
  run.add_option("-u,--user", o.user, "UID[:GID] or NAME[:GROUP] (from the image)");
  run.add_option("--entrypoint", o.entrypoint, "Run this instead, with the command as arguments");
}

// run and create: network, security, the process and its lifecycle.
void run_process_options(CLI::App& app, CommandLine& cl, Scratch& s) {
  Flags run(app);
  RunOptions& o = cl.run;
  OptionBatch batch(app);
  run.add_option("--net,--network", o.network,
                 "none (the default: only a loopback; nothing of the host's network is reached "
                 "unless asked), host, bridge, or a network's name")
      ->each([&o](const std::string&) { o.network_given = true; });
  run.add_option("-p,--publish", o.publish,
                 "Publish a port: [HOSTIP:][HOSTPORT:]CTRPORT[/tcp|udp] (implies --net bridge)");
  run.add_flag("-P,--publish-all", o.publish_all,
               "Publish the image's exposed ports (ExposedPorts) on free host ports");
  run.add_option("--ip", o.ip, "The container's address on a user-defined network");
  run.add_option("--network-alias", o.network_aliases,
                 "Another name the container has on its user-defined network (repeatable)");
  run.add_option("--dns", o.dns, "A nameserver for the container's /etc/resolv.conf");
  run.add_option("--dns-search", o.dns_search,
                 "A search domain for /etc/resolv.conf ('.': none; replaces the host's)");
  run.add_option("--dns-option", o.dns_options,
                 "An option for /etc/resolv.conf (ndots:2; replaces the host's)");
  run.add_option("--add-host", o.add_hosts, "An /etc/hosts entry: NAME:IP");
  run.add_option("--cap-add", o.cap_add, "Add a capability (NET_ADMIN, ALL ...)");
  run.add_option("--cap-drop", o.cap_drop, "Drop a capability");
  run.add_flag("--privileged", o.privileged,
               "All capabilities and devices, no seccomp, no masked paths");
  run.add_option("--security-opt", o.security_opts,
                 "seccomp=unconfined|FILE.json, no-new-privileges[=true|false]");
  run.add_option("--ulimit", o.ulimits, "A resource limit: NAME=SOFT[:HARD] (nofile=1024)");
  OptionBatch second(app);
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
  run.add_option("--stop-timeout", s.stop_timeout,
                 "Seconds from a forwarded SIGTERM/SIGINT to SIGKILL (default 10, -1 never)");
}

// run and create: namespaces shared, health, logs, metadata, and the lesson flags.
void run_more_options(CLI::App& app, CommandLine& cl) {
  Flags run(app);
  RunOptions& o = cl.run;
  OptionBatch batch(app);
  run.add_option("--uts", o.uts, "host: the host's hostname and UTS namespace");
  run.add_option("--pid", o.pid,
                 "host or container:NAME: that PID namespace (its processes are seen)");
  run.add_option("--ipc", o.ipc,
                 "private (default), shareable (others may join it), host or container:NAME");
  run.add_option("--cgroupns", o.cgroupns,
                 "private (its cgroups are its root; default on cgroup v2) or host (v1's default)");
  run.add_option("--shm-size", o.shm_size, "Size of /dev/shm (default 64m)");
  run.add_option("--group-add", o.group_add, "An extra group for the process: a name or a gid");
  run.add_option("--sysctl", o.sysctls,
                 "A namespaced kernel parameter: KEY=VALUE (net.*, kernel.shm*, fs.mqueue.*)");
  OptionBatch second(app);
  run.add_option("--health-cmd", o.health_cmd, "A check run in the container (sh -c CMD)");
  run.add_option("--health-interval", o.health_interval, "Between checks (default 30s)");
  run.add_option("--health-timeout", o.health_timeout, "A check longer than this fails (30s)");
  run.add_option("--health-retries", o.health_retries,
                 "Failures in a row that make it unhealthy (3)");
  run.add_option("--health-start-period", o.health_start_period,
                 "Failures in this first while do not count (0s)");
  run.add_flag("--no-healthcheck", o.no_healthcheck, "No check, not even the image's");
  run.add_option("--log-driver", o.log_driver,
                 "json-file (the default: `logs` reads it) or none (nothing kept)");
  run.add_option("--log-opt", o.log_opts,
                 "json-file rotation: max-size=SIZE (10m), max-file=N (with max-size)");
  run.add_flag("--init", o.init,
               "A tiny init as PID 1 (mydocker's own, 1 page): forwards signals, reaps zombies");
  OptionBatch third(app);
  run.add_option("-l,--label", o.labels, "Set a label: KEY[=VALUE] (ps --filter label=KEY)");
  run.add_option("--label-file", o.label_files, "Read labels from a file of KEY[=VALUE] lines");
  run.add_option("--stop-signal", o.stop_signal,
                 "The signal `stop` sends first (default: the image's StopSignal, else TERM)");
  run.add_option("--cidfile", o.cidfile, "Write the container's id to FILE (which must not exist)");
  run.add_option("--platform", o.platform,
                 "OS/ARCH of the image: only the host's own (no emulation)");
  run.add_option("--pull", cl.reg.pull,
                 "missing, always or never: the first argument is an image, pulled as asked "
                 "(without --pull: a local image, else the host's command)")
      ->check(CLI::IsMember({"missing", "always", "never"}));
  run.add_flag("--trace", o.trace, "Print every kernel action as a shell line");
  run.add_flag("--dry-run", o.dry_run, "Check everything and print the actions; run nothing");
  run.add_flag("--report", o.report, "Print what the container used when it ends");
  run.add_option("--report-file", o.report_file, "Write the same as JSON to FILE");
}

void run_options(CLI::App& run, CommandLine& cl, Scratch& s) {
  run_fs_options(run, cl, s);
  run_process_options(run, cl, s);
  run_more_options(run, cl);
}

// As docker's client does (23: "." and "./..."; later ones "../..." too): a -v source of ".",
// "..", "./..." or "../..." is a host path from the working directory, made absolute here; a
// bare word stays a volume's name.
std::string with_absolute_source(const std::string& v) {
  if (v.find(':') == std::string::npos) return v;  // CONTAINER alone: an anonymous volume
  const std::string source = v.substr(0, v.find(':'));
  if (source != "." && source != ".." && source.rfind("./", 0) != 0 && source.rfind("../", 0) != 0)
    return v;
  return absolute_path(source) + v.substr(source.size());
}

void run_finish(CLI::App& sub, CommandLine& cl, Scratch& s, const RunArgs& split) {
  cl.run.command = split.command;
  for (const auto& m : s.mounts) {  // --mount: the -v or --tmpfs it means
    auto [flag, value] = mount_flag(m);
    (flag == "-v" ? cl.run.volumes : cl.run.tmpfs).push_back(value);
  }
  for (auto& v : cl.run.volumes) v = with_absolute_source(v);
  for (auto& h : cl.run.add_hosts) h = add_host_entry(h);
  // docker's names may start with a slash (its API's form, "/name"): the name is what follows.
  if (cl.run.name.size() > 1 && cl.run.name.front() == '/') cl.run.name.erase(0, 1);
  fill_limits(sub, split, s.limits, cl.run);
  cl.run.stop_timeout = flag_value(sub, split, "--stop-timeout", s.stop_timeout);
}

// A --rm container whose supervisor was killed (a CI runner cancelling a job: SIGKILL to a
// foreground `run --rm --name job`) stays, dead, with its name; docker's daemon would have
// removed it when it ended. A run of that name removes it first, as `rm -f` does (its
// processes died with their supervisor; its cgroups, layer and address go now).
void remove_dead_namesake(const CommandLine& cl) {
  if (cl.run.name.empty() || cl.run.dry_run || ::geteuid() != 0) return;
  const Store store(cl.state_root);
  try {
    // By its name link alone: no scan of every record on a run's way (resolve's id prefixes).
    const auto id = store.named(cl.run.name);
    if (!id) return;
    const ContainerView v = view_container(store, *id);
    const auto remove_it = v.config.find("auto_remove");
    if (!v.dead() || remove_it == v.config.end() || !remove_it->is_boolean() ||
        !remove_it->get<bool>())
      return;
    // Not forced: a `start` of it meanwhile makes it live again, and then it is refused, not
    // killed. Its anonymous volumes go with it, as its own --rm would have taken them.
    remove(store, v.id, false);
    remove_anonymous_volumes(store, v.config, cl.data_root);
  } catch (const std::exception&) {  // none (or one that cannot go): the run says why
  }
}

int run_run(const CommandLine& cl) {
  if (!cl.reg.pull.empty()) pull_for_run(cl);
  remove_dead_namesake(cl);
  RunResult result = run_container(cl.run);
  if (cl.run.detach) (out() << result.id << '\n').flush();
  for (const auto& m : result.messages) std::fprintf(stderr, "mydocker: %s\n", m.c_str());
  if (result.report && cl.run.report) std::fputs(format_report(*result.report).c_str(), stderr);
  if (result.report && !cl.run.report_file.empty()) {
    try {
      write_file_atomic(cl.run.report_file, report_json(*result.report).dump(2) + "\n");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mydocker: --report-file: %s\n", e.what());
      if (result.status == 0) return kExitSetupError;
    }
  }
  return result.status;
}

int run_create(const CommandLine& cl) {
  RunOptions o = cl.run;
  o.create_only = true;
  const RunResult result = run_container(o);
  (out() << result.id << '\n').flush();
  return 0;
}

// start: the container's own words parsed again (as `run` got them), under its id and name,
// with its image (by id) and its limits (with `update`'s: run.cpp) from its record.
// Returns nullopt for a running one (docker: no error, nothing done).
std::optional<RunOptions> start_options(const CommandLine& cl, const Store& store,
                                        const std::string& ref) {
  const ContainerDir dir = store.open(ref);
  const auto config = dir.config();
  const ContainerState st = settle_dead_supervisor(store, dir, dir.state());
  if (dir.running(st)) return std::nullopt;
  if (st.status == "dead" || st.live()) {
    recover_killed_run(dir, st, config);  // its supervisor was killed
  } else if (const std::string files = config.value("files_dir", "");
             config.value("auto_remove", false) && !files.empty()) {
    // A --rm one that `restart` kept: its layer's last overlay was volatile, and overlayfs
    // refuses a layer with that mark until it goes (recover_killed_run does it too).
    forget_volatile_mount(files + "/work");
  }
  if (!config.contains("run_args"))
    throw Error("container " + ref + " was made by an older mydocker: it cannot be started again");
  std::vector<std::string> words{"run"};
  for (const auto& a : config["run_args"]) words.push_back(a.get<std::string>());
  CommandLine again = parse_command_line(words);
  RunOptions o = again.run;
  o.state_root = cl.state_root;
  o.data_root = cl.data_root;
  o.id = dir.id();
  o.name = config.value("name", "");
  o.created = config.value("created", "");
  o.cidfile.clear();  // written when it was created
  o.typed_args = again.run.typed_args;
  if (config.contains("image")) o.image_id = config.value("image", "");  // not the name's image
  // The environment create made (config.json's "env": the image's, the defaults, --env-file
  // and -e as they were then), not what start's own environment and files are (docker's).
  if (config.contains("env")) {
    o.env = config["env"].get<std::vector<std::string>>();
    o.env_files.clear();
  }
  if (config.contains("labels")) {
    o.labels.clear();
    o.label_files.clear();
    for (const auto& [k, v] : config["labels"].items())
      o.labels.push_back(k + "=" + v.get<std::string>());
  }
  o.anonymous_volumes = config.value("anonymous_volumes", std::vector<std::string>{});
  o.restart = recorded_restart_policy(config);  // update --restart may have changed it
  release_address(store, dir);
  return o;
}

int run_start(const CommandLine& cl) {
  const Store store(cl.state_root);
  const bool attach = cl.attach || cl.attach_stdin;
  if (attach && cl.containers.size() > 1)
    throw Error("you cannot start and attach multiple containers at once");
  int status = 0;
  for (const auto& ref : cl.containers) {
    try {
      auto o = start_options(cl, store, ref);
      if (o) {
        o->detach = !attach;
        // docker's: `start -a` attaches output only; stdin with -i (the container then reads
        // EOF, where docker's would wait on a stdin nobody writes to).
        o->interactive = attach ? cl.attach_stdin : o->interactive;
        const RunResult r = run_container(*o);
        if (attach) return r.status;
      }
      if (!attach) (out() << ref << '\n').flush();
    } catch (const Error& e) {
      std::fprintf(stderr, "mydocker: %s\n", e.what());
      status = e.exit_code();
    }
  }
  return status;
}

void start_options_cli(CLI::App& start, CommandLine& cl, Scratch&) {
  start.add_flag("-a,--attach", cl.attach, "Stay attached: its output here, its exit status ours");
  start.add_flag("-i,--interactive", cl.attach_stdin, "Attach stdin too (implies -a)");
  start.add_option("container", cl.containers)->required();
}

void restart_options(CLI::App& restart, CommandLine& cl, Scratch& s) {
  restart.add_option("-s,--signal", cl.stop_signal,
                     "The signal that stops it (default: its --stop-signal, else TERM)");
  restart.add_option("-t,--time", s.time, "Seconds to wait for it to stop before SIGKILL");
  restart.add_option("container", cl.containers)->required();
}

// restart: stop (as `stop`), then start in the background, whatever it was before.
int run_restart(const CommandLine& cl) {
  const Store store(cl.state_root);
  return for_each(cl.containers, [&](const std::string& ref) {
    const std::string id = store.resolve(ref);
    const ContainerDir dir(store.root(), id);
    // A --rm one is kept when this stop ends it (docker's restart), to be started again.
    dir.request_restart();
    stop(store, id, cl.stop_timeout, cl.stop_signal);
    dir.wait_for([&] { return !dir.supervisor_alive(); }, std::chrono::seconds(10), false);
    auto o = start_options(cl, store, id);
    if (!o) throw Error("container " + ref + " is still running after stop");
    o->detach = true;
    (void)run_container(*o);
    record_container_event(store, id, "restart");
  });
}

void ps_options(CLI::App& ps, CommandLine& cl, Scratch& s) {
  ps.add_flag("-a,--all", cl.ps.all, "Show stopped containers too");
  ps.add_flag("-q,--quiet", cl.ps.quiet, "Only ids");
  ps.add_option("-f,--filter", cl.ps.filters,
                "KEY=VALUE: id, name, status, exited, label, ancestor, before, since, health, "
                "network (a key twice: either value)");
  ps.add_option("-n,--last", s.tail, "The N newest containers, whatever their state");
  ps.add_flag("-l,--latest", s.latest, "The newest container, whatever its state");
  ps.add_flag("--no-trunc", cl.ps.no_trunc, "Full ids and commands");
  ps.add_flag("-s,--size", cl.ps.size, "The SIZE column: the writable layer (and with its image)");
  ps.add_option("--format", cl.ps.format,
                "json, table, or a Go template: '{{.Names}}', 'table {{.ID}}\\t{{.Status}}'");
}

void ps_finish(CLI::App&, CommandLine& cl, Scratch& s, const RunArgs&) {
  if (cl.ps.format == "table") cl.ps.format.clear();
  if (!s.tail.empty()) cl.ps.last = int_value("-n", s.tail);
  if (s.latest) cl.ps.last = 1;
  (void)Filters::parse(cl.ps.filters, kPsFilterKeys);
  if (!cl.ps.format.empty() && cl.ps.format != "json")
    (void)tmpl::Template::parse(cl.ps.format);  // a broken template fails before anything runs
}

int run_ps(const CommandLine& cl) {
  const Store store(cl.state_root);
  auto list =
      filter_containers(list_containers(store, true), Filters::parse(cl.ps.filters, kPsFilterKeys),
                        cl.ps.all, cl.ps.last);
  if (cl.ps.size || cl.ps.format.find(".Size") != std::string::npos)
    for (auto& c : list) measure_size(c, store, cl.data_root);
  // Mounts and LocalVolumes come from the records' config.json, read only when asked for.
  if (cl.ps.format.find("json") != std::string::npos ||  // --format json, {{json .}}
      cl.ps.format.find(".Mounts") != std::string::npos ||
      cl.ps.format.find(".LocalVolumes") != std::string::npos)
    for (auto& c : list)
      if (c.config.is_null()) try {
          c.config = ContainerDir(store.root(), c.id).config();
        } catch (const Error&) {  // removed meanwhile: none shown
        }
  out() << format_ps(list, cl.ps, now_seconds());
  return 0;
}

void logs_options(CLI::App& logs, CommandLine& cl, Scratch& s) {
  logs.add_flag("-f,--follow", cl.logs.follow, "Follow the output");
  logs.add_option("-n,--tail", s.tail, "Only the last N lines (\"all\" for all)");
  logs.add_flag("-t,--timestamps", cl.logs.timestamps, "Show timestamps");
  logs.add_option("--since", s.since,
                  "Only entries since a time (2013-01-02T13:23:37Z, unix seconds) or a duration "
                  "before now (42m)");
  logs.add_option("--until", s.until,
                  "Only entries until a time (2013-01-02T13:23:37Z, unix seconds) or a duration "
                  "before now (42m)");
  logs.add_option("container", cl.containers)->required();
}

void logs_finish(CLI::App&, CommandLine& cl, Scratch& s, const RunArgs&) {
  if (cl.containers.size() != 1)
    throw Error("\"logs\" requires exactly 1 container (got " +
                std::to_string(cl.containers.size()) + ")");
  const int64_t now = wall_clock_ns();
  if (!s.since.empty()) cl.logs.since = parse_event_time(s.since, "--since", now);
  if (!s.until.empty()) cl.logs.until = parse_event_time(s.until, "--until", now);
  if (s.tail.empty() || s.tail == "all") return;
  const int n = int_value("--tail", s.tail);
  if (n < 0) throw Error("invalid value '" + s.tail + "' for --tail: must be 0 or more");
  cl.logs.tail = static_cast<size_t>(n);
}

int run_logs(const CommandLine& cl) {
  read_logs(Store(cl.state_root), cl.containers.front(), cl.logs, [&](const LogEntry& e) {
    FILE* to = e.stream == "stderr" ? stderr : stdout;
    const std::string line = format_log_entry(e, cl.logs.timestamps);
    std::fwrite(line.data(), 1, line.size(), to);
    std::fflush(to);
  });
  return 0;
}

void exec_options(CLI::App& exec, CommandLine& cl, Scratch&) {
  exec.add_flag("-i,--interactive", cl.exec.interactive, "Keep stdin attached");
  exec.add_flag("-t,--tty", cl.exec.tty, "A terminal (PTY) inside the container");
  exec.add_flag("-d,--detach", cl.exec.detach, "Start it and return (its output goes nowhere)");
  exec.add_option("-e,--env", cl.exec.env, "Set an environment variable: KEY=VALUE");
  exec.add_option("--env-file", cl.exec.env_files, "Read KEY=VALUE lines from a file");
  exec.add_option("-w,--workdir", cl.exec.workdir, "Working directory inside the container");
  exec.add_option("-u,--user", cl.exec.user, "USER[:GROUP] to run as (default: the container's)");
  exec.add_flag("--privileged", cl.exec.privileged,
                "Every capability and no seccomp filter for this command");
}

void exec_finish(CLI::App&, CommandLine& cl, Scratch&, const RunArgs& split) {
  if (split.command.empty())
    throw Error("missing the container: mydocker exec [OPTIONS] CONTAINER COMMAND [ARG...]");
  if (cl.exec.detach && (cl.exec.interactive || cl.exec.tty))
    throw Error("exec -d runs with no stdio of ours: -i and -t cannot be given with it");
  cl.exec.container = split.command.front();
  cl.exec.command.assign(split.command.begin() + 1, split.command.end());
}

int run_exec(const CommandLine& cl) { return exec(Store(cl.state_root), cl.exec); }

void containers_arg(CLI::App& sub, CommandLine& cl, Scratch&) {
  sub.add_option("container", cl.containers)->required();
}

void stop_options(CLI::App& stop, CommandLine& cl, Scratch& s) {
  stop.add_option("-s,--signal", cl.stop_signal,
                  "The signal to send first (default: its --stop-signal, else TERM)");
  stop.add_option("-t,--time", s.time, "Seconds to wait before SIGKILL");
  stop.add_option("container", cl.containers)->required();
}

void stop_finish(CLI::App&, CommandLine& cl, Scratch& s, const RunArgs&) {
  if (!s.time.empty()) cl.stop_timeout = int_value("-t", s.time);
  if (!cl.stop_signal.empty()) (void)parse_signal(cl.stop_signal);  // before any is stopped
}

// docker's CLI stops them all at once: the slowest one's timeout, not their sum.
int run_stop(const CommandLine& cl) {
  const Store store(cl.state_root);
  return for_each_parallel(cl.containers, [&](const std::string& c) {
    stop(store, c, cl.stop_timeout, cl.stop_signal);
  });
}

void kill_options(CLI::App& kill, CommandLine& cl, Scratch&) {
  kill.add_option("-s,--signal", cl.signal, "The signal: KILL, TERM, HUP, 9 ...");
  kill.add_option("container", cl.containers)->required();
}

int run_kill(const CommandLine& cl) {
  const Store store(cl.state_root);
  return for_each_parallel(cl.containers, [&](const std::string& c) { kill(store, c, cl.signal); });
}

void rm_options(CLI::App& rm, CommandLine& cl, Scratch&) {
  rm.add_flag("-f,--force", cl.force, "Stop running containers first");
  rm.add_flag("-v,--volumes", cl.remove_volumes,
              "Remove its anonymous volumes too (-v /path); named ones stay");
  rm.add_option("container", cl.containers)->required();
}

int run_rm(const CommandLine& cl) {
  const Store store(cl.state_root);
  return for_each_parallel(cl.containers, [&](const std::string& c) {
    try {
      nlohmann::json config;
      if (cl.remove_volumes) config = view_container(store, c).config;
      remove(store, c, cl.force);
      if (cl.remove_volumes) remove_anonymous_volumes(store, config, cl.data_root);
    } catch (const NotFound& e) {
      // docker's rm -f: a container that is not there is said, and no failure (a CI teardown
      // under `set -e` goes on).
      if (cl.force) throw Error(e.what(), 0);
      throw;
    }
  });
}

void inspect_options(CLI::App& inspect, CommandLine& cl, Scratch& s) {
  containers_arg(inspect, cl, s);
  inspect.add_option("-f,--format", cl.format,
                     "A Go template: '{{.State.Status}}', '{{json .Config}}'");
  inspect
      .add_option("--type", cl.inspect_type,
                  "container, image, network or volume: look only for that kind")
      ->check(CLI::IsMember({"container", "image", "network", "volume"}));
}

// docker's `inspect`: a container by that name or id, else an image, a network, a volume;
// "No such object" and status 1 for none (the others are still shown).
std::optional<nlohmann::json> inspect_object(const CommandLine& cl, const Store& store,
                                             const std::string& ref) {
  auto missing = [](const Error& e) { return std::string(e.what()).rfind("No such", 0) == 0; };
  // A container removed while we read its files (a --rm one ending): as if it was not there.
  auto gone = [&] {
    try {  // its files go first, its directory last: either one says it is going
      return ::access((store.root() + "/" + store.resolve(ref) + "/config.json").c_str(), F_OK) !=
             0;
    } catch (const NotFound&) {
      return true;
    }
  };
  if (cl.inspect_type != "image") try {
      return inspect_json(view_container(store, ref));
    } catch (const Error& e) {
      if (!missing(e) && !gone()) throw;
    }
  const auto& type = cl.inspect_type;
  if (type.empty() || type == "image") try {
      return inspect_image(cl.data_root, ref);
    } catch (const Error& e) {
      if (!missing(e)) throw;
    }
  if (type.empty() || type == "network") {
    net::NetworkStore networks(cl.data_root);  // as it is: no built-in one made by asking
    if (auto n = networks.get(ref)) return net::inspect_json(*n, networks.leases(n->name));
    if (auto n = net::find_predefined(ref)) return predefined_inspect(store, *n);
  }
  if (type.empty() || type == "volume") {
    const VolumeStore volumes(cl.data_root);
    if (auto v = volumes.find(ref)) return volumes.inspect_json(*v);
  }
  return std::nullopt;
}

int run_inspect(const CommandLine& cl) {
  const Store store(cl.state_root);
  std::optional<tmpl::Template> t;
  if (!cl.format.empty()) t = tmpl::Template::parse(cl.format);
  nlohmann::json all = nlohmann::json::array();
  int status = 0;
  for (const auto& ref : cl.containers) {
    try {
      auto j = inspect_object(cl, store, ref);
      if (!j) throw Error("No such object: " + ref);
      if (t)  // docker: one line per object
        out() << t->execute(*j) << "\n";
      else
        all.push_back(std::move(*j));
    } catch (const Error& e) {  // on stderr, status 1; the others are still shown
      std::fprintf(stderr, "mydocker: %s\n", e.what());
      status = 1;
    }
  }
  if (!t) out() << all.dump(4) << "\n";
  return status;
}

// top CONTAINER [PS-OPTIONS]: the words after the container are the host's ps options.
void top_finish(CLI::App&, CommandLine& cl, Scratch&, const RunArgs& split) {
  if (split.command.empty())
    throw Error("missing the container: mydocker top CONTAINER [ps OPTIONS]");
  cl.containers = {split.command.front()};
  cl.args.assign(split.command.begin() + 1, split.command.end());
}

int run_top(const CommandLine& cl) {
  const Store store(cl.state_root);
  if (!cl.args.empty())  // docker's: the host's ps with these options
    out() << container_ps(store, cl.containers.front(), cl.args);
  else
    out() << format_top(container_processes(store, cl.containers.front()));
  return 0;
}

void stats_options(CLI::App& stats, CommandLine& cl, Scratch&) {
  stats.add_flag("--no-stream", cl.stats.no_stream, "Print once and exit");
  stats.add_flag("--no-trunc", cl.stats.no_trunc, "Full container ids");
  stats.add_option("--format", cl.stats.format,
                   "json, table, or a Go template: 'table {{.Name}}\\t{{.NetIO}}'");
  stats.add_option("container", cl.stats.containers);
}

void stats_finish(CLI::App&, CommandLine& cl, Scratch&, const RunArgs&) {
  if (cl.stats.format == "table") cl.stats.format.clear();
  if (!cl.stats.format.empty() && cl.stats.format != "json")
    (void)tmpl::Template::parse(cl.stats.format);
}

// docker stats: a second sample a moment after the first gives the CPU %; live, the screen is
// redrawn every second.
int run_stats(const CommandLine& cl) {
  const Store store(cl.state_root);
  std::vector<std::string> ids;
  for (const auto& ref : cl.stats.containers) ids.push_back(store.resolve(ref));
  const bool all = ids.empty();
  const uint64_t total = host_memory_bytes();
  const bool tty = ::isatty(STDOUT_FILENO) && cl.stats.format != "json" && !cl.stats.no_stream;
  auto previous = sample_stats(store, all ? store.ids() : ids, !all);
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(cl.stats.no_stream ? 500 : 1000));
    auto now = sample_stats(store, all ? store.ids() : ids, !all);
    if (tty) out() << "\033[2J\033[H";  // refresh in place
    (out() << format_stats(previous, now, total, cl.stats.format, cl.stats.no_trunc)).flush();
    if (cl.stats.no_stream) return 0;
    previous = std::move(now);
  }
}

void update_options(CLI::App& update, CommandLine& cl, Scratch& s) {
  Flags flags(update);
  add_limit_flags(flags, s.limits, false);
  flags.add_option("--restart", s.restart,
                   "A new restart policy: no, on-failure[:N], always or unless-stopped");
  update.add_option("container", cl.containers);  // split off, as run's command
}

// Whether any limit flag was given, whatever its value (update's take no device lists).
bool any_limit(const RunOptions& o) {
  for (const auto* f :
       {&o.memory, &o.memory_swap, &o.memory_reservation, &o.memory_swappiness, &o.kernel_memory,
        &o.cpu_percent, &o.cpus, &o.cpu_period, &o.cpu_quota, &o.cpu_shares, &o.cpu_rt_runtime,
        &o.cpu_rt_period, &o.cpuset_cpus, &o.cpuset_mems, &o.pids_limit, &o.blkio_weight})
    if (f->has_value()) return true;
  return false;
}

void update_finish(CLI::App& sub, CommandLine& cl, Scratch& s, const RunArgs& split) {
  fill_limits(sub, split, s.limits, cl.run);
  cl.containers = split.command;
  if (cl.containers.empty())
    throw Error("missing the container: mydocker update [OPTIONS] CONTAINER...");
  if (const auto restart = flag_value(sub, split, "--restart", s.restart)) {
    (void)parse_restart_policy(restart->value);  // before any container changes
    cl.restart = restart->value;
  }
  if (!any_limit(cl.run) && !cl.restart)  // docker's words
    throw Error("you must provide one or more flags when using this command");
}

int run_update(const CommandLine& cl) {
  const Store store(cl.state_root);
  return for_each(cl.containers, [&](const std::string& c) {
    for (const auto& w : update(store, c, cl.run, cl.restart))
      std::fprintf(stderr, "mydocker: %s\n", w.c_str());
  });
}

int run_pause(const CommandLine& cl) {
  const Store store(cl.state_root);
  return for_each_parallel(cl.containers, [&](const std::string& c) { pause(store, c, true); });
}

int run_unpause(const CommandLine& cl) {
  const Store store(cl.state_root);
  return for_each_parallel(cl.containers, [&](const std::string& c) { pause(store, c, false); });
}

int run_wait(const CommandLine& cl) {
  const Store store(cl.state_root);
  return for_each(
      cl.containers, [&](const std::string& c) { (out() << wait(store, c) << '\n').flush(); },
      false);
}

void rename_options(CLI::App& rename, CommandLine& cl, Scratch&) {
  rename.add_option("container name", cl.args, "The container, then its new name")
      ->required()
      ->expected(2);
}

void rename_finish(CLI::App&, CommandLine& cl, Scratch&, const RunArgs&) {
  check_container_name(cl.args.back(), "the new name");
}

int run_rename(const CommandLine& cl) {
  rename(Store(cl.state_root), cl.args.front(), cl.args.back());
  return 0;
}

void attach_options(CLI::App& attach, CommandLine& cl, Scratch&) {
  attach.add_option("--detach-keys", cl.attach_to.detach_keys,
                    "Keys that detach, leaving it running (-t containers; default ctrl-p,ctrl-q)");
  attach.add_flag("--no-stdin", cl.attach_to.no_stdin, "Do not send our stdin");
  attach.add_flag("--sig-proxy{true}", cl.attach_to.sig_proxy,
                  "Send the signals we get to it (not with -t; --sig-proxy=false: they end the "
                  "attach)");
  attach.add_option("container", cl.attach_to.container)->required();
}

int run_attach(const CommandLine& cl) {
  AttachOptions o = cl.attach_to;
  o.state_root = cl.state_root;
  return attach_container(o);
}

}  // namespace

std::vector<CommandDef> container_commands() {
  return {
      {"run", "Run a command in a new container: run [OPTIONS] COMMAND [ARG...]", run_options,
       run_finish, run_run, true},
      {"create", "Create a container, start nothing: create [OPTIONS] COMMAND [ARG...]",
       run_options, run_finish, run_create, true},
      {"start", "Start created or stopped containers (-a: attached)", start_options_cli, nullptr,
       run_start},
      {"attach", "Attach to a detached container's stdin, stdout and stderr", attach_options,
       nullptr, run_attach},
      {"restart", "Stop, then start containers again (in the background)", restart_options,
       stop_finish, run_restart},
      {"ps", "List containers", ps_options, ps_finish, run_ps},
      {"logs", "Show a container's output (not a foreground --rm one's)", logs_options, logs_finish,
       run_logs},
      {"exec", "Run a command in a running container: exec [OPTIONS] CONTAINER COMMAND [ARG...]",
       exec_options, exec_finish, run_exec, true},
      {"stop", "Stop containers: SIGTERM, then SIGKILL after the timeout", stop_options,
       stop_finish, run_stop},
      {"kill", "Send a signal to containers (default KILL)", kill_options, nullptr, run_kill},
      {"rm", "Remove containers (state and cgroups)", rm_options, nullptr, run_rm},
      {"inspect", "Show containers as JSON, or through -f TEMPLATE", inspect_options, nullptr,
       run_inspect},
      {"top", "Show the processes of a container: top CONTAINER [ps OPTIONS]", nullptr, top_finish,
       run_top, true},
      {"stats", "Show what containers use, live", stats_options, stats_finish, run_stats},
      {"update", "Change the limits (and restart policy) of containers", update_options,
       update_finish, run_update, true},
      {"pause", "Freeze every process of containers", containers_arg, nullptr, run_pause},
      {"unpause", "Thaw paused containers", containers_arg, nullptr, run_unpause},
      {"wait", "Wait for containers to stop, print their exit codes", containers_arg, nullptr,
       run_wait},
      {"rename", "Rename a container: rename CONTAINER NEW_NAME", rename_options, rename_finish,
       run_rename},
  };
}

}  // namespace mydocker::cli
