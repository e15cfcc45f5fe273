#pragma once
// Examples shown at the end of a subcommand's --help.

#include <string_view>

namespace mydocker::cli {

// The examples of a command, or nullptr.
const char* command_examples(std::string_view name);

}  // namespace mydocker::cli
