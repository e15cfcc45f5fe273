// wait_for_freezer: a freeze the kernel does not finish is undone before the error.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mydocker/cgroup/common.hpp"
#include "mydocker/util/error.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker::cgroup {
namespace {

// A pause whose freeze never finishes (5 s: the wait's bound) leaves the container thawed, not
// half frozen where no signal reaches it.
TEST(Freezer, AFreezeThatDoesNotFinishIsUndone) {
  test::TempDir tmp;
  const std::string state = tmp.path() + "/freezer.state";
  test::put_file(state, "FREEZING\n");  // as the kernel shows a freeze still going on
  EXPECT_THROW(wait_for_freezer(Fs(), state, "FROZEN", true, state, "THAWED"), Error);
  EXPECT_EQ(test::get_file(state), "THAWED");
}

TEST(Freezer, AFinishedFreezeIsLeftAlone) {
  test::TempDir tmp;
  const std::string state = tmp.path() + "/freezer.state";
  test::put_file(state, "FROZEN\n");
  wait_for_freezer(Fs(), state, "FROZEN", true, state, "THAWED");
  EXPECT_EQ(test::get_file(state), "FROZEN\n");
}

// The nudge runs before every look but the first, until the state shows what is wanted (v1's
// freeze writes FROZEN again there: a write is what makes the kernel signal tasks it missed).
TEST(Freezer, TheNudgeRunsUntilTheFreezeFinishes) {
  test::TempDir tmp;
  const std::string state = tmp.path() + "/freezer.state";
  test::put_file(state, "FREEZING\n");
  std::vector<int> looks;
  wait_for_freezer(Fs(), state, "FROZEN", true, state, "THAWED", [&](int look) {
    looks.push_back(look);
    if (look == 3) test::put_file(state, "FROZEN\n");
  });
  EXPECT_EQ(looks, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(test::get_file(state), "FROZEN\n");
}

}  // namespace
}  // namespace mydocker::cgroup
