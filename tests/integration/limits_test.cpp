// Each limit proven by its effect on real cgroups: OOM kills, CPU time, affinity, CPU shares.

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <nlohmann/json.hpp>
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

TEST_F(LimitsTest, LimitsBelowSixMebibytesAreRefusedAsDockerDoes) {
  // Under 6 MiB a container is OOM-killed at once ("limit 0B" before this check): refused with
  // docker's message, exit 125, nothing created. 6m itself works and holds.
  for (const char* v : {"1k", "100", "1m"}) {
    auto r = md({"run", "-mem", v, "true"});
    EXPECT_EQ(r.status, 125) << v << ": " << r.err;
    EXPECT_NE(r.err.find("invalid value '" + std::string(v) +
                         "' for -mem: Minimum memory limit allowed is 6MB"),
              std::string::npos)
        << r.err;
  }
  auto reservation = md({"run", "--memory-reservation", "1m", "true"});
  EXPECT_EQ(reservation.status, 125) << reservation.err;
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(container_cgroups().empty());
  auto small = md({"run", "-mem", "6m", "true"});
  EXPECT_EQ(small.status, 0) << small.err;
  auto big = md({"run", "-mem", "6m", example("alloc"), "1", "30"});
  EXPECT_EQ(big.status, 137) << big.err;
  EXPECT_NE(big.err.find("memory limit 6MiB"), std::string::npos) << big.err;
  // update too
  auto id = md({"run", "-d", "sleep", "30"});
  ASSERT_EQ(id.status, 0) << id.err;
  const std::string cid = lines(id.out).front();
  auto upd = md({"update", "-m", "2m", cid});
  EXPECT_EQ(upd.status, 125) << upd.err;
  EXPECT_NE(upd.err.find("Minimum memory limit allowed is 6MB"), std::string::npos) << upd.err;
  md({"rm", "-f", cid});
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
  // Without a cpuset, every CPU the caller has: the init is set up off mydocker's CPU
  // (util/affinity.hpp) and has them back before the command runs.
  const std::string own = run({"grep", "Cpus_allowed_list", "/proc/self/status"}).out;
  for (int i = 0; i < 5; ++i) {
    auto all = md({"run", "grep", "Cpus_allowed_list", "/proc/self/status"});
    EXPECT_EQ(all.out, own) << all.err;
  }
}

