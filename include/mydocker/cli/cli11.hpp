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
#include <iterator>
#include <utility>
#include <vector>

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
