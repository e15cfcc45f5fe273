#pragma once
// CLI11, without <iostream>'s static initialiser (see print.hpp): CLI11's headers include
// <iostream> for its help and error printing; its include guard is set first so that they do
// not, and the streams they name are declared here. They are constructed (std::ios_base::Init)
// only where CLI11 prints: `--help` and a run without a command (with_streams()).

#include <istream>
#include <ostream>

#ifndef _GLIBCXX_IOSTREAM
#define _GLIBCXX_IOSTREAM 1
namespace std {
extern istream cin;
extern ostream cout;
extern ostream cerr;
extern ostream clog;
}  // namespace std
#endif

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

#include "mydocker/util/fs.hpp"

namespace mydocker::cli {

// Constructs the standard streams (once) before CLI11 prints to them.
inline void with_streams() { static std::ios_base::Init init; }

// CLI11 compares each new option's names with those of every option added before it: for
// run's 80 options that is about 3,200 comparisons, a quarter of a millisecond, half the time
// a run spends parsing its command line. While an OptionBatch is open, the options added are
// compared only with each other: the ones before are set aside, and put back in front, in
// order, when it closes. Names stay unique across batches by a unit test that walks every
// command (CommandLineTest.EveryCommandsOptionNamesAreUnique). Open one only after
// set_help_flag (which looks for the help option among the options).
class OptionBatch {
 public:
  explicit OptionBatch(CLI::App& app) : options_(Access::options(app)) { earlier_.swap(options_); }
  OptionBatch(const OptionBatch&) = delete;
  OptionBatch& operator=(const OptionBatch&) = delete;
  ~OptionBatch() {
    options_.insert(options_.begin(), std::make_move_iterator(earlier_.begin()),
                    std::make_move_iterator(earlier_.end()));
  }

 private:
  // CLI::App keeps its options in a protected member; a pointer to it, formed in a class
  // derived from App, reaches it (never instantiated).
  struct Access : CLI::App {
    static std::vector<CLI::Option_p>& options(CLI::App& app) { return app.*(&Access::options_); }
  };
  std::vector<CLI::Option_p>& options_;
  std::vector<CLI::Option_p> earlier_;
};

}  // namespace mydocker::cli

namespace mydocker::cli {

// The flag names a command line may use, for the commands that add options through Flags
// (run, create): every word of it that starts with '-' (a superset: values and the
// container's own arguments count too). While one is set, Flags adds only the options it
// names: CLI11 spends about 14,000 instructions constructing each option, and `run` has 80 of
// them, most never given (0.25 ms of every run). parse_command_line sets it, and parses again
// with every option when the first parse fails (the errors and "did you mean" suggestions are
// then the full command's).
class FlagFilter {
 public:
  // nullptr: every option.
  static const std::vector<std::string>*& current() {
    static const std::vector<std::string>* names = nullptr;
    return names;
  }
  // What it did (tests check that it filters, and that a good command line parses without
  // falling back to every option).
  struct Counts {
    int skipped = 0;    // options not added
    int fallbacks = 0;  // parses done again with every option
  };
  static Counts& counts() {
    static Counts c;
    return c;
  }
  // "-m,--mem,--memory": whether one of the names is wanted (a positional always is). No
  // allocation: most of `run`'s options are asked about and dropped.
  static bool wants(std::string_view names) {
    const auto* given = current();
    if (!given) return true;
    while (!names.empty()) {
      const size_t comma = names.find(',');
      const std::string_view name = names.substr(0, comma);
      if (!name.empty() &&
          (name[0] != '-' || std::find(given->begin(), given->end(), name) != given->end()))
        return true;
      names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 1);
    }
    return false;
  }
};

// CLI::App's add_option and add_flag, through FlagFilter: an option not wanted is not added,
// and what is chained onto it (->check, ->multi_option_policy) goes to a sink option.
class Flags {
 public:
  explicit Flags(CLI::App& app) : app_(app) {}
  CLI::App& app() { return app_; }
  // The names and help become strings only for an option that is added.
  template <typename T>
  CLI::Option* add_option(std::string_view names, T& into, std::string_view help = {}) {
    return FlagFilter::wants(names) ? app_.add_option(std::string(names), into, std::string(help))
                                    : sink();
  }
  template <typename T>
  CLI::Option* add_flag(std::string_view names, T& into, std::string_view help = {}) {
    return FlagFilter::wants(names) ? app_.add_flag(std::string(names), into, std::string(help))
                                    : sink();
  }
  CLI::Option* set_help_flag(const std::string& names, const std::string& help) {
    return app_.set_help_flag(names, help);
  }

 private:
  static CLI::Option* sink() {
    ++FlagFilter::counts().skipped;
    static CLI::App holder;
    static CLI::Option* option = holder.add_option("--not-added");
    return option;
  }
  CLI::App& app_;
};

}  // namespace mydocker::cli
