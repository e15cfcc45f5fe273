#pragma once
// A JSON value as text, the bytes nlohmann's dump() makes (no indentation), several times
// faster: the records a run writes before its container starts (config.json, state.json) were
// 230,000 instructions of nlohmann's serializer, which decodes every byte of every string as
// UTF-8. Here a string's plain bytes are copied in runs (append_json_string, which the events
// file's writer uses too); a string that is no valid UTF-8, a floating-point number and binary
// data are left to nlohmann (its checks and its formatting).

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace mydocker {

std::string json_text(const nlohmann::json& value);

// `s` appended to `out` as a quoted JSON string, the bytes nlohmann's dump() writes: \" \\ \b
// \f \n \r \t, \u00XX for the other control characters, valid UTF-8 as it is. A byte that is
// no valid UTF-8 becomes U+FFFD with `replace_invalid` (the events file: a line is never lost);
// else nothing is appended and false returned (json_text leaves the string to nlohmann, whose
// error says why).
bool append_json_string(std::string& out, std::string_view s, bool replace_invalid);

}  // namespace mydocker
