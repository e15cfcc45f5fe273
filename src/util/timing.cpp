#include "mydocker/util/timing.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace mydocker::timing {

bool enabled() {
  static const bool on = [] {
    const char* v = std::getenv("MYDOCKER_TIMING");
    return v && *v && *v != '0';
  }();
  return on;
}

void mark(const char* what) {
  if (!enabled()) return;
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[256];
  const int n = std::snprintf(line, sizeof line, "mydocker-timing %lld %d %s\n",
                              static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000,
                              static_cast<int>(::getpid()), what);
  if (n > 0) (void)!::write(2, line, static_cast<size_t>(n));
}

}  // namespace mydocker::timing
