// Each limit proven by its effect on real cgroups: OOM kills, CPU time, affinity, CPU shares.

#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <thread>

#include "integration/harness.hpp"

namespace itest {
namespace {

bool have_stress() { return run({"sh", "-c", "command -v stress"}).status == 0; }

double ratio_of(const std::string& burn_output) {
  std::smatch m;
  static const std::regex re("ratio ([0-9.]+)");
  if (!std::regex_search(burn_output, m, re)) return -1;
  return std::atof(m[1].str().c_str());
}

using LimitsTest = IntegrationTest;

// Seed 002: under -mem 100m, 99m of stress survives...
TEST_F(LimitsTest, Stress99mFitsUnder100m) {
  ASSERT_TRUE(have_stress()) << "stress is missing (scripts/test.sh installs it)";
  auto r = md({"run", "-mem", "100m", "stress", "--vm", "1", "--vm-bytes", "99m", "--vm-keep",
               "--timeout", "3s"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("OOM"), std::string::npos) << r.err;
}

// ...and 101m is OOM-killed, which mydocker reports with the limit and the peak.
TEST_F(LimitsTest, Stress101mIsOomKilledAndReported) {
  ASSERT_TRUE(have_stress()) << "stress is missing (scripts/test.sh installs it)";
  auto r = md({"run", "-mem", "100m", "stress", "--vm", "1", "--vm-bytes", "101m", "--vm-keep",
               "--timeout", "3s"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("OOM"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 process of container"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("memory limit 100MiB"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("peak 100MiB"), std::string::npos) << r.err;
}

// The command's -m 1 belongs to stress, not to mydocker (which would then limit to 1 byte).
TEST_F(LimitsTest, FlagsAfterTheCommandBelongToIt) {
  ASSERT_TRUE(have_stress()) << "stress is missing (scripts/test.sh installs it)";
  auto r = md({"run", "-mem", "100m", "stress", "--vm-bytes", "200m", "--vm-keep", "-m", "1",
               "--timeout", "2s"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("OOM"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("memory limit 100MiB"), std::string::npos) << r.err;
}

// An init killed by the OOM killer: 128 + SIGKILL.
TEST_F(LimitsTest, OomKilledInitExits137) {
  auto r = md({"run", "-mem", "20m", example("alloc")});
  EXPECT_EQ(r.status, 137) << r.err;
  EXPECT_NE(r.err.find("OOM"), std::string::npos) << r.err;
  // It got close to the limit before dying: the limit applied from the first allocation on.
  auto got = lines(r.out);
  ASSERT_FALSE(got.empty());
  int last = std::atoi(got.back().c_str());
  EXPECT_GE(last, 10);
  EXPECT_LE(last, 20);
}

TEST_F(LimitsTest, SmallLimitsAreWrittenAsParsed) {
  // A teaching tool must allow -mem 1m (no docker 6 MB minimum): a small command runs, one
  // that allocates more is killed at 1 MiB.
  auto small = md({"run", "-mem", "1m", "true"});
  EXPECT_EQ(small.status, 0) << small.err;
  auto big = md({"run", "-mem", "1m", example("alloc"), "1", "30"});
  EXPECT_EQ(big.status, 137) << big.err;
  EXPECT_NE(big.err.find("memory limit 1MiB"), std::string::npos) << big.err;
}

// -cpu 20: 20 % of one CPU, measured from the CPU time a busy loop gets in 3 s.
TEST_F(LimitsTest, Cpu20HoldsABusyLoopTo20Percent) {
  auto r = md({"run", "-cpu", "20", example("burn"), "3"});
  ASSERT_EQ(r.status, 0) << r.err;
  double ratio = ratio_of(r.out);
  EXPECT_GE(ratio, 0.17) << r.out;
  EXPECT_LE(ratio, 0.23) << r.out;
}

TEST_F(LimitsTest, CpusHalfHoldsABusyLoopTo50Percent) {
  auto r = md({"run", "--cpus", "0.5", example("burn"), "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  double ratio = ratio_of(r.out);
  EXPECT_GE(ratio, 0.45) << r.out;
  EXPECT_LE(ratio, 0.55) << r.out;
}

TEST_F(LimitsTest, CpusetPinsTheContainer) {
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "needs 2 CPUs";
  auto r = md({"run", "-cpuset", "1", "grep", "Cpus_allowed_list", "/proc/self/status"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Cpus_allowed_list:\t1\n"), std::string::npos) << r.out;
  auto zero = md({"run", "--cpuset-cpus", "0", "grep", "Cpus_allowed_list", "/proc/self/status"});
  EXPECT_NE(zero.out.find("Cpus_allowed_list:\t0\n"), std::string::npos) << zero.out;
}

// cpu.shares only matter under contention: two containers pinned to one CPU, 512 against
// 1024, get CPU time about 1:2.
TEST_F(LimitsTest, CpuSharesSplitAContendedCpu) {
  Result low, high;
  std::thread a([&] { low = md({"run", "-cpuset", "0", "-cpushare", "512", example("burn"), "2"}); });
  std::thread b(
      [&] { high = md({"run", "-cpuset", "0", "--cpu-shares", "1024", example("burn"), "2"}); });
  a.join();
  b.join();
  ASSERT_EQ(low.status, 0) << low.err;
  ASSERT_EQ(high.status, 0) << high.err;
  double l = ratio_of(low.out), h = ratio_of(high.out);
  ASSERT_GT(h, 0);
  EXPECT_GT(l / h, 0.35) << low.out << high.out;
  EXPECT_LT(l / h, 0.7) << low.out << high.out;
}

}  // namespace
}  // namespace itest
