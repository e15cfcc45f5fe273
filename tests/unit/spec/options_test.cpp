// `mydocker run`'s flags as values: limits (parse_resources) and the other checks.

#include "mydocker/spec/options.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <string>
#include <utility>
#include <vector>

#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

// The parent cgroup may use CPUs 0 and 1 and memory node 0.
const HostLimits kTwoCpus{{0, 1}, {0}};

// parse_resources' error message, or "" when it did not throw.
std::string resources_error(const RunOptions& o, const HostLimits& available = kTwoCpus) {
  try {
    (void)parse_resources(o, available);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitSetupError);
    return e.what();
  }
  return "";
}

// parse_resources' error for update (against `current`), or "".
std::string resources_error_for_update(const RunOptions& o, const Resources& current) {
  try {
    (void)parse_resources(o, kTwoCpus, &current);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

RunOptions with_memory(const std::string& flag, const std::string& value) {
  RunOptions o;
  o.memory = FlagValue{flag, value};
  return o;
}
RunOptions with_cpu(const std::string& value) {
  RunOptions o;
  o.cpu_percent = FlagValue{"-cpu", value};
  return o;
}
RunOptions with_cpus(const std::string& value) {
  RunOptions o;
  o.cpus = FlagValue{"--cpus", value};
  return o;
}
RunOptions with_shares(const std::string& value) {
  RunOptions o;
  o.cpu_shares = FlagValue{"-cpushare", value};
  return o;
}
RunOptions with_cpuset(const std::string& value) {
  RunOptions o;
  o.cpuset_cpus = FlagValue{"-cpuset", value};
  return o;
}

// ---- update: -m and --memory-swap against the container's own limits ----

// What `update` parses its flags against: a container run with -m 50m --memory-swap 100m.
Resources with_swap(int64_t memory, int64_t memory_swap) {
  Resources r;
  r.memory = memory;
  r.memory_swap = memory_swap;
  return r;
}

constexpr int64_t kM = 1024 * 1024;

TEST(ParseResourcesForUpdate, MemoryKeepsTheMemorySwapLimitItHas) {
  const Resources current = with_swap(50 * kM, 100 * kM);
  const Resources r = parse_resources(with_memory("-m", "80m"), kTwoCpus, &current);
  EXPECT_EQ(r.memory, 80 * kM);
  EXPECT_EQ(r.memory_swap, 100 * kM) << "docker's update -m keeps memory+swap";
  Resources unlimited = with_swap(50 * kM, -1);
  EXPECT_EQ(parse_resources(with_memory("-m", "1g"), kTwoCpus, &unlimited).memory_swap, -1);
  Resources no_swap;  // run with -m alone: memory+swap = memory, and stays so
  no_swap.memory = 50 * kM;
  EXPECT_FALSE(parse_resources(with_memory("-m", "80m"), kTwoCpus, &no_swap).memory_swap);
}

TEST(ParseResourcesForUpdate, MemoryAboveTheMemorySwapLimitNeedsANewOne) {
  const Resources current = with_swap(50 * kM, 100 * kM);
  try {
    (void)parse_resources(with_memory("-m", "150m"), kTwoCpus, &current);
    ADD_FAILURE() << "-m above the memory+swap limit was taken";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "invalid value '150m' for -m: Memory limit should be smaller than already set "
              "memoryswap limit, update the memoryswap at the same time");
    EXPECT_EQ(e.exit_code(), kExitSetupError);
  }
  RunOptions both = with_memory("-m", "150m");
  both.memory_swap = FlagValue{"--memory-swap", "300m"};
  const Resources r = parse_resources(both, kTwoCpus, &current);
  EXPECT_EQ(r.memory, 150 * kM);
  EXPECT_EQ(r.memory_swap, 300 * kM);
}

// docker's rule: a CPU limit given as --cpus stays --cpus, one given as period and quota stays
// that (its words).
TEST(ParseResourcesForUpdate, TheCpuLimitKeepsTheFormItWasGivenIn) {
  Resources nano;
  nano.cpu_period = 100000;
  nano.cpu_quota = 50000;
  nano.nano_cpus = true;
  RunOptions quota;
  quota.cpu_quota = FlagValue{"--cpu-quota", "20000"};
  EXPECT_EQ(resources_error_for_update(quota, nano),
            "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
  EXPECT_EQ(resources_error_for_update(with_cpus("1"), nano), "");

  Resources cfs = nano;
  cfs.nano_cpus = false;
  EXPECT_NE(resources_error_for_update(with_cpus("1"), cfs)
                .find("Nano CPUs cannot be updated as CPU Period has already been set"),
            std::string::npos);
  EXPECT_EQ(resources_error_for_update(quota, cfs), "");
  // moby compares values above 0 only: --cpus 0 and --cpu-quota -1 never conflict.
  EXPECT_EQ(resources_error_for_update(with_cpus("0"), cfs), "");
  RunOptions unlimited;
  unlimited.cpu_quota = FlagValue{"--cpu-quota", "-1"};
  EXPECT_EQ(resources_error_for_update(unlimited, nano), "");
  EXPECT_TRUE(parse_resources(with_cpus("1"), kTwoCpus).nano_cpus);
  EXPECT_TRUE(parse_resources(with_cpu("20"), kTwoCpus).nano_cpus) << "-cpu 20 is --cpus 0.2";
}

TEST(ParseResourcesForUpdate, MemorySwapAloneKeepsTheMemoryLimitItHas) {
  const Resources current = with_swap(50 * kM, 100 * kM);
  RunOptions o;
  o.memory_swap = FlagValue{"--memory-swap", "200m"};
  const Resources r = parse_resources(o, kTwoCpus, &current);
  EXPECT_EQ(r.memory, 50 * kM) << "both go to the kernel together";
  EXPECT_EQ(r.memory_swap, 200 * kM);
  o.memory_swap = FlagValue{"--memory-swap", "40m"};
  EXPECT_NE(resources_error_for_update(o, current).find("should be larger than memory limit"),
            std::string::npos);
  const Resources none;  // no memory limit to keep: docker's run rule
  EXPECT_NE(resources_error_for_update(o, none).find("always set the memory limit"),
            std::string::npos);
  EXPECT_FALSE(parse_resources(with_shares("512"), kTwoCpus, &current).memory)
      << "a CPU update writes no memory limit";
}

// ---- no flags ----

TEST(ParseResources, NoFlagsMeansNoLimits) {
  Resources r = parse_resources(RunOptions{}, kTwoCpus);
  EXPECT_FALSE(r.memory.has_value());
  EXPECT_FALSE(r.cpu_quota.has_value());
  EXPECT_FALSE(r.cpu_period.has_value());
  EXPECT_FALSE(r.cpu_shares.has_value());
  EXPECT_FALSE(r.cpuset_cpus.has_value());
}

// ---- memory ----

TEST(ParseResources, MemoryTakesDockerSizes) {
  EXPECT_EQ(parse_resources(with_memory("-mem", "100m"), kTwoCpus).memory, 104857600);
  EXPECT_EQ(parse_resources(with_memory("--memory", "1.5g"), kTwoCpus).memory, 1610612736);
  EXPECT_EQ(parse_resources(with_memory("-m", "6m"), kTwoCpus).memory, 6291456);
}

TEST(ParseResources, MemoryBelowSixMebibytesIsRefusedAsDockerDoes) {
  for (const char* v : {"1k", "100", "512k", "6291455"}) {
    try {
      parse_resources(with_memory("-m", v), kTwoCpus);
      ADD_FAILURE() << v << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitSetupError);
      EXPECT_EQ(std::string(e.what()), "invalid value '" + std::string(v) +
                                           "' for -m: Minimum memory limit allowed is 6MB");
    }
  }
  RunOptions o;
  o.memory_reservation = FlagValue{"--memory-reservation", "1m"};
  EXPECT_THROW(parse_resources(o, kTwoCpus), Error);
}

TEST(ParseResources, MemoryZeroMeansNoLimit) {
  EXPECT_FALSE(parse_resources(with_memory("-mem", "0"), kTwoCpus).memory.has_value());
}

TEST(ParseResources, MemoryErrorsNameTheFlagAsTyped) {
  const std::string what = resources_error(with_memory("-mem", "abc"));
  EXPECT_NE(what.find("-mem"), std::string::npos) << what;
  EXPECT_NE(what.find("'abc'"), std::string::npos) << what;
  EXPECT_EQ(what.rfind("invalid value 'abc' for -mem: ", 0), 0u) << what;

  const std::string other = resources_error(with_memory("--memory", "10x"));
  EXPECT_NE(other.find("--memory"), std::string::npos) << other;
  EXPECT_NE(other.find("invalid suffix 'x'"), std::string::npos) << other;
}

TEST(ParseResources, MemoryRejectsNegativeAndHugeSizes) {
  EXPECT_NE(resources_error(with_memory("-mem", "-1")), "");
  EXPECT_NE(resources_error(with_memory("-mem", "9999999p")), "");
  EXPECT_NE(resources_error(with_memory("-mem", "")), "");
}

// ---- -cpu (percent of one CPU) ----

TEST(ParseResources, CpuPercentBecomesQuotaOverTheDefaultPeriod) {
  Resources r = parse_resources(with_cpu("20"), kTwoCpus);
  EXPECT_EQ(r.cpu_quota, 20000);
  EXPECT_EQ(r.cpu_period, 100000);

  EXPECT_EQ(parse_resources(with_cpu("12.5"), kTwoCpus).cpu_quota, 12500);
  EXPECT_EQ(parse_resources(with_cpu("100"), kTwoCpus).cpu_quota, 100000);
  EXPECT_EQ(parse_resources(with_cpu("1"), kTwoCpus).cpu_quota, 1000);
}

TEST(ParseResources, CpuPercentMustBePositiveNumber) {
  for (const std::string v : {"0", "-1", "abc", "", "20%", "1e2", "0.0"}) {
    const std::string what = resources_error(with_cpu(v));
    EXPECT_NE(what, "") << "-cpu '" << v << "' was accepted";
    EXPECT_NE(what.find("-cpu"), std::string::npos) << what;
  }
}

TEST(ParseResources, CpuPercentBelowTheKernelMinimumQuotaFails) {
  EXPECT_NE(resources_error(with_cpu("0.5")), "");  // 500 µs < 1 ms
}

TEST(ParseResources, CpuPercentIsAtMost100TimesTheUsableCpus) {
  EXPECT_EQ(parse_resources(with_cpu("200"), kTwoCpus).cpu_quota, 200000);
  const std::string what = resources_error(with_cpu("201"));
  EXPECT_NE(what.find("at most 200"), std::string::npos) << what;
  EXPECT_NE(what.find("2 CPUs"), std::string::npos) << what;
}

// docker bounds --cpus by the host's CPUs, not by --cpuset-cpus (which bounds the use anyway):
// `--cpus 1.5 --cpuset-cpus 0` runs there, and here.
TEST(ParseResources, CpuLimitsAreBoundByTheParentsCpusNotByTheCpuset) {
  RunOptions o = with_cpu("150");
  o.cpuset_cpus = FlagValue{"-cpuset", "0"};
  EXPECT_EQ(parse_resources(o, kTwoCpus).cpu_quota, 150000);
  RunOptions cpus = with_cpus("1.5");
  cpus.cpuset_cpus = FlagValue{"--cpuset-cpus", "0"};
  EXPECT_EQ(parse_resources(cpus, kTwoCpus).cpu_quota, 150000);
  o.cpu_percent = FlagValue{"-cpu", "201"};
  EXPECT_NE(resources_error(o).find("at most 200"), std::string::npos);
}

// ---- --cpus ----

TEST(ParseResources, CpusBecomesQuotaOverTheDefaultPeriod) {
  Resources r = parse_resources(with_cpus("1.5"), kTwoCpus);
  EXPECT_EQ(r.cpu_quota, 150000);
  EXPECT_EQ(r.cpu_period, 100000);
  EXPECT_EQ(parse_resources(with_cpus("2"), kTwoCpus).cpu_quota, 200000);
  EXPECT_EQ(parse_resources(with_cpus("0.01"), kTwoCpus).cpu_quota, 1000);
}

TEST(ParseResources, CpusAboveTheAvailableCountGivesDockersMessage) {
  const std::string what = resources_error(with_cpus("3"));
  EXPECT_EQ(what,
            "invalid value '3' for --cpus: Range of CPUs is from 0.01 to 2.00, as there are only "
            "2 CPUs available");
}

TEST(ParseResources, CpusOnAOneCpuHostSaysIs) {
  const std::string what = resources_error(with_cpus("2"), HostLimits{{0}, {0}});
  EXPECT_NE(what.find("Range of CPUs is from 0.01 to 1.00, as there is only 1 CPU available"),
            std::string::npos)
      << what;
}

TEST(ParseResources, CpusRejectsNegativeGarbageAndTooSmall) {
  for (const std::string v : {"-1", "abc", "", "0.001", "0.005"})
    EXPECT_NE(resources_error(with_cpus(v)), "") << "--cpus '" << v << "' was accepted";
}

TEST(ParseResources, CpusZeroMeansNoLimitAsInDocker) {
  const Resources r = parse_resources(with_cpus("0"), kTwoCpus);
  EXPECT_FALSE(r.cpu_quota.has_value());
  EXPECT_FALSE(r.cpu_period.has_value());
}

TEST(ParseResources, CpuAndCpusTogetherIsAnErrorNamingBoth) {
  RunOptions o = with_cpu("20");
  o.cpus = FlagValue{"--cpus", "1"};
  const std::string what = resources_error(o);
  EXPECT_NE(what.find("-cpu "), std::string::npos) << what;
  EXPECT_NE(what.find("--cpus"), std::string::npos) << what;
}

// ---- -cpushare ----

TEST(ParseResources, CpuSharesWithinTheKernelRange) {
  EXPECT_EQ(parse_resources(with_shares("512"), kTwoCpus).cpu_shares, 512);
  EXPECT_EQ(parse_resources(with_shares("2"), kTwoCpus).cpu_shares, 2);
  EXPECT_EQ(parse_resources(with_shares("262144"), kTwoCpus).cpu_shares, 262144);
}

TEST(ParseResources, CpuSharesZeroMeansUnset) {
  Resources r = parse_resources(with_shares("0"), kTwoCpus);
  EXPECT_FALSE(r.cpu_shares.has_value());
}

TEST(ParseResources, CpuSharesRejectsGarbageAndOutOfRange) {
  for (const std::string v : {"abc", "1", "300000", "262145", "-2", "1.5", ""}) {
    const std::string what = resources_error(with_shares(v));
    EXPECT_NE(what, "") << "-cpushare '" << v << "' was accepted";
    EXPECT_NE(what.find("-cpushare"), std::string::npos) << what;
  }
}

TEST(ParseResources, CpuSharesAloneSetsNoQuota) {
  Resources r = parse_resources(with_shares("512"), kTwoCpus);
  EXPECT_FALSE(r.cpu_quota.has_value());
  EXPECT_FALSE(r.cpu_period.has_value());
}

// ---- -cpuset ----

TEST(ParseResources, CpusetIsNormalised) {
  EXPECT_EQ(parse_resources(with_cpuset("0-1"), kTwoCpus).cpuset_cpus, "0-1");
  EXPECT_EQ(parse_resources(with_cpuset("1,0"), kTwoCpus).cpuset_cpus, "0-1");
  EXPECT_EQ(parse_resources(with_cpuset("0,1"), kTwoCpus).cpuset_cpus, "0-1");
  EXPECT_EQ(parse_resources(with_cpuset("1"), kTwoCpus).cpuset_cpus, "1");
}

TEST(ParseResources, CpusetRejectsMalformedListsAndCpusOutsideTheParent) {
  for (const std::string v : {"99", "1-0", "a", "1-", "", ",", "0-2"}) {
    const std::string what = resources_error(with_cpuset(v));
    EXPECT_NE(what, "") << "-cpuset '" << v << "' was accepted";
    EXPECT_NE(what.find("-cpuset"), std::string::npos) << what;
  }
}

TEST(ParseResources, CpusetOutsideTheParentNamesTheMissingCpus) {
  const std::string what = resources_error(with_cpuset("0-3"));
  EXPECT_NE(what.find("CPU 2-3 not available"), std::string::npos) << what;
  EXPECT_NE(what.find("0-1"), std::string::npos) << what;
}

// ---- the docker flags beyond the Go ones ----

TEST(ParseResources, MemorySwapIsMemoryPlusSwap) {
  RunOptions o = with_memory("-m", "100m");
  o.memory_swap = FlagValue{"--memory-swap", "200m"};
  EXPECT_EQ(parse_resources(o, kTwoCpus).memory_swap, 209715200);
  o.memory_swap = FlagValue{"--memory-swap", "-1"};
  EXPECT_EQ(parse_resources(o, kTwoCpus).memory_swap, -1);
  o.memory_swap = FlagValue{"--memory-swap", "0"};
  EXPECT_FALSE(parse_resources(o, kTwoCpus).memory_swap.has_value());
}

TEST(ParseResources, MemorySwapNeedsAMemoryLimitAtOrBelowIt) {
  RunOptions alone;
  alone.memory_swap = FlagValue{"--memory-swap", "200m"};
  EXPECT_NE(resources_error(alone).find("--memory-swap"), std::string::npos);

  RunOptions below = with_memory("-m", "100m");
  below.memory_swap = FlagValue{"--memory-swap", "50m"};
  EXPECT_NE(resources_error(below).find("larger than memory limit"), std::string::npos);

  // docker's check is for a positive swap limit alone: -1 (unlimited swap) limits nothing.
  alone.memory_swap = FlagValue{"--memory-swap", "-1"};
  EXPECT_EQ(parse_resources(alone, kTwoCpus).memory_swap, -1);
}

// ---- docker's warnings: the run goes on ----

TEST(LimitWarnings, AWeightTheKernelCannotTakeIsDroppedWithDockersWarning) {
  RunOptions o;
  o.blkio_weight = FlagValue{"--blkio-weight", "500"};
  Resources r = parse_resources(o, kTwoCpus);
  const auto warnings = limit_warnings(o, r, /*io_weight=*/false);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("Weight discarded"), std::string::npos) << warnings[0];
  EXPECT_FALSE(r.blkio_weight.has_value());

  Resources kept = parse_resources(o, kTwoCpus);
  EXPECT_TRUE(limit_warnings(o, kept, /*io_weight=*/true).empty());
  EXPECT_EQ(kept.blkio_weight, 500);
}

