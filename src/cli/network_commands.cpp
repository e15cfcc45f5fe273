// network create|ls|inspect|rm|prune, port.

#include <cstdio>

#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/commands/network.hpp"
#include "mydocker/store/events.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker::cli {
namespace {

void network_options(CLI::App& n, CommandLine& cl, Scratch&) {
  n.add_option("command", cl.args, "create NAME | ls | inspect NAME... | rm NAME... | prune")
      ->required();
  n.add_option("--subnet", cl.net.subnet, "create: the network's subnet (CIDR)");
  n.add_option("--gateway", cl.net.gateway, "create: the bridge's address (default: .1)");
  n.add_flag("--internal", cl.net.internal, "create: no route out of the network");
  n.add_flag("-q,--quiet", cl.net.quiet, "ls: names only");
  n.add_flag("-f,--force", cl.force, "prune: do not ask (mydocker never asks)");
}

// docker's network event: the network's id, name and type.
void record(const CommandLine& cl, const char* action, const net::Network& n) {
  record_event(cl.state_root, network_event(action, n.id, n.name, n.driver));
}

int network_ls(const CommandLine& cl) {
  const auto all = network_list(cl.data_root);
  if (!cl.net.quiet)
    out() << "NETWORK ID     NAME                DRIVER    SUBNET            INTERNAL\n";
  for (const auto& n : all) {
    if (cl.net.quiet) {
      out() << n.name << "\n";
      continue;
    }
    char line[256];
    std::snprintf(line, sizeof line, "%-14s %-19s %-9s %-17s %s\n", n.id.substr(0, 12).c_str(),
                  n.name.c_str(), n.driver.c_str(), n.subnet.text().c_str(),
                  n.internal ? "yes" : "no");
    out() << line;
  }
  return 0;
}

int run_network(const CommandLine& cl) {
  const std::string& sub = cl.args.front();
  const std::vector<std::string> rest(cl.args.begin() + 1, cl.args.end());
  auto need = [&](size_t n) {
    if (rest.size() < n) throw Error("mydocker network " + sub + ": missing the network's name");
  };
  if (sub == "create") {
    need(1);
    const auto n =
        network_create(cl.data_root, rest[0], cl.net.subnet, cl.net.gateway, cl.net.internal);
    out() << n.id << "\n";
    record(cl, "create", n);
  } else if (sub == "ls" || sub == "list") {
    return network_ls(cl);
  } else if (sub == "inspect") {
    need(1);
    nlohmann::json all = nlohmann::json::array();
    for (const auto& n : rest) all.push_back(network_inspect(cl.data_root, n));
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
  } else if (sub == "prune") {
    for (const auto& n : network_prune(cl.data_root)) {
      out() << "removed " << n.name << "\n";
      record(cl, "destroy", n);
    }
  } else {
    throw Error("unknown network command '" + sub + "': create, ls, inspect, rm or prune");
  }
  return 0;
}

void port_options(CLI::App& p, CommandLine& cl, Scratch&) {
  p.add_option("container", cl.args, "The container")->required()->expected(1);
}

int run_port(const CommandLine& cl) {
  for (const auto& line : container_ports(Store(cl.state_root), cl.args.front()))
    out() << line << "\n";
  return 0;
}

}  // namespace

std::vector<CommandDef> network_commands() {
  return {
      {"network", "Manage networks: create, ls, inspect, rm, prune", network_options, nullptr,
       run_network},
      {"port", "List a container's published ports", port_options, nullptr, run_port},
  };
}

}  // namespace mydocker::cli
