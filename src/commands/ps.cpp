// ps, and the human texts it shares with other commands.

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <ostream>

#include "mydocker/commands/commands.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

double now_seconds() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string command_text(const nlohmann::json& config) {
  std::string cmd = config.value("path", "");
  for (const auto& a : config.value("args", std::vector<std::string>{})) cmd += " " + a;
  // docker shows the command quoted and cut at 20 characters
  if (cmd.size() > 20) cmd = cmd.substr(0, 17) + "...";
  return "\"" + cmd + "\"";
}

struct Row {
  std::string id, name, command, created, status, state, pid, limits;
  double created_at = 0;
  int restarts = 0;
};

}  // namespace

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

std::string status_text(const ContainerState& st, bool supervisor_alive, double now) {
  if (st.live() && !supervisor_alive)
    return "Dead (its mydocker supervisor died; `mydocker prune` cleans up)";
  if (st.status == "created") return "Created";
  if (st.status == "running" || st.status == "paused") {
    std::string s = "Up " + human_duration(now - parse_rfc3339(st.started_at));
    if (st.status == "paused") s += " (Paused)";
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

int parse_signal(const std::string& text) {
  std::string t = text;
  for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!t.empty() && std::all_of(t.begin(), t.end(), ::isdigit)) {
    int n = std::atoi(t.c_str());
    if (n > 0 && n < NSIG) return n;
  } else {
    if (t.rfind("SIG", 0) == 0) t = t.substr(3);
    for (int sig = 1; sig < NSIG; ++sig)
      if (const char* abbrev = ::sigabbrev_np(sig); abbrev && t == abbrev) return sig;
  }
  throw Error("invalid signal: " + text);
}

void ps(const Store& store, const PsOptions& o, std::ostream& out) {
  const double now = now_seconds();
  std::vector<Row> rows;
  for (const auto& id : store.ids()) {
    ContainerDir dir(store.root(), id);
    nlohmann::json config;
    ContainerState st;
    try {
      config = dir.config();
      st = dir.state();
    } catch (const Error&) {
      continue;  // being removed
    }
    const bool alive = dir.supervisor_alive();
    if (!o.all && !(st.live() && alive)) continue;
    Row r;
    r.id = short_id(id);
    r.name = config.value("name", "");
    r.command = command_text(config);
    r.created_at = parse_rfc3339(config.value("created", ""));
    r.created = human_duration(now - r.created_at) + " ago";
    r.status = status_text(st, alive, now);
    r.state = st.live() && !alive ? "dead" : st.status;
    r.pid = st.pid > 0 && alive ? std::to_string(st.pid) : "-";
    r.limits = config.value("limits", "-");
    r.restarts = st.restart_count;
    rows.push_back(r);
  }
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return a.created_at > b.created_at; });
  if (o.quiet) {
    for (const auto& r : rows) out << r.id << "\n";
    return;
  }
  if (o.format == "json") {
    for (const auto& r : rows)
      out << nlohmann::json{{"ID", r.id},
                            {"Names", r.name},
                            {"Command", r.command},
                            {"RunningFor", r.created},
                            {"Status", r.status},
                            {"State", r.state},
                            {"Pid", r.pid},
                            {"Limits", r.limits},
                            {"RestartCount", r.restarts}}
                 .dump()
          << "\n";
    return;
  }
  const char* headers[] = {"CONTAINER ID", "NAME", "COMMAND", "CREATED", "STATUS", "PID", "LIMITS"};
  size_t w[7];
  for (int i = 0; i < 7; ++i) w[i] = std::strlen(headers[i]);
  auto cells = [](const Row& r) {
    return std::vector<std::string>{r.id, r.name, r.command, r.created, r.status, r.pid, r.limits};
  };
  for (const auto& r : rows) {
    auto c = cells(r);
    for (size_t i = 0; i < 7; ++i) w[i] = std::max(w[i], c[i].size());
  }
  auto line = [&](const std::vector<std::string>& c) {
    std::string s;
    for (size_t i = 0; i < 7; ++i) {
      s += c[i];
      if (i + 1 < 7) s += std::string(w[i] - c[i].size() + 3, ' ');
    }
    out << s << "\n";
  };
  line({headers, headers + 7});
  for (const auto& r : rows) line(cells(r));
}

}  // namespace mydocker
