// `mydocker oci ...` and `mydocker-runc ...`: runc's command line, parsed as Go's flag
// package does (-flag, --flag, --flag=value, --flag value; flags stop at the first argument
// that is not one), with runc's global flags before the command.

#include "mydocker/oci/cli.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "mydocker/commands/events.hpp"
#include "mydocker/oci/runtime.hpp"
#include "mydocker/oci/spec.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/signal_name.hpp"
#include "mydocker/util/time.hpp"
#include "mydocker/util/trace.hpp"
#include "mydocker/util/units.hpp"
#include "mydocker/util/version.hpp"

namespace mydocker::oci {
namespace {

using nlohmann::json;

// A command's flags: the ones that take a value, the booleans, and what was given.
struct Flags {
  std::set<std::string> valued, boolean;
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> args;  // what follows the flags

  bool has(const std::string& name) const { return values.count(name) > 0; }
  std::string get(const std::string& name, const std::string& def = "") const {
    auto it = values.find(name);
    return it == values.end() || it->second.empty() ? def : it->second.back();
  }
  bool on(const std::string& name) const {
    const std::string v = get(name, has(name) ? "true" : "false");
    return v == "true" || v == "1";
  }
  const std::vector<std::string>& all(const std::string& name) const {
    static const std::vector<std::string> none;
    auto it = values.find(name);
    return it == values.end() ? none : it->second;
  }
};

// Aliases map a short name to the long one ("b" -> "bundle").
size_t parse_flags(const std::vector<std::string>& argv, size_t i, Flags& f,
                   const std::map<std::string, std::string>& aliases, const std::string& cmd) {
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") return i + 1;
    if (a.size() < 2 || a[0] != '-') return i;
    std::string name = a.substr(a[1] == '-' ? 2 : 1), value;
    bool has_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (auto al = aliases.find(name); al != aliases.end()) name = al->second;
    if (f.boolean.count(name)) {
      f.values[name].push_back(has_value ? value : "true");
    } else if (f.valued.count(name)) {
      if (!has_value) {
        if (i + 1 >= argv.size()) throw Error(cmd + ": flag needs an argument: -" + name);
        value = argv[++i];
      }
      f.values[name].push_back(value);
    } else {
      throw Error(cmd + ": flag provided but not defined: -" + name);
    }
  }
  return i;
}

struct Globals {
  std::string root = kDefaultRoot;
  std::string log, log_format = "text";
  bool debug = false;
};

// A small non-negative count (--preserve-fds): strictly digits, at most 1024.
int count_flag(const char* flag, const std::string& text) {
  if (text.empty() || text.size() > 4 ||
      text.find_first_not_of("0123456789") != std::string::npos || std::stoi(text) > 1024)
    throw Error(std::string("invalid value '") + text + "' for " + flag + ": a number 0..1024");
  return std::stoi(text);
}

std::string need_id(const Flags& f, const std::string& cmd) {
  if (f.args.empty()) throw Error(cmd + ": requires a container id");
  return f.args.front();
}

void print_json(const json& j) { std::printf("%s\n", j.dump(2).c_str()); }

using Handler = std::function<int(const Globals&, Flags&)>;
struct Command {
  std::set<std::string> valued, boolean;
  std::map<std::string, std::string> aliases;
  Handler run;
  const char* usage;
};

CreateOptions create_options(const Globals& g, const Flags& f, const std::string& cmd) {
  CreateOptions o;
  o.root = g.root;
  o.id = need_id(f, cmd);
  o.bundle = f.get("bundle", ".");
  o.pid_file = f.get("pid-file");
  o.console_socket = f.get("console-socket");
  o.no_pivot = f.on("no-pivot");
  if (f.has("preserve-fds")) o.preserve_fds = count_flag("--preserve-fds", f.get("preserve-fds"));
  if (f.args.size() > 1) throw Error(cmd + ": unexpected arguments after the container id");
  return o;
}

json list_json(const Globals& g) {
  json out = json::array();
  for (const auto& id : list_ids(g.root)) {
    try {
      out.push_back(state(g.root, id));
    } catch (const Error&) {
    }
  }
  return out;
}

int list(const Globals& g, Flags& f) {
  const json all = list_json(g);
  if (f.on("quiet")) {
    for (const auto& c : all) std::printf("%s\n", c["id"].get<std::string>().c_str());
  } else if (f.get("format", "table") == "json") {
    std::printf("%s\n", all.dump().c_str());
  } else {
    std::printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
                "OWNER");
    for (const auto& c : all)
      std::printf("%-20s %-8d %-10s %-40s %-30s %s\n", c["id"].get<std::string>().c_str(),
                  c.value("pid", 0), c["status"].get<std::string>().c_str(),
                  c["bundle"].get<std::string>().c_str(), c.value("created", "").c_str(), "root");
  }
  return 0;
}

