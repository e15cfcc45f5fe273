// The cgroup v2 controllers (memory, cpu, cpuset, pids, io) on a fake cgroup2 leaf directory:
// what they write, in v2's files and units, and what they read back as stats.
//
// The fake is an ordinary filesystem: a file reads back exactly what was last written, and
// io.max/io.weight are not reformatted as the kernel does. Assertions are about what mydocker
// writes (trace lines, file contents) and how it parses what the kernel would show.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "mydocker/cgroup/resources.hpp"
#include "mydocker/cgroup/v2/controllers.hpp"
#include "mydocker/util/error.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker::v2 {
namespace {

using test::index_of;
using test::put_file;
using test::TraceCapture;
using test::value_of;
using Lines = std::vector<std::string>;

constexpr int64_t kMiB = 1024 * 1024;

// A cgroup2 mount at <tmp>/cg2 whose root enables every controller for its children, and a
// container's leaf <tmp>/cg2/c made by make_leaf() (so a test can first turn swap accounting
// off).
class V2ControllerTest : public test::FakeCgroupTest {
 protected:
  void SetUp() override {
    FakeCgroupTest::SetUp();
    mount_ = path("cg2");
    dir_ = mount_ + "/c";
    fs_->add_v2_root("cg2");
    put_file(mount_ + "/cgroup.subtree_control", "cpuset cpu io memory pids\n");
  }
  void make_leaf() { ASSERT_TRUE(fs_->make_dir(dir_)); }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  // The trace line of Fs::write("value" > file(name)), quoted as --trace quotes it.
  std::string echo(const std::string& value, const std::string& name) const {
    return "+ echo " + trace::quote(value) + " > " + file(name);
  }

  std::string mount_;
  std::string dir_;
};

// ---------------------------------------------------------------------------------------------
// the fake itself: a leaf has the files the brief's kernel gives it

TEST_F(V2ControllerTest, FakeLeafHasTheInterfaceFilesOfTheEnabledControllers) {
  make_leaf();

  for (const char* f : {"memory.max",
                        "memory.swap.max",
                        "memory.low",
                        "memory.current",
                        "memory.peak",
                        "memory.events",
                        "memory.stat",
                        "memory.swap.current",
                        "cpu.max",
                        "cpu.weight",
                        "cpu.stat",
                        "cpuset.cpus",
                        "cpuset.mems",
                        "cpuset.cpus.effective",
                        "cpuset.mems.effective",
                        "pids.max",
                        "pids.current",
                        "pids.peak",
                        "io.max",
                        "io.weight",
                        "io.stat",
                        "cgroup.procs",
                        "cgroup.kill",
                        "cgroup.freeze",
                        "cgroup.events",
                        "cgroup.controllers",
                        "cgroup.subtree_control"})
    EXPECT_TRUE(fs_->exists(file(f))) << f;
  EXPECT_EQ(value_of(file("cgroup.controllers")), "cpuset cpu io memory pids");
  EXPECT_EQ(value_of(file("cpuset.cpus.effective")), "0-3");
}

TEST_F(V2ControllerTest, FakeLeafHasNoSwapFilesWithoutSwapAccounting) {
  fs_->set_swap_accounting(false);
  make_leaf();

  EXPECT_TRUE(fs_->exists(file("memory.max")));
  EXPECT_FALSE(fs_->exists(file("memory.swap.max")));
  EXPECT_FALSE(fs_->exists(file("memory.swap.current")));
}

// ---------------------------------------------------------------------------------------------
// memory

class V2MemoryTest : public V2ControllerTest {
 protected:
  Memory memory_;
};

TEST_F(V2MemoryTest, NameAndNeeded) {
  EXPECT_EQ(memory_.name(), "memory");
  Resources r;
  EXPECT_FALSE(memory_.needed(r));
  r.cpu_shares = 512;
  r.pids_limit = 10;
  EXPECT_FALSE(memory_.needed(r));
  for (auto set : {+[](Resources& x) { x.memory = 1; }, +[](Resources& x) { x.memory_swap = -1; },
                   +[](Resources& x) { x.memory_reservation = 1; }}) {
    Resources one;
    set(one);
    EXPECT_TRUE(memory_.needed(one));
  }
}

TEST_F(V2MemoryTest, SetWritesMemoryMaxAndNoSwapBeyondTheLimitByDefault) {
  make_leaf();
  Resources r;
  r.memory = 100 * kMiB;
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(),
            (Lines{echo("104857600", "memory.max"), echo("0", "memory.swap.max")}));
  EXPECT_EQ(value_of(file("memory.max")), "104857600");
  EXPECT_EQ(value_of(file("memory.swap.max")), "0");
  EXPECT_EQ(value_of(file("memory.low")), "0");  // no reservation: untouched
}

