#include "mydocker/cgroup/v2/controllers.hpp"

namespace mydocker::v2 {

CpuSet Cpuset::effective(const Fs& fs, const std::string& dir, const std::string& what) {
  std::string d = existing_dir(fs, dir);
  for (;;) {
    if (auto v = fs.read_if_exists(path_join(d, "cpuset." + what + ".effective"));
        v && !trim(*v).empty())
      return parse_cpu_list(*v).value_or(CpuSet{});
    if (d == "/" || d == ".") return {};
    d = parent_dir(d);
  }
}

void Cpuset::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  if (r.cpuset_cpus) fs.write_verified(path_join(dir, "cpuset.cpus"), *r.cpuset_cpus);
  if (r.cpuset_mems) fs.write_verified(path_join(dir, "cpuset.mems"), *r.cpuset_mems);
}

}  // namespace mydocker::v2
