// The id ranges of --userns private, from /etc/subuid and /etc/subgid.

#include "mydocker/init/userns.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

class SubordinateRange : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mydocker-subuid-XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
  }
  void TearDown() override { unlink(path_.c_str()); }
  IdRange with(const std::string& text) {
    std::ofstream(path_) << text;
    return subordinate_range(path_);
  }
  std::string path_;
};

TEST_F(SubordinateRange, TakesTheMydockerLine) {
  auto r = with("alice:100000:65536\nmydocker:231072:65536\n");
  EXPECT_EQ(r.base, 231072u);
  EXPECT_EQ(r.count, 65536u);
}

TEST_F(SubordinateRange, CapsTheCountAt65536) {
  EXPECT_EQ(with("mydocker:300000:1000000\n").count, 65536u);
  EXPECT_EQ(with("mydocker:300000:1000\n").count, 1000u);
}

TEST_F(SubordinateRange, DefaultsFarAboveUseraddRanges) {
  auto r = with("alice:100000:65536\n");
  EXPECT_EQ(r.base, 1000000000u);
  EXPECT_EQ(r.count, 65536u);
  EXPECT_EQ(subordinate_range("/nonexistent/subuid").base, 1000000000u);
}

TEST_F(SubordinateRange, RefusesAMalformedLine) {
  EXPECT_THROW(with("mydocker:abc:65536\n"), Error);
  EXPECT_THROW(with("mydocker:100000\n"), Error);
  EXPECT_THROW(with("mydocker:0:65536\n"), Error);
  EXPECT_THROW(with("mydocker:100000:0\n"), Error);
  EXPECT_THROW(with("mydocker:4294967295:2\n"), Error);
}

}  // namespace
}  // namespace mydocker