TEST_F(V2MemoryTest, SetVerifiesMemoryMaxAgainstTheValueRoundedDownToAPage) {
  // The kernel keeps memory.max in pages: it reads back rounded down. The fake reads back what
  // was written, so the check fails and its message shows the page-rounded expectation.
  make_leaf();
  const int64_t page = ::sysconf(_SC_PAGESIZE);
  const int64_t unaligned = 100 * kMiB + 1;
  const std::string rounded = std::to_string(unaligned / page * page);
  Resources r;
  r.memory = unaligned;
  TraceCapture capture;

  try {
    memory_.set(*fs_, dir_, r);
    FAIL() << "no exception";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("(expected \"" + rounded + "\")"), std::string::npos) << what;
  }
  EXPECT_EQ(capture.lines(), (Lines{echo(std::to_string(unaligned), "memory.max")}));
}

TEST_F(V2MemoryTest, SetAcceptsAPageAlignedLimitThatReadsBackUnchanged) {
  make_leaf();
  const int64_t page = ::sysconf(_SC_PAGESIZE);
  Resources r;
  r.memory = 1000 * page;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(value_of(file("memory.max")), std::to_string(1000 * page));
}

TEST_F(V2MemoryTest, MemorySwapIsConvertedFromDockersMemoryPlusSwapToSwapAlone) {
  make_leaf();
  Resources r;
  r.memory = 100 * kMiB;
  r.memory_swap = 300 * kMiB;
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(),
            (Lines{echo("104857600", "memory.max"), echo("209715200", "memory.swap.max")}));
  EXPECT_EQ(value_of(file("memory.swap.max")), "209715200");
}

TEST_F(V2MemoryTest, MemorySwapEqualToMemoryMeansNoSwap) {
  make_leaf();
  Resources r;
  r.memory = 100 * kMiB;
  r.memory_swap = 100 * kMiB;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(value_of(file("memory.swap.max")), "0");
}

TEST_F(V2MemoryTest, MemorySwapMinusOneIsUnlimitedSwap) {
  make_leaf();
  Resources r;
  r.memory = 100 * kMiB;
  r.memory_swap = -1;
  put_file(file("memory.swap.max"), "0\n");  // so the write is visible
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(),
            (Lines{echo("104857600", "memory.max"), echo("max", "memory.swap.max")}));
  EXPECT_EQ(value_of(file("memory.swap.max")), "max");
}

TEST_F(V2MemoryTest, MemorySwapMinusOneWithoutAMemoryLimitIsUnlimitedSwap) {
  make_leaf();
  Resources r;
  r.memory_swap = -1;
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{echo("max", "memory.swap.max")}));
  EXPECT_EQ(value_of(file("memory.max")), "max");
}

TEST_F(V2MemoryTest, MemorySwapBelowTheMemoryLimitFails) {
  make_leaf();
  Resources r;
  r.memory = 100 * kMiB;
  r.memory_swap = 50 * kMiB;

  EXPECT_THROW(memory_.set(*fs_, dir_, r), Error);

  EXPECT_EQ(value_of(file("memory.swap.max")), "max");
}

TEST_F(V2MemoryTest, MemorySwapWithoutAMemoryLimitFails) {
  make_leaf();
  Resources r;
  r.memory_swap = 200 * kMiB;

  EXPECT_THROW(memory_.set(*fs_, dir_, r), Error);

  EXPECT_EQ(value_of(file("memory.swap.max")), "max");
}

TEST_F(V2MemoryTest, WithoutSwapAccountingAMemoryLimitWritesOnlyMemoryMax) {
  fs_->set_swap_accounting(false);
  make_leaf();
  Resources r;
  r.memory = 100 * kMiB;
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{echo("104857600", "memory.max")}));
  EXPECT_FALSE(fs_->exists(file("memory.swap.max")));  // never created by a write
}

