#include "mydocker/spec/options.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <fstream>

#include "mydocker/cgroup/placement.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/spec/devices.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/signal_name.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

[[noreturn]] void bad(const FlagValue& f, const std::string& why) {
  throw Error("invalid value '" + f.value + "' for " + f.flag + ": " + why);
}

// The kernel's CFS bounds (docker checks the same): period 1 ms..1 s, quota at least 1 ms.
constexpr int64_t kMinQuota = 1000;
constexpr int64_t kMinPeriod = 1000;
constexpr int64_t kMaxPeriod = 1000000;
constexpr int64_t kMinShares = 2;
constexpr int64_t kMaxShares = 262144;

std::string cpu_count_text(size_t n) { return std::to_string(n) + (n == 1 ? " CPU" : " CPUs"); }

int64_t size_of(const FlagValue& f) {
  std::string why;
  auto bytes = parse_size(f.value, &why);
  if (!bytes) bad(f, why + " (a size such as 100m, 512k, 1.5g)");
  return *bytes;
}

int64_t int_of(const FlagValue& f, const std::string& what) {
  auto v = parse_int(f.value);
  if (!v) bad(f, "must be " + what);
  return *v;
}

CpuSet list_within(const FlagValue& f, const CpuSet& available, const std::string& what) {
  auto list = parse_cpu_list(f.value);
  if (!list || list->empty()) bad(f, "not a list of " + what + "s (such as 0, 0-2 or 0,3)");
  CpuSet outside;
  std::set_difference(list->begin(), list->end(), available.begin(), available.end(),
                      std::inserter(outside, outside.end()));
  if (!outside.empty())
    bad(f, what + " " + format_cpu_list(outside) +
               " not available (the container's parent cgroup may use " +
               format_cpu_list(available) + ")");
  return *list;
}

// update: the memory limit and the memory+swap limit go to the kernel together (see
// parse_resources), each the container's own where the flags leave it.
void keep_memory_pair(const RunOptions& o, const Resources& current, Resources& r) {
  if (r.memory && !r.memory_swap && current.memory_swap) {
    if (*current.memory_swap > 0 && *r.memory > *current.memory_swap)  // docker's words
      bad(*o.memory,
          "Memory limit should be smaller than already set memoryswap limit, update the "
          "memoryswap at the same time");
    r.memory_swap = current.memory_swap;
  }
  if (r.memory_swap && !r.memory) r.memory = current.memory;
}

void parse_memory(const RunOptions& o, const Resources* current, Resources& r) {
  if (o.memory) {
    int64_t bytes = size_of(*o.memory);
    if (bytes > 0 && bytes < kMinMemory) bad(*o.memory, "Minimum memory limit allowed is 6MB");
    if (bytes > 0) r.memory = bytes;  // 0 means "no limit", as in docker
  }
  if (o.memory_swap) {
    int64_t swap = o.memory_swap->value == "-1" ? -1 : size_of(*o.memory_swap);
    // update: the memory limit the container has counts as given
    const auto memory = r.memory || !current ? r.memory : current->memory;
    if (swap != 0) {              // 0: unset, as in docker
      if (!memory && swap != -1)  // docker's check (-1 alone, unlimited swap, is no limit)
        bad(*o.memory_swap,
            "you should always set the memory limit (-m) when using the "
            "memoryswap limit");
      if (memory && swap != -1 && swap < *memory)
        bad(*o.memory_swap,
            "minimum memoryswap limit should be larger than memory limit (it is memory+swap)");
      r.memory_swap = swap;
    }
  }
  if (current) keep_memory_pair(o, *current, r);
  if (o.memory_reservation) {
    int64_t bytes = size_of(*o.memory_reservation);
    if (bytes > 0 && bytes < kMinMemory)
      bad(*o.memory_reservation, "Minimum memory reservation allowed is 6MB");
    if (r.memory && bytes > *r.memory)
      bad(*o.memory_reservation,
          "minimum memory limit can not be less than memory reservation limit");
    if (bytes > 0) r.memory_reservation = bytes;
  }
  if (o.memory_swappiness) {
    int64_t v = int_of(*o.memory_swappiness, "a number from 0 to 100");
    if (v < -1 || v > 100) bad(*o.memory_swappiness, "valid memory swappiness range is 0-100");
    if (v != -1) r.memory_swappiness = v;  // -1: the default, as in docker
  }
  r.oom_kill_disable = o.oom_kill_disable;
  if (o.kernel_memory) (void)size_of(*o.kernel_memory);  // a size, as docker's client checks
}

