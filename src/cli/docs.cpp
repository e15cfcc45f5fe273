// The command table as documents: describe() walks the CLI11 app, man_pages() writes roff, and
// the `completion` and `__man` commands print or write them (the scripts: completion.cpp).

#include "mydocker/cli/docs.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker::cli {

std::string CommandDoc::name() const {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : " ") + p;
  return out;
}

std::string CommandDoc::page() const {
  std::string out = "mydocker";
  for (const auto& p : path) out += "-" + p;
  return out;
}

std::string CommandDoc::summary() const {
  if (path.empty()) return help;
  const size_t at = help.find(": " + path.back() + " ");  // "Run a command...: run [OPTIONS]"
  return at == std::string::npos ? help : help.substr(0, at);
}

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// CLI::IsMember's part of a type name: "TEXT:{json,table}" -> json, table.
std::vector<std::string> choices(const std::string& type_name) {
  const size_t open = type_name.find('{'), close = type_name.rfind('}');
  if (open == std::string::npos || close == std::string::npos || close < open) return {};
  return split(type_name.substr(open + 1, close - open - 1), ",");
}

FlagDoc flag_doc(const CLI::Option& o) {
  FlagDoc f;
  for (const auto& s : o.get_snames()) f.names.push_back("-" + s);
  for (const auto& l : o.get_lnames()) f.names.push_back("--" + l);
  f.takes_value = o.get_expected_max() > 0;  // a flag expects none
  f.repeatable = f.takes_value && o.get_expected_max() > 1;
  f.choices = choices(o.get_type_name());
  f.help = o.get_description();
  f.env = o.get_envname();
  return f;
}

ArgDoc arg_doc(const CLI::Option& o) {
  ArgDoc a;
  a.name = upper(o.get_name(true));
  a.required = o.get_required();
  a.many = o.get_expected_max() > 1;
  a.choices = choices(o.get_type_name());
  a.help = o.get_description();
  return a;
}

// "[OPTIONS] CONTAINER..." from the options; run and exec say theirs in their help
// ("...: run [OPTIONS] COMMAND [ARG...]").
std::string synopsis(const CommandDoc& c) {
  const std::string marker = ": " + (c.path.empty() ? std::string() : c.path.back()) + " ";
  if (const size_t at = c.help.find(marker); !c.path.empty() && at != std::string::npos)
    return c.help.substr(at + marker.size());
  std::string out = c.flags.size() > 1 ? "[OPTIONS]" : "";
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : " ") + s; };
  if (!c.words.empty()) add("COMMAND");
  for (const auto& a : c.args) {
    if (!c.words.empty() && a.name == "COMMAND") continue;
    const std::string one = a.name + (a.many ? "..." : "");
    add(a.required ? one : "[" + one + "]");
  }
  return out;
}

// What each word of a group does, for its man page ("" for a word not listed: the generic line).
std::string word_description(const std::string& group, const std::string& word) {
  static const std::map<std::string, std::string> kWords = {
      {"network create",
       "Create a bridge network: a Linux bridge, a subnet of its own (or --subnet) and, unless "
       "--internal, forwarding and masquerading in mydocker's own nftables table."},
      {"network ls", "List the networks (the built-in bridge once made, and user networks)."},
      {"network inspect", "Show networks as JSON: subnet, gateway, bridge, containers."},
      {"network rm", "Remove networks no container uses: the bridge and its rules go."},
      {"network prune", "Remove every network no container uses."},
      {"volume create", "Create a named volume (a directory under the data root)."},
      {"volume ls", "List the volumes."},
      {"volume inspect", "Show volumes as JSON, docker's shape."},
      {"volume rm", "Remove volumes no container names (-f: even then)."},
      {"volume prune", "Remove unused anonymous volumes (-a: named ones too), after asking."},
      {"system df", "Show the space images, containers and volumes take."},
      {"system prune", "Remove stopped containers, unused networks and dangling images."},
      {"image inspect", "Show images as JSON, docker's shape (Config, RootFS, ...)."},
      {"image history", "Show the layers of an image and the steps that made them."},
      {"system info", "Show the host as mydocker sees it (the same as mydocker info)."},
  };
  const auto it = kWords.find(group + " " + word);
  return it == kWords.end() ? "" : it->second;
}

// The words a positional "command" lists ("create NAME | ls | rm NAME..."), each its own command
// with the parent's flags that are its own ("create: ...") or that name no word.
std::vector<CommandDoc> word_commands(const CommandDoc& parent, const std::string& list) {
  std::vector<CommandDoc> out;
  for (const auto& item : split(list, "|")) {
    const std::string text = trim(item);
    const size_t space = text.find(' ');
    if (text.empty()) continue;
    CommandDoc c;
    c.path = parent.path;
    c.path.push_back(text.substr(0, space));
    c.help = word_description(parent.name(), c.path.back());
    if (c.help.empty()) c.help = parent.name() + " " + text;
    c.synopsis = "[OPTIONS]" + (space == std::string::npos ? "" : text.substr(space));
    out.push_back(std::move(c));
  }
  for (auto& c : out) {
    for (const auto& f : parent.flags) {
      const size_t colon = f.help.find(": ");
      const std::string owner = colon == std::string::npos ? "" : f.help.substr(0, colon);
      const bool is_word = std::any_of(out.begin(), out.end(),
                                       [&](const CommandDoc& w) { return w.path.back() == owner; });
      if (is_word && owner != c.path.back()) continue;
      FlagDoc own = f;
      if (is_word) own.help = capitalized(f.help.substr(colon + 2));
      c.flags.push_back(std::move(own));
    }
  }
  return out;
}

