#pragma once
// Running a host program to its end: `nft` for the firewall's table, `ps` for `top`'s options.
// No shell: argv as given.

#include <string>
#include <vector>

namespace mydocker {

struct ProgramResult {
  int status = 0;      // its exit status, 128 + N for signal N
  std::string output;  // what it wrote on stdout (and stderr, when asked)
};

// Runs `file` (a path, or a name looked up in PATH) with `argv` (argv[0] included), `input` on
// its stdin, and waits for it. Throws SysError when it cannot be started.
ProgramResult run_program(const std::string& file, const std::vector<std::string>& argv,
                          const std::string& input = "", bool with_stderr = false);

}  // namespace mydocker
