#include "mydocker/cli/cli.hpp"

#include <fcntl.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cgroup/placement.hpp"
#include "mydocker/cli/command_line.hpp"
#include "mydocker/commands/commands.hpp"
#include "mydocker/commands/info.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/runtime/run.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"

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
  return default_parent_dirs(detect_host_cgroups(fs));
}

int do_prune(const CommandLine& cl, const Store& store) {
  PruneReport r = prune(store, default_parents(), cl.data_root);
  for (const auto& x : r.removed) std::cout << "removed " << x << "\n";
  for (const auto& x : r.live) std::cout << "left alone (running): " << x << "\n";
  for (const auto& x : r.foreign)
    std::cout << "left alone (no record in " << cl.state_root << "): " << x << "\n";
  for (const auto& x : r.problems) std::fprintf(stderr, "mydocker: prune: %s\n", x.c_str());
  return r.problems.empty() ? 0 : kExitSetupError;
}

int do_import(const CommandLine& cl) {
  if (::geteuid() != 0) throw Error("mydocker import needs root (it keeps the files' owners)");
  const std::string& file = cl.args[0];
  UniqueFd fd(file == "-" ? ::dup(0) : ::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError(errno, "cannot open " + file);
  ImageInfo info = ImageStore(cl.data_root).import_tar(fd.get(), cl.args[1], file);
  std::cout << "sha256:" << info.id << "\n";
  return 0;
}

int do_rmi(const CommandLine& cl, const Store& store) {
  // An image is in use while a container (running or stopped) was made from it.
  auto in_use = [&](const std::string& id) {
    for (const auto& c : store.ids()) {
      try {
        if (ContainerDir(store.root(), c).config().value("image", "") == id) return true;
      } catch (const Error&) {
      }
    }
    return false;
  };
  ImageStore images(cl.data_root);
  int status = 0;
  for (const auto& ref : cl.args) {
    try {
      for (const auto& line : images.remove(ref, cl.force, in_use)) std::cout << line << "\n";
    } catch (const Error& e) {
      std::fprintf(stderr, "mydocker: %s\n", e.what());
      status = e.exit_code();
    }
  }
  return status;
}

int do_export(const CommandLine& cl, const Store& store) {
  UniqueFd out;
  if (!cl.output.empty()) {
    out.reset(::open(cl.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out) throw SysError(errno, "cannot write " + cl.output);
  } else if (::isatty(STDOUT_FILENO)) {
    throw Error("cowardly refusing to write a tar to a terminal: use -o FILE or a redirection");
  }
  export_container(store, cl.data_root, cl.containers.front(), out ? out.get() : STDOUT_FILENO);
  return 0;
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
      return for_each(cl.containers,
                      [&](const std::string& c) { stop(store, c, cl.stop_timeout); });
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
    case Command::kImport:
      return do_import(cl);
    case Command::kImages: {
      auto list = ImageStore(cl.data_root).list();
      if (cl.ps.quiet) {
        for (const auto& i : list) std::cout << i.id.substr(0, 12) << "\n";
      } else if (cl.format == "json") {
        for (const auto& i : list)
          std::cout << nlohmann::json{{"ID", i.id.substr(0, 12)},
                                      {"Repository", i.repository},
                                      {"Tag", i.tag},
                                      {"CreatedAt", i.created},
                                      {"Size", human_size(i.size)}}
                           .dump()
                    << "\n";
      } else {
        print_images(list, std::cout);
      }
      return 0;
    }
    case Command::kRmi:
      return do_rmi(cl, store);
    case Command::kExport:
      return do_export(cl, store);
    case Command::kCommit: {
      ImageInfo info = commit_container(store, cl.data_root, cl.args[0], cl.args[1]);
      std::cout << "sha256:" << info.id << "\n";
      return 0;
    }
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
