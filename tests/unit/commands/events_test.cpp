// `events`: docker's --since/--until times, its --filter rules, and which events a query
// delivers (the past, the past then the stream, only the stream).

#include "mydocker/commands/events.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "mydocker/commands/commands.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/util/error.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kNow = 1700000000 * kSecond;  // 2023-11-14T22:13:20Z

// Runs the test in a fixed local zone (POSIX TZ, no tzdata needed), then puts it back.
class LocalZone {
 public:
  explicit LocalZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~LocalZone() {
    if (old_)
      ::setenv("TZ", old_->c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

int64_t at(const std::string& text) { return parse_event_time(text, "--since", kNow); }

TEST(EventTime, Rfc3339WithAndWithoutFractionAndZone) {
  LocalZone zone("CET-1");  // UTC+1, no daylight saving
  EXPECT_EQ(at("2023-11-14T22:13:20Z"), kNow);
  EXPECT_EQ(at("2023-11-14T22:13:20.5Z"), kNow + kSecond / 2);
  EXPECT_EQ(at("2023-11-14T22:13:20.123456789Z"), kNow + 123456789);
  EXPECT_EQ(at("2023-11-14T22:13:20.1234567891Z"), kNow + 123456789) << "past 9 digits: dropped";
  EXPECT_EQ(at("2023-11-14T23:13:20+01:00"), kNow);
  EXPECT_EQ(at("2023-11-14T17:13:20-05:00"), kNow);
  EXPECT_EQ(at("2023-11-14T23:13:20"), kNow) << "no zone: local time";
  EXPECT_EQ(at("2023-11-14T23:13:20.25"), kNow + kSecond / 4);
  EXPECT_EQ(at("2023-11-14T23:13"), kNow - 20 * kSecond);
  EXPECT_EQ(at("2023-11-14T23"), kNow - (13 * 60 + 20) * kSecond);
}

TEST(EventTime, DatesAreMidnight) {
  LocalZone zone("CET-1");
  const int64_t midnight_utc = (kNow / kSecond - (22 * 3600 + 13 * 60 + 20)) * kSecond;
  EXPECT_EQ(at("2023-11-14Z"), midnight_utc);
  EXPECT_EQ(at("2023-11-14"), midnight_utc - 3600 * kSecond) << "local midnight";
  EXPECT_EQ(at("2024-02-29"), at("2024-02-28") + 86400 * kSecond);
}

TEST(EventTime, UnixSecondsWithAFraction) {
  EXPECT_EQ(at("1700000000"), kNow);
  EXPECT_EQ(at("1700000000.5"), kNow + kSecond / 2);
  EXPECT_EQ(at("1700000000.000000001"), kNow + 1);
  EXPECT_EQ(at("0"), 0) << "the epoch, not a duration";
}

TEST(EventTime, DurationsAreBeforeNow) {
  EXPECT_EQ(at("10m"), kNow - 600 * kSecond);
  EXPECT_EQ(at("1h30m"), kNow - 5400 * kSecond);
  EXPECT_EQ(at("90s"), kNow - 90 * kSecond);
  EXPECT_EQ(at("1.5s"), kNow - kSecond * 3 / 2);
  EXPECT_EQ(at("300ms"), kNow - 300000000);
  EXPECT_EQ(at("-10s"), kNow + 10 * kSecond) << "a negative duration is after now";
  EXPECT_EQ(parse_go_duration("2h45m30.5s"), (2 * 3600 + 45 * 60 + 30) * kSecond + kSecond / 2);
  EXPECT_EQ(parse_go_duration("1us"), 1000);
  EXPECT_EQ(parse_go_duration("1\xc2\xb5s"), 1000);
  EXPECT_FALSE(parse_go_duration("10"));
  EXPECT_FALSE(parse_go_duration("10x"));
  EXPECT_FALSE(parse_go_duration("m"));
  EXPECT_FALSE(parse_go_duration(""));
}

TEST(EventTime, BadValuesNameTheFlag) {
  for (const std::string bad : {"yesterday", "2023-13-01", "2023-02-30", "2023-11-14T25:00Z",
                                "2023-11-14T22:13:20+0100", "2023-11-14 22:13", "1.2.3", "", "-"}) {
    try {
      (void)parse_event_time(bad, "--until", kNow);
      ADD_FAILURE() << "'" << bad << "' parsed";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 125);
      EXPECT_NE(std::string(e.what()).find("invalid value '" + bad + "' for --until"),
                std::string::npos)
          << e.what();
    }
  }
}

Event container(const std::string& action, const std::string& id, const std::string& name) {
  return container_event(action, id, name, "busybox:1.36", {{"tier", "db"}, {"solo", ""}});
}

bool matches(const std::vector<std::string>& filters, const Event& e) {
  return event_matches(parse_event_filters(filters), e);
}

TEST(EventFilters, ContainerByIdPrefixOrName) {
  const Event e = container("start", "abc123" + std::string(58, '0'), "web");
  EXPECT_TRUE(matches({}, e));
  EXPECT_TRUE(matches({"container=web"}, e));
  EXPECT_TRUE(matches({"container=abc1"}, e));
  EXPECT_TRUE(matches({"container=" + e.actor}, e));
  EXPECT_FALSE(matches({"container=db"}, e));
  EXPECT_TRUE(matches({"container=db", "container=web"}, e)) << "the same key twice: either";
  EXPECT_FALSE(matches({"container=web"}, volume_event("create", "web")))
      << "a volume named like the container is not the container";
}

TEST(EventFilters, EventTypeAndTheirCombination) {
  const Event e = container("die", "abc", "web");
  EXPECT_TRUE(matches({"event=die"}, e));
  EXPECT_FALSE(matches({"event=start"}, e));
  EXPECT_TRUE(matches({"event=start", "event=die"}, e));
  EXPECT_TRUE(matches({"type=container", "event=die", "container=web"}, e));
  EXPECT_FALSE(matches({"type=container", "event=start", "container=web"}, e))
      << "different keys: all of them";
  EXPECT_FALSE(matches({"type=image"}, e));
  EXPECT_TRUE(matches({"scope=local"}, e));
  // exec_* and health_status carry more after ": ".
  EXPECT_TRUE(matches({"event=exec_start"}, container("exec_start: sh -c ls", "abc", "web")));
  EXPECT_TRUE(matches({"event=health_status"}, container("health_status: healthy", "a", "w")));
  EXPECT_TRUE(
      matches({"event=health_status: healthy"}, container("health_status: healthy", "a", "w")));
  EXPECT_FALSE(matches({"event=exec"}, container("exec_start: sh", "abc", "web")));
}

TEST(EventFilters, ImageOfAContainerOrAnImage) {
  const Event c = container("create", "abc", "web");  // image=busybox:1.36
  EXPECT_TRUE(matches({"image=busybox:1.36"}, c));
  EXPECT_TRUE(matches({"image=busybox"}, c)) << "without its tag";
  EXPECT_FALSE(matches({"image=busybox:1.37"}, c));
  const Event tag = image_event("tag", "sha256:0123", "localhost:5000/app:2");
  EXPECT_TRUE(matches({"image=sha256:0123"}, tag));
  EXPECT_TRUE(matches({"image=localhost:5000/app"}, tag));
  EXPECT_FALSE(matches({"image=localhost"}, tag));
  EXPECT_TRUE(matches({"image=busybox:latest"}, image_event("pull", "busybox:latest", "busybox")));
  EXPECT_FALSE(matches({"image=busybox"}, volume_event("create", "busybox")));
}

TEST(EventFilters, LabelsAllMatch) {
  const Event e = container("start", "abc", "web");
  EXPECT_TRUE(matches({"label=tier"}, e));
  EXPECT_TRUE(matches({"label=tier=db"}, e));
  EXPECT_TRUE(matches({"label=solo"}, e));
  EXPECT_FALSE(matches({"label=tier=web"}, e));
  EXPECT_TRUE(matches({"label=tier=db", "label=solo"}, e));
  EXPECT_FALSE(matches({"label=tier=db", "label=owner"}, e)) << "docker: every label must match";
}

TEST(EventFilters, VolumeAndNetwork) {
  EXPECT_TRUE(matches({"volume=data"}, volume_event("destroy", "data")));
  EXPECT_FALSE(matches({"volume=data"}, volume_event("destroy", "logs")));
  EXPECT_FALSE(matches({"volume=data"}, container("start", "abc", "data")));
  const Event n = network_event("connect", "f00d" + std::string(60, '1'), "backend", "bridge", "c");
  EXPECT_TRUE(matches({"network=backend"}, n));
  EXPECT_TRUE(matches({"network=f00d"}, n));
  EXPECT_FALSE(matches({"network=front"}, n));
}

TEST(EventFilters, UnknownKeysAndTypesAreErrors) {
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"colour=red"}, {"type=box"}, {"container"}}) {
    try {
      (void)parse_event_filters(bad);
      ADD_FAILURE() << bad.front();
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 125);
      EXPECT_NE(std::string(e.what()).find("'" + bad.front() + "' for --filter"), std::string::npos)
          << e.what();
    }
  }
}