TEST(LimitWarnings, KernelMemoryIsCheckedThenIgnoredAndOomKillDisableWantsALimit) {
  RunOptions o;
  o.kernel_memory = FlagValue{"--kernel-memory", "64m"};
  o.oom_kill_disable = true;
  Resources r = parse_resources(o, kTwoCpus);
  const auto warnings = limit_warnings(o, r, true);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("kernel memory limit is deprecated"), std::string::npos);
  EXPECT_NE(warnings[1].find("without setting a '-m/--memory' limit"), std::string::npos);
  o.memory = FlagValue{"-m", "64m"};
  Resources limited = parse_resources(o, kTwoCpus);
  EXPECT_EQ(limit_warnings(o, limited, true).size(), 1u);
  o.kernel_memory = FlagValue{"--kernel-memory", "lots"};
  EXPECT_NE(resources_error(o).find("--kernel-memory"), std::string::npos);
}

TEST(ParseResources, MemoryReservationAtMostTheLimit) {
  RunOptions o = with_memory("-m", "100m");
  o.memory_reservation = FlagValue{"--memory-reservation", "50m"};
  EXPECT_EQ(parse_resources(o, kTwoCpus).memory_reservation, 52428800);
  o.memory_reservation = FlagValue{"--memory-reservation", "200m"};
  EXPECT_NE(resources_error(o).find("--memory-reservation"), std::string::npos);
  o.memory_reservation = FlagValue{"--memory-reservation", "0"};
  EXPECT_FALSE(parse_resources(o, kTwoCpus).memory_reservation.has_value());
}

