#include "mydocker/cgroup/resources.hpp"

#include <cmath>

#include "mydocker/util/error.hpp"

namespace mydocker {

int64_t cpu_shares_to_weight(int64_t shares) {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const double l = std::log2(static_cast<double>(shares));
  const double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
  return static_cast<int64_t>(std::ceil(std::pow(10.0, exponent)));
}

int64_t blkio_weight_to_io_weight(int64_t weight) { return 1 + (weight - 10) * 9999 / 990; }

int64_t memory_swap_to_v2(int64_t memory_swap, std::optional<int64_t> memory) {
  if (memory_swap == -1) return -1;
  if (!memory) throw Error("unable to set swap limit without memory limit");
  if (memory_swap < *memory) throw Error("memory+swap limit should be >= memory limit");
  return memory_swap - *memory;
}

}  // namespace mydocker
