#pragma once
// The table of commands: each is one entry with its name, its help, the options it adds to its
// CLI11 subcommand, what it checks once they are parsed, and its handler (core call, format,
// print). Adding a command is adding one entry to one of the lists below.

#include <string>
#include <string_view>
#include <vector>

#include "mydocker/cli/cli11.hpp"
#include "mydocker/cli/command_line.hpp"
#include "mydocker/cli/run_args.hpp"

namespace mydocker::cli {

// Limit flags are kept as text with the spelling typed, so errors name both.
struct LimitText {
  std::string memory, memory_swap, memory_reservation, memory_swappiness, kernel_memory;
  std::string cpu, cpus, cpu_period, cpu_quota, shares, rt_runtime, rt_period, cpuset, cpuset_mems;
  std::string pids_limit, blkio_weight;
  std::vector<std::string> read_bps, write_bps, read_iops, write_iops;
};

// Values options write before they become CommandLine fields.
struct Scratch {
  LimitText limits;
  std::string stop_timeout, tail, time;
  std::string restart;              // update --restart
  std::string since, until;         // events, logs
  bool latest = false;              // ps -l
  std::vector<std::string> mounts;  // run --mount
};

struct CommandDef {
  const char* name;
  const char* help;
  // Registers the command's options on its subcommand.
  void (*options)(CLI::App& sub, CommandLine& cl, Scratch& s) = nullptr;
  // After parsing: conversions and checks of what was parsed. Throws Error.
  void (*finish)(CLI::App& sub, CommandLine& cl, Scratch& s, const RunArgs& split) = nullptr;
  // Runs the command; returns the exit status.
  int (*run)(const CommandLine& cl) = nullptr;
  // run, exec, update: everything from the first argument that is not a flag is the command's
  // (exec: the container, then the command; update: the containers).
  bool splits_command = false;
};

// Every command, in the order `--help` lists them.
const std::vector<CommandDef>& commands();
const CommandDef* find_command(std::string_view name);

// The lists commands() joins.
std::vector<CommandDef> container_commands();  // run, ps, logs, exec, stop, kill, rm, ...
std::vector<CommandDef> image_commands();      // import, images, rmi, export, commit
std::vector<CommandDef> system_commands();     // info, prune, events
std::vector<CommandDef> network_commands();    // network, port
std::vector<CommandDef> docs_commands();       // completion, __man (docs.cpp)
std::vector<CommandDef> copy_commands();       // cp, diff

// volume create|ls|inspect|rm|prune (volume_commands.cpp), listed with system_commands().
CommandDef volume_command();

// run --pull missing|always|never (cl.reg.pull): the image run names, pulled as asked, with
// docker's lines on stderr. Throws Error.
void pull_for_run(const CommandLine& cl);

// docker's image inspect JSON of `ref` in the data root (image inspect, and inspect's fallback).
// Throws Error ("No such image: ...").
nlohmann::json inspect_image(const std::string& data_root, const std::string& ref);

// Shared by run and update.
void add_limit_flags(Flags& app, LimitText& t, bool devices);
void fill_limits(CLI::App& app, const RunArgs& split, const LimitText& t, RunOptions& o);
std::optional<FlagValue> flag_value(CLI::App& app, const RunArgs& split, const char* name,
                                    const std::string& text);
int int_value(const std::string& flag, const std::string& text);
// docker's way for commands on several containers: each one's name on success, each error on
// stderr, and a failure status if any failed.
int for_each(const std::vector<std::string>& refs,
             const std::function<void(const std::string&)>& act, bool echo = true);
// for_each's, for all of them at once (docker's CLI stops, kills, removes, pauses and unpauses
// the containers it is given in parallel): each act in a process of its own (50 at most at a
// time), the lines in the order given, each as soon as it and those before it are done.
int for_each_parallel(const std::vector<std::string>& refs,
                      const std::function<void(const std::string&)>& act);

}  // namespace mydocker::cli