// --cpus, docker's: a number of CPUs (0: no limit), at most those the host offers.
void parse_cpus(const FlagValue& f, size_t ncpu, Resources& r) {
  const auto n = parse_decimal(f.value);
  // docker's message
  const std::string why = "Range of CPUs is from 0.01 to " + std::to_string(ncpu) +
                          ".00, as there " + (ncpu == 1 ? "is" : "are") + " only " +
                          cpu_count_text(ncpu) + " available";
  if (!n) bad(f, "not a number of CPUs (1.5, 0.25)");
  if (*n == 0) return;  // docker's "no limit"
  if (*n > static_cast<double>(ncpu)) bad(f, why);
  const int64_t quota = std::llround(*n * kDefaultCpuPeriod);
  if (quota < kMinQuota) bad(f, why);
  r.cpu_period = kDefaultCpuPeriod;
  r.cpu_quota = quota;
  r.nano_cpus = true;
}

void parse_cpu(const RunOptions& o, size_t ncpu, Resources& r) {
  const std::optional<FlagValue>* exclusive[] = {&o.cpu_percent, &o.cpus};
  for (const auto* a : exclusive)
    for (const auto* b : {&o.cpu_period, &o.cpu_quota})
      if (a->has_value() && b->has_value())
        throw Error("conflicting options: " + (*a)->flag + " and " + (*b)->flag +
                    " cannot both be set");
  if (o.cpu_percent && o.cpus)
    throw Error(o.cpu_percent->flag + " and " + o.cpus->flag +
                " cannot be used together (both set the CPU quota)");
  if (o.cpu_percent) {
    auto pct = parse_decimal(o.cpu_percent->value);
    if (!pct || *pct <= 0)
      bad(*o.cpu_percent, "must be a percentage of one CPU above 0 (20 means 20%)");
    if (*pct > 100.0 * static_cast<double>(ncpu))
      bad(*o.cpu_percent, "at most " + std::to_string(100 * ncpu) + " (100 x the " +
                              cpu_count_text(ncpu) + " its parent cgroup offers)");
    int64_t quota = std::llround(*pct * kDefaultCpuPeriod / 100.0);
    if (quota < kMinQuota) bad(*o.cpu_percent, "at least 1 (the kernel's minimum quota is 1 ms)");
    r.cpu_period = kDefaultCpuPeriod;
    r.cpu_quota = quota;
    r.nano_cpus = true;  // -cpu 20 is --cpus 0.2
  }
  if (o.cpus) parse_cpus(*o.cpus, ncpu, r);
  if (o.cpu_period) {
    int64_t v = int_of(*o.cpu_period, "a number of microseconds");
    if (v != 0 && (v < kMinPeriod || v > kMaxPeriod))
      bad(*o.cpu_period,
          "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    if (v != 0) r.cpu_period = v;
  }
  if (o.cpu_quota) {
    int64_t v = int_of(*o.cpu_quota, "a number of microseconds (-1: unlimited)");
    if (v < -1 || (v > 0 && v < kMinQuota))
      bad(*o.cpu_quota, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
    if (v != 0) r.cpu_quota = v;
  }
  if (o.cpu_shares) {
    int64_t v = int_of(*o.cpu_shares, "a whole number (1024 is the default weight)");
    if (v != 0 && (v < kMinShares || v > kMaxShares))
      bad(*o.cpu_shares, "must be between 2 and 262144 (or 0 for the default)");
    if (v != 0) r.cpu_shares = v;
  }
  if (o.cpu_rt_period) {
    int64_t v = int_of(*o.cpu_rt_period, "a number of microseconds");
    if (v < 1 || v > kMaxPeriod) bad(*o.cpu_rt_period, "must be between 1 and 1000000");
    r.cpu_rt_period = v;
  }
  if (o.cpu_rt_runtime) {
    int64_t v = int_of(*o.cpu_rt_runtime, "a number of microseconds");
    if (v < -1) bad(*o.cpu_rt_runtime, "must be -1 or more");
    int64_t period = r.cpu_rt_period.value_or(kMaxPeriod);
    if (v > period) bad(*o.cpu_rt_runtime, "cpu-rt-runtime cannot be higher than cpu-rt-period");
    r.cpu_rt_runtime = v;
  }
}

void parse_io(const RunOptions& o, Resources& r) {
  if (o.pids_limit) {
    int64_t v = int_of(*o.pids_limit, "a number of processes (0 or -1: unlimited)");
    if (v < -1) bad(*o.pids_limit, "must be a positive number, or 0 or -1 for unlimited");
    r.pids_limit = v <= 0 ? -1 : v;
  }
  if (o.blkio_weight) {
    int64_t v = int_of(*o.blkio_weight, "a number from 10 to 1000");
    if (v != 0 && (v < 10 || v > 1000))
      bad(*o.blkio_weight, "Range of blkio weight is from 10 to 1000");
    if (v != 0) r.blkio_weight = v;
  }
  for (const auto& f : o.device_read_bps) r.read_bps.push_back(parse_device_limit(f, true));
  for (const auto& f : o.device_write_bps) r.write_bps.push_back(parse_device_limit(f, true));
  for (const auto& f : o.device_read_iops) r.read_iops.push_back(parse_device_limit(f, false));
  for (const auto& f : o.device_write_iops) r.write_iops.push_back(parse_device_limit(f, false));
}

}  // namespace

DeviceLimit parse_device_limit(const FlagValue& f, bool size) {
  const size_t colon = f.value.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == f.value.size())
    bad(f, std::string("expected DEVICE:") +
               (size ? "RATE, such as /dev/sda:1mb" : "N, such as /dev/sda:100"));
  DeviceLimit d;
  d.path = f.value.substr(0, colon);
  const std::string rate = f.value.substr(colon + 1);
  if (size) {
    std::string why;
    auto bytes = parse_size(rate, &why);
    if (!bytes || *bytes <= 0) bad(f, "invalid rate '" + rate + "' (a size such as 1mb)");
    d.value = static_cast<uint64_t>(*bytes);
  } else {
    auto n = parse_int(rate);
    if (!n || *n <= 0) bad(f, "invalid rate '" + rate + "' (a number of operations per second)");
    d.value = static_cast<uint64_t>(*n);
  }
  struct stat st;
  if (::stat(d.path.c_str(), &st) != 0) bad(f, d.path + ": " + errno_text(errno));
  if (!S_ISBLK(st.st_mode)) bad(f, d.path + " is not a block device");
  d.major = major(st.st_rdev);
  d.minor = minor(st.st_rdev);
  return d;
}

