// mydocker: `init` is dispatched before anything else, so the container's init path runs no
// CLI11 and no logger set-up.

#include <cstring>

#include "mydocker/cli/cli.hpp"
#include "mydocker/init/init.hpp"
#include "mydocker/util/timing.hpp"

int main(int argc, char** argv) {
  mydocker::timing::mark(argc >= 2 && std::strcmp(argv[1], "init") == 0 ? "init: exec" : "main");
  if (argc >= 2 && std::strcmp(argv[1], "init") == 0) return mydocker::init_main(argc, argv);
  return mydocker::cli::main(argc, argv);
}
