// json_text: the bytes nlohmann's dump() makes, faster.

#include "mydocker/util/json_out.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace mydocker {
namespace {

using nlohmann::json;

void expect_as_dump(const json& j) { EXPECT_EQ(json_text(j), j.dump()) << j.dump(); }

TEST(JsonText, ScalarsAsNlohmannWritesThem) {
  for (const json& j :
       {json(nullptr), json(true), json(false), json(0), json(-1), json(42),
        json(std::numeric_limits<int64_t>::min()), json(std::numeric_limits<int64_t>::max()),
        json(std::numeric_limits<uint64_t>::max()), json(0.5), json(1e300), json(-0.0),
        json(3.14159), json(""), json("plain")})
    expect_as_dump(j);
}

TEST(JsonText, StringsAreEscapedAsNlohmannEscapesThem) {
  std::string every_control;
  for (int c = 0; c < 0x20; ++c) every_control += static_cast<char>(c);
  for (const std::string& s :
       {std::string("quote \" and backslash \\ and slash /"), every_control,
        std::string("tab\there\nnew line\r\f\b"), std::string("\x7f del"),
        std::string("caf\xc3\xa9 \xe2\x82\xac"), std::string("\xf0\x9f\x90\xb3 \"whale\""),
        std::string(1, '\0') + "nul"})
    expect_as_dump(json(s));
  // Invalid UTF-8: nlohmann's answer, its exception.
  EXPECT_THROW((void)json_text(json(std::string("\xff"))), json::type_error);
}

TEST(JsonText, ContainersInKeyOrderWithoutSpaces) {
  json j = {
      {"b", {1, 2, {{"x", nullptr}}}},
      {"a", json::object()},
      {"c", json::array()},
      {"k\"ey", "v"},
      {"\xc3\xa9", {true, 1.5, "s"}},
      {"host_config", {{"Memory", 104857600}, {"CpusetCpus", "0"}, {"Binds", json::array()}}}};
  expect_as_dump(j);
  expect_as_dump(json::array({json::object(), json::array(), json::array({json::array()})}));
}

TEST(JsonText, BinaryIsNlohmanns) { expect_as_dump(json::binary({1, 2, 3})); }

}  // namespace
}  // namespace mydocker