std::vector<DeviceRule> device_rules(const RunOptions& o) {
  std::vector<DeviceRule> rules = o.privileged ? privileged_device_rules() : default_device_rules();
  for (const auto& d : o.devices) {
    const DeviceRequest req = parse_device_flag(d);
    rules.insert(rules.end(), req.rules.begin(), req.rules.end());
  }
  for (const auto& text : o.device_cgroup_rules) rules.push_back(parse_device_cgroup_rule(text));
  return rules;
}

// update: docker's rule, a container's CPU limit stays in the form it was given: --cpus (NanoCpus)
// or --cpu-period/--cpu-quota, not one over the other (its words).
// As moby's UpdateContainer, only values above 0 conflict (--cpus 0, --cpu-quota -1 do not).
void check_cpu_form(const RunOptions& o, const Resources& current) {
  auto positive = [](const std::optional<FlagValue>& f) {
    if (!f) return false;
    const auto n = parse_decimal(f->value);
    return n && *n > 0;
  };
  const bool period = !current.nano_cpus && current.cpu_period.value_or(0) > 0;
  const bool quota = !current.nano_cpus && current.cpu_quota.value_or(0) > 0;
  for (const auto* f : {&o.cpus, &o.cpu_percent})
    if (positive(*f) && (period || quota))
      throw Error("Conflicting options: Nano CPUs cannot be updated as CPU " +
                  std::string(period ? "Period" : "Quota") + " has already been set (" +
                  (*f)->flag + ")");
  for (const auto& [f, what] : {std::pair{&o.cpu_period, "Period"}, {&o.cpu_quota, "Quota"}})
    if (positive(*f) && current.nano_cpus)
      throw Error(std::string("Conflicting options: CPU ") + what +
                  " cannot be updated as NanoCPUs has already been set");
}

