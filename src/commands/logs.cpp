// logs [-f] [--tail N] [-t]

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "mydocker/commands/commands.hpp"
#include "mydocker/store/log.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"

namespace mydocker {
namespace {

void print(const LogEntry& e, bool timestamps) {
  FILE* to = e.stream == "stderr" ? stderr : stdout;
  if (timestamps) std::fprintf(to, "%s ", e.time.c_str());
  std::fwrite(e.log.data(), 1, e.log.size(), to);
  std::fflush(to);
}

}  // namespace

void logs(const Store& store, const std::string& ref, const LogsOptions& o) {
  const ContainerDir dir = store.open(ref);
  UniqueFd fd(::open(dir.log_path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (!dir.config().value("detached", false))
      throw Error("container " + ref +
                  " ran in the foreground: its output went to the terminal, not to a log");
    throw SysError(errno, "cannot read " + dir.log_path());
  }
  std::string text, partial;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  // Only whole lines: the supervisor may be writing the next one.
  size_t last = text.rfind('\n');
  partial = last == std::string::npos ? text : text.substr(last + 1);
  text.resize(last == std::string::npos ? 0 : last + 1);
  auto entries = parse_log(text);
  size_t first = 0;
  if (o.tail && *o.tail < entries.size()) first = entries.size() - *o.tail;
  for (size_t i = first; i < entries.size(); ++i) print(entries[i], o.timestamps);
  if (!o.follow) return;
  // -f: what is appended, until the container has stopped for good.
  for (;;) {
    bool more = false;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) {
      more = true;
      partial.append(buf, static_cast<size_t>(n));
      size_t nl = partial.rfind('\n');
      if (nl == std::string::npos) continue;
      for (const auto& e : parse_log(partial.substr(0, nl + 1))) print(e, o.timestamps);
      partial.erase(0, nl + 1);
    }
    if (!more && !dir.supervisor_alive()) return;
    if (!more) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace mydocker
