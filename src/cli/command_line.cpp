#include "mydocker/cli/command_line.hpp"

#include <filesystem>

#include "mydocker/cli/cli11.hpp"
#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/cli/run_args.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker::cli {
namespace {

// Index of the subcommand in args (skipping global flags and their values), or args.size().
size_t find_subcommand(const std::vector<std::string>& args, CLI::App& app) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.empty() || a[0] != '-') return i;
    const CLI::Option* opt = app.get_option_no_throw(a.substr(0, a.find('=')));
    if (opt && opt->get_expected_max() > 0 && a.find('=') == std::string::npos) ++i;
  }
  return args.size();
}

[[noreturn]] void rethrow_parse_error(const CLI::ParseError& e) {
  std::string what = e.what();
  for (const std::string prefix : {"The following argument was not expected: ",
                                   "The following arguments were not expected: "}) {
    if (what.rfind(prefix, 0) != 0) continue;
    std::string rest = what.substr(prefix.size());
    what = (rest.empty() || rest[0] == '-' ? "unknown flag: " : "unknown command: ") + rest;
  }
  throw Error(what + " (see mydocker --help)");
}

// The command named in the arguments ("" when there is none, or it is no command of ours).
std::string subcommand_name(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--root" || a == "--log-level" || a == "--data-root") && i + 1 < args.size()) {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    return find_command(a) ? a : "";
  }
  return "";
}

std::string absolute_path(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  std::string out = std::filesystem::absolute(path, ec).lexically_normal().string();
  if (ec) return path;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

struct Globals {
  std::string root, data_root;
};

void add_globals(CLI::App& app, CommandLine& cl, Globals& g) {
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(0, 1);
  app.add_option("--log-level", cl.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--root", g.root, "State directory (default /run/mydocker)")
      ->envname("MYDOCKER_ROOT");
  app.add_option("--data-root", g.data_root,
                 "Images and containers' files (default /var/lib/mydocker)")
      ->envname("MYDOCKER_DATA_ROOT");
}

// run, exec, update: mydocker's flags before the first argument that is not one, the command
// (or containers) after it; CLI11 sees only the flags.
RunArgs split_for(std::vector<std::string>& args, size_t at, CLI::App& app, CLI::App& sub) {
  std::vector<std::string> tail(args.begin() + static_cast<std::ptrdiff_t>(at) + 1, args.end());
  RunArgs split = split_run_args(tail, [&](const std::string& name) -> std::optional<FlagInfo> {
    const CLI::Option* opt = sub.get_option_no_throw(name);
    if (!opt) opt = app.get_option_no_throw(name);
    if (!opt) return std::nullopt;
    return FlagInfo{opt->get_name(), opt->get_expected_max() > 0};
  });
  args.resize(at + 1);
  args.insert(args.end(), split.flags.begin(), split.flags.end());
  return split;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& input) {
  CommandLine cl;
  CLI::App app{"mydocker: a small container runtime (namespaces + cgroups)", "mydocker"};
  Globals g;
  add_globals(app, cl, g);
  // Only the command being run gets its options: CLI11 spends about 0.4 ms adding all of them,
  // a sixth of a whole `mydocker run`. Help and unknown commands get everything.
  const std::string wanted = subcommand_name(input);
  Scratch scratch;
  std::vector<std::pair<const CommandDef*, CLI::App*>> subs;
  for (const auto& def : commands()) {
    if (!wanted.empty() && wanted != def.name) continue;
    CLI::App* s = app.add_subcommand(def.name, def.help);
    s->fallthrough();
    if (def.options) def.options(*s, cl, scratch);
    subs.emplace_back(&def, s);
  }
  std::vector<std::string> args = input;
  RunArgs split;
  const size_t at = find_subcommand(args, app);
  if (at < args.size() && subs.size() == 1 && subs.front().first->splits_command &&
      args[at] == subs.front().first->name)
    split = split_for(args, at, app, *subs.front().second);
  std::vector<const char*> argv{"mydocker"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) rethrow_parse_error(e);
    with_streams();
    cl.exit_now = app.exit(e);  // --help, --version: printed to stdout
    return cl;
  }
  if (!g.root.empty()) cl.state_root = g.root;
  if (!g.data_root.empty()) cl.data_root = g.data_root;
  // Absolute, once: the paths derived from them are recorded (config.json, the layers' owner
  // mark) and used by processes that do not share our working directory.
  cl.state_root = absolute_path(cl.state_root);
  cl.data_root = absolute_path(cl.data_root);
  cl.run.data_root = cl.data_root;
  cl.run.state_root = cl.state_root;
  for (auto& [def, sub] : subs) {
    if (!sub->parsed()) continue;
    cl.command = def->name;
    if (def->finish) def->finish(*sub, cl, scratch, split);
    return cl;
  }
  out() << app.help();
  cl.exit_now = 0;
  return cl;
}

}  // namespace mydocker::cli