void describe_into(const CLI::App& app, std::vector<std::string> path,
                   std::vector<CommandDoc>& out) {
  CommandDoc c;
  c.path = std::move(path);
  c.help = app.get_description();
  c.hidden = app.get_group().empty();
  const CommandDef* def = c.path.size() == 1 ? find_command(c.path[0]) : nullptr;
  c.splits_command = def && def->splits_command;
  std::string word_list;
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_group().empty()) continue;  // hidden
    if (o->nonpositional()) c.flags.push_back(flag_doc(*o));
    if (o->nonpositional() || !o->get_positional()) continue;
    c.args.push_back(arg_doc(*o));
    if (o->get_name(true) == "command" && c.args.size() == 1) word_list = o->get_description();
  }
  const auto subs = app.get_subcommands([](const CLI::App*) { return true; });
  for (const CLI::App* s : subs)
    if (!s->get_group().empty()) c.words.push_back(s->get_name());
  std::vector<CommandDoc> words;
  if (subs.empty() && !word_list.empty()) {
    words = word_commands(c, word_list);
    for (const auto& w : words) c.words.push_back(w.path.back());
  }
  c.synopsis = c.path.empty() ? "[OPTIONS] COMMAND [ARG...]" : synopsis(c);
  const auto here = c.path;
  out.push_back(std::move(c));
  for (auto& w : words) out.push_back(std::move(w));
  for (const CLI::App* s : subs) {
    auto sub_path = here;
    sub_path.push_back(s->get_name());
    describe_into(*s, sub_path, out);
  }
}

}  // namespace

std::vector<CommandDoc> describe(const CLI::App& app) {
  std::vector<CommandDoc> out;
  describe_into(app, {}, out);
  return out;
}

// ---- what completion offers from the live state ----

NameKind arg_names(const CommandDoc& cmd) {
  struct Entry {
    const char* command;
    const char* kind;
    bool first_only;
  };
  // Commands that are not (yet) in the table are never looked up.
  static const Entry kTable[] = {
      {"run", "image", true},
      {"create", "image", true},
      {"exec", "container", true},
      {"commit", "container", true},
      {"export", "container", true},
      {"port", "container", true},
      {"top", "container", true},
      {"rename", "container", true},
      {"logs", "container", false},
      {"stop", "container", false},
      {"start", "container", false},
      {"restart", "container", false},
      {"kill", "container", false},
      {"rm", "container", false},
      {"inspect", "container", false},
      {"stats", "container", false},
      {"update", "container", false},
      {"pause", "container", false},
      {"unpause", "container", false},
      {"wait", "container", false},
      {"attach", "container", true},
      {"diff", "container", true},
      {"rmi", "image", false},
      {"save", "image", false},
      {"tag", "image", true},
      {"history", "image", true},
      {"push", "image", true},
      {"image inspect", "image", false},
      {"image history", "image", true},
      {"image rm", "image", false},
      {"network inspect", "network", false},
      {"network rm", "network", false},
      {"network remove", "network", false},
  };
  const std::string name = cmd.name();
  for (const auto& e : kTable)
    if (name == e.command) return {e.kind, e.first_only};
  return {};
}

std::string flag_names(const std::string& flag) {
  if (flag == "--network" || flag == "--net") return "network";
  if (flag == "--volumes-from") return "container";
  return "";
}

// ---- roff ----

std::string roff_escape(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
    line_start = c == '\n';
  }
  return out;
}

}  // namespace mydocker::cli

// ---- the commands: completion, __man ----

namespace mydocker::cli {
namespace {

void completion_options(CLI::App& sub, CommandLine& cl, Scratch&) {
  sub.add_option("shell", cl.args, "The shell: bash or zsh")
      ->required()
      ->expected(1)
      ->check(CLI::IsMember({"bash", "zsh"}));
  sub.footer(
      "bash: source <(mydocker completion bash), or save it as "
      "/usr/share/bash-completion/completions/mydocker\n"
      "zsh: save it as _mydocker in a directory of $fpath, before compinit");
}

int run_completion(const CommandLine& cl) {
  const auto docs = describe(*full_app());
  out() << (cl.args.front() == "zsh" ? zsh_completion(docs) : bash_completion(docs));
  return 0;
}

void man_options(CLI::App& sub, CommandLine& cl, Scratch&) {
  sub.group("");  // hidden: for the build and packagers
  sub.add_option("dir", cl.args, "Where to write the pages")->required()->expected(1);
}

int run_man(const CommandLine& cl) {
  for (const auto& path : write_man_pages(describe(*full_app()), cl.args.front()))
    out() << path << "\n";
  return 0;
}

}  // namespace

std::vector<CommandDef> docs_commands() {
  return {
      {"completion", "Print a shell's completion script: completion bash|zsh", completion_options,
       nullptr, run_completion},
      {"__man", "Write the man pages into a directory: __man DIR", man_options, nullptr, run_man},
  };
}

}  // namespace mydocker::cli
