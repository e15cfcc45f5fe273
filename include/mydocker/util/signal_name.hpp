#pragma once
// Signals by the names docker takes: "TERM", "SIGTERM", "term" or "15".

#include <string>

namespace mydocker {

// Throws Error("invalid signal: TEXT").
int parse_signal(const std::string& text);

}  // namespace mydocker
