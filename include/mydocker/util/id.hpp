#pragma once

#include <string>
#include <string_view>

namespace mydocker {

// 64 random hex digits, as docker's ids.
std::string new_container_id();
// The 12-digit form docker shows (and the default hostname).
inline std::string short_id(std::string_view id) { return std::string(id.substr(0, 12)); }
bool is_container_id(std::string_view text);

}  // namespace mydocker