TEST(ParseResources, MemorySwappinessFrom0To100) {
  RunOptions o;
  o.memory_swappiness = FlagValue{"--memory-swappiness", "60"};
  EXPECT_EQ(parse_resources(o, kTwoCpus).memory_swappiness, 60);
  o.memory_swappiness = FlagValue{"--memory-swappiness", "0"};
  EXPECT_EQ(parse_resources(o, kTwoCpus).memory_swappiness, 0);
  o.memory_swappiness = FlagValue{"--memory-swappiness", "-1"};  // docker's "default"
  EXPECT_FALSE(parse_resources(o, kTwoCpus).memory_swappiness.has_value());
  for (const std::string v : {"101", "-2", "abc", ""}) {
    o.memory_swappiness = FlagValue{"--memory-swappiness", v};
    EXPECT_NE(resources_error(o), "") << v;
  }
}

TEST(ParseResources, OomKillDisablePassesThrough) {
  RunOptions o;
  o.oom_kill_disable = true;
  EXPECT_TRUE(parse_resources(o, kTwoCpus).oom_kill_disable);
  EXPECT_FALSE(parse_resources(RunOptions{}, kTwoCpus).oom_kill_disable);
}

TEST(ParseResources, CpuPeriodAndQuotaWithinTheKernelBounds) {
  RunOptions o;
  o.cpu_period = FlagValue{"--cpu-period", "50000"};
  o.cpu_quota = FlagValue{"--cpu-quota", "25000"};
  Resources r = parse_resources(o, kTwoCpus);
  EXPECT_EQ(r.cpu_period, 50000);
  EXPECT_EQ(r.cpu_quota, 25000);

  o.cpu_quota = FlagValue{"--cpu-quota", "-1"};
  EXPECT_EQ(parse_resources(o, kTwoCpus).cpu_quota, -1);

  for (const std::string v : {"999", "1000001", "abc"}) {
    RunOptions p;
    p.cpu_period = FlagValue{"--cpu-period", v};
    EXPECT_NE(resources_error(p).find("--cpu-period"), std::string::npos) << v;
  }
  for (const std::string v : {"999", "-2", "abc"}) {
    RunOptions q;
    q.cpu_quota = FlagValue{"--cpu-quota", v};
    EXPECT_NE(resources_error(q).find("--cpu-quota"), std::string::npos) << v;
  }
}