Resources parse_resources(const RunOptions& o, const HostLimits& host, const Resources* current) {
  if (current) check_cpu_form(o, *current);
  Resources r;
  parse_memory(o, current, r);
  if (o.cpuset_cpus) r.cpuset_cpus = format_cpu_list(list_within(*o.cpuset_cpus, host.cpus, "CPU"));
  if (o.cpuset_mems)
    r.cpuset_mems = format_cpu_list(list_within(*o.cpuset_mems, host.mems, "memory node"));
  // --cpus and -cpu are bounded by the CPUs of the parent (docker's: the host's), not by
  // -cpuset: `--cpus 1.5 --cpuset-cpus 0` is docker's to take (the cpuset bounds it anyway).
  parse_cpu(o, std::max<size_t>(host.cpus.size(), 1), r);
  parse_io(o, r);
  return r;
}

std::vector<std::string> limit_warnings(const RunOptions& o, Resources& r, bool io_weight) {
  std::vector<std::string> out;  // docker's words, each
  if (r.blkio_weight && !io_weight) {
    r.blkio_weight.reset();
    out.push_back(
        "WARNING: Your kernel does not support Block I/O weight or the cgroup is not mounted. "
        "Weight discarded.");
  }
  if (o.kernel_memory)
    out.push_back(
        "WARNING: Specifying a kernel memory limit is deprecated and will be removed in a future "
        "release. (--kernel-memory is ignored)");
  if (o.oom_kill_disable && !r.memory)
    out.push_back(
        "WARNING: Disabling the OOM killer on containers without setting a '-m/--memory' limit "
        "may be dangerous.");
  return out;
}

std::string RestartPolicy::text() const {
  switch (kind) {
    case kOnFailure:
      return max_retries > 0 ? "on-failure:" + std::to_string(max_retries) : "on-failure";
    case kAlways:
      return "always";
    case kUnlessStopped:
      return "unless-stopped";
    case kNo:
      break;
  }
  return "no";
}

RestartPolicy parse_restart_policy(const std::string& text) {
  RestartPolicy p;
  const std::string name = text.substr(0, text.find(':'));
  const bool has_count = text.find(':') != std::string::npos;
  auto fail = [&](const std::string& why) -> RestartPolicy {
    throw Error("invalid value '" + text + "' for --restart: " + why);
  };
  if (name == "no" || name.empty())
    p.kind = RestartPolicy::kNo;
  else if (name == "on-failure")
    p.kind = RestartPolicy::kOnFailure;
  else if (name == "always")
    p.kind = RestartPolicy::kAlways;
  else if (name == "unless-stopped")
    p.kind = RestartPolicy::kUnlessStopped;
  else
    return fail("use no, on-failure[:N], always or unless-stopped");
  if (has_count) {
    if (p.kind != RestartPolicy::kOnFailure)
      return fail("maximum retry count cannot be used with restart policy '" + name + "'");
    auto n = parse_int(text.substr(text.find(':') + 1));
    if (!n || *n < 0) return fail("the retry count must be a number of 0 or more");
    p.max_retries = static_cast<int>(*n);
  }
  return p;
}

int stop_timeout_seconds(const RunOptions& o) {
  if (!o.stop_timeout) return kDefaultStopTimeout;
  auto v = parse_int(o.stop_timeout->value);
  if (!v || *v < -1 || *v > 86400 * 365)
    bad(*o.stop_timeout, "must be a number of seconds (-1 waits for ever)");
  return static_cast<int>(*v);
}

