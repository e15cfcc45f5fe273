// stats [--no-stream] [--format json] [CONTAINER...]: docker stats' columns, live from the
// containers' cgroups. Memory used is usage minus inactive file cache, as docker computes it.

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ostream>
#include <thread>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/commands/commands.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

using Clock = std::chrono::steady_clock;

struct Sample {
  std::string id, name;
  Stats stats;
  Clock::time_point at;
};

uint64_t host_memory() {
  Fs fs;
  auto text = fs.read_if_exists("/proc/meminfo").value_or("");
  auto pos = text.find("MemTotal:");
  return pos == std::string::npos ? 0 : std::strtoull(text.c_str() + pos + 9, nullptr, 10) * 1024;
}

std::vector<Sample> sample(const Store& store, const std::vector<std::string>& ids) {
  std::vector<Sample> out;
  const Fs fs;
  for (const auto& id : ids) {
    const ContainerDir dir(store.root(), id);
    ContainerState st;
    try {
      st = dir.state();
    } catch (const Error&) {
      continue;
    }
    if (!st.live() || !dir.supervisor_alive()) continue;
    Sample s{id, store.name_of(id), open_cgroup_manager(fs, st.cgroup, id)->stats(), Clock::now()};
    out.push_back(std::move(s));
  }
  return out;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v);
  return buf;
}

}  // namespace

void stats(const Store& store, const StatsOptions& o, std::ostream& out) {
  std::vector<std::string> ids;
  for (const auto& ref : o.containers) ids.push_back(store.resolve(ref));
  const bool all = ids.empty();
  const uint64_t total = host_memory();
  const bool tty = ::isatty(STDOUT_FILENO) && o.format.empty() && !o.no_stream;
  auto previous = sample(store, all ? store.ids() : ids);
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(o.no_stream ? 500 : 1000));
    auto now = sample(store, all ? store.ids() : ids);
    std::vector<std::vector<std::string>> rows{
        {"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS"}};
    std::string json_lines;
    for (const auto& s : now) {
      std::string cpu = "--";
      auto before = std::find_if(previous.begin(), previous.end(),
                                 [&](const Sample& p) { return p.id == s.id; });
      if (before != previous.end() && s.stats.cpu && before->stats.cpu) {
        const double dt = std::chrono::duration<double>(s.at - before->at).count();
        const double used =
            static_cast<double>(s.stats.cpu->usage_ns - before->stats.cpu->usage_ns);
        if (dt > 0) cpu = percent(used / 1e9 / dt * 100.0);
      }
      std::string mem = "--", mem_pct = "--";
      if (const auto& m = s.stats.memory) {
        const uint64_t limit = m->limit ? static_cast<uint64_t>(*m->limit) : total;
        mem = format_size(static_cast<int64_t>(m->used())) + " / " +
              format_size(static_cast<int64_t>(limit));
        if (limit > 0)
          mem_pct = percent(100.0 * static_cast<double>(m->used()) / static_cast<double>(limit));
      }
      const std::string pids = s.stats.pids ? std::to_string(s.stats.pids->current) : "--";
      rows.push_back({short_id(s.id), s.name, cpu, mem, mem_pct, pids});
      json_lines += nlohmann::json{{"Container", short_id(s.id)},
                                   {"ID", s.id},
                                   {"Name", s.name},
                                   {"CPUPerc", cpu},
                                   {"MemUsage", mem},
                                   {"MemPerc", mem_pct},
                                   {"PIDs", pids}}
                        .dump() +
                    "\n";
    }
    if (o.format == "json") {
      out << json_lines;
    } else {
      std::vector<size_t> w(6, 0);
      for (const auto& r : rows)
        for (size_t i = 0; i < 6; ++i) w[i] = std::max(w[i], r[i].size());
      if (tty) out << "\033[2J\033[H";  // refresh in place
      for (const auto& r : rows) {
        std::string line;
        for (size_t i = 0; i < 6; ++i)
          line += r[i] + (i < 5 ? std::string(w[i] - r[i].size() + 3, ' ') : "");
        out << line << "\n";
      }
    }
    out.flush();
    if (o.no_stream) return;
    previous = std::move(now);
  }
}

}  // namespace mydocker
