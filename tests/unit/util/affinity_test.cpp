#include "mydocker/util/affinity.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mydocker {
namespace {

cpu_set_t affinity_of(pid_t pid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(::sched_getaffinity(pid, sizeof set, &set), 0);
  return set;
}

// A child that waits until its pipe closes.
struct Child {
  int fds[2] = {-1, -1};
  pid_t pid = -1;
  Child() {
    EXPECT_EQ(::pipe(fds), 0);
    pid = ::fork();
    if (pid == 0) {
      char b;
      ::close(fds[1]);
      (void)!::read(fds[0], &b, 1);
      ::_exit(0);
    }
    ::close(fds[0]);
  }
  ~Child() {
    ::close(fds[1]);
    ::waitpid(pid, nullptr, 0);
  }
};

TEST(Affinity, AChildLeavesOurCpuAndGetsItsOwnBack) {
  const cpu_set_t ours = affinity_of(0);
  Child child;
  ASSERT_GT(child.pid, 0);
  const auto had = move_off_this_cpu(child.pid);
  if (CPU_COUNT(&ours) < 2) {
    EXPECT_FALSE(had) << "one CPU: nowhere else to go";
    return;
  }
  ASSERT_TRUE(had);
  EXPECT_TRUE(CPU_EQUAL(&*had, &ours));
  const cpu_set_t moved = affinity_of(child.pid);
  EXPECT_EQ(CPU_COUNT(&moved), CPU_COUNT(&ours) - 1) << "all of ours but one";
  restore_affinity(child.pid, *had);
  const cpu_set_t back = affinity_of(child.pid);
  EXPECT_TRUE(CPU_EQUAL(&back, &ours));
}

TEST(Affinity, NothingChangesWithOneCpu) {
  Child child;
  ASSERT_GT(child.pid, 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(::sched_getcpu(), &one);
  ASSERT_EQ(::sched_setaffinity(child.pid, sizeof one, &one), 0);
  EXPECT_FALSE(move_off_this_cpu(child.pid));
  const cpu_set_t still = affinity_of(child.pid);
  EXPECT_TRUE(CPU_EQUAL(&still, &one));
}

}  // namespace
}  // namespace mydocker
