#include "mydocker/container/log.hpp"

#include <fcntl.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "mydocker/container/state.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker {

LogWriter::LogWriter(const std::string& path)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {
  if (!fd_) throw SysError(errno, "cannot open the container log " + path);
}

void LogWriter::write_line(std::string_view stream, std::string_view line) {
  nlohmann::json j = {{"log", std::string(line)}, {"stream", stream}, {"time", now_rfc3339()}};
  // Invalid UTF-8 in the output is replaced, never a reason to lose the line.
  std::string out = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  (void)write_all(fd_.get(), out.data(), out.size());
}

void LogWriter::add(std::string_view stream, std::string_view data) {
  std::string& pending = pending_[stream == "stderr" ? 1 : 0];
  pending.append(data);
  size_t start = 0, nl;
  while ((nl = pending.find('\n', start)) != std::string::npos) {
    write_line(stream, std::string_view(pending).substr(start, nl + 1 - start));
    start = nl + 1;
  }
  pending.erase(0, start);
  // A very long line without a newline is written in pieces (docker splits at 16 KiB).
  if (pending.size() >= 16384) {
    write_line(stream, pending);
    pending.clear();
  }
}

void LogWriter::flush() {
  const char* streams[] = {"stdout", "stderr"};
  for (int i = 0; i < 2; ++i) {
    if (!pending_[i].empty()) write_line(streams[i], pending_[i]);
    pending_[i].clear();
  }
}

std::vector<LogEntry> parse_log(std::string_view text) {
  std::vector<LogEntry> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    out.push_back({j.value("log", ""), j.value("stream", "stdout"), j.value("time", "")});
  }
  return out;
}

}  // namespace mydocker
