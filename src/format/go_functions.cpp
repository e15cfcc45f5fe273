#include "go_functions.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

#include "mydocker/format/template.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker::tmpl::go {
namespace {

[[noreturn]] void fail_call(const std::string& where, const char* name, const std::string& what) {
  throw Error("template: " + where + ": error calling " + name + ": " + what);
}

// Go checks a call's number of arguments before making it.
void want(const Args& a, size_t lo, size_t hi, const char* name, const std::string& where) {
  if (a.size() >= lo && a.size() <= hi) return;
  const std::string wanted = lo == hi ? std::to_string(lo) : "at least " + std::to_string(lo);
  throw Error("template: " + where + ": wrong number of args for " + name + ": want " + wanted +
              " got " + std::to_string(a.size()));
}

constexpr size_t kAny = SIZE_MAX;  // no upper bound on the number of arguments

enum class Kind { kNil, kBool, kNumber, kString, kOther };

Kind kind_of(const json& v) {
  if (v.is_null()) return Kind::kNil;
  if (v.is_boolean()) return Kind::kBool;
  if (v.is_number()) return Kind::kNumber;
  if (v.is_string()) return Kind::kString;
  return Kind::kOther;
}

// Two numbers: integers exactly, else as doubles. -1, 0, 1.
int compare_numbers(const json& x, const json& y) {
  if (x.is_number_integer() && y.is_number_integer()) {
    const bool xs = x.is_number_unsigned(), ys = y.is_number_unsigned();
    if (xs && ys) return x.get<uint64_t>() < y.get<uint64_t>() ? -1 : x == y ? 0 : 1;
    if (xs || ys) {  // one unsigned: a negative signed one is below it (Go's int/uint rule)
      const json& s = xs ? y : x;
      if (s.get<int64_t>() < 0) return xs ? 1 : -1;
      const uint64_t a = x.get<uint64_t>(), b = y.get<uint64_t>();
      return a < b ? -1 : a == b ? 0 : 1;
    }
    const int64_t a = x.get<int64_t>(), b = y.get<int64_t>();
    return a < b ? -1 : a == b ? 0 : 1;
  }
  const double a = x.get<double>(), b = y.get<double>();
  return a < b ? -1 : a == b ? 0 : 1;
}

bool equal(const json& x, const json& y, const char* name, const std::string& where) {
  const Kind kx = kind_of(x), ky = kind_of(y);
  if (kx == Kind::kNil || ky == Kind::kNil) return kx == ky;  // Go: nil matches only nil
  if (kx == Kind::kOther || ky == Kind::kOther)
    fail_call(where, name,
              "non-comparable type " + to_text(kx == Kind::kOther ? x : y) + ": " +
                  (kx == Kind::kOther ? x : y).type_name());
  if (kx != ky) fail_call(where, name, "incompatible types for comparison");
  if (kx == Kind::kNumber) return compare_numbers(x, y) == 0;
  return x == y;
}

// lt's ordering: numbers and strings only.
int order(const json& x, const json& y, const char* name, const std::string& where) {
  const Kind kx = kind_of(x), ky = kind_of(y);
  if (kx == Kind::kNil || kx == Kind::kOther || ky == Kind::kNil || ky == Kind::kOther)
    fail_call(where, name, "invalid type for comparison");
  if (kx != ky) fail_call(where, name, "incompatible types for comparison");
  if (kx == Kind::kBool) fail_call(where, name, "invalid type for comparison");
  if (kx == Kind::kNumber) return compare_numbers(x, y);
  const auto& a = x.get_ref<const std::string&>();
  const auto& b = y.get_ref<const std::string&>();
  return a < b ? -1 : a == b ? 0 : 1;
}

// A slice index: an integer in [0, cap].
size_t index_arg(const json& v, size_t cap, const std::string& where) {
  if (v.is_null()) fail_call(where, "slice", "cannot index slice/array with nil");
  if (!v.is_number_integer())
    fail_call(where, "slice", std::string("cannot index slice/array with type ") + v.type_name());
  if (v.is_number_unsigned()
          ? v.get<uint64_t>() > cap
          : v.get<int64_t>() < 0 || static_cast<uint64_t>(v.get<int64_t>()) > cap)
    fail_call(where, "slice", "index out of range: " + v.dump());
  return v.get<size_t>();
}

}  // namespace

