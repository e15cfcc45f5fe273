#include "mydocker/util/trace.hpp"

#include "mydocker/util/fd.hpp"

namespace mydocker::trace {
namespace {
bool g_enabled = false;
int g_fd = 2;
}  // namespace

void set_enabled(bool on) { g_enabled = on; }
bool enabled() { return g_enabled; }
void set_fd(int fd) { g_fd = fd; }
int fd() { return g_fd; }

void emit(std::string_view line) {
  if (!g_enabled) return;
  std::string out;
  out.reserve(line.size() + 3);
  out.append("+ ").append(line).push_back('\n');
  (void)write_all(g_fd, out.data(), out.size());
}

void emit_block(const std::vector<std::string>& lines) {
  if (!g_enabled) return;
  std::string out;
  for (const auto& line : lines) out.append("+ ").append(line).push_back('\n');
  (void)write_all(g_fd, out.data(), out.size());
}

std::string quote(std::string_view word) {
  if (word.empty()) return "''";
  bool plain = true;
  for (char c : word) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("-_./,:=+%@$").find(c) != std::string_view::npos;
    if (!ok) {
      plain = false;
      break;
    }
  }
  // `$` stays bare only as the pid placeholder `$PID` of --dry-run.
  if (plain && word.find('$') != std::string_view::npos && word != "$PID") plain = false;
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += "'";
  return out;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += quote(w);
  }
  return out;
}

}  // namespace mydocker::trace
