// mydocker: `init` is dispatched before anything else, so the container's init path runs no
// CLI11 and no logger set-up.

#include <cstring>

#include "mydocker/cli/cli.hpp"
#include "mydocker/image/crc64.hpp"
#include "mydocker/init/init.hpp"
#include "mydocker/oci/cli.hpp"
#include "mydocker/util/stdio.hpp"
#include "mydocker/util/timing.hpp"

#ifdef MYDOCKER_DEFER_OPENSSL_CPUID
// libcrypto (linked statically, for HTTPS to registries) calls OPENSSL_cpuid_setup from .init,
// before main, in every process: 8 `cpuid` instructions, each an exit to the hypervisor in a VM
// (13 µs here), 0.1 ms of every command, and most never use TLS. The link wraps the symbol
// (-Wl,--wrap=OPENSSL_cpuid_setup in CMakeLists.txt): before main this does nothing; from main
// on it is the real one, which OpenSSL's own initialisation (ossl_init_base, run by
// OPENSSL_init_ssl/OPENSSL_init_crypto before any TLS or EVP use) calls first. Until then no
// code of OpenSSL runs; with its capability bits still zero it would only pick generic code.
namespace {
bool g_in_main = false;
}
extern "C" void __real_OPENSSL_cpuid_setup();
extern "C" void __wrap_OPENSSL_cpuid_setup() {
  if (g_in_main) __real_OPENSSL_cpuid_setup();
}
#endif

#ifdef MYDOCKER_OWN_LZMA_CRC64
// xz's block checks (libarchive's xz reader, through liblzma) computed by our CRC-64. Defined
// here, in an object linked before liblzma.a, it is the lzma_crc64 the static link uses, so
// liblzma's own, and the constructor that asks the CPU which one to use, stay out of the binary
// (include/mydocker/image/crc64.hpp).
extern "C" uint64_t lzma_crc64(const uint8_t* buf, size_t size, uint64_t crc) {
  return mydocker::crc64_xz(buf, size, crc);
}
#endif

int main(int argc, char** argv) {
#ifdef MYDOCKER_DEFER_OPENSSL_CPUID
  g_in_main = true;
#endif
  mydocker::timing::mark(argc >= 2 && std::strcmp(argv[1], "init") == 0 ? "init: exec" : "main");
  if (argc >= 2 && std::strcmp(argv[1], "init") == 0) return mydocker::init_main(argc, argv);
  // The OCI runtime: `mydocker oci ...`, or this binary started as `mydocker-runc` (the name
  // containerd's BinaryName and podman's --runtime point to).
  const char* base = std::strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  if (std::strcmp(base, "mydocker-runc") == 0) return mydocker::oci::main(argc, argv, 1);
  if (argc >= 2 && std::strcmp(argv[1], "oci") == 0) return mydocker::oci::main(argc, argv, 2);
  mydocker::wait_on_nonblocking_stdio();
  return mydocker::cli::main(argc, argv);
}
