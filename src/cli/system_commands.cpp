// info, prune.

#include <cstdio>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/commands/info.hpp"
#include "mydocker/format/host.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker::cli {
namespace {

void info_options(CLI::App& info, CommandLine& cl, Scratch&) {
  info.add_option("--format", cl.format, "text or json")->check(CLI::IsMember({"text", "json"}));
}

void info_finish(CLI::App&, CommandLine& cl, Scratch&, const RunArgs&) {
  if (cl.format.empty()) cl.format = "text";
}

int run_info(const CommandLine& cl) {
  Fs fs;
  auto info = host_info(fs, cl.state_root);
  if (cl.format == "json")
    out() << info.dump(2) << "\n";
  else
    out() << format_host_info(info);
  return 0;
}

void prune_options(CLI::App& prune, CommandLine& cl, Scratch&) {
  prune.add_flag("-f,--force", cl.force, "Do not ask (mydocker never asks)");
}

int run_prune(const CommandLine& cl) {
  Fs fs;
  // Where `prune` looks for cgroups of containers it has no record of.
  const auto parents = default_parent_dirs(detect_host_cgroups(fs));
  PruneReport r = prune(Store(cl.state_root), parents, cl.data_root);
  for (const auto& x : r.removed) out() << "removed " << x << "\n";
  for (const auto& x : r.live) out() << "left alone (running): " << x << "\n";
  for (const auto& x : r.foreign)
    out() << "left alone (no record in " << cl.state_root << "): " << x << "\n";
  for (const auto& x : r.problems) std::fprintf(stderr, "mydocker: prune: %s\n", x.c_str());
  return r.problems.empty() ? 0 : kExitSetupError;
}

}  // namespace

std::vector<CommandDef> system_commands() {
  return {
      {"info", "Show how mydocker sees this host", info_options, info_finish, run_info},
      {"prune", "Remove stopped containers and what crashed runs left behind", prune_options,
       nullptr, run_prune},
  };
}

}  // namespace mydocker::cli