int ps(const Globals& g, Flags& f) {
  const auto pids = processes(g.root, need_id(f, "ps"));
  if (f.get("format", "table") == "json") {
    std::printf("%s\n", json(pids).dump().c_str());
    return 0;
  }
  std::printf("%-8s %s\n", "PID", "CMD");
  for (pid_t pid : pids) {
    auto cmd = Fs().read_if_exists("/proc/" + std::to_string(pid) + "/cmdline").value_or("");
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    std::printf("%-8d %s\n", pid, std::string(trim(cmd)).c_str());
  }
  return 0;
}

int exec_command(const Globals& g, Flags& f) {
  ExecOptions o;
  o.root = g.root;
  o.id = need_id(f, "exec");
  o.args.assign(f.args.begin() + 1, f.args.end());
  o.process_file = f.get("process");
  o.env = f.all("env");
  o.cwd = f.get("cwd");
  o.user = f.get("user");
  o.caps = f.all("cap");
  o.tty = f.on("tty");
  o.detach = f.on("detach");
  o.no_new_privs = f.on("no-new-privs");
  o.pid_file = f.get("pid-file");
  o.console_socket = f.get("console-socket");
  if (f.has("preserve-fds")) o.preserve_fds = count_flag("--preserve-fds", f.get("preserve-fds"));
  if (!f.get("apparmor").empty()) throw Error("exec: --apparmor: AppArmor is not supported");
  if (!f.get("process-label").empty())
    throw Error("exec: --process-label: SELinux is not supported");
  if (!f.all("additional-gids").empty())
    throw Error("exec: --additional-gids: give them in --process");
  return exec(o);
}

// runc update's single-value flags: each one's place in the resources and how it is read.
struct UpdateFlag {
  const char* flag;
  const char* group;  // memory, cpu, pids, blockIO
  const char* key;
  enum Kind { kSize, kInt, kText } kind;
};
constexpr UpdateFlag kUpdateFlags[] = {
    {"memory", "memory", "limit", UpdateFlag::kSize},
    {"memory-reservation", "memory", "reservation", UpdateFlag::kSize},
    {"memory-swap", "memory", "swap", UpdateFlag::kSize},
    {"kernel-memory", "memory", "kernel", UpdateFlag::kSize},
    {"kernel-memory-tcp", "memory", "kernelTCP", UpdateFlag::kSize},
    {"cpu-period", "cpu", "period", UpdateFlag::kInt},
    {"cpu-quota", "cpu", "quota", UpdateFlag::kInt},
    {"cpu-share", "cpu", "shares", UpdateFlag::kInt},
    {"cpu-rt-period", "cpu", "realtimePeriod", UpdateFlag::kInt},
    {"cpu-rt-runtime", "cpu", "realtimeRuntime", UpdateFlag::kInt},
    {"cpuset-cpus", "cpu", "cpus", UpdateFlag::kText},
    {"cpuset-mems", "cpu", "mems", UpdateFlag::kText},
    {"pids-limit", "pids", "limit", UpdateFlag::kInt},
    {"blkio-weight", "blockIO", "weight", UpdateFlag::kInt},
};

std::set<std::string> update_valued() {
  std::set<std::string> out = {"resources", "l3-cache-schema", "mem-bw-schema"};
  for (const auto& u : kUpdateFlags) out.insert(u.flag);
  return out;
}

// --resources FILE|- (the runtime-spec's LinuxResources, as containerd and podman send it).
json resources_file(const std::string& file) {
  std::string text;
  if (file == "-") {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(STDIN_FILENO, buf, sizeof buf)) > 0)
      text.append(buf, static_cast<size_t>(n));
  } else {
    text = Fs().read(file);
  }
  json r = json::parse(text, nullptr, false);
  if (r.is_discarded() || !r.is_object())
    throw Error("update: --resources " + file + ": not a JSON object");
  return r;
}

// As runc: the flags are laid over what --resources gives; sizes are docker's ("512m"), -1 is
// unlimited.
int update_command(const Globals& g, Flags& f) {
  const std::string id = need_id(f, "update");
  for (const char* rdt : {"l3-cache-schema", "mem-bw-schema"})
    if (f.has(rdt))
      throw Error(std::string("update: --") + rdt + ": Intel RDT is not supported by mydocker");
  json r = f.has("resources") ? resources_file(f.get("resources")) : json::object();
  bool any = f.has("resources");
  for (const auto& u : kUpdateFlags) {
    if (!f.has(u.flag)) continue;
    any = true;
    const std::string text = f.get(u.flag);
    const std::string bad = std::string("invalid value '") + text + "' for --" + u.flag;
    json value;
    if (u.kind == UpdateFlag::kText) {
      value = text;
    } else if (u.kind == UpdateFlag::kSize && text != "-1") {
      std::string why;
      auto bytes = parse_size(text, &why);
      if (!bytes) throw Error(bad + ": " + why);
      value = *bytes;
    } else {
      auto n = parse_int(text);
      if (!n) throw Error(bad + ": not an integer");
      value = *n;
    }
    if (!r.contains(u.group) || !r[u.group].is_object()) r[u.group] = json::object();
    r[u.group][u.key] = value;
  }
  if (!any) throw Error("update: nothing to update (give --resources FILE|- or a flag)");
  update(g.root, id, r);
  return 0;
}

