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

namespace mydocker::cli {

// Constructs the standard streams (once) before CLI11 prints to them.
inline void with_streams() { static std::ios_base::Init init; }

}  // namespace mydocker::cli
