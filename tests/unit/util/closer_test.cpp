// close_later: the last reference to a descriptor is a child's (the closer), which keeps
// nothing else of ours, and ends by itself.
#include "mydocker/util/closer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../fake_cgroupfs.hpp"

namespace mydocker {
namespace {

// The targets of a process's descriptors.
std::vector<std::string> fd_targets(const std::string& pid) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + pid + "/fd", ec))
    out.push_back(std::filesystem::read_symlink(e.path(), ec).string());
  return out;
}

bool holds(const std::string& pid, const std::string& target) {
  for (const auto& t : fd_targets(pid))
    if (t == target) return true;
  return false;
}

TEST(CloseLater, ARemovedDirectorysLastReferenceIsTheClosersAlone) {
  test::TempDir tmp;
  const std::string dir = tmp.path() + "/gone";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  UniqueFd held(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(held);
  ASSERT_EQ(::rmdir(dir.c_str()), 0);  // gone from every path; the inode lives while held
  UniqueFd other(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  std::vector<UniqueFd> fds;
  fds.push_back(std::move(held));
  close_later(std::move(fds), 500'000'000);  // long enough to look at it

  const std::string deleted = dir + " (deleted)";
  EXPECT_FALSE(holds("self", deleted)) << "our reference is still open";
  std::ifstream children("/proc/thread-self/children");
  pid_t closer = 0;
  children >> closer;
  ASSERT_GT(closer, 0) << "no closer";
  const std::string pid = std::to_string(closer);
  // Its copies of our other descriptors go first (settle_closers waits for that).
  settle_closers();
  EXPECT_TRUE(holds(pid, deleted)) << "the closer does not hold the directory";
  EXPECT_FALSE(holds(pid, "/dev/null")) << "the closer kept a descriptor of ours";
  EXPECT_LE(fd_targets(pid).size(), 2u);  // the directory and its pipe's read end
  // It ends by itself (without an exit signal: waited for with __WALL).
  int status = 0;
  ASSERT_EQ(::waitpid(closer, &status, __WALL), closer);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace mydocker
