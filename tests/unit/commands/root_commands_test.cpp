// The commands that change a container need root: without it they refuse before they look at
// anything. (Skipped when the tests run as root: these commands are integration tests' work.)

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "mydocker/commands/commands.hpp"
#include "mydocker/util/error.hpp"
#include "unit/store/store_helpers.hpp"

namespace mydocker {
namespace {

class RootCommandsTest : public test::StoreTest {
 protected:
  void SetUp() override {
    if (::geteuid() == 0) GTEST_SKIP() << "running as root: the refusal cannot be seen";
    test::StoreTest::SetUp();
    const std::string id = test::make_id("abcd");
    ContainerState running;
    running.status = "running";
    // Its lock held: to any command it looks like a running container.
    auto created = store().create(id, "web", test::sample_config(id, "web"), running, false);
    lock_ = std::move(created.supervisor_lock);
  }
  void TearDown() override {
    lock_.reset();
    if (!root_.empty()) test::StoreTest::TearDown();
  }

  // The error `action` throws, or "" when it does not.
  template <typename F>
  static std::string error_of(F action) {
    try {
      action();
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitSetupError);
      return e.what();
    }
    return "";
  }

  static void expect_needs_root(const std::string& what, const std::string& command) {
    EXPECT_NE(what.find("mydocker " + command + " needs root"), std::string::npos) << what;
  }

  UniqueFd lock_;
};

TEST_F(RootCommandsTest, StopRefuses) {
  expect_needs_root(error_of([&] { stop(store(), "web", 1); }), "stop");
}

TEST_F(RootCommandsTest, KillRefuses) {
  expect_needs_root(error_of([&] { kill(store(), "web", "TERM"); }), "kill");
}

TEST_F(RootCommandsTest, RmRefuses) {
  expect_needs_root(error_of([&] { remove(store(), "web", true); }), "rm");
  EXPECT_EQ(store().ids().size(), 1u);
}

TEST_F(RootCommandsTest, PauseAndUnpauseRefuse) {
  expect_needs_root(error_of([&] { pause(store(), "web", true); }), "pause");
  expect_needs_root(error_of([&] { pause(store(), "web", false); }), "unpause");
  EXPECT_EQ(store().open("web").state().status, "running");
}

RunOptions memory_limit() {
  RunOptions o;
  o.memory = FlagValue{"-m", "100m"};
  return o;
}

TEST_F(RootCommandsTest, UpdateRefuses) {
  const RunOptions limits = memory_limit();

  expect_needs_root(error_of([&] { update(store(), "web", limits); }), "update");
}

TEST_F(RootCommandsTest, PruneRefuses) {
  expect_needs_root(error_of([&] { (void)prune(store(), {}, path("data")); }), "prune");
  EXPECT_EQ(store().ids().size(), 1u);
}

TEST_F(RootCommandsTest, ExecRefuses) {
  ExecOptions o;
  o.container = "web";
  o.command = {"true"};

  expect_needs_root(error_of([&] { (void)exec(store(), o); }), "exec");
}

}  // namespace
}  // namespace mydocker
