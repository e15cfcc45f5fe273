#include "mydocker/cgroup/v1/pids.hpp"

#include "mydocker/cgroup/v2/controllers.hpp"

namespace mydocker::v2 {

// Same files as on v1.
void Pids::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  v1::set_pids_max(fs, dir, r);
}

void Pids::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  v1::read_pids_stats(fs, dir, out);
}

}  // namespace mydocker::v2