TEST_F(V2MemoryTest, MemorySwapWithoutSwapAccountingFails) {
  fs_->set_swap_accounting(false);
  make_leaf();
  Resources r;
  r.memory = 100 * kMiB;
  r.memory_swap = 200 * kMiB;

  try {
    memory_.set(*fs_, dir_, r);
    FAIL() << "no exception";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--memory-swap"), std::string::npos) << what;
    EXPECT_NE(what.find("memory.swap.max"), std::string::npos) << what;
  }
  EXPECT_FALSE(fs_->exists(file("memory.swap.max")));
}

TEST_F(V2MemoryTest, ReservationGoesToMemoryLow) {
  make_leaf();
  Resources r;
  r.memory_reservation = 50 * kMiB;
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{echo("52428800", "memory.low")}));
  EXPECT_EQ(value_of(file("memory.low")), "52428800");
  EXPECT_EQ(value_of(file("memory.max")), "max");
  EXPECT_EQ(value_of(file("memory.swap.max")), "max");  // no limit: swap left alone
}

TEST_F(V2MemoryTest, LimitSwapAndReservationAreWrittenInThatOrder) {
  make_leaf();
  Resources r;
  r.memory = 100 * kMiB;
  r.memory_swap = 200 * kMiB;
  r.memory_reservation = 50 * kMiB;
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(),
            (Lines{echo("104857600", "memory.max"), echo("104857600", "memory.swap.max"),
                   echo("52428800", "memory.low")}));
}

TEST_F(V2MemoryTest, SetWithoutMemoryLimitsWritesNothing) {
  make_leaf();
  Resources r;
  r.cpu_shares = 512;
  TraceCapture capture;

  EXPECT_NO_THROW(memory_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.text(), "");
}

TEST_F(V2MemoryTest, StatsReadTheV2Files) {
  make_leaf();
  put_file(file("memory.max"), "104857600\n");
  put_file(file("memory.current"), "4096000\n");
  put_file(file("memory.peak"), "8192000\n");
  put_file(file("memory.events"), "low 0\nhigh 0\nmax 5\noom 1\noom_kill 2\n");
  put_file(file("memory.stat"), "anon 3000\nfile 2000\nkernel 77\ninactive_file 500\n");
  put_file(file("memory.swap.current"), "1024\n");
  Stats out;

  memory_.stats(*fs_, dir_, out);

  ASSERT_TRUE(out.memory.has_value());
  const MemoryStats& m = *out.memory;
  EXPECT_EQ(m.limit, 104857600);
  EXPECT_EQ(m.usage, 4096000u);
  EXPECT_EQ(m.peak, 8192000u);
  EXPECT_EQ(m.failcnt, 5u);  // memory.events "max": times the limit was hit
  EXPECT_EQ(m.oom_kills, 2u);
  EXPECT_EQ(m.rss, 3000u);    // "anon"
  EXPECT_EQ(m.cache, 2000u);  // "file"
  EXPECT_EQ(m.inactive_file, 500u);
  EXPECT_EQ(m.swap, 1024u);
  EXPECT_EQ(m.used(), 4096000u - 500u);
}

TEST_F(V2MemoryTest, StatsOfAnUnlimitedFreshCgroupHaveNoLimitAndZeros) {
  make_leaf();
  Stats out;

  memory_.stats(*fs_, dir_, out);

  ASSERT_TRUE(out.memory.has_value());
  EXPECT_EQ(out.memory->limit, std::nullopt);  // "max"
  EXPECT_EQ(out.memory->usage, 0u);
  EXPECT_EQ(out.memory->failcnt, 0u);
  EXPECT_EQ(out.memory->oom_kills, 0u);
  EXPECT_EQ(out.memory->swap, 0u);
}

TEST_F(V2MemoryTest, StatsWithoutSwapAccountingReportNoSwap) {
  fs_->set_swap_accounting(false);
  make_leaf();
  put_file(file("memory.current"), "4096\n");
  Stats out;

  memory_.stats(*fs_, dir_, out);

  ASSERT_TRUE(out.memory.has_value());
  EXPECT_EQ(out.memory->usage, 4096u);
  EXPECT_EQ(out.memory->swap, 0u);
}

