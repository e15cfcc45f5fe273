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

std::optional<int64_t> parse_rfc3339_ns(const std::string& text) {
  std::tm tm{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  int64_t frac = 0;
  int digits = 0;
  if (*rest == '.')
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest)
      if (digits < 9) frac = frac * 10 + (*rest - '0'), ++digits;
  if (*rest != 'Z') return std::nullopt;  // records are UTC
  for (; digits < 9; ++digits) frac *= 10;
  return static_cast<int64_t>(::timegm(&tm)) * 1000000000 + frac;
}

std::string docker_time_text(const std::string& rfc3339) {
  std::tm tm{};
  if (!::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return rfc3339;
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return n > 0 ? std::string(buf, n) : rfc3339;
}

}  // namespace mydocker
