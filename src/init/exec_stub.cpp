#include "mydocker/init/exec_stub.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "mydocker/util/error.hpp"

namespace mydocker {

extern const unsigned char kExecStub[];
extern const std::size_t kExecStub_size;

UniqueFd make_exec_stub() {
  UniqueFd fd(::memfd_create("mydocker-exec-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) throw_errno("memfd_create (the exec stub)");
  if (!write_all(fd.get(), kExecStub, kExecStub_size)) throw_errno("write the exec stub");
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    throw_errno("seal the exec stub");
  return fd;
}

}  // namespace mydocker
