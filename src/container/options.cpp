#include "mydocker/container/options.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "mydocker/cgroup/placement.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

[[noreturn]] void bad(const FlagValue& f, const std::string& why) {
  throw Error("invalid value '" + f.value + "' for " + f.flag + ": " + why);
}

// The kernel's CFS bounds: quota at least 1 ms; cpu.shares 2..262144.
constexpr int64_t kMinQuota = 1000;
constexpr int64_t kMinShares = 2;
constexpr int64_t kMaxShares = 262144;

std::string cpu_count_text(size_t n) {
  return std::to_string(n) + (n == 1 ? " CPU" : " CPUs");
}

}  // namespace

Resources parse_resources(const RunOptions& o, const CpuSet& available) {
  Resources r;
  if (o.memory) {
    std::string why;
    auto bytes = parse_size(o.memory->value, &why);
    if (!bytes) bad(*o.memory, why + " (a size such as 100m, 512k, 1.5g)");
    if (*bytes > 0) r.memory = *bytes;  // 0 means "no limit", as in docker
  }

  // The CPUs the container may use: its -cpuset, else all its parent may use.
  CpuSet usable = available;
  if (o.cpuset_cpus) {
    auto cpus = parse_cpu_list(o.cpuset_cpus->value);
    if (!cpus || cpus->empty())
      bad(*o.cpuset_cpus, "not a CPU list (such as 0, 0-2 or 0,3)");
    CpuSet outside;
    std::set_difference(cpus->begin(), cpus->end(), available.begin(), available.end(),
                        std::inserter(outside, outside.end()));
    if (!outside.empty())
      bad(*o.cpuset_cpus, "CPU " + format_cpu_list(outside) +
                              " not available (the container's parent cgroup may use " +
                              format_cpu_list(available) + ")");
    r.cpuset_cpus = format_cpu_list(*cpus);
    usable = *cpus;
  }
  const size_t ncpu = std::max<size_t>(usable.size(), 1);

  if (o.cpu_percent && o.cpus)
    throw Error(o.cpu_percent->flag + " and " + o.cpus->flag +
                " cannot be used together (both set the CPU quota)");
  if (o.cpu_percent) {
    auto pct = parse_decimal(o.cpu_percent->value);
    if (!pct || *pct <= 0)
      bad(*o.cpu_percent, "must be a percentage of one CPU above 0 (20 means 20%)");
    if (*pct > 100.0 * static_cast<double>(ncpu))
      bad(*o.cpu_percent, "at most " + std::to_string(100 * ncpu) + " (100 x the " +
                              cpu_count_text(ncpu) + " the container may use)");
    int64_t quota = std::llround(*pct * kDefaultCpuPeriod / 100.0);
    if (quota < kMinQuota) bad(*o.cpu_percent, "at least 1 (the kernel's minimum quota is 1 ms)");
    r.cpu_period = kDefaultCpuPeriod;
    r.cpu_quota = quota;
  }
  if (o.cpus) {
    auto n = parse_decimal(o.cpus->value);
    // docker's message for --cpus out of range
    const std::string why = "range of CPUs is from 0.01 to " + std::to_string(ncpu) +
                            ".00, as there " + (ncpu == 1 ? "is" : "are") + " only " +
                            cpu_count_text(ncpu) + " available";
    if (!n || *n <= 0 || *n > static_cast<double>(ncpu)) bad(*o.cpus, why);
    int64_t quota = std::llround(*n * kDefaultCpuPeriod);
    if (quota < kMinQuota) bad(*o.cpus, why);
    r.cpu_period = kDefaultCpuPeriod;
    r.cpu_quota = quota;
  }
  if (o.cpu_shares) {
    auto shares = parse_int(o.cpu_shares->value);
    if (!shares) bad(*o.cpu_shares, "must be a whole number (1024 is the default weight)");
    if (*shares != 0 && (*shares < kMinShares || *shares > kMaxShares))
      bad(*o.cpu_shares, "must be between 2 and 262144 (or 0 for the default)");
    if (*shares != 0) r.cpu_shares = *shares;
  }
  return r;
}

int stop_timeout_seconds(const RunOptions& o) {
  if (!o.stop_timeout) return kDefaultStopTimeout;
  auto v = parse_int(o.stop_timeout->value);
  if (!v || *v < -1 || *v > 86400 * 365)
    bad(*o.stop_timeout, "must be a number of seconds (-1 waits for ever)");
  return static_cast<int>(*v);
}

void validate_run_options(const RunOptions& o) {
  if (o.command.empty())
    throw Error("missing the command to run: mydocker run [OPTIONS] COMMAND [ARG...]");
  if (o.command.front().empty()) throw Error("the command to run is empty");
  if (!o.name.empty()) {
    // docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]*
    bool ok = std::isalnum(static_cast<unsigned char>(o.name[0])) &&
              std::all_of(o.name.begin(), o.name.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
                       c == '-';
              });
    if (!ok || o.name.size() > 128)
      throw Error("invalid value '" + o.name +
                  "' for --name: use letters, digits, '_', '.' and '-', starting with a letter "
                  "or digit");
  }
  if (!o.hostname.empty()) {
    bool ok = o.hostname.size() <= 64 && std::all_of(o.hostname.begin(), o.hostname.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
                       c == '_';
              });
    if (!ok)
      throw Error("invalid value '" + o.hostname +
                  "' for --hostname: at most 64 letters, digits, '-', '.' or '_'");
  }
  if (!o.cgroup_parent.empty()) validate_cgroup_parent(o.cgroup_parent);
  (void)stop_timeout_seconds(o);
}

}  // namespace mydocker
