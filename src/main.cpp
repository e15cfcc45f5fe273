// mydocker: `init` is dispatched before anything else, so the container's init path runs no
// CLI11 and no logger set-up.

#include <cstring>

#include "mydocker/cli/cli.hpp"
#include "mydocker/init/init.hpp"
#include "mydocker/oci/cli.hpp"
#include "mydocker/util/timing.hpp"

int main(int argc, char** argv) {
  mydocker::timing::mark(argc >= 2 && std::strcmp(argv[1], "init") == 0 ? "init: exec" : "main");
  if (argc >= 2 && std::strcmp(argv[1], "init") == 0) return mydocker::init_main(argc, argv);
  // The OCI runtime: `mydocker oci ...`, or this binary started as `mydocker-runc` (the name
  // containerd's BinaryName and podman's --runtime point to).
  const char* base = std::strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  if (std::strcmp(base, "mydocker-runc") == 0) return mydocker::oci::main(argc, argv, 1);
  if (argc >= 2 && std::strcmp(argv[1], "oci") == 0) return mydocker::oci::main(argc, argv, 2);
  return mydocker::cli::main(argc, argv);
}
