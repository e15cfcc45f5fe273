#include <cstdint>
#include <cstring>

#include "mydocker/container/init.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

// Length-prefixed strings: u32 length (host order: both ends are this binary) + bytes.
void put(std::string& out, std::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(s);
}

bool get(std::string_view& in, std::string& s) {
  uint32_t n;
  if (in.size() < sizeof n) return false;
  std::memcpy(&n, in.data(), sizeof n);
  in.remove_prefix(sizeof n);
  if (in.size() < n) return false;
  s.assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

void put_list(std::string& out, const std::vector<std::string>& list) {
  put(out, std::to_string(list.size()));
  for (const auto& s : list) put(out, s);
}

bool get_list(std::string_view& in, std::vector<std::string>& list) {
  std::string count;
  if (!get(in, count)) return false;
  auto n = parse_int(count);
  if (!n || *n < 0 || *n > (1 << 20)) return false;
  list.resize(static_cast<size_t>(*n));
  for (auto& s : list)
    if (!get(in, s)) return false;
  return true;
}

}  // namespace

std::string encode_init_config(const InitConfig& c) {
  std::string out;
  put(out, "mydocker-init-1");
  put(out, c.hostname);
  put(out, c.cwd);
  put(out, std::string(c.interactive ? "i" : "") + (c.tty ? "t" : "") + (c.trace ? "x" : ""));
  put_list(out, c.argv);
  put_list(out, c.env);
  put_list(out, c.join_files);
  return out;
}

std::optional<InitConfig> decode_init_config(std::string_view in) {
  InitConfig c;
  std::string magic, flags;
  if (!get(in, magic) || magic != "mydocker-init-1") return std::nullopt;
  if (!get(in, c.hostname) || !get(in, c.cwd) || !get(in, flags)) return std::nullopt;
  if (!get_list(in, c.argv) || !get_list(in, c.env) || !get_list(in, c.join_files) ||
      !in.empty()) return std::nullopt;
  if (c.argv.empty()) return std::nullopt;
  c.interactive = flags.find('i') != std::string::npos;
  c.tty = flags.find('t') != std::string::npos;
  c.trace = flags.find('x') != std::string::npos;
  return c;
}

std::string encode_failure(const InitFailure& f) {
  return std::to_string(f.exit_code) + "\n" + f.message;
}

std::optional<InitFailure> decode_failure(std::string_view data) {
  size_t nl = data.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  auto code = parse_int(data.substr(0, nl));
  if (!code || *code < 1 || *code > 255) return std::nullopt;
  return InitFailure{static_cast<int>(*code), std::string(data.substr(nl + 1))};
}

}  // namespace mydocker
