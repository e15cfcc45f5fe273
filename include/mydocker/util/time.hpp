#pragma once
// Times as the records keep them.

#include <string>

namespace mydocker {

// RFC 3339 with nanoseconds, UTC: "2026-11-22T15:06:02.123456789Z" (docker's format).
std::string now_rfc3339();
// Seconds since the epoch from now_rfc3339()'s format; 0 when it does not parse.
double parse_rfc3339(const std::string& text);

}  // namespace mydocker
