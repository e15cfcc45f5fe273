#include "mydocker/util/json_out.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace mydocker {
namespace {

// The length of the valid UTF-8 sequence that starts at s[i]; 0 when there is none.
size_t utf8_length(std::string_view s, size_t i) {
  auto at = [&](size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
  };
  auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return at(k) >= lo && at(k) <= hi;
  };
  const unsigned c = at(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF)  // no overlong forms, no surrogates
    return cont(1, c == 0xE0 ? 0xA0 : 0x80, c == 0xED ? 0x9F : 0xBF) && cont(2) ? 3 : 0;
  if (c >= 0xF0 && c <= 0xF4)  // up to U+10FFFF
    return cont(1, c == 0xF0 ? 0x90 : 0x80, c == 0xF4 ? 0x8F : 0xBF) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// The escape nlohmann writes for a byte below 0x20, '"' or '\\'; nullptr for any other byte.
const char* named_escape(unsigned char c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      return nullptr;
  }
}

template <typename Int>
void put_integer(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void put(std::string& out, const nlohmann::json& j) {
  using T = nlohmann::json::value_t;
  switch (j.type()) {
    case T::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : j.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        if (!append_json_string(out, key, false)) out += nlohmann::json(key).dump();
        out += ':';
        put(out, value);
      }
      out += '}';
      return;
    }
    case T::array: {
      out += '[';
      bool first = true;
      for (const auto& value : j.get_ref<const nlohmann::json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        put(out, value);
      }
      out += ']';
      return;
    }
    case T::string:
      if (!append_json_string(out, j.get_ref<const std::string&>(), false)) out += j.dump();
      return;
    case T::boolean:
      out += j.get<bool>() ? "true" : "false";
      return;
    case T::null:
      out += "null";
      return;
    case T::number_integer:
      put_integer(out, j.get<int64_t>());
      return;
    case T::number_unsigned:
      put_integer(out, j.get<uint64_t>());
      return;
    default:
      out += j.dump();
      return;  // floats, binary, discarded: nlohmann's own text
  }
}

}  // namespace

bool append_json_string(std::string& out, std::string_view s, bool replace_invalid) {
  static const char kHex[] = "0123456789abcdef";
  const size_t start = out.size();
  out += '"';
  size_t run = 0;  // bytes copied as they are, in runs
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    const size_t n = c < 0x80 ? 1 : utf8_length(s, i);
    if (n > 1) {  // valid UTF-8: as it is
      i += n;
      continue;
    }
    if (n == 0 && !replace_invalid) {
      out.resize(start);
      return false;
    }
    out.append(s, run, i - run);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
    } else if (const char* e = named_escape(c)) {
      out += e;
    } else {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    run = ++i;
  }
  out.append(s, run, std::string_view::npos);
  out += '"';
  return true;
}

std::string json_text(const nlohmann::json& value) {
  std::string out;
  out.reserve(1024);
  put(out, value);
  return out;
}

}  // namespace mydocker
