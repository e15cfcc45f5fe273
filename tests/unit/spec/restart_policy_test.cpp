// --restart: docker's policies (parse_restart_policy, RestartPolicy::text) and the check that
// it does not go with --rm.

#include <gtest/gtest.h>

#include <string>

#include "mydocker/spec/options.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

// parse_restart_policy's error, or "" when it did not throw.
std::string restart_error(const std::string& text) {
  try {
    (void)parse_restart_policy(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitSetupError);
    return e.what();
  }
  return "";
}

TEST(ParseRestartPolicy, No) {
  const RestartPolicy p = parse_restart_policy("no");

  EXPECT_EQ(p.kind, RestartPolicy::kNo);
  EXPECT_EQ(p.max_retries, 0);
}

TEST(ParseRestartPolicy, EmptyMeansNo) {
  EXPECT_EQ(parse_restart_policy("").kind, RestartPolicy::kNo);
}

TEST(ParseRestartPolicy, OnFailureWithoutAMaximum) {
  const RestartPolicy p = parse_restart_policy("on-failure");

  EXPECT_EQ(p.kind, RestartPolicy::kOnFailure);
  EXPECT_EQ(p.max_retries, 0);
}

TEST(ParseRestartPolicy, OnFailureWithAMaximum) {
  const RestartPolicy p = parse_restart_policy("on-failure:3");

  EXPECT_EQ(p.kind, RestartPolicy::kOnFailure);
  EXPECT_EQ(p.max_retries, 3);
}

TEST(ParseRestartPolicy, Always) {
  const RestartPolicy p = parse_restart_policy("always");

  EXPECT_EQ(p.kind, RestartPolicy::kAlways);
  EXPECT_EQ(p.max_retries, 0);
}

TEST(ParseRestartPolicy, UnlessStopped) {
  EXPECT_EQ(parse_restart_policy("unless-stopped").kind, RestartPolicy::kUnlessStopped);
}

TEST(ParseRestartPolicy, RejectsAnUnknownPolicy) {
  const std::string what = restart_error("sometimes");

  EXPECT_NE(what.find("'sometimes'"), std::string::npos) << what;
  EXPECT_NE(what.find("--restart"), std::string::npos) << what;
}

TEST(ParseRestartPolicy, RejectsACountOnAnyPolicyButOnFailure) {
  for (const char* text : {"always:3", "unless-stopped:1", "no:2"}) {
    const std::string what = restart_error(text);

    EXPECT_NE(what.find("maximum retry count"), std::string::npos) << text << ": " << what;
  }
}

TEST(ParseRestartPolicy, RejectsACountThatIsNotANumberOfZeroOrMore) {
  for (const char* text :
       {"on-failure:x", "on-failure:-1", "on-failure:", "on-failure:1.5", "on-failure:3:4"})
    EXPECT_NE(restart_error(text), "") << text;
}

TEST(ParseRestartPolicy, RejectsOtherSpellings) {
  for (const char* text : {"Always", "on_failure", "always ", "ON-FAILURE"})
    EXPECT_NE(restart_error(text), "") << text;
}

TEST(RestartPolicyText, RoundTrips) {
  for (const std::string text : {"no", "on-failure", "on-failure:3", "always", "unless-stopped"})
    EXPECT_EQ(parse_restart_policy(text).text(), text);
}

TEST(RestartPolicyText, ZeroRetriesIsNoMaximum) {
  EXPECT_EQ(parse_restart_policy("on-failure:0").text(), "on-failure");
  EXPECT_EQ(RestartPolicy{}.text(), "no");
}

// ---- validate_run_options ----

RunOptions command_true() {
  RunOptions o;
  o.command = {"true"};
  return o;
}

TEST(ValidateRunOptions, RejectsRmWithARestartPolicy) {
  for (const char* policy : {"always", "on-failure", "on-failure:2", "unless-stopped"}) {
    RunOptions o = command_true();
    o.remove = true;
    o.restart = policy;

    try {
      validate_run_options(o);
      ADD_FAILURE() << "--rm with --restart " << policy << " accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("--restart"), std::string::npos) << what;
      EXPECT_NE(what.find("--rm"), std::string::npos) << what;
    }
  }
}

TEST(ValidateRunOptions, AcceptsRmWithoutARestartPolicy) {
  RunOptions o = command_true();
  o.remove = true;
  o.restart = "no";

  EXPECT_NO_THROW(validate_run_options(o));
}

TEST(ValidateRunOptions, AcceptsARestartPolicyWithoutRm) {
  RunOptions o = command_true();
  o.restart = "on-failure:2";

  EXPECT_NO_THROW(validate_run_options(o));
}

TEST(ValidateRunOptions, RejectsAnInvalidRestartPolicy) {
  RunOptions o = command_true();
  o.restart = "sometimes";

  EXPECT_THROW(validate_run_options(o), Error);
}

}  // namespace
}  // namespace mydocker
