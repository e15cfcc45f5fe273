#pragma once
// RAII for file descriptors.

#include <unistd.h>

#include <string_view>
#include <utility>

struct open_how;  // <linux/openat2.h>

namespace mydocker {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A pipe whose both ends are O_CLOEXEC.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
};
[[nodiscard]] Pipe make_pipe();
// A socket pair for a parent and its child, both ends O_CLOEXEC and two-way: `write` is the
// parent's end, `read` the child's (the names of a pipe, for the direction of the config).
[[nodiscard]] Pipe make_channel();
// Sends / receives one fd over a unix socket (SCM_RIGHTS). Return false on error (errno set).
bool send_fd(int socket, int fd);
int receive_fd(int socket);  // -1 on error or EOF

// write(2) of the whole buffer, retrying EINTR and short writes. Returns false on error (errno
// set).
bool write_all(int fd, const void* data, size_t size);
// write_all() to an fd that may be non-blocking (a caller's stdout): where it is full, waits
// (poll) until its reader makes room instead of failing with EAGAIN. False once it is gone.
bool write_all_waiting(int fd, std::string_view data);
// read(2) of exactly `size` bytes, retrying EINTR. Returns the bytes read (less at EOF), -1 on
// error.
ssize_t read_full(int fd, void* data, size_t size);

// openat2(2), retried while the kernel answers EAGAIN or EINTR: with RESOLVE_IN_ROOT or
// RESOLVE_BENEATH a ".." on the way fails with EAGAIN whenever a rename or mount happened
// anywhere during the lookup (any busy machine). -1 with errno otherwise.
int openat2_retry(int dirfd, const char* path, const ::open_how& how);

}  // namespace mydocker
