#include "mydocker/cgroup/devices.hpp"

#include <charconv>

namespace mydocker {
namespace {

std::string number_text(int64_t n) { return n < 0 ? "*" : std::to_string(n); }

// "*" or a device number (majors and minors are 12 and 20 bits on Linux).
std::optional<int64_t> device_number(std::string_view s) {
  if (s == "*") return -1;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || n < 0 || n > 0xfffff) return std::nullopt;
  return n;
}

bool set_why(std::string* why, const char* text) {
  if (why) *why = text;
  return false;
}

bool valid_access(std::string_view access, std::string* why) {
  if (access.empty() || access.size() > 3) return set_why(why, "the access is r, w and/or m");
  for (size_t i = 0; i < access.size(); ++i) {
    if (access[i] != 'r' && access[i] != 'w' && access[i] != 'm')
      return set_why(why, "the access is r, w and/or m");
    if (access.find(access[i], i + 1) != std::string_view::npos)
      return set_why(why, "the access names a letter twice");
  }
  return true;
}

// Whether one rule applies to the request.
bool matches(const DeviceRule& r, char type, int64_t major, int64_t minor,
             std::string_view access) {
  if (r.type != 'a' && r.type != type) return false;
  if (r.major >= 0 && r.major != major) return false;
  if (r.minor >= 0 && r.minor != minor) return false;
  if (r.allow) {  // it must grant every bit asked for
    for (char c : access)
      if (r.access.find(c) == std::string::npos) return false;
    return true;
  }
  for (char c : access)  // it takes any of them
    if (r.access.find(c) != std::string::npos) return true;
  return false;
}

}  // namespace

std::string DeviceRule::text() const {
  return std::string(1, type) + " " + number_text(major) + ":" + number_text(minor) + " " + access;
}

std::optional<DeviceRule> parse_device_rule(std::string_view text, std::string* why) {
  DeviceRule r;
  r.allow = true;
  if (text == "a") return r;
  // TYPE MAJ:MIN ACCESS
  const size_t sp1 = text.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : text.find(' ', sp1 + 1);
  if (sp1 != 1 || sp2 == std::string_view::npos ||
      text.find(' ', sp2 + 1) != std::string_view::npos) {
    set_why(why, "expected 'TYPE MAJOR:MINOR ACCESS', such as 'c 1:3 rwm' or 'b 8:* r'");
    return std::nullopt;
  }
  r.type = text[0];
  if (r.type != 'a' && r.type != 'b' && r.type != 'c') {
    set_why(why, "the type is a (all), b (block) or c (char)");
    return std::nullopt;
  }
  const std::string_view numbers = text.substr(sp1 + 1, sp2 - sp1 - 1);
  const size_t colon = numbers.find(':');
  auto major =
      colon == std::string_view::npos ? std::nullopt : device_number(numbers.substr(0, colon));
  auto minor =
      colon == std::string_view::npos ? std::nullopt : device_number(numbers.substr(colon + 1));
  if (!major || !minor) {
    set_why(why, "MAJOR:MINOR are numbers or '*'");
    return std::nullopt;
  }
  r.major = *major;
  r.minor = *minor;
  r.access = std::string(text.substr(sp2 + 1));
  if (!valid_access(r.access, why)) return std::nullopt;
  return r;
}

std::vector<DeviceRule> default_device_rules() {
  std::vector<DeviceRule> rules = {DeviceRule{false, 'a', -1, -1, "rwm"}};  // deny all first
  const auto allows = default_device_allows();
  rules.insert(rules.end(), allows.begin(), allows.end());
  return rules;
}

std::vector<DeviceRule> default_device_allows() {
  auto allow = [](char type, int64_t major, int64_t minor, const char* access) {
    return DeviceRule{true, type, major, minor, access};
  };
  return {
      allow('c', -1, -1, "m"),     // mknod of any node (useless without r/w)
      allow('b', -1, -1, "m"),     // of a block device too
      allow('c', 1, 3, "rwm"),     // /dev/null
      allow('c', 1, 5, "rwm"),     // /dev/zero
      allow('c', 1, 7, "rwm"),     // /dev/full
      allow('c', 1, 8, "rwm"),     // /dev/random
      allow('c', 1, 9, "rwm"),     // /dev/urandom
      allow('c', 5, 0, "rwm"),     // /dev/tty
      allow('c', 5, 1, "rwm"),     // /dev/console
      allow('c', 5, 2, "rwm"),     // /dev/ptmx
      allow('c', 136, -1, "rwm"),  // /dev/pts/*
  };
}

std::vector<DeviceRule> privileged_device_rules() { return {DeviceRule{true, 'a', -1, -1, "rwm"}}; }

bool device_allowed(const std::vector<DeviceRule>& rules, char type, int64_t major, int64_t minor,
                    std::string_view access) {
  for (auto it = rules.rbegin(); it != rules.rend(); ++it)
    if (matches(*it, type, major, minor, access)) return it->allow;
  return false;
}

}  // namespace mydocker
