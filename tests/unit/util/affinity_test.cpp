#include "mydocker/util/affinity.hpp"

#include <gtest/gtest.h>
#include <sched.h>
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

// Where it runs is the scheduler's to say; what it may use must not change.
TEST(Affinity, ANudgedChildKeepsItsCpus) {
  Child child;
  ASSERT_GT(child.pid, 0);
  const cpu_set_t had = affinity_of(child.pid);
  nudge_off_this_cpu(child.pid);
  const cpu_set_t now = affinity_of(child.pid);
  EXPECT_TRUE(CPU_EQUAL(&now, &had));
}

TEST(Affinity, OneCpuIsLeftAlone) {
  Child child;
  ASSERT_GT(child.pid, 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(::sched_getcpu(), &one);
  ASSERT_EQ(::sched_setaffinity(child.pid, sizeof one, &one), 0);
  nudge_off_this_cpu(child.pid);
  const cpu_set_t still = affinity_of(child.pid);
  EXPECT_TRUE(CPU_EQUAL(&still, &one));
}

}  // namespace
}  // namespace mydocker
