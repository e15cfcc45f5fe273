#include "mydocker/format/containers.hpp"

#include <time.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "mydocker/format/template.hpp"
#include "mydocker/format/text.hpp"
#include "mydocker/net/endpoint.hpp"
#include "mydocker/spec/config.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/time.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

std::string command_text(const std::vector<std::string>& command, bool no_trunc) {
  std::string cmd;
  for (const auto& a : command) cmd += (cmd.empty() ? "" : " ") + a;
  // docker shows the command quoted and cut at 20 columns (its Ellipsis)
  if (!no_trunc) cmd = ellipsis(cmd, 20);
  return go_quote(cmd);
}

// docker's Networks column: every network the container is on, comma-separated.
std::string networks_text(const ContainerState& st) {
  std::string out = st.network;
  for (const auto& n : st.extra_networks) out += "," + n;
  return out;
}

std::string state_name(const ContainerView& c) { return c.dead() ? "dead" : c.state.status; }

std::string pid_text(const ContainerView& c) {
  return c.state.pid > 0 && c.supervisor_alive ? std::to_string(c.state.pid) : "-";
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

const StatsSample* find(const std::vector<StatsSample>& list, const std::string& id) {
  auto it =
      std::find_if(list.begin(), list.end(), [&](const StatsSample& s) { return s.id == id; });
  return it == list.end() ? nullptr : &*it;
}

}  // namespace

// docker's SIZE: "12B (virtual 4.2MB)".
std::string size_text(const ContainerView& c) {
  if (c.size_rw < 0) return "-";
  std::string out = human_size(c.size_rw);
  if (c.size_root_fs >= 0) out += " (virtual " + human_size(c.size_root_fs) + ")";
  return out;
}

std::string image_text(const ContainerState& st, bool no_trunc) {
  if (!st.image.empty()) return st.image;
  return st.image_id.empty() ? "-" : (no_trunc ? "sha256:" + st.image_id : short_id(st.image_id));
}

namespace {
std::pair<std::string, std::string> ps_mounts(const nlohmann::json& config, bool no_trunc);
}  // namespace

