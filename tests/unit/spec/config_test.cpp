// config.json: make_config's fields, docker's HostConfig names (host_config_json) and the
// LIMITS column of ps (limits_summary).

#include "mydocker/spec/config.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/store/state.hpp"
#include "mydocker/util/error.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

const std::string kId = "3f2a9c8e1b7d4e6fa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d";
constexpr int64_t kMiB = 1024 * 1024;

InitConfig sample_init() {
  InitConfig init;
  init.argv = {"sh", "-c", "echo hi"};
  init.env = {"PATH=/usr/bin:/bin", "A=1"};
  init.hostname = "box";
  return init;
}

// 100 MiB, 20% of a CPU, CPU 0, 10 processes.
Resources sample_resources() {
  Resources r;
  r.memory = 100 * kMiB;
  r.cpu_quota = 20000;
  r.cpu_period = 100000;
  r.cpuset_cpus = "0";
  r.pids_limit = 10;
  return r;
}

DeviceLimit device(const std::string& path, uint64_t value) {
  DeviceLimit d;
  d.path = path;
  d.major = 8;
  d.minor = 0;
  d.value = value;
  return d;
}

// ---- make_config ----

TEST(MakeConfig, RecordsTheCommandAndItsSettings) {
  RunOptions o;
  o.tty = true;
  o.interactive = true;
  o.detach = true;
  o.remove = false;
  o.cgroup_parent = "ci/job";
  o.stop_timeout = FlagValue{"--stop-timeout", "5"};
  const double before = test::realtime_now();

  const json c = make_config(o, kId, "web", Resources{}, sample_init());

  EXPECT_EQ(c["id"], kId);
  EXPECT_EQ(c["name"], "web");
  EXPECT_EQ(c["path"], "sh");
  EXPECT_EQ(c["args"], (Strings{"-c", "echo hi"}));
  EXPECT_EQ(c["env"], (Strings{"PATH=/usr/bin:/bin", "A=1"}));
  EXPECT_EQ(c["hostname"], "box");
  EXPECT_EQ(c["tty"], true);
  EXPECT_EQ(c["open_stdin"], true);
  EXPECT_EQ(c["detached"], true);
  EXPECT_EQ(c["auto_remove"], false);
  EXPECT_EQ(c["stop_timeout"], 5);
  EXPECT_EQ(c["cgroup_parent"], "ci/job");
  const double created = parse_rfc3339(c["created"].get<std::string>());
  EXPECT_GE(created, before - 1);
  EXPECT_LE(created, test::realtime_now() + 1);
}

TEST(MakeConfig, CommandWithoutArguments) {
  InitConfig init = sample_init();
  init.argv = {"true"};

  const json c = make_config(RunOptions{}, kId, "x", Resources{}, init);

  EXPECT_EQ(c["path"], "true");
  EXPECT_TRUE(c["args"].is_array());
  EXPECT_TRUE(c["args"].empty());
}

TEST(MakeConfig, Defaults) {
  const json c = make_config(RunOptions{}, kId, "x", Resources{}, sample_init());

  EXPECT_EQ(c["tty"], false);
  EXPECT_EQ(c["open_stdin"], false);
  EXPECT_EQ(c["detached"], false);
  EXPECT_EQ(c["auto_remove"], false);
  EXPECT_EQ(c["stop_timeout"], kDefaultStopTimeout);
  EXPECT_EQ(c["restart_policy"], (json{{"Name", "no"}, {"MaximumRetryCount", 0}}));
  EXPECT_EQ(c["limits"], "-");
}

TEST(MakeConfig, AutoRemove) {
  RunOptions o;
  o.remove = true;

  EXPECT_EQ(make_config(o, kId, "x", Resources{}, sample_init())["auto_remove"], true);
}

TEST(MakeConfig, RestartPolicyInDockersShape) {
  struct Case {
    std::string flag, name;
    int retries;
  };
  for (const Case& c : {Case{"no", "no", 0}, Case{"on-failure", "on-failure", 0},
                        Case{"on-failure:3", "on-failure", 3}, Case{"always", "always", 0},
                        Case{"unless-stopped", "unless-stopped", 0}}) {
    RunOptions o;
    o.restart = c.flag;

    const json policy = make_config(o, kId, "x", Resources{}, sample_init())["restart_policy"];

    EXPECT_EQ(policy, (json{{"Name", c.name}, {"MaximumRetryCount", c.retries}})) << c.flag;
  }
}

TEST(MakeConfig, InvalidRestartPolicyThrows) {
  RunOptions o;
  o.restart = "sometimes";

  EXPECT_THROW((void)make_config(o, kId, "x", Resources{}, sample_init()), Error);
}

