// network create|ls|inspect|rm|prune, port.

#include <cstdio>

#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/commands/network.hpp"
#include "mydocker/format/template.hpp"
#include "mydocker/store/events.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/time.hpp"

namespace mydocker::cli {
namespace {

void network_options(CLI::App& n, CommandLine& cl, Scratch&) {
  n.add_option("command", cl.args,
               "create NAME | ls | inspect NAME... | rm NAME... | prune | connect NETWORK "
               "CONTAINER | disconnect NETWORK CONTAINER")
      ->required();
  n.add_option("--ip", cl.net.ip, "connect: the container's address on the network");
  n.add_option("--alias", cl.net.aliases,
               "connect: another name the container has on the network (repeatable)")
      ->allow_extra_args(false);
  n.add_option("--subnet", cl.net.subnet, "create: the network's subnet (CIDR)");
  n.add_option("--gateway", cl.net.gateway, "create: the bridge's address (default: .1)");
  n.add_flag("--internal", cl.net.internal, "create: no route out of the network");
  n.add_flag("-q,--quiet", cl.net.quiet, "ls: ids only");
  n.add_flag("--force", cl.force, "prune: do not ask (mydocker never asks)");
  n.add_option("--format", cl.net.format,
               "inspect: a Go template ('{{.IPAM.Config}}'); ls: json or a template ('{{.Name}}')");
  n.add_option("--filter", cl.net.filters, "ls: name=, id=, driver= (repeatable)")
      ->allow_extra_args(false);
  // -f as docker's: --force for prune and rm, --format for inspect, --filter for ls.
  n.add_option_function<std::vector<std::string>>(
       "-f", [&cl](const std::vector<std::string>& v) { cl.net.f = v.empty() ? "" : v.front(); },
       "prune/rm: --force; inspect: --format; ls: --filter")
      ->expected(0, 1)
      ->allow_extra_args(false);
}

// ls --filter: docker's name= (a substring), id= (a prefix), driver=.
bool network_matches(const net::Network& n, const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    const size_t eq = f.find('=');
    const std::string key = f.substr(0, eq),
                      value = eq == std::string::npos ? "" : f.substr(eq + 1);
    if (eq == std::string::npos || (key != "name" && key != "id" && key != "driver"))
      throw Error("invalid value '" + f + "' for --filter: expected name=, id= or driver=");
    if ((key == "name" && n.name.find(value) == std::string::npos) ||
        (key == "id" && n.id.rfind(value, 0) != 0) || (key == "driver" && n.driver != value))
      return false;
  }
  return true;
}

// docker's network event: the network's id, name and type.
void record(const CommandLine& cl, const char* action, const net::Network& n) {
  record_event(cl.state_root, network_event(action, n.id, n.name, n.driver));
}

// One network as `network ls --format` sees it (docker's field names, and its Subnet).
nlohmann::json ls_json(const net::Network& n) {
  return {{"ID", n.id.substr(0, 12)},
          {"Name", n.name},
          {"Driver", n.driver},
          {"Scope", "local"},
          {"IPv6", "false"},
          {"Internal", n.internal ? "true" : "false"},
          {"Labels", ""},
          {"CreatedAt", docker_time_text(n.created)},
          {"Subnet", n.predefined() ? "" : n.subnet.text()}};
}

int network_ls(const CommandLine& cl, const std::vector<std::string>& filters) {
  auto all = network_list(cl.data_root);
  std::erase_if(all, [&](const net::Network& n) { return !network_matches(n, filters); });
  if (!cl.net.quiet && !cl.net.format.empty()) {  // json, or a Go template
    std::vector<nlohmann::json> items;
    for (const auto& n : all) items.push_back(ls_json(n));
    if (cl.net.format == "json") {
      for (const auto& j : items) out() << j.dump() << "\n";
      return 0;
    }
    out() << tmpl::Template::parse(cl.net.format)
                 .render(items, {{"ID", "NETWORK ID"},
                                 {"Name", "NAME"},
                                 {"Driver", "DRIVER"},
                                 {"Scope", "SCOPE"},
                                 {"IPv6", "IPV6"},
                                 {"Internal", "INTERNAL"},
                                 {"CreatedAt", "CREATED AT"},
                                 {"Subnet", "SUBNET"}});
    return 0;
  }
  if (!cl.net.quiet)
    out() << "NETWORK ID     NAME                DRIVER    SUBNET            INTERNAL\n";
  for (const auto& n : all) {
    if (cl.net.quiet) {  // docker's: the ids
      out() << n.id.substr(0, 12) << "\n";
      continue;
    }
    char line[256];
    std::snprintf(line, sizeof line, "%-14s %-19s %-9s %-17s %s\n", n.id.substr(0, 12).c_str(),
                  n.name.c_str(), n.driver.c_str(), n.predefined() ? "" : n.subnet.text().c_str(),
                  n.internal ? "yes" : "no");
    out() << line;
  }
  return 0;
}

int run_network(const CommandLine& cl) {
  const std::string& sub = cl.args.front();
  std::vector<std::string> rest(cl.args.begin() + 1, cl.args.end());
  std::string format = cl.net.format;
  std::vector<std::string> filters = cl.net.filters;
  if (cl.net.f) {  // -f: what docker's short flag means for this command
    if (sub == "inspect") {
      if (cl.net.f->empty()) throw Error("mydocker network inspect: -f needs a template");
      format = *cl.net.f;
    } else if (sub == "ls" || sub == "list") {
      if (cl.net.f->empty()) throw Error("mydocker network ls: -f needs a filter (name=...)");
      filters.push_back(*cl.net.f);
    } else if (!cl.net.f->empty()) {  // prune/rm -f NAME: a force flag, then a name
      rest.insert(rest.begin(), *cl.net.f);
    }
  }
  auto need = [&](size_t n) {
    if (rest.size() < n) throw Error("mydocker network " + sub + ": missing the network's name");
  };
  // An option another subcommand takes is refused, as docker's (an unknown flag there).
  if (!cl.net.ip.empty() && sub != "connect")
    throw Error("unknown flag '--ip' for mydocker network " + sub + " (network connect takes it)");
  if (!cl.net.aliases.empty() && sub != "connect")
    throw Error("unknown flag '--alias' for mydocker network " + sub +
                " (network connect takes it)");
  if ((!cl.net.subnet.empty() || !cl.net.gateway.empty() || cl.net.internal) && sub != "create")
    throw Error("--subnet, --gateway and --internal are network create's, not network " + sub);
  if (sub == "create") {
    need(1);
    const auto n =
        network_create(cl.data_root, rest[0], cl.net.subnet, cl.net.gateway, cl.net.internal);
    out() << n.id << "\n";
    record(cl, "create", n);
  } else if (sub == "ls" || sub == "list") {
    return network_ls(cl, filters);
  } else if (sub == "inspect") {
    need(1);
    if (!format.empty()) {  // one line per network, as container inspect -f
      const auto t = tmpl::Template::parse(format);
      for (const auto& n : rest)
        out() << t.execute(network_inspect(cl.data_root, Store(cl.state_root), n)) << "\n";
      return 0;
    }
    nlohmann::json all = nlohmann::json::array();
    for (const auto& n : rest)
      all.push_back(network_inspect(cl.data_root, Store(cl.state_root), n));
    out() << all.dump(4) << "\n";
  } else if (sub == "rm" || sub == "remove") {
    need(1);
    int status = 0;
    for (const auto& n : rest) {
      try {
        const auto removed = network_remove(cl.data_root, n);
        out() << removed.name << "\n";
        record(cl, "destroy", removed);
      } catch (const Error& e) {
        std::fprintf(stderr, "mydocker: %s\n", e.what());
        status = kExitSetupError;
      }
    }
    return status;
  } else if (sub == "connect" || sub == "disconnect") {
    if (rest.size() != 2)
      throw Error("mydocker network " + sub + " takes a network and a container (got " +
                  std::to_string(rest.size()) + " arguments)");
    if (sub == "connect")
      network_connect(Store(cl.state_root), rest[0], rest[1], cl.net.ip, cl.net.aliases);
    else
      network_disconnect(Store(cl.state_root), rest[0], rest[1]);
  } else if (sub == "prune") {
    const auto pruned = network_prune(cl.data_root);
    if (!pruned.empty()) out() << "Deleted Networks:\n";  // docker's words
    for (const auto& n : pruned) {
      out() << n.name << "\n";
      record(cl, "destroy", n);
    }
  } else {
    throw Error("unknown network command '" + sub +
                "': create, ls, inspect, rm, prune, connect or disconnect");
  }
  return 0;
}

void port_options(CLI::App& p, CommandLine& cl, Scratch&) {
  p.add_option("container", cl.args, "The container, then a port: PORT[/tcp|/udp]")
      ->required()
      ->expected(1, 2);
}

int run_port(const CommandLine& cl) {
  const std::string which = cl.args.size() > 1 ? cl.args[1] : "";
  for (const auto& line : container_ports(Store(cl.state_root), cl.args.front(), which))
    out() << line << "\n";
  return 0;
}

}  // namespace

std::vector<CommandDef> network_commands() {
  return {
      {"network", "Manage networks: create, ls, inspect, rm, prune, connect, disconnect",
       network_options, nullptr, run_network},
      {"port", "List a container's published ports", port_options, nullptr, run_port},
  };
}

}  // namespace mydocker::cli