// cpu.shares only matter under contention: two containers pinned to one CPU, 512 against
// 1024, get CPU time about 1:2.
TEST_F(LimitsTest, CpuSharesSplitAContendedCpu) {
  Result low, high;
  std::thread a([&] {
    low = md({"run", "-cpuset", "0", "-cpushare", "512", example("burn"), "2"});
  });
  std::thread b([&] {
    high = md({"run", "-cpuset", "0", "--cpu-shares", "1024", example("burn"), "2"});
  });
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

namespace itest {
namespace {

using MoreLimitsTest = IntegrationTest;

double ratio(const std::string& out) {
  std::smatch m;
  static const std::regex re("ratio ([0-9.]+)");
  return std::regex_search(out, m, re) ? std::atof(m[1].str().c_str()) : -1;
}

// A fork beyond pids.max fails with EAGAIN: with the init, 5 processes.
TEST_F(MoreLimitsTest, PidsLimitStopsForks) {
  auto r = md({"run", "--pids-limit", "5", example("forks"), "10"});
  EXPECT_NE(r.out.find("forks: 4 of 10 succeeded, first error: Resource temporarily unavailable"),
            std::string::npos)
      << r.out << r.err;
  auto unlimited = md({"run", "--pids-limit", "-1", example("forks"), "10"});
  EXPECT_EQ(unlimited.status, 0) << unlimited.out;
}

TEST_F(MoreLimitsTest, CpuPeriodAndQuota) {
  auto r = md({"run", "--cpu-period", "50000", "--cpu-quota", "25000", example("burn"), "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GE(ratio(r.out), 0.45) << r.out;
  EXPECT_LE(ratio(r.out), 0.55) << r.out;
}

// With --oom-kill-disable the kernel pauses the allocator at the limit instead of killing it;
// --stop-timeout then ends it.
TEST_F(MoreLimitsTest, OomKillDisablePausesInsteadOfKilling) {
  Background c(args({"run", "--oom-kill-disable", "-mem", "20m", "--stop-timeout", "1",
                     example("alloc"), "1", "0", "10"}),
               env());
  ASSERT_TRUE(c.wait_for_output("15 MiB", std::chrono::seconds(10)));
  usleep(1500000);  // far past 20 MiB at 10 ms a step, if it could go on
  EXPECT_EQ(c.stdout_text().find("25 MiB"), std::string::npos) << "not held at the limit";
  EXPECT_EQ(waitpid(c.pid(), nullptr, WNOHANG), 0) << "mydocker ended: the allocator was killed";
  kill(c.pid(), SIGTERM);
  EXPECT_EQ(c.wait(std::chrono::seconds(10)), 137);
}

// Real-time budget: a cgroup of its own without --cpu-rt-runtime has none, so SCHED_FIFO is
// refused; with it, the container may use real-time scheduling.
TEST_F(MoreLimitsTest, CpuRtRuntimeAllowsRealTimeScheduling) {
  if (!exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"))
    GTEST_SKIP() << "no real-time group scheduling (CONFIG_RT_GROUP_SCHED) in this kernel";
  auto without =
      md({"run", "--cap-add", "SYS_NICE", "--cpu-shares", "1024", "chrt", "-f", "1", "true"});
  EXPECT_NE(without.status, 0) << "SCHED_FIFO allowed without a real-time budget";
  auto with =
      md({"run", "--cap-add", "SYS_NICE", "--cpu-rt-runtime", "10000", "chrt", "-f", "1", "true"});
  EXPECT_EQ(with.status, 0) << with.err;
}

// A throttled read on a loop device: 3 MiB at 1 MiB/s take about 3 s.
class LoopDevice {
 public:
  LoopDevice() {
    char tmpl[] = "/tmp/mydocker-loop-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) {
      file_ = tmpl;
      (void)!ftruncate(fd, 64 << 20);
      close(fd);
      auto r = run({"losetup", "-f", "--show", file_});
      if (r.status == 0) device_ = lines(r.out).front();
    }
  }
  ~LoopDevice() {
    if (!device_.empty()) run({"losetup", "-d", device_});
    if (!file_.empty()) unlink(file_.c_str());
  }
  const std::string& device() const { return device_; }

 private:
  std::string file_, device_;
};

TEST_F(MoreLimitsTest, DeviceReadBpsThrottlesALoopDevice) {
  LoopDevice loop;
  ASSERT_FALSE(loop.device().empty()) << "losetup failed";
  auto start = std::chrono::steady_clock::now();
  // --device: the default device rules deny every block device (as in docker).
  auto r = md({"run", "--device", loop.device(), "--device-read-bps", loop.device() + ":1mb", "dd",
               "if=" + loop.device(), "of=/dev/null", "bs=64k", "count=48", "iflag=direct"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_GE(took, std::chrono::milliseconds(2500));
  EXPECT_LE(took, std::chrono::seconds(6));
  // Unthrottled, the same read is fast.
  start = std::chrono::steady_clock::now();
  md({"run", "--device", loop.device(), "dd", "if=" + loop.device(), "of=/dev/null", "bs=64k",
      "count=48", "iflag=direct"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST_F(MoreLimitsTest, DeviceWriteIopsThrottlesALoopDevice) {
  LoopDevice loop;
  ASSERT_FALSE(loop.device().empty()) << "losetup failed";
  auto start = std::chrono::steady_clock::now();
  auto r = md({"run", "--device", loop.device(), "--device-write-iops", loop.device() + ":20", "dd",
               "if=/dev/zero", "of=" + loop.device(), "bs=4k", "count=40", "oflag=direct"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_GE(took, std::chrono::milliseconds(1500));
}

TEST_F(MoreLimitsTest, ReportSaysWhatTheContainerUsed) {
  char path[] = "/tmp/mydocker-report-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  auto r = md({"run", "--report", "--report-file", path, "-mem", "50m", "-cpu", "50",
               "--pids-limit", "10", example("burn"), "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("exit status 0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("memory  peak"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("of 50MiB"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pids    peak 1 (limit 10)"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(read_file(path));
  unlink(path);
  EXPECT_EQ(j["exit_status"], 0);
  EXPECT_EQ(j["memory"]["limit"], 52428800);
  EXPECT_EQ(j["pids"]["limit"], 10);
  // CPU time as the kernel accounted it: about half of the one second, throttled.
  double cpu = j["cpu"]["usage_ns"].get<double>() / 1e9;
  EXPECT_GT(cpu, 0.4);
  EXPECT_LT(cpu, 0.6);
  EXPECT_GT(j["cpu"]["nr_throttled"].get<int>(), 3);
  EXPECT_GT(j["wall_seconds"].get<double>(), 0.9);
}

}  // namespace
}  // namespace itest