TEST(MakeConfig, HostConfigAndLimitsFromTheResources) {
  const Resources r = sample_resources();

  const json c = make_config(RunOptions{}, kId, "x", r, sample_init());

  const json expected = host_config_json(r);
  for (auto it = expected.begin(); it != expected.end(); ++it)
    EXPECT_EQ(c["host_config"][it.key()], it.value()) << it.key();
  EXPECT_EQ(c["host_config"]["Memory"], 100 * kMiB);
  EXPECT_EQ(c["host_config"]["Privileged"], false);
  EXPECT_EQ(c["host_config"]["Devices"], json::array());
  EXPECT_EQ(c["limits"], "mem 100MiB, cpu 20%, cpuset 0, pids 10");
}

// ---- host_config_json ----

TEST(HostConfigJson, UsesDockersNames) {
  Resources r;
  r.memory = 100 * kMiB;
  r.memory_swap = 200 * kMiB;
  r.memory_reservation = 50 * kMiB;
  r.memory_swappiness = 10;
  r.oom_kill_disable = true;
  r.cpu_period = 50000;
  r.cpu_quota = 25000;
  r.cpu_shares = 512;
  r.cpu_rt_period = 1000000;
  r.cpu_rt_runtime = 950000;
  r.cpuset_cpus = "0-1";
  r.cpuset_mems = "0";
  r.pids_limit = 64;
  r.blkio_weight = 300;
  r.read_bps = {device("/dev/sda", 1048576)};
  r.write_bps = {device("/dev/sdb", 2097152)};
  r.read_iops = {device("/dev/sda", 100)};
  r.write_iops = {device("/dev/sda", 200), device("/dev/sdb", 300)};

  const json hc = host_config_json(r);

  EXPECT_EQ(hc["Memory"], 100 * kMiB);
  EXPECT_EQ(hc["MemorySwap"], 200 * kMiB);
  EXPECT_EQ(hc["MemoryReservation"], 50 * kMiB);
  EXPECT_EQ(hc["MemorySwappiness"], 10);
  EXPECT_EQ(hc["OomKillDisable"], true);
  EXPECT_EQ(hc["CpuPeriod"], 50000);
  EXPECT_EQ(hc["CpuQuota"], 25000);
  EXPECT_EQ(hc["CpuShares"], 512);
  EXPECT_EQ(hc["CpuRealtimePeriod"], 1000000);
  EXPECT_EQ(hc["CpuRealtimeRuntime"], 950000);
  EXPECT_EQ(hc["CpusetCpus"], "0-1");
  EXPECT_EQ(hc["CpusetMems"], "0");
  EXPECT_EQ(hc["PidsLimit"], 64);
  EXPECT_EQ(hc["BlkioWeight"], 300);
  EXPECT_EQ(hc["BlkioDeviceReadBps"], json::parse(R"([{"Path":"/dev/sda","Rate":1048576}])"));
  EXPECT_EQ(hc["BlkioDeviceWriteBps"], json::parse(R"([{"Path":"/dev/sdb","Rate":2097152}])"));
  EXPECT_EQ(hc["BlkioDeviceReadIOps"], json::parse(R"([{"Path":"/dev/sda","Rate":100}])"));
  EXPECT_EQ(hc["BlkioDeviceWriteIOps"],
            json::parse(R"([{"Path":"/dev/sda","Rate":200},{"Path":"/dev/sdb","Rate":300}])"));
}

TEST(HostConfigJson, UnsetLimitsAreDockersZeroValues) {
  const json hc = host_config_json(Resources{});

  for (const char* key : {"Memory", "MemorySwap", "MemoryReservation", "CpuPeriod", "CpuQuota",
                          "CpuShares", "CpuRealtimePeriod", "CpuRealtimeRuntime", "BlkioWeight"})
    EXPECT_EQ(hc[key], 0) << key;
  EXPECT_TRUE(hc["MemorySwappiness"].is_null());
  EXPECT_TRUE(hc["PidsLimit"].is_null());
  EXPECT_EQ(hc["OomKillDisable"], false);
  EXPECT_EQ(hc["CpusetCpus"], "");
  EXPECT_EQ(hc["CpusetMems"], "");
  for (const char* key : {"BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
                          "BlkioDeviceWriteIOps"}) {
    EXPECT_TRUE(hc[key].is_array()) << key;
    EXPECT_TRUE(hc[key].empty()) << key;
  }
}

TEST(HostConfigJson, UnlimitedValuesStayMinusOne) {
  Resources r;
  r.memory = kMiB;
  r.memory_swap = -1;
  r.cpu_quota = -1;
  r.pids_limit = -1;

  const json hc = host_config_json(r);

  EXPECT_EQ(hc["MemorySwap"], -1);
  EXPECT_EQ(hc["CpuQuota"], -1);
  EXPECT_EQ(hc["PidsLimit"], -1);
}

