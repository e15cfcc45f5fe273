#include "mydocker/util/files.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "../fake_cgroupfs.hpp"

namespace mydocker {
namespace {

void touch(const std::string& path) { test::put_file(path, ""); }

// remove_tree(path) in a child that `limit`s itself first: whether the child saw it gone.
bool removed_in_child(const std::string& path, bool (*limit)()) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!limit()) ::_exit(2);
    remove_tree(path);
    ::_exit(test::path_exists(path) ? 1 : 0);
  }
  int status = 0;
  return ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// A container layer as overlayfs leaves it (work/work mode 000, the volatile marker), with an
// image's read-only directories and a symlink that points out of the tree.
TEST(RemoveTree, RemovesANestedTreeWithReadOnlyDirectoriesButNotWhatItsSymlinksPointAt) {
  test::TempDir tmp;
  const std::string layer = tmp.path() + "/layer", outside = tmp.path() + "/outside";
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  touch(outside + "/keep");
  for (const char* d : {"", "/upper", "/upper/proc", "/upper/etc", "/work", "/work/work",
                        "/work/work/incompat", "/work/work/incompat/volatile"})
    ASSERT_EQ(::mkdir((layer + d).c_str(), 0755), 0) << d;
  touch(layer + "/work/work/incompat/volatile/dirty");
  touch(layer + "/upper/etc/passwd");
  ASSERT_EQ(::symlink(outside.c_str(), (layer + "/upper/link").c_str()), 0);
  ASSERT_EQ(::mkdir((layer + "/upper/proc/sub").c_str(), 0755), 0);
  touch(layer + "/upper/proc/sub/file");
  ASSERT_EQ(::chmod((layer + "/upper/proc/sub").c_str(), 0555), 0);
  ASSERT_EQ(::chmod((layer + "/upper/proc").c_str(), 0555), 0);
  ASSERT_EQ(::chmod((layer + "/work/work").c_str(), 0), 0);

  remove_tree(layer);
  EXPECT_FALSE(test::path_exists(layer));
  EXPECT_TRUE(test::path_exists(outside + "/keep"));
}

// Without CAP_DAC_OVERRIDE (a user namespace's root) a 0555 or 000 directory refuses its
// removal until it is opened up.
TEST(RemoveTree, OpensUpDirectoriesThatRefuseAnOwnerWithoutTheOverride) {
  test::TempDir tmp;
  const std::string tree = tmp.path() + "/tree";
  for (const char* d : {"", "/ro", "/ro/sub", "/none"})
    ASSERT_EQ(::mkdir((tree + d).c_str(), 0755), 0) << d;
  touch(tree + "/ro/sub/file");
  touch(tree + "/none/file");
  ASSERT_EQ(::chmod((tree + "/ro/sub").c_str(), 0555), 0);
  ASSERT_EQ(::chmod((tree + "/ro").c_str(), 0555), 0);
  ASSERT_EQ(::chmod((tree + "/none").c_str(), 0), 0);
  EXPECT_TRUE(removed_in_child(tree, [] {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) return false;
    for (const int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH}) data[0].effective &= ~(1u << cap);
    return ::syscall(SYS_capset, &header, data) == 0;
  }));
  EXPECT_FALSE(test::path_exists(tree));
}

// A directory or file read right after a change keeps its atime (relatime would set it: a
// journal handle of its own on ext4).
TEST(OpenNoatime, ListingAndReadingLeaveTheAtimeAlone) {
  test::TempDir tmp;
  struct statvfs vfs {};
  ASSERT_EQ(::statvfs(tmp.path().c_str(), &vfs), 0);
  if (vfs.f_flag & ST_NOATIME) GTEST_SKIP() << "mounted noatime: no atime to keep";
  const std::string dir = tmp.path() + "/dir", file = dir + "/file";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  touch(file);
  const timespec old[2] = {{1000, 0}, {0, UTIME_OMIT}};  // atime long before mtime
  ASSERT_EQ(::utimensat(AT_FDCWD, dir.c_str(), old, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), old, 0), 0);
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"file"});
  const int fd = open_noatime(file.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  char b;
  EXPECT_EQ(::read(fd, &b, 1), 0);
  ::close(fd);
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_atim.tv_sec, 1000);
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_atim.tv_sec, 1000);
}

// A container can leave a tree of any depth in its layer: removed in bounded memory and fds
// (the walk moves what lies deeper than it descends up to the top and goes again).
TEST(RemoveTree, RemovesATreeDeeperThanItsWalkDescends) {
  test::TempDir tmp;
  const std::string top = tmp.path() + "/deep";
  ASSERT_EQ(::mkdir(top.c_str(), 0755), 0);
  int fd = ::open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 300; ++i) {  // 300 levels below the top, a file at the bottom
    ASSERT_EQ(::mkdirat(fd, "d", 0755), 0) << i;
    const int next = ::openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ::close(fd);
    ASSERT_GE(next, 0) << i;
    fd = next;
  }
  const int file = ::openat(fd, "bottom", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  EXPECT_GE(file, 0);
  ::close(file);
  ::close(fd);
  // With 100 descriptors: a walk that kept one open per level could not go 300 deep.
  EXPECT_TRUE(removed_in_child(top, [] {
    const rlimit few{100, 100};
    return ::setrlimit(RLIMIT_NOFILE, &few) == 0;
  }));
  EXPECT_FALSE(test::path_exists(top));
  EXPECT_EQ(list_dir(tmp.path()), std::vector<std::string>{});
}

