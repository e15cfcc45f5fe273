// Sizes as docker reads them (go-units RAMInBytes) and prints them (BytesSize).

#include "mydocker/util/units.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mydocker {
namespace {

constexpr int64_t KiB = int64_t{1} << 10;
constexpr int64_t MiB = int64_t{1} << 20;
constexpr int64_t GiB = int64_t{1} << 30;
constexpr int64_t TiB = int64_t{1} << 40;
constexpr int64_t PiB = int64_t{1} << 50;

// go-units' TestRAMInBytes success vectors (plus docker's common spellings).
TEST(ParseSize, AcceptsGoUnitsRamInBytesVectors) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"32", 32},
      {"32b", 32},
      {"32B", 32},
      {"32k", 32 * KiB},
      {"32K", 32 * KiB},
      {"32kb", 32 * KiB},
      {"32Kb", 32 * KiB},
      {"32Kib", 32 * KiB},
      {"32KIB", 32 * KiB},
      {"32Mb", 32 * MiB},
      {"32Gb", 32 * GiB},
      {"32Tb", 32 * TiB},
      {"32Pb", 32 * PiB},
      {"32PB", 32 * PiB},
      {"32P", 32 * PiB},
      {"32.3", 32},
      {"32.3 mb", static_cast<int64_t>(32.3 * static_cast<double>(MiB))},
      {"0.3MB", static_cast<int64_t>(0.3 * static_cast<double>(MiB))},
      {"100m", 104857600},
      {"0.5g", 536870912},
      {"1m", MiB},
      {"1.5", 1},
      {"0", 0},
      {"32 ", 32},  // go-units: the space separator may precede an empty suffix
  };
  for (const auto& [text, expected] : cases) {
    std::string why;
    auto got = parse_size(text, &why);
    ASSERT_TRUE(got.has_value()) << "'" << text << "' rejected: " << why;
    EXPECT_EQ(*got, expected) << "'" << text << "'";
  }
}

TEST(ParseSize, KeepsExactFractionsOfUnits) {
  EXPECT_EQ(parse_size("32.3 mb"), 33869004);  // int64(32.3 * MiB), as Go truncates
  EXPECT_EQ(parse_size("0.3MB"), 314572);
}

TEST(ParseSize, RejectsGoUnitsErrorVectorsAndOtherGarbage) {
  for (const std::string text :
       {"", "hello", "-32", " 32 ", " 32", "32m b", "32bm", "abc", "-5m", "1.2.3m", "1e3", ".", "m",
        "32mm", "32kib5", "32 m b", "64.m", ".5g", "64."}) {
    std::string why;
    EXPECT_FALSE(parse_size(text, &why).has_value()) << "'" << text << "' was accepted";
    EXPECT_FALSE(why.empty()) << "no reason given for '" << text << "'";
  }
}

TEST(ParseSize, ExplainsAnInvalidSuffix) {
  std::string why;
  EXPECT_FALSE(parse_size("32bm", &why));
  EXPECT_EQ(why, "invalid suffix 'bm'");

  EXPECT_FALSE(parse_size("1e3", &why));
  EXPECT_EQ(why, "invalid suffix 'e3'");

  EXPECT_FALSE(parse_size("32 xb", &why));
  EXPECT_EQ(why, "invalid suffix 'xb'");
}

TEST(ParseSize, ExplainsAnInvalidNumber) {
  std::string why;
  EXPECT_FALSE(parse_size("hello", &why));
  EXPECT_EQ(why, "invalid size");
  EXPECT_FALSE(parse_size("-5m", &why));
  EXPECT_EQ(why, "invalid size");
}

TEST(ParseSize, RejectsValuesThatDoNotFitInt64) {
  std::string why;
  EXPECT_FALSE(parse_size("9999999p", &why));
  EXPECT_EQ(why, "too large");
  EXPECT_FALSE(parse_size("8192p", &why));  // exactly 2^63
  EXPECT_EQ(why, "too large");
  EXPECT_FALSE(parse_size("99999999999999999999", &why));
  EXPECT_EQ(why, "too large");
}

TEST(ParseSize, AcceptsTheLargestWholePetabyteCount) { EXPECT_EQ(parse_size("8191p"), 8191 * PiB); }

TEST(ParseSize, WorksWithoutAReasonPointer) {
  EXPECT_EQ(parse_size("1k"), KiB);
  EXPECT_FALSE(parse_size("1x").has_value());
}

TEST(FormatSize, PrintsBinaryUnitsWithoutTrailingZeros) {
  EXPECT_EQ(format_size(104857600), "100MiB");
  EXPECT_EQ(format_size(1610612736), "1.5GiB");
  EXPECT_EQ(format_size(512), "512B");
  EXPECT_EQ(format_size(1024), "1KiB");
  EXPECT_EQ(format_size(0), "0B");
  EXPECT_EQ(format_size(1536), "1.5KiB");
  EXPECT_EQ(format_size(1023), "1023B");
  EXPECT_EQ(format_size(PiB), "1PiB");
  EXPECT_EQ(format_size(int64_t{1} << 60), "1EiB");
}

TEST(FormatSize, RoundsToTwoDecimals) {
  EXPECT_EQ(format_size(1100), "1.07KiB");  // 1.0742...
  EXPECT_EQ(format_size(10 * MiB + MiB / 4), "10.25MiB");
}

TEST(ParseDecimal, AcceptsPlainDecimals) {
  EXPECT_EQ(parse_decimal("12"), 12.0);
  EXPECT_EQ(parse_decimal("12.5"), 12.5);
  EXPECT_EQ(parse_decimal("0"), 0.0);
  EXPECT_EQ(parse_decimal("0.01"), 0.01);
  EXPECT_EQ(parse_decimal("007"), 7.0);
}

TEST(ParseDecimal, RejectsSignsExponentsSpacesAndGarbage) {
  for (const std::string text :
       {"", "-1", "+1", "1e3", " 1", "1 ", "1.2.3", ".", "abc", "inf", "nan", "0x10", "1,5"}) {
    EXPECT_FALSE(parse_decimal(text).has_value()) << "'" << text << "' was accepted";
  }
}

TEST(ParseInt, AcceptsIntegersWithAnOptionalMinus) {
  EXPECT_EQ(parse_int("0"), 0);
  EXPECT_EQ(parse_int("1024"), 1024);
  EXPECT_EQ(parse_int("-1"), -1);
  EXPECT_EQ(parse_int("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_int("-9223372036854775808"), INT64_MIN);
}

TEST(ParseInt, RejectsEverythingElse) {
  for (const std::string text :
       {"", "+1", " 1", "1 ", "1.0", "1e3", "abc", "12abc", "-", "--1", "9223372036854775808"}) {
    EXPECT_FALSE(parse_int(text).has_value()) << "'" << text << "' was accepted";
  }
}

}  // namespace
}  // namespace mydocker
