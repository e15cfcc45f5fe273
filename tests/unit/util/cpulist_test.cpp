// The kernel's CPU list format ("0-2,4").

#include "mydocker/util/cpulist.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mydocker {
namespace {

TEST(ParseCpuList, ReadsRangesAndSingleCpus) {
  EXPECT_EQ(parse_cpu_list("0-2,4"), (CpuSet{0, 1, 2, 4}));
  EXPECT_EQ(parse_cpu_list("0"), (CpuSet{0}));
  EXPECT_EQ(parse_cpu_list("1,3"), (CpuSet{1, 3}));
  EXPECT_EQ(parse_cpu_list("0-0"), (CpuSet{0}));
  EXPECT_EQ(parse_cpu_list("2-3,0-1"), (CpuSet{0, 1, 2, 3}));
  EXPECT_EQ(parse_cpu_list("1,1,0-1"), (CpuSet{0, 1}));  // overlaps are merged
}

TEST(ParseCpuList, EmptyTextIsTheEmptySet) {
  // A new v1 cpuset cgroup's cpuset.cpus reads "" or "\n".
  EXPECT_EQ(parse_cpu_list(""), CpuSet{});
  EXPECT_EQ(parse_cpu_list("\n"), CpuSet{});
}

TEST(ParseCpuList, IgnoresSurroundingWhitespaceAsReadFromAFile) {
  // trim() drops trailing whitespace and newlines and leading spaces and tabs.
  EXPECT_EQ(parse_cpu_list("0-3\n"), (CpuSet{0, 1, 2, 3}));
  EXPECT_EQ(parse_cpu_list(" 1"), (CpuSet{1}));
  EXPECT_EQ(parse_cpu_list("\t1 \n"), (CpuSet{1}));
}

TEST(ParseCpuList, RejectsMalformedLists) {
  for (const std::string text : {"1-0", "a", "1-", "-1", ",", "1,,2", "0-2:1", "1,", ",1", "1-2-3",
                                 "+1", "1 ,2", "1, 2", "0x1", "1.5"}) {
    EXPECT_FALSE(parse_cpu_list(text).has_value()) << "'" << text << "' was accepted";
  }
}

TEST(ParseCpuList, RejectsCpuNumbersBeyondTheKernelLimit) {
  EXPECT_EQ(parse_cpu_list("8191"), (CpuSet{8191}));
  EXPECT_FALSE(parse_cpu_list("8192").has_value());
  EXPECT_FALSE(parse_cpu_list("0-99999").has_value());
  EXPECT_FALSE(parse_cpu_list("99999999999").has_value());
}

TEST(FormatCpuList, CollapsesRuns) {
  EXPECT_EQ(format_cpu_list({0, 1, 2, 4}), "0-2,4");
  EXPECT_EQ(format_cpu_list({}), "");
  EXPECT_EQ(format_cpu_list({3}), "3");
  EXPECT_EQ(format_cpu_list({0, 1}), "0-1");
  EXPECT_EQ(format_cpu_list({0, 2, 4}), "0,2,4");
  EXPECT_EQ(format_cpu_list({0, 1, 2, 5, 6, 9}), "0-2,5-6,9");
}

TEST(FormatCpuList, RoundTripsWithParse) {
  for (const std::string text : {"0-2,4", "0", "1,3", "0-7", "0,2-3,5-6,8191"}) {
    auto cpus = parse_cpu_list(text);
    ASSERT_TRUE(cpus.has_value()) << text;
    EXPECT_EQ(format_cpu_list(*cpus), text);
  }
}

TEST(FormatCpuList, NormalisesAnUnorderedList) {
  auto cpus = parse_cpu_list("4,0,1-2");
  ASSERT_TRUE(cpus.has_value());
  EXPECT_EQ(format_cpu_list(*cpus), "0-2,4");
}

}  // namespace
}  // namespace mydocker