TEST_F(V2MemoryTest, OomReportWithoutAKillHasNoLimitOrPeak) {
  make_leaf();
  put_file(file("memory.max"), "104857600\n");
  put_file(file("memory.peak"), "8192000\n");
  put_file(file("memory.events"), "low 0\nhigh 0\nmax 9\noom 0\noom_kill 0\n");

  MemoryStats m = Memory::oom_report(*fs_, dir_);

  EXPECT_EQ(m.oom_kills, 0u);
  EXPECT_EQ(m.limit, std::nullopt);
  EXPECT_EQ(m.peak, 0u);
}

TEST_F(V2MemoryTest, OomReportWithKillsHasTheLimitAndPeak) {
  make_leaf();
  put_file(file("memory.max"), "104857600\n");
  put_file(file("memory.peak"), "104857600\n");
  put_file(file("memory.events"), "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\n");

  MemoryStats m = Memory::oom_report(*fs_, dir_);

  EXPECT_EQ(m.oom_kills, 2u);
  EXPECT_EQ(m.limit, 104857600);
  EXPECT_EQ(m.peak, 104857600u);
}

TEST_F(V2MemoryTest, OomReportOfAMissingCgroupIsEmpty) {
  MemoryStats m = Memory::oom_report(*fs_, dir_);  // never created

  EXPECT_EQ(m.oom_kills, 0u);
  EXPECT_EQ(m.limit, std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// cpu

class V2CpuTest : public V2ControllerTest {
 protected:
  // cpu.max after set() with `r` on a fresh leaf.
  std::string cpu_max_after(const Resources& r) {
    make_leaf();
    cpu_.set(*fs_, dir_, r);
    return value_of(file("cpu.max"));
  }
  Cpu cpu_;
};

TEST_F(V2CpuTest, NameAndNeeded) {
  EXPECT_EQ(cpu_.name(), "cpu");
  Resources r;
  r.memory = 1;
  r.cpuset_cpus = "0";
  EXPECT_FALSE(cpu_.needed(r));
  Resources quota, period, shares;
  quota.cpu_quota = 1000;
  period.cpu_period = 1000;
  shares.cpu_shares = 2;
  EXPECT_TRUE(cpu_.needed(quota));
  EXPECT_TRUE(cpu_.needed(period));
  EXPECT_TRUE(cpu_.needed(shares));
}

TEST_F(V2CpuTest, QuotaAndPeriodGoToCpuMaxAsQuotaThenPeriod) {
  Resources r;
  r.cpu_quota = 20000;
  r.cpu_period = 50000;
  EXPECT_EQ(cpu_max_after(r), "20000 50000");
}

TEST_F(V2CpuTest, QuotaAloneUsesTheDefaultPeriod) {
  Resources r;
  r.cpu_quota = 150000;
  EXPECT_EQ(cpu_max_after(r), "150000 100000");
  EXPECT_EQ(kDefaultCpuPeriod, 100000);
}

TEST_F(V2CpuTest, PeriodAloneIsMaxWithThatPeriod) {
  Resources r;
  r.cpu_period = 50000;
  EXPECT_EQ(cpu_max_after(r), "max 50000");
}

TEST_F(V2CpuTest, UnlimitedQuotaIsMax) {
  Resources r;
  r.cpu_quota = -1;
  r.cpu_period = 20000;
  EXPECT_EQ(cpu_max_after(r), "max 20000");
}

TEST_F(V2CpuTest, SetWritesCpuMaxAsOneWrite) {
  make_leaf();
  Resources r;
  r.cpu_quota = 20000;
  r.cpu_period = 100000;
  TraceCapture capture;

  EXPECT_NO_THROW(cpu_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{echo("20000 100000", "cpu.max")}));
  EXPECT_EQ(value_of(file("cpu.weight")), "100");  // no shares: untouched
}

TEST_F(V2CpuTest, SharesGoToCpuWeightConverted) {
  const std::pair<int64_t, std::string> cases[] = {{2, "1"}, {1024, "100"}, {262144, "10000"}};
  for (const auto& [shares, weight] : cases) {
    SCOPED_TRACE("shares " + std::to_string(shares));
    test::TempDir tmp;
    test::FakeCgroupFs fs(tmp.path());
    fs.add_v2_root("cg2");
    put_file(tmp.path() + "/cg2/cgroup.subtree_control", "cpu\n");
    const std::string dir = tmp.path() + "/cg2/c";
    ASSERT_TRUE(fs.make_dir(dir));
    put_file(dir + "/cpu.weight", "50\n");  // so a write of "100" is visible too
    Resources r;
    r.cpu_shares = shares;
    TraceCapture capture;

    EXPECT_NO_THROW(cpu_.set(fs, dir, r));

    EXPECT_EQ(capture.lines(), (Lines{"+ echo " + weight + " > " + dir + "/cpu.weight"}));
    EXPECT_EQ(value_of(dir + "/cpu.weight"), weight);
    EXPECT_EQ(value_of(dir + "/cpu.max"), "max 100000");  // no quota: untouched
  }
}

TEST_F(V2CpuTest, SharesToWeightConversionHitsBothDefaultsAndTheEnds) {
  EXPECT_EQ(cpu_shares_to_weight(2), 1);
  EXPECT_EQ(cpu_shares_to_weight(1024), 100);
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000);
  EXPECT_LT(cpu_shares_to_weight(512), 100);
  EXPECT_GT(cpu_shares_to_weight(2048), 100);
}

