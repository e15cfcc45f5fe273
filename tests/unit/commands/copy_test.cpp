// cp's argument and path rules (docker's), and diff's reading of an overlay upper directory.

#include "mydocker/commands/copy.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

TEST(CopyArgs, ContainerLocalAndStream) {
  auto c = parse_copy_endpoint("web:/etc/passwd");
  EXPECT_EQ(c.container, "web");
  EXPECT_EQ(c.path, "/etc/passwd");
  // Relative to the container's root, as docker.
  EXPECT_EQ(parse_copy_endpoint("web:tmp//x/").path, "/tmp/x/");
  EXPECT_EQ(parse_copy_endpoint("web:").path, "/");
  // Absolute or starting with '.': local even with a colon.
  EXPECT_EQ(parse_copy_endpoint("/tmp/a:b").container, "");
  EXPECT_EQ(parse_copy_endpoint("./a:b").path, "./a:b");
  EXPECT_EQ(parse_copy_endpoint("plain").container, "");
  EXPECT_TRUE(parse_copy_endpoint("-").stream);
}

TEST(CopyArgs, ExactlyOneContainer) {
  EXPECT_NO_THROW(make_copy_request("c:/x", "-", false, false));
  EXPECT_NO_THROW(make_copy_request("-", "c:/x", true, false));
  try {
    make_copy_request("a:/x", "b:/y", false, false);
    FAIL() << "two containers accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 125);
    EXPECT_NE(std::string(e.what()).find("copying between containers"), std::string::npos);
  }
  try {
    make_copy_request("/x", "./y", false, false);
    FAIL() << "two local paths accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'/x'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_copy_request("", "c:/x", false, false), Error);
}

TEST(CopyPaths, RootName) {
  EXPECT_EQ(copy_root_name("/etc/passwd"), "passwd");
  EXPECT_EQ(copy_root_name("/etc/"), "etc");
  EXPECT_EQ(copy_root_name("/etc/."), ".");
  EXPECT_EQ(copy_root_name("/etc/./"), ".");
  EXPECT_EQ(copy_root_name("/"), ".");
  EXPECT_EQ(copy_root_name("file"), "file");
}

TEST(CopyPaths, FileToMissingExistingFileAndDirectory) {
  // DEST missing: saved under DEST's name in its parent.
  auto p = plan_extract("/out/new", {false, false}, "passwd", false);
  EXPECT_EQ(p.dir, "/out");
  EXPECT_EQ(p.rename_to, "new");
  // DEST missing with a trailing '/': it must exist.
  EXPECT_THROW(plan_extract("/out/new/", {false, false}, "passwd", false), Error);
  // DEST a file: overwritten.
  p = plan_extract("/out/old", {true, false}, "passwd", false);
  EXPECT_EQ(p.dir, "/out");
  EXPECT_EQ(p.rename_to, "old");
  EXPECT_THROW(plan_extract("/out/old/", {true, false}, "passwd", false), Error);
  // DEST a directory: into it, under SRC's name.
  p = plan_extract("/out", {true, true}, "passwd", false);
  EXPECT_EQ(p.dir, "/out");
  EXPECT_EQ(p.rename_to, "passwd");
  EXPECT_EQ(plan_extract("rel", {false, false}, "f", false).dir, ".");
}

TEST(CopyPaths, DirectoryRules) {
  // DEST missing: made, with SRC's contents (with or without a trailing '/').
  auto p = plan_extract("/out/new/", {false, false}, "etc", true);
  EXPECT_EQ(p.dir, "/out");
  EXPECT_EQ(p.rename_to, "new");
  // DEST a directory: SRC inside it; SRC/. only its contents.
  p = plan_extract("/out", {true, true}, "etc", true);
  EXPECT_EQ(p.rename_to, "etc");
  p = plan_extract("/out", {true, true}, ".", true);
  EXPECT_EQ(p.dir, "/out");
  EXPECT_EQ(p.rename_to, "");
  // DEST a file: docker's error.
  try {
    plan_extract("/out/file", {true, false}, "etc", true);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot copy a directory to a file"), std::string::npos);
  }
}

TEST(CopyPaths, RebaseEntries) {
  EXPECT_EQ(rebase_entry("etc", "etc", "new"), "new");
  EXPECT_EQ(rebase_entry("etc/", "etc", "new"), "new");
  EXPECT_EQ(rebase_entry("etc/a/b", "etc", "new"), "new/a/b");
  EXPECT_EQ(rebase_entry("etc/a", "etc", "etc"), "etc/a");
  EXPECT_EQ(rebase_entry("./a", ".", ""), "a");
  EXPECT_EQ(rebase_entry("./", ".", ""), "");
  EXPECT_EQ(rebase_entry("./a", ".", "new"), "new/a");
  // Nothing outside the root entry passes.
  EXPECT_THROW(rebase_entry("etcx/a", "etc", "new"), Error);
  EXPECT_THROW(rebase_entry("../x", "etc", "new"), Error);
}

// ---- overlay_changes on a temp upper directory and image layer ----

class OverlayChanges : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mydocker-diff-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* d :
         {"/upper", "/lower", "/lower/etc", "/lower/var", "/lower/var/log", "/lower/bin"})
      ASSERT_EQ(::mkdir((dir_ + d).c_str(), 0755), 0);
    write("/lower/etc/motd", "image");
    write("/lower/etc/passwd", "root");
    write("/lower/bin/sh", "sh");
  }
  void TearDown() override { (void)std::system(("rm -rf " + dir_).c_str()); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ + rel) << text; }
  // An upper directory copied up from the lower one: same mode and times.
  void copy_up(const std::string& rel) {
    ASSERT_EQ(std::system(("cp -a --no-dereference " + dir_ + "/lower" + rel + " " + dir_ +
                           "/upper" + rel + " && rm -rf " + dir_ + "/upper" + rel + "/*")
                              .c_str()),
              0);
  }
  std::string lines() {
    std::string out;
    for (const auto& c : overlay_changes(dir_ + "/upper", {dir_ + "/lower"}))
      out += std::string(1, c.kind) + " " + c.path + "\n";
    return out;
  }
  std::string dir_;
};

