#include "mydocker/cgroup/v1/cpuset.hpp"

namespace mydocker::v1 {

std::string inherited_value(const Fs& fs, std::string dir, const std::string& file) {
  for (;;) {
    if (auto v = fs.read_if_exists(path_join(dir, file)); v && !trim(*v).empty())
      return std::string(trim(*v));
    if (dir == "/" || dir == ".") return "";
    dir = parent_dir(dir);
  }
}

CpuSet Cpuset::effective_cpus(const Fs& fs, const std::string& dir) {
  auto text = inherited_value(fs, dir, "cpuset.effective_cpus");
  if (text.empty()) text = inherited_value(fs, dir, "cpuset.cpus");
  return parse_cpu_list(text).value_or(CpuSet{});
}

void Cpuset::prepare(const Fs& fs, const std::string& dir, bool fresh) const {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    if (!fresh) {
      auto current = fs.read_if_exists(path_join(dir, file));
      if (current && !trim(*current).empty()) continue;
    }
    fs.write(path_join(dir, file), inherited_value(fs, parent_dir(dir), file));
  }
}

void Cpuset::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  // Always written, requested or not: an empty cpuset cannot take a process.
  const std::string parent = parent_dir(dir);
  fs.write(path_join(dir, "cpuset.cpus"),
           r.cpuset_cpus ? *r.cpuset_cpus : inherited_value(fs, parent, "cpuset.cpus"));
  fs.write(path_join(dir, "cpuset.mems"), inherited_value(fs, parent, "cpuset.mems"));
}

}  // namespace mydocker::v1
