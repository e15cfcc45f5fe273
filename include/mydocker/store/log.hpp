#pragma once
// A detached container's output, in docker's json-file format: one JSON object per line,
//   {"log":"hello\n","stream":"stdout","time":"2026-11-22T15:06:02.123456789Z"}
// appended to <root>/<id>/container.log by its supervisor.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mydocker/util/fd.hpp"

namespace mydocker {

// --log-opt max-size=SIZE max-file=N: docker's json-file rotation. When a line would take the
// file past max_size it is renamed container.log.1 (the older ones shift up to max_file-1, the
// oldest goes) and a new one begins; max_file 1 truncates instead.
struct LogRotation {
  int64_t max_size = -1;  // bytes; -1: no rotation
  int max_file = 1;
};
// A run without --log-opt max-size (see log_rotation in spec/options.cpp).
constexpr int64_t kDefaultLogMaxSize = 20 << 20;
constexpr int kDefaultLogMaxFile = 5;

// The files of a log, oldest first: path.N ... path.1, path (those that exist).
std::vector<std::string> log_files(const std::string& path);

class LogWriter {
 public:
  // Opens for appending; throws Error.
  explicit LogWriter(const std::string& path, LogRotation rotation = {});
  // Adds output of a stream ("stdout" or "stderr"); complete lines are written at once.
  void add(std::string_view stream, std::string_view data);
  // Writes what is left of unfinished lines.
  void flush();

 private:
  void write_line(std::string_view stream, std::string_view line);
  void rotate();
  std::string path_;
  LogRotation rotation_;
  int64_t size_ = 0;
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
