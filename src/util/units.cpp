#include "mydocker/util/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace mydocker {
namespace {

bool is_number_part(char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }

std::optional<int64_t> unit_multiplier(char c) {
  switch (std::tolower(static_cast<unsigned char>(c))) {
    case 'k':
      return int64_t{1} << 10;
    case 'm':
      return int64_t{1} << 20;
    case 'g':
      return int64_t{1} << 30;
    case 't':
      return int64_t{1} << 40;
    case 'p':
      return int64_t{1} << 50;
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> fail(std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return std::nullopt;
}

}  // namespace

std::optional<double> parse_decimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int dots = 0;
  for (char c : text) {
    if (c == '.')
      ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
  }
  // Go's ParseFloat (docker) takes ".5" and "5." too; "." alone is no number.
  if (dots > 1 || text == ".") return std::nullopt;
  std::string padded =
      (text.front() == '.' ? "0" : "") + std::string(text) + (text.back() == '.' ? "0" : "");
  double value = 0;
  auto [ptr, ec] = std::from_chars(padded.data(), padded.data() + padded.size(), value);
  if (ec != std::errc() || ptr != padded.data() + padded.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> parse_int(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> parse_size(std::string_view text, std::string* why) {
  // Split as go-units does: the number runs up to the last digit or dot; one space may follow.
  size_t end = 0;
  while (end < text.size() && is_number_part(text[end])) ++end;
  std::string_view number = text.substr(0, end);
  std::string_view suffix = text.substr(end);
  if (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
  // go-units' grammar: digits first, and digits after each dot ("64." and ".5g" are no sizes).
  auto value = number.empty() || number.front() == '.' || number.back() == '.'
                   ? std::nullopt
                   : parse_decimal(number);
  if (!value) return fail(why, "invalid size");
  int64_t multiplier = 1;
  if (!suffix.empty()) {
    std::string sfx;
    for (char c : suffix) sfx += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = false;
    if (sfx == "b") {
      ok = true;
    } else if (auto mul = unit_multiplier(sfx[0])) {
      multiplier = *mul;
      ok = sfx.size() == 1 || sfx.substr(1) == "b" || sfx.substr(1) == "ib";
    }
    if (!ok) return fail(why, "invalid suffix '" + std::string(suffix) + "'");
  }
  double bytes = *value * static_cast<double>(multiplier);
  if (!(bytes < 9223372036854775807.0)) return fail(why, "too large");
  return static_cast<int64_t>(bytes);
}

std::string format_size(int64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (std::fabs(value) >= 1024.0 && unit < 6) {
    value /= 1024.0;
    ++unit;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", value);
  std::string out = buf;
  // "100.00" -> "100", "1.50" -> "1.5"
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out + kUnits[unit];
}

}  // namespace mydocker
