#include "mydocker/util/cpulist.hpp"

#include <sched.h>

#include <charconv>

#include "mydocker/util/fs.hpp"

namespace mydocker {
namespace {

// The kernel's limit for CPU numbers is NR_CPUS (at most 8192 in distribution kernels).
constexpr int kMaxCpu = 8191;

std::optional<int> parse_id(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0 || v > kMaxCpu) return std::nullopt;
  return v;
}

}  // namespace

std::optional<CpuSet> parse_cpu_list(std::string_view text) {
  text = trim(text);
  CpuSet out;
  if (text.empty()) return out;
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    size_t dash = item.find('-');
    auto first = parse_id(item.substr(0, dash));
    if (!first) return std::nullopt;
    int last = *first;
    if (dash != std::string_view::npos) {
      auto l = parse_id(item.substr(dash + 1));
      if (!l || *l < *first) return std::nullopt;
      last = *l;
    }
    for (int i = *first; i <= last; ++i) out.insert(i);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string format_cpu_list(const CpuSet& cpus) {
  std::string out;
  auto it = cpus.begin();
  while (it != cpus.end()) {
    int first = *it, last = *it;
    for (++it; it != cpus.end() && *it == last + 1; ++it) last = *it;
    if (!out.empty()) out += ',';
    out += std::to_string(first);
    if (last != first) out += '-' + std::to_string(last);
  }
  return out;
}

CpuSet affinity_cpus() {
  cpu_set_t set;
  CpuSet out;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &set)) out.insert(i);
  return out;
}

}  // namespace mydocker
