#pragma once
// Man pages and shell completion, generated from the CLI11 app the parser builds (the command
// table): a flag added to a command appears in its man page, its --help and both completions.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mydocker/cli/cli11.hpp"

namespace mydocker::cli {

// The whole command line as parse_command_line builds it, every command with all its options
// (defined in command_line.cpp, next to the parser, so that both build the same app).
std::shared_ptr<CLI::App> full_app();

struct FlagDoc {
  std::vector<std::string> names;  // "-m", "--mem", "--memory": short ones first
  bool takes_value = false;
  bool repeatable = false;           // may be given more than once, each value kept
  std::vector<std::string> choices;  // the only values accepted (CLI::IsMember), if any
  std::string help, env;             // env: the variable that sets it too
};

struct ArgDoc {
  std::string name;  // "CONTAINER"
  bool required = false, many = false;
  std::vector<std::string> choices;  // the only values accepted, if any
  std::string help;
};

struct CommandDoc {
  std::vector<std::string> path;  // {"network", "create"}; {} for mydocker itself
  std::string help, synopsis;     // synopsis: what follows the command's name
  std::vector<FlagDoc> flags;
  std::vector<ArgDoc> args;
  std::vector<std::string> words;  // its own commands: {"create", "ls", ...}
  bool splits_command = false;     // run, exec: arguments after the first are the command's
  bool hidden = false;
  std::string name() const;     // "network create"
  std::string page() const;     // "mydocker-network-create"
  std::string summary() const;  // the help without the usage it may end with
};

// Every command, depth first, mydocker itself first. Subcommands come from CLI11's, or from a
// positional named "command" whose help lists them: "create NAME | ls | rm NAME..." (their
// flags: those whose help starts with "create: ", and those that name no word).
std::vector<CommandDoc> describe(const CLI::App& app);

// What a command's positional arguments (or a flag's value) name: "container", "image",
// "network", or "" (nothing from the live state).
struct NameKind {
  std::string kind;
  bool first_only = false;  // run IMAGE COMMAND..., exec CONTAINER COMMAND...
};
NameKind arg_names(const CommandDoc& cmd);
std::string flag_names(const std::string& flag);

// Text for roff: backslashes, hyphens and a leading '.' or '\'' escaped.
std::string roff_escape(std::string_view text);

struct ManPage {
  std::string file;  // "mydocker-run.1"
  std::string text;
};
std::vector<ManPage> man_pages(const std::vector<CommandDoc>& docs);
// Writes every page into dir (created if missing); returns the files written.
std::vector<std::string> write_man_pages(const std::vector<CommandDoc>& docs,
                                         const std::string& dir);

std::string bash_completion(const std::vector<CommandDoc>& docs);
std::string zsh_completion(const std::vector<CommandDoc>& docs);

}  // namespace mydocker::cli
