#include "mydocker/cli/command_line.hpp"

#include <algorithm>

#include "mydocker/cli/cli11.hpp"
#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/docs.hpp"
#include "mydocker/cli/examples.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/cli/run_args.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"

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

// Levenshtein distance, capped: what "did you mean" needs.
size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// " (did you mean 'x'?)" for the closest candidate within a third of the word, or a candidate
// the word starts or ends; "" when none is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  if (word.size() < 3) return "";  // "-z": any one-letter flag is as close as another
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = distance(word, c);
    // Ties go to a name the word begins (--cpu-share: --cpu-shares, not --cpushare).
    const bool extends = c.rfind(word, 0) == 0;
    if (d < best_d || (d == best_d && extends) || (best.empty() && word.size() > 2 && extends)) {
      best = c;
      best_d = d;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

// The long and short names of every option of `app`.
std::vector<std::string> flag_names(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app.get_options()) {
    for (const auto& l : o->get_lnames()) out.push_back("--" + l);
    for (const auto& s : o->get_snames()) out.push_back("-" + s);
  }
  return out;
}

// CLI11's errors, in mydocker's words: the flag as typed, the command it was given to, the
// closest flag that command has, and where its help is.
[[noreturn]] void rethrow_parse_error(const CLI::ParseError& e, const CLI::App* sub) {
  std::string what = e.what();
  std::string where = sub ? "mydocker " + sub->get_name() : "mydocker";
  // A command's own words (volume ls): the one the error is in.
  while (sub && !sub->get_subcommands().empty()) {
    sub = sub->get_subcommands().front();
    where += " " + sub->get_name();
  }
  for (const std::string prefix : {"The following argument was not expected: ",
                                   "The following arguments were not expected: "}) {
    if (what.rfind(prefix, 0) != 0) continue;
    // CLI11 lists them last typed first: the flag among them, else the first typed word.
    const auto words = split(what.substr(prefix.size()), " ");
    std::string rest = words.empty() ? "" : words.back();
    for (const auto& w : words)
      if (!w.empty() && w[0] == '-') rest = w;
    if (!rest.empty() && rest[0] == '-')
      throw Error("unknown flag '" + rest + "' for " + where +
                  did_you_mean(rest.substr(0, rest.find('=')),
                               sub ? flag_names(*sub) : std::vector<std::string>{}) +
                  ": see " + where + " --help");
    throw Error("unexpected argument '" + rest + "' for " + where + ": see " + where + " --help");
  }
  // CLI11's "Could not convert: --rm = maybe": the value and the flag, in our words.
  const std::string convert = "Could not convert: ";
  if (const size_t eq = what.find(" = "); what.rfind(convert, 0) == 0 && eq != std::string::npos)
    throw Error("invalid value '" + what.substr(eq + 3) + "' for " +
                what.substr(convert.size(), eq - convert.size()) + " (see " + where + " --help)");
  throw Error(what + " (see " + where + " --help)");
}

// The first word that is no global flag or value: the command as typed ("" when none).
std::string first_word(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--root" || a == "--log-level" || a == "--data-root") && i + 1 < args.size()) {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    return a;
  }
  return "";
}

// An unknown command, named as typed, with the closest one: before CLI11, which would report
// every word after it too ("unknown command: b a rename").
void check_command(const std::vector<std::string>& args) {
  const std::string word = first_word(args);
  if (word.empty() || find_command(word)) return;
  std::vector<std::string> names;
  for (const auto& def : commands()) names.push_back(def.name);
  throw Error("unknown command '" + word + "'" + did_you_mean(word, names) +
              ": see mydocker --help for the commands");
}

// docker's management groups: `container ls`, `image rm`, `system prune`... become the
// top-level command they name (the words after them are kept). `network` and the `image` and
// `system` commands' own words (image inspect|history, system df|info) are left as they are.
struct GroupAlias {
  const char* group;
  const char* word;
  std::vector<const char*> replacement;
};
const std::vector<GroupAlias>& group_aliases() {
  static const std::vector<GroupAlias> all = {
      {"container", "ls", {"ps"}},
      {"container", "list", {"ps"}},
      {"container", "prune", {"prune", "--ask", "--what", "containers"}},
      {"container", "remove", {"rm"}},
      {"image", "ls", {"images"}},
      {"image", "list", {"images"}},
      {"image", "rm", {"rmi"}},
      {"image", "remove", {"rmi"}},
      {"image", "prune", {"prune", "--ask", "--what", "images"}},
      {"system", "prune", {"prune", "--ask", "--what", "all"}},
      {"system", "events", {"events"}},
  };
  return all;
}

// The commands `container X` and `image X` take as themselves: `container run` is `run`.
bool group_member(const std::string& group, const std::string& word) {
  static const std::vector<std::string> container = {
      "attach", "commit", "cp",    "create", "diff",    "exec",    "export", "inspect",
      "kill",   "logs",   "pause", "port",   "rename",  "restart", "rm",     "run",
      "start",  "stats",  "stop",  "top",    "unpause", "update",  "wait"};
  static const std::vector<std::string> image = {"import", "load", "pull", "push", "save", "tag"};
  const auto& list = group == "container" ? container : image;
  return (group == "container" || group == "image") &&
         std::find(list.begin(), list.end(), word) != list.end() && find_command(word);
}

