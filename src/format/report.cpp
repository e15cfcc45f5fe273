#include "mydocker/format/report.hpp"

#include <cstdio>

#include "mydocker/util/id.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

std::string seconds(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(ns) / 1e9);
  return buf;
}

std::string size(uint64_t bytes) { return format_size(static_cast<int64_t>(bytes)); }

}  // namespace

std::string format_report(const RunReport& r) {
  char line[256];
  std::string out;
  std::snprintf(line, sizeof line, "mydocker: container %s: exit status %d after %.2f s\n",
                short_id(r.id).c_str(), r.status, r.wall_seconds);
  out += line;
  if (const auto& m = r.stats.memory) {
    std::string limit = "no limit";
    if (m->limit) {
      std::snprintf(line, sizeof line, "of %s (%.0f%%)", format_size(*m->limit).c_str(),
                    100.0 * static_cast<double>(m->peak) / static_cast<double>(*m->limit));
      limit = line;
    }
    out += "mydocker:   memory  peak " + size(m->peak) + " " + limit + ", limit hit " +
           std::to_string(m->failcnt) + " times, OOM kills " + std::to_string(m->oom_kills) +
           ", swap " + size(m->swap) + "\n";
  }
  if (const auto& c = r.stats.cpu) {
    out += "mydocker:   cpu     " + seconds(c->usage_ns) + " (user " + seconds(c->user_ns) +
           ", system " + seconds(c->system_ns) + "), throttled in " +
           std::to_string(c->nr_throttled) + " of " + std::to_string(c->nr_periods) + " periods (" +
           seconds(c->throttled_ns) + ")\n";
  }
  if (const auto& p = r.stats.pids) {
    out += "mydocker:   pids    " +
           (p->peak ? "peak " + std::to_string(*p->peak) : "now " + std::to_string(p->current)) +
           (p->limit ? " (limit " + std::to_string(*p->limit) + ")" : " (no limit)") + "\n";
  }
  if (const auto& io = r.stats.io) {
    if (io->empty()) out += "mydocker:   io      no block I/O\n";
    for (const auto& d : *io)
      out += "mydocker:   io      " + std::to_string(d.major) + ":" + std::to_string(d.minor) +
             " read " + size(d.read_bytes) + " in " + std::to_string(d.read_ios) + " ops, wrote " +
             size(d.write_bytes) + " in " + std::to_string(d.write_ios) + " ops\n";
  }
  return out;
}

nlohmann::json report_json(const RunReport& r) {
  nlohmann::json j = {{"id", r.id},
                      {"cgroup_mode", r.cgroup_mode},
                      {"exit_status", r.status},
                      {"wall_seconds", r.wall_seconds}};
  if (const auto& m = r.stats.memory) {
    j["memory"] = {{"usage", m->usage},
                   {"peak", m->peak},
                   {"failcnt", m->failcnt},
                   {"cache", m->cache},
                   {"rss", m->rss},
                   {"swap", m->swap},
                   {"inactive_file", m->inactive_file},
                   {"oom_kills", m->oom_kills}};
    j["memory"]["limit"] = m->limit ? nlohmann::json(*m->limit) : nlohmann::json(nullptr);
  }
  if (const auto& c = r.stats.cpu)
    j["cpu"] = {{"usage_ns", c->usage_ns},         {"user_ns", c->user_ns},
                {"system_ns", c->system_ns},       {"nr_periods", c->nr_periods},
                {"nr_throttled", c->nr_throttled}, {"throttled_ns", c->throttled_ns}};
  if (const auto& p = r.stats.pids) {
    j["pids"] = {{"current", p->current}};
    j["pids"]["peak"] = p->peak ? nlohmann::json(*p->peak) : nlohmann::json(nullptr);
    j["pids"]["limit"] = p->limit ? nlohmann::json(*p->limit) : nlohmann::json(nullptr);
  }
  if (const auto& io = r.stats.io) {
    j["io"] = nlohmann::json::array();
    for (const auto& d : *io)
      j["io"].push_back({{"device", std::to_string(d.major) + ":" + std::to_string(d.minor)},
                         {"read_bytes", d.read_bytes},
                         {"write_bytes", d.write_bytes},
                         {"read_ios", d.read_ios},
                         {"write_ios", d.write_ios}});
  }
  return j;
}

}  // namespace mydocker
