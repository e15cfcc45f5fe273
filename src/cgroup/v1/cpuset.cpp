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

CpuSet Cpuset::effective(const Fs& fs, const std::string& dir, const std::string& what) {
  auto text = inherited_value(fs, dir, "cpuset.effective_" + what);
  if (text.empty()) text = inherited_value(fs, dir, "cpuset." + what);
  return parse_cpu_list(text).value_or(CpuSet{});
}

void Cpuset::prepare(const Fs& fs, const std::string& dir, const Resources&) const {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"})
    fs.write(path_join(dir, file), inherited_value(fs, parent_dir(dir), file));
}

void Cpuset::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  // Always written, requested or not: an empty cpuset cannot take a process.
  const std::string parent = parent_dir(dir);
  const std::string cpus = path_join(dir, "cpuset.cpus"), mems = path_join(dir, "cpuset.mems");
  // Unrequested values are filled in only where empty: `update` must not reset them.
  auto empty = [&](const std::string& f) {
    return fs.dry_run() || trim(fs.read_if_exists(f).value_or("")).empty();
  };
  if (r.cpuset_cpus)
    fs.write_verified(cpus, *r.cpuset_cpus);
  else if (empty(cpus))
    fs.write(cpus, inherited_value(fs, parent, "cpuset.cpus"));
  if (r.cpuset_mems)
    fs.write_verified(mems, *r.cpuset_mems);
  else if (empty(mems))
    fs.write(mems, inherited_value(fs, parent, "cpuset.mems"));
}

}  // namespace mydocker::v1
