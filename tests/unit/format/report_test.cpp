// `mydocker run --report`: the summary lines (format_report) and the JSON (report_json) for a
// Stats with and without each part.

#include "mydocker/format/report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace mydocker {
namespace {

using nlohmann::json;
using Lines = std::vector<std::string>;

const std::string kId = "3f2a9c8e1b7d4e6fa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d";
constexpr int64_t kMiB = 1024 * 1024;

// A report of container kId that exited 0 after 1.5 s, with no stats.
RunReport bare_report() {
  RunReport r;
  r.id = kId;
  r.cgroup_mode = "v2";
  r.status = 0;
  r.wall_seconds = 1.5;
  return r;
}

MemoryStats memory_stats(std::optional<int64_t> limit) {
  MemoryStats m;
  m.limit = limit;
  m.usage = 40 * kMiB;
  m.peak = 50 * kMiB;
  m.failcnt = 3;
  m.cache = 10 * kMiB;
  m.rss = 30 * kMiB;
  m.swap = 2 * kMiB;
  m.inactive_file = 5 * kMiB;
  m.oom_kills = 1;
  return m;
}

CpuStats cpu_stats() {
  CpuStats c;
  c.usage_ns = 1'500'000'000;
  c.user_ns = 1'000'000'000;
  c.system_ns = 500'000'000;
  c.nr_periods = 10;
  c.nr_throttled = 3;
  c.throttled_ns = 250'000'000;
  return c;
}

IoDeviceStats device(uint32_t major, uint32_t minor) {
  IoDeviceStats d;
  d.major = major;
  d.minor = minor;
  d.read_bytes = 1 * kMiB;
  d.write_bytes = 2 * kMiB;
  d.read_ios = 10;
  d.write_ios = 20;
  return d;
}

Lines lines_of(const std::string& text) {
  Lines out;
  std::stringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

const std::string kHeader = "mydocker: container 3f2a9c8e1b7d: exit status 0 after 1.50 s";

// ---- format_report ----

TEST(FormatReportTest, WithoutStatsIsOnlyTheHeaderLine) {
  const RunReport r = bare_report();

  const std::string text = format_report(r);

  EXPECT_EQ(text, kHeader + "\n");
}

TEST(FormatReportTest, HeaderShowsTheShortIdStatusAndWallTime) {
  RunReport r = bare_report();
  r.status = 137;
  r.wall_seconds = 0.256;

  const Lines lines = lines_of(format_report(r));

  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "mydocker: container 3f2a9c8e1b7d: exit status 137 after 0.26 s");
}

TEST(FormatReportTest, EveryLineStartsWithMydocker) {
  RunReport r = bare_report();
  r.stats.memory = memory_stats(100 * kMiB);
  r.stats.cpu = cpu_stats();
  r.stats.pids = PidsStats{3, 7, 64};
  r.stats.io = std::vector<IoDeviceStats>{device(8, 0)};

  const Lines lines = lines_of(format_report(r));

  ASSERT_EQ(lines.size(), 5u);
  for (const auto& l : lines) EXPECT_EQ(l.rfind("mydocker: ", 0), 0u) << l;
}

TEST(FormatReportTest, MemoryWithALimitShowsPeakAsAShareOfIt) {
  RunReport r = bare_report();
  r.stats.memory = memory_stats(100 * kMiB);

  const Lines lines = lines_of(format_report(r));

  EXPECT_EQ(lines, (Lines{kHeader,
                          "mydocker:   memory  peak 50MiB of 100MiB (50%), limit hit 3 times, "
                          "OOM kills 1, swap 2MiB"}));
}

TEST(FormatReportTest, MemoryWithoutALimitSaysSo) {
  RunReport r = bare_report();
  r.stats.memory = memory_stats(std::nullopt);

  const Lines lines = lines_of(format_report(r));

  EXPECT_EQ(lines,
            (Lines{kHeader,
                   "mydocker:   memory  peak 50MiB no limit, limit hit 3 times, OOM kills 1, "
                   "swap 2MiB"}));
}

TEST(FormatReportTest, CpuShowsSecondsAndThrottling) {
  RunReport r = bare_report();
  r.stats.cpu = cpu_stats();

  const Lines lines = lines_of(format_report(r));

  EXPECT_EQ(lines, (Lines{kHeader,
                          "mydocker:   cpu     1.50 s (user 1.00 s, system 0.50 s), throttled in 3 "
                          "of 10 periods (0.25 s)"}));
}

TEST(FormatReportTest, PidsWithPeakAndLimit) {
  RunReport r = bare_report();
  r.stats.pids = PidsStats{3, 7, 64};

  const Lines lines = lines_of(format_report(r));

  EXPECT_EQ(lines, (Lines{kHeader, "mydocker:   pids    peak 7 (limit 64)"}));
}

TEST(FormatReportTest, PidsWithoutPeakShowNowAndWithoutLimitSaySo) {
  RunReport r = bare_report();
  r.stats.pids = PidsStats{3, std::nullopt, std::nullopt};

  const Lines lines = lines_of(format_report(r));

  EXPECT_EQ(lines, (Lines{kHeader, "mydocker:   pids    now 3 (no limit)"}));
}

TEST(FormatReportTest, PidsWithPeakButNoLimit) {
  RunReport r = bare_report();
  r.stats.pids = PidsStats{0, 12, std::nullopt};

  const Lines lines = lines_of(format_report(r));

  EXPECT_EQ(lines, (Lines{kHeader, "mydocker:   pids    peak 12 (no limit)"}));
}

TEST(FormatReportTest, IoWithoutDevicesSaysNoBlockIo) {
  RunReport r = bare_report();
  r.stats.io = std::vector<IoDeviceStats>{};

  const Lines lines = lines_of(format_report(r));

  EXPECT_EQ(lines, (Lines{kHeader, "mydocker:   io      no block I/O"}));
}

TEST(FormatReportTest, IoShowsOneLinePerDevice) {
  RunReport r = bare_report();
  r.stats.io = std::vector<IoDeviceStats>{device(8, 0), device(259, 1)};

  const Lines lines = lines_of(format_report(r));

  EXPECT_EQ(lines,
            (Lines{kHeader, "mydocker:   io      8:0 read 1MiB in 10 ops, wrote 2MiB in 20 ops",
                   "mydocker:   io      259:1 read 1MiB in 10 ops, wrote 2MiB in 20 ops"}));
}

TEST(FormatReportTest, PartsComeInMemoryCpuPidsIoOrder) {
  RunReport r = bare_report();
  r.stats.io = std::vector<IoDeviceStats>{};
  r.stats.pids = PidsStats{1, std::nullopt, std::nullopt};
  r.stats.cpu = cpu_stats();
  r.stats.memory = memory_stats(std::nullopt);

  const Lines lines = lines_of(format_report(r));

  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[1].rfind("mydocker:   memory ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("mydocker:   cpu ", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind("mydocker:   pids ", 0), 0u) << lines[3];
  EXPECT_EQ(lines[4].rfind("mydocker:   io ", 0), 0u) << lines[4];
}

// ---- report_json ----

TEST(ReportJsonTest, WithoutStatsHasOnlyTheRunsFields) {
  const RunReport r = bare_report();

  const json j = report_json(r);

  EXPECT_EQ(j,
            (json{{"id", kId}, {"cgroup_mode", "v2"}, {"exit_status", 0}, {"wall_seconds", 1.5}}));
  for (const char* part : {"memory", "cpu", "pids", "io"}) EXPECT_FALSE(j.contains(part)) << part;
}

TEST(ReportJsonTest, MemoryWithALimitHasEveryCounter) {
  RunReport r = bare_report();
  r.stats.memory = memory_stats(100 * kMiB);

  const json j = report_json(r);

  ASSERT_TRUE(j.contains("memory"));
  EXPECT_EQ(j["memory"], (json{{"limit", 100 * kMiB},
                               {"usage", 40 * kMiB},
                               {"peak", 50 * kMiB},
                               {"failcnt", 3},
                               {"cache", 10 * kMiB},
                               {"rss", 30 * kMiB},
                               {"swap", 2 * kMiB},
                               {"inactive_file", 5 * kMiB},
                               {"oom_kills", 1}}));
}

TEST(ReportJsonTest, MemoryWithoutALimitHasANullLimit) {
  RunReport r = bare_report();
  r.stats.memory = memory_stats(std::nullopt);

  const json j = report_json(r);

  ASSERT_TRUE(j["memory"].contains("limit"));
  EXPECT_TRUE(j["memory"]["limit"].is_null());
  EXPECT_EQ(j["memory"]["peak"], 50 * kMiB);
}

TEST(ReportJsonTest, CpuHasNanosecondsAndPeriods) {
  RunReport r = bare_report();
  r.stats.cpu = cpu_stats();

  const json j = report_json(r);

  EXPECT_EQ(j["cpu"], (json{{"usage_ns", 1'500'000'000},
                            {"user_ns", 1'000'000'000},
                            {"system_ns", 500'000'000},
                            {"nr_periods", 10},
                            {"nr_throttled", 3},
                            {"throttled_ns", 250'000'000}}));
}

TEST(ReportJsonTest, PidsWithPeakAndLimit) {
  RunReport r = bare_report();
  r.stats.pids = PidsStats{3, 7, 64};

  const json j = report_json(r);

  EXPECT_EQ(j["pids"], (json{{"current", 3}, {"peak", 7}, {"limit", 64}}));
}

TEST(ReportJsonTest, PidsWithoutPeakOrLimitHaveNulls) {
  RunReport r = bare_report();
  r.stats.pids = PidsStats{3, std::nullopt, std::nullopt};

  const json j = report_json(r);

  EXPECT_EQ(j["pids"], (json{{"current", 3}, {"peak", nullptr}, {"limit", nullptr}}));
}

TEST(ReportJsonTest, IoWithoutDevicesIsAnEmptyArray) {
  RunReport r = bare_report();
  r.stats.io = std::vector<IoDeviceStats>{};

  const json j = report_json(r);

  ASSERT_TRUE(j.contains("io"));
  EXPECT_TRUE(j["io"].is_array());
  EXPECT_TRUE(j["io"].empty());
}

TEST(ReportJsonTest, IoHasOneEntryPerDevice) {
  RunReport r = bare_report();
  r.stats.io = std::vector<IoDeviceStats>{device(8, 0), device(259, 1)};

  const json j = report_json(r);

  const json one = {
      {"read_bytes", 1 * kMiB}, {"write_bytes", 2 * kMiB}, {"read_ios", 10}, {"write_ios", 20}};
  json sda = one, nvme = one;
  sda["device"] = "8:0";
  nvme["device"] = "259:1";
  EXPECT_EQ(j["io"], (json{sda, nvme}));
}

TEST(ReportJsonTest, ExitStatusIsTheContainersStatus) {
  RunReport r = bare_report();
  r.status = 137;

  EXPECT_EQ(report_json(r)["exit_status"], 137);
}

}  // namespace
}  // namespace mydocker
