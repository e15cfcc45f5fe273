// The events file: docker's JSON lines, one write each from any number of processes, its
// rotation to events.1, the reader of a time window and the follower.

#include "mydocker/store/events.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/util/files.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using nlohmann::json;

int64_t wall_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Event numbered(int n, int64_t time_ns = 0, const std::string& padding = "") {
  Event e = volume_event("create", "v" + std::to_string(n));
  if (!padding.empty()) e.attributes["pad"] = padding;
  e.time_ns = time_ns;
  return e;
}

std::vector<std::string> actors(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.actor);
  return out;
}

class EventFileTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = test::make_temp_dir() + "/state"; }
  void TearDown() override { test::remove_tree(root_.substr(0, root_.rfind('/'))); }
  std::vector<Event> all() const { return read_events(root_, 0, INT64_MAX); }

  std::string root_;
};

TEST(EventLine, IsDockersMessageForAContainer) {
  Event e = container_event("die", std::string(64, 'a'), "web", "busybox", {{"tier", "db"}});
  e.attributes["exitCode"] = "3";
  e.time_ns = 1700000000123456789;
  EXPECT_EQ(event_line(e),
            "{\"status\":\"die\",\"id\":\"" + std::string(64, 'a') +
                "\",\"from\":\"busybox\",\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{"
                "\"ID\":\"" +
                std::string(64, 'a') +
                "\",\"Attributes\":{\"exitCode\":\"3\",\"image\":\"busybox\",\"name\":\"web\","
                "\"tier\":\"db\"}},\"scope\":\"local\",\"time\":1700000000,\"timeNano\":"
                "1700000000123456789}\n");
}

TEST(EventLine, StatusAndIdOnlyForContainersAndImages) {
  Event image = image_event("tag", "sha256:abc", "busybox:1");
  image.time_ns = 1;
  const auto i = json::parse(event_line(image));
  EXPECT_EQ(i["status"], "tag");
  EXPECT_EQ(i["id"], "sha256:abc");
  EXPECT_FALSE(i.contains("from"));
  Event volume = volume_event("destroy", "data");
  volume.time_ns = 1;
  const auto v = json::parse(event_line(volume));
  EXPECT_FALSE(v.contains("status"));
  EXPECT_FALSE(v.contains("id"));
  EXPECT_EQ(v["Actor"]["Attributes"], (json{{"driver", "local"}}));
  const auto host = json::parse(event_line(container_event("start", "x", "n", "", {})));
  EXPECT_FALSE(host.contains("from")) << "a container of the host's files has no image";
  EXPECT_FALSE(host["Actor"]["Attributes"].contains("image"));
}

TEST(EventLine, NetworkAttributes) {
  const Event e = network_event("connect", "net1", "backend", "bridge", "c1");
  EXPECT_EQ(e.type, "network");
  EXPECT_EQ(e.attributes, (std::map<std::string, std::string>{
                              {"container", "c1"}, {"name", "backend"}, {"type", "bridge"}}));
}

TEST(EventLine, ParsesBackAndSkipsDamagedLines) {
  Event e = container_event("start", "abc", "web", "busybox", {{"k", "v"}});
  e.time_ns = 42;
  std::string line = event_line(e);
  line.pop_back();
  const auto back = parse_event_line(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->type, "container");
  EXPECT_EQ(back->action, "start");
  EXPECT_EQ(back->actor, "abc");
  EXPECT_EQ(back->attributes, e.attributes);
  EXPECT_EQ(back->time_ns, 42);
  EXPECT_FALSE(parse_event_line(line.substr(0, line.size() / 2)));
  EXPECT_FALSE(parse_event_line(""));
  EXPECT_FALSE(parse_event_line("{\"Type\":\"container\"}")) << "no action";
  // docker's own lines with only "time" (older daemons)
  const auto old = parse_event_line(R"({"Type":"image","Action":"pull","time":7})");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->time_ns, 7000000000);
}

