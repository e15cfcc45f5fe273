#include "mydocker/util/stdio.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string_view>

#include "mydocker/util/fd.hpp"

namespace mydocker {
namespace {

// fopencookie's write: all of it, waiting where the pipe is full; -1 once the reader is gone.
ssize_t write_waiting(void* cookie, const char* data, size_t size) {
  const int fd = static_cast<int>(reinterpret_cast<intptr_t>(cookie));
  return write_all_waiting(fd, std::string_view(data, size)) ? static_cast<ssize_t>(size) : -1;
}

std::FILE* waiting_stream(int fd, bool unbuffered) {
  cookie_io_functions_t io{};
  io.write = write_waiting;
  std::FILE* f = ::fopencookie(reinterpret_cast<void*>(static_cast<intptr_t>(fd)), "w", io);
  if (f && unbuffered) std::setvbuf(f, nullptr, _IONBF, 0);
  return f;
}

bool nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && (flags & O_NONBLOCK) != 0;
}

}  // namespace

void wait_on_nonblocking_stdio() {
  if (nonblocking(STDOUT_FILENO))
    if (std::FILE* f = waiting_stream(STDOUT_FILENO, false)) stdout = f;
  if (nonblocking(STDERR_FILENO))
    if (std::FILE* f = waiting_stream(STDERR_FILENO, true)) stderr = f;
}

}  // namespace mydocker
