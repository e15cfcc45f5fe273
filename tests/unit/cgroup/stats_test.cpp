// Parsers for the cgroup accounting files, and the cgroup v2 unit conversions.

#include "mydocker/cgroup/stats.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "mydocker/cgroup/resources.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

using Keyed = std::map<std::string, uint64_t>;

TEST(ParseFlatKeyed, ReadsKeyValueLines) {
  EXPECT_EQ(parse_flat_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"),
            (Keyed{{"oom_kill_disable", 0}, {"under_oom", 0}, {"oom_kill", 2}}));
}

TEST(ParseFlatKeyed, FindsTheFirstLineToo) {
  // Not only keys after a newline: "oom_kill 2" alone is read.
  EXPECT_EQ(parse_flat_keyed("oom_kill 2"), (Keyed{{"oom_kill", 2}}));
}

TEST(ParseFlatKeyed, SkipsLinesThatDoNotParse) {
  EXPECT_EQ(parse_flat_keyed("a 1\nb x\nc 1 2\nd\n\ne -1\nf\t7  \n"), (Keyed{{"a", 1}, {"f", 7}}));
  EXPECT_TRUE(parse_flat_keyed("").empty());
}

TEST(ParseFlatKeyed, KeepsTheFullRangeOfUint64) {
  EXPECT_EQ(parse_flat_keyed("big 18446744073709551615\n"),
            (Keyed{{"big", 18446744073709551615ULL}}));
}

TEST(ParseLimit, NumbersAreLimits) {
  EXPECT_EQ(parse_limit("104857600\n"), 104857600);
  EXPECT_EQ(parse_limit("0"), 0);
}

TEST(ParseLimit, MaxAndTheV1HugeValueAreNoLimit) {
  EXPECT_EQ(parse_limit("max\n"), std::nullopt);
  EXPECT_EQ(parse_limit("9223372036854771712\n"), std::nullopt);  // v1 PAGE_COUNTER_MAX pages
  EXPECT_EQ(parse_limit("9223372036854775807"), std::nullopt);
}

TEST(ParseLimit, GarbageIsNoLimit) {
  EXPECT_EQ(parse_limit(""), std::nullopt);
  EXPECT_EQ(parse_limit("junk"), std::nullopt);
  EXPECT_EQ(parse_limit("-1"), std::nullopt);
}

TEST(ParseBlkioV1, MergesBytesAndOperationsPerDevice) {
  auto devs = parse_blkio_v1(
      "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 12288\n8:0 Async 0\n8:0 Total 12288\n"
      "8:16 Read 1\nTotal 12289\n",
      "8:0 Read 2\n8:0 Write 3\n8:0 Total 5\nTotal 5\n");
  ASSERT_EQ(devs.size(), 2u);
  EXPECT_EQ(devs[0].major, 8u);
  EXPECT_EQ(devs[0].minor, 0u);
  EXPECT_EQ(devs[0].read_bytes, 4096u);
  EXPECT_EQ(devs[0].write_bytes, 8192u);
  EXPECT_EQ(devs[0].read_ios, 2u);
  EXPECT_EQ(devs[0].write_ios, 3u);
  EXPECT_EQ(devs[1].minor, 16u);
  EXPECT_EQ(devs[1].read_bytes, 1u);
  EXPECT_EQ(devs[1].read_ios, 0u);
}

TEST(ParseBlkioV1, EmptyFilesHaveNoDevices) {
  EXPECT_TRUE(parse_blkio_v1("", "").empty());
  EXPECT_TRUE(parse_blkio_v1("Total 0\n", "Total 0\n").empty());
}

TEST(ParseIoStat, ReadsEachDevicesCounters) {
  auto devs = parse_io_stat(
      "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n"
      "259:0 rbytes=10 wbytes=20 rios=30 wios=40 dbytes=0 dios=0\n");
  ASSERT_EQ(devs.size(), 2u);
  EXPECT_EQ(devs[0].major, 8u);
  EXPECT_EQ(devs[0].read_bytes, 1u);
  EXPECT_EQ(devs[0].write_bytes, 2u);
  EXPECT_EQ(devs[0].read_ios, 3u);
  EXPECT_EQ(devs[0].write_ios, 4u);
  EXPECT_EQ(devs[1].major, 259u);
  EXPECT_EQ(devs[1].write_ios, 40u);
}

TEST(ParseIoStat, SkipsMalformedLinesAndFields) {
  auto devs = parse_io_stat("garbage\n8:0 rbytes=x wbytes=5 junk\n");
  ASSERT_EQ(devs.size(), 1u);
  EXPECT_EQ(devs[0].read_bytes, 0u);
  EXPECT_EQ(devs[0].write_bytes, 5u);
}

TEST(MemoryStatsUsed, LeavesOutInactiveFileCache) {
  MemoryStats m;
  m.usage = 100;
  m.inactive_file = 30;
  EXPECT_EQ(m.used(), 70u);
  m.inactive_file = 200;  // never below zero
  EXPECT_EQ(m.used(), 100u);
}

// ---- cgroup v2 conversions (runc's and crun's formulas) ----

TEST(CpuSharesToWeight, MapsTheDefaultsAndTheEnds) {
  EXPECT_EQ(cpu_shares_to_weight(2), 1);
  EXPECT_EQ(cpu_shares_to_weight(1024), 100);  // both defaults
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000);
}

TEST(CpuSharesToWeight, IsMonotonicInBetween) {
  EXPECT_EQ(cpu_shares_to_weight(512), 59);
  EXPECT_EQ(cpu_shares_to_weight(2048), 174);
  int64_t last = 0;
  for (int64_t s = 2; s <= 262144; s += 997) {
    const int64_t w = cpu_shares_to_weight(s);
    EXPECT_GE(w, last) << s;
    EXPECT_GE(w, 1);
    EXPECT_LE(w, 10000);
    last = w;
  }
}

TEST(BlkioWeightToIoWeight, IsLinearFrom10To1000) {
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1);
  EXPECT_EQ(blkio_weight_to_io_weight(500), 4950);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000);
}

TEST(MemorySwapToV2, IsSwapAloneOrUnlimited) {
  EXPECT_EQ(memory_swap_to_v2(-1, std::nullopt), -1);
  EXPECT_EQ(memory_swap_to_v2(-1, 100), -1);
  EXPECT_EQ(memory_swap_to_v2(300, 100), 200);
  EXPECT_EQ(memory_swap_to_v2(100, 100), 0);
  EXPECT_THROW(memory_swap_to_v2(300, std::nullopt), Error);
  EXPECT_THROW(memory_swap_to_v2(50, 100), Error);
}

}  // namespace
}  // namespace mydocker
