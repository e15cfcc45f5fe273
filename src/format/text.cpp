#include "mydocker/format/text.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace mydocker {

std::string human_duration(double seconds) {
  const long s = static_cast<long>(seconds);
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return std::to_string(s) + " seconds";
  const long minutes = s / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  const long hours = static_cast<long>(seconds / 3600 + 0.5);
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(static_cast<long>(seconds / 3600) / 24 / 365) + " years";
}

std::string human_size(int64_t bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  double size = static_cast<double>(bytes);
  size_t unit = 0;
  while (size >= 1000 && unit + 1 < std::size(kUnits)) {
    size /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%s", size, kUnits[unit]);
  return buf;
}

std::string status_text(const ContainerState& st, bool supervisor_alive, double now) {
  if (st.live() && !supervisor_alive)
    return "Dead (its mydocker supervisor died; `mydocker prune` cleans up)";
  if (st.status == "created") return "Created";
  if (st.status == "running" || st.status == "paused") {
    std::string s = "Up " + human_duration(now - parse_rfc3339(st.started_at));
    if (st.status == "paused") s += " (Paused)";
    if (st.health.is_object()) {  // docker: (healthy), (unhealthy), (health: starting)
      const std::string h = st.health.value("Status", "");
      s += h == "starting" ? " (health: starting)" : " (" + h + ")";
    }
    if (st.restart_count > 0)
      s += " (restarted " + std::to_string(st.restart_count) + "x, last after " +
           st.restart_reason + ")";
    return s;
  }
  const std::string ago = human_duration(now - parse_rfc3339(st.finished_at)) + " ago";
  if (st.status == "restarting")
    return "Restarting (" + std::to_string(st.exit_code) + ") " + ago +
           (st.oom_killed ? " (OOM)" : "");
  return "Exited (" + std::to_string(st.exit_code) + ") " + ago + (st.oom_killed ? " (OOM)" : "");
}

std::string percent(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", value);
  return buf;
}

double now_seconds() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string format_columns(const std::vector<std::vector<std::string>>& rows, size_t gap,
                           size_t min_width) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t c = 0; c + 1 < row.size(); ++c) {
      if (width.size() <= c) width.resize(c + 1, 0);
      width[c] = std::max({width[c], row[c].size() + gap, min_width});
    }
  std::string out;
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      out += row[c];
      if (c + 1 < row.size()) out += std::string(width[c] - row[c].size(), ' ');
    }
    out += "\n";
  }
  return out;
}

}  // namespace mydocker
