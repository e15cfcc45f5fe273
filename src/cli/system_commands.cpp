// info, prune, system df|prune|info, events.

#include <sys/utsname.h>

#include <cstdio>
#include <iostream>
#include <set>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/commands/commands.hpp"
#include "mydocker/commands/containers.hpp"
#include "mydocker/commands/events.hpp"
#include "mydocker/commands/info.hpp"
#include "mydocker/commands/network.hpp"
#include "mydocker/commands/volumes.hpp"
#include "mydocker/format/events.hpp"
#include "mydocker/format/host.hpp"
#include "mydocker/format/template.hpp"
#include "mydocker/format/text.hpp"
#include "mydocker/image/content.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/image/tar.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/version.hpp"

namespace mydocker::cli {
namespace {

void info_options(CLI::App& info, CommandLine& cl, Scratch&) {
  info.add_option("--format", cl.format, "text, json, or a Go template: '{{.CgroupVersion}}'");
}

void info_finish(CLI::App&, CommandLine& cl, Scratch&, const RunArgs&) {
  if (cl.format.empty()) cl.format = "text";
  if (cl.format != "text" && cl.format != "json") (void)tmpl::Template::parse(cl.format);
}

int run_info(const CommandLine& cl) {
  Fs fs;
  auto info = host_info(fs, cl.state_root);
  if (cl.format == "json")
    out() << info.dump(2) << "\n";
  else if (cl.format != "text")
    out() << tmpl::Template::parse(cl.format).execute(info) << "\n";
  else
    out() << format_host_info(info);
  return 0;
}

void prune_options(CLI::App& prune, CommandLine& cl, Scratch&) {
  prune.add_flag("-f,--force", cl.force,
                 "Do not ask (container/image/system prune ask; plain prune never does)");
  prune.add_flag("--ask", cl.prune.ask, "Ask first (what the management groups' prune do)")
      ->group("");
  prune.add_option("--what", cl.prune.what, "containers, images or all")
      ->check(CLI::IsMember({"", "containers", "images", "all"}))
      ->group("");
  prune.add_flag("-a,--all", cl.prune.all_images,
                 "image/system prune: every image no container uses, not only untagged ones");
  prune.add_flag("--volumes", cl.prune.volumes,
                 "system prune: anonymous volumes no container uses, too");
}

// docker's prompt: the answer is read from stdin, terminal or not; anything but y/yes (EOF
// included) removes nothing.
bool confirmed(const CommandLine& cl) {
  if (!cl.prune.ask || cl.force) return true;
  const std::string& w = cl.prune.what;
  std::string what;
  if (w != "images") what += "  - all stopped containers\n";
  if (w == "all") what += "  - all networks not used by at least one container\n";
  if (w == "all" && cl.prune.volumes)
    what += "  - all anonymous volumes not used by at least one container\n";
  if (w != "containers")
    what += cl.prune.all_images
                ? "  - all images without at least one container associated to them\n"
                : "  - all dangling images\n";
  (out() << "WARNING! This will remove:\n"
         << what << "  - what crashed runs left behind (cgroups, mounts, leases, partial loads)\n"
         << "Are you sure you want to continue? [y/N] ")
      .flush();
  std::string answer;
  std::getline(std::cin, answer);
  if (answer == "y" || answer == "Y" || answer == "yes" || answer == "Yes") return true;
  out() << "\nNothing removed.\n";
  return false;
}

int run_prune(const CommandLine& cl) {
  if (!confirmed(cl)) return 0;
  Fs fs;
  // Where `prune` looks for cgroups of containers it has no record of.
  const auto places = default_cgroup_places(detect_host_cgroups(fs));
  const Store store(cl.state_root);
  PruneReport r;
  if (cl.prune.what != "images") r = prune(store, places, cl.data_root);
  if (cl.prune.what == "images") {  // what a killed load or pull left, as its prompt says
    r.removed = prune_image_leftovers(cl.data_root);
  }
  if (cl.prune.what == "images" || cl.prune.what == "all") {
    for (const auto& line : prune_images(store, cl.data_root, cl.prune.all_images))
      out() << line << "\n";
  }
  if (cl.prune.what == "all") {  // system prune: docker's networks, and --volumes
    for (const auto& n : network_prune(cl.data_root)) {
      out() << "Deleted Network: " << n.name << "\n";
      record_event(cl.state_root, network_event("destroy", n.id, n.name, n.driver));
    }
    if (cl.prune.volumes)
      for (const auto& v : prune_volumes(store, cl.data_root, false))
        out() << "Deleted Volume: " << v << "\n";
  }
  for (const auto& x : r.removed) out() << "removed " << x << "\n";
  for (const auto& x : r.live) out() << "left alone (running): " << x << "\n";
  for (const auto& x : r.foreign)
    out() << "left alone (no record in " << cl.state_root << "): " << x << "\n";
  for (const auto& x : r.problems) std::fprintf(stderr, "mydocker: prune: %s\n", x.c_str());
  return r.problems.empty() ? 0 : kExitSetupError;
}

// `system df`: docker's TYPE TOTAL ACTIVE SIZE RECLAIMABLE, with a row for the layers (shared
// between images, so the Images row counts each layer once). An image is active while a
// container (running or not) uses it; a layer while an active image has it; a container while
// it runs. Reclaimable: what rmi of the inactive images, or rm of the stopped containers, frees.
struct DfRow {
  int total = 0, active = 0;
  int64_t size = 0, reclaimable = 0;
};

std::string df_line(const char* type, const DfRow& r) {
  char line[160];
  const int pct = r.size > 0 ? static_cast<int>(r.reclaimable * 100 / r.size) : 0;
  const std::string rec =
      human_size(r.reclaimable) + (r.size > 0 ? " (" + std::to_string(pct) + "%)" : "");
  std::snprintf(line, sizeof line, "%-15s %-9d %-9d %-9s %s\n", type, r.total, r.active,
                human_size(r.size).c_str(), rec.c_str());
  return line;
}

int run_system_df(const CommandLine& cl) {
  const ImageStore images(cl.data_root);
  const ContentStore content = images.content();
  const auto containers = list_containers(Store(cl.state_root), true);
  std::set<std::string> used_images, active_layers, all_layers;
  DfRow img, lay, ctr;
  const Store store(cl.state_root);
  for (const auto& c : containers) {
    nlohmann::json config;
    try {
      config = ContainerDir(store.root(), c.id).config();
    } catch (const Error&) {
      continue;  // being removed
    }
    used_images.insert(config.value("image", ""));
    ++ctr.total;
    const std::string files = config.value("files_dir", "");
    const int64_t size = files.empty() ? 0 : tree_size(files + "/upper");
    ctr.size += size;
    if (c.live())
      ++ctr.active;
    else
      ctr.reclaimable += size;
  }
  std::set<std::string> seen;
  for (const auto& i : images.list()) {
    if (!seen.insert(i.id).second) continue;
    ++img.total;
    const bool active = used_images.count(i.id) > 0;
    if (active) ++img.active;
    for (const auto& l : i.layers) {
      all_layers.insert(l);
      if (active) active_layers.insert(l);
    }
  }
  for (const auto& l : content.layers()) {
    const int64_t size = content.layer_size(l);
    ++lay.total;
    lay.size += size;
    if (active_layers.count(l))
      ++lay.active;
    else
      lay.reclaimable += size;
  }
  img.size = lay.size;
  img.reclaimable = lay.reclaimable;
  out() << "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n"
        << df_line("Images", img) << df_line("Layers", lay) << df_line("Containers", ctr);
  return 0;
}

void system_options(CLI::App& system, CommandLine& cl, Scratch&) {
  system.add_option("command", cl.args, "df | prune | info | events")->required()->expected(1);
  system.add_flag("-f,--force", cl.force, "prune: do not ask (mydocker never asks)");
}

int run_system(const CommandLine& cl) {
  const std::string& sub = cl.args.front();
  if (sub == "df") return run_system_df(cl);
  if (sub == "prune") return run_prune(cl);
  if (sub == "info") return run_info(cl);
  throw Error("unknown system command '" + sub + "': df, prune, info or events");
}

void version_options(CLI::App& version, CommandLine& cl, Scratch&) {
  version.add_option("-f,--format", cl.format,
                     "json, or a Go template: '{{.Client.Version}}', '{{.Server.KernelVersion}}'");
}

void version_finish(CLI::App&, CommandLine& cl, Scratch&, const RunArgs&) {
  if (!cl.format.empty() && cl.format != "json") (void)tmpl::Template::parse(cl.format);
}

// docker's two sections. There is no daemon: the "server" is this same binary on this kernel.
nlohmann::json version_json() {
  utsname u{};
  ::uname(&u);
  const std::string arch = host_architecture();
  const nlohmann::json client = {{"Version", kVersion},
                                 {"Os", "linux"},
                                 {"Arch", arch},
                                 {"Compiler", std::string("GCC ") + __VERSION__},
                                 {"Static", true}};
  nlohmann::json server = {{"Version", kVersion},
                           {"Os", "linux"},
                           {"Arch", arch},
                           {"KernelVersion", u.release},
                           {"Daemon", false}};
  server["Components"] = {{{"Name", "Engine"}, {"Version", kVersion}},
                          {{"Name", "mydocker-runc"}, {"Version", kVersion}}};
  return {{"Client", client}, {"Server", server}};
}

int run_version(const CommandLine& cl) {
  const auto v = version_json();
  if (cl.format == "json") {
    out() << v.dump() << "\n";
  } else if (!cl.format.empty()) {
    out() << tmpl::Template::parse(cl.format).execute(v) << "\n";
  } else {
    const auto& c = v["Client"];
    const auto& e = v["Server"];
    out() << "Client:\n"
          << " Version:           " << c["Version"].get<std::string>() << "\n"
          << " OS/Arch:           linux/" << c["Arch"].get<std::string>() << "\n"
          << " Built with:        " << c["Compiler"].get<std::string>() << ", static\n\n"
          << "Server: (no daemon: each command does its work itself)\n"
          << " Engine:\n"
          << "  Version:          " << e["Version"].get<std::string>() << "\n"
          << "  OS/Arch:          linux/" << e["Arch"].get<std::string>() << "\n"
          << "  Kernel Version:   " << e["KernelVersion"].get<std::string>() << "\n"
          << " mydocker-runc (OCI runtime):\n"
          << "  Version:          " << kVersion << "\n";
  }
  return 0;
}

void events_options(CLI::App& events, CommandLine& cl, Scratch& s) {
  events.add_option("--since", s.since,
                    "Events from this time on, then new ones: 2006-01-02T15:04:05Z, "
                    "2006-01-02, unix seconds, or a duration before now (10m, 1h30m)");
  events.add_option("--until", s.until, "Stop at this time (in the past: print and exit)");
  events.add_option("-f,--filter", cl.events.filters,
                    "KEY=VALUE: container, event, type, image, label, volume, network, scope "
                    "(a key twice: either value)");
  events.add_option("--format", cl.events.format,
                    "json, or a Go template: '{{.Type}} {{.Action}} {{.Actor.ID}}'");
}

// The times and filters are checked before anything is read, with the flag they came with.
void events_finish(CLI::App&, CommandLine& cl, Scratch& s, const RunArgs&) {
  const int64_t now = wall_clock_ns();
  if (!s.since.empty()) cl.events.since = parse_event_time(s.since, "--since", now);
  if (!s.until.empty()) cl.events.until = parse_event_time(s.until, "--until", now);
  if (cl.events.since && cl.events.until && *cl.events.since > *cl.events.until)
    throw Error("invalid value '" + s.since + "' for --since: it is after --until (" + s.until +
                ")");
  (void)parse_event_filters(cl.events.filters);
  (void)EventPrinter(cl.events.format);  // a broken template fails here
}

// docker's events: the past window, or the stream until SIGINT/SIGTERM (status 0).
int run_events(const CommandLine& cl) {
  const EventPrinter printer(cl.events.format);
  const EventQuery q{cl.events.since, cl.events.until, cl.events.filters};
  stream_events(cl.state_root, q, [&](const Event& e) { (out() << printer.line(e)).flush(); });
  return 0;
}

}  // namespace

std::vector<CommandDef> system_commands() {
  return {
      {"info", "Show how mydocker sees this host", info_options, info_finish, run_info},
      {"prune", "Remove stopped containers and what crashed runs left behind", prune_options,
       nullptr, run_prune},
      {"system", "df (disk usage: images, layers, containers) | prune | info | events",
       system_options, info_finish, run_system},
      volume_command(),
      {"events", "Show lifecycle events: the past (--since, --until), then live until Ctrl-C",
       events_options, events_finish, run_events},
      {"version", "Show mydocker's version and the kernel's (docker's Client and Server)",
       version_options, version_finish, run_version},
  };
}

}  // namespace mydocker::cli
