#include <algorithm>
#include <set>

#include "mydocker/cgroup/v2/controllers.hpp"

namespace mydocker::v2 {
namespace {

const DeviceLimit* for_device(const std::vector<DeviceLimit>& list, uint32_t major,
                              uint32_t minor) {
  const DeviceLimit* found = nullptr;
  for (const auto& d : list)
    if (d.major == major && d.minor == minor) found = &d;  // the last one counts
  return found;
}

// io.max lists each limited device with all four keys: ours must carry what we wrote.
void verify_io_max(const Fs& fs, const std::string& path, const std::string& line) {
  const auto want = split(line, " ");
  std::vector<std::string> got;
  const std::string now = fs.read(path);
  size_t i = 0;
  while (i < now.size()) {
    size_t nl = now.find('\n', i);
    if (nl == std::string::npos) nl = now.size();
    auto t = split(now.substr(i, nl - i), " ");
    if (!t.empty() && t[0] == want[0]) got = t;
    i = nl + 1;
  }
  for (const auto& kv : want)
    if (std::find(got.begin(), got.end(), kv) == got.end())
      throw Error("the kernel did not take \"" + line + "\" for " + path + ": it reads \"" +
                  std::string(trim(now)) + "\"");
}

}  // namespace

std::string io_max_line(const Resources& r, uint32_t major, uint32_t minor) {
  std::string keys;
  const std::pair<const char*, const std::vector<DeviceLimit>*> all[] = {{"rbps", &r.read_bps},
                                                                         {"wbps", &r.write_bps},
                                                                         {"riops", &r.read_iops},
                                                                         {"wiops", &r.write_iops}};
  for (const auto& [key, list] : all)
    if (const DeviceLimit* d = for_device(*list, major, minor))
      keys += std::string(" ") + key + "=" + std::to_string(d->value);
  if (keys.empty()) return "";
  return std::to_string(major) + ":" + std::to_string(minor) + keys;
}

void Io::check(const Fs& fs, const std::string& dir, const Resources& r) const {
  if (r.blkio_weight && !has_file(fs, dir, "io.weight") && !has_file(fs, dir, "io.bfq.weight"))
    throw Error(
        "--blkio-weight: this kernel has neither io.weight nor io.bfq.weight (load the BFQ "
        "I/O scheduler: modprobe bfq)");
}

void Io::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  check(fs, dir, r);
  if (r.blkio_weight) {
    const bool io_weight = has_file(fs, dir, "io.weight");
    const std::string weight = std::to_string(blkio_weight_to_io_weight(*r.blkio_weight));
    const std::string file = path_join(dir, io_weight ? "io.weight" : "io.bfq.weight");
    fs.write(file, "default " + weight);
    if (!fs.dry_run()) {
      auto first = std::string(trim(fs.read(file)));
      if (first.rfind("default " + weight, 0) != 0)
        throw Error("the kernel did not take \"default " + weight + "\" for " + file +
                    ": it reads \"" + first + "\"");
    }
  }
  std::set<std::pair<uint32_t, uint32_t>> devices;
  for (const auto* list : {&r.read_bps, &r.write_bps, &r.read_iops, &r.write_iops})
    for (const auto& d : *list) devices.insert({d.major, d.minor});
  const std::string io_max = path_join(dir, "io.max");
  for (const auto& [major, minor] : devices) {
    const std::string line = io_max_line(r, major, minor);
    fs.write(io_max, line);
    if (!fs.dry_run()) verify_io_max(fs, io_max, line);
  }
}

void Io::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  if (auto text = fs.read_if_exists(path_join(dir, "io.stat"))) out.io = parse_io_stat(*text);
}

}  // namespace mydocker::v2