TEST(EventLine, InvalidUtf8IsReplacedNotLost) {
  Event e = container_event("create", "abc", "web", "",
                            {{"label",
                              "a\xff"
                              "b"}});
  e.time_ns = 1;
  const auto back = parse_event_line(event_line(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->attributes.at("label"),
            "a\xef\xbf\xbd"
            "b");
}

TEST(EventLine, EscapesWhatJsonMustAndStaysOneLine) {
  const std::string odd = "q\"b\\n\nr\rt\t\x01\x1f é 日本 \xf0\x9f\x90\xb3";
  Event e = container_event("exec_start: sh -c 'echo \"hi\"'", "abc", odd, "", {{odd, odd}});
  e.time_ns = 1;
  const std::string line = event_line(e);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto j = json::parse(line);
  EXPECT_EQ(j["Action"], "exec_start: sh -c 'echo \"hi\"'");
  EXPECT_EQ(j["Actor"]["Attributes"][odd], odd);
  EXPECT_EQ(j["Actor"]["Attributes"]["name"], odd);
  EXPECT_NE(line.find("\\u0001\\u001f"), std::string::npos) << line;
  // Overlong forms, surrogates and cut sequences are no UTF-8.
  for (const std::string bad : {"\xc0\xaf", "\xed\xa0\x80", "\xe6\x97", "\xf5\x80\x80\x80"}) {
    e.attributes = {{"k", bad}};
    const auto back = parse_event_line(event_line(e));
    ASSERT_TRUE(back) << bad;
    EXPECT_NE(back->attributes.at("k").find("\xef\xbf\xbd"), std::string::npos);
  }
}

TEST_F(EventFileTest, RecordMakesTheStateRootAndAppendsInOrder) {
  for (int i = 0; i < 3; ++i) record_event(root_, numbered(i));
  struct stat st {};
  ASSERT_EQ(::stat(root_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(events_path(root_).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto got = all();
  EXPECT_EQ(actors(got), (std::vector<std::string>{"v0", "v1", "v2"}));
  EXPECT_GT(got.front().time_ns, 1600000000LL * 1000000000) << "the time is set to now";
  EXPECT_LE(got.front().time_ns, got.back().time_ns);
}

TEST_F(EventFileTest, ANewStateRootIsFollowed) {
  record_event(root_, numbered(0));
  const std::string other = root_ + "2";
  record_event(other, numbered(1));
  EXPECT_EQ(actors(read_events(other, 0, INT64_MAX)), std::vector<std::string>{"v1"});
  EXPECT_EQ(actors(all()), std::vector<std::string>{"v0"});
  test::remove_tree(other);
}

TEST_F(EventFileTest, AnUnwritableRootIsNoError) {
  record_event("/proc/no/such/root", numbered(0));  // best effort: nothing thrown
  SUCCEED();
}

TEST_F(EventFileTest, ReadsATimeWindowBothEndsIncluded) {
  for (int i = 1; i <= 5; ++i) record_event(root_, numbered(i, i * 1000));
  EXPECT_EQ(actors(read_events(root_, 2000, 4000)), (std::vector<std::string>{"v2", "v3", "v4"}));
  EXPECT_TRUE(read_events(root_, 6000, 9000).empty());
  EXPECT_TRUE(read_events(root_ + "/none", 0, INT64_MAX).empty()) << "no file: no events";
}

TEST_F(EventFileTest, DamagedLinesAreSkipped) {
  record_event(root_, numbered(1));
  test::put_file(events_path(root_), test::get_file(events_path(root_)) + "garbage\n{\"Ty");
  record_event(root_, numbered(2));  // appended after the cut line: the cut one is lost
  EXPECT_EQ(actors(all()), std::vector<std::string>{"v1"});
}

TEST_F(EventFileTest, RotatesPastTheLimitKeepingOneGeneration) {
  const std::string pad(1000, 'x');
  int n = 0;
  struct stat st {};
  // Past the limit once: the file becomes events.1.
  while (::stat((events_path(root_) + ".1").c_str(), &st) != 0) {
    record_event(root_, numbered(n++, 0, pad));
    ASSERT_LT(n, 10000);
  }
  EXPECT_GT(st.st_size, kEventsFileLimit);
  EXPECT_LT(st.st_size, kEventsFileLimit + 2000);
  record_event(root_, numbered(n++, 0, pad));
  const auto got = all();
  ASSERT_EQ(static_cast<int>(got.size()), n) << "nothing lost over one rotation";
  for (int i = 0; i < n; ++i) ASSERT_EQ(got[i].actor, "v" + std::to_string(i));
  // Past it twice: the oldest generation goes; both files stay under the limit plus a line.
  for (int i = 0; i < 5000; ++i) record_event(root_, numbered(n++, 0, pad));
  ASSERT_EQ(::stat(events_path(root_).c_str(), &st), 0);
  EXPECT_LE(st.st_size, kEventsFileLimit + 2000);
  ASSERT_EQ(::stat((events_path(root_) + ".1").c_str(), &st), 0);
  EXPECT_LE(st.st_size, kEventsFileLimit + 2000);
  EXPECT_EQ(all().back().actor, "v" + std::to_string(n - 1));
}

// Processes writing at once, across several rotations: every line is whole, and each writer's
// events are in its order.
TEST_F(EventFileTest, ConcurrentWritersAndRotationsKeepLinesWhole) {
  const std::string pad(2000, 'y');
  constexpr int kWriters = 4, kEach = 1500;  // ~12 MiB: two or three rotations
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int i = 0; i < kEach; ++i) {
        Event e = numbered(i, 0, pad);
        e.actor = std::to_string(w) + ":" + std::to_string(i);
        record_event(root_, e);
      }
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_EQ(status, 0);
  }
  for (const char* file : {"", ".1"}) {
    const std::string text = test::get_file(events_path(root_) + file);
    size_t start = 0, nl, lines = 0;
    while ((nl = text.find('\n', start)) != std::string::npos) {
      ASSERT_TRUE(parse_event_line(std::string_view(text).substr(start, nl - start)))
          << "a damaged line in events" << file << " at byte " << start;
      start = nl + 1;
      ++lines;
    }
    EXPECT_EQ(start, text.size());
    EXPECT_GT(lines, 0u);
    // Past the limit by at most a line per writer: each rotates before it writes again.
    EXPECT_LE(static_cast<int64_t>(text.size()), kEventsFileLimit + kWriters * 2100);
  }
  std::vector<int> last(kWriters, -1);
  const auto got = all();
  auto index = [](const Event& e) { return std::stoi(e.actor.substr(e.actor.find(':') + 1)); };
  for (const auto& e : got) {
    const int w = std::stoi(e.actor.substr(0, e.actor.find(':')));
    EXPECT_GT(index(e), last[w]) << e.actor;
    last[w] = index(e);
  }
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(index(got.back()), kEach - 1) << "the last line is the last writer's last event";
}

// A forked child writes through a file of its own, also after closing every fd it had (the
// health checker does): the number its parent's fd had may be another file by then.
TEST_F(EventFileTest, AForkedChildOpensItsOwnFile) {
  record_event(root_, numbered(1));
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int held = -1;  // the number of the parent's fd of the events file
    for (int fd = 3; fd < 1024; ++fd)
      if (read_link("/proc/self/fd/" + std::to_string(fd)) == events_path(root_)) held = fd;
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    int pipes[2];
    if (held < 0 || ::pipe2(pipes, O_NONBLOCK) != 0) ::_exit(2);
    const int reader = ::fcntl(pipes[0], F_DUPFD, 900);  // out of the way of `held`
    if (reader < 0 || ::dup2(pipes[1], held) != held) ::_exit(2);
    record_event(root_, numbered(2));
    char c;
    ::_exit(::read(reader, &c, 1) < 0 && errno == EAGAIN ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child wrote into a reused fd";
  record_event(root_, numbered(3));
  EXPECT_EQ(actors(all()), (std::vector<std::string>{"v1", "v2", "v3"}));
}

TEST_F(EventFileTest, FollowerFromNowSeesOnlyNewEvents) {
  record_event(root_, numbered(1));
  EventFollower f(root_, false);
  record_event(root_, numbered(2));
  std::vector<Event> got;
  f.run(
      [&](const Event& e) {
        got.push_back(e);
        return true;
      },
      wall_ns() + 200 * 1000000, -1);
  EXPECT_EQ(actors(got), std::vector<std::string>{"v2"});
}

TEST_F(EventFileTest, FollowerFromTheStartReadsBothGenerationsThenTheRotatedFile) {
  record_event(root_, numbered(1));
  ASSERT_EQ(::rename(events_path(root_).c_str(), (events_path(root_) + ".1").c_str()), 0);
  record_event(root_, numbered(2));  // the writer sees its file renamed and opens a new one
  EventFollower f(root_, true);
  record_event(root_, numbered(3));
  ASSERT_EQ(::rename(events_path(root_).c_str(), (events_path(root_) + ".1").c_str()), 0);
  record_event(root_, numbered(4));
  std::vector<Event> got;
  f.run(
      [&](const Event& e) {
        got.push_back(e);
        return got.size() < 4;
      },
      wall_ns() + 5000 * 1000000LL, -1);
  EXPECT_EQ(actors(got), (std::vector<std::string>{"v1", "v2", "v3", "v4"}));
}

// The follower sleeps until a writer appends (no polling): another process writes, across a
// real rotation, while it waits.
TEST_F(EventFileTest, FollowerWakesForAnotherProcessAcrossARotation) {
  const std::string pad(1000, 'z');
  EventFollower f(root_, false);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::usleep(100000);
    for (int i = 0; i < 5000; ++i) record_event(root_, numbered(i, 0, pad));  // ~5 MiB
    ::_exit(0);
  }
  int seen = 0;
  bool in_order = true;
  f.run(
      [&](const Event& e) {
        in_order = in_order && e.actor == "v" + std::to_string(seen);
        return ++seen < 5000;
      },
      wall_ns() + 30000 * 1000000LL, -1);
  ::waitpid(pid, nullptr, 0);
  EXPECT_EQ(seen, 5000);
  EXPECT_TRUE(in_order);
  struct stat st {};
  EXPECT_EQ(::stat((events_path(root_) + ".1").c_str(), &st), 0) << "it did rotate";
}

TEST_F(EventFileTest, FollowerStopsAtTheDeadlineOrTheStopFd) {
  EventFollower f(root_, false);
  const auto t0 = std::chrono::steady_clock::now();
  f.run([](const Event&) { return true; }, wall_ns() + 150 * 1000000, -1);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(140));
  EXPECT_LT(waited, std::chrono::seconds(5));
  int stop[2];
  ASSERT_EQ(::pipe2(stop, O_CLOEXEC), 0);
  ASSERT_EQ(::write(stop[1], "x", 1), 1);
  f.run([](const Event&) { return true; }, 0, stop[0]);  // returns at once
  ::close(stop[0]);
  ::close(stop[1]);
}

}  // namespace
}  // namespace mydocker
