#pragma once
// Errors are values with context, thrown up to main and printed there once.

#include <stdexcept>
#include <string>

namespace mydocker {

// The exit-code contract (docker's): the command's own status, 128+N for signal N, and these.
inline constexpr int kExitSetupError = 125;  // mydocker itself failed: bad flag or value, setup
inline constexpr int kExitCannotExec = 126;  // the command exists but cannot be executed
inline constexpr int kExitNotFound = 127;    // the command was not found

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = kExitSetupError)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// What a reference names does not exist (docker's "No such container: ...").
class NotFound : public Error {
 public:
  using Error::Error;
};

// A failed system call: "<what>: <strerror>", with the errno kept for callers that branch on it.
class SysError : public Error {
 public:
  SysError(int err, const std::string& what);
  int err() const noexcept { return err_; }

 private:
  int err_;
};

// Throws SysError for the current errno.
[[noreturn]] void throw_errno(const std::string& what);

std::string errno_text(int err);

}  // namespace mydocker
