#include "mydocker/cli/commands.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "mydocker/cli/print.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker::cli {

const std::vector<CommandDef>& commands() {
  static const std::vector<CommandDef> all = [] {
    std::vector<CommandDef> out;
    for (auto list : {container_commands(), image_commands(), network_commands(), system_commands(),
                      docs_commands(), copy_commands()})
      out.insert(out.end(), list.begin(), list.end());
    return out;
  }();
  return all;
}

const CommandDef* find_command(std::string_view name) {
  for (const auto& c : commands())
    if (name == c.name) return &c;
  return nullptr;
}

void add_limit_flags(Flags& app, LimitText& t, bool devices) {
  const auto last = CLI::MultiOptionPolicy::TakeLast;  // docker: the last one counts
  app.add_option("-m,--mem,--memory", t.memory, "Memory limit: 100m, 1.5g (also -mem)")
      ->multi_option_policy(last);
  app.add_option("--memory-swap", t.memory_swap, "Memory+swap limit: SIZE, -1 = unlimited swap")
      ->multi_option_policy(last);
  app.add_option("--memory-reservation", t.memory_reservation, "Memory soft limit: SIZE")
      ->multi_option_policy(last);
  app.add_option("--memory-swappiness", t.memory_swappiness, "0..100 (cgroup v1)")
      ->multi_option_policy(last);
  // docker's deprecated flag, taken and ignored with docker's warning (old scripts still run).
  app.add_option("--kernel-memory", t.kernel_memory, "Ignored (deprecated in docker): SIZE")
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

namespace {

// The option with the long name `name` ("--mem"), or null. CLI11's get_option_no_throw
// normalises every name of every option on each call (5,000 instructions a lookup; `run` makes
// sixteen): the options here have plain long names, compared as they are.
const CLI::Option* long_option(const CLI::App& app, std::string_view name) {
  if (name.substr(0, 2) != "--") return app.get_option_no_throw(std::string(name));
  name.remove_prefix(2);
  for (const CLI::Option* o : app.get_options())
    for (const auto& l : o->get_lnames())
      if (l == name) return o;
  return nullptr;
}

}  // namespace

std::optional<FlagValue> flag_value(CLI::App& app, const RunArgs& split, const char* name,
                                    const std::string& text) {
  const CLI::Option* opt = long_option(app, name);
  if (!opt || opt->count() == 0) return std::nullopt;
  auto typed = split.typed.find(opt->get_name());
  return FlagValue{typed != split.typed.end() ? typed->second : opt->get_name(), text};
}

void fill_limits(CLI::App& app, const RunArgs& split, const LimitText& t, RunOptions& o) {
  o.memory = flag_value(app, split, "--mem", t.memory);
  o.memory_swap = flag_value(app, split, "--memory-swap", t.memory_swap);
  o.memory_reservation = flag_value(app, split, "--memory-reservation", t.memory_reservation);
  o.memory_swappiness = flag_value(app, split, "--memory-swappiness", t.memory_swappiness);
  o.kernel_memory = flag_value(app, split, "--kernel-memory", t.kernel_memory);
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

int int_value(const std::string& flag, const std::string& text) {
  auto v = parse_int(text);
  if (!v) throw Error("invalid value '" + text + "' for " + flag + ": must be a whole number");
  return static_cast<int>(*v);
}

int for_each(const std::vector<std::string>& refs,
             const std::function<void(const std::string&)>& act, bool echo) {
  int status = 0;
  for (const auto& ref : refs) {
    try {
      act(ref);
      if (echo) (out() << ref << '\n').flush();
    } catch (const Error& e) {  // exit code 0: a notice (rm -f of a missing container)
      std::fprintf(stderr, "mydocker: %s\n", e.what());
      if (e.exit_code() != 0) status = e.exit_code();
    }
  }
  return status;
}

namespace {

// One container's act, in a process of its own: its outcome comes back through `report`.
struct Worker {
  pid_t pid = -1;  // -1: fork failed, the act runs here when its turn comes
  UniqueFd report;
};

// What a worker writes into its pipe: its exit status, a space, the error ("0 " on success).
std::string outcome_of(const std::function<void(const std::string&)>& act, const std::string& ref) {
  try {
    act(ref);
    return "0 ";
  } catch (const Error& e) {
    return std::to_string(e.exit_code()) + " " + e.what();
  } catch (const std::exception& e) {  // as main reports it
    return std::to_string(kExitSetupError) + " " + e.what();
  }
}

Worker start_worker(const std::function<void(const std::string&)>& act, const std::string& ref) {
  Worker w;
  Pipe p = make_pipe();
  w.pid = ::fork();
  if (w.pid == 0) {  // the child: nothing of the parent's stdio is flushed here (_exit)
    p.read.reset();
    const std::string text = outcome_of(act, ref);
    (void)write_all(p.write.get(), text.data(), text.size());
    ::_exit(0);
  }
  if (w.pid > 0) w.report = std::move(p.read);
  return w;
}

// The worker's outcome (its status and error), once it has ended.
std::pair<int, std::string> finish_worker(Worker& w,
                                          const std::function<void(const std::string&)>& act,
                                          const std::string& ref) {
  std::string text;
  if (w.pid < 0) {
    text = outcome_of(act, ref);
  } else {
    char buf[4096];
    for (ssize_t n; (n = ::read(w.report.get(), buf, sizeof buf)) != 0;) {
      if (n > 0)
        text.append(buf, static_cast<size_t>(n));
      else if (errno != EINTR)
        break;
    }
    int status = 0;
    while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (text.empty())  // killed before it could say
      text = std::to_string(kExitSetupError) + " " + ref + ": " +
             (WIFSIGNALED(status) ? std::string("killed by ") + strsignal(WTERMSIG(status))
                                  : std::string("ended without a word"));
  }
  const size_t space = text.find(' ');
  return {std::atoi(text.substr(0, space).c_str()),
          space == std::string::npos ? std::string() : text.substr(space + 1)};
}

}  // namespace

int for_each_parallel(const std::vector<std::string>& refs,
                      const std::function<void(const std::string&)>& act) {
  if (refs.size() < 2) return for_each(refs, act);
  constexpr size_t kAtOnce = 50;  // docker's
  std::fflush(nullptr);           // nothing buffered is written twice
  std::vector<Worker> workers(refs.size());
  size_t started = 0;
  int status = 0;
  for (size_t i = 0; i < refs.size(); ++i) {
    for (; started < refs.size() && started < i + kAtOnce; ++started)
      workers[started] = start_worker(act, refs[started]);
    const auto [code, error] = finish_worker(workers[i], act, refs[i]);
    if (code == 0 && error.empty()) {
      (out() << refs[i] << '\n').flush();
    } else {  // exit code 0: a notice (rm -f of a missing container)
      std::fprintf(stderr, "mydocker: %s\n", error.c_str());
      if (code != 0) status = code;
    }
  }
  return status;
}

}  // namespace mydocker::cli
