#include "mydocker/cli/command_line.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "mydocker/cli/run_args.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker::cli {
namespace {

constexpr const char* kVersion = "0.1.0";

// The limit flags are kept as text with the spelling typed, so errors name both.
struct RunText {
  std::string memory, memory_swap, memory_reservation, memory_swappiness;
  std::string cpu, cpus, cpu_period, cpu_quota, shares, rt_runtime, rt_period, cpuset, cpuset_mems;
  std::string pids_limit, blkio_weight, stop_timeout;
  std::vector<std::string> read_bps, write_bps, read_iops, write_iops;
  bool rm = false;
};

void add_run_flags(CLI::App& run, RunOptions& o, RunText& t) {
  run.set_help_flag("--help", "Print this help");  // -h is --hostname, as in docker
  const auto last = CLI::MultiOptionPolicy::TakeLast;  // docker: the last one counts
  run.add_option("-m,--mem,--memory", t.memory, "Memory limit: 100m, 1.5g (also -mem)")
      ->multi_option_policy(last);
  run.add_option("--cpu", t.cpu, "CPU limit in percent of one CPU: 20 = 20% (also -cpu)")
      ->multi_option_policy(last);
  run.add_option("--cpus", t.cpus, "CPU limit in CPUs: 1.5")->multi_option_policy(last);
  run.add_option("-c,--cpushare,--cpu-shares", t.shares,
                 "CPU weight against other cgroups, default 1024 (also -cpushare)")
      ->multi_option_policy(last);
  run.add_option("--cpuset,--cpuset-cpus", t.cpuset, "CPUs allowed: 0-2,4 (also -cpuset)")
      ->multi_option_policy(last);
  run.add_option("--memory-swap", t.memory_swap, "Memory+swap limit: SIZE, -1 = unlimited swap")
      ->multi_option_policy(last);
  run.add_option("--memory-reservation", t.memory_reservation, "Memory soft limit: SIZE")
      ->multi_option_policy(last);
  run.add_option("--memory-swappiness", t.memory_swappiness, "0..100 (cgroup v1)")
      ->multi_option_policy(last);
  run.add_flag("--oom-kill-disable", o.oom_kill_disable, "Disable the OOM killer (cgroup v1)");
  run.add_option("--cpu-period", t.cpu_period, "CFS period in µs (1000..1000000)")
      ->multi_option_policy(last);
  run.add_option("--cpu-quota", t.cpu_quota, "CFS quota in µs per period (-1: unlimited)")
      ->multi_option_policy(last);
  run.add_option("--cpu-rt-runtime", t.rt_runtime, "Real-time runtime in µs (cgroup v1)")
      ->multi_option_policy(last);
  run.add_option("--cpu-rt-period", t.rt_period, "Real-time period in µs (cgroup v1)")
      ->multi_option_policy(last);
  run.add_option("--cpuset-mems", t.cpuset_mems, "Memory nodes allowed: 0-1")
      ->multi_option_policy(last);
  run.add_option("--pids-limit", t.pids_limit, "Process limit (0 or -1: unlimited)")
      ->multi_option_policy(last);
  run.add_option("--blkio-weight", t.blkio_weight, "Block I/O weight 10..1000")
      ->multi_option_policy(last);
  run.add_option("--device-read-bps", t.read_bps, "Read rate limit: DEVICE:SIZE (/dev/sda:1mb)");
  run.add_option("--device-write-bps", t.write_bps, "Write rate limit: DEVICE:SIZE");
  run.add_option("--device-read-iops", t.read_iops, "Read operations limit: DEVICE:N");
  run.add_option("--device-write-iops", t.write_iops, "Write operations limit: DEVICE:N");
  run.add_flag("--report", o.report, "Print what the container used when it ends");
  run.add_option("--report-file", o.report_file, "Write the same as JSON to FILE");
  run.add_flag("-i,--interactive", o.interactive, "Keep stdin attached");
  run.add_flag("-t,--tty", o.tty, "Keep the caller's terminal (a PTY comes with images)");
  run.add_flag("--rm", t.rm, "Remove the container when it exits (always done in the foreground)");
  run.add_option("--name", o.name, "Name of the container");
  run.add_option("-h,--hostname", o.hostname, "Hostname (default: the container's short id)");
  run.add_option("--cgroup-parent", o.cgroup_parent,
                 "Parent cgroup: /abs from the hierarchy root, relative from your own cgroup");
  run.add_option("--stop-timeout", t.stop_timeout,
                 "Seconds from a forwarded SIGTERM/SIGINT to SIGKILL (default 10, -1 never)");
  run.add_flag("--trace", o.trace, "Print every kernel action as a shell line");
  run.add_flag("--dry-run", o.dry_run, "Check everything and print the actions; run nothing");
}

std::optional<FlagValue> flag_value(CLI::App& run, const RunArgs& split, const char* name,
                                    const std::string& text) {
  CLI::Option* opt = run.get_option(name);
  if (opt->count() == 0) return std::nullopt;
  auto typed = split.typed.find(opt->get_name());
  return FlagValue{typed != split.typed.end() ? typed->second : opt->get_name(), text};
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

  CLI::App* run = app.add_subcommand("run", "Run a command in a new container");
  run->fallthrough();
  RunText text;
  add_run_flags(*run, cl.run, text);
  CLI::App* info = app.add_subcommand("info", "Show how mydocker sees this host");
  info->add_option("--format", cl.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  info->fallthrough();
  CLI::App* prune =
      app.add_subcommand("prune", "Remove what runs killed with -9 left behind (cgroups, records)");
  prune->fallthrough();

  std::vector<std::string> args = input;
  RunArgs split;
  size_t sub = find_subcommand(args, app);
  if (sub < args.size() && args[sub] == "run") {
    std::vector<std::string> tail(args.begin() + static_cast<std::ptrdiff_t>(sub) + 1, args.end());
    split = split_run_args(tail, [&](const std::string& name) -> std::optional<FlagInfo> {
      const CLI::Option* opt = run->get_option_no_throw(name);
      if (!opt) opt = app.get_option_no_throw(name);
      if (!opt) return std::nullopt;
      return FlagInfo{opt->get_name(), opt->get_expected_max() > 0};
    });
    args.resize(sub + 1);
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
  if (run->parsed()) {
    cl.command = Command::kRun;
    cl.run.command = split.command;
    cl.run.memory = flag_value(*run, split, "--mem", text.memory);
    cl.run.cpu_percent = flag_value(*run, split, "--cpu", text.cpu);
    cl.run.cpus = flag_value(*run, split, "--cpus", text.cpus);
    cl.run.cpu_shares = flag_value(*run, split, "--cpushare", text.shares);
    cl.run.cpuset_cpus = flag_value(*run, split, "--cpuset", text.cpuset);
    cl.run.stop_timeout = flag_value(*run, split, "--stop-timeout", text.stop_timeout);
    cl.run.memory_swap = flag_value(*run, split, "--memory-swap", text.memory_swap);
    cl.run.memory_reservation =
        flag_value(*run, split, "--memory-reservation", text.memory_reservation);
    cl.run.memory_swappiness =
        flag_value(*run, split, "--memory-swappiness", text.memory_swappiness);
    cl.run.cpu_period = flag_value(*run, split, "--cpu-period", text.cpu_period);
    cl.run.cpu_quota = flag_value(*run, split, "--cpu-quota", text.cpu_quota);
    cl.run.cpu_rt_runtime = flag_value(*run, split, "--cpu-rt-runtime", text.rt_runtime);
    cl.run.cpu_rt_period = flag_value(*run, split, "--cpu-rt-period", text.rt_period);
    cl.run.cpuset_mems = flag_value(*run, split, "--cpuset-mems", text.cpuset_mems);
    cl.run.pids_limit = flag_value(*run, split, "--pids-limit", text.pids_limit);
    cl.run.blkio_weight = flag_value(*run, split, "--blkio-weight", text.blkio_weight);
    auto list = [](const std::vector<std::string>& values, const char* flag) {
      std::vector<FlagValue> out;
      for (const auto& v : values) out.push_back({flag, v});
      return out;
    };
    cl.run.device_read_bps = list(text.read_bps, "--device-read-bps");
    cl.run.device_write_bps = list(text.write_bps, "--device-write-bps");
    cl.run.device_read_iops = list(text.read_iops, "--device-read-iops");
    cl.run.device_write_iops = list(text.write_iops, "--device-write-iops");
    cl.run.state_root = cl.state_root;
  } else if (info->parsed()) {
    cl.command = Command::kInfo;
  } else if (prune->parsed()) {
    cl.command = Command::kPrune;
  } else {
    std::cout << app.help();
    cl.exit_now = 0;
  }
  return cl;
}

}  // namespace mydocker::cli
