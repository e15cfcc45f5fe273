#include "mydocker/spec/config.hpp"

#include <cstdio>

#include "mydocker/store/state.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

nlohmann::json devices(const std::vector<DeviceLimit>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : list) out.push_back({{"Path", d.path}, {"Rate", d.value}});
  return out;
}

// The effective rules, in order ("deny a *:* rwm", "allow c 1:3 rwm"...): what the device
// cgroup (v1) or the BPF device filter (v2) enforces. Ours; docker shows only what was asked.
nlohmann::json device_rules_json(const std::vector<DeviceRule>& rules) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rules) out.push_back(std::string(r.allow ? "allow " : "deny ") + r.text());
  return out;
}

// docker's HostConfig.Devices: one entry per --device.
nlohmann::json device_mappings(const RunOptions& o) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : o.devices) {
    const auto parts = split(d, ":");
    std::string host = parts.at(0), target = host, perms = "rwm";
    if (parts.size() == 3) {
      target = parts[1];
      perms = parts[2];
    } else if (parts.size() == 2) {
      (parse_device_rule("c 1:1 " + parts[1]) ? perms : target) = parts[1];
    }
    out.push_back(
        {{"PathOnHost", host}, {"PathInContainer", target}, {"CgroupPermissions", perms}});
  }
  return out;
}

// docker's HostConfig fields for the flags that are not resources.
void add_host_flags(const RunOptions& o, nlohmann::json& hc) {
  hc["Binds"] = o.volumes;
  hc["NetworkMode"] = effective_network(o);
  hc["ReadonlyRootfs"] = o.read_only;
  hc["CapAdd"] = o.cap_add;
  hc["CapDrop"] = o.cap_drop;
  hc["SecurityOpt"] = o.security_opts;
  hc["Dns"] = o.dns;
  hc["DnsSearch"] = o.dns_search;
  hc["DnsOptions"] = o.dns_options;
  hc["ExtraHosts"] = o.add_hosts;
  hc["PublishAllPorts"] = o.publish_all;
  hc["Init"] = o.init;
  hc["IpcMode"] = o.ipc.empty() ? "private" : o.ipc;
  hc["PidMode"] = o.pid;
  hc["UTSMode"] = o.uts;
  const int64_t shm = o.shm_size.empty() ? 0 : parse_size(o.shm_size).value_or(0);
  hc["ShmSize"] = shm > 0 ? shm : int64_t{64} << 20;  // 0: docker's default
  hc["GroupAdd"] = o.group_add;
  nlohmann::json log_config = nlohmann::json::object();
  for (const auto& opt : o.log_opts)
    log_config[opt.substr(0, opt.find('='))] = opt.substr(opt.find('=') + 1);
  hc["LogConfig"] = {{"Type", o.log_driver}, {"Config", log_config}};
  nlohmann::json sysctls = nlohmann::json::object();
  for (const auto& kv : o.sysctls)
    sysctls[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
  hc["Sysctls"] = sysctls;
  hc["UsernsMode"] = o.userns == "host" ? "" : o.userns;
  nlohmann::json tmpfs = nlohmann::json::object();
  for (const auto& t : o.tmpfs) {
    const size_t colon = t.find(':');
    tmpfs[t.substr(0, colon)] = colon == std::string::npos ? "" : t.substr(colon + 1);
  }
  hc["Tmpfs"] = tmpfs;
  nlohmann::json ulimits = nlohmann::json::array();
  for (const auto& u : o.ulimits) {  // checked already: NAME=SOFT[:HARD]
    const size_t eq = u.find('='), colon = u.find(':', eq);
    const std::string soft = u.substr(eq + 1, colon - eq - 1);
    const std::string hard = colon == std::string::npos ? soft : u.substr(colon + 1);
    ulimits.push_back({{"Name", u.substr(0, eq)},
                       {"Soft", parse_int(soft).value_or(-1)},
                       {"Hard", parse_int(hard).value_or(-1)}});
  }
  hc["Ulimits"] = ulimits;
}

}  // namespace

nlohmann::json restart_policy_json(const RestartPolicy& p) {
  const std::string text = p.text();
  return {{"Name", text.substr(0, text.find(':'))}, {"MaximumRetryCount", p.max_retries}};
}

std::string recorded_restart_policy(const nlohmann::json& config) {
  const auto it = config.find("restart_policy");
  if (it == config.end() || !it->is_object()) return "no";
  const auto name = it->find("Name"), count = it->find("MaximumRetryCount");
  const std::string text =
      (name != it->end() && name->is_string() ? name->get<std::string>() : std::string("no")) +
      (count != it->end() && count->is_number_integer() && count->get<int64_t>() > 0
           ? ":" + std::to_string(count->get<int64_t>())
           : "");
  (void)parse_restart_policy(text);  // one of docker's
  return text;
}

