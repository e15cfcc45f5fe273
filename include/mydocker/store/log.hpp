#pragma once
// A detached container's output, in docker's json-file format: one JSON object per line,
//   {"log":"hello\n","stream":"stdout","time":"2026-11-22T15:06:02.123456789Z"}
// appended to <root>/<id>/container.log by its supervisor.

#include <string>
#include <string_view>
#include <vector>

#include "mydocker/util/fd.hpp"

namespace mydocker {

class LogWriter {
 public:
  explicit LogWriter(const std::string& path);  // opens for appending; throws Error
  // Adds output of a stream ("stdout" or "stderr"); complete lines are written at once.
  void add(std::string_view stream, std::string_view data);
  // Writes what is left of unfinished lines.
  void flush();

 private:
  void write_line(std::string_view stream, std::string_view line);
  UniqueFd fd_;
  std::string pending_[2];  // stdout, stderr
};

struct LogEntry {
  std::string log;     // the line, with its "\n"
  std::string stream;  // stdout, stderr
  std::string time;
};
// Parses a container.log (lines that do not parse are skipped).
std::vector<LogEntry> parse_log(std::string_view text);

}  // namespace mydocker
