// The cgroup v1 controllers (memory, cpu, cpuacct, cpuset, pids) on a fake cgroupfs tree.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "mydocker/cgroup/v1/cpu.hpp"
#include "mydocker/cgroup/v1/cpuacct.hpp"
#include "mydocker/cgroup/v1/cpuset.hpp"
#include "mydocker/cgroup/v1/memory.hpp"
#include "mydocker/cgroup/v1/pids.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker::v1 {
namespace {

using test::get_file;
using test::index_of;
using test::put_file;
using test::TraceCapture;
using test::value_of;
using Lines = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// memory

class MemoryTest : public test::FakeCgroupTest {
 protected:
  void SetUp() override {
    FakeCgroupTest::SetUp();
    dir_ = path("memory/c");
  }
  // A memory hierarchy and a container cgroup <root>/memory/c in it.
  void make_tree() {
    fs_->add_root("memory");
    ASSERT_TRUE(fs_->make_dir(dir_));
  }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  // Whether set(r) writes memory.swappiness (what it traces).
  bool writes_swappiness(const Resources& r) {
    TraceCapture capture;
    memory_.set(*fs_, dir_, r);
    const auto lines = capture.lines();
    return std::any_of(lines.begin(), lines.end(), [](const std::string& line) {
      return line.find("memory.swappiness") != std::string::npos;
    });
  }

  std::string dir_;
  Memory memory_;
};

TEST_F(MemoryTest, NeededOnlyForMemoryLimits) {
  Resources r;
  EXPECT_FALSE(memory_.needed(r));
  r.cpu_shares = 512;
  r.pids_limit = 10;
  EXPECT_FALSE(memory_.needed(r));
  r.memory = 1;
  EXPECT_TRUE(memory_.needed(r));
  Resources swappiness;
  swappiness.memory_swappiness = 0;
  EXPECT_TRUE(memory_.needed(swappiness));
  EXPECT_EQ(memory_.name(), "memory");
}

TEST_F(MemoryTest, SetWritesLimitMemswAndSwappinessInThatOrder) {
  make_tree();
  Resources r;
  r.memory = 104857600;
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{
                                 "+ echo 104857600 > " + file("memory.limit_in_bytes"),
                                 "+ echo 104857600 > " + file("memory.memsw.limit_in_bytes"),
                                 "+ echo 0 > " + file("memory.swappiness"),
                             }));
  EXPECT_EQ(value_of(file("memory.limit_in_bytes")), "104857600");
  EXPECT_EQ(value_of(file("memory.memsw.limit_in_bytes")), "104857600");
  EXPECT_EQ(value_of(file("memory.swappiness")), "0");
}

TEST_F(MemoryTest, SetSkipsMemswWithoutSwapAccounting) {
  fs_->set_swap_accounting(false);
  make_tree();
  ASSERT_FALSE(fs_->exists(file("memory.memsw.limit_in_bytes")));
  Resources r;
  r.memory = 104857600;
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{
                                 "+ echo 104857600 > " + file("memory.limit_in_bytes"),
                                 "+ echo 0 > " + file("memory.swappiness"),
                             }));
  EXPECT_FALSE(fs_->exists(file("memory.memsw.limit_in_bytes")));
  // Unlimited swap is what such a kernel gives anyway: taken (docker's), nothing written.
  Resources unlimited;
  unlimited.memory_swap = -1;
  EXPECT_NO_THROW(memory_.check(*fs_, dir_, unlimited));
  unlimited.memory_swap = 209715200;
  EXPECT_THROW(memory_.check(*fs_, dir_, unlimited), Error);
}

TEST_F(MemoryTest, SetWithoutAMemoryLimitWritesNothing) {
  make_tree();
  const auto before = test::snapshot_tree(root_);
  Resources r;
  r.cpu_quota = 20000;
  TraceCapture capture;

  memory_.set(*fs_, dir_, r);

  EXPECT_EQ(capture.text(), "");
  EXPECT_EQ(test::snapshot_tree(root_), before);
}