TEST(ParseResources, CpuPercentOrCpusConflictWithPeriodAndQuota) {
  RunOptions o = with_cpu("20");
  o.cpu_period = FlagValue{"--cpu-period", "50000"};
  std::string what = resources_error(o);
  EXPECT_NE(what.find("-cpu"), std::string::npos) << what;
  EXPECT_NE(what.find("--cpu-period"), std::string::npos) << what;

  RunOptions p = with_cpus("1");
  p.cpu_quota = FlagValue{"--cpu-quota", "50000"};
  what = resources_error(p);
  EXPECT_NE(what.find("--cpus"), std::string::npos) << what;
  EXPECT_NE(what.find("--cpu-quota"), std::string::npos) << what;
}

TEST(ParseResources, RealTimeRuntimeAtMostThePeriod) {
  RunOptions o;
  o.cpu_rt_runtime = FlagValue{"--cpu-rt-runtime", "950000"};
  EXPECT_EQ(parse_resources(o, kTwoCpus).cpu_rt_runtime, 950000);
  o.cpu_rt_period = FlagValue{"--cpu-rt-period", "100000"};
  EXPECT_NE(resources_error(o).find("--cpu-rt-runtime"), std::string::npos);
  o.cpu_rt_runtime = FlagValue{"--cpu-rt-runtime", "50000"};
  Resources r = parse_resources(o, kTwoCpus);
  EXPECT_EQ(r.cpu_rt_period, 100000);
  EXPECT_EQ(r.cpu_rt_runtime, 50000);
}