std::optional<LogRotation> log_rotation(const RunOptions& o) {
  if (o.log_driver == "none") {
    if (!o.log_opts.empty())
      throw Error("invalid value '" + o.log_opts.front() + "' for --log-opt: --log-driver none " +
                  "keeps no log");
    return std::nullopt;
  }
  if (o.log_driver != "json-file")
    throw Error("invalid value '" + o.log_driver +
                "' for --log-driver: json-file (the default) or none");
  LogRotation r;
  bool files = false;
  for (const auto& opt : o.log_opts) {
    const size_t eq = opt.find('=');
    const std::string key = opt.substr(0, eq),
                      value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    if (key == "max-size") {
      const auto n = parse_size(value);
      if (!n || *n <= 0)
        throw Error("invalid value '" + opt + "' for --log-opt: max-size=SIZE (10m)");
      r.max_size = *n;
    } else if (key == "max-file") {
      const auto n = parse_int(value);
      if (!n || *n < 1 || *n > 1000)
        throw Error("invalid value '" + opt + "' for --log-opt: max-file=1..1000");
      r.max_file = static_cast<int>(*n);
      files = true;
    } else {
      throw Error("invalid value '" + opt + "' for --log-opt: max-size=SIZE or max-file=N");
    }
  }
  if (files && r.max_size < 0)  // docker's rule
    throw Error("invalid value 'max-file' for --log-opt: it needs max-size");
  // Without max-size, docker's json-file grows without bound, on docker's disk. Ours lives in
  // the state root, a tmpfs under /run by default: host memory no limit of the container's
  // charges, and a container filling it stops every other record (and `rm -f`). So an unset
  // size gets docker's `local` driver's defaults: 20 MiB a file, five files.
  if (r.max_size < 0) {
    r.max_size = kDefaultLogMaxSize;
    r.max_file = kDefaultLogMaxFile;
  }
  return r;
}

std::pair<std::string, std::string> mount_flag(const std::string& text) {
  auto bad = [&](const std::string& why) {
    throw Error("invalid value '" + text + "' for --mount: " + why);
  };
  std::string type = "volume", source, target, tmpfs_opts, propagation;
  bool readonly = false, nocopy = false;
  for (const auto& field : split(text, ",")) {
    const size_t eq = field.find('=');
    const std::string key = field.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
    if (key == "type")
      type = value;
    else if (key == "source" || key == "src")
      source = value;
    else if (key == "target" || key == "destination" || key == "dst")
      target = value;
    else if (key == "readonly" || key == "ro") {
      if (eq != std::string::npos && value != "true" && value != "1" && value != "false" &&
          value != "0")
        bad("readonly is true or false");
      readonly = eq == std::string::npos || value == "true" || value == "1";
    } else if (key == "bind-propagation") {
      propagation = value;
    } else if (key == "volume-nocopy") {
      nocopy = eq == std::string::npos || value == "true" || value == "1";
    } else if (key == "consistency") {  // Docker Desktop's; a no-op on Linux, in docker too
    } else if (key == "tmpfs-size")
      tmpfs_opts += ",size=" + value;
    else if (key == "tmpfs-mode")
      tmpfs_opts += ",mode=" + value;
    else
      bad("unknown key '" + key +
          "' (type, source, target, readonly, bind-propagation, volume-nocopy, consistency, "
          "tmpfs-size, tmpfs-mode)");
  }
  if (target.empty()) bad("target= is required");
  if (type == "tmpfs") {
    if (!source.empty()) bad("a tmpfs has no source");
    return {"--tmpfs", target + (tmpfs_opts.empty() ? "" : ":" + tmpfs_opts.substr(1))};
  }
  if (!tmpfs_opts.empty()) bad("tmpfs-size and tmpfs-mode are for type=tmpfs");
  if (type == "bind" && source.empty()) bad("a bind needs source= (a host path)");
  if (type == "bind") source = absolute_path(source);  // a relative one: from the working dir
  if (type == "bind" && ::access(source.c_str(), F_OK) != 0)  // docker's words
    bad("bind source path does not exist: " + source);
  if (type == "volume" && !source.empty() && source[0] == '/') bad("a volume's source is its name");
  if (type != "bind" && type != "volume") bad("type is bind, volume or tmpfs");
  if (!propagation.empty() && type != "bind") bad("bind-propagation is for type=bind");
  if (nocopy && type != "volume") bad("volume-nocopy is for type=volume");
  std::string options = readonly ? "ro" : "";
  if (!propagation.empty()) options += (options.empty() ? "" : ",") + propagation;
  if (nocopy) options += (options.empty() ? "" : ",") + std::string("nocopy");
  return {"-v",
          (source.empty() ? "" : source + ":") + target + (options.empty() ? "" : ":" + options)};
}

