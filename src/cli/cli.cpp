#include "mydocker/cli/cli.hpp"

#include <fcntl.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <string_view>

#include "mydocker/cli/command_line.hpp"
#include "mydocker/cli/commands.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/timing.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker::cli {
namespace {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_st("mydocker");
  logger->set_pattern("mydocker: %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

// Started with stdin, stdout or stderr closed, the next file we open would take its number
// (a container's lock, the network namespace) and be replaced later by whoever sets up
// descriptors 0-2 (a detached supervisor's /dev/null, an init's stdio): they are held open on
// /dev/null instead, as if the caller had redirected them there.
void open_standard_fds() {
  for (int fd = 0; fd < 3; ++fd)
    if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF)
      if (::open("/dev/null", O_RDWR) < 0) return;  // takes the lowest free number: fd
}

}  // namespace

// Errors are printed here, once, and mapped to the exit-code contract.
int main(int argc, char** argv) {
  open_standard_fds();
  // Before CLI11: its --version is an exception, and a static binary's first throw sorts every
  // unwind table entry (2.5 ms); `mydocker --version` is then as cheap as `true`.
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::printf("%s\n", kVersion);
    return 0;
  }
  try {
    CommandLine cl = parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
    if (cl.exit_now) return *cl.exit_now;
    setup_logging(cl.log_level);
    if (cl.trace) trace::set_enabled(true);
    timing::mark("parsed");
    return find_command(cl.command)->run(cl);
  } catch (const Error& e) {
    std::fprintf(stderr, "mydocker: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mydocker: %s\n", e.what());
    return kExitSetupError;
  }
}

}  // namespace mydocker::cli
