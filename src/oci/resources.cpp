// linux.resources (and `update --resources`): the runtime-spec's LinuxResources into the
// Resources mydocker's cgroup drivers apply on v1 and v2.

#include "fields.hpp"
#include "mydocker/oci/spec.hpp"
#include "mydocker/spec/options.hpp"

namespace mydocker::oci {
namespace {

void parse_memory(const Obj& r, Resources& out) {
  const json* m = r.get("memory");
  if (!m) return;
  Obj o(*m, r.field("memory"),
        {"limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness", "disableOOMKiller",
         "useHierarchy", "checkBeforeUpdate"});
  out.inherit_swappiness = true;  // runc: a memory limit leaves memory.swappiness alone
  out.memory = o.opt_int("limit");
  if (out.memory && *out.memory == -1) out.memory.reset();
  if (out.memory && *out.memory < kMinMemory)
    fail(o.field("limit"), std::to_string(*out.memory) + " is below the smallest limit, 6MiB");
  out.memory_reservation = o.opt_int("reservation");
  out.memory_swap = o.opt_int("swap");
  // runc: without "swap" the swap is not limited (docker's CLI, not the runtime, adds one).
  if (out.memory && !out.memory_swap) out.memory_swap = -1;
  if (out.memory_swap && *out.memory_swap != -1 && out.memory && *out.memory_swap < *out.memory)
    fail(o.field("swap"), "memory+swap must not be below memory.limit");
  o.unsupported("kernel", "kernel memory limits are deprecated and not supported");
  o.unsupported("kernelTCP", "kernel memory limits are deprecated and not supported");
  if (o.has("swappiness")) {
    const int64_t s = o.integer("swappiness");
    if (s > 100) fail(o.field("swappiness"), "must be in 0..100");
    if (s >= 0) out.memory_swappiness = s;
  }
  out.oom_kill_disable = o.boolean("disableOOMKiller");
  if (o.has("useHierarchy") && !o.boolean("useHierarchy"))
    fail(o.field("useHierarchy"), "only true (the kernel's only mode) is supported");
  if (o.boolean("checkBeforeUpdate"))
    fail(o.field("checkBeforeUpdate"), "not supported by mydocker");
}

void parse_cpu(const Obj& r, Resources& out) {
  const json* c = r.get("cpu");
  if (!c) return;
  Obj o(*c, r.field("cpu"),
        {"shares", "quota", "burst", "period", "realtimeRuntime", "realtimePeriod", "cpus", "mems",
         "idle"});
  if (o.has("shares") && o.unsigned_int("shares") > 0)
    out.cpu_shares = static_cast<int64_t>(o.unsigned_int("shares"));
  if (o.has("quota") && o.integer("quota") != 0) out.cpu_quota = o.integer("quota");
  if (o.has("period") && o.unsigned_int("period") > 0)
    out.cpu_period = static_cast<int64_t>(o.unsigned_int("period"));
  if (out.cpu_quota && !out.cpu_period) out.cpu_period = kDefaultCpuPeriod;
  if (o.has("realtimeRuntime") && o.integer("realtimeRuntime") != 0)
    out.cpu_rt_runtime = o.integer("realtimeRuntime");
  if (o.has("realtimePeriod") && o.unsigned_int("realtimePeriod") > 0)
    out.cpu_rt_period = static_cast<int64_t>(o.unsigned_int("realtimePeriod"));
  if (!o.str("cpus").empty()) out.cpuset_cpus = o.str("cpus");
  if (!o.str("mems").empty()) out.cpuset_mems = o.str("mems");
  if (o.has("burst") && o.unsigned_int("burst") != 0)
    fail(o.field("burst"), "not supported by mydocker");
  if (o.has("idle") && o.integer("idle") != 0) fail(o.field("idle"), "not supported by mydocker");
}

std::vector<DeviceLimit> throttles(const Obj& b, const char* key) {
  std::vector<DeviceLimit> out;
  const json& list = b.array(key);
  for (size_t i = 0; i < list.size(); ++i) {
    Obj d(list[i], b.field(std::string(key) + "[" + std::to_string(i) + "]"),
          {"major", "minor", "rate"});
    DeviceLimit l;
    l.major = static_cast<uint32_t>(d.unsigned_int("major"));
    l.minor = static_cast<uint32_t>(d.unsigned_int("minor"));
    l.value = d.unsigned_int("rate");
    l.path = std::to_string(l.major) + ":" + std::to_string(l.minor);
    out.push_back(l);
  }
  return out;
}

void parse_block_io(const Obj& r, Resources& out) {
  const json* b = r.get("blockIO");
  if (!b) return;
  Obj o(*b, r.field("blockIO"),
        {"weight", "leafWeight", "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
         "throttleReadIOPSDevice", "throttleWriteIOPSDevice"});
  if (o.has("weight") && o.unsigned_int("weight") != 0) {
    const auto w = static_cast<int64_t>(o.unsigned_int("weight"));
    if (w < 10 || w > 1000) fail(o.field("weight"), "must be in 10..1000");
    out.blkio_weight = w;
  }
  o.unsupported("leafWeight");
  o.unsupported("weightDevice");
  out.read_bps = throttles(o, "throttleReadBpsDevice");
  out.write_bps = throttles(o, "throttleWriteBpsDevice");
  out.read_iops = throttles(o, "throttleReadIOPSDevice");
  out.write_iops = throttles(o, "throttleWriteIOPSDevice");
}

std::vector<DeviceRule> device_rules(const Obj& r) {
  std::vector<DeviceRule> out;
  const json& list = r.array("devices");
  for (size_t i = 0; i < list.size(); ++i) {
    Obj d(list[i], r.field("devices[" + std::to_string(i) + "]"),
          {"allow", "type", "major", "minor", "access"});
    DeviceRule rule;
    if (!d.has("allow")) fail(d.field("allow"), "missing");
    rule.allow = d.boolean("allow");
    const std::string type = d.str("type", "a");
    if (type != "a" && type != "c" && type != "b")
      fail(d.field("type"), "must be \"a\", \"c\" or \"b\", got \"" + type + "\"");
    rule.type = type[0];
    rule.major = d.has("major") ? d.integer("major") : -1;
    rule.minor = d.has("minor") ? d.integer("minor") : -1;
    rule.access = d.str("access", "rwm");
    if (rule.access.empty()) rule.access = "rwm";
    for (char ch : rule.access)
      if (ch != 'r' && ch != 'w' && ch != 'm')
        fail(d.field("access"), "must be a subset of \"rwm\", got \"" + rule.access + "\"");
    out.push_back(rule);
  }
  return out;
}

}  // namespace

Resources parse_resources(const json& resources, const std::string& where) {
  Obj r(resources, where,
        {"devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits", "network", "rdma",
         "unified"});
  Resources out;
  out.devices = device_rules(r);
  parse_memory(r, out);
  parse_cpu(r, out);
  if (const json* p = r.get("pids")) {
    Obj o(*p, r.field("pids"), {"limit"});
    const int64_t limit = o.integer("limit");
    out.pids_limit = limit <= 0 ? -1 : limit;
  }
  parse_block_io(r, out);
  r.unsupported("hugepageLimits");
  r.unsupported("network", "net_cls/net_prio are not supported by mydocker");
  r.unsupported("rdma");
  r.unsupported("unified", "raw cgroup v2 files are not supported by mydocker");
  return out;
}

}  // namespace mydocker::oci