TEST_F(OverlayChanges, AddedChangedAndParents) {
  copy_up("/etc");
  write("/upper/etc/motd", "changed");
  write("/upper/etc/xx", "x");  // as many entries, names as long: the same size as the image's
  ASSERT_EQ(std::system(("touch -r " + dir_ + "/lower/etc " + dir_ + "/upper/etc").c_str()), 0);
  ASSERT_EQ(::mkdir((dir_ + "/upper/data").c_str(), 0755), 0);
  write("/upper/data/f", "x");
  ASSERT_EQ(::symlink("/etc", (dir_ + "/upper/evil").c_str()), 0);
  // /etc looks as in the image: not listed for itself, but as the parent of an A, when that A
  // comes (docker's order: after the C of /etc/motd).
  EXPECT_EQ(lines(),
            "A /data\n"
            "A /data/f\n"
            "C /etc/motd\n"
            "C /etc\n"
            "A /etc/xx\n"
            "A /evil\n");
}

TEST_F(OverlayChanges, WhiteoutsAndOpaqueDirectories) {
  if (::geteuid() != 0) GTEST_SKIP() << "whiteouts are 0:0 character devices: mknod needs root";
  copy_up("/etc");
  copy_up("/var");
  ASSERT_EQ(::mknod((dir_ + "/upper/etc/passwd").c_str(), S_IFCHR | 0, ::makedev(0, 0)), 0);
  ASSERT_EQ(::mknod((dir_ + "/upper/bin").c_str(), S_IFCHR | 0, ::makedev(0, 0)), 0);
  // /var/log removed and made again: opaque.
  ASSERT_EQ(::mkdir((dir_ + "/upper/var/log").c_str(), 0700), 0);
  if (::setxattr((dir_ + "/upper/var/log").c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0)
    GTEST_SKIP() << "no trusted xattrs on this filesystem";
  write("/upper/var/log/new", "x");
  EXPECT_EQ(lines(),
            "D /bin\n"
            "C /etc\n"
            "D /etc/passwd\n"
            "C /var\n"
            "D /var/log\n"
            "A /var/log/new\n");
}

TEST_F(OverlayChanges, CopiedUpDirectoryIsNotListedForItself) {
  // /etc copied up for its files: its own mode, size (as many entries) and mtime are the
  // image's, so only the files are changes.
  copy_up("/etc");
  write("/upper/etc/motd", "changed");
  write("/upper/etc/passwd", "changed");
  ASSERT_EQ(std::system(("touch -r " + dir_ + "/lower/etc " + dir_ + "/upper/etc").c_str()), 0);
  EXPECT_EQ(lines(), "C /etc/motd\nC /etc/passwd\n");
}

}  // namespace
}  // namespace mydocker
