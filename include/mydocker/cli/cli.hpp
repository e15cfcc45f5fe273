#pragma once
// The command line (CLI11 lives only under src/cli/): parses into plain option structs, calls
// the core, and prints errors once, mapped to the exit-code contract.

namespace mydocker::cli {

int main(int argc, char** argv);

}  // namespace mydocker::cli
