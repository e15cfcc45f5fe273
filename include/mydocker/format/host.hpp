#pragma once
// How `info` shows the host (host_info's JSON, see commands/info.hpp) to people.

#include <nlohmann/json.hpp>
#include <string>

namespace mydocker {

std::string format_host_info(const nlohmann::json& info);

}  // namespace mydocker