nlohmann::json host_config_json(const Resources& r) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(0); };
  return {{"Memory", opt(r.memory)},
          {"MemorySwap", opt(r.memory_swap)},
          {"MemoryReservation", opt(r.memory_reservation)},
          {"MemorySwappiness",
           r.memory_swappiness ? nlohmann::json(*r.memory_swappiness) : nlohmann::json(nullptr)},
          {"OomKillDisable", r.oom_kill_disable},
          // docker's: --cpus is NanoCpus alone (billionths of a CPU: the quota over the
          // period); --cpu-period and --cpu-quota are themselves, NanoCpus 0.
          {"CpuPeriod", r.nano_cpus ? nlohmann::json(0) : opt(r.cpu_period)},
          {"CpuQuota", r.nano_cpus ? nlohmann::json(0) : opt(r.cpu_quota)},
          {"NanoCpus", r.nano_cpus && r.cpu_quota && *r.cpu_quota > 0
                           ? *r.cpu_quota * 1000000000 / r.cpu_period.value_or(kDefaultCpuPeriod)
                           : 0},
          {"CpuShares", opt(r.cpu_shares)},
          {"CpuRealtimePeriod", opt(r.cpu_rt_period)},
          {"CpuRealtimeRuntime", opt(r.cpu_rt_runtime)},
          {"CpusetCpus", r.cpuset_cpus.value_or("")},
          {"CpusetMems", r.cpuset_mems.value_or("")},
          {"PidsLimit", r.pids_limit ? nlohmann::json(*r.pids_limit) : nlohmann::json(nullptr)},
          {"BlkioWeight", opt(r.blkio_weight)},
          {"BlkioDeviceReadBps", devices(r.read_bps)},
          {"BlkioDeviceWriteBps", devices(r.write_bps)},
          {"BlkioDeviceReadIOps", devices(r.read_iops)},
          {"BlkioDeviceWriteIOps", devices(r.write_iops)},
          {"DeviceRules", device_rules_json(r.devices)}};
}

void merge_limits(nlohmann::json& hc, const Resources& r) {
  const nlohmann::json fresh = host_config_json(r);
  auto take = [&](bool set, std::initializer_list<const char*> keys) {
    if (set)
      for (const char* k : keys) hc[k] = fresh[k];
  };
  // Memory::set writes the memsw limit with every memory limit (= memory without --memory-swap).
  take(r.memory || r.memory_swap, {"Memory", "MemorySwap"});
  take(r.memory_reservation.has_value(), {"MemoryReservation"});
  take(r.memory_swappiness.has_value(), {"MemorySwappiness"});
  take(r.cpu_period.has_value() || r.nano_cpus, {"CpuPeriod"});
  take(r.cpu_quota.has_value() || r.nano_cpus, {"CpuQuota"});
  take(r.nano_cpus, {"NanoCpus"});
  take(r.cpu_shares.has_value(), {"CpuShares"});
  take(r.cpu_rt_period.has_value(), {"CpuRealtimePeriod"});
  take(r.cpu_rt_runtime.has_value(), {"CpuRealtimeRuntime"});
  take(r.cpuset_cpus.has_value(), {"CpusetCpus"});
  take(r.cpuset_mems.has_value(), {"CpusetMems"});
  take(r.pids_limit.has_value(), {"PidsLimit"});
  take(r.blkio_weight.has_value(), {"BlkioWeight"});
}

void apply_recorded_limits(const nlohmann::json& hc, Resources& r) {
  if (!hc.is_object()) return;
  // host_config_json's encoding: 0 (or "" for the cpusets, null for swappiness and pids) is
  // "not set"; -1 (unlimited swap, quota, pids) is a value.
  auto number = [&](const char* key, std::optional<int64_t>& out) {
    const auto it = hc.find(key);
    if (it == hc.end()) return;
    out = it->is_number_integer() && it->get<int64_t>() != 0 ? std::optional(it->get<int64_t>())
                                                             : std::nullopt;
  };
  auto text = [&](const char* key, std::optional<std::string>& out) {
    const auto it = hc.find(key);
    if (it == hc.end()) return;
    out = it->is_string() && !it->get<std::string>().empty() ? std::optional(it->get<std::string>())
                                                             : std::nullopt;
  };
  number("Memory", r.memory);
  number("MemorySwap", r.memory_swap);
  number("MemoryReservation", r.memory_reservation);
  if (const auto it = hc.find("MemorySwappiness"); it != hc.end())  // 0 is a value here
    r.memory_swappiness =
        it->is_number_integer() ? std::optional(it->get<int64_t>()) : std::nullopt;
  number("CpuPeriod", r.cpu_period);
  number("CpuQuota", r.cpu_quota);
  // NanoCpus alone (--cpus): the quota over the default period. A record of an older mydocker
  // has all three: its CpuPeriod and CpuQuota say it.
  if (const auto it = hc.find("NanoCpus");
      it != hc.end() && it->is_number_integer() && it->get<int64_t>() > 0) {
    const int64_t nano = it->get<int64_t>();
    if (!r.cpu_quota) {
      r.cpu_period = kDefaultCpuPeriod;
      r.cpu_quota = nano * kDefaultCpuPeriod / 1000000000;
      r.nano_cpus = true;
    } else if (r.cpu_period == kDefaultCpuPeriod &&
               *r.cpu_quota * 1000000000 / kDefaultCpuPeriod == nano) {
      r.nano_cpus = true;  // an older mydocker's record of --cpus: all three, in agreement
    }
  }
  number("CpuShares", r.cpu_shares);
  number("CpuRealtimePeriod", r.cpu_rt_period);
  number("CpuRealtimeRuntime", r.cpu_rt_runtime);
  text("CpusetCpus", r.cpuset_cpus);
  text("CpusetMems", r.cpuset_mems);
  number("PidsLimit", r.pids_limit);
  number("BlkioWeight", r.blkio_weight);
}

