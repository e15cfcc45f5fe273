#include "mydocker/util/time.hpp"

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace mydocker {

std::string now_rfc3339() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
  return buf;
}

double parse_rfc3339(const std::string& text) {
  std::tm tm{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return 0;
  double frac = 0;
  if (*rest == '.') frac = std::atof(rest);  // ".123456789Z" -> 0.123456789
  return static_cast<double>(::timegm(&tm)) + frac;
}

std::string docker_time_text(const std::string& rfc3339) {
  std::tm tm{};
  if (!::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return rfc3339;
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return n > 0 ? std::string(buf, n) : rfc3339;
}

}  // namespace mydocker
