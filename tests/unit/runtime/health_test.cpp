// HEALTHCHECK configuration: Go durations, the image's Healthcheck and the flags over it.

#include "mydocker/runtime/health.hpp"

#include <gtest/gtest.h>

#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

TEST(Health, GoDurations) {
  EXPECT_DOUBLE_EQ(*parse_duration("30s"), 30);
  EXPECT_DOUBLE_EQ(*parse_duration("1m30s"), 90);
  EXPECT_DOUBLE_EQ(*parse_duration("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_duration("0.2s"), 0.2);
  EXPECT_DOUBLE_EQ(*parse_duration("1h"), 3600);
  EXPECT_DOUBLE_EQ(*parse_duration("0"), 0);
  for (const char* bad : {"", "30", "s", "-1s", "1x", "1s2", "abc"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

TEST(Health, TheImagesCheckWithTheFlagsOverIt) {
  const nlohmann::json image = {{"Test", {"CMD", "/bin/check", "-q"}},
                                {"Interval", 10000000000LL},
                                {"Retries", 5}};
  RunOptions o;
  auto h = health_config(o, image);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->test, (std::vector<std::string>{"CMD", "/bin/check", "-q"}));
  EXPECT_DOUBLE_EQ(h->interval, 10);
  EXPECT_EQ(h->retries, 5);
  EXPECT_DOUBLE_EQ(h->timeout, 30) << "docker's default";
  o.health_cmd = "curl -f localhost";
  o.health_interval = "2s";
  h = health_config(o, image);
  EXPECT_EQ(h->test, (std::vector<std::string>{"CMD-SHELL", "curl -f localhost"}));
  EXPECT_DOUBLE_EQ(h->interval, 2);
  EXPECT_EQ(health_from_json(health_json(*h))->test, h->test) << "round trip";
  EXPECT_DOUBLE_EQ(health_from_json(health_json(*h))->interval, 2);
}

TEST(Health, NoneAndBadFlags) {
  RunOptions o;
  EXPECT_FALSE(health_config(o, nullptr)) << "no check anywhere";
  EXPECT_FALSE(health_config(o, {{"Test", {"NONE"}}}));
  o.health_interval = "5s";
  EXPECT_FALSE(health_config(o, nullptr)) << "tuning without a check runs nothing";
  o.no_healthcheck = true;
  EXPECT_FALSE(health_config(o, {{"Test", {"CMD-SHELL", "true"}}}));
  o.health_cmd = "true";
  EXPECT_THROW((void)health_config(o, nullptr), Error);
  RunOptions bad;
  bad.health_cmd = "true";
  bad.health_retries = "-1";
  EXPECT_THROW((void)health_config(bad, nullptr), Error);
  bad.health_retries = "";
  bad.health_timeout = "soon";
  EXPECT_THROW((void)health_config(bad, nullptr), Error);
}

}  // namespace
}  // namespace mydocker