TEST_F(V2CpuTest, SetWithoutCpuLimitsWritesNothing) {
  make_leaf();
  Resources r;
  r.memory = 100 * kMiB;
  TraceCapture capture;

  EXPECT_NO_THROW(cpu_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.text(), "");
}

TEST_F(V2CpuTest, StatsAreCpuStatScaledFromMicrosecondsToNanoseconds) {
  make_leaf();
  put_file(file("cpu.stat"),
           "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\ncore_sched.force_idle_usec "
           "0\nnr_periods 10\nnr_throttled 3\nthrottled_usec 250000\nnr_bursts 0\nburst_usec 0\n");
  Stats out;

  cpu_.stats(*fs_, dir_, out);

  ASSERT_TRUE(out.cpu.has_value());
  EXPECT_EQ(out.cpu->usage_ns, 1'500'000'000u);
  EXPECT_EQ(out.cpu->user_ns, 1'000'000'000u);
  EXPECT_EQ(out.cpu->system_ns, 500'000'000u);
  EXPECT_EQ(out.cpu->nr_periods, 10u);
  EXPECT_EQ(out.cpu->nr_throttled, 3u);
  EXPECT_EQ(out.cpu->throttled_ns, 250'000'000u);
}

TEST_F(V2CpuTest, StatsWithoutCpuStatLeaveCpuUnset) {
  Stats out;

  cpu_.stats(*fs_, dir_, out);  // no such cgroup

  EXPECT_FALSE(out.cpu.has_value());
}

// ---------------------------------------------------------------------------------------------
// cpuset

class V2CpusetTest : public V2ControllerTest {
 protected:
  Cpuset cpuset_;
};

TEST_F(V2CpusetTest, NameAndNeeded) {
  EXPECT_EQ(cpuset_.name(), "cpuset");
  Resources r;
  r.cpu_shares = 2;
  EXPECT_FALSE(cpuset_.needed(r));
  r.cpuset_mems = "0";
  EXPECT_TRUE(cpuset_.needed(r));
}

TEST_F(V2CpusetTest, SetWritesCpusAndMems) {
  make_leaf();
  Resources r;
  r.cpuset_cpus = "1-2";
  r.cpuset_mems = "0";
  TraceCapture capture;

  EXPECT_NO_THROW(cpuset_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{echo("1-2", "cpuset.cpus"), echo("0", "cpuset.mems")}));
  EXPECT_EQ(value_of(file("cpuset.cpus")), "1-2");
  EXPECT_EQ(value_of(file("cpuset.mems")), "0");
}

TEST_F(V2CpusetTest, SetLeavesWhatIsUnsetEmptyMeaningTheParents) {
  make_leaf();
  Resources r;
  r.cpuset_cpus = "3";
  TraceCapture capture;

  EXPECT_NO_THROW(cpuset_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{echo("3", "cpuset.cpus")}));
  EXPECT_EQ(value_of(file("cpuset.mems")), "");  // no copying from the parent on v2
}

TEST_F(V2CpusetTest, SetWithoutCpusetLimitsWritesNothing) {
  make_leaf();
  TraceCapture capture;

  EXPECT_NO_THROW(cpuset_.set(*fs_, dir_, Resources{}));

  EXPECT_EQ(capture.text(), "");
}

