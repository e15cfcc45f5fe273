#include "mydocker/cgroup/v1/cpuset.hpp"

#include <optional>

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

namespace {

// `asked`, or the value the parent's cpuset passes down.
void write_value(const Fs& fs, const std::string& dir, const char* file,
                 const std::optional<std::string>& asked) {
  const std::string path = path_join(dir, file);
  if (asked)
    fs.write_verified(path, *asked);
  else
    fs.write(path, inherited_value(fs, parent_dir(dir), file));
}

}  // namespace

void Cpuset::prepare(const Fs& fs, const std::string& dir, const Resources&) const {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) write_value(fs, dir, file, {});
}

void Cpuset::set_made(const Fs& fs, const std::string& dir, const Resources& r) const {
  // Always written, requested or not: an empty cpuset cannot take a process.
  write_value(fs, dir, "cpuset.cpus", r.cpuset_cpus);
  write_value(fs, dir, "cpuset.mems", r.cpuset_mems);
}

void Cpuset::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  // `update`: unrequested values are filled in only where empty, never reset.
  auto empty = [&](const char* file) {
    return fs.dry_run() || trim(fs.read_if_exists(path_join(dir, file)).value_or("")).empty();
  };
  if (r.cpuset_cpus || empty("cpuset.cpus")) write_value(fs, dir, "cpuset.cpus", r.cpuset_cpus);
  if (r.cpuset_mems || empty("cpuset.mems")) write_value(fs, dir, "cpuset.mems", r.cpuset_mems);
}

}  // namespace mydocker::v1
