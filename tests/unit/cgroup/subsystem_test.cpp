// The helpers every controller shares: rmdir with back-off, path helpers, reading numbers.

#include "mydocker/cgroup/subsystem.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <limits>
#include <string>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cgroup/v1/memory.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using test::put_file;
using test::TraceCapture;

class SubsystemTest : public test::FakeCgroupTest {};

TEST(ParentDir, DropsTheLastComponent) {
  EXPECT_EQ(parent_dir("/a/b/c"), "/a/b");
  EXPECT_EQ(parent_dir("/a/b/"), "/a");
  EXPECT_EQ(parent_dir("/a"), "/");
  EXPECT_EQ(parent_dir("/"), "/");
  EXPECT_EQ(parent_dir("a"), ".");
  EXPECT_EQ(parent_dir("a/b"), "a");
}

TEST_F(SubsystemTest, ExistingDirIsTheDirectoryOrItsNearestExistingAncestor) {
  fs_->add_root("memory");
  ASSERT_TRUE(fs_->make_dir(path("memory/a")));
  EXPECT_EQ(existing_dir(*fs_, path("memory/a")), path("memory/a"));
  EXPECT_EQ(existing_dir(*fs_, path("memory/a/b/c")), path("memory/a"));
  EXPECT_EQ(existing_dir(*fs_, "/no-such-dir-for-mydocker-tests/x"), "/");
}

TEST_F(SubsystemTest, ReadU64ReadsOneNumber) {
  fs_->add_root("memory");
  put_file(path("n"), "12345\n");
  put_file(path("max"), "max\n");
  put_file(path("junk"), "junk\n");
  put_file(path("empty"), "");
  EXPECT_EQ(read_u64(*fs_, path("n")), 12345u);
  EXPECT_EQ(read_u64(*fs_, path("max")), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(read_u64(*fs_, path("junk")), 0u);
  EXPECT_EQ(read_u64(*fs_, path("empty")), 0u);
  EXPECT_EQ(read_u64(*fs_, path("missing")), 0u);
}

TEST_F(SubsystemTest, RemoveCgroupDirRemovesTheCgroupWithItsFiles) {
  fs_->add_root("memory");
  const std::string dir = path("memory/" + test::kId);
  ASSERT_TRUE(fs_->make_dir(dir));
  ASSERT_TRUE(fs_->exists(dir + "/memory.limit_in_bytes"));

  remove_cgroup_dir(*fs_, dir, test::kId);

  EXPECT_FALSE(fs_->exists(dir));
}

TEST_F(SubsystemTest, RemoveCgroupDirOfAMissingDirectoryIsDone) {
  EXPECT_NO_THROW(remove_cgroup_dir(*fs_, path("memory/" + test::kId), test::kId));
}

TEST_F(SubsystemTest, RemoveCgroupDirThrowsForErrorsOtherThanBusy) {
  fs_->add_root("memory");
  const std::string dir = path("memory/" + test::kId);
  put_file(dir, "");  // not a directory: ENOTDIR

  try {
    remove_cgroup_dir(*fs_, dir, test::kId);
    FAIL() << "no exception";
  } catch (const FsError& e) {
    EXPECT_EQ(e.path(), dir);
    EXPECT_EQ(e.err(), ENOTDIR);
  }
  EXPECT_TRUE(fs_->exists(dir));
}

// A container may make cgroups in its own (--privileged: its /sys/fs/cgroup is writable), and
// the kernel refuses to remove a cgroup that has any (EBUSY; the fake's plain directories say
// ENOTEMPTY): they go first, deepest first, as runc removes them.
TEST_F(SubsystemTest, RemoveCgroupDirRemovesTheCgroupsTheContainerMadeInIt) {
  fs_->add_root("memory");
  const std::string dir = path("memory/" + test::kId);
  ASSERT_TRUE(fs_->make_dir(dir));
  for (const char* child : {"/a", "/a/b", "/a/b/c", "/d"}) ASSERT_TRUE(fs_->make_dir(dir + child));

  remove_cgroup_dir(*fs_, dir, test::kId);

  EXPECT_FALSE(fs_->exists(dir));
}

TEST_F(SubsystemTest, RemoveCgroupDirKillsAndRemovesOnlyInItsContainersOwnDirectory) {
  // Busy makes it kill what is listed and remove what is below: only in the directory of the
  // container it names.
  fs_->add_root("memory");
  const std::string dir = path("memory/" + test::kOtherId);
  ASSERT_TRUE(fs_->make_dir(dir));
  ASSERT_TRUE(fs_->make_dir(dir + "/child"));
  EXPECT_THROW(remove_cgroup_dir(*fs_, dir, test::kId), Error);
  EXPECT_TRUE(fs_->exists(dir + "/child"));
  EXPECT_THROW(kill_cgroup_procs(*fs_, dir, test::kId), Error);
}

TEST_F(SubsystemTest, ApplyWritesThePidIntoCgroupProcs) {
  // Dry-run: no pid is ever put into a file (kill_cgroup_procs would SIGKILL it).
  fs_->add_root("memory");
  const test::FakeCgroupFs dry(root_, /*dry_run=*/true);
  v1::Memory memory;
  TraceCapture capture;

  memory.apply(dry, path("memory/c"), 4242);
  memory.apply(dry, path("memory/c"), 0);

  EXPECT_EQ(capture.lines(), (std::vector<std::string>{
                                 "+ echo 4242 > " + path("memory/c/cgroup.procs"),
                                 "+ echo $PID > " + path("memory/c/cgroup.procs"),
                             }));
}

}  // namespace
}  // namespace mydocker
