#include "mydocker/format/text.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace mydocker {

std::string human_duration(double seconds) {
  const long s = static_cast<long>(seconds);
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return std::to_string(s) + " seconds";
  const long minutes = s / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  const long hours = static_cast<long>(seconds / 3600 + 0.5);
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(static_cast<long>(seconds / 3600) / 24 / 365) + " years";
}

std::string human_size(int64_t bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  double size = static_cast<double>(bytes);
  size_t unit = 0;
  while (size >= 1000 && unit + 1 < std::size(kUnits)) {
    size /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%s", size, kUnits[unit]);
  return buf;
}

std::string status_text(const ContainerState& st, bool supervisor_alive, double now) {
  if (st.status == "dead" || (st.live() && !supervisor_alive))
    return "Dead (its mydocker supervisor died; `mydocker prune` cleans up)";
  if (st.status == "created") return "Created";
  if (st.status == "running" || st.status == "paused") {
    std::string s = "Up " + human_duration(now - parse_rfc3339(st.started_at));
    if (st.status == "paused") s += " (Paused)";
    if (st.health.is_object()) {  // docker: (healthy), (unhealthy), (health: starting)
      const std::string h = st.health.value("Status", "");
      s += h == "starting" ? " (health: starting)" : " (" + h + ")";
    }
    if (st.restart_count > 0)
      s += " (restarted " + std::to_string(st.restart_count) + "x, last after " +
           st.restart_reason + ")";
    return s;
  }
  const std::string ago = human_duration(now - parse_rfc3339(st.finished_at)) + " ago";
  if (st.status == "restarting")
    return "Restarting (" + std::to_string(st.exit_code) + ") " + ago +
           (st.oom_killed ? " (OOM)" : "");
  return "Exited (" + std::to_string(st.exit_code) + ") " + ago + (st.oom_killed ? " (OOM)" : "");
}

std::string percent(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", value);
  return buf;
}

double now_seconds() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

namespace {

// The code point at `s[i]` (UTF-8; a stray byte is itself), and its length in `len`.
uint32_t code_point(const std::string& s, size_t i, size_t& len) {
  const auto b = static_cast<unsigned char>(s[i]);
  len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
  if (i + len > s.size()) len = 1;
  if (len == 1) return b;
  uint32_t cp = b & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

// Unicode's East Asian Wide and Fullwidth blocks (golang.org/x/text/width's W and F, by block).
int display_width(uint32_t cp) {
  const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
                    (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
                    (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
                    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
                    (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
  return wide ? 2 : 1;
}

// Characters (code points) in UTF-8 text: the width Go's tabwriter gives a cell (docker's tables).
size_t characters(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string ellipsis(const std::string& s, size_t max) {
  if (max == 0) return "";
  std::vector<std::pair<size_t, size_t>> ends;  // (byte end, columns so far) per character
  size_t columns = 0;
  for (size_t i = 0, len = 0; i < s.size(); i += len) {
    columns += static_cast<size_t>(display_width(code_point(s, i, len)));
    ends.push_back({i + len, columns});
  }
  if (columns <= max) return s;
  if (max == 1) return s.substr(0, ends.front().first);  // docker's: the first, no "…"
  size_t keep = 0;
  for (const auto& [end, cols] : ends) {
    if (cols > max - 1) break;
    keep = end;
  }
  return s.substr(0, keep) + "\u2026";
}

std::string format_columns(const std::vector<std::vector<std::string>>& rows, size_t gap,
                           size_t min_width) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t c = 0; c + 1 < row.size(); ++c) {
      if (width.size() <= c) width.resize(c + 1, 0);
      width[c] = std::max({width[c], characters(row[c]) + gap, min_width});
    }
  std::string out;
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      out += row[c];
      if (c + 1 < row.size()) out += std::string(width[c] - characters(row[c]), ' ');
    }
    out += "\n";
  }
  return out;
}

std::string go_quote(const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0, len = 0; i < s.size(); i += len) {
    const uint32_t cp = code_point(s, i, len);
    const auto byte = static_cast<unsigned char>(s[i]);
    const bool stray = len == 1 && byte >= 0x80;  // not UTF-8
    if (cp == '"' || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n' || cp == '\t' || cp == '\r') {
      out += cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : "\\r";
    } else if (cp < 0x20 || cp == 0x7f || stray) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out.append(s, i, len);
    }
  }
  return out + "\"";
}

}  // namespace mydocker