// ---- limits_summary ----

TEST(LimitsSummary, MemoryCpuCpusetAndPids) {
  EXPECT_EQ(limits_summary(host_config_json(sample_resources())),
            "mem 100MiB, cpu 20%, cpuset 0, pids 10");
}

TEST(LimitsSummary, DashWhenNothingIsLimited) {
  EXPECT_EQ(limits_summary(host_config_json(Resources{})), "-");
  EXPECT_EQ(limits_summary(json::object()), "-");
}

TEST(LimitsSummary, CpuPercentIsQuotaOverPeriod) {
  auto cpu = [](int64_t quota, std::optional<int64_t> period) {
    Resources r;
    r.cpu_quota = quota;
    r.cpu_period = period;
    return limits_summary(host_config_json(r));
  };

  EXPECT_EQ(cpu(50000, 100000), "cpu 50%");
  EXPECT_EQ(cpu(50000, 200000), "cpu 25%");
  EXPECT_EQ(cpu(150000, 100000), "cpu 150%");
  EXPECT_EQ(cpu(12345, 100000), "cpu 12.345%");
  EXPECT_EQ(cpu(25000, std::nullopt), "cpu 25%") << "the default period is 100000 µs";
  EXPECT_EQ(cpu(-1, 100000), "-") << "an unlimited quota is no limit";
}

TEST(LimitsSummary, SharesAndIo) {
  Resources r;
  r.cpu_shares = 512;
  r.read_bps = {device("/dev/sda", 1048576)};

  EXPECT_EQ(limits_summary(host_config_json(r)), "shares 512, io");
}

TEST(LimitsSummary, IoFromAnyDeviceListOnce) {
  Resources r;
  r.write_iops = {device("/dev/sda", 10)};
  r.read_iops = {device("/dev/sda", 10)};

  EXPECT_EQ(limits_summary(host_config_json(r)), "io");
}

TEST(LimitsSummary, UnlimitedPidsAndMemorySizes) {
  Resources r;
  r.memory = 1536 * kMiB;
  r.pids_limit = -1;

  EXPECT_EQ(limits_summary(host_config_json(r)), "mem 1.5GiB");
}

TEST(LimitsSummary, FromDockerStyleJson) {
  const json hc = json::parse(
      R"({"Memory":104857600,"CpuQuota":20000,"CpuPeriod":100000,"CpusetCpus":"0","PidsLimit":10})");

  EXPECT_EQ(limits_summary(hc), "mem 100MiB, cpu 20%, cpuset 0, pids 10");
}

// ---- merge_limits, apply_recorded_limits: `update` persisted, applied by the next start ----

// Every limit `update` can change comes back from the HostConfig it was recorded in.
TEST(RecordedLimits, RoundTripThroughTheHostConfig) {
  Resources r = sample_resources();
  r.memory_swap = -1;
  r.memory_reservation = 50 * kMiB;
  r.memory_swappiness = 0;
  r.cpu_shares = 512;
  r.cpu_rt_period = 1000000;
  r.cpu_rt_runtime = 950000;
  r.cpuset_mems = "0";
  r.blkio_weight = 300;

  Resources back;
  apply_recorded_limits(host_config_json(r), back);

  EXPECT_EQ(host_config_json(back), host_config_json(r));
  EXPECT_EQ(back.memory_swappiness, 0) << "0 is a swappiness, not \"unset\"";
  EXPECT_EQ(back.memory_swap, -1);
}

// The flags' limits are replaced by the recorded ones, and an unset one unsets them: the record
// is what the kernel had when the container last ran or was updated.
TEST(RecordedLimits, TheRecordWinsOverTheFlags) {
  Resources flags = sample_resources();  // -m 100m -cpu 20 -cpuset 0 --pids-limit 10
  json hc = host_config_json(flags);
  hc["Memory"] = 50 * kMiB;
  hc["PidsLimit"] = nullptr;

  apply_recorded_limits(hc, flags);

  EXPECT_EQ(flags.memory, 50 * kMiB);
  EXPECT_EQ(flags.pids_limit, std::nullopt);
  EXPECT_EQ(flags.cpu_quota, 20000);
  EXPECT_EQ(flags.cpuset_cpus, "0");
}

TEST(RecordedLimits, AKeyTheRecordLacksLeavesTheFlagsValue) {
  Resources flags = sample_resources();
  apply_recorded_limits(json::parse(R"({"Memory": 62914560})"), flags);
  EXPECT_EQ(flags.memory, 60 * kMiB);
  EXPECT_EQ(flags.pids_limit, 10);
  apply_recorded_limits(json(), flags);  // no HostConfig at all
  EXPECT_EQ(flags.memory, 60 * kMiB);
}