// runc events [--stats] [--interval DURATION] ID: one JSON object per line.
int events_command(const Globals& g, Flags& f) {
  const std::string id = need_id(f, "events");
  int interval_ms = 5000;  // runc's default
  if (f.has("interval")) {
    const std::string text = f.get("interval");
    const auto ns = parse_go_duration(text);
    if (!ns || *ns <= 0 || *ns > 24LL * 3600 * 1000000000)
      throw Error("invalid value '" + text + "' for --interval: a duration such as 5s or 500ms");
    interval_ms = static_cast<int>(std::max<int64_t>(1, *ns / 1000000));
  }
  events(g.root, id, f.on("stats"), interval_ms, [](const json& e) {
    std::printf("%s\n", e.dump().c_str());
    std::fflush(stdout);
  });
  return 0;
}

int spec_command(const Globals&, Flags& f) {
  const std::string bundle = f.get("bundle", ".");
  const std::string path = bundle + "/config.json";
  if (::access(path.c_str(), F_OK) == 0) throw Error("spec: " + path + " already exists");
  write_file_atomic(path, default_spec(f.on("rootless"), ::getuid(), ::getgid()).dump(2) + "\n",
                    false);
  return 0;
}

const std::map<std::string, Command>& commands() {
  static const std::set<std::string> create_valued = {"bundle", "pid-file", "console-socket",
                                                      "preserve-fds"};
  static const std::set<std::string> create_bool = {"no-pivot", "no-new-keyring"};
  static const std::map<std::string, Command> table = {
      {"create",
       {create_valued,
        create_bool,
        {{"b", "bundle"}},
        [](const Globals& g, Flags& f) {
          create(create_options(g, f, "create"));
          return 0;
        },
        "create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--no-pivot] "
        "[--preserve-fds N] ID"}},
      {"run",
       {create_valued,
        {"no-pivot", "no-new-keyring", "detach", "keep"},
        {{"b", "bundle"}, {"d", "detach"}},
        [](const Globals& g, Flags& f) {
          return run(create_options(g, f, "run"), f.on("detach"), f.on("keep"));
        },
        "run [create's flags] [--detach] [--keep] ID"}},
      {"start",
       {{},
        {},
        {},
        [](const Globals& g, Flags& f) {
          start(g.root, need_id(f, "start"));
          return 0;
        },
        "start ID"}},
      {"state",
       {{},
        {},
        {},
        [](const Globals& g, Flags& f) {
          print_json(state(g.root, need_id(f, "state")));
          return 0;
        },
        "state ID"}},
      {"list",
       {{"format"},
        {"quiet"},
        {{"f", "format"}, {"q", "quiet"}},
        list,
        "list [--format table|json] [-q]"}},
      {"ps", {{"format"}, {}, {{"f", "format"}}, ps, "ps [--format table|json] ID"}},
      {"kill",
       {{},
        {"all"},
        {{"a", "all"}},
        [](const Globals& g, Flags& f) {
          const std::string id = need_id(f, "kill");
          const int sig = f.args.size() > 1 ? parse_signal(f.args[1]) : SIGTERM;
          kill(g.root, id, sig, f.on("all"));
          return 0;
        },
        "kill [--all] ID [SIGNAL]"}},
      {"delete",
       {{},
        {"force"},
        {{"f", "force"}},
        [](const Globals& g, Flags& f) {
          remove(g.root, need_id(f, "delete"), f.on("force"));
          return 0;
        },
        "delete [--force] ID"}},
      {"pause",
       {{},
        {},
        {},
        [](const Globals& g, Flags& f) {
          pause(g.root, need_id(f, "pause"), true);
          return 0;
        },
        "pause ID"}},
      {"resume",
       {{},
        {},
        {},
        [](const Globals& g, Flags& f) {
          pause(g.root, need_id(f, "resume"), false);
          return 0;
        },
        "resume ID"}},
      {"update",
       {update_valued(),
        {},
        {{"r", "resources"}},
        update_command,
        "update [--resources FILE|-] [--memory SIZE] [--memory-reservation SIZE] "
        "[--memory-swap SIZE] [--cpu-period N] [--cpu-quota N] [--cpu-share N] "
        "[--cpu-rt-period N] [--cpu-rt-runtime N] [--cpuset-cpus LIST] [--cpuset-mems LIST] "
        "[--pids-limit N] [--blkio-weight N] ID"}},
      {"exec",
       {{"process", "pid-file", "console-socket", "cwd", "env", "user", "cap", "preserve-fds",
         "apparmor", "process-label", "additional-gids"},
        {"tty", "detach", "no-new-privs"},
        {{"p", "process"},
         {"t", "tty"},
         {"d", "detach"},
         {"e", "env"},
         {"u", "user"},
         {"c", "cap"},
         {"g", "additional-gids"}},
        exec_command,
        "exec [--process FILE | ID COMMAND...] [--detach] [--pid-file F] [--console-socket S] "
        "[--tty] [--cwd DIR] [--env K=V] [--user UID[:GID]] [--cap CAP] ID"}},
      {"events",
       {{"interval"}, {"stats"}, {}, events_command, "events [--stats] [--interval 5s] ID"}},
      {"features",
       {{},
        {},
        {},
        [](const Globals&, Flags&) {
          print_json(features());
          return 0;
        },
        "features"}},
      {"spec",
       {{"bundle"},
        {"rootless"},
        {{"b", "bundle"}},
        spec_command,
        "spec [--bundle DIR] [--rootless]"}},
  };
  return table;
}

