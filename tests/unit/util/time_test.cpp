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

}  // namespace
}  // namespace mydocker