nlohmann::json ps_json(const ContainerView& c, double now, bool no_trunc) {
  const auto [mounts, local_volumes] = ps_mounts(c.config, no_trunc);
  std::string labels;
  for (const auto& [k, v] : c.state.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
  return {{"ID", no_trunc ? c.id : short_id(c.id)},
          {"Names", c.state.name},
          {"Image", image_text(c.state, no_trunc)},
          {"Command", command_text(c.state.command, no_trunc)},
          {"Labels", labels},
          {"Networks", networks_text(c.state)},
          {"Size", size_text(c)},
          {"RunningFor", human_duration(now - parse_rfc3339(c.state.created)) + " ago"},
          {"CreatedAt", docker_time_text(c.state.created)},
          {"Status", status_text(c.state, c.supervisor_alive, now)},
          {"State", state_name(c)},
          {"Pid", pid_text(c)},
          {"Limits", c.state.limits.empty() ? "-" : c.state.limits},
          {"Ports", c.live() ? c.state.ports : ""},  // docker: none once it stopped
          {"Mounts", mounts},
          {"LocalVolumes", local_volumes},
          {"RestartCount", c.state.restart_count}};
}

std::string format_ps(const std::vector<ContainerView>& containers, const PsOptions& o,
                      double now) {
  std::string out;
  if (o.quiet) {
    for (const auto& c : containers) out += (o.no_trunc ? c.id : short_id(c.id)) + "\n";
    return out;
  }
  if (o.format == "json") {
    for (const auto& c : containers) out += ps_json(c, now, o.no_trunc).dump() + "\n";
    return out;
  }
  if (!o.format.empty()) {  // a Go template, docker's column titles for a "table" one
    std::vector<nlohmann::json> items;
    for (const auto& c : containers) items.push_back(ps_json(c, now, o.no_trunc));
    return tmpl::Template::parse(o.format).render(items, {{"ID", "CONTAINER ID"},
                                                          {"RunningFor", "CREATED"},
                                                          {"CreatedAt", "CREATED AT"},
                                                          {"Names", "NAMES"},
                                                          {"RestartCount", "RESTARTS"},
                                                          {"Image", "IMAGE"},
                                                          {"Command", "COMMAND"},
                                                          {"Status", "STATUS"},
                                                          {"Ports", "PORTS"},
                                                          {"Size", "SIZE"},
                                                          {"Labels", "LABELS"},
                                                          {"Networks", "NETWORKS"},
                                                          {"LocalVolumes", "LOCAL VOLUMES"},
                                                          {"State", "STATE"}});
  }
  // docker's columns in docker's order, NAMES last (scripts take the last field), with ours
  // (the init's PID, the limits) before PORTS.
  std::vector<std::vector<std::string>> rows{
      {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PID", "LIMITS", "PORTS", "NAMES"}};
  if (o.size) rows[0].push_back("SIZE");
  // Only the columns shown, straight from the view (ps_json's other fields, and a JSON object a
  // row, cost twice as much: `ps -a` with 1000 containers took 66 ms).
  for (const auto& c : containers) {
    rows.push_back({o.no_trunc ? c.id : short_id(c.id), image_text(c.state, o.no_trunc),
                    command_text(c.state.command, o.no_trunc),
                    human_duration(now - parse_rfc3339(c.state.created)) + " ago",
                    status_text(c.state, c.supervisor_alive, now), pid_text(c),
                    c.state.limits.empty() ? "-" : c.state.limits, c.live() ? c.state.ports : "",
                    c.state.name});
    if (o.size) rows.back().push_back(size_text(c));
  }
  return format_columns(rows, 3);
}

namespace {

// An endpoint's Aliases as docker shows them: its --network-alias/--alias names, null for none.
nlohmann::json aliases_json(const net::Endpoint& e) {
  return e.lease.aliases.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.lease.aliases);
}

// docker's NetworkSettings: the container's network, address, gateway, MAC and ports; as in
// docker, a container that is not running shows its network without them.
nlohmann::json network_settings(const nlohmann::json& config, bool live) {
  nlohmann::json out = {{"Networks", nlohmann::json::object()},
                        {"Ports", nlohmann::json::object()},
                        {"IPAddress", ""},
                        {"Gateway", ""},
                        {"MacAddress", ""}};
  auto e = net::endpoint_from_json(config.value("network", nlohmann::json()));
  if (!e) return out;
  // Each network as docker lists it (network connect's too, with its gateway as docker shows it,
  // though the container has no route through it).
  for (const auto& x : net::extra_endpoints(config.value("extra_networks", nlohmann::json())))
    out["Networks"][x.network.name] = {
        {"NetworkID", x.network.id},
        {"Aliases", aliases_json(x)},
        {"IPAddress", live ? x.ip() : ""},
        {"IPPrefixLen", live ? x.network.subnet.prefix : 0},
        {"Gateway", live && !x.network.internal ? net::format_ipv4(x.network.gateway) : ""},
        {"MacAddress", live ? net::format_mac(x.lease.mac) : ""}};
  if (!live) {
    out["Networks"][e->network.name] = {{"NetworkID", e->network.id},
                                        {"Aliases", aliases_json(*e)},
                                        {"IPAddress", ""},
                                        {"IPPrefixLen", 0},
                                        {"Gateway", ""},
                                        {"MacAddress", ""}};
    return out;
  }
  const std::string gateway = net::format_ipv4(e->network.gateway);
  out["IPAddress"] = e->ip();
  out["IPPrefixLen"] = e->network.subnet.prefix;
  out["Gateway"] = gateway;
  out["MacAddress"] = net::format_mac(e->lease.mac);
  out["Networks"][e->network.name] = {
      {"NetworkID", e->network.id}, {"Aliases", aliases_json(*e)},
      {"IPAddress", e->ip()},       {"IPPrefixLen", e->network.subnet.prefix},
      {"Gateway", gateway},         {"MacAddress", net::format_mac(e->lease.mac)}};
  for (const auto& p : e->ports)
    out["Ports"][std::to_string(p.container_port) + "/" + p.proto].push_back(
        {{"HostIp", p.host_ip.empty() ? "0.0.0.0" : p.host_ip},
         {"HostPort", std::to_string(p.host_port)}});
  return out;
}

// docker's HostConfig.PortBindings ("80/tcp": [{HostIp, HostPort}], kept while it is stopped)
// and Config.ExposedPorts ("80/tcp": {}), from its -p.
std::pair<nlohmann::json, nlohmann::json> port_bindings(const nlohmann::json& config) {
  nlohmann::json bindings = nlohmann::json::object(), exposed = nlohmann::json(nullptr);
  if (auto e = net::endpoint_from_json(config.value("network", nlohmann::json())))
    for (const auto& p : e->ports) {
      const std::string key = std::to_string(p.container_port) + "/" + p.proto;
      bindings[key].push_back({{"HostIp", p.host_ip}, {"HostPort", std::to_string(p.host_port)}});
      exposed[key] = nlohmann::json::object();
    }
  return {bindings, exposed};
}

// ps's Mounts (each mount's volume name, else its source; 15 characters unless --no-trunc,
// joined by commas) and LocalVolumes (how many are volumes of the local driver), from the
// record's config; "" and "0" when it was not read (run_ps reads it when they are asked for).
std::pair<std::string, std::string> ps_mounts(const nlohmann::json& config, bool no_trunc) {
  std::string names;
  int local = 0;
  if (config.is_object())
    for (const auto& m : recorded_mounts(config)) {
      std::string name = m.value("Name", "");
      if (name.empty()) name = m.value("Source", "");
      names += (names.empty() ? "" : ",") + (no_trunc ? name : ellipsis(name, 15));
      local += m.value("Driver", "") == "local";
    }
  return {names, std::to_string(local)};
}

// docker's Config: the process as the image and the flags made it, Entrypoint and Cmd apart.
nlohmann::json config_json(const nlohmann::json& config, const std::vector<std::string>& argv) {
  const auto strings = [&](const char* key) {
    return config.value(key, std::vector<std::string>{});
  };
  const bool split_known = config.contains("cmd");  // records before 0.4 kept only the argv
  const auto entrypoint = strings("entrypoint");
  return {{"Hostname", config.value("hostname", "")},
          {"User", config.value("user", "")},
          {"Env", strings("env")},
          {"Cmd", split_known ? strings("cmd") : argv},
          {"Entrypoint", entrypoint.empty() ? nlohmann::json(nullptr) : nlohmann::json(entrypoint)},
          {"Image", config.value("image_name", "")},
          {"WorkingDir", config.value("working_dir", "")},
          {"Labels", config.value("labels", nlohmann::json::object())},
          {"StopSignal", config.value("stop_signal", "")},
          {"Healthcheck", config.value("healthcheck", nlohmann::json(nullptr))},
          {"Tty", config.value("tty", false)},
          {"OpenStdin", config.value("open_stdin", false)},
          {"AttachStdin", config.value("open_stdin", false)},
          {"StopTimeout", config.value("stop_timeout", 10)}};
}

}  // namespace

nlohmann::json inspect_json(const ContainerView& c) {
  const auto& config = c.config;
  const ContainerState& st = c.state;
  const bool live = c.live();
  auto host_config = config.value("host_config", nlohmann::json::object());
  host_config["RestartPolicy"] = config.value("restart_policy", nlohmann::json::object());
  host_config["AutoRemove"] = config.value("auto_remove", false);
  host_config["CgroupParent"] = config.value("cgroup_parent", "");
  const auto [bindings, exposed] = port_bindings(config);
  host_config["PortBindings"] = bindings;
  std::vector<std::string> cmd{config.value("path", "")};
  for (const auto& a : config.value("args", std::vector<std::string>{})) cmd.push_back(a);
  nlohmann::json process = config_json(config, cmd);
  process["ExposedPorts"] = exposed;
  const std::string image_id = config.value("image", "");
  return {{"Id", c.id},
          {"Name", "/" + config.value("name", "")},
          {"Created", config.value("created", "")},
          {"Path", config.value("path", "")},
          {"Args", config.value("args", std::vector<std::string>{})},
          {"State",
           {{"Status", c.dead() ? "dead" : st.status},
            {"Running", live},  // docker's: paused and restarting ones too
            {"Paused", live && st.status == "paused"},
            {"Restarting", live && st.status == "restarting"},
            {"OOMKilled", st.oom_killed},
            {"Dead", c.dead()},
            {"Pid", live ? st.pid : 0},
            {"ExitCode", st.exit_code},
            {"Error", st.error},
            {"StartedAt", st.started_at.empty() ? "0001-01-01T00:00:00Z" : st.started_at},
            {"FinishedAt", st.finished_at.empty() ? "0001-01-01T00:00:00Z" : st.finished_at},
            {"Health", st.health.is_object() ? st.health : nlohmann::json(nullptr)}}},
          {"RestartCount", st.restart_count},
          {"RestartReason", st.restart_reason},
          {"HostConfig", host_config},
          {"Image", image_id.empty() ? "" : "sha256:" + image_id},
          {"Platform", "linux"},
          {"Mounts", recorded_mounts(config)},
          {"Config", process},
          {"LogPath", keeps_log(config) && st.status != "created" ? c.log_path : ""},
          {"CgroupMode", st.cgroup.driver_name()},
          {"Cgroups", st.cgroup.paths},
          {"SupervisorPid", c.supervisor_alive ? st.supervisor_pid : 0},
          {"NetworkSettings", network_settings(config, live)}};
}

std::string format_top(const std::vector<ProcessInfo>& processes) {
  const long hz = ::sysconf(_SC_CLK_TCK);
  std::vector<std::vector<std::string>> rows{
      {"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}};
  for (const auto& p : processes) {
    char stime[16], time[64];
    std::time_t t = static_cast<std::time_t>(p.started_at);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    std::strftime(stime, sizeof stime, "%H:%M", &tm);
    const long secs = p.cpu_ticks / hz;
    std::snprintf(time, sizeof time, "%02ld:%02ld:%02ld", secs / 3600, secs / 60 % 60, secs % 60);
    rows.push_back({user_name(p.uid), std::to_string(p.pid), std::to_string(p.ppid), "0", stime,
                    "?", time, p.cmd});
  }
  return format_columns(rows, 4);
}

namespace {

std::string pair_text(uint64_t a, uint64_t b) {
  return human_size(static_cast<int64_t>(a)) + " / " + human_size(static_cast<int64_t>(b));
}

// One container's row, as `stats --format` sees it (docker's field names).
nlohmann::json stats_json(const StatsSample* prev, const StatsSample& s, uint64_t host_memory) {
  if (s.stopped)  // docker's row for a container that is not running
    return {{"Container", short_id(s.id)},
            {"ID", s.id},
            {"Name", s.name},
            {"CPUPerc", "0.00%"},
            {"MemUsage", "0B / 0B"},
            {"MemPerc", "0.00%"},
            {"NetIO", "0B / 0B"},
            {"BlockIO", "0B / 0B"},
            {"PIDs", "0"}};
  std::string cpu = "--";
  if (prev && s.stats.cpu && prev->stats.cpu && s.at > prev->at) {
    const double used = static_cast<double>(s.stats.cpu->usage_ns - prev->stats.cpu->usage_ns);
    cpu = percent(used / 1e9 / (s.at - prev->at) * 100.0);
  }
  std::string mem = "--", mem_pct = "--";
  if (const auto& m = s.stats.memory) {
    const uint64_t limit = m->limit ? static_cast<uint64_t>(*m->limit) : host_memory;
    mem = format_size(static_cast<int64_t>(m->used())) + " / " +
          format_size(static_cast<int64_t>(limit));
    if (limit > 0)
      mem_pct = percent(100.0 * static_cast<double>(m->used()) / static_cast<double>(limit));
  }
  std::string block = "--";
  if (s.stats.io) {
    uint64_t read = 0, written = 0;
    for (const auto& d : *s.stats.io) {
      read += d.read_bytes;
      written += d.write_bytes;
    }
    block = pair_text(read, written);
  }
  return {{"Container", short_id(s.id)},
          {"ID", s.id},
          {"Name", s.name},
          {"CPUPerc", cpu},
          {"MemUsage", mem},
          {"MemPerc", mem_pct},
          {"NetIO", s.net ? pair_text(s.net->first, s.net->second) : "--"},
          {"BlockIO", block},
          {"PIDs", s.stats.pids ? std::to_string(s.stats.pids->current) : "--"}};
}

}  // namespace

std::string format_stats(const std::vector<StatsSample>& before,
                         const std::vector<StatsSample>& now, uint64_t host_memory,
                         const std::string& format, bool no_trunc) {
  std::vector<nlohmann::json> items;
  for (const auto& s : now) {
    items.push_back(stats_json(find(before, s.id), s, host_memory));
    if (!no_trunc) items.back()["ID"] = short_id(s.id);  // docker's ID: 12 digits unless asked
  }
  std::string out;
  if (format == "json") {
    for (const auto& j : items) out += j.dump() + "\n";
    return out;
  }
  if (!format.empty())
    return tmpl::Template::parse(format).render(items, {{"Container", "CONTAINER"},
                                                        {"ID", "CONTAINER ID"},
                                                        {"Name", "NAME"},
                                                        {"CPUPerc", "CPU %"},
                                                        {"MemUsage", "MEM USAGE / LIMIT"},
                                                        {"MemPerc", "MEM %"},
                                                        {"NetIO", "NET I/O"},
                                                        {"BlockIO", "BLOCK I/O"},
                                                        {"PIDs", "PIDS"}});
  std::vector<std::vector<std::string>> rows{{"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT",
                                              "MEM %", "NET I/O", "BLOCK I/O", "PIDS"}};
  for (const auto& j : items)
    rows.push_back({j["ID"], j["Name"], j["CPUPerc"], j["MemUsage"], j["MemPerc"], j["NetIO"],
                    j["BlockIO"], j["PIDs"]});
  return format_columns(rows, 3);
}

std::string format_log_entry(const LogEntry& e, bool timestamps) {
  return (timestamps ? e.time + " " : std::string()) + e.log;
}

}  // namespace mydocker
