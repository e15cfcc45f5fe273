#include "mydocker/util/timing.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mydocker::timing {

namespace {
// 0: off; 1: times; 2 (MYDOCKER_TIMING=rss): times and memory.
int level() {
  static const int on = [] {
    const char* v = std::getenv("MYDOCKER_TIMING");
    if (!v || !*v || *v == '0') return 0;
    return std::strcmp(v, "rss") == 0 ? 2 : 1;
  }();
  return on;
}
}  // namespace

bool enabled() { return level() != 0; }

void mark(const char* what) {
  if (!enabled()) return;
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[256];
  if (level() == 1) {  // the mark alone: a few µs, so the phases between marks stay true
    const int n = std::snprintf(line, sizeof line, "mydocker-timing %lld %d %s\n",
                                static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000,
                                static_cast<int>(::getpid()), what);
    if (n > 0) (void)!::write(2, line, static_cast<size_t>(n));
    return;
  }
  // The peak resident set so far, from /proc/self/status's VmHWM.
  // and the resident set now, anonymous and file-backed (the binary's pages), from
  // /proc/self/status.
  long hwm = 0, anon = 0, file = 0;
  if (FILE* f = std::fopen("/proc/self/status", "re")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, f))
      if (std::sscanf(buf, "VmHWM: %ld", &hwm) != 1 && std::sscanf(buf, "RssAnon: %ld", &anon) != 1)
        if (std::sscanf(buf, "RssFile: %ld", &file) == 1) break;
    std::fclose(f);
  }
  const int n = std::snprintf(line, sizeof line,
                              "mydocker-timing %lld %d %s (VmHWM %ld KiB, anon %ld, file %ld)\n",
                              static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000,
                              static_cast<int>(::getpid()), what, hwm, anon, file);
  if (n > 0) (void)!::write(2, line, static_cast<size_t>(n));
}

}  // namespace mydocker::timing
