// volume create|ls|inspect|rm|prune.

#include <cstdio>
#include <iostream>

#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/commands/containers.hpp"
#include "mydocker/commands/volumes.hpp"
#include "mydocker/format/template.hpp"
#include "mydocker/spec/options.hpp"
#include "mydocker/store/events.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/id.hpp"

namespace mydocker::cli {
namespace {

void volume_options(CLI::App& v, CommandLine& cl, Scratch&) {
  v.add_option("command", cl.args, "create [NAME] | ls | inspect NAME... | rm NAME... | prune")
      ->required();
  v.add_option("--label", cl.run.labels, "create: a label KEY[=VALUE]")->allow_extra_args(false);
  v.add_flag("-q,--quiet", cl.net.quiet, "ls: names only");
  v.add_option("--format", cl.format, "ls: json or a Go template ('{{.Name}}')");
  v.add_flag("-f,--force", cl.force, "rm: even in use; prune: do not ask");
  v.add_flag("-a,--all", cl.prune.all_images, "prune: named volumes too, not only anonymous");
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
  std::vector<nlohmann::json> items;
  for (const auto& v : store.list()) items.push_back(volume_ls_json(store.inspect_json(v)));
  if (cl.net.quiet) {
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
    (out() << "WARNING! This will remove " << (cl.prune.all_images ? "all" : "anonymous")
           << " local volumes not used by at least one container.\n"
           << "Are you sure you want to continue? [y/N] ")
        .flush();
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") return 0;
  }
  const auto removed = prune_volumes(Store(cl.state_root), cl.data_root, cl.prune.all_images);
  if (!removed.empty()) out() << "Deleted Volumes:\n";
  for (const auto& n : removed) out() << n << "\n";
  return 0;
}

int run_volume(const CommandLine& cl) {
  const std::string& sub = cl.args.front();
  const std::vector<std::string> rest(cl.args.begin() + 1, cl.args.end());
  if ((sub == "inspect" || sub == "rm" || sub == "remove") && rest.empty())
    throw Error("mydocker volume " + sub + ": missing the volume's name");
  if (sub == "create") {
    const std::string name = rest.empty() ? new_container_id() : rest.front();
    check_volume_name(name, "volume create");
    bool made = false;
    out() << VolumeStore(cl.data_root).ensure(name, parse_labels(cl.run), false, &made).name
          << "\n";
    if (made) record_event(cl.state_root, volume_event("create", name));
  } else if (sub == "ls" || sub == "list") {
    return volume_ls(cl);
  } else if (sub == "inspect") {
    const VolumeStore store(cl.data_root);
    nlohmann::json all = nlohmann::json::array();
    for (const auto& n : rest) {
      auto v = store.find(n);
      if (!v) throw Error("no such volume: " + n);
      all.push_back(store.inspect_json(*v));
    }
    out() << all.dump(4) << "\n";
  } else if (sub == "rm" || sub == "remove") {
    return volume_rm(cl, rest);
  } else if (sub == "prune") {
    return volume_prune(cl);
  } else {
    throw Error("unknown volume command '" + sub + "': create, ls, inspect, rm or prune");
  }
  return 0;
}

}  // namespace

CommandDef volume_command() {
  return {"volume", "Manage named volumes: create, ls, inspect, rm, prune", volume_options, nullptr,
          run_volume};
}

}  // namespace mydocker::cli
