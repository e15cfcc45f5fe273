#include "mydocker/spec/layer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <string>

#include "../fake_cgroupfs.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"

namespace mydocker {
namespace {

ino_t inode(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

void touch(const std::string& path) { test::put_file(path, ""); }

class SpareLayer : public ::testing::Test {
 protected:
  // A --rm container's layer as its overlay left it: what it wrote in upper, the volatile
  // marker in work/work.
  std::string ended_layer(const std::string& id, const std::string& owner = "/run/mydocker") {
    const std::string files = container_files_dir(data_, id);
    make_container_layer(files, owner, true);
    touch(files + "/upper/written");
    for (const char* d : {"/work/work", "/work/work/incompat", "/work/work/incompat/volatile"})
      EXPECT_EQ(::mkdir((files + d).c_str(), 0), 0) << d;
    touch(files + "/work/work/incompat/volatile/dirty");
    return files;
  }

  test::TempDir tmp_;
  const std::string data_ = tmp_.path() + "/data";
  const std::string spare_ = spare_layer_dir(data_, "/run/mydocker");
};

TEST_F(SpareLayer, AnEndedLayerLeavesItsDirectoriesButNotItsFilesToTheNextRun) {
  if (::geteuid() != 0) GTEST_SKIP() << "the next upper is given to root: root only";
  const std::string files = ended_layer("a");
  const ino_t work = inode(files + "/work");
  const ino_t upper = inode(files + "/upper");
  const ino_t marker = inode(files + "/work/work/incompat/volatile");
  ASSERT_TRUE(keep_spare_layer(files, "/run/mydocker"));
  EXPECT_FALSE(test::path_exists(files));
  EXPECT_FALSE(test::path_exists(spare_ + "/work/work"));  // the next mount makes it anew
  EXPECT_EQ(container_files_owner(spare_), "/run/mydocker");
  // The next upper is the marker's directory, emptied: never the old upper (all the container
  // wrote is gone with it).
  EXPECT_EQ(inode(spare_ + "/upper"), marker);
  EXPECT_NE(inode(spare_ + "/upper"), upper);

  const std::string next = container_files_dir(data_, "b");
  ASSERT_TRUE(take_spare_layer(next, "/run/mydocker"));
  EXPECT_EQ(inode(next + "/work"), work);
  struct stat st {};
  ASSERT_EQ(::stat((next + "/upper").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_TRUE(list_dir(next + "/upper").empty());
  EXPECT_FALSE(test::path_exists(spare_));
  EXPECT_FALSE(take_spare_layer(container_files_dir(data_, "c"), "/run/mydocker"));
}

// A kernel without `volatile` leaves no marker: the next run makes its upper directory.
TEST_F(SpareLayer, WithoutAMarkerTheNextRunMakesItsUpper) {
  const std::string files = ended_layer("a");
  remove_tree(files + "/work/work");
  ASSERT_TRUE(keep_spare_layer(files, "/run/mydocker"));
  EXPECT_FALSE(test::path_exists(spare_ + "/upper"));
  const std::string next = container_files_dir(data_, "b");
  ASSERT_TRUE(take_spare_layer(next, "/run/mydocker"));
  EXPECT_TRUE(list_dir(next + "/upper").empty());
}

// An `rm -f` that gave up waiting for the supervisor keeping the spare may have removed part
// of it: the layer taken has its upper and work directories all the same.
TEST_F(SpareLayer, ASpareMissingItsWorkDirectoryIsTakenWithOne) {
  ASSERT_TRUE(keep_spare_layer(ended_layer("a"), "/run/mydocker"));
  remove_tree(spare_ + "/work");
  const std::string next = container_files_dir(data_, "b");
  ASSERT_TRUE(take_spare_layer(next, "/run/mydocker"));
  EXPECT_TRUE(test::path_exists(next + "/upper"));
  EXPECT_TRUE(test::path_exists(next + "/work"));
}

TEST_F(SpareLayer, OnlyALayerOfItsOwnStateRootWithNothingButItsLayersIsKept) {
  const std::string other = ended_layer("a", "/run/other");
  EXPECT_FALSE(keep_spare_layer(other, "/run/mydocker"));
  EXPECT_TRUE(test::path_exists(other + "/upper/written"));  // not ours: untouched

  const std::string userns = ended_layer("b");  // --userns private: lower/ besides
  ASSERT_EQ(::mkdir((userns + "/lower").c_str(), 0755), 0);
  EXPECT_FALSE(keep_spare_layer(userns, "/run/mydocker"));
  EXPECT_FALSE(test::path_exists(spare_));
  EXPECT_FALSE(take_spare_layer(container_files_dir(data_, "c"), "/run/mydocker"));
}

TEST_F(SpareLayer, ThereIsOneSpareAndASecondLayerIsLeftToItsCaller) {
  if (::geteuid() != 0) GTEST_SKIP() << "the next upper is given to root: root only";
  ASSERT_TRUE(keep_spare_layer(ended_layer("a"), "/run/mydocker"));
  const std::string second = ended_layer("b");
  EXPECT_FALSE(keep_spare_layer(second, "/run/mydocker"));
  EXPECT_TRUE(test::path_exists(second + "/upper/written"));  // the caller's to remove
  EXPECT_TRUE(list_dir(spare_ + "/upper").empty());
}

// After 64 runs a spare goes: the next layer is made where no run freed inodes lately.
TEST_F(SpareLayer, ASpareServesSixtyFourRunsThenGoes) {
  if (::geteuid() != 0) GTEST_SKIP() << "the next upper is given to root: root only";
  ASSERT_TRUE(keep_spare_layer(ended_layer("a"), "/run/mydocker"));
  const ino_t first = inode(spare_);
  for (int run = 2; run <= 63; ++run) {
    const std::string files = container_files_dir(data_, "r" + std::to_string(run));
    ASSERT_TRUE(take_spare_layer(files, "/run/mydocker")) << run;
    for (const char* d : {"/work/work", "/work/work/incompat", "/work/work/incompat/volatile"})
      ASSERT_EQ(::mkdir((files + d).c_str(), 0), 0) << d;
    ASSERT_TRUE(keep_spare_layer(files, "/run/mydocker")) << run;
  }
  EXPECT_EQ(inode(spare_), first);
  const std::string last = container_files_dir(data_, "last");
  ASSERT_TRUE(take_spare_layer(last, "/run/mydocker"));
  EXPECT_FALSE(keep_spare_layer(last, "/run/mydocker"));  // the 64th: left to its caller
  EXPECT_FALSE(test::path_exists(spare_));
}

// containers/ spreads its children over the filesystem's groups (ext4's "top directory" flag,
// chattr +T), where the filesystem has the flag.
TEST_F(SpareLayer, TheLayersDirectorySpreadsItsChildren) {
  make_container_layer(container_files_dir(data_, "a"), "/run/mydocker", true);
  UniqueFd fd(::open((data_ + "/containers").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(fd);
  struct statfs sfs {};
  ASSERT_EQ(::fstatfs(fd.get(), &sfs), 0);
  if (sfs.f_type != EXT4_SUPER_MAGIC) GTEST_SKIP() << "not ext4: the flag is ext4's";
  int flags = 0;
  ASSERT_EQ(::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags), 0);
  EXPECT_TRUE(flags & FS_TOPDIR_FL);
}

TEST_F(SpareLayer, PruneRemovesTheSpareOfItsStateRootAndWhatAKilledPruneLeft) {
  ASSERT_TRUE(keep_spare_layer(ended_layer("a"), "/run/mydocker"));
  ASSERT_TRUE(keep_spare_layer(ended_layer("b", "/run/other"), "/run/other"));
  const std::string leftover = data_ + "/containers/.removing-x";
  ASSERT_EQ(::mkdir(leftover.c_str(), 0700), 0);
  touch(leftover + "/f");

  const auto removed = remove_spare_layers(data_, "/run/mydocker");
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_FALSE(test::path_exists(spare_));
  EXPECT_FALSE(test::path_exists(leftover));
  EXPECT_TRUE(test::path_exists(spare_layer_dir(data_, "/run/other")));
  EXPECT_TRUE(remove_spare_layers(data_, "/run/mydocker").empty());
}

}  // namespace
}  // namespace mydocker