TEST_F(V2CpusetTest, EffectiveReadsTheDirectorysOwnEffectiveSet) {
  make_leaf();
  put_file(file("cpuset.cpus.effective"), "1,3\n");
  put_file(file("cpuset.mems.effective"), "0-1\n");

  EXPECT_EQ(Cpuset::effective(*fs_, dir_, "cpus"), (CpuSet{1, 3}));
  EXPECT_EQ(Cpuset::effective(*fs_, dir_, "mems"), (CpuSet{0, 1}));
}

TEST_F(V2CpusetTest, EffectiveFallsBackToTheParentWhenEmpty) {
  make_leaf();
  put_file(file("cpuset.cpus.effective"), "\n");

  EXPECT_EQ(Cpuset::effective(*fs_, dir_, "cpus"), (CpuSet{0, 1, 2, 3}));  // the root's
}

TEST_F(V2CpusetTest, EffectiveOfAMissingDirectoryIsThatOfItsNearestExistingAncestor) {
  make_leaf();
  put_file(file("cpuset.cpus.effective"), "2\n");

  EXPECT_EQ(Cpuset::effective(*fs_, dir_ + "/not/yet", "cpus"), (CpuSet{2}));
  EXPECT_EQ(Cpuset::effective(*fs_, mount_ + "/missing", "mems"), (CpuSet{0}));
}

// ---------------------------------------------------------------------------------------------
// pids

class V2PidsTest : public V2ControllerTest {
 protected:
  Pids pids_;
};

TEST_F(V2PidsTest, NameAndNeeded) {
  EXPECT_EQ(pids_.name(), "pids");
  EXPECT_FALSE(pids_.needed(Resources{}));
  Resources r;
  r.pids_limit = -1;
  EXPECT_TRUE(pids_.needed(r));
}

TEST_F(V2PidsTest, SetWritesPidsMax) {
  make_leaf();
  Resources r;
  r.pids_limit = 64;
  TraceCapture capture;

  EXPECT_NO_THROW(pids_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{echo("64", "pids.max")}));
  EXPECT_EQ(value_of(file("pids.max")), "64");
}

TEST_F(V2PidsTest, UnlimitedIsMax) {
  make_leaf();
  put_file(file("pids.max"), "10\n");
  Resources r;
  r.pids_limit = -1;

  EXPECT_NO_THROW(pids_.set(*fs_, dir_, r));

  EXPECT_EQ(value_of(file("pids.max")), "max");
}

TEST_F(V2PidsTest, SetWithoutALimitWritesNothing) {
  make_leaf();
  TraceCapture capture;

  EXPECT_NO_THROW(pids_.set(*fs_, dir_, Resources{}));

  EXPECT_EQ(capture.text(), "");
}

TEST_F(V2PidsTest, StatsReadCurrentPeakAndLimit) {
  make_leaf();
  put_file(file("pids.current"), "3\n");
  put_file(file("pids.peak"), "7\n");
  put_file(file("pids.max"), "64\n");
  Stats out;

  pids_.stats(*fs_, dir_, out);

  ASSERT_TRUE(out.pids.has_value());
  EXPECT_EQ(out.pids->current, 3u);
  EXPECT_EQ(out.pids->peak, 7u);
  EXPECT_EQ(out.pids->limit, 64);
}

TEST_F(V2PidsTest, StatsWithoutPidsPeakOrLimit) {
  make_leaf();
  put_file(file("pids.current"), "2\n");
  std::filesystem::remove(file("pids.peak"));  // kernels before 6.1
  Stats out;

  pids_.stats(*fs_, dir_, out);

  ASSERT_TRUE(out.pids.has_value());
  EXPECT_EQ(out.pids->current, 2u);
  EXPECT_EQ(out.pids->peak, std::nullopt);
  EXPECT_EQ(out.pids->limit, std::nullopt);  // "max"
}

TEST_F(V2PidsTest, StatsWithoutThePidsControllerLeavePidsUnset) {
  Stats out;

  pids_.stats(*fs_, dir_, out);  // no such cgroup

  EXPECT_FALSE(out.pids.has_value());
}

// ---------------------------------------------------------------------------------------------
// io

class V2IoTest : public V2ControllerTest {
 protected:
  static DeviceLimit dev(uint32_t major, uint32_t minor, uint64_t value) {
    return DeviceLimit{std::to_string(major) + ":" + std::to_string(minor), major, minor, value};
  }
  Io io_;
};

