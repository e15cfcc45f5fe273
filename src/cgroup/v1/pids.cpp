#include "mydocker/cgroup/v1/pids.hpp"

namespace mydocker::v1 {

void set_pids_max(const Fs& fs, const std::string& dir, const Resources& r) {
  if (!r.pids_limit) return;
  fs.write_verified(path_join(dir, "pids.max"),
                    *r.pids_limit < 0 ? "max" : std::to_string(*r.pids_limit));
}

void read_pids_stats(const Fs& fs, const std::string& dir, Stats& out) {
  const std::string current = path_join(dir, "pids.current");
  if (!fs.exists(current)) return;
  PidsStats p;
  p.current = read_u64(fs, current);
  if (fs.exists(path_join(dir, "pids.peak"))) p.peak = read_u64(fs, path_join(dir, "pids.peak"));
  if (auto text = fs.read_if_exists(path_join(dir, "pids.max"))) p.limit = parse_limit(*text);
  out.pids = p;
}

void Pids::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  set_pids_max(fs, dir, r);
}

void Pids::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  read_pids_stats(fs, dir, out);
}

}  // namespace mydocker::v1