TEST(ParseResources, CpusetMemsWithinTheParentsNodes) {
  RunOptions o;
  o.cpuset_mems = FlagValue{"--cpuset-mems", "0"};
  EXPECT_EQ(parse_resources(o, kTwoCpus).cpuset_mems, "0");
  o.cpuset_mems = FlagValue{"--cpuset-mems", "1"};
  const std::string what = resources_error(o);
  EXPECT_NE(what.find("--cpuset-mems"), std::string::npos) << what;
  EXPECT_NE(what.find("memory node 1 not available"), std::string::npos) << what;
}

TEST(ParseResources, PidsLimit) {
  RunOptions o;
  o.pids_limit = FlagValue{"--pids-limit", "100"};
  EXPECT_EQ(parse_resources(o, kTwoCpus).pids_limit, 100);
  for (const std::string unlimited : {"0", "-1"}) {
    o.pids_limit = FlagValue{"--pids-limit", unlimited};
    EXPECT_EQ(parse_resources(o, kTwoCpus).pids_limit, -1) << unlimited;
  }
  for (const std::string bad : {"-2", "abc", "1.5"}) {
    o.pids_limit = FlagValue{"--pids-limit", bad};
    EXPECT_NE(resources_error(o).find("--pids-limit"), std::string::npos) << bad;
  }
}

