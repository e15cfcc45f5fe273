// ContainerState: state.json's fields as JSON and back, live(), and the RFC 3339 times.

#include "mydocker/store/state.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using nlohmann::json;

// Every field set to something other than its default.
ContainerState full_state() {
  ContainerState s;
  s.status = "restarting";
  s.pid = 4242;
  s.supervisor_pid = 4241;
  s.exit_code = 137;
  s.oom_killed = true;
  s.started_at = "2026-11-22T15:06:02.123456789Z";
  s.finished_at = "2026-11-22T15:07:03.987654321Z";
  s.restart_count = 3;
  s.restart_reason = "OOM-killed (exit 137)";
  s.stop_requested = true;
  s.error = "exec: \"nope\": not found";
  s.name = "web";
  s.created = "2026-11-22T15:06:01.000000001Z";
  s.command = {"sh", "-c", "sleep 1"};
  s.limits = "mem=100m";
  s.cgroup.driver = CgroupMode::kV1;
  s.cgroup.paths = {{"memory", "/sys/fs/cgroup/memory/mydocker/abc"},
                    {"cpu", "/sys/fs/cgroup/cpu/mydocker/abc"}};
  s.cgroup.dirs = {"/sys/fs/cgroup/memory/mydocker/abc", "/sys/fs/cgroup/cpu/mydocker/abc"};
  s.cgroup.parents = {"/sys/fs/cgroup/memory/mydocker"};
  return s;
}

void expect_same_state(const ContainerState& a, const ContainerState& b) {
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.supervisor_pid, b.supervisor_pid);
  EXPECT_EQ(a.exit_code, b.exit_code);
  EXPECT_EQ(a.oom_killed, b.oom_killed);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.finished_at, b.finished_at);
  EXPECT_EQ(a.restart_count, b.restart_count);
  EXPECT_EQ(a.restart_reason, b.restart_reason);
  EXPECT_EQ(a.stop_requested, b.stop_requested);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.command, b.command);
  EXPECT_EQ(a.limits, b.limits);
  EXPECT_EQ(a.cgroup.driver_name(), b.cgroup.driver_name());
  EXPECT_EQ(a.cgroup.paths, b.cgroup.paths);
  EXPECT_EQ(a.cgroup.dirs, b.cgroup.dirs);
  EXPECT_EQ(a.cgroup.parents, b.cgroup.parents);
}

// ---- JSON ----

TEST(ContainerStateJson, RoundTripKeepsEveryFieldButTheCgroups) {
  ContainerState original = full_state();

  const json j = original;
  const ContainerState back = json::parse(j.dump()).get<ContainerState>();

  // The cgroup record lives in config.json (ContainerDir::state() adds it back).
  EXPECT_TRUE(back.cgroup.empty());
  original.cgroup = {};
  expect_same_state(back, original);
}

TEST(ContainerStateJson, AStateOfVersion02KeepsTheCgroupsItHolds) {
  const ContainerState original = full_state();
  json j = original;
  put_cgroup_record(j, original.cgroup);

  const ContainerState back = j.get<ContainerState>();

  expect_same_state(back, original);
}

TEST(ContainerStateJson, WritesEveryFieldUnderItsName) {
  const json j = full_state();

  for (const char* key : {"status", "pid", "supervisor_pid", "exit_code", "oom_killed",
                          "started_at", "finished_at", "restart_count", "restart_reason",
                          "stop_requested", "error", "name", "created", "command", "limits"})
    EXPECT_TRUE(j.contains(key)) << key;
  for (const char* key : {"cgroup_mode", "cgroups", "cgroup_dirs", "cgroup_parents"})
    EXPECT_FALSE(j.contains(key)) << key;
  EXPECT_EQ(j["status"], "restarting");
  EXPECT_EQ(j["pid"], 4242);
  EXPECT_EQ(j["oom_killed"], true);
  EXPECT_EQ(j["command"], json({"sh", "-c", "sleep 1"}));
}

