#include "mydocker/cli/cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <iostream>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/cgroup/placement.hpp"
#include "mydocker/cgroup/v2/manager.hpp"
#include "mydocker/cli/command_line.hpp"
#include "mydocker/container/commands.hpp"
#include "mydocker/container/info.hpp"
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
  if (cl.run.detach) std::cout << result.id << std::endl;
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

// Where `prune` looks for cgroups of containers it has no record of.
std::vector<std::string> default_parents() {
  Fs fs;
  const HostCgroups host = detect_host_cgroups(fs);
  std::vector<std::string> parents;
  for (const auto& h : host.v1) parents.push_back(h.dir(resolve_cgroup_parent(h.own_path, "")));
  if (host.mode == CgroupMode::kV2)
    parents.push_back(host.unified->dir(v2::default_placement(*host.unified).parent));
  return parents;
}

int do_prune(const CommandLine& cl, const Store& store) {
  PruneReport r = prune(store, default_parents());
  for (const auto& x : r.removed) std::cout << "removed " << x << "\n";
  for (const auto& x : r.live) std::cout << "left alone (running): " << x << "\n";
  for (const auto& x : r.foreign)
    std::cout << "left alone (no record in " << cl.state_root << "): " << x << "\n";
  for (const auto& x : r.problems) std::fprintf(stderr, "mydocker: prune: %s\n", x.c_str());
  return r.problems.empty() ? 0 : kExitSetupError;
}

// docker's way for commands on several containers: each one's name on success, each error on
// stderr, and a failure status if any failed.
int for_each(const std::vector<std::string>& refs,
             const std::function<void(const std::string&)>& act, bool echo = true) {
  int status = 0;
  for (const auto& ref : refs) {
    try {
      act(ref);
      if (echo) std::cout << ref << std::endl;
    } catch (const Error& e) {
      std::fprintf(stderr, "mydocker: %s\n", e.what());
      status = e.exit_code();
    }
  }
  return status;
}

int dispatch(const CommandLine& cl) {
  const Store store(cl.state_root);
  switch (cl.command) {
    case Command::kRun:
      return do_run(cl);
    case Command::kInfo:
      return do_info(cl);
    case Command::kPrune:
      return do_prune(cl, store);
    case Command::kPs:
      ps(store, cl.ps, std::cout);
      return 0;
    case Command::kLogs:
      logs(store, cl.containers.front(), cl.logs);
      return 0;
    case Command::kExec:
      return exec(store, cl.exec);
    case Command::kStop:
      return for_each(cl.containers, [&](const std::string& c) { stop(store, c, cl.stop_timeout); });
    case Command::kKill:
      return for_each(cl.containers, [&](const std::string& c) { kill(store, c, cl.signal); });
    case Command::kRm:
      return for_each(cl.containers, [&](const std::string& c) { remove(store, c, cl.force); });
    case Command::kInspect:
      inspect(store, cl.containers, std::cout);
      return 0;
    case Command::kTop:
      top(store, cl.containers.front(), std::cout);
      return 0;
    case Command::kStats:
      stats(store, cl.stats, std::cout);
      return 0;
    case Command::kUpdate:
      return for_each(cl.containers, [&](const std::string& c) { update(store, c, cl.run); });
    case Command::kPause:
      return for_each(cl.containers, [&](const std::string& c) { pause(store, c, true); });
    case Command::kUnpause:
      return for_each(cl.containers, [&](const std::string& c) { pause(store, c, false); });
    case Command::kWait:
      return for_each(
          cl.containers, [&](const std::string& c) { std::cout << wait(store, c) << std::endl; },
          false);
    case Command::kNone:
      break;
  }
  return 0;
}

}  // namespace

// Errors are printed here, once, and mapped to the exit-code contract.
int main(int argc, char** argv) {
  try {
    CommandLine cl = parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
    if (cl.exit_now) return *cl.exit_now;
    setup_logging(cl.log_level);
    return dispatch(cl);
  } catch (const Error& e) {
    std::fprintf(stderr, "mydocker: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mydocker: %s\n", e.what());
    return kExitSetupError;
  }
}

}  // namespace mydocker::cli
