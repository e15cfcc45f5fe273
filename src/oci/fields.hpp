#pragma once
// config.json's objects, checked member by member (src/oci only).

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mydocker/util/error.hpp"

namespace mydocker::oci {

using nlohmann::json;

[[noreturn]] inline void fail(const std::string& field, const std::string& why) {
  throw Error("config.json: " + field + ": " + why);
}

// An object whose members are checked against the names the runtime-spec gives it: a member
// that is not one of them is an error naming it.
class Obj {
 public:
  Obj(const json& j, std::string where, std::initializer_list<const char*> known)
      : j_(j), where_(std::move(where)) {
    if (!j.is_object()) fail(where_, std::string("expected an object, got ") + j.type_name());
    std::set<std::string> names(known.begin(), known.end());
    for (const auto& [key, value] : j.items())
      if (!names.count(key)) fail(field(key), "unknown field (not in runtime-spec 1.1)");
  }
  std::string field(const std::string& key) const {
    return where_.empty() ? key : where_ + "." + key;
  }
  const json* get(const char* key) const {
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  bool has(const char* key) const { return get(key) != nullptr; }
  std::string str(const char* key, const std::string& def = "") const {
    const json* v = get(key);
    if (!v) return def;
    if (!v->is_string()) fail(field(key), std::string("expected a string, got ") + v->type_name());
    return v->get<std::string>();
  }
  // A path that must be absolute (in the container or on the host, as the field says).
  std::string absolute(const char* key) const {
    std::string v = str(key);
    if (v.empty() || v.front() != '/')
      fail(field(key), "must be an absolute path, got \"" + v + "\"");
    return v;
  }
  bool boolean(const char* key, bool def = false) const {
    const json* v = get(key);
    if (!v) return def;
    if (!v->is_boolean()) fail(field(key), std::string("expected true or false, got ") + v->dump());
    return v->get<bool>();
  }
  int64_t integer(const char* key, int64_t def = 0) const {
    const json* v = get(key);
    if (!v) return def;
    if (!v->is_number_integer() && !v->is_number_unsigned())
      fail(field(key), "expected an integer, got " + v->dump());
    if (v->is_number_unsigned() && v->get<uint64_t>() > INT64_MAX) return -1;  // "unlimited"
    return v->get<int64_t>();
  }
  std::optional<int64_t> opt_int(const char* key) const {
    if (!has(key)) return std::nullopt;
    return integer(key);
  }
  uint64_t unsigned_int(const char* key, uint64_t def = 0) const {
    const json* v = get(key);
    if (!v) return def;
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
      fail(field(key), "expected a non-negative integer, got " + v->dump());
    return v->get<uint64_t>();
  }
  // An unsigned value that must fit `max` (uid_t, a mapping's size...): never truncated.
  uint64_t bounded(const char* key, uint64_t max, uint64_t def = 0) const {
    const uint64_t v = unsigned_int(key, def);
    if (v > max)
      fail(field(key),
           std::to_string(v) + " is out of range (at most " + std::to_string(max) + ")");
    return v;
  }
  std::vector<std::string> strings(const char* key) const {
    const json* v = get(key);
    if (!v) return {};
    if (!v->is_array()) fail(field(key), "expected an array of strings");
    std::vector<std::string> out;
    for (const auto& s : *v) {
      if (!s.is_string()) fail(field(key), "expected an array of strings, got " + s.dump());
      out.push_back(s.get<std::string>());
    }
    return out;
  }
  const json& array(const char* key) const {
    static const json empty = json::array();
    const json* v = get(key);
    if (!v) return empty;
    if (!v->is_array()) fail(field(key), std::string("expected an array, got ") + v->type_name());
    return *v;
  }
  // Fields the runtime-spec defines but mydocker cannot apply: an error when set.
  void unsupported(const char* key, const std::string& why = "not supported by mydocker") const {
    const json* v = get(key);
    if (v && !(v->is_array() && v->empty()) && !(v->is_object() && v->empty()))
      fail(field(key), why);
  }

 private:
  const json& j_;
  std::string where_;
};

}  // namespace mydocker::oci
