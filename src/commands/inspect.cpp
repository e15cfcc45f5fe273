// inspect (docker's JSON shape) and top (docker top's columns).

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <ostream>
#include <sstream>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/commands/commands.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"

namespace mydocker {
namespace {

nlohmann::json inspect_one(const Store& store, const std::string& ref) {
  const ContainerDir dir = store.open(ref);
  const auto config = dir.config();
  const ContainerState st = dir.state();
  const bool alive = dir.supervisor_alive();
  const bool live = st.live() && alive;
  auto host_config = config.value("host_config", nlohmann::json::object());
  host_config["RestartPolicy"] = config.value("restart_policy", nlohmann::json::object());
  host_config["AutoRemove"] = config.value("auto_remove", false);
  host_config["CgroupParent"] = config.value("cgroup_parent", "");
  return {{"Id", dir.id()},
          {"Name", "/" + config.value("name", "")},
          {"Created", config.value("created", "")},
          {"Path", config.value("path", "")},
          {"Args", config.value("args", std::vector<std::string>{})},
          {"State",
           {{"Status", st.live() && !alive ? "dead" : st.status},
            {"Running", live && st.status != "restarting"},
            {"Paused", live && st.status == "paused"},
            {"Restarting", live && st.status == "restarting"},
            {"OOMKilled", st.oom_killed},
            {"Dead", st.live() && !alive},
            {"Pid", live ? st.pid : 0},
            {"ExitCode", st.exit_code},
            {"Error", st.error},
            {"StartedAt", st.started_at.empty() ? "0001-01-01T00:00:00Z" : st.started_at},
            {"FinishedAt", st.finished_at.empty() ? "0001-01-01T00:00:00Z" : st.finished_at}}},
          {"RestartCount", st.restart_count},
          {"RestartReason", st.restart_reason},
          {"HostConfig", host_config},
          {"Config",
           {{"Hostname", config.value("hostname", "")},
            {"Env", config.value("env", std::vector<std::string>{})},
            {"Cmd",
             [&] {
               std::vector<std::string> cmd{config.value("path", "")};
               for (const auto& a : config.value("args", std::vector<std::string>{}))
                 cmd.push_back(a);
               return cmd;
             }()},
            {"Tty", config.value("tty", false)},
            {"OpenStdin", config.value("open_stdin", false)},
            {"StopTimeout", config.value("stop_timeout", 10)}}},
          {"LogPath", config.value("detached", false) ? dir.log_path() : ""},
          {"CgroupMode", st.cgroup.driver_name()},
          {"Cgroups", st.cgroup.paths},
          {"SupervisorPid", alive ? st.supervisor_pid : 0}};
}

std::string user_name(uid_t uid) {
  // /etc/passwd by hand: a static binary has no NSS.
  std::ifstream in("/etc/passwd");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string name, pw, id;
    std::getline(f, name, ':');
    std::getline(f, pw, ':');
    std::getline(f, id, ':');
    if (id == std::to_string(uid)) return name;
  }
  return std::to_string(uid);
}

}  // namespace

void inspect(const Store& store, const std::vector<std::string>& refs, std::ostream& out) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& ref : refs) all.push_back(inspect_one(store, ref));
  out << all.dump(4) << "\n";
}

void top(const Store& store, const std::string& ref, std::ostream& out) {
  const ContainerDir dir = store.open(ref);
  const ContainerState st = dir.state();
  if (!st.live() || !dir.supervisor_alive())
    throw Error("container " + short_id(dir.id()) + " is not running");
  const Fs fs;
  const long hz = ::sysconf(_SC_CLK_TCK);
  double boot = 0;  // seconds since the epoch at boot, for STIME
  if (auto stat = fs.read_if_exists("/proc/stat")) {
    auto pos = stat->find("\nbtime ");
    if (pos != std::string::npos) boot = std::atof(stat->c_str() + pos + 7);
  }
  std::vector<std::vector<std::string>> rows{
      {"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}};
  for (pid_t pid : open_cgroup_manager(fs, st.cgroup, dir.id())->pids()) {
    const std::string base = "/proc/" + std::to_string(pid);
    auto stat = fs.read_if_exists(base + "/stat");
    auto status = fs.read_if_exists(base + "/status");
    if (!stat || !status) continue;  // gone meanwhile
    // stat: pid (comm) state ppid ... utime(14) stime(15) ... starttime(22); comm may hold spaces
    std::istringstream f(stat->substr(stat->rfind(')') + 2));
    std::vector<std::string> v((std::istream_iterator<std::string>(f)), {});
    if (v.size() < 20) continue;
    const long ticks = std::atol(v[11].c_str()) + std::atol(v[12].c_str());
    const double started = boot + std::atof(v[19].c_str()) / static_cast<double>(hz);
    uid_t uid = 0;
    if (auto pos = status->find("\nUid:\t"); pos != std::string::npos)
      uid = static_cast<uid_t>(std::atol(status->c_str() + pos + 6));
    char stime[16], time[64];
    std::time_t t = static_cast<std::time_t>(started);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    std::strftime(stime, sizeof stime, "%H:%M", &tm);
    const long secs = ticks / hz;
    std::snprintf(time, sizeof time, "%02ld:%02ld:%02ld", secs / 3600, secs / 60 % 60, secs % 60);
    std::string cmd = fs.read_if_exists(base + "/cmdline").value_or("");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
    if (cmd.empty())
      cmd = "[" + stat->substr(stat->find('(') + 1, stat->rfind(')') - stat->find('(') - 1) + "]";
    rows.push_back({user_name(uid), std::to_string(pid), v[1], "0", stime, "?", time, cmd});
  }
  std::vector<size_t> w(8, 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < 8; ++i) w[i] = std::max(w[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < 8; ++i)
      line += r[i] + (i < 7 ? std::string(w[i] - r[i].size() + 4, ' ') : "");
    out << line << "\n";
  }
}

}  // namespace mydocker
