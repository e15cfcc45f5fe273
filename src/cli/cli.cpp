#include "mydocker/cli/cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/cgroup/placement.hpp"
#include "mydocker/cli/command_line.hpp"
#include "mydocker/container/info.hpp"
#include "mydocker/container/record.hpp"
#include "mydocker/container/run.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker::cli {
namespace {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_st("mydocker");
  logger->set_pattern("mydocker: %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

int do_run(const CommandLine& cl) {
  RunResult result = run_container(cl.run);
  for (const auto& m : result.messages) std::fprintf(stderr, "mydocker: %s\n", m.c_str());
  std::fputs(result.report.c_str(), stderr);
  return result.status;
}

int do_info(const CommandLine& cl) {
  Fs fs;
  auto info = host_info(fs, cl.state_root);
  if (cl.format == "json")
    std::cout << info.dump(2) << "\n";
  else
    std::cout << format_host_info(info);
  return 0;
}

int do_prune(const CommandLine& cl) {
  if (::geteuid() != 0) throw Error("mydocker prune needs root");
  Fs fs;
  const HostCgroups host = detect_host_cgroups(fs);
  std::vector<std::string> parents;
  for (const auto& h : host.v1) parents.push_back(h.dir(resolve_cgroup_parent(h.own_path, "")));
  PruneReport r = prune(fs, cl.state_root, parents);
  for (const auto& x : r.removed) std::cout << "removed " << x << "\n";
  for (const auto& x : r.live) std::cout << "left alone (running): " << x << "\n";
  for (const auto& x : r.foreign)
    std::cout << "left alone (no record in " << cl.state_root << "): " << x << "\n";
  for (const auto& x : r.problems) std::fprintf(stderr, "mydocker: prune: %s\n", x.c_str());
  return r.problems.empty() ? 0 : kExitSetupError;
}

}  // namespace

// Errors are printed here, once, and mapped to the exit-code contract.
int main(int argc, char** argv) {
  try {
    CommandLine cl = parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
    if (cl.exit_now) return *cl.exit_now;
    setup_logging(cl.log_level);
    switch (cl.command) {
      case Command::kRun:
        return do_run(cl);
      case Command::kInfo:
        return do_info(cl);
      case Command::kPrune:
        return do_prune(cl);
      case Command::kNone:
        break;
    }
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "mydocker: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mydocker: %s\n", e.what());
    return kExitSetupError;
  }
}

}  // namespace mydocker::cli