void usage(FILE* out) {
  std::fprintf(out,
               "Usage: mydocker oci [global flags] COMMAND [flags] ARGS (also as mydocker-runc)\n"
               "An OCI runtime with runc's command line.\n\nGlobal flags: --root DIR (default %s), "
               "--log FILE, --log-format text|json, --debug, --version\n\nCommands:\n",
               kDefaultRoot);
  for (const auto& [name, c] : commands()) std::fprintf(out, "  %s\n", c.usage);
}

// Errors as runc writes them: to stderr, and to --log in logrus's text or JSON form (the
// containerd shim reads log.json back when a command fails).
void log_error(const Globals& g, const std::string& msg) {
  std::fprintf(stderr, "mydocker: %s\n", msg.c_str());
  if (g.log.empty()) return;
  std::string line;
  if (g.log_format == "json") {
    line = json{{"level", "error"}, {"msg", msg}, {"time", now_rfc3339()}}.dump();
  } else {
    line = "time=\"" + now_rfc3339() + "\" level=error msg=" + json(msg).dump();
  }
  line += "\n";
  FILE* f = std::fopen(g.log.c_str(), "ae");
  if (!f) return;
  std::fputs(line.c_str(), f);
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv, int first) {
  std::vector<std::string> args(argv + first, argv + argc);
  Globals g;
  Flags global;
  global.valued = {"root", "log", "log-format", "criu", "rootless", "log-level"};
  global.boolean = {"debug", "systemd-cgroup", "version", "help"};
  try {
    size_t i = parse_flags(args, 0, global, {{"v", "version"}, {"h", "help"}}, "mydocker oci");
    g.root = global.get("root", kDefaultRoot);
    g.log = global.get("log");
    g.log_format = global.get("log-format", "text");
    g.debug = global.on("debug");
    if (g.log_format != "text" && g.log_format != "json")
      throw Error("invalid value '" + g.log_format + "' for --log-format: text or json");
    if (global.on("version")) {
      std::printf("mydocker-runc version %s\nspec: %s\n", kVersion, kOciVersion);
      return 0;
    }
    if (global.on("systemd-cgroup"))
      throw Error("--systemd-cgroup: mydocker has no systemd cgroup driver (cgroupfs only)");
    if (i >= args.size() || global.on("help")) {
      usage(i >= args.size() && !global.on("help") ? stderr : stdout);
      return global.on("help") ? 0 : 1;
    }
    const std::string name = args[i];
    auto it = commands().find(name);
    if (name == "checkpoint" || name == "restore")  // runc's, through CRIU
      throw Error(name + ": checkpoint and restore are not supported by mydocker (no CRIU)");
    if (it == commands().end()) throw Error("unknown command '" + name + "' (mydocker oci --help)");
    Flags f;
    f.valued = it->second.valued;
    f.boolean = it->second.boolean;
    f.boolean.insert("help");
    const size_t rest = parse_flags(args, i + 1, f, it->second.aliases, name);
    if (f.on("help")) {
      std::printf("Usage: mydocker oci %s\n", it->second.usage);
      return 0;
    }
    f.args.assign(args.begin() + static_cast<long>(rest), args.end());
    trace::set_enabled(g.debug);
    return it->second.run(g, f);
  } catch (const Error& e) {
    log_error(g, e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    log_error(g, e.what());
    return kExitSetupError;
  }
}

}  // namespace mydocker::oci
