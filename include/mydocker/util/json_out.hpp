#pragma once
// A JSON value as text, the bytes nlohmann's dump() makes (no indentation), several times
// faster: the records a run writes before its container starts (config.json, state.json) were
// 230,000 instructions of nlohmann's serializer, which decodes every byte of every string as
// UTF-8. Here a string's ASCII bytes are copied in runs; a string with any other byte, a
// floating-point number and binary data are left to nlohmann (its checks and its formatting).

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace mydocker {

std::string json_text(const nlohmann::json& value);

}  // namespace mydocker
