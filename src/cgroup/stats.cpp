#include "mydocker/cgroup/stats.hpp"

#include <algorithm>
#include <charconv>

#include "mydocker/util/fs.hpp"

namespace mydocker {
namespace {

// v1 reports "unlimited" as PAGE_COUNTER_MAX pages: anything this large is no limit.
constexpr uint64_t kUnlimitedAbove = uint64_t{1} << 62;

template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    fn(trim(text.substr(0, nl)));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

bool to_u64(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_device(std::string_view s, uint32_t& major, uint32_t& minor) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  uint64_t ma, mi;
  if (!to_u64(s.substr(0, colon), ma) || !to_u64(s.substr(colon + 1), mi)) return false;
  major = static_cast<uint32_t>(ma);
  minor = static_cast<uint32_t>(mi);
  return true;
}

IoDeviceStats& device(std::vector<IoDeviceStats>& devs, uint32_t major, uint32_t minor) {
  auto it = std::find_if(devs.begin(), devs.end(), [&](const IoDeviceStats& d) {
    return d.major == major && d.minor == minor;
  });
  if (it != devs.end()) return *it;
  devs.push_back(IoDeviceStats{major, minor});
  return devs.back();
}

}  // namespace

std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  for_each_line(text, [&](std::string_view line) {
    auto w = split(line, " \t");
    uint64_t v;
    if (w.size() == 2 && to_u64(w[1], v)) out[std::string(w[0])] = v;
  });
  return out;
}

std::vector<IoDeviceStats> parse_blkio_v1(std::string_view bytes, std::string_view ios) {
  std::vector<IoDeviceStats> devs;
  auto add = [&](std::string_view text, bool is_bytes) {
    for_each_line(text, [&](std::string_view line) {
      auto w = split(line, " \t");
      uint32_t ma, mi;
      uint64_t v;
      if (w.size() != 3 || !parse_device(w[0], ma, mi) || !to_u64(w[2], v)) return;
      auto& d = device(devs, ma, mi);
      if (w[1] == "Read") (is_bytes ? d.read_bytes : d.read_ios) = v;
      if (w[1] == "Write") (is_bytes ? d.write_bytes : d.write_ios) = v;
    });
  };
  add(bytes, true);
  add(ios, false);
  return devs;
}

std::vector<IoDeviceStats> parse_io_stat(std::string_view text) {
  std::vector<IoDeviceStats> devs;
  for_each_line(text, [&](std::string_view line) {
    auto w = split(line, " \t");
    uint32_t ma, mi;
    if (w.empty() || !parse_device(w[0], ma, mi)) return;
    auto& d = device(devs, ma, mi);
    for (size_t i = 1; i < w.size(); ++i) {
      size_t eq = w[i].find('=');
      uint64_t v;
      if (eq == std::string_view::npos || !to_u64(w[i].substr(eq + 1), v)) continue;
      auto key = w[i].substr(0, eq);
      if (key == "rbytes") d.read_bytes = v;
      if (key == "wbytes") d.write_bytes = v;
      if (key == "rios") d.read_ios = v;
      if (key == "wios") d.write_ios = v;
    }
  });
  return devs;
}

std::optional<int64_t> parse_limit(std::string_view text) {
  text = trim(text);
  uint64_t v;
  if (text == "max" || !to_u64(text, v) || v >= kUnlimitedAbove) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace mydocker