std::vector<std::string> expand_group(const std::vector<std::string>& args) {
  const std::string group = first_word(args);
  if (group != "container" && group != "image" && group != "system") return args;
  const auto at = std::find(args.begin(), args.end(), group);
  if (at + 1 == args.end()) {
    if (group == "container")
      throw Error(
          "mydocker container: missing the command (ls, run, rm, inspect, prune...): "
          "see mydocker --help");
    return args;
  }
  const std::string& word = *(at + 1);
  std::vector<std::string> out(args.begin(), at);
  bool done = false;
  for (const auto& a : group_aliases())
    if (group == a.group && word == a.word) {
      out.insert(out.end(), a.replacement.begin(), a.replacement.end());
      done = true;
    }
  if (!done && group_member(group, word)) {
    out.push_back(word);
    done = true;
  }
  if (!done && group == "container")
    throw Error("unknown command 'container " + word + "': see mydocker --help");
  if (!done) return args;
  out.insert(out.end(), at + 2, args.end());
  return out;
}

// The command named in the arguments ("" when there is none, or it is no command of ours).
std::string subcommand_name(const std::vector<std::string>& args) {
  const std::string word = first_word(args);
  return find_command(word) ? word : "";
}

struct Globals {
  std::string root, data_root;
};

void add_globals(CLI::App& app, CommandLine& cl, Globals& g) {
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(0, 1);
  app.add_option("--log-level", cl.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  // Any command's kernel actions (update's limits, pause's freezer, exec's joins...); run's own
  // --trace is the same.
  app.add_flag("--trace", cl.trace, "Print every kernel action as a shell line");
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

namespace {

// FlagFilter's names: each word from the command's name on that starts with '-', as typed and
// as split_run_args reads it (--name=value: --name; -mem: --mem; -it: -i and -t). Empty (no
// filter) for commands that do not split off a command, or when --help is asked for.
std::vector<std::string> flags_named(const std::vector<std::string>& input,
                                     const std::string& command) {
  std::vector<std::string> out;
  const CommandDef* def = nullptr;
  for (const auto& d : commands())
    if (d.name == command) def = &d;
  if (!def || !def->splits_command) return out;
  const auto from = std::find(input.begin(), input.end(), command);
  for (auto it = from; it != input.end(); ++it) {
    const std::string& a = *it;
    if (a.size() < 2 || a[0] != '-' || a == "--") continue;
    if (a == "--help") return {};
    const std::string name = a.substr(0, a.find('='));
    out.push_back(name);
    if (name[1] == '-') continue;
    out.push_back("-" + name);
    for (size_t k = 1; k < name.size(); ++k) out.push_back(std::string("-") + name[k]);
  }
  out.push_back("--help");
  return out;
}

// Sets FlagFilter's names for the life of one parse.
class FilterScope {
 public:
  explicit FilterScope(const std::vector<std::string>* names) {
    FlagFilter::current() = names && !names->empty() ? names : nullptr;
  }
  ~FilterScope() { FlagFilter::current() = nullptr; }
  FilterScope(const FilterScope&) = delete;
  FilterScope& operator=(const FilterScope&) = delete;
  bool active() const { return FlagFilter::current() != nullptr; }
};

CommandLine parse_once(const std::vector<std::string>& input, bool every_flag);

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& typed, bool every_flag) {
  const std::vector<std::string> input = expand_group(typed);
  check_command(input);
  return parse_once(input, every_flag);
}

namespace {

CommandLine parse_once(const std::vector<std::string>& input, bool every_flag) {
  CommandLine cl;
  CLI::App app{"mydocker: a small container runtime (namespaces + cgroups)", "mydocker"};
  Globals g;
  add_globals(app, cl, g);
  // Only the command being run gets its options: CLI11 spends about 0.4 ms adding all of them,
  // a sixth of a whole `mydocker run`. Help and unknown commands get everything. Of run's and
  // create's options, only those the command line names (FlagFilter).
  const std::string wanted = subcommand_name(input);
  const std::vector<std::string> named =
      every_flag ? std::vector<std::string>{} : flags_named(input, wanted);
  FilterScope filter(&named);
  Scratch scratch;
  std::vector<std::pair<const CommandDef*, CLI::App*>> subs;
  for (const auto& def : commands()) {
    if (!wanted.empty() && wanted != def.name) continue;
    CLI::App* s = app.add_subcommand(def.name, def.help);
    s->fallthrough();
    if (def.options) def.options(*s, cl, scratch);
    if (const char* examples = command_examples(def.name))
      s->footer(std::string("\nExamples:\n") + examples);
    subs.emplace_back(&def, s);
  }
  std::vector<std::string> args = input;
  RunArgs split;
  const size_t at = find_subcommand(args, app);
  if (at < args.size() && subs.size() == 1 && subs.front().first->splits_command &&
      args[at] == subs.front().first->name) {
    cl.run.typed_args.assign(args.begin() + static_cast<std::ptrdiff_t>(at) + 1, args.end());
    split = split_for(args, at, app, *subs.front().second);
  }
  std::vector<const char*> argv{"mydocker"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    if (filter.active()) {  // the whole command's error
      ++FlagFilter::counts().fallbacks;
      return parse_once(input, true);
    }
    if (e.get_exit_code() != 0)
      rethrow_parse_error(e, subs.size() == 1 ? subs.front().second : nullptr);
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
  cl.run.trace = cl.run.trace || cl.trace;
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

}  // namespace

// The app parse_command_line builds when it adds every command (for --help), kept alive with
// what its options write into: the man pages and completions walk it (docs.hpp).
std::shared_ptr<CLI::App> full_app() {
  struct Held {
    CommandLine cl;
    Scratch scratch;
    Globals g;
    CLI::App app{"mydocker: a small container runtime (namespaces + cgroups)", "mydocker"};
  };
  auto held = std::make_shared<Held>();
  add_globals(held->app, held->cl, held->g);
  for (const auto& def : commands()) {
    CLI::App* s = held->app.add_subcommand(def.name, def.help);
    s->fallthrough();
    if (def.options) def.options(*s, held->cl, held->scratch);
  }
  return {held, &held->app};
}

}  // namespace mydocker::cli