TEST(ParseResources, BlkioWeightFrom10To1000) {
  RunOptions o;
  o.blkio_weight = FlagValue{"--blkio-weight", "500"};
  EXPECT_EQ(parse_resources(o, kTwoCpus).blkio_weight, 500);
  o.blkio_weight = FlagValue{"--blkio-weight", "0"};
  EXPECT_FALSE(parse_resources(o, kTwoCpus).blkio_weight.has_value());
  for (const std::string bad : {"9", "1001", "abc"}) {
    o.blkio_weight = FlagValue{"--blkio-weight", bad};
    EXPECT_NE(resources_error(o).find("--blkio-weight"), std::string::npos) << bad;
  }
}

// The first block device under /dev, or "" (the test is then skipped).
std::string some_block_device(struct stat& st) {
  for (const char* d : {"/dev/loop0", "/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/zram0"})
    if (::stat(d, &st) == 0 && S_ISBLK(st.st_mode)) return d;
  return "";
}

TEST(ParseDeviceLimit, ReadsABlockDevicesNumbersAndRate) {
  struct stat st;
  const std::string dev = some_block_device(st);
  if (dev.empty()) GTEST_SKIP() << "no block device under /dev";

  DeviceLimit bps = parse_device_limit({"--device-read-bps", dev + ":1mb"}, true);
  EXPECT_EQ(bps.path, dev);
  EXPECT_EQ(bps.major, major(st.st_rdev));
  EXPECT_EQ(bps.minor, minor(st.st_rdev));
  EXPECT_EQ(bps.value, 1048576u);

  DeviceLimit iops = parse_device_limit({"--device-write-iops", dev + ":100"}, false);
  EXPECT_EQ(iops.value, 100u);
}

