#pragma once
// `mydocker run --report` / `--report-file`: what the container used, read from its cgroups
// before they are removed.

#include <nlohmann/json.hpp>
#include <string>

#include "mydocker/runtime/run.hpp"

namespace mydocker {

// A short summary for people, several lines, each starting with "mydocker: ".
std::string format_report(const RunReport& r);
// The same for CI: {"id", "exit_status", "wall_seconds", "memory": {...}, "cpu": {...}, ...}.
nlohmann::json report_json(const RunReport& r);

}  // namespace mydocker
