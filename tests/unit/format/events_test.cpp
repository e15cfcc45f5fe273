// How `events` prints: docker's line in the local zone, the JSON message, --format templates.

#include "mydocker/format/events.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

constexpr int64_t kTime = 1700000000123456789;  // 2023-11-14T22:13:20.123456789Z

class EventFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) old_tz_ = tz;
    zone("UTC0");
  }
  void TearDown() override {
    if (old_tz_)
      ::setenv("TZ", old_tz_->c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }
  static void zone(const char* tz) {
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  static Event start() {
    Event e = container_event("start", std::string(64, 'a'), "web", "busybox", {{"tier", "db"}});
    e.time_ns = kTime;
    return e;
  }

 private:
  std::optional<std::string> old_tz_;
};

TEST_F(EventFormatTest, DockersLineWithSortedAttributes) {
  EXPECT_EQ(format_event(start()), "2023-11-14T22:13:20.123456789Z container start " +
                                       std::string(64, 'a') +
                                       " (image=busybox, name=web, tier=db)");
  Event bare = volume_event("create", "data");
  bare.attributes.clear();
  bare.time_ns = kTime - 123456789 + 5;
  EXPECT_EQ(format_event(bare), "2023-11-14T22:13:20.000000005Z volume create data")
      << "no attributes: no parentheses; nine digits always";
}

TEST_F(EventFormatTest, TheTimeIsLocal) {
  zone("CET-1");
  EXPECT_EQ(format_event(start()).substr(0, 35), "2023-11-14T23:13:20.123456789+01:00");
  zone("EST5");
  EXPECT_EQ(format_event(start()).substr(0, 35), "2023-11-14T17:13:20.123456789-05:00");
}

TEST_F(EventFormatTest, TemplatesSeeDockersFields) {
  const Event e = start();
  EXPECT_EQ(EventPrinter("{{.Type}} {{.Action}} {{.Actor.ID}} {{.Status}} {{.From}}").line(e),
            "container start " + e.actor + " start busybox\n");
  EXPECT_EQ(EventPrinter("{{.ID}} {{.Scope}} {{.Time}} {{.TimeNano}}").line(e),
            e.actor + " local 1700000000 1700000000123456789\n");
  EXPECT_EQ(EventPrinter("{{index .Actor.Attributes \"name\"}} {{.Actor.Attributes.tier}}").line(e),
            "web db\n");
  EXPECT_EQ(EventPrinter("{{json .Actor.Attributes}}").line(e),
            "{\"image\":\"busybox\",\"name\":\"web\",\"tier\":\"db\"}\n");
  Event v = volume_event("create", "data");
  v.time_ns = kTime;
  EXPECT_EQ(EventPrinter("[{{.Status}}][{{.ID}}][{{.From}}]").line(v), "[][][]\n")
      << "Go's empty strings for the fields docker fills only for containers and images";
}

TEST_F(EventFormatTest, JsonIsTheMessageAsRecorded) {
  const Event e = start();
  EXPECT_EQ(EventPrinter("json").line(e), event_line(e));
  EXPECT_EQ(EventPrinter("{{json .}}").line(e), event_line(e));
  const auto j = nlohmann::json::parse(EventPrinter("{{json .}}").line(e));
  EXPECT_EQ(j["Actor"]["Attributes"]["name"], "web");
  EXPECT_EQ(j["timeNano"], kTime);
  EXPECT_EQ(EventPrinter("").line(e), format_event(e) + "\n");
}

TEST_F(EventFormatTest, ABrokenTemplateIsAnErrorBeforeAnything) {
  EXPECT_THROW(EventPrinter("{{.Type"), Error);
  EXPECT_THROW(EventPrinter("{{nosuch .Type}}"), Error);
}

}  // namespace
}  // namespace mydocker