TEST(RemoveTree, RemovesAFileOrASymlinkAndLeavesAMissingPathAlone) {
  test::TempDir tmp;
  const std::string file = tmp.path() + "/file", dir = tmp.path() + "/dir";
  const std::string link = tmp.path() + "/link";
  touch(file);
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  touch(dir + "/inside");
  ASSERT_EQ(::symlink(dir.c_str(), link.c_str()), 0);

  remove_tree(file);
  remove_tree(link);  // the link, never the directory it names
  remove_tree(tmp.path() + "/missing");
  EXPECT_FALSE(test::path_exists(file));
  EXPECT_FALSE(test::path_exists(link));
  EXPECT_TRUE(test::path_exists(dir + "/inside"));
}

// A volume's first fill and OCI's tmpcopyup: what the tree holds, as it is; links not followed.
TEST(CopyTree, CopiesModesOwnersTimesAndSymlinksAndLeavesDevicesOut) {
  test::TempDir tmp;
  const std::string from = tmp.path() + "/from", to = tmp.path() + "/to";
  const std::string outside = tmp.path() + "/outside";
  ASSERT_EQ(::mkdir(from.c_str(), 0750), 0);
  ASSERT_EQ(::mkdir(to.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((from + "/d").c_str(), 0700), 0);
  test::put_file(from + "/d/f", "data");
  ASSERT_EQ(::chown((from + "/d/f").c_str(), 1234, 5678), 0);
  ASSERT_EQ(::chmod((from + "/d/f").c_str(), 04751), 0);
  const timespec old[2] = {{1000000, 0}, {1000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (from + "/d/f").c_str(), old, 0), 0);
  ASSERT_EQ(::symlink("../../outside", (from + "/d/out").c_str()), 0);
  ASSERT_EQ(::mkfifo((from + "/fifo").c_str(), 0600), 0);
  ASSERT_TRUE(copy_tree(from, to));
  struct stat st {};
  ASSERT_EQ(::stat(to.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u) << "the top directory's mode";
  ASSERT_EQ(::stat((to + "/d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::stat((to + "/d/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04751u) << "set-uid kept (chown first)";
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000);
  EXPECT_EQ(test::get_file(to + "/d/f"), "data");
  char link[64] = {};
  ASSERT_GT(::readlink((to + "/d/out").c_str(), link, sizeof link - 1), 0);
  EXPECT_STREQ(link, "../../outside");
  EXPECT_FALSE(test::path_exists(to + "/fifo"));
  EXPECT_FALSE(test::path_exists(outside + "/f")) << "nothing written through the link";

  // copy_dir_at: into an open directory, which keeps its own mode (a tmpfs's).
  const std::string into = tmp.path() + "/into";
  ASSERT_EQ(::mkdir(into.c_str(), 01777), 0);
  ASSERT_EQ(::chmod(into.c_str(), 01777), 0);
  const int a = ::open(from.c_str(), O_RDONLY | O_DIRECTORY), b = ::open(into.c_str(), O_RDONLY);
  EXPECT_TRUE(copy_dir_at(a, b));
  ::close(a);
  ::close(b);
  EXPECT_EQ(test::get_file(into + "/d/f"), "data");
  ASSERT_EQ(::stat(into.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  EXPECT_FALSE(copy_tree(from + "/d/out", into)) << "a symlink is not a tree to copy";
}

// An image's sparse file at a VOLUME path: 1 GiB of holes with two islands of data must not
// become 1 GiB of the host's disk at the volume's first fill.
TEST(CopyTree, HolesStayHoles) {
  test::TempDir tmp;
  const std::string from = tmp.path() + "/from", to = tmp.path() + "/to";
  ASSERT_EQ(::mkdir(from.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(to.c_str(), 0755), 0);
  const int fd = ::open((from + "/sparse").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "head", 4, 0), 4);
  ASSERT_EQ(::pwrite(fd, "middle", 6, 512 << 20), 6);
  ASSERT_EQ(::ftruncate(fd, 1LL << 30), 0);  // and a hole at the end
  ::close(fd);
  ASSERT_TRUE(copy_tree(from, to));
  struct stat st {};
  ASSERT_EQ(::stat((to + "/sparse").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 1LL << 30);
  EXPECT_LT(st.st_blocks * 512, 1 << 20) << "the holes were written as data";
  const int in = ::open((to + "/sparse").c_str(), O_RDONLY);
  char buf[8] = {};
  EXPECT_EQ(::pread(in, buf, 4, 0), 4);
  EXPECT_STREQ(buf, "head");
  EXPECT_EQ(::pread(in, buf, 6, 512 << 20), 6);
  EXPECT_STREQ(buf, "middle");
  ::close(in);
}

}  // namespace
}  // namespace mydocker
