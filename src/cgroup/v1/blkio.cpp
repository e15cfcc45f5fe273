#include "mydocker/cgroup/v1/blkio.hpp"

namespace mydocker::v1 {
namespace {

void throttle(const Fs& fs, const std::string& dir, const char* file,
              const std::vector<DeviceLimit>& limits) {
  const std::string path = path_join(dir, file);
  for (const auto& d : limits) {
    const std::string line =
        std::to_string(d.major) + ":" + std::to_string(d.minor) + " " + std::to_string(d.value);
    fs.write(path, line);
    if (fs.dry_run()) continue;
    // The file lists every throttled device: ours must be there with our value.
    const std::string now = fs.read(path);
    if (("\n" + now).find("\n" + line + "\n") == std::string::npos)
      throw Error("the kernel did not take \"" + line + "\" for " + path + ": it reads \"" +
                  std::string(trim(now)) + "\"");
  }
}

// blkio.weight was CFQ's; with blk-mq the BFQ scheduler has blkio.bfq.weight instead (in child
// cgroups only: the root shows BFQ by its blkio.bfq.io_service_bytes, for --dry-run). nullptr:
// neither.
const char* weight_file(const Fs& fs, const std::string& dir) {
  if (has_file(fs, dir, "blkio.weight")) return "blkio.weight";
  if (has_file(fs, dir, "blkio.bfq.weight") || has_file(fs, dir, "blkio.bfq.io_service_bytes"))
    return "blkio.bfq.weight";
  return nullptr;
}

}  // namespace

bool Blkio::has_weight(const Fs& fs, const std::string& dir) {
  return weight_file(fs, dir) != nullptr;
}

void Blkio::check(const Fs& fs, const std::string& dir, const Resources& r) const {
  if (r.blkio_weight && !weight_file(fs, dir))
    throw Error(
        "--blkio-weight: this kernel has neither blkio.weight nor blkio.bfq.weight (load the "
        "BFQ I/O scheduler: modprobe bfq)");
}

void Blkio::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  check(fs, dir, r);
  if (r.blkio_weight)
    fs.write_verified(path_join(dir, weight_file(fs, dir)), std::to_string(*r.blkio_weight));
  throttle(fs, dir, "blkio.throttle.read_bps_device", r.read_bps);
  throttle(fs, dir, "blkio.throttle.write_bps_device", r.write_bps);
  throttle(fs, dir, "blkio.throttle.read_iops_device", r.read_iops);
  throttle(fs, dir, "blkio.throttle.write_iops_device", r.write_iops);
}

void Blkio::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  auto read = [&](const char* name) {
    auto text = fs.read_if_exists(path_join(dir, std::string(name) + "_recursive"));
    if (!text) text = fs.read_if_exists(path_join(dir, name));
    return text.value_or("");
  };
  out.io =
      parse_blkio_v1(read("blkio.throttle.io_service_bytes"), read("blkio.throttle.io_serviced"));
}

}  // namespace mydocker::v1
