#include "mydocker/util/signal_name.hpp"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <string>

#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

// docker's table (moby's signal_linux.go) names these numbers, not glibc's run-time SIGRTMIN.
constexpr int kRtMin = 34, kRtMax = 64;
constexpr int kRtMinPlus = 15, kRtMaxMinus = 14;  // RTMIN+15 is 49, RTMAX-14 is 50

// "RTMIN", "RTMIN+3", "RTMAX-2", "RTMAX" (upper-cased, no SIG); no other spelling ("RTMIN+03",
// "RTMIN+16" are docker's errors too).
std::optional<int> realtime(const std::string& t) {
  if (t == "RTMIN") return kRtMin;
  if (t == "RTMAX") return kRtMax;
  if (t.size() < 7 || t.size() > 8 || (t.rfind("RTMIN+", 0) != 0 && t.rfind("RTMAX-", 0) != 0))
    return std::nullopt;
  const std::string n = t.substr(6);
  if (n[0] == '0' || !std::all_of(n.begin(), n.end(), ::isdigit)) return std::nullopt;
  const int k = std::atoi(n.c_str());
  if (t[5] == '+' && k <= kRtMinPlus) return kRtMin + k;
  if (t[5] == '-' && k <= kRtMaxMinus) return kRtMax - k;
  return std::nullopt;
}

std::optional<int> by_name(std::string t) {
  if (t.rfind("SIG", 0) == 0) t = t.substr(3);
  if (auto rt = realtime(t)) return rt;
  if (t == "IOT") return SIGABRT;  // the aliases in docker's table that glibc does not name
  if (t == "CLD") return SIGCHLD;
  if (t == "POLL") return SIGIO;
  for (int sig = 1; sig < kRtMin; ++sig)
    if (const char* abbrev = ::sigabbrev_np(sig); abbrev && t == abbrev) return sig;
  return std::nullopt;
}

}  // namespace

int parse_signal(const std::string& text) {
  std::string t = text;
  for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!t.empty() && std::all_of(t.begin(), t.end(), ::isdigit)) {
    if (t.size() <= 3) {
      const int n = std::atoi(t.c_str());
      if (n > 0 && n < NSIG) return n;
    }
  } else if (auto sig = by_name(t)) {
    return *sig;
  }
  throw Error("invalid signal: " + text);
}

std::string signal_name(int sig) {
  if (sig == kRtMin) return "RTMIN";
  if (sig == kRtMax) return "RTMAX";
  if (sig > kRtMin && sig <= kRtMin + kRtMinPlus) return "RTMIN+" + std::to_string(sig - kRtMin);
  if (sig < kRtMax && sig >= kRtMax - kRtMaxMinus) return "RTMAX-" + std::to_string(kRtMax - sig);
  const char* abbrev = sig > 0 && sig < kRtMin ? ::sigabbrev_np(sig) : nullptr;
  return abbrev ? abbrev : std::to_string(sig);
}

}  // namespace mydocker