TEST(ContainerStateJson, EmptyObjectGivesTheDefaults) {
  const ContainerState defaults;

  const ContainerState s = json::object().get<ContainerState>();

  expect_same_state(s, defaults);
  EXPECT_EQ(s.status, "created");
  EXPECT_EQ(s.pid, 0);
  EXPECT_FALSE(s.oom_killed);
  EXPECT_TRUE(s.cgroup.paths.empty());
}

TEST(ContainerStateJson, PartialObjectKeepsTheDefaultsOfTheMissingFields) {
  const json j = {{"status", "running"}, {"pid", 17}, {"restart_count", 2}};

  const ContainerState s = j.get<ContainerState>();

  EXPECT_EQ(s.status, "running");
  EXPECT_EQ(s.pid, 17);
  EXPECT_EQ(s.restart_count, 2);
  EXPECT_EQ(s.supervisor_pid, 0);
  EXPECT_EQ(s.exit_code, 0);
  EXPECT_FALSE(s.oom_killed);
  EXPECT_FALSE(s.stop_requested);
  EXPECT_EQ(s.started_at, "");
  EXPECT_EQ(s.finished_at, "");
  EXPECT_EQ(s.restart_reason, "");
  EXPECT_EQ(s.error, "");
  EXPECT_EQ(s.cgroup.driver_name(), "");
  EXPECT_TRUE(s.cgroup.paths.empty());
  EXPECT_TRUE(s.cgroup.dirs.empty());
  EXPECT_TRUE(s.cgroup.parents.empty());
}

TEST(ContainerStateJson, FromJsonOverwritesEveryFieldOfAReusedState) {
  ContainerState s = full_state();

  from_json(json::object(), s);

  expect_same_state(s, ContainerState{});
}

// ---- live() ----

TEST(ContainerStateLive, RunningPausedAndRestartingAreLive) {
  for (const char* status : {"running", "paused", "restarting"}) {
    ContainerState s;
    s.status = status;
    EXPECT_TRUE(s.live()) << status;
  }
}

TEST(ContainerStateLive, CreatedExitedAndUnknownAreNotLive) {
  for (const char* status : {"created", "exited", "dead", ""}) {
    ContainerState s;
    s.status = status;
    EXPECT_FALSE(s.live()) << status;
  }
}

// ---- RFC 3339 ----

TEST(Rfc3339, NowHasDockersShapeWithNanoseconds) {
  const std::string now = now_rfc3339();

  EXPECT_TRUE(std::regex_match(now, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z)")))
      << now;
}

TEST(Rfc3339, ParseOfNowIsWithinASecondOfTime) {
  const double before = test::realtime_now();

  const double parsed = parse_rfc3339(now_rfc3339());

  const double after = test::realtime_now();
  EXPECT_GE(parsed, before - 1.0);
  EXPECT_LE(parsed, after + 1.0);
}

TEST(Rfc3339, ParseKeepsTheFraction) {
  // 2026-11-22T15:06:02Z is 1795359962 s after the epoch.
  EXPECT_DOUBLE_EQ(parse_rfc3339("2026-11-22T15:06:02Z"), 1795359962.0);
  EXPECT_NEAR(parse_rfc3339("2026-11-22T15:06:02.123456789Z"), 1795359962.123456789, 1e-6);
  EXPECT_NEAR(parse_rfc3339("2026-11-22T15:06:02.5Z"), 1795359962.5, 1e-6);
}

TEST(Rfc3339, ParseIsUtc) {
  EXPECT_DOUBLE_EQ(parse_rfc3339("1970-01-01T00:00:00.000000000Z"), 0.0);
  EXPECT_DOUBLE_EQ(parse_rfc3339("1970-01-02T00:00:00.000000000Z"), 86400.0);
}

TEST(Rfc3339, ParseOfGarbageIsZero) {
  EXPECT_EQ(parse_rfc3339("garbage"), 0.0);
  EXPECT_EQ(parse_rfc3339(""), 0.0);
  EXPECT_EQ(parse_rfc3339("2026-13-45"), 0.0);
  EXPECT_EQ(parse_rfc3339("yesterday at noon"), 0.0);
}

}  // namespace
}  // namespace mydocker
