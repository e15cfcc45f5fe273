#pragma once
// Times as the records keep them.

#include <cstdint>
#include <optional>
#include <string>

namespace mydocker {

// RFC 3339 with nanoseconds, UTC: "2026-11-22T15:06:02.123456789Z" (docker's format).
std::string now_rfc3339();
// Seconds since the epoch from now_rfc3339()'s format; 0 when it does not parse.
double parse_rfc3339(const std::string& text);
// Nanoseconds since the epoch from now_rfc3339()'s format (any number of fraction digits, "Z");
// nullopt when it does not parse.
std::optional<int64_t> parse_rfc3339_ns(const std::string& text);
// docker's CreatedAt in `ps` and `images` (Go's time.Time String, UTC, whole seconds):
// "2026-11-22 15:06:02 +0000 UTC"; the text as it is when it does not parse.
std::string docker_time_text(const std::string& rfc3339);

}  // namespace mydocker