// ---- which events a query delivers ----

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = test::make_temp_dir(); }
  void TearDown() override { test::remove_tree(root_); }
  void record(const std::string& name, int64_t time_ns) {
    Event e = volume_event("create", name);
    e.time_ns = time_ns;
    record_event(root_, e);
  }
  std::vector<std::string> watch(const EventQuery& q, int64_t now, int stop_fd = -1) {
    std::vector<std::string> got;
    watch_events(
        root_, q, now, [&](const Event& e) { got.push_back(e.actor); }, stop_fd);
    return got;
  }
  std::string root_;
};

TEST_F(WatchTest, UntilInThePastPrintsTheWindowAndReturns) {
  for (int i = 1; i <= 4; ++i) record("v" + std::to_string(i), i * kSecond);
  EXPECT_EQ(watch({2 * kSecond, 3 * kSecond, {}}, 10 * kSecond),
            (std::vector<std::string>{"v2", "v3"}));
  EXPECT_EQ(watch({std::nullopt, 2 * kSecond, {}}, 10 * kSecond),
            (std::vector<std::string>{"v1", "v2"}))
      << "until alone: everything before it";
  EXPECT_EQ(watch({std::nullopt, 9 * kSecond, {"volume=v4"}}, 10 * kSecond),
            std::vector<std::string>{"v4"});
}

