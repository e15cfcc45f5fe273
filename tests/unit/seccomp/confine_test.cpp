// The file helper's confinement (cp, export), checked in a forked child on the real kernel:
// each thing it must not do fails with EPERM, and what a copy needs still works.

#include "mydocker/seccomp/confine.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace {

// Runs `check` in a confined child: its exit status (0 = every expectation held; N = the
// first that failed).
int confined(int (*check)()) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    try {
      mydocker::confine_file_helper();
    } catch (...) {
      ::_exit(100);
    }
    ::_exit(check());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

int denied(long rc) { return rc == -1 && errno == EPERM; }

int forbidden_things() {
  if (::mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) !=
          MAP_FAILED ||
      errno != EPERM)
    return 1;
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 2;  // plain memory still works
  if (!denied(::mprotect(page, 4096, PROT_READ | PROT_EXEC))) return 3;
  if (!denied(::chroot("/"))) return 4;
  char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
  if (!denied(::execv("/bin/true", argv))) return 5;
  if (!denied(::socket(AF_UNIX, SOCK_STREAM, 0))) return 6;
  if (!denied(::unshare(0))) return 7;
  // What a copy does: files made, owned and moded.
  char dir[] = "/tmp/mydocker-confine-XXXXXX";
  if (!::mkdtemp(dir)) return 8;
  const std::string f = std::string(dir) + "/f";
  const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT, 0600);
  if (fd < 0 || ::fchown(fd, 1234, 1234) != 0 || ::fchmod(fd, 04755) != 0) return 9;
  ::close(fd);
  ::unlink(f.c_str());
  ::rmdir(dir);
  return 0;
}

}  // namespace

TEST(ConfineFileHelper, NoCodeNoChrootNoExecNoSocketsButFiles) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (it keeps root's file capabilities)";
  EXPECT_EQ(confined(forbidden_things), 0);
}
