#include "mydocker/cgroup/v1/devices.hpp"

namespace mydocker::v1 {

void Devices::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  // In order: "deny all" first empties the exception list, each allow then adds one. Nothing is
  // in the cgroup yet, so no process ever sees a state in between.
  for (const DeviceRule& rule : r.devices)
    fs.write(path_join(dir, rule.allow ? "devices.allow" : "devices.deny"), rule.text());
}

}  // namespace mydocker::v1
