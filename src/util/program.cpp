#include "mydocker/util/program.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"

extern char** environ;

namespace mydocker {

ProgramResult run_program(const std::string& file, const std::vector<std::string>& argv,
                          const std::string& input, bool with_stderr) {
  Pipe in = make_pipe(), output = make_pipe();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in.read.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, output.write.get(), 1);
  if (with_stderr) posix_spawn_file_actions_adddup2(&fa, output.write.get(), 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, file.c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  in.read.reset();
  output.write.reset();
  if (rc != 0) throw SysError(rc, "cannot run " + file);
  (void)write_all(in.write.get(), input.data(), input.size());  // EPIPE: it did not read
  in.write.reset();
  ProgramResult r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(output.read.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) r.output.append(buf, static_cast<size_t>(n));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace mydocker