std::string limits_summary(const nlohmann::json& hc) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  auto num = [&](const char* key) -> int64_t {
    auto it = hc.find(key);
    return it != hc.end() && it->is_number() ? it->get<int64_t>() : 0;
  };
  if (num("Memory") > 0) add("mem " + format_size(num("Memory")));
  if (num("CpuQuota") > 0 || num("NanoCpus") > 0) {
    char buf[32];
    const int64_t period = num("CpuPeriod") > 0 ? num("CpuPeriod") : kDefaultCpuPeriod;
    const double share = num("CpuQuota") > 0
                             ? static_cast<double>(num("CpuQuota")) / static_cast<double>(period)
                             : static_cast<double>(num("NanoCpus")) / 1e9;
    std::snprintf(buf, sizeof buf, "cpu %g%%", 100.0 * share);
    add(buf);
  }
  if (num("CpuShares") > 0) add("shares " + std::to_string(num("CpuShares")));
  if (!hc.value("CpusetCpus", "").empty()) add("cpuset " + hc.value("CpusetCpus", ""));
  if (num("PidsLimit") > 0) add("pids " + std::to_string(num("PidsLimit")));
  for (const char* k :
       {"BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps"})
    if (hc.contains(k) && !hc[k].empty()) {
      add("io");
      break;
    }
  return out.empty() ? "-" : out;
}

nlohmann::json make_config(const RunOptions& o, const std::string& id, const std::string& name,
                           const Resources& r, const InitConfig& init) {
  const RestartPolicy restart = parse_restart_policy(o.restart);
  nlohmann::json hc = host_config_json(r);
  std::string limits = limits_summary(hc);  // before the keys below: they are no limits
  hc["Privileged"] = o.privileged;
  hc["Devices"] = device_mappings(o);
  hc["DeviceCgroupRules"] = o.device_cgroup_rules;
  add_host_flags(o, hc);
  hc["CgroupnsMode"] = init.new_cgroupns ? "private" : "host";  // the default resolved
  return {{"id", id},
          {"name", name},
          {"created", now_rfc3339()},
          {"path", init.argv.front()},
          {"args", std::vector<std::string>(init.argv.begin() + 1, init.argv.end())},
          {"env", init.env},
          {"hostname", init.hostname},
          {"tty", o.tty},
          {"open_stdin", o.interactive},
          {"detached", o.detach},
          {"auto_remove", o.remove},
          {"restart_policy", restart_policy_json(restart)},
          {"stop_timeout", stop_timeout_seconds(o)},
          {"cgroup_parent", o.cgroup_parent},
          {"host_config", std::move(hc)},
          {"limits", std::move(limits)}};
}

nlohmann::json recorded_mounts(const nlohmann::json& config) {
  const auto host_config = config.value("host_config", nlohmann::json::object());
  auto anonymous = config.value("anonymous_volumes", std::vector<std::string>{});
  std::vector<std::string> binds;
  for (const auto& path : config.value("image_volumes", std::vector<std::string>{}))
    binds.push_back(path);  // "-v PATH" as the run would have said it
  for (const auto& v : host_config.value("Binds", std::vector<std::string>{})) binds.push_back(v);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : binds) {
    auto parts = split(v, ":");
    if (parts.size() == 1 && !anonymous.empty()) {  // -v /path: the next anonymous volume
      parts.insert(parts.begin(), anonymous.front());
      anonymous.erase(anonymous.begin());
    }
    if (parts.size() < 2) continue;
    const std::string mode = parts.size() > 2 ? parts[2] : "";
    // Name and Driver are "" for a bind, as docker's templates see them (its JSON omits them).
    nlohmann::json m = {{"Type", "bind"},
                        {"Name", ""},
                        {"Driver", ""},
                        {"Source", parts[0]},
                        {"Destination", parts[1]},
                        {"Mode", mode},
                        {"RW", mode.find("ro") == std::string::npos},
                        {"Propagation", "rprivate"}};
    if (parts[0][0] != '/') {
      m["Type"] = "volume";
      m["Name"] = parts[0];
      m["Driver"] = "local";
      m["Source"] = config.value("data_root", "") + "/volumes/" + parts[0] + "/_data";
      m.erase("Propagation");
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace mydocker
