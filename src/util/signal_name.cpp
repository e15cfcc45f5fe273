#include "mydocker/util/signal_name.hpp"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "mydocker/util/error.hpp"

namespace mydocker {

int parse_signal(const std::string& text) {
  std::string t = text;
  for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!t.empty() && std::all_of(t.begin(), t.end(), ::isdigit)) {
    if (t.size() <= 3) {
      const int n = std::atoi(t.c_str());
      if (n > 0 && n < NSIG) return n;
    }
  } else {
    if (t.rfind("SIG", 0) == 0) t = t.substr(3);
    for (int sig = 1; sig < NSIG; ++sig)
      if (const char* abbrev = ::sigabbrev_np(sig); abbrev && t == abbrev) return sig;
  }
  throw Error("invalid signal: " + text);
}

}  // namespace mydocker