TEST(MergeLimits, OnlyWhatTheUpdateSetsChanges) {
  json hc = host_config_json(sample_resources());
  hc["Privileged"] = false;  // not a limit: untouched
  Resources update;
  update.memory = 50 * kMiB;
  update.cpu_shares = 256;

  merge_limits(hc, update);

  EXPECT_EQ(hc["Memory"], 50 * kMiB);
  EXPECT_EQ(hc["CpuShares"], 256);
  EXPECT_EQ(hc["CpuQuota"], 20000);
  EXPECT_EQ(hc["CpusetCpus"], "0");
  EXPECT_EQ(hc["PidsLimit"], 10);
  EXPECT_EQ(hc["Privileged"], false);
  EXPECT_EQ(limits_summary(hc), "mem 50MiB, cpu 20%, shares 256, cpuset 0, pids 10");
}

// Memory and MemorySwap are recorded as a pair, as the kernel got them: parse_resources gives
// update both (the container's memory+swap limit kept with a new memory limit), and a memory
// limit alone (a container without --memory-swap) is memory+swap = memory, MemorySwap 0.
TEST(MergeLimits, MemoryAndSwapAreRecordedAsAPair) {
  Resources run = sample_resources();
  run.memory_swap = 200 * kMiB;
  json hc = host_config_json(run);
  Resources update;
  update.memory = 80 * kMiB;
  update.memory_swap = 200 * kMiB;

  merge_limits(hc, update);

  EXPECT_EQ(hc["Memory"], 80 * kMiB);
  EXPECT_EQ(hc["MemorySwap"], 200 * kMiB);
  update.memory_swap.reset();
  merge_limits(hc, update);
  EXPECT_EQ(hc["MemorySwap"], 0);
}

// update --restart: the policy recorded as docker's HostConfig.RestartPolicy, and read back as
// --restart says it.
TEST(RestartPolicyRecord, RoundTripsAndDefaultsToNo) {
  json config = {{"restart_policy", restart_policy_json(parse_restart_policy("on-failure:3"))}};
  EXPECT_EQ(config["restart_policy"], (json{{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
  EXPECT_EQ(recorded_restart_policy(config), "on-failure:3");
  config["restart_policy"] = restart_policy_json(parse_restart_policy("unless-stopped"));
  EXPECT_EQ(recorded_restart_policy(config), "unless-stopped");
  EXPECT_EQ(recorded_restart_policy(json::object()), "no");
  config["restart_policy"] = {{"Name", "sometimes"}};
  EXPECT_THROW((void)recorded_restart_policy(config), Error);
}

// docker's HostConfig: --cpu-period/--cpu-quota are themselves (NanoCpus 0), and --cpu-quota
// alone keeps the recorded period; --cpus is NanoCpus alone, read back as the quota over the
// default period.
TEST(MergeLimits, CpusIsNanoCpusAlonePeriodAndQuotaAreThemselves) {
  Resources run;
  run.cpu_period = 200000;
  run.cpu_quota = 100000;  // 0.5 CPU
  json hc = host_config_json(run);
  Resources update;
  update.cpu_quota = 300000;

  merge_limits(hc, update);

  EXPECT_EQ(hc["CpuPeriod"], 200000);
  EXPECT_EQ(hc["CpuQuota"], 300000);
  EXPECT_EQ(hc["NanoCpus"], 0);

  Resources cpus;
  cpus.cpu_period = 100000;
  cpus.cpu_quota = 150000;
  cpus.nano_cpus = true;
  merge_limits(hc, cpus);
  EXPECT_EQ(hc["CpuPeriod"], 0);
  EXPECT_EQ(hc["CpuQuota"], 0);
  EXPECT_EQ(hc["NanoCpus"], 1500000000);
  Resources back;
  apply_recorded_limits(hc, back);
  EXPECT_EQ(back.cpu_quota, 150000);
  EXPECT_EQ(back.cpu_period, 100000);
  EXPECT_TRUE(back.nano_cpus);
  EXPECT_EQ(limits_summary(hc), "cpu 150%");
  // An older mydocker recorded --cpus as all three: read back as --cpus still.
  Resources older;
  apply_recorded_limits(json{{"CpuPeriod", 100000}, {"CpuQuota", 50000}, {"NanoCpus", 500000000}},
                        older);
  EXPECT_TRUE(older.nano_cpus);
  Resources cfs;
  apply_recorded_limits(json{{"CpuPeriod", 200000}, {"CpuQuota", 50000}, {"NanoCpus", 250000000}},
                        cfs);
  EXPECT_FALSE(cfs.nano_cpus);
}

}  // namespace
}  // namespace mydocker