bool truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  return !v.empty();
}

json eq(const Args& a, const std::string& where) {
  want(a, 1, kAny, "eq", where);
  if (a.size() == 1) fail_call(where, "eq", "missing argument for comparison");
  for (size_t i = 1; i < a.size(); ++i)
    if (equal(a[0], a[i], "eq", where)) return true;
  return false;
}

json ne(const Args& a, const std::string& where) {
  want(a, 2, 2, "ne", where);
  return !equal(a[0], a[1], "ne", where);
}

json lt(const Args& a, const std::string& where) {
  want(a, 2, 2, "lt", where);
  return order(a[0], a[1], "lt", where) < 0;
}

json le(const Args& a, const std::string& where) {
  want(a, 2, 2, "le", where);
  return order(a[0], a[1], "le", where) <= 0;
}

json gt(const Args& a, const std::string& where) {
  want(a, 2, 2, "gt", where);
  return order(a[0], a[1], "gt", where) > 0;
}

json ge(const Args& a, const std::string& where) {
  want(a, 2, 2, "ge", where);
  return order(a[0], a[1], "ge", where) >= 0;
}

json and_(const Args& a, const std::string& where) {
  want(a, 1, kAny, "and", where);
  for (const auto& v : a)
    if (!truthy(v)) return v;
  return a.back();
}

json or_(const Args& a, const std::string& where) {
  want(a, 1, kAny, "or", where);
  for (const auto& v : a)
    if (truthy(v)) return v;
  return a.back();
}

json not_(const Args& a, const std::string& where) {
  want(a, 1, 1, "not", where);
  return !truthy(a[0]);
}

json slice(const Args& a, const std::string& where) {
  want(a, 1, kAny, "slice", where);
  const json& item = a[0];
  if (item.is_null()) fail_call(where, "slice", "slice of untyped nil");
  if (a.size() > 4)
    fail_call(where, "slice", "too many slice indexes: " + std::to_string(a.size() - 1));
  if (!item.is_string() && !item.is_array())
    fail_call(where, "slice", std::string("can't slice item of type ") + item.type_name());
  if (item.is_string() && a.size() == 4) fail_call(where, "slice", "cannot 3-index slice a string");
  const size_t len = item.is_string() ? item.get_ref<const std::string&>().size() : item.size();
  size_t idx[3] = {0, len, len};
  for (size_t i = 1; i < a.size(); ++i) idx[i - 1] = index_arg(a[i], len, where);
  for (size_t i = 0; i + 1 < std::min<size_t>(a.size() - 1, 3); ++i)
    if (idx[i] > idx[i + 1])
      fail_call(
          where, "slice",
          "invalid slice index: " + std::to_string(idx[i]) + " > " + std::to_string(idx[i + 1]));
  if (item.is_string()) return item.get_ref<const std::string&>().substr(idx[0], idx[1] - idx[0]);
  return json(item.begin() + static_cast<std::ptrdiff_t>(idx[0]),
              item.begin() + static_cast<std::ptrdiff_t>(idx[1]));
}

std::string sprint(const Args& a) {
  std::string out;
  for (size_t i = 0; i < a.size(); ++i)
    out += (i && !a[i].is_string() && !a[i - 1].is_string() ? " " : "") + to_text(a[i]);
  return out;
}

json html(const Args& a, const std::string&) {
  std::string out;
  for (const char c : sprint(a)) {
    switch (c) {
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";
        break;  // U+FFFD
      default:
        out += c;
    }
  }
  return out;
}

json urlquery(const Args& a, const std::string&) {
  std::string out;
  for (const unsigned char c : sprint(a)) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace mydocker::tmpl::go
