#include "mydocker/store/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <optional>

#include "mydocker/store/state.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

constexpr size_t kPiece = 16384;  // docker's json-file splits lines at 16 KiB

}  // namespace

std::vector<std::string> log_files(const std::string& path) {
  std::vector<std::string> out;
  for (int i = 1;; ++i) {
    const std::string older = path + "." + std::to_string(i);
    if (::access(older.c_str(), F_OK) != 0) break;
    out.insert(out.begin(), older);
  }
  out.push_back(path);
  return out;
}

LogWriter::LogWriter(const std::string& path, LogRotation rotation)
    : path_(path),
      rotation_(rotation),
      fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {
  if (!fd_) throw SysError(errno, "cannot open the container log " + path);
  struct stat st {};
  if (::fstat(fd_.get(), &st) == 0) size_ = st.st_size;
}

void LogWriter::rotate() {
  if (rotation_.max_file > 1) {
    for (int i = rotation_.max_file - 1; i >= 1; --i) {
      const std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
      (void)::rename(from.c_str(), (path_ + "." + std::to_string(i)).c_str());
    }
  }
  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_TRUNC;
  UniqueFd fresh(::open(path_.c_str(), flags, 0600));
  if (!fresh) return;  // keep writing where we were: better a long log than a lost one
  fd_ = std::move(fresh);
  size_ = 0;
}

void LogWriter::write_line(std::string_view stream, std::string_view line) {
  nlohmann::json j = {{"log", std::string(line)}, {"stream", stream}, {"time", now_rfc3339()}};
  // Invalid UTF-8 in the output is replaced, never a reason to lose the line.
  std::string out = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (rotation_.max_size > 0 && size_ > 0 &&
      size_ + static_cast<int64_t>(out.size()) > rotation_.max_size)
    rotate();
  if (write_all(fd_.get(), out.data(), out.size())) size_ += static_cast<int64_t>(out.size());
}

void LogWriter::add(std::string_view stream, std::string_view data) {
  std::string& pending = pending_[stream == "stderr" ? 1 : 0];
  pending.append(data);
  size_t start = 0, nl;
  while ((nl = pending.find('\n', start)) != std::string::npos) {
    for (size_t at = start; at <= nl; at += kPiece)
      write_line(stream, std::string_view(pending).substr(at, std::min(kPiece, nl + 1 - at)));
    start = nl + 1;
  }
  pending.erase(0, start);
  // A long line is written in pieces of 16 KiB, as docker splits them.
  size_t at = 0;
  while (pending.size() - at >= kPiece) {
    write_line(stream, std::string_view(pending).substr(at, kPiece));
    at += kPiece;
  }
  pending.erase(0, at);
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
    auto text = [&](const char* key, const char* fallback) -> std::optional<std::string> {
      auto it = j.find(key);
      if (it == j.end()) return fallback;
      if (!it->is_string()) return std::nullopt;
      return it->get<std::string>();
    };
    auto log = text("log", ""), stream = text("stream", "stdout"), time = text("time", "");
    if (!log || !stream || !time) continue;  // a field of the wrong type: not our line
    out.push_back({*log, *stream, *time});
  }
  return out;
}

}  // namespace mydocker
