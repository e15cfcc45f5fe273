// `events` (issue 14) on real containers: what each command records (docker's actions and
// attributes), --since/--until windows, --filter, --format, and the live stream that a
// SIGTERM ends with status 0.

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

std::string now_text() {  // unix seconds with nanoseconds: what --since/--until take
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld.%09ld", static_cast<long long>(ts.tv_sec), ts.tv_nsec);
  return buf;
}

class EventsTest : public IntegrationTest {
 protected:
  void TearDown() override {
    if (!root().empty()) {
      md({"rm", "-f", "ev-a", "ev-b", "ev-c", "ev-h"});
      md({"volume", "rm", "-f", "ev-data"});
    }
    IntegrationTest::TearDown();
  }
  // `events` over the past (--until now), each line parsed from --format json.
  std::vector<Json> past(std::vector<std::string> extra = {}) {
    std::vector<std::string> a{"events", "--since", "0", "--until", "0s", "--format", "json"};
    a.insert(a.end(), extra.begin(), extra.end());
    auto r = md(a);
    EXPECT_EQ(r.status, 0) << r.err;
    std::vector<Json> out;
    for (const auto& l : lines(r.out)) {
      auto j = Json::parse(l, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << l;
      out.push_back(j);
    }
    return out;
  }
  // The actions of `id`'s container events, in order.
  std::vector<std::string> actions_of(const std::string& id) {
    std::vector<std::string> out;
    for (const auto& e : past({"--filter", "container=" + id})) out.push_back(e["Action"]);
    return out;
  }
  static std::string attr(const Json& e, const std::string& key) {
    return e["Actor"]["Attributes"].value(key, "<none>");
  }
  // The first event of `events` whose action is `action`.
  static Json find(const std::vector<Json>& events, const std::string& action) {
    for (const auto& e : events)
      if (e["Action"] == action) return e;
    ADD_FAILURE() << "no " << action << " event";
    return Json::object();
  }
  std::string start(std::vector<std::string> flags, std::vector<std::string> command) {
    std::vector<std::string> a{"run", "-d"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.insert(a.end(), command.begin(), command.end());
    auto r = md(a);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
};

TEST_F(EventsTest, RunRmRecordsCreateStartDieDestroy) {
  auto r = md({"run", "--rm", "--name", "ev-a", "--label", "tier=db", "sh", "-c", "exit 3"});
  ASSERT_EQ(r.status, 3) << r.err;
  const auto all = past();
  ASSERT_EQ(all.size(), 4u) << r.out;
  const std::string id = all[0]["Actor"]["ID"];
  EXPECT_EQ(id.size(), 64u);
  std::vector<std::string> actions;
  for (const auto& e : all) {
    actions.push_back(e["Action"]);
    EXPECT_EQ(e["Type"], "container");
    EXPECT_EQ(e["Actor"]["ID"], id);
    EXPECT_EQ(e["status"], e["Action"]) << "docker's older fields";
    EXPECT_EQ(e["id"], id);
    EXPECT_EQ(e["scope"], "local");
    EXPECT_EQ(attr(e, "name"), "ev-a");
    EXPECT_EQ(attr(e, "tier"), "db") << "the container's labels";
    EXPECT_EQ(e["time"].get<int64_t>(), e["timeNano"].get<int64_t>() / 1000000000);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "start", "die", "destroy"}));
  EXPECT_EQ(attr(all[2], "exitCode"), "3");
  EXPECT_LE(all[0]["timeNano"].get<int64_t>(), all[3]["timeNano"].get<int64_t>());
  // A command that cannot start dies with docker's 127.
  EXPECT_EQ(md({"run", "--rm", "/no/such/command"}).status, 127);
  const auto died = past({"--filter", "event=die"});
  ASSERT_EQ(died.size(), 2u);
  EXPECT_EQ(attr(died[1], "exitCode"), "127");
}

TEST_F(EventsTest, LifecycleCommandsRecordTheirActions) {
  // sh as PID 1 has no default action for TERM: the trap makes stop's TERM end it (exit 0).
  const std::string id =
      start({"--name", "ev-b"}, {"sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"});
  ASSERT_EQ(md({"pause", "ev-b"}).status, 0);
  ASSERT_EQ(md({"unpause", "ev-b"}).status, 0);
  ASSERT_EQ(md({"rename", "ev-b", "ev-c"}).status, 0);
  EXPECT_EQ(md({"exec", "ev-c", "sh", "-c", "exit 5"}).status, 5);
  ASSERT_EQ(md({"update", "--memory", "64m", "ev-c"}).status, 0);
  ASSERT_EQ(md({"kill", "-s", "USR1", "ev-c"}).status, 0);  // ignored: PID 1, no handler
  ASSERT_EQ(md({"restart", "-t", "5", "ev-c"}).status, 0);
  ASSERT_EQ(md({"stop", "-t", "5", "ev-c"}).status, 0);
  ASSERT_EQ(md({"rm", "ev-c"}).status, 0);
  EXPECT_EQ(actions_of(id),
            (std::vector<std::string>{"create", "start", "pause", "unpause", "rename",
                                      "exec_create: sh -c exit 5", "exec_start: sh -c exit 5",
                                      "exec_die", "update", "kill", "kill", "die", "stop", "start",
                                      "restart", "kill", "die", "stop", "destroy"}));
  const auto all = past({"--filter", "container=" + id});
  EXPECT_EQ(attr(find(all, "rename"), "oldName"), "/ev-b");
  EXPECT_EQ(attr(find(all, "rename"), "name"), "ev-c");
  EXPECT_EQ(attr(find(all, "pause"), "name"), "ev-b");
  const Json exec_die = find(all, "exec_die");
  EXPECT_EQ(attr(exec_die, "exitCode"), "5");
  EXPECT_EQ(attr(exec_die, "execID").size(), 64u);
  EXPECT_EQ(attr(exec_die, "execID"), attr(find(all, "exec_start: sh -c exit 5"), "execID"));
  EXPECT_EQ(attr(find(all, "kill"), "signal"), "10");
  EXPECT_EQ(attr(all[10], "signal"), "15") << "stop's TERM (restart stops first)";
  EXPECT_EQ(attr(find(all, "die"), "exitCode"), "0");
}

TEST_F(EventsTest, OomComesBeforeDie) {
  auto r = md({"run", "--rm", "-m", "10m", example("alloc")});
  ASSERT_EQ(r.status, 137) << r.err;
  std::vector<std::string> actions;
  for (const auto& e : past()) actions.push_back(e["Action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "start", "oom", "die", "destroy"}));
  EXPECT_EQ(attr(find(past(), "die"), "exitCode"), "137");
}

// docker's oom while the container runs (a service whose worker was OOM-killed may never end),
// and not once more when it ends.
TEST_F(EventsTest, OomIsReportedWhileTheContainerRuns) {
  auto r =
      md({"run", "-d", "--name", "ev-a", "-m", "10m", "sh", "-c", example("alloc") + "; sleep 60"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string id = lines(r.out).at(0);
  std::vector<std::string> actions;
  for (int i = 0; i < 100 && actions.size() < 3; ++i) {
    std::this_thread::sleep_for(50ms);
    actions = actions_of(id);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "start", "oom"}));
  EXPECT_EQ(md({"inspect", "--format", "{{.State.Running}}", "ev-a"}).out, "true\n");
  ASSERT_EQ(md({"rm", "-f", "ev-a"}).status, 0);
  EXPECT_EQ(actions_of(id),
            (std::vector<std::string>{"create", "start", "oom", "kill", "die", "destroy"}));
}

TEST_F(EventsTest, ImagesAndVolumes) {
  ASSERT_EQ(run({"sh", "-c",
                 "mkdir -p " + root() + "/img && echo x > " + root() + "/img/f && tar -C " +
                     root() + "/img -cf " + root() + "/img.tar ."})
                .status,
            0);
  auto imported = md({"import", root() + "/img.tar", "ev-img"});
  ASSERT_EQ(imported.status, 0) << imported.err;
  const std::string id = imported.out.substr(0, imported.out.find('\n'));  // sha256:...
  ASSERT_EQ(md({"tag", "ev-img", "ev-img:2"}).status, 0);
  ASSERT_EQ(md({"rmi", "ev-img:2"}).status, 0);
  ASSERT_EQ(md({"rmi", "ev-img"}).status, 0);
  ASSERT_EQ(md({"volume", "create", "ev-data"}).status, 0);
  ASSERT_EQ(md({"volume", "rm", "ev-data"}).status, 0);
  std::vector<std::string> got;
  for (const auto& e : past({"--filter", "type=image", "--filter", "type=volume"})) {
    got.push_back(e["Type"].get<std::string>() + " " + e["Action"].get<std::string>() + " " +
                  e["Actor"]["ID"].get<std::string>() + " " + attr(e, "name") + " " +
                  attr(e, "driver"));
    if (e["Type"] == "image") {
      EXPECT_EQ(e["id"], e["Actor"]["ID"]);
    } else {
      EXPECT_FALSE(e.contains("status"));
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "image tag " + id + " ev-img:latest <none>",
                     "image import " + id + " " + id + " <none>",
                     "image tag " + id + " ev-img:2 <none>",
                     "image untag " + id + " ev-img:2 <none>",
                     "image untag " + id + " ev-img:latest <none>",
                     "image delete " + id + " " + id + " <none>",
                     "volume create ev-data <none> local",
                     "volume destroy ev-data <none> local",
                 }));
}

// Never on the host's network: the bridge, veth and nft table live in a network namespace of
// the test's own, gone with its shell.
TEST_F(EventsTest, NetworkEventsAroundARun) {
  for (const char* tool : {"/usr/sbin/nft", "/usr/sbin/ip", "/usr/bin/unshare"})
    ASSERT_TRUE(exists(tool)) << tool << " is missing (scripts/deps.sh installs it)";
  const std::string m = mydocker();
  const std::string script = "set -e; ip link set lo up; " + m + " network create ev-net; " + m +
                             " run --rm --net ev-net --name ev-a true; " + m + " network rm ev-net";
  Options opt;
  opt.env = env();
  auto r = run({"unshare", "--net", "sh", "-c", script}, opt);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string net = lines(r.out).front();
  std::vector<std::string> got;
  std::string container;
  for (const auto& e : past()) {
    if (e["Type"] == "container") container = e["Actor"]["ID"];
    got.push_back(e["Type"].get<std::string>() + " " + e["Action"].get<std::string>());
    if (e["Type"] != "network") continue;
    EXPECT_EQ(e["Actor"]["ID"], net);
    EXPECT_EQ(attr(e, "name"), "ev-net");
    EXPECT_EQ(attr(e, "type"), "bridge");
    if (e["Action"] == "connect" || e["Action"] == "disconnect") {
      EXPECT_EQ(attr(e, "container"), container);
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"network create", "container create", "network connect",
                                           "container start", "container die", "network disconnect",
                                           "container destroy", "network destroy"}));
}

TEST_F(EventsTest, SinceAndUntilWindows) {
  ASSERT_EQ(md({"run", "--rm", "--name", "ev-a", "true"}).status, 0);
  const std::string between = now_text();
  ASSERT_EQ(md({"run", "--rm", "--name", "ev-b", "true"}).status, 0);
  auto names = [&](std::vector<std::string> a) {
    a.insert(a.begin(), "events");
    a.insert(a.end(), {"--format", "{{.Action}}:{{.Actor.Attributes.name}}"});
    auto r = md(a);
    EXPECT_EQ(r.status, 0) << r.err;
    return lines(r.out);
  };
  const std::vector<std::string> a{"create:ev-a", "start:ev-a", "die:ev-a", "destroy:ev-a"};
  const std::vector<std::string> b{"create:ev-b", "start:ev-b", "die:ev-b", "destroy:ev-b"};
  EXPECT_EQ(names({"--until", between}), a) << "--until alone: everything before it";
  EXPECT_EQ(names({"--since", between, "--until", "0s"}), b);
  EXPECT_EQ(names({"--since", "1m", "--until", "0s"}).size(), 8u) << "a duration before now";
  // RFC 3339 (UTC) of the second before `between`: b's events and maybe a's.
  const time_t second = std::stoll(between.substr(0, between.find('.'))) - 1;
  char text[64];
  std::tm tm{};
  gmtime_r(&second, &tm);
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000000000Z", &tm);
  const auto from_rfc = names({"--since", text, "--until", "0s"});
  EXPECT_GE(from_rfc.size(), 4u);
  EXPECT_EQ(from_rfc.back(), "destroy:ev-b");
  // A date is local midnight: until today's, nothing of this test.
  localtime_r(&second, &tm);
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  EXPECT_EQ(names({"--since", "2000-01-01", "--until", text}).size(), 0u);
  auto bad = md({"events", "--since", "last tuesday"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("'last tuesday' for --since"), std::string::npos) << bad.err;
  auto reversed = md({"events", "--since", "0s", "--until", "1h"});
  EXPECT_EQ(reversed.status, 125) << "since after until";
}

TEST_F(EventsTest, FiltersAndFormat) {
  ASSERT_EQ(
      md({"run", "--rm", "--name", "ev-a", "--label", "tier=db", "sh", "-c", "exit 2"}).status, 2);
  ASSERT_EQ(md({"run", "--rm", "--name", "ev-b", "true"}).status, 0);
  ASSERT_EQ(md({"volume", "create", "ev-data"}).status, 0);
  auto count = [&](std::vector<std::string> filters) { return past(std::move(filters)).size(); };
  EXPECT_EQ(count({"--filter", "container=ev-a"}), 4u);
  EXPECT_EQ(count({"--filter", "event=die"}), 2u);
  EXPECT_EQ(count({"--filter", "event=die", "--filter", "container=ev-b"}), 1u);
  EXPECT_EQ(count({"--filter", "container=ev-a", "--filter", "container=ev-b"}), 8u);
  EXPECT_EQ(count({"--filter", "label=tier=db"}), 4u);
  EXPECT_EQ(count({"--filter", "label=tier=web"}), 0u);
  EXPECT_EQ(count({"--filter", "type=volume"}), 1u);
  EXPECT_EQ(count({"--filter", "volume=ev-data"}), 1u);
  auto bad = md({"events", "--filter", "colour=red"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("'colour=red' for --filter"), std::string::npos) << bad.err;
  // docker's default line and a template.
  auto line = md({"events", "--since", "0", "--until", "0s", "--filter", "event=die", "--filter",
                  "container=ev-a"});
  const std::string id = past({"--filter", "container=ev-a"}).front()["Actor"]["ID"];
  EXPECT_TRUE(
      std::regex_match(line.out, std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}"
                                            "(Z|[+-]\\d\\d:\\d\\d) container die " +
                                            id +
                                            " \\(execDuration=0, exitCode=2, name=ev-a, "
                                            "tier=db\\)\n")))
      << line.out;
  auto t = md({"events", "--since", "0", "--until", "0s", "--filter", "type=volume", "--format",
               "{{.Type}}/{{.Action}}/{{.Actor.ID}}/{{.Status}}/{{json .Actor.Attributes}}"});
  EXPECT_EQ(t.out, "volume/create/ev-data//{\"driver\":\"local\"}\n") << t.err;
  EXPECT_EQ(md({"events", "--format", "{{.Nope"}).status, 125);
}

TEST_F(EventsTest, HealthStatusChangesAndAStreamUntilLater) {
  start({"--name", "ev-h", "--health-cmd", "true", "--health-interval", "100ms"}, {"sleep", "30"});
  // --since: the past, then the stream; --until 3s from now: it ends by itself, status 0.
  Background stream(
      args({"events", "--since", "0", "--until=-3s", "--filter", "event=health_status", "--format",
            "{{.Action}} {{.Actor.Attributes.name}}"}),
      env());
  EXPECT_TRUE(stream.wait_for_output("health_status: healthy ev-h\n", 10s));
  EXPECT_EQ(stream.wait(10s), 0) << stream.stderr_text();
  (void)stream.wait_for_output("\n\n", 1s);  // the rest, up to its end
  EXPECT_EQ(stream.stdout_text(), "health_status: healthy ev-h\n")
      << "once, when it changed (the probes went on every 100 ms)";
}

// A stream started before the event sees it; SIGTERM ends it with status 0.
TEST_F(EventsTest, StreamSeesNewEventsAndExitsZeroOnSigterm) {
  Background stream(
      args({"events", "--filter", "type=volume", "--format", "{{.Action}} {{.Actor.ID}}"}), env());
  // The stream is watching once it has opened the file: until then an event may come before
  // it. Volumes are made until one shows (each after the stream started).
  bool seen = false;
  for (int i = 0; i < 30 && !seen; ++i) {
    ASSERT_EQ(md({"volume", "create", "ev-data"}).status, 0);
    seen = stream.wait_for_output("create ev-data", 300ms);
    ASSERT_EQ(md({"volume", "rm", "ev-data"}).status, 0);
  }
  ASSERT_TRUE(seen) << stream.stderr_text();
  EXPECT_TRUE(stream.wait_for_output("destroy ev-data", 5s));
  ::kill(stream.pid(), SIGTERM);
  EXPECT_EQ(stream.wait(10s), 0) << stream.stderr_text();
  // docker's rule: without --since the past is not shown.
  Background later(args({"events", "--format", "{{.Action}} {{.Actor.ID}}"}), env());
  ::usleep(300000);
  ::kill(later.pid(), SIGINT);
  EXPECT_EQ(later.wait(10s), 0);
  EXPECT_FALSE(later.wait_for_output("\n", 1s)) << later.stdout_text();
}

}  // namespace
}  // namespace itest