TEST(ParseDeviceLimit, RejectsMalformedValuesNamingTheFlag) {
  struct stat st;
  const std::string dev = some_block_device(st);
  std::vector<std::pair<std::string, bool>> bad = {
      {"nodevice", true},
      {":1mb", true},
      {"/dev/null:", true},
      {"/dev/null:1mb", true},  // a character device
      {"/no/such/device:1mb", true},
  };
  if (!dev.empty()) {
    bad.push_back({dev + ":abc", true});
    bad.push_back({dev + ":0", true});
    bad.push_back({dev + ":1mb", false});  // iops are whole numbers
    bad.push_back({dev + ":-5", false});
  }
  for (const auto& [value, size] : bad) {
    try {
      (void)parse_device_limit({"--device-read-bps", value}, size);
      ADD_FAILURE() << "accepted '" << value << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--device-read-bps"), std::string::npos) << e.what();
    }
  }
}

TEST(ParseDeviceLimit, SaysWhyADeviceIsRefused) {
  try {
    (void)parse_device_limit({"--device-read-bps", "/dev/null:1mb"}, true);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a block device"), std::string::npos) << e.what();
  }
}

// ---- validate_run_options / stop_timeout_seconds ----

RunOptions runnable() {
  RunOptions o;
  o.command = {"true"};
  return o;
}

TEST(ValidateRunOptions, AcceptsAPlainCommand) {
  EXPECT_NO_THROW(validate_run_options(runnable()));
}