std::string add_host_entry(const std::string& value) {
  const size_t eq = value.find('=');
  if (eq == std::string::npos || value.find(':') < eq) return value;
  std::string ip = value.substr(eq + 1);
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  return value.substr(0, eq) + ":" + ip;
}

void check_container_name(const std::string& name, const std::string& what) {
  // docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]*
  const bool ok =
      !name.empty() && std::isalnum(static_cast<unsigned char>(name[0])) &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
      });
  if (!ok || name.size() > 128)
    throw Error("invalid value '" + name + "' for " + what +
                ": use letters, digits, '_', '.' and '-', starting with a letter or digit");
}

void validate_run_options(const RunOptions& o) {
  if (o.command.empty())
    throw Error("missing the command to run: mydocker run [OPTIONS] COMMAND [ARG...]");
  if (o.command.front().empty()) throw Error("the command to run is empty");
  if (!o.name.empty()) check_container_name(o.name, "--name");
  if (!o.hostname.empty()) {
    bool ok =
        o.hostname.size() <= 64 && std::all_of(o.hostname.begin(), o.hostname.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
        });
    if (!ok)
      throw Error("invalid value '" + o.hostname +
                  "' for --hostname: at most 64 letters, digits, '-', '.' or '_'");
  }
  if (!o.cgroup_parent.empty()) validate_cgroup_parent(o.cgroup_parent);
  (void)stop_timeout_seconds(o);
  if (parse_restart_policy(o.restart).kind != RestartPolicy::kNo && o.remove)
    throw Error("conflicting options: --restart and --rm");
  if (!o.stop_signal.empty()) {
    try {
      (void)parse_signal(o.stop_signal);
    } catch (const Error&) {
      throw Error("invalid value '" + o.stop_signal + "' for --stop-signal: no such signal");
    }
  }
  check_platform(o.platform);  // --label and --label-file: read once, by the plan (run.cpp)
  (void)log_rotation(o);
}

void check_platform(const std::string& platform) {
  if (platform.empty()) return;
  const auto parts = split(platform, "/");
  const std::string host = host_architecture();
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
    throw Error("invalid value '" + platform + "' for --platform: OS/ARCH[/VARIANT]");
  // Docker runs another architecture through binfmt emulation when one is registered; we do
  // not: a container of another platform would fail at its first exec with "exec format error".
  if (parts[0] != "linux" || parts[1] != host)
    throw Error("invalid value '" + platform + "' for --platform: this host runs linux/" + host +
                " and mydocker does not emulate other platforms");
}

std::map<std::string, std::string> parse_labels(const RunOptions& o) {
  std::map<std::string, std::string> out;
  auto add = [&](const std::string& entry, const std::string& where) {
    const size_t eq = entry.find('=');
    const std::string key = entry.substr(0, eq);
    if (key.empty() || key.find_first_of(" \t") != std::string::npos)
      throw Error("invalid value '" + entry + "' for " + where + ": expected KEY[=VALUE]");
    out[key] = eq == std::string::npos ? "" : entry.substr(eq + 1);
  };
  for (const auto& file : o.label_files) {
    std::ifstream in(file);
    if (!in) throw Error("invalid value '" + file + "' for --label-file: " + errno_text(errno));
    int number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      const std::string t(trim(line));
      if (t.empty() || t[0] == '#') continue;
      add(t, "--label-file " + file + " line " + std::to_string(number));
    }
  }
  for (const auto& l : o.labels) add(l, "--label");
  return out;
}

}  // namespace mydocker
