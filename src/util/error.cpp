#include "mydocker/util/error.hpp"

#include <cerrno>
#include <cstring>

namespace mydocker {

std::string errno_text(int err) { return std::strerror(err); }

SysError::SysError(int err, const std::string& what)
    : Error(what + ": " + errno_text(err)), err_(err) {}

void throw_errno(const std::string& what) { throw SysError(errno, what); }

}  // namespace mydocker