TEST(ValidateRunOptions, RequiresACommand) {
  RunOptions o;
  EXPECT_THROW(validate_run_options(o), Error);
  o.command = {""};
  EXPECT_THROW(validate_run_options(o), Error);
}

TEST(ValidateRunOptions, ChecksTheName) {
  for (const std::string good : {"web", "a", "web-1.test_2", "9lives"}) {
    RunOptions o = runnable();
    o.name = good;
    EXPECT_NO_THROW(validate_run_options(o)) << good;
  }
  for (const std::string& bad : std::vector<std::string>{"-web", "_web", ".web", "a b", "a/b",
                                                         "web!", std::string(129, 'a')}) {
    RunOptions o = runnable();
    o.name = bad;
    try {
      validate_run_options(o);
      ADD_FAILURE() << "--name '" << bad << "' was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--name"), std::string::npos) << e.what();
    }
  }
}

TEST(ValidateRunOptions, ChecksTheHostname) {
  RunOptions o = runnable();
  o.hostname = "box-1.local";
  EXPECT_NO_THROW(validate_run_options(o));
  o.hostname = std::string(64, 'h');
  EXPECT_NO_THROW(validate_run_options(o));
  for (const std::string& bad :
       std::vector<std::string>{"a b", "a/b", "a;b", std::string(65, 'h')}) {
    o.hostname = bad;
    try {
      validate_run_options(o);
      ADD_FAILURE() << "--hostname '" << bad << "' was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--hostname"), std::string::npos) << e.what();
    }
  }
}

TEST(ValidateRunOptions, ChecksTheCgroupParent) {
  RunOptions o = runnable();
  o.cgroup_parent = "ci/job";
  EXPECT_NO_THROW(validate_run_options(o));
  o.cgroup_parent = "../x";
  EXPECT_THROW(validate_run_options(o), Error);
}

TEST(ValidateRunOptions, ChecksTheStopTimeout) {
  RunOptions o = runnable();
  for (const std::string bad : {"abc", "-2", "1.5", "", "99999999999"}) {
    o.stop_timeout = FlagValue{"--stop-timeout", bad};
    try {
      validate_run_options(o);
      ADD_FAILURE() << "--stop-timeout '" << bad << "' was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--stop-timeout"), std::string::npos) << e.what();
    }
  }
}

TEST(StopTimeoutSeconds, DefaultsToTen) {
  EXPECT_EQ(stop_timeout_seconds(RunOptions{}), 10);
  EXPECT_EQ(kDefaultStopTimeout, 10);
}

TEST(StopTimeoutSeconds, TakesTheValueGiven) {
  RunOptions o;
  o.stop_timeout = FlagValue{"--stop-timeout", "30"};
  EXPECT_EQ(stop_timeout_seconds(o), 30);
  o.stop_timeout = FlagValue{"--stop-timeout", "0"};
  EXPECT_EQ(stop_timeout_seconds(o), 0);
  o.stop_timeout = FlagValue{"--stop-timeout", "-1"};  // wait for ever
  EXPECT_EQ(stop_timeout_seconds(o), -1);
}

TEST(RunOptionsDefaults, AreDockersDefaults) {
  RunOptions o;
  EXPECT_EQ(o.state_root, "/run/mydocker");
  EXPECT_FALSE(o.interactive);
  EXPECT_FALSE(o.tty);
  EXPECT_TRUE(o.cgroup_parent.empty());
  EXPECT_FALSE(o.stop_timeout.has_value());
}

// The log lives on the state root's tmpfs: without max-size it is capped at docker's `local`
// driver's 20 MiB x 5 (a container's output must not fill host memory); given, it is the user's.
TEST(LogRotation, UnsetSizeGetsADefaultCapAndAGivenOneWins) {
  RunOptions o;
  auto r = log_rotation(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->max_size, 20 << 20);
  EXPECT_EQ(r->max_file, 5);
  o.log_opts = {"max-size=1m"};
  r = log_rotation(o);
  EXPECT_EQ(r->max_size, 1 << 20);
  EXPECT_EQ(r->max_file, 1);
  o.log_driver = "none";
  o.log_opts.clear();
  EXPECT_FALSE(log_rotation(o).has_value());
}

}  // namespace
}  // namespace mydocker
