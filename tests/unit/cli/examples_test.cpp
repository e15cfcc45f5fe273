// Each everyday command's --help ends with examples that use that command.

#include "mydocker/cli/examples.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mydocker/cli/commands.hpp"

namespace mydocker::cli {
namespace {

TEST(Examples, EverydayCommandsHaveThem) {
  for (const char* name : {"run", "create", "start", "ps", "logs", "exec", "stop", "rm", "inspect",
                           "stats", "images", "pull", "push", "load", "save", "network"}) {
    const char* examples = command_examples(name);
    ASSERT_NE(examples, nullptr) << name;
    EXPECT_NE(std::string(examples).find(std::string("mydocker ") + name), std::string::npos)
        << name;
    EXPECT_NE(find_command(name), nullptr) << name << " is a command";
  }
  EXPECT_EQ(command_examples("no-such-command"), nullptr);
}

}  // namespace
}  // namespace mydocker::cli