TEST_F(WatchTest, UntilInTheFutureStreamsUntilThen) {
  const int64_t now = wall_clock_ns();
  record("old", now - 60 * kSecond);
  record("before", now - kSecond);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::usleep(50000);
    record("new", 0);
    ::_exit(0);
  }
  const auto got = watch({now - 10 * kSecond, now + 300 * 1000000, {}}, now);
  ::waitpid(pid, nullptr, 0);
  EXPECT_EQ(got, (std::vector<std::string>{"before", "new"}));
  EXPECT_GE(wall_clock_ns(), now + 300 * 1000000) << "it waited until --until";
}

TEST_F(WatchTest, WithoutATimeOnlyNewEventsUntilStopped) {
  record("old", 0);
  int stop[2];
  ASSERT_EQ(::pipe(stop), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::usleep(50000);
    record("new", 0);
    ::usleep(50000);
    (void)!::write(stop[1], "x", 1);
    ::_exit(0);
  }
  const auto got = watch({}, wall_clock_ns(), stop[0]);
  ::waitpid(pid, nullptr, 0);
  ::close(stop[0]);
  ::close(stop[1]);
  EXPECT_EQ(got, std::vector<std::string>{"new"});
}

// ---- the image events the commands record ----

TEST_F(WatchTest, PullAndPushNameTheReferenceAsDockerSpellsIt) {
  const ImageStore images(root_ + "/data");  // empty: no labels to add
  record_transfer_event(root_, images, "pull", "busybox");
  record_transfer_event(root_, images, "push", "localhost:5000/app:1");
  record_transfer_event(root_, images, "pull", "busybox@sha256:" + std::string(64, 'a'));
  const auto got = read_events(root_, 0, INT64_MAX);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].actor, "busybox:latest");
  EXPECT_EQ(got[0].attributes.at("name"), "busybox");
  EXPECT_EQ(got[1].action, "push");
  EXPECT_EQ(got[1].actor, "localhost:5000/app:1");
  EXPECT_EQ(got[1].attributes.at("name"), "localhost:5000/app");
  EXPECT_EQ(got[2].actor, "busybox@sha256:" + std::string(64, 'a'));
  EXPECT_EQ(got[2].attributes.at("name"), "busybox");
}

TEST_F(WatchTest, RmiLinesBecomeUntagAndDeleteEvents) {
  ImageInfo info;
  info.id = std::string(64, 'c');
  const std::string id = "sha256:" + info.id;
  record_removal_events(root_, info, {{"maintainer", "me"}},
                        {"Untagged: app:1", "Untagged: app:latest", "Deleted: " + id,
                         "Deleted: sha256:" + std::string(64, 'd')});  // a layer: no event
  const auto got = read_events(root_, 0, INT64_MAX);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].action, "untag");
  EXPECT_EQ(got[0].actor, id);
  EXPECT_EQ(got[0].attributes.at("name"), "app:1");
  EXPECT_EQ(got[0].attributes.at("maintainer"), "me") << "the image's labels";
  EXPECT_EQ(got[1].attributes.at("name"), "app:latest");
  EXPECT_EQ(got[2].action, "delete");
  EXPECT_EQ(got[2].attributes.at("name"), id);
}

}  // namespace
}  // namespace mydocker
