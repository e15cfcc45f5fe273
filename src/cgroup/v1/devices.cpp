#include "mydocker/cgroup/v1/devices.hpp"

namespace mydocker::v1 {

void Devices::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  // In order: "deny all" first empties the exception list, each allow then adds one. Nothing is
  // in the cgroup yet, so no process ever sees a state in between.
  // A run of rules for the same file goes through one descriptor (one rule per write).
  for (size_t i = 0; i < r.devices.size();) {
    const bool allow = r.devices[i].allow;
    std::vector<std::string> run;
    for (; i < r.devices.size() && r.devices[i].allow == allow; ++i)
      run.push_back(r.devices[i].text());
    fs.write_each(path_join(dir, allow ? "devices.allow" : "devices.deny"), run);
  }
}

}  // namespace mydocker::v1
