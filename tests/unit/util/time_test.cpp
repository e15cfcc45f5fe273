// Times: the records' RFC 3339, and docker's CreatedAt text.

#include "mydocker/util/time.hpp"

#include <gtest/gtest.h>

namespace mydocker {
namespace {

TEST(TimeTest, DockerCreatedAtIsGosTimeString) {
  EXPECT_EQ(docker_time_text("2026-11-22T15:06:02.123456789Z"), "2026-11-22 15:06:02 +0000 UTC");
  EXPECT_EQ(docker_time_text("not a time"), "not a time");
}

TEST(TimeTest, RecordsRoundTrip) {
  EXPECT_DOUBLE_EQ(parse_rfc3339("1970-01-01T00:00:10.5Z"), 10.5);
  EXPECT_GT(parse_rfc3339(now_rfc3339()), 1.7e9);
}

TEST(Rfc3339Ns, ParsesEveryPrecisionOfUtcAndRefusesTheRest) {
  EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:01Z"), 1000000000);
  EXPECT_EQ(parse_rfc3339_ns("2026-12-07T11:17:33.123456789Z"), 1796642253123456789);
  EXPECT_EQ(parse_rfc3339_ns("2026-12-07T11:17:33.5Z"), 1796642253500000000);
  EXPECT_EQ(parse_rfc3339_ns("2026-12-07T11:17:33.1234567891Z"), 1796642253123456789);
  EXPECT_EQ(parse_rfc3339_ns("2026-12-07T11:17:33+01:00"), std::nullopt);
  EXPECT_EQ(parse_rfc3339_ns("yesterday"), std::nullopt);
}

}  // namespace
}  // namespace mydocker
