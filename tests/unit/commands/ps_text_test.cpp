// ps and its texts: human_duration (docker's go-units HumanDuration), status_text, parse_signal,
// and ps() itself on a temp store.

#include <gtest/gtest.h>
#include <signal.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "mydocker/commands/commands.hpp"
#include "mydocker/commands/containers.hpp"
#include "mydocker/format/containers.hpp"
#include "mydocker/format/text.hpp"
#include "mydocker/util/error.hpp"
#include "unit/store/store_helpers.hpp"

namespace mydocker {
namespace {

using nlohmann::json;
using test::make_id;
using test::rfc3339_at;
using test::sample_config;
using Strings = std::vector<std::string>;

constexpr double kMinute = 60, kHour = 3600, kDay = 86400;

// ---- human_duration ----

TEST(HumanDuration, UnderASecond) {
  EXPECT_EQ(human_duration(0), "Less than a second");
  EXPECT_EQ(human_duration(0.5), "Less than a second");
  EXPECT_EQ(human_duration(0.999), "Less than a second");
  EXPECT_EQ(human_duration(-5), "Less than a second") << "a clock that went back";
}

TEST(HumanDuration, Seconds) {
  EXPECT_EQ(human_duration(1), "1 second");
  EXPECT_EQ(human_duration(1.9), "1 second");
  EXPECT_EQ(human_duration(2), "2 seconds");
  EXPECT_EQ(human_duration(59), "59 seconds");
  EXPECT_EQ(human_duration(59.99), "59 seconds");
}

TEST(HumanDuration, Minutes) {
  EXPECT_EQ(human_duration(60), "About a minute");
  EXPECT_EQ(human_duration(119), "About a minute");
  EXPECT_EQ(human_duration(120), "2 minutes");
  EXPECT_EQ(human_duration(3599), "59 minutes");
}

TEST(HumanDuration, HoursRoundToTheNearest) {
  EXPECT_EQ(human_duration(kHour), "About an hour");
  EXPECT_EQ(human_duration(1.49 * kHour), "About an hour");
  EXPECT_EQ(human_duration(1.5 * kHour), "2 hours");
  EXPECT_EQ(human_duration(47 * kHour), "47 hours");
  EXPECT_EQ(human_duration(47.4 * kHour), "47 hours");
}

TEST(HumanDuration, Days) {
  EXPECT_EQ(human_duration(47.5 * kHour), "2 days");
  EXPECT_EQ(human_duration(2 * kDay), "2 days");
  EXPECT_EQ(human_duration(13 * kDay), "13 days");
}

TEST(HumanDuration, Weeks) {
  EXPECT_EQ(human_duration(14 * kDay), "2 weeks");
  EXPECT_EQ(human_duration(59 * kDay), "8 weeks");
}

TEST(HumanDuration, Months) {
  EXPECT_EQ(human_duration(60 * kDay), "2 months");
  EXPECT_EQ(human_duration(364 * kDay), "12 months");
  EXPECT_EQ(human_duration(729 * kDay), "24 months");
}

TEST(HumanDuration, Years) {
  EXPECT_EQ(human_duration(730 * kDay), "2 years");
  EXPECT_EQ(human_duration(10 * 365 * kDay), "10 years");
}

// ---- status_text ----

const std::string kT0 = "2026-11-22T15:06:02.000000000Z";
const double kT0Seconds = 1795359962;

ContainerState state_of(const std::string& status) {
  ContainerState s;
  s.status = status;
  s.started_at = kT0;
  s.finished_at = kT0;
  return s;
}

TEST(StatusText, Created) {
  EXPECT_EQ(status_text(state_of("created"), true, kT0Seconds + 10), "Created");
  EXPECT_EQ(status_text(state_of("created"), false, kT0Seconds + 10), "Created");
}

TEST(StatusText, RunningSinceItsStart) {
  EXPECT_EQ(status_text(state_of("running"), true, kT0Seconds + 180), "Up 3 minutes");
  EXPECT_EQ(status_text(state_of("running"), true, kT0Seconds + 0.2), "Up Less than a second");
}

TEST(StatusText, Paused) {
  EXPECT_EQ(status_text(state_of("paused"), true, kT0Seconds + 180), "Up 3 minutes (Paused)");
}

TEST(StatusText, RunningAfterRestartsNamesTheCountAndTheReason) {
  ContainerState s = state_of("running");
  s.restart_count = 2;
  s.restart_reason = "OOM-killed (exit 137)";

  const std::string text = status_text(s, true, kT0Seconds + 5);

  EXPECT_TRUE(text.starts_with("Up 5 seconds")) << text;
  EXPECT_NE(text.find("restarted 2x"), std::string::npos) << text;
  EXPECT_NE(text.find("OOM-killed (exit 137)"), std::string::npos) << text;
}

TEST(StatusText, Restarting) {
  ContainerState s = state_of("restarting");
  s.exit_code = 1;

  EXPECT_EQ(status_text(s, true, kT0Seconds + 5), "Restarting (1) 5 seconds ago");
  s.oom_killed = true;
  s.exit_code = 137;
  EXPECT_EQ(status_text(s, true, kT0Seconds + 5), "Restarting (137) 5 seconds ago (OOM)");
}

TEST(StatusText, ExitedSinceItsEnd) {
  ContainerState s = state_of("exited");
  s.started_at = "2026-11-22T14:00:00.000000000Z";
  s.exit_code = 0;

  EXPECT_EQ(status_text(s, false, kT0Seconds + 2 * kHour), "Exited (0) 2 hours ago");
}

TEST(StatusText, ExitedAfterAnOomKill) {
  ContainerState s = state_of("exited");
  s.exit_code = 137;
  s.oom_killed = true;

  EXPECT_EQ(status_text(s, false, kT0Seconds + 5), "Exited (137) 5 seconds ago (OOM)");
}

TEST(StatusText, LiveStateWithADeadSupervisor) {
  for (const char* status : {"running", "paused", "restarting"}) {
    const std::string text = status_text(state_of(status), false, kT0Seconds + 5);

    EXPECT_TRUE(text.starts_with("Dead")) << text;
    EXPECT_NE(text.find("supervisor died"), std::string::npos) << text;
  }
}

// Once recorded so (settle_dead_supervisor): "dead", whatever the lock says.
TEST(StatusText, RecordedDead) {
  ContainerState s = state_of("dead");
  s.exit_code = 137;
  const std::string text = status_text(s, false, kT0Seconds + 5);

  EXPECT_TRUE(text.starts_with("Dead")) << text;
  ContainerView v;
  v.state = s;
  EXPECT_TRUE(v.dead());
  EXPECT_FALSE(v.live());
}

// ---- parse_signal ----

TEST(ParseSignal, NamesWithAndWithoutSig) {
  EXPECT_EQ(parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(parse_signal("SIGTERM"), SIGTERM);
  EXPECT_EQ(parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(parse_signal("SIGKILL"), SIGKILL);
  EXPECT_EQ(parse_signal("HUP"), SIGHUP);
  EXPECT_EQ(parse_signal("USR1"), SIGUSR1);
  EXPECT_EQ(parse_signal("INT"), SIGINT);
}

TEST(ParseSignal, Numbers) {
  EXPECT_EQ(parse_signal("9"), 9);
  EXPECT_EQ(parse_signal("15"), 15);
  EXPECT_EQ(parse_signal("1"), 1);
  EXPECT_EQ(parse_signal(std::to_string(NSIG - 1)), NSIG - 1);
}

// parse_signal's number, or its error.
std::string signal_or_error(const std::string& text) {
  try {
    return std::to_string(parse_signal(text));
  } catch (const Error& e) {
    return e.what();
  }
}

TEST(ParseSignal, NamesAreCaseInsensitiveAsInDocker) {
  // docker (moby/sys/signal.ParseSignal) upper-cases the name: `docker kill -s term` works.
  EXPECT_EQ(signal_or_error("term"), std::to_string(SIGTERM));
  EXPECT_EQ(signal_or_error("sigkill"), std::to_string(SIGKILL));
  EXPECT_EQ(signal_or_error("Hup"), std::to_string(SIGHUP));
}

TEST(ParseSignal, RejectsUnknownNamesAndNumbersOutOfRange) {
  for (const std::string& bad :
       Strings{"NOPE", "0", "999", std::to_string(NSIG), "", "-1", "SIG", "9x", "SIGSIGTERM"}) {
    try {
      (void)parse_signal(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitSetupError);
      EXPECT_NE(std::string(e.what()).find("invalid signal"), std::string::npos) << e.what();
    }
  }
}

// ---- ps ----

class PsTest : public test::StoreTest {
 protected:
  // Four containers, newest first: fresh (created, 50 s), live (running, 100 s, its lock held),
  // crashed (running but its supervisor is gone, 200 s), old (exited, 300 s).
  void SetUp() override {
    test::StoreTest::SetUp();
    const time_t now = ::time(nullptr);

    ContainerState old_state;
    old_state.status = "exited";
    old_state.exit_code = 3;
    old_state.started_at = rfc3339_at(now - 300);
    old_state.finished_at = rfc3339_at(now - 250);
    (void)create_released(kOld, "old", old_state,
                          sample_config(kOld, "old", rfc3339_at(now - 300), "mem 100MiB"));

    ContainerState crashed_state;
    crashed_state.status = "running";
    crashed_state.pid = 999999;
    crashed_state.started_at = rfc3339_at(now - 200);
    (void)create_released(kCrashed, "crashed", crashed_state,
                          sample_config(kCrashed, "crashed", rfc3339_at(now - 200)));

    ContainerState live_state;
    live_state.status = "running";
    live_state.pid = 4242;
    live_state.started_at = rfc3339_at(now - 100);
    auto live = store().create(kLive, "live",
                               sample_config(kLive, "live", rfc3339_at(now - 100), "cpu 20%"),
                               live_state, false);
    live_lock_ = std::move(live.supervisor_lock);

    (void)create_released(kFresh, "fresh", ContainerState{},
                          sample_config(kFresh, "fresh", rfc3339_at(now - 50)));
  }
  void TearDown() override {
    live_lock_.reset();
    test::StoreTest::TearDown();
  }

  std::string run_ps(const PsOptions& o) const {
    return format_ps(list_containers(store(), o.all), o, now_seconds());
  }

  static Strings lines_of(const std::string& text) {
    Strings out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  const std::string kOld = make_id("0a0a");
  const std::string kCrashed = make_id("0b0b");
  const std::string kLive = make_id("0c0c");
  const std::string kFresh = make_id("0d0d");
  UniqueFd live_lock_;
};

TEST_F(PsTest, QuietAllListsEveryShortIdNewestFirst) {
  PsOptions o;
  o.all = true;
  o.quiet = true;

  EXPECT_EQ(lines_of(run_ps(o)), (Strings{kFresh.substr(0, 12), kLive.substr(0, 12),
                                          kCrashed.substr(0, 12), kOld.substr(0, 12)}));
}

TEST_F(PsTest, WithoutAllOnlyLiveContainersWithALiveSupervisor) {
  PsOptions o;
  o.quiet = true;

  EXPECT_EQ(lines_of(run_ps(o)), Strings{kLive.substr(0, 12)});
}

TEST_F(PsTest, JsonIsOneObjectPerLine) {
  PsOptions o;
  o.all = true;
  o.format = "json";

  const Strings lines = lines_of(run_ps(o));

  ASSERT_EQ(lines.size(), 4u);
  std::vector<json> rows;
  for (const auto& line : lines) {
    auto j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    for (const char* key : {"ID", "Names", "Status", "State", "Limits"})
      EXPECT_TRUE(j.contains(key)) << key << " in " << line;
    rows.push_back(j);
  }
  EXPECT_EQ(rows[0]["ID"], kFresh.substr(0, 12));
  EXPECT_EQ(rows[0]["Names"], "fresh");
  EXPECT_EQ(rows[0]["Status"], "Created");
  EXPECT_EQ(rows[0]["State"], "created");
  EXPECT_EQ(rows[0]["Pid"], "-");
  EXPECT_EQ(rows[0]["Limits"], "-");

  EXPECT_EQ(rows[1]["Names"], "live");
  EXPECT_EQ(rows[1]["State"], "running");
  EXPECT_EQ(rows[1]["Status"], "Up About a minute");
  EXPECT_EQ(rows[1]["Pid"], "4242");
  EXPECT_EQ(rows[1]["Limits"], "cpu 20%");
  EXPECT_EQ(rows[1]["Command"], "\"sleep 1000\"");

  EXPECT_EQ(rows[2]["Names"], "crashed");
  EXPECT_EQ(rows[2]["State"], "dead");
  EXPECT_NE(rows[2]["Status"].get<std::string>().find("supervisor died"), std::string::npos);
  EXPECT_EQ(rows[2]["Pid"], "-") << "a dead supervisor's pid means nothing";

  EXPECT_EQ(rows[3]["Names"], "old");
  EXPECT_EQ(rows[3]["State"], "exited");
  EXPECT_EQ(rows[3]["Status"], "Exited (3) 4 minutes ago");
  EXPECT_EQ(rows[3]["Limits"], "mem 100MiB");
  EXPECT_EQ(rows[3]["RunningFor"], "5 minutes ago");
}

TEST_F(PsTest, TableHasAHeaderAndOneRowPerContainer) {
  PsOptions o;
  o.all = true;

  const Strings lines = lines_of(run_ps(o));

  ASSERT_EQ(lines.size(), 5u);
  EXPECT_TRUE(lines[0].starts_with("CONTAINER ID")) << lines[0];
  for (const char* column : {"NAME", "COMMAND", "CREATED", "STATUS", "PID", "LIMITS"})
    EXPECT_NE(lines[0].find(column), std::string::npos) << column;
  EXPECT_TRUE(lines[1].starts_with(kFresh.substr(0, 12))) << lines[1];
  EXPECT_TRUE(lines[4].starts_with(kOld.substr(0, 12))) << lines[4];
  // Columns line up: STATUS starts at the same place in the header and each row.
  const size_t status_at = lines[0].find("STATUS");
  EXPECT_EQ(lines[1].find("Created"), status_at) << lines[1];
}

TEST_F(PsTest, TableWithoutContainersIsJustTheHeader) {
  live_lock_.reset();
  PsOptions o;

  const Strings lines = lines_of(run_ps(o));

  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].starts_with("CONTAINER ID"));
}

TEST_F(PsTest, SkipsADirectoryWithoutItsFiles) {
  ASSERT_EQ(::mkdir(path(make_id("0e0e")).c_str(), 0700), 0);  // being removed
  PsOptions o;
  o.all = true;
  o.quiet = true;

  EXPECT_EQ(lines_of(run_ps(o)).size(), 4u);
}

TEST_F(PsTest, LongCommandsAreCutAt20Characters) {
  json config = sample_config(make_id("0f0f"), "long", now_rfc3339());
  config["path"] = "python3";
  config["args"] = Strings{"-c", "import time; time.sleep(1000)"};
  (void)create_released(make_id("0f0f"), "long", ContainerState{}, config);
  PsOptions o;
  o.all = true;
  o.format = "json";

  const json first = json::parse(lines_of(run_ps(o)).at(0));

  EXPECT_EQ(first["Names"], "long");
  EXPECT_EQ(first["Command"], "\"python3 -c import t\u2026\"") << "docker's Ellipsis: 19 + \u2026";
}

TEST(PsEmptyStore, PrintsNothingQuietAndNoRowsAsJson) {
  test::TempDir dir;
  const Store store(dir.path() + "/root");
  PsOptions quiet;
  quiet.all = quiet.quiet = true;
  PsOptions as_json;
  as_json.format = "json";
  EXPECT_EQ(format_ps(list_containers(store, true), quiet, now_seconds()), "");
  EXPECT_EQ(format_ps(list_containers(store, false), as_json, now_seconds()), "");
}

}  // namespace
}  // namespace mydocker

namespace mydocker {

// docker's formatter.Ellipsis: max columns, the last one "…" when cut; wide characters count
// two; a cut never splits a UTF-8 character; max 1: the first character alone.
TEST(Ellipsis, DockersCutByDisplayColumns) {
  EXPECT_EQ(ellipsis("short", 15), "short");
  EXPECT_EQ(ellipsis("exactly15chars!", 15), "exactly15chars!");
  EXPECT_EQ(ellipsis("sixteen-chars-xx", 15), "sixteen-chars-\u2026");
  EXPECT_EQ(ellipsis("h\u00e9llo-w\u00f6rld-\u00e9t\u00e9!!", 12), "h\u00e9llo-w\u00f6rld\u2026");
  EXPECT_EQ(ellipsis("\u65e5\u672c\u8a9e\u306e\u540d\u524d", 7), "\u65e5\u672c\u8a9e\u2026")
      << "six wide characters: 12 columns; 3 fit in 6";
  EXPECT_EQ(ellipsis("\u65e5\u672c", 4), "\u65e5\u672c");
  EXPECT_EQ(ellipsis("abc", 1), "a");
  EXPECT_EQ(ellipsis("abc", 0), "");
}

// Go's tabwriter counts characters: a cell with "…" or "ü" pads as many spaces as its
// characters need, not its bytes.
TEST(FormatColumns, WidthsInCharacters) {
  EXPECT_EQ(format_columns({{"a\u2026", "x"}, {"bbb", "y"}, {"\u00fc", "z"}}, 2),
            "a\u2026   x\nbbb  y\n\u00fc    z\n");
}

// Go's strconv.Quote, as docker quotes ps's Command.
TEST(GoQuote, EscapesAsGo) {
  EXPECT_EQ(go_quote("echo a\"b\\c"), "\"echo a\\\"b\\\\c\"");
  EXPECT_EQ(go_quote("a\tb\nc\x1b"), "\"a\\tb\\nc\\x1b\"");
  EXPECT_EQ(go_quote("caf\u00e9 \u2026"), "\"caf\u00e9 \u2026\"");
  EXPECT_EQ(go_quote(std::string("\xff", 1)), "\"\\xff\"");
}

}  // namespace mydocker
