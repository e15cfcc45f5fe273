// Image layers (OCI image-spec): a layer's whiteouts become overlayfs' own form when it is
// unpacked, proven by an overlay of two layers on the real kernel; and a hostile layer's
// whiteout cannot reach outside through a symlink.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "integration/harness.hpp"
#include "mydocker/image/tar.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"

namespace itest {
namespace {

namespace fs = std::filesystem;
using mydocker::UniqueFd;

class LayersTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    dir_ = root() + "/layers";
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!mounted_.empty()) ::umount2(mounted_.c_str(), MNT_DETACH);
    IntegrationTest::TearDown();
  }
  void touch(const std::string& path) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << "x";
  }
  // Unpacks the tar `file` into a new directory `dest` as a layer (extract_tar's layer mode).
  void unpack(const std::string& file, const std::string& dest, bool layer = true) {
    fs::create_directories(dest);
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    mydocker::extract_tar(fd.get(), dest,
                          layer ? mydocker::TarKind::kLayer : mydocker::TarKind::kRootfs);
  }
  static bool is_whiteout(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
  }

  std::string dir_, mounted_;
};

TEST_F(LayersTest, WhiteoutsBecomeOverlayfsFormAndHideTheLowerLayer) {
  const std::string base = dir_ + "/base", src = dir_ + "/src", top = dir_ + "/top";
  for (const char* f : {"/a/b", "/a/stays", "/c/old", "/e", "/h"}) touch(base + f);
  // The upper layer as a tar: a deletion, an opaque directory with a new file, a deletion at
  // the root, and a file the same layer also whites out (which stays: it is this layer's).
  for (const char* f :
       {"/a/.wh.b", "/c/.wh..wh..opq", "/c/keep", "/.wh.e", "/h", "/.wh.h", "/.wh..wh.plnk"})
    touch(src + f);
  ASSERT_EQ(run({"tar", "-C", src, "-cf", dir_ + "/top.tar", "."}).status, 0);
  unpack(dir_ + "/top.tar", top);
  EXPECT_TRUE(is_whiteout(top + "/a/b")) << "a/.wh.b did not become a 0:0 character device";
  EXPECT_TRUE(is_whiteout(top + "/e"));
  EXPECT_FALSE(is_whiteout(top + "/h")) << "a whiteout hid a file of its own layer";
  char value[8] = {};
  EXPECT_EQ(::getxattr((top + "/c").c_str(), "trusted.overlay.opaque", value, sizeof value), 1);
  EXPECT_EQ(std::string(value), "y");
  EXPECT_EQ(run({"find", top, "-name", ".wh.*"}).out, "") << "whiteout files were extracted";

  // The kernel's word: an overlay of both layers (lower first: top, then base).
  const std::string merged = dir_ + "/merged";
  fs::create_directories(merged);
  const std::string opts = "lowerdir=" + top + ":" + base;
  ASSERT_EQ(::mount("overlay", merged.c_str(), "overlay", MS_RDONLY, opts.c_str()), 0)
      << std::strerror(errno);
  mounted_ = merged;
  EXPECT_FALSE(fs::exists(merged + "/a/b")) << "the lower layer's a/b shows through";
  EXPECT_TRUE(fs::exists(merged + "/a/stays"));
  EXPECT_FALSE(fs::exists(merged + "/c/old")) << "the opaque directory shows the lower one's";
  EXPECT_TRUE(fs::exists(merged + "/c/keep"));
  EXPECT_FALSE(fs::exists(merged + "/e"));
  EXPECT_TRUE(fs::exists(merged + "/h"));

  // `import` (not a layer) keeps them as the files they are.
  unpack(dir_ + "/top.tar", dir_ + "/flat", false);
  EXPECT_TRUE(fs::exists(dir_ + "/flat/a/.wh.b"));
}

// A layer with a symlink `link` -> a directory outside, and `link/.wh.z` or `link/.wh..wh..opq`:
// nothing is made or marked outside the layer; the unpacking fails naming the entry.
TEST_F(LayersTest, WhiteoutThroughASymlinkIsRefused) {
  const std::string outside = dir_ + "/outside";
  fs::create_directories(outside);
  for (const char* marker : {".wh.z", ".wh..wh..opq"}) {
    const std::string src = dir_ + "/evil-src-" + std::string(marker);
    touch(src + "/evil/" + marker);
    fs::create_directories(src);
    fs::create_directory_symlink(outside, src + "/link");
    const std::string tar = src + ".tar";
    // The symlink, then the marker below it, and no directory entry that would replace it.
    ASSERT_EQ(run({"tar", "-C", src, "--transform", "s,^evil,link,", "-cf", tar, "link",
                   std::string("evil/") + marker})
                  .status,
              0);
    const std::string listing = run({"tar", "-tvf", tar}).out;
    ASSERT_NE(listing.find(std::string("link/") + marker), std::string::npos) << listing;
    const std::string dest = dir_ + "/evil-" + std::string(marker);
    fs::create_directories(dest);
    UniqueFd fd(::open(tar.c_str(), O_RDONLY | O_CLOEXEC));
    try {
      mydocker::extract_tar(fd.get(), dest, mydocker::TarKind::kLayer);
      ADD_FAILURE() << marker << ": a whiteout through a symlink was accepted";
    } catch (const mydocker::Error& e) {
      EXPECT_NE(std::string(e.what()).find(marker), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(fs::symlink_status(outside + "/z"))) << "made outside the layer";
    char value[8] = {};
    EXPECT_LT(::getxattr(outside.c_str(), "trusted.overlay.opaque", value, sizeof value), 0)
        << "marked outside the layer";
  }
}

}  // namespace
}  // namespace itest