TEST_F(V2IoTest, NameAndNeeded) {
  EXPECT_EQ(io_.name(), "io");
  EXPECT_FALSE(io_.needed(Resources{}));
  Resources weight, bps;
  weight.blkio_weight = 10;
  bps.write_iops.push_back(dev(8, 0, 1));
  EXPECT_TRUE(io_.needed(weight));
  EXPECT_TRUE(io_.needed(bps));
}

TEST_F(V2IoTest, BlkioWeightToIoWeightIsLinearFrom10To1000Onto1To10000) {
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1);
  EXPECT_EQ(blkio_weight_to_io_weight(500), 4950);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000);
}

TEST_F(V2IoTest, BlkioWeightGoesToIoWeightAsTheDefaultWeight) {
  const std::pair<int64_t, std::string> cases[] = {{10, "1"}, {500, "4950"}, {1000, "10000"}};
  for (const auto& [blkio, weight] : cases) {
    SCOPED_TRACE("blkio weight " + std::to_string(blkio));
    test::TempDir tmp;
    test::FakeCgroupFs fs(tmp.path());
    fs.add_v2_root("cg2");
    put_file(tmp.path() + "/cg2/cgroup.subtree_control", "io\n");
    const std::string dir = tmp.path() + "/cg2/c";
    ASSERT_TRUE(fs.make_dir(dir));
    Resources r;
    r.blkio_weight = blkio;
    TraceCapture capture;

    EXPECT_NO_THROW(io_.set(fs, dir, r));

    EXPECT_EQ(capture.lines(), (Lines{"+ echo 'default " + weight + "' > " + dir + "/io.weight"}));
    EXPECT_EQ(value_of(dir + "/io.weight"), "default " + weight);
    EXPECT_EQ(value_of(dir + "/io.max"), "");  // no device limits: untouched
  }
}

TEST_F(V2IoTest, BlkioWeightFallsBackToIoBfqWeight) {
  make_leaf();
  std::filesystem::remove(file("io.weight"));  // no iocost: BFQ's file only
  put_file(file("io.bfq.weight"), "default 100\n");
  Resources r;
  r.blkio_weight = 1000;

  EXPECT_NO_THROW(io_.set(*fs_, dir_, r));

  EXPECT_EQ(value_of(file("io.bfq.weight")), "default 10000");
}

TEST_F(V2IoTest, BlkioWeightWithoutAnyWeightFileFails) {
  make_leaf();
  std::filesystem::remove(file("io.weight"));
  Resources r;
  r.blkio_weight = 500;

  try {
    io_.set(*fs_, dir_, r);
    FAIL() << "no exception";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--blkio-weight"), std::string::npos) << what;
    EXPECT_NE(what.find("bfq"), std::string::npos) << what;
  }
}

TEST_F(V2IoTest, IoMaxGetsOneLinePerDeviceWithAllItsLimits) {
  make_leaf();
  Resources r;
  r.read_bps.push_back(dev(8, 0, 1048576));
  r.write_bps.push_back(dev(8, 0, 2097152));
  r.read_iops.push_back(dev(8, 16, 100));
  r.write_iops.push_back(dev(8, 16, 200));
  r.write_iops.push_back(dev(8, 0, 300));
  TraceCapture capture;

  EXPECT_NO_THROW(io_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(), (Lines{echo("8:0 rbps=1048576 wbps=2097152 wiops=300", "io.max"),
                                    echo("8:16 riops=100 wiops=200", "io.max")}));
  // The fake keeps only the last write; the kernel would list both devices.
  EXPECT_EQ(value_of(file("io.max")), "8:16 riops=100 wiops=200");
}

TEST_F(V2IoTest, WeightIsWrittenBeforeTheDeviceLimits) {
  make_leaf();
  Resources r;
  r.blkio_weight = 10;
  r.read_bps.push_back(dev(259, 0, 4096));
  TraceCapture capture;

  EXPECT_NO_THROW(io_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.lines(),
            (Lines{echo("default 1", "io.weight"), echo("259:0 rbps=4096", "io.max")}));
}

