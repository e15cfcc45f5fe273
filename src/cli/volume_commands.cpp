// volume create|ls|inspect|rm|prune.

#include <cstdio>
#include <iostream>
#include <optional>

#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/commands/containers.hpp"
#include "mydocker/commands/filters.hpp"
#include "mydocker/commands/volumes.hpp"
#include "mydocker/format/template.hpp"
#include "mydocker/spec/options.hpp"
#include "mydocker/store/events.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/id.hpp"

namespace mydocker::cli {
namespace {

// One word of `volume` (create, ls...) with docker's flags for it and no other: each is a CLI11
// subcommand of its own, so that `-f` is --filter for ls, --force for rm and prune.
CLI::App* volume_word(CLI::App& v, CommandLine& cl, const char* name, const char* help) {
  CLI::App* w = v.add_subcommand(name, help);
  w->fallthrough();
  w->preparse_callback([&cl, name](size_t) { cl.volume.command = name; });
  return w;
}

void volume_options(CLI::App& v, CommandLine& cl, Scratch&) {
  v.require_subcommand(0, 1);
  // A word that is no subcommand, or one more than a subcommand takes (CLI11 passes it up), kept
  // to be named (CLI11 would only say that a subcommand is required). Hidden.
  v.add_option("word", cl.volume.unknown)->group("");
  CLI::App* create = volume_word(v, cl, "create", "Create a volume");
  create->add_option_function<std::string>(
      "name", [&cl](const std::string& v) { cl.args = {v}; },
      "The volume's name (default: a random id)");
  create->add_option("--label", cl.run.labels, "A label KEY[=VALUE] (repeatable)")
      ->allow_extra_args(false);
  CLI::App* ls = volume_word(v, cl, "ls", "List volumes");
  ls->alias("list");
  ls->add_flag("-q,--quiet", cl.volume.quiet, "Only the volumes' names");
  ls->add_option("-f,--filter", cl.volume.filters,
                 "dangling=true|false, driver=local, label=KEY[=VALUE], name=SUBSTRING "
                 "(repeatable)")
      ->allow_extra_args(false);
  ls->add_option("--format", cl.format, "json or a Go template ('{{.Name}}')");
  CLI::App* inspect = volume_word(v, cl, "inspect", "Show volumes' details (JSON)");
  inspect->add_option("volume", cl.args, "The volumes")->required();
  inspect->add_option("-f,--format", cl.format, "A Go template ('{{.Mountpoint}}', '{{json .}}')");
  CLI::App* rm = volume_word(v, cl, "rm", "Remove volumes");
  rm->alias("remove");
  rm->add_option("volume", cl.args, "The volumes")->required();
  rm->add_flag("-f,--force", cl.force, "Even one a container has");
  CLI::App* prune = volume_word(v, cl, "prune", "Remove anonymous volumes no container uses");
  prune->add_flag("-a,--all", cl.volume.all, "Named volumes too, not only anonymous ones");
  prune->add_option("--filter", cl.volume.filters, "label=KEY[=VALUE], label!=KEY[=VALUE]")
      ->allow_extra_args(false);
  prune->add_flag("-f,--force", cl.force, "Do not ask");
}

// One volume as `volume ls --format` sees it: docker's fields, Labels as "k=v,k2=v2", and "N/A"
// where docker prints it unless `system df -v` computed it (Links, Size) or a cluster volume
// would have it (Group, Availability, Status).
nlohmann::json volume_ls_json(const nlohmann::json& inspected) {
  std::string labels;
  const auto it = inspected.find("Labels");
  if (it != inspected.end() && it->is_object())
    for (const auto& [k, v] : it->items())
      labels += (labels.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : "");
  nlohmann::json out = {{"Name", inspected.value("Name", "")},
                        {"Driver", inspected.value("Driver", "")},
                        {"Scope", inspected.value("Scope", "local")},
                        {"Mountpoint", inspected.value("Mountpoint", "")},
                        {"Labels", labels}};
  for (const char* key : {"Links", "Size", "Group", "Availability", "Status"}) out[key] = "N/A";
  return out;
}

int volume_ls(const CommandLine& cl) {
  const VolumeStore store(cl.data_root);
  const auto filters = Filters::parse(cl.volume.filters, kVolumeFilterKeys);
  std::set<std::string> used;
  if (filters.has("dangling")) used = containers_use(Store(cl.state_root)).volumes;
  std::vector<nlohmann::json> items;
  for (const auto& v : filter_volumes(store.list(), filters, used))
    items.push_back(volume_ls_json(store.inspect_json(v)));
  if (cl.volume.quiet) {
    for (const auto& i : items) out() << i["Name"].get<std::string>() << "\n";
  } else if (cl.format == "json") {
    for (const auto& i : items) out() << i.dump() << "\n";
  } else {
    const std::string t = cl.format.empty() ? "table {{.Driver}}\t{{.Name}}" : cl.format;
    out() << tmpl::Template::parse(t).render(items,
                                             {{"Driver", "DRIVER"}, {"Name", "VOLUME NAME"}});
  }
  return 0;
}

int volume_rm(const CommandLine& cl, const std::vector<std::string>& names) {
  const auto used = containers_use(Store(cl.state_root)).volumes;
  return for_each(names, [&](const std::string& n) {
    VolumeStore(cl.data_root)
        .remove(
            n, [&](const std::string& name) { return used.count(name) > 0; }, cl.force);
    record_event(cl.state_root, volume_event("destroy", n));
  });
}

int volume_prune(const CommandLine& cl) {
  if (!cl.force) {
    (out() << "WARNING! This will remove " << (cl.volume.all ? "all" : "anonymous")
           << " local volumes not used by at least one container.\n"
           << "Are you sure you want to continue? [y/N] ")
        .flush();
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") return 0;
  }
  const auto removed = prune_volumes(Store(cl.state_root), cl.data_root, cl.volume.all,
                                     Filters::parse(cl.volume.filters, kVolumePruneFilterKeys));
  if (!removed.empty()) out() << "Deleted Volumes:\n";
  for (const auto& n : removed) out() << n << "\n";
  return 0;
}

// docker's: the JSON array, or with -f the template once per volume, a line each.
int volume_inspect(const CommandLine& cl) {
  const VolumeStore store(cl.data_root);
  std::optional<tmpl::Template> format;
  if (!cl.format.empty()) format = tmpl::Template::parse(cl.format);
  nlohmann::json all = nlohmann::json::array();
  for (const auto& n : cl.args) {
    auto v = store.find(n);
    if (!v) throw Error("no such volume: " + n);
    all.push_back(store.inspect_json(*v));
  }
  if (!format) {
    out() << all.dump(4) << "\n";
    return 0;
  }
  for (const auto& v : all) out() << format->execute(v) << "\n";
  return 0;
}

void volume_finish(CLI::App&, CommandLine& cl, Scratch&, const RunArgs&) {
  const std::string where = "mydocker volume " + cl.volume.command;
  if (!cl.volume.unknown.empty() && !cl.volume.command.empty())
    throw Error("unexpected argument '" + cl.volume.unknown + "' for " + where + ": see " + where +
                " --help");
  if (!cl.volume.unknown.empty())
    throw Error("unknown volume command '" + cl.volume.unknown +
                "': create, ls, inspect, rm or prune");
  if (cl.volume.command.empty())
    throw Error(
        "mydocker volume: missing the command (create, ls, inspect, rm or prune): see mydocker "
        "volume --help");
}

int run_volume(const CommandLine& cl) {
  const std::string& sub = cl.volume.command;
  if (sub == "create") {
    const std::string name = cl.args.empty() ? new_container_id() : cl.args.front();
    check_volume_name(name, "volume create");
    bool made = false;
    out() << VolumeStore(cl.data_root).ensure(name, parse_labels(cl.run), false, &made).name
          << "\n";
    if (made) record_event(cl.state_root, volume_event("create", name));
    return 0;
  }
  if (sub == "ls") return volume_ls(cl);
  if (sub == "inspect") return volume_inspect(cl);
  if (sub == "rm") return volume_rm(cl, cl.args);
  return volume_prune(cl);
}

}  // namespace

CommandDef volume_command() {
  return {"volume", "Manage named volumes: create, ls, inspect, rm, prune", volume_options,
          volume_finish, run_volume};
}

}  // namespace mydocker::cli