TEST_F(MemoryTest, SetInDryRunProbesTheParentForMemsw) {
  // --dry-run: the container's directory does not exist; the parent says what files there are.
  fs_->set_swap_accounting(false);
  fs_->add_root("memory");
  const test::FakeCgroupFs dry(root_, /*dry_run=*/true);
  Resources r;
  r.memory = 1048576;
  TraceCapture capture;

  memory_.set(dry, dir_, r);

  EXPECT_EQ(capture.lines(), (Lines{
                                 "+ echo 1048576 > " + file("memory.limit_in_bytes"),
                                 "+ echo 0 > " + file("memory.swappiness"),
                             }));
  EXPECT_FALSE(fs_->exists(dir_));
}

TEST_F(MemoryTest, SetFailsWhenTheLimitFileIsMissing) {
  // Not a memory cgroup (no interface files): the write must not create one.
  ASSERT_TRUE(fs_->make_dir(path("plain")));
  Resources r;
  r.memory = 1024;
  EXPECT_THROW(memory_.set(*fs_, path("plain"), r), FsError);
  EXPECT_FALSE(fs_->exists(path("plain/memory.limit_in_bytes")));
}

TEST_F(MemoryTest, StatsReadsLimitUsagePeakFailcntAndOomKills) {
  make_tree();
  put_file(file("memory.limit_in_bytes"), "104857600\n");
  put_file(file("memory.usage_in_bytes"), "5242880\n");
  put_file(file("memory.max_usage_in_bytes"), "104853504\n");
  put_file(file("memory.failcnt"), "17\n");
  put_file(file("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  Stats stats;

  memory_.stats(*fs_, dir_, stats);

  ASSERT_TRUE(stats.memory.has_value());
  EXPECT_EQ(stats.memory->limit, 104857600);
  EXPECT_EQ(stats.memory->usage, 5242880u);
  EXPECT_EQ(stats.memory->peak, 104853504u);
  EXPECT_EQ(stats.memory->failcnt, 17u);
  EXPECT_EQ(stats.memory->oom_kills, 2u);
  EXPECT_FALSE(stats.cpu.has_value());
}

TEST_F(MemoryTest, StatsReportsTheKernelsHugeDefaultAsNoLimit) {
  make_tree();  // memory.limit_in_bytes: 9223372036854771712
  Stats stats;
  memory_.stats(*fs_, dir_, stats);
  ASSERT_TRUE(stats.memory.has_value());
  EXPECT_EQ(stats.memory->limit, std::nullopt);
  EXPECT_EQ(stats.memory->oom_kills, 0u);
}

TEST_F(MemoryTest, OomReportCountsKillsAndReportsLimitAndPeak) {
  make_tree();
  put_file(file("memory.limit_in_bytes"), "104857600\n");
  put_file(file("memory.max_usage_in_bytes"), "104857600\n");
  put_file(file("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");

  MemoryStats m = Memory::oom_report(*fs_, dir_);

  EXPECT_EQ(m.oom_kills, 2u);
  EXPECT_EQ(m.limit, 104857600);
  EXPECT_EQ(m.peak, 104857600u);
}

TEST_F(MemoryTest, OomReportReadsAnOomKillLineAnywhereInTheFile) {
  make_tree();
  put_file(file("memory.oom_control"), "oom_kill 2\n");
  EXPECT_EQ(Memory::oom_report(*fs_, dir_).oom_kills, 2u);
}

TEST_F(MemoryTest, OomReportWithoutKillsSkipsLimitAndPeak) {
  make_tree();
  put_file(file("memory.limit_in_bytes"), "104857600\n");
  put_file(file("memory.max_usage_in_bytes"), "4096\n");

  MemoryStats m = Memory::oom_report(*fs_, dir_);

  EXPECT_EQ(m.oom_kills, 0u);
  EXPECT_EQ(m.limit, std::nullopt);
  EXPECT_EQ(m.peak, 0u);
}

TEST_F(MemoryTest, OomReportOnKernelsWithoutTheOomKillLine) {
  // Before Linux 4.13 memory.oom_control has no oom_kill line.
  make_tree();
  put_file(file("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\n");
  EXPECT_EQ(Memory::oom_report(*fs_, dir_).oom_kills, 0u);
}

TEST_F(MemoryTest, OomReportDoesNotMistakeOomKillDisableForOomKill) {
  make_tree();
  put_file(file("memory.oom_control"), "oom_kill_disable 1\nunder_oom 1\noom_kill 0\n");
  EXPECT_EQ(Memory::oom_report(*fs_, dir_).oom_kills, 0u);
}

TEST_F(MemoryTest, OomReportOfAMissingCgroupIsZero) {
  EXPECT_EQ(Memory::oom_report(*fs_, path("memory/missing")).oom_kills, 0u);
}

TEST_F(MemoryTest, MemorySwapIsWrittenToMemsw) {
  make_tree();
  Resources r;
  r.memory = 104857600;
  r.memory_swap = 209715200;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(value_of(file("memory.limit_in_bytes")), "104857600");
  EXPECT_EQ(value_of(file("memory.memsw.limit_in_bytes")), "209715200");
}

TEST_F(MemoryTest, UnlimitedSwapWritesMinusOneToMemsw) {
  make_tree();
  Resources r;
  r.memory = 104857600;
  r.memory_swap = -1;
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_GE(index_of(capture.lines(), "+ echo -1 > " + file("memory.memsw.limit_in_bytes")), 0);
}

TEST_F(MemoryTest, MemorySwapWithoutSwapAccountingFails) {
  fs_->set_swap_accounting(false);
  make_tree();
  Resources r;
  r.memory = 104857600;
  r.memory_swap = 209715200;
  TraceCapture capture;

  try {
    memory_.set(*fs_, dir_, r);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("swapaccount=1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(capture.text(), "");  // checked before anything is written
}

TEST_F(MemoryTest, ReservationIsTheSoftLimit) {
  make_tree();
  Resources r;
  r.memory_reservation = 52428800;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(value_of(file("memory.soft_limit_in_bytes")), "52428800");
  EXPECT_EQ(value_of(file("memory.limit_in_bytes")), "9223372036854771712");  // untouched
}

TEST_F(MemoryTest, ExplicitSwappinessWinsOverTheDefaultZero) {
  make_tree();
  Resources r;
  r.memory = 104857600;
  r.memory_swappiness = 30;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(value_of(file("memory.swappiness")), "30");
}

// An OCI bundle's memory limit leaves swappiness as inherited (runc's), so the swap its memsw
// limit allows can be used.
TEST_F(MemoryTest, AnOciLimitLeavesSwappinessAlone) {
  make_tree();
  Resources r;
  r.memory = 104857600;
  r.inherit_swappiness = true;
  EXPECT_FALSE(writes_swappiness(r));
}

// --memory-swap above -m (or -1) grants swap: swappiness 0 would keep the cgroup from ever
// using it (v1 reclaim at the limit then skips anonymous pages), so it stays as inherited.
TEST_F(MemoryTest, SwapGrantedLeavesSwappinessAlone) {
  make_tree();
  for (const int64_t swap : {int64_t{209715200}, int64_t{-1}}) {
    Resources r;
    r.memory = 104857600;
    r.memory_swap = swap;
    EXPECT_FALSE(writes_swappiness(r)) << swap;
  }
  Resources none;  // memory+swap equal to memory: no swap, swappiness 0 as with -m alone
  none.memory = none.memory_swap = 104857600;
  memory_.set(*fs_, dir_, none);
  EXPECT_EQ(value_of(file("memory.swappiness")), "0");
}

TEST_F(MemoryTest, SwappinessWithoutTheFileFails) {
  make_tree();
  std::filesystem::remove(file("memory.swappiness"));
  Resources r;
  r.memory_swappiness = 30;
  EXPECT_THROW(memory_.set(*fs_, dir_, r), Error);
}

TEST_F(MemoryTest, OomKillDisableWritesOomControl) {
  // Dry-run: a fake file cannot show what the kernel shows after "echo 1 > memory.oom_control".
  fs_->add_root("memory");
  const test::FakeCgroupFs dry(root_, /*dry_run=*/true);
  Resources r;
  r.oom_kill_disable = true;
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(dry, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{"+ echo 1 > " + file("memory.oom_control")}));
}

TEST_F(MemoryTest, StatsPrefersTheHierarchicalTotals) {
  make_tree();
  put_file(file("memory.stat"),
           "cache 1\nrss 2\nswap 3\ninactive_file 4\n"
           "total_cache 10\ntotal_rss 20\ntotal_swap 30\ntotal_inactive_file 40\n");
  put_file(file("memory.usage_in_bytes"), "100\n");
  Stats stats;

  memory_.stats(*fs_, dir_, stats);

  ASSERT_TRUE(stats.memory.has_value());
  EXPECT_EQ(stats.memory->cache, 10u);
  EXPECT_EQ(stats.memory->rss, 20u);
  EXPECT_EQ(stats.memory->swap, 30u);
  EXPECT_EQ(stats.memory->inactive_file, 40u);
  EXPECT_EQ(stats.memory->used(), 60u);
}

TEST_F(MemoryTest, StatsWithoutTotalsUsesTheLocalCounters) {
  make_tree();
  put_file(file("memory.stat"), "cache 1\nrss 2\n");
  Stats stats;
  memory_.stats(*fs_, dir_, stats);
  ASSERT_TRUE(stats.memory.has_value());
  EXPECT_EQ(stats.memory->cache, 1u);
  EXPECT_EQ(stats.memory->rss, 2u);
}

// ---------------------------------------------------------------------------------------------
// cpu and cpuacct

class CpuTest : public test::FakeCgroupTest {
 protected:
  void make_tree(const std::string& mount = "cpu") {
    fs_->add_root(mount);
    dir_ = path(mount + "/c");
    ASSERT_TRUE(fs_->make_dir(dir_));
  }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
  Cpu cpu_;
  Cpuacct cpuacct_;
};

TEST_F(CpuTest, NeededForQuotaPeriodOrShares) {
  Resources r;
  EXPECT_FALSE(cpu_.needed(r));
  r.memory = 1 << 20;
  r.cpuset_cpus = "0";
  EXPECT_FALSE(cpu_.needed(r));
  Resources q;
  q.cpu_quota = 20000;
  EXPECT_TRUE(cpu_.needed(q));
  Resources s;
  s.cpu_shares = 512;
  EXPECT_TRUE(cpu_.needed(s));
  Resources p;
  p.cpu_period = 100000;
  EXPECT_TRUE(cpu_.needed(p));
  EXPECT_FALSE(cpuacct_.needed(q));
}

TEST_F(CpuTest, SetWritesPeriodBeforeQuotaThenShares) {
  make_tree();
  Resources r;
  r.cpu_quota = 20000;
  r.cpu_period = 100000;
  r.cpu_shares = 512;
  TraceCapture capture;

  EXPECT_NO_THROW(cpu_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{
                                 "+ echo 100000 > " + file("cpu.cfs_period_us"),
                                 "+ echo 20000 > " + file("cpu.cfs_quota_us"),
                                 "+ echo 512 > " + file("cpu.shares"),
                             }));
  EXPECT_EQ(value_of(file("cpu.cfs_quota_us")), "20000");
  EXPECT_EQ(value_of(file("cpu.cfs_period_us")), "100000");
  EXPECT_EQ(value_of(file("cpu.shares")), "512");
}

TEST_F(CpuTest, SetWritesOnlyWhatIsRequested) {
  make_tree();
  Resources r;
  r.cpu_shares = 2048;
  TraceCapture capture;

  cpu_.set(*fs_, dir_, r);

  EXPECT_EQ(capture.lines(), (Lines{"+ echo 2048 > " + file("cpu.shares")}));
  EXPECT_EQ(value_of(file("cpu.cfs_quota_us")), "-1");
}

TEST_F(CpuTest, SetWithNoCpuLimitWritesNothing) {
  make_tree();
  Resources r;
  r.memory = 1 << 20;
  TraceCapture capture;
  cpu_.set(*fs_, dir_, r);
  EXPECT_EQ(capture.text(), "");
}

TEST_F(CpuTest, StatsReadsThrottling) {
  make_tree();
  put_file(file("cpu.stat"), "nr_periods 120\nnr_throttled 37\nthrottled_time 4500000000\n");
  Stats stats;

  cpu_.stats(*fs_, dir_, stats);

  ASSERT_TRUE(stats.cpu.has_value());
  EXPECT_EQ(stats.cpu->nr_periods, 120u);
  EXPECT_EQ(stats.cpu->nr_throttled, 37u);
  EXPECT_EQ(stats.cpu->throttled_ns, 4500000000u);
  EXPECT_FALSE(stats.memory.has_value());
}

TEST_F(CpuTest, CpuacctStatsReadsUsage) {
  make_tree("cpuacct");
  put_file(file("cpuacct.usage"), "123456789\n");
  Stats stats;

  cpuacct_.stats(*fs_, dir_, stats);

  ASSERT_TRUE(stats.cpu.has_value());
  EXPECT_EQ(stats.cpu->usage_ns, 123456789u);
}

TEST_F(CpuTest, CoMountedCpuAndCpuacctFillOneCpuStats) {
  make_tree("cpu,cpuacct");
  put_file(file("cpu.stat"), "nr_periods 10\nnr_throttled 5\nthrottled_time 7\n");
  put_file(file("cpuacct.usage"), "99\n");
  Stats stats;

  cpu_.stats(*fs_, dir_, stats);
  cpuacct_.stats(*fs_, dir_, stats);

  ASSERT_TRUE(stats.cpu.has_value());
  EXPECT_EQ(stats.cpu->nr_periods, 10u);
  EXPECT_EQ(stats.cpu->nr_throttled, 5u);
  EXPECT_EQ(stats.cpu->throttled_ns, 7u);
  EXPECT_EQ(stats.cpu->usage_ns, 99u);
}

TEST_F(CpuTest, StatsOfAMissingCgroupAddNothing) {
  Stats stats;
  cpu_.stats(*fs_, path("cpu/missing"), stats);
  cpuacct_.stats(*fs_, path("cpuacct/missing"), stats);
  EXPECT_FALSE(stats.cpu.has_value());
}

TEST_F(CpuTest, RealTimeLimitsNeedRtGroupScheduling) {
  make_tree();  // the fake kernel has no cpu.rt_runtime_us (no CONFIG_RT_GROUP_SCHED)
  Resources r;
  r.cpu_rt_runtime = 10000;
  try {
    cpu_.set(*fs_, dir_, r);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CONFIG_RT_GROUP_SCHED"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cpu_.prepare(*fs_, dir_, r), Error);
}

TEST_F(CpuTest, PrepareWithoutARealTimeRuntimeDoesNothing) {
  make_tree();
  Resources r = Resources{};
  r.cpu_quota = 20000;
  TraceCapture capture;
  cpu_.prepare(*fs_, dir_, r);
  EXPECT_EQ(capture.text(), "");
}

TEST_F(CpuTest, CpuacctStatsConvertsUserAndSystemTicks) {
  make_tree("cpuacct");
  put_file(file("cpuacct.stat"), "user 150\nsystem 50\n");
  const uint64_t ns_per_tick = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  Stats stats;

  cpuacct_.stats(*fs_, dir_, stats);

  ASSERT_TRUE(stats.cpu.has_value());
  EXPECT_EQ(stats.cpu->user_ns, 150 * ns_per_tick);
  EXPECT_EQ(stats.cpu->system_ns, 50 * ns_per_tick);
}

// ---------------------------------------------------------------------------------------------
// cpuset

class CpusetTest : public test::FakeCgroupTest {
 protected:
  // <root>/cpuset (cpus 0-3, mems 0) / a (new: empty) / c (new: empty)
  void make_tree() {
    fs_->add_root("cpuset");
    ASSERT_TRUE(fs_->make_dir(path("cpuset/a")));
    ASSERT_TRUE(fs_->make_dir(path("cpuset/a/c")));
  }
  std::string read(const std::string& rel) const { return get_file(path(rel)); }

  Cpuset cpuset_;
};

TEST_F(CpusetTest, NeededOnlyForACpuList) {
  Resources r;
  r.cpu_quota = 1000;
  EXPECT_FALSE(cpuset_.needed(r));
  r.cpuset_cpus = "0";
  EXPECT_TRUE(cpuset_.needed(r));
}

TEST_F(CpusetTest, ANewCpusetCgroupStartsEmpty) {
  make_tree();
  EXPECT_EQ(read("cpuset/a/c/cpuset.cpus"), "");
  EXPECT_EQ(read("cpuset/a/c/cpuset.mems"), "");
}

TEST_F(CpusetTest, SetWithoutARequestCopiesTheNearestNonEmptyAncestor) {
  make_tree();  // a is empty: the values come from the root
  TraceCapture capture;

  cpuset_.set(*fs_, path("cpuset/a/c"), Resources{});

  EXPECT_EQ(read("cpuset/a/c/cpuset.cpus"), "0-3");
  EXPECT_EQ(read("cpuset/a/c/cpuset.mems"), "0");
  EXPECT_EQ(capture.lines(), (Lines{
                                 "+ echo 0-3 > " + path("cpuset/a/c/cpuset.cpus"),
                                 "+ echo 0 > " + path("cpuset/a/c/cpuset.mems"),
                             }));
}

TEST_F(CpusetTest, SetWithoutARequestPrefersTheParentsOwnValues) {
  make_tree();
  put_file(path("cpuset/a/cpuset.cpus"), "1-2\n");
  put_file(path("cpuset/a/cpuset.mems"), "0\n");

  cpuset_.set(*fs_, path("cpuset/a/c"), Resources{});

  EXPECT_EQ(read("cpuset/a/c/cpuset.cpus"), "1-2");
  EXPECT_EQ(read("cpuset/a/c/cpuset.mems"), "0");
}

TEST_F(CpusetTest, SetWritesTheRequestedCpus) {
  make_tree();
  Resources r;
  r.cpuset_cpus = "1,3";

  cpuset_.set(*fs_, path("cpuset/a/c"), r);

  EXPECT_EQ(read("cpuset/a/c/cpuset.cpus"), "1,3");
  EXPECT_EQ(read("cpuset/a/c/cpuset.mems"), "0");  // mems always inherited
}

TEST_F(CpusetTest, PrepareFillsAFreshDirectoryFromItsParentChain) {
  make_tree();
  TraceCapture capture;

  cpuset_.prepare(*fs_, path("cpuset/a"), Resources{});

  EXPECT_EQ(read("cpuset/a/cpuset.cpus"), "0-3");
  EXPECT_EQ(read("cpuset/a/cpuset.mems"), "0");
  EXPECT_EQ(capture.lines().size(), 2u);
}

TEST_F(CpusetTest, EffectiveCpusOfTheRoot) {
  fs_->add_root("cpuset");
  EXPECT_EQ(Cpuset::effective(*fs_, path("cpuset"), "cpus"), (CpuSet{0, 1, 2, 3}));
}

TEST_F(CpusetTest, EffectiveCpusComeFromTheNearestNonEmptyAncestor) {
  make_tree();
  EXPECT_EQ(Cpuset::effective(*fs_, path("cpuset/a/c"), "cpus"), (CpuSet{0, 1, 2, 3}));
  put_file(path("cpuset/a/cpuset.effective_cpus"), "1,3\n");
  EXPECT_EQ(Cpuset::effective(*fs_, path("cpuset/a/c"), "cpus"), (CpuSet{1, 3}));
  EXPECT_EQ(Cpuset::effective(*fs_, path("cpuset/a"), "cpus"), (CpuSet{1, 3}));
}

TEST_F(CpusetTest, EffectiveCpusFallBackToCpusetCpus) {
  // Old kernels have no cpuset.effective_cpus.
  make_tree();
  for (const char* d : {"cpuset", "cpuset/a", "cpuset/a/c"})
    std::filesystem::remove(path(std::string(d) + "/cpuset.effective_cpus"));
  put_file(path("cpuset/a/cpuset.cpus"), "2-3\n");
  EXPECT_EQ(Cpuset::effective(*fs_, path("cpuset/a/c"), "cpus"), (CpuSet{2, 3}));
}

TEST_F(CpusetTest, InheritedValueWalksUpToTheFirstNonEmptyValue) {
  make_tree();
  EXPECT_EQ(inherited_value(*fs_, path("cpuset/a/c"), "cpuset.mems"), "0");
  put_file(path("cpuset/a/cpuset.mems"), "0-1\n");
  EXPECT_EQ(inherited_value(*fs_, path("cpuset/a/c"), "cpuset.mems"), "0-1");
  EXPECT_EQ(inherited_value(*fs_, path("cpuset/a/c"), "no.such.file"), "");
}

TEST_F(CpusetTest, SetWritesTheRequestedMemoryNodes) {
  make_tree();
  Resources r;
  r.cpuset_mems = "0";
  TraceCapture capture;

  EXPECT_NO_THROW(cpuset_.set(*fs_, path("cpuset/a/c"), r));

  EXPECT_EQ(read("cpuset/a/c/cpuset.cpus"), "0-3");
  EXPECT_EQ(read("cpuset/a/c/cpuset.mems"), "0");
}

TEST_F(CpusetTest, EffectiveMemoryNodes) {
  make_tree();
  // The fake has no cpuset.effective_mems: the nearest non-empty cpuset.mems.
  EXPECT_EQ(Cpuset::effective(*fs_, path("cpuset/a/c"), "mems"), (CpuSet{0}));
  put_file(path("cpuset/a/cpuset.effective_mems"), "0-1\n");
  EXPECT_EQ(Cpuset::effective(*fs_, path("cpuset/a/c"), "mems"), (CpuSet{0, 1}));
}

// ---------------------------------------------------------------------------------------------
// pids

class PidsTest : public test::FakeCgroupTest {
 protected:
  void SetUp() override {
    FakeCgroupTest::SetUp();
    fs_->add_root("pids");
    dir_ = path("pids/c");
    ASSERT_TRUE(fs_->make_dir(dir_));
  }
  std::string dir_;
  Pids pids_;
};

TEST_F(PidsTest, SetWritesPidsMax) {
  Resources r;
  r.pids_limit = 100;
  EXPECT_NO_THROW(pids_.set(*fs_, dir_, r));
  EXPECT_EQ(value_of(dir_ + "/pids.max"), "100");
}

TEST_F(PidsTest, UnlimitedIsMax) {
  Resources r;
  r.pids_limit = -1;
  EXPECT_NO_THROW(pids_.set(*fs_, dir_, r));
  EXPECT_EQ(value_of(dir_ + "/pids.max"), "max");
}

TEST_F(PidsTest, NoLimitWritesNothing) {
  TraceCapture capture;
  pids_.set(*fs_, dir_, Resources{});
  EXPECT_EQ(capture.text(), "");
  EXPECT_FALSE(pids_.needed(Resources{}));
}

TEST_F(PidsTest, StatsReadCurrentPeakAndLimit) {
  put_file(dir_ + "/pids.current", "7\n");
  put_file(dir_ + "/pids.max", "100\n");
  Stats stats;
  pids_.stats(*fs_, dir_, stats);
  ASSERT_TRUE(stats.pids.has_value());
  EXPECT_EQ(stats.pids->current, 7u);
  EXPECT_EQ(stats.pids->limit, 100);
  EXPECT_FALSE(stats.pids->peak.has_value());  // no pids.peak on this kernel

  put_file(dir_ + "/pids.peak", "9\n");
  put_file(dir_ + "/pids.max", "max\n");
  Stats again;
  pids_.stats(*fs_, dir_, again);
  ASSERT_TRUE(again.pids.has_value());
  EXPECT_EQ(again.pids->peak, 9u);
  EXPECT_EQ(again.pids->limit, std::nullopt);
}

}  // namespace
}  // namespace mydocker::v1
