#pragma once
// Parses mydocker's command line into plain structs (testable without running anything). The
// commands themselves are one table (commands.hpp): name, help, options, handler.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/commands/attach.hpp"
#include "mydocker/commands/commands.hpp"
#include "mydocker/commands/containers.hpp"
#include "mydocker/format/containers.hpp"
#include "mydocker/spec/options.hpp"
#include "mydocker/util/version.hpp"

namespace mydocker::cli {

using ::mydocker::kVersion;

struct LogsOptions : LogQuery {
  bool timestamps = false;
};

struct StatsOptions {
  bool no_stream = false;
  bool no_trunc = false;                // the full ids
  std::string format;                   // "json"
  std::vector<std::string> containers;  // none: all running
};

struct EventsOptions {
  std::optional<int64_t> since, until;  // --since, --until: ns since the epoch
  std::vector<std::string> filters;     // --filter KEY=VALUE
  std::string format;                   // --format: json or a Go template
};

struct CommandLine {
  std::string command;  // the table's name: "run", "ps"... ("" when there is none)
  std::string log_level = "warn";
  bool trace = false;  // --trace, before or after any command's name: its kernel actions
  std::string state_root = kDefaultStateRoot;  // --root, MYDOCKER_ROOT
  std::string data_root = kDefaultDataRoot;    // --data-root, MYDOCKER_DATA_ROOT
  RunOptions run;                              // run, and update's limits
  std::string format;                          // info, images: "json"
  PsOptions ps;
  LogsOptions logs;
  ExecOptions exec;
  StatsOptions stats;
  EventsOptions events;
  std::vector<std::string> containers;  // the containers a command acts on
  std::string inspect_type;             // inspect --type container|image ("": either)
  std::optional<int> stop_timeout;      // stop -t, rm -f
  std::string signal = "KILL";          // kill -s
  std::string stop_signal;              // stop/restart -s ("": the container's stop signal)
  std::optional<std::string> restart;   // update --restart POLICY
  bool force = false;                   // rm -f, rmi -f
  bool remove_volumes = false;          // rm -v: its anonymous volumes too
  bool attach = false;                  // start -a
  bool attach_stdin = false;            // start -i
  AttachOptions attach_to;              // attach
  std::vector<std::string> args;        // import TARBALL NAME, commit CONTAINER NAME, rmi IMAGE...
  std::string output;                   // export -o FILE, save -o FILE, load -i FILE
  bool no_trunc = false;                // history --no-trunc
  bool digests = false;                 // images --digests
  struct {
    std::vector<std::string> insecure;  // --insecure-registry HOST[:PORT]
    std::string platform;               // pull --platform OS/ARCH[/VARIANT]
    std::string user, password;         // login -u, -p
    bool password_stdin = false;        // login --password-stdin
    std::string pull;                   // run --pull missing|always|never
  } reg;
  struct {
    bool ask = false;         // container/image/system prune: confirm unless -f
    std::string what = "";    // "" (prune: containers and leftovers), containers, images, all
    bool all_images = false;  // image/system prune -a: every unused image, not only dangling
    bool volumes = false;     // system prune --volumes: unused anonymous volumes too
  } prune;
  struct {
    std::string subnet, gateway;       // network create
    std::string ip;                    // network connect --ip
    std::vector<std::string> aliases;  // network connect --alias
    bool internal = false, quiet = false;
    std::string format;                // inspect --format
    std::vector<std::string> filters;  // ls --filter
    // -f, docker's short form of three flags: prune/rm --force, inspect --format, ls --filter.
    std::optional<std::string> f;
  } net;
  struct {
    std::string command;               // create, ls, inspect, rm or prune (the word as named)
    std::string unknown;               // a word that is none of them
    std::vector<std::string> filters;  // ls -f/--filter, prune --filter
    bool quiet = false;                // ls -q
    bool all = false;                  // prune -a
  } volume;
  struct {
    std::vector<std::string> changes;  // commit -c "CMD [...]"
    std::string message, author;       // commit -m, -a
    bool pause = true;                 // commit -p/--pause (--pause=false)
  } commit;
  // Set when parsing already finished the job (--help, --version, no command): exit with this.
  std::optional<int> exit_now;
};

// Throws Error (exit 125) for unknown flags and missing values. `args` excludes argv[0].
// run and create add only the options the command line names (FlagFilter, cli11.hpp);
// `every_flag` adds all of them, as a failed parse does before it reports (and tests compare).
CommandLine parse_command_line(const std::vector<std::string>& args, bool every_flag = false);

}  // namespace mydocker::cli
