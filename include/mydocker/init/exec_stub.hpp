#pragma once
// The exec stub (src/init/exec_stub/exec_stub.c, embedded at build time): the container's init
// execs the user's command through it, from a sealed memfd, so that nothing of the container
// ever runs or reopens mydocker's own file (CVE-2019-5736). See exec_stub.c.

#include "mydocker/util/fd.hpp"

namespace mydocker {

// A memfd holding the stub, sealed against any change (F_SEAL_WRITE, _SHRINK, _GROW, _SEAL),
// close-on-exec. Throws SysError.
UniqueFd make_exec_stub();

}  // namespace mydocker
