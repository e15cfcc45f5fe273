#include "mydocker/util/json_out.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace mydocker {
namespace {

// `s` quoted and escaped as nlohmann escapes it (\" \\ \b \f \n \r \t, \u00XX for the other
// control characters); false for a string with a byte over 0x7F (nlohmann validates those).
bool put_ascii_string(std::string& out, const std::string& s) {
  for (unsigned char c : s)
    if (c > 0x7F) return false;
  out += '"';
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s, run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        static const char hex[] = "0123456789abcdef";
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
      }
    }
  }
  out.append(s, run, std::string::npos);
  out += '"';
  return true;
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
        if (!put_ascii_string(out, key)) out += nlohmann::json(key).dump();
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
      if (!put_ascii_string(out, j.get_ref<const std::string&>())) out += j.dump();
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

std::string json_text(const nlohmann::json& value) {
  std::string out;
  out.reserve(1024);
  put(out, value);
  return out;
}

}  // namespace mydocker