TEST_F(V2IoTest, IoMaxIsReadBackAndAWriteTheKernelDroppedIsAnError) {
  // io.max as a link to /dev/null: the write succeeds, the read-back shows nothing.
  make_leaf();
  std::filesystem::remove(file("io.max"));
  std::filesystem::create_symlink("/dev/null", file("io.max"));
  Resources r;
  r.read_bps.push_back(dev(8, 0, 1048576));

  try {
    io_.set(*fs_, dir_, r);
    FAIL() << "no exception";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("8:0 rbps=1048576"), std::string::npos) << what;
    EXPECT_NE(what.find("io.max"), std::string::npos) << what;
  }
}

TEST_F(V2IoTest, SetWithoutIoLimitsWritesNothing) {
  make_leaf();
  Resources r;
  r.memory = 100 * kMiB;
  TraceCapture capture;

  EXPECT_NO_THROW(io_.set(*fs_, dir_, r));

  EXPECT_EQ(capture.text(), "");
}

TEST(V2IoMaxLineTest, CombinesTheFourListsInRbpsWbpsRiopsWiopsOrder) {
  Resources r;
  r.write_iops.push_back({"/dev/sda", 8, 0, 4});
  r.read_iops.push_back({"/dev/sda", 8, 0, 3});
  r.write_bps.push_back({"/dev/sda", 8, 0, 2});
  r.read_bps.push_back({"/dev/sda", 8, 0, 1});

  EXPECT_EQ(io_max_line(r, 8, 0), "8:0 rbps=1 wbps=2 riops=3 wiops=4");
}

TEST(V2IoMaxLineTest, HasOnlyTheKeysSetForThatDevice) {
  Resources r;
  r.read_bps.push_back({"/dev/sda", 8, 0, 1048576});
  r.write_iops.push_back({"/dev/sdb", 8, 16, 50});

  EXPECT_EQ(io_max_line(r, 8, 0), "8:0 rbps=1048576");
  EXPECT_EQ(io_max_line(r, 8, 16), "8:16 wiops=50");
}

TEST(V2IoMaxLineTest, TheLastLimitForADeviceCounts) {
  Resources r;
  r.read_bps.push_back({"/dev/sda", 8, 0, 1});
  r.read_bps.push_back({"/dev/sdb", 8, 16, 7});
  r.read_bps.push_back({"/dev/sda", 8, 0, 2});

  EXPECT_EQ(io_max_line(r, 8, 0), "8:0 rbps=2");
}

TEST(V2IoMaxLineTest, IsEmptyForADeviceWithoutLimits) {
  Resources r;
  r.read_bps.push_back({"/dev/sda", 8, 0, 1});

  EXPECT_EQ(io_max_line(r, 8, 1), "");
  EXPECT_EQ(io_max_line(Resources{}, 8, 0), "");
}

TEST_F(V2IoTest, StatsParseIoStat) {
  make_leaf();
  put_file(file("io.stat"),
           "8:0 rbytes=1048576 wbytes=2097152 rios=10 wios=20 dbytes=0 dios=0\n"
           "259:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
  Stats out;

  io_.stats(*fs_, dir_, out);

  ASSERT_TRUE(out.io.has_value());
  ASSERT_EQ(out.io->size(), 2u);
  const IoDeviceStats& sda = (*out.io)[0];
  EXPECT_EQ(sda.major, 8u);
  EXPECT_EQ(sda.minor, 0u);
  EXPECT_EQ(sda.read_bytes, 1048576u);
  EXPECT_EQ(sda.write_bytes, 2097152u);
  EXPECT_EQ(sda.read_ios, 10u);
  EXPECT_EQ(sda.write_ios, 20u);
  const IoDeviceStats& nvme = (*out.io)[1];
  EXPECT_EQ(nvme.major, 259u);
  EXPECT_EQ(nvme.minor, 0u);
  EXPECT_EQ(nvme.read_bytes, 4096u);
  EXPECT_EQ(nvme.read_ios, 1u);
}

TEST_F(V2IoTest, StatsOfACgroupWithoutIoAreAnEmptyList) {
  make_leaf();
  Stats out;

  io_.stats(*fs_, dir_, out);

  ASSERT_TRUE(out.io.has_value());
  EXPECT_TRUE(out.io->empty());
}

TEST_F(V2IoTest, StatsWithoutIoStatLeaveIoUnset) {
  Stats out;

  io_.stats(*fs_, dir_, out);  // no such cgroup

  EXPECT_FALSE(out.io.has_value());
}

}  // namespace
}  // namespace mydocker::v2
