// extract_tar and write_tar on temp trees: what an import keeps (files, modes, symlinks, hard
// links, fifos, mtimes, xattrs; owners and devices as root), the compressions it detects, the
// digest it returns, the traversal attacks it refuses, and the round trip through write_tar.
// Tarballs are built here with libarchive's writer.

#include "mydocker/image/tar.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "mydocker/image/content.hpp"
#include "mydocker/image/crc64.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using test::get_file;
using test::put_file;

constexpr time_t kMtime = 1700000000;  // 2023-11-14

struct Entry {
  std::string path{};
  mode_t type = AE_IFREG;
  mode_t perm = 0644;
  std::string data{};      // a file's content
  std::string symlink{};   // a symlink's target
  std::string hardlink{};  // a hard link's target (type ignored)
  time_t mtime = kMtime;
  dev_t rdev = 0;
  int64_t uid = 0, gid = 0;
  std::map<std::string, std::string> xattrs{};
};

la_ssize_t append(archive*, void* out, const void* buf, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), size);
  return static_cast<la_ssize_t>(size);
}

// A pax tar of `entries`, padded to tar's 10240-byte blocks.
std::string make_tar(const std::vector<Entry>& entries) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open(a, &out, nullptr, append, nullptr);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_mtime(entry, e.mtime, 0);
    archive_entry_set_uid(entry, e.uid);
    archive_entry_set_gid(entry, e.gid);
    archive_entry_set_perm(entry, e.perm);
    if (!e.hardlink.empty()) {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_hardlink(entry, e.hardlink.c_str());
    } else {
      archive_entry_set_filetype(entry, e.type);
      if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.symlink.c_str());
      if (e.type == AE_IFREG) archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
      if (e.type == AE_IFCHR || e.type == AE_IFBLK) archive_entry_set_rdev(entry, e.rdev);
    }
    for (const auto& [name, value] : e.xattrs)
      archive_entry_xattr_add_entry(entry, name.c_str(), value.data(), value.size());
    EXPECT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << e.path;
    if (!e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// `data` compressed with libarchive filter `filter` (ARCHIVE_FILTER_GZIP...), nothing else.
std::string compress(const std::string& data, int filter) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  EXPECT_EQ(archive_write_add_filter(a, filter), ARCHIVE_OK);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, append, nullptr);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
  archive_write_header(a, entry);
  archive_write_data(a, data.data(), data.size());
  archive_entry_free(entry);
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// An fd reading `bytes` from the start.
UniqueFd input(const std::string& bytes) {
  UniqueFd fd(::memfd_create("tar", MFD_CLOEXEC));
  if (!fd || !write_all(fd.get(), bytes.data(), bytes.size()) || ::lseek(fd.get(), 0, SEEK_SET))
    throw std::runtime_error("memfd");
  return fd;
}

// The entry names of the tar in `bytes`.
std::vector<std::string> names_in(const std::string& bytes) {
  std::vector<std::string> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, bytes.data(), bytes.size());
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK)
    out.push_back(archive_entry_pathname(entry));
  archive_read_free(a);
  return out;
}

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw std::runtime_error("lstat " + path);
  return st;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string link_target(const std::string& path) {
  return std::filesystem::read_symlink(path).string();
}

std::string xattr_of(const std::string& path, const std::string& name) {
  char buf[256];
  const ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

// Every path under `dir` with what a tar keeps of it: type, mode, size, mtime (seconds),
// owners, device number, content or link target, and a user xattr.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string path = e.path().string();
    const struct stat st = lstat_of(path);
    std::string d = std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
                    std::to_string(st.st_mtim.tv_sec) + " " + std::to_string(st.st_uid) + ":" +
                    std::to_string(st.st_gid) + " " + std::to_string(st.st_rdev) + " " +
                    xattr_of(path, "user.mydocker");
    if (S_ISREG(st.st_mode)) d += " " + get_file(path);
    if (S_ISLNK(st.st_mode)) d += " -> " + link_target(path);
    out[path.substr(dir.size() + 1)] = d;
  }
  return out;
}

// The error extract_tar throws, or "" when it does not.
std::string extract_error(const std::string& bytes, const std::string& dest) {
  try {
    (void)extract_tar(input(bytes).get(), dest);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool root() { return ::geteuid() == 0; }

class TarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = test::make_temp_dir();
    dest_ = root_ + "/dest";
    outside_ = root_ + "/outside";
    ::mkdir(dest_.c_str(), 0755);
    ::mkdir(outside_.c_str(), 0755);
  }
  // Opens up read-only directories first: a non-root user cannot empty them otherwise.
  void TearDown() override {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(root_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->symlink_status().type() == std::filesystem::file_type::directory)
        ::chmod(it->path().c_str(), 0700);
    test::remove_tree(root_);
  }
  std::string at(const std::string& rel) const { return dest_ + "/" + rel; }

  std::string root_, dest_, outside_;
};

// ---- extract_tar: what it keeps ----

TEST_F(TarTest, ExtractKeepsFilesModesSymlinksHardLinksFifosAndMtimes) {
  const std::string bytes = make_tar({
      {.path = "etc", .type = AE_IFDIR, .perm = 0755, .mtime = kMtime - 100},
      {.path = "etc/hostname", .data = "box\n"},
      {.path = "bin/tool", .perm = 0750, .data = "#!/bin/sh\n"},
      {.path = "bin/sh", .type = AE_IFLNK, .perm = 0777, .symlink = "tool"},
      {.path = "lib", .type = AE_IFLNK, .perm = 0777, .symlink = "/usr/lib"},
      {.path = "bin/tool2", .hardlink = "bin/tool"},
      {.path = "run/fifo", .type = AE_IFIFO, .perm = 0620},
      {.path = "secret", .perm = 0600, .data = ""},
  });

  const std::string digest = extract_tar(input(bytes).get(), dest_);

  EXPECT_EQ(digest, sha256_hex(bytes));
  EXPECT_EQ(get_file(at("etc/hostname")), "box\n");
  EXPECT_EQ(lstat_of(at("etc/hostname")).st_mode, S_IFREG | 0644);
  EXPECT_EQ(lstat_of(at("etc/hostname")).st_mtim.tv_sec, kMtime);
  EXPECT_EQ(lstat_of(at("etc")).st_mode, S_IFDIR | 0755);
  EXPECT_EQ(lstat_of(at("etc")).st_mtim.tv_sec, kMtime - 100);  // after its files were written
  EXPECT_EQ(lstat_of(at("bin/tool")).st_mode, S_IFREG | 0750);
  EXPECT_EQ(link_target(at("bin/sh")), "tool");
  EXPECT_EQ(link_target(at("lib")), "/usr/lib");  // absolute targets are kept as they are
  EXPECT_EQ(lstat_of(at("bin/tool2")).st_ino, lstat_of(at("bin/tool")).st_ino);
  EXPECT_EQ(lstat_of(at("run/fifo")).st_mode, S_IFIFO | 0620);
  EXPECT_EQ(lstat_of(at("secret")).st_mode, S_IFREG | 0600);
  EXPECT_EQ(lstat_of(at("secret")).st_size, 0);
}

TEST_F(TarTest, ExtractOfRootEntryAndDotSlashPathsLandsInDest) {
  const std::string bytes = make_tar({{.path = "./", .type = AE_IFDIR, .perm = 0700},
                                      {.path = "./etc/", .type = AE_IFDIR, .perm = 0755},
                                      {.path = "./etc/hostname", .data = "box\n"}});

  (void)extract_tar(input(bytes).get(), dest_);

  EXPECT_EQ(get_file(at("etc/hostname")), "box\n");
  EXPECT_EQ(lstat_of(dest_).st_mode, S_IFDIR | 0755);  // dest keeps its own mode
}

TEST_F(TarTest, ExtractOwnersAsRoot) {
  const std::string bytes = make_tar({{.path = "owned", .data = "x", .uid = 1234, .gid = 5678}});

  (void)extract_tar(input(bytes).get(), dest_);

  const struct stat st = lstat_of(at("owned"));
  if (root()) {
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 5678u);
  } else {
    EXPECT_EQ(st.st_uid, ::geteuid());  // not root: the files are the caller's
  }
}

TEST_F(TarTest, ExtractDeviceNodesAsRootSkipsThemOtherwise) {
  const std::string bytes = make_tar({
      {.path = "dev/null", .type = AE_IFCHR, .perm = 0666, .rdev = makedev(1, 3)},
      {.path = "dev/loop9", .type = AE_IFBLK, .perm = 0660, .rdev = makedev(7, 9)},
      {.path = "after", .data = "still here"},
  });

  (void)extract_tar(input(bytes).get(), dest_);

  EXPECT_EQ(get_file(at("after")), "still here");
  if (!root()) {
    EXPECT_FALSE(exists(at("dev/null")));
    EXPECT_FALSE(exists(at("dev/loop9")));
    return;
  }
  EXPECT_EQ(lstat_of(at("dev/null")).st_mode, S_IFCHR | 0666);
  EXPECT_EQ(lstat_of(at("dev/null")).st_rdev, makedev(1, 3));
  EXPECT_EQ(lstat_of(at("dev/loop9")).st_mode, S_IFBLK | 0660);
  EXPECT_EQ(lstat_of(at("dev/loop9")).st_rdev, makedev(7, 9));
}

TEST_F(TarTest, ExtractKeepsXattrs) {
  put_file(root_ + "/probe", "");
  if (::setxattr((root_ + "/probe").c_str(), "user.probe", "1", 1, 0) != 0)
    GTEST_SKIP() << "no user xattrs on " << root_;
  const std::string bytes =
      make_tar({{.path = "f", .data = "x", .xattrs = {{"user.mydocker", "hello"}}}});

  (void)extract_tar(input(bytes).get(), dest_);

  EXPECT_EQ(xattr_of(at("f"), "user.mydocker"), "hello");
}

TEST_F(TarTest, ExtractOverwritesAnEarlierEntryOfTheSameName) {
  const std::string bytes =
      make_tar({{.path = "f", .data = "first"}, {.path = "f", .perm = 0600, .data = "second"}});

  (void)extract_tar(input(bytes).get(), dest_);

  EXPECT_EQ(get_file(at("f")), "second");
  EXPECT_EQ(lstat_of(at("f")).st_mode, S_IFREG | 0600);
}

TEST_F(TarTest, ExtractOfALargeFile) {
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);

  (void)extract_tar(input(make_tar({{.path = "big", .data = big}})).get(), dest_);

  EXPECT_TRUE(get_file(at("big")) == big);
}

// ---- extract_tar: compressions and the digest ----

class TarCompressionTest : public TarTest, public ::testing::WithParamInterface<int> {};

TEST_P(TarCompressionTest, IsDetectedAndTheDigestIsOfTheUncompressedStream) {
  const std::string plain = make_tar({{.path = "etc/hostname", .data = "box\n"}});
  const std::string packed = compress(plain, GetParam());
  ASSERT_NE(packed, plain);

  const std::string digest = extract_tar(input(packed).get(), dest_);

  EXPECT_EQ(get_file(at("etc/hostname")), "box\n");
  EXPECT_EQ(digest, sha256_hex(plain));
}

INSTANTIATE_TEST_SUITE_P(Filters, TarCompressionTest,
                         ::testing::Values(ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_XZ,
                                           ARCHIVE_FILTER_ZSTD, ARCHIVE_FILTER_BZIP2),
                         [](const auto& info) {
                           switch (info.param) {
                             case ARCHIVE_FILTER_GZIP:
                               return std::string("gzip");
                             case ARCHIVE_FILTER_XZ:
                               return std::string("xz");
                             case ARCHIVE_FILTER_ZSTD:
                               return std::string("zstd");
                             default:
                               return std::string("bzip2");
                           }
                         });

TEST_F(TarTest, DigestCoversTheBytesAfterTheArchiveEnd) {
  const std::string bytes = make_tar({{.path = "f", .data = "x"}});

  const std::string padded = extract_tar(input(bytes + std::string(512, '\0')).get(), dest_);

  EXPECT_EQ(padded, sha256_hex(bytes + std::string(512, '\0')));
  EXPECT_NE(padded, sha256_hex(bytes));
}

// ---- extract_tar: bad input ----

TEST_F(TarTest, ExtractOfSomethingElseFails) {
  EXPECT_NE(
      extract_error("hello, this is not a tar archive\n", dest_).find("import: not a tar archive"),
      std::string::npos);
  EXPECT_EQ(extract_error("", dest_), "import: the input is empty");
}

TEST_F(TarTest, ExtractFromAnUnreadableFdFails) {
  UniqueFd dir(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));

  try {
    (void)extract_tar(dir.get(), dest_);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "import: cannot read the input: Is a directory");
  }
}

TEST_F(TarTest, ExtractOfATruncatedArchiveFails) {
  const std::string bytes = make_tar({{.path = "f", .data = std::string(5000, 'x')}});

  const std::string error = extract_error(bytes.substr(0, 2048), dest_);

  EXPECT_NE(error.find("import: entry f"), std::string::npos) << error;
}

TEST_F(TarTest, ExtractIntoAMissingDirectoryFails) {
  const std::string error = extract_error(make_tar({{.path = "f"}}), root_ + "/missing");

  EXPECT_NE(error.find("import: cannot enter " + root_ + "/missing"), std::string::npos) << error;
}

TEST_F(TarTest, ExtractPutsTheWorkingDirectoryBack) {
  const auto before = std::filesystem::current_path();

  (void)extract_tar(input(make_tar({{.path = "f"}})).get(), dest_);
  (void)extract_error(make_tar({{.path = "../f"}}), dest_);

  EXPECT_EQ(std::filesystem::current_path(), before);
}

// ---- extract_tar: nothing lands outside dest ----

TEST_F(TarTest, DotDotIsRefused) {
  for (const std::string name : {"../evil", "a/../../evil", "./../evil", "a/b/../../../evil"}) {
    const std::string error = extract_error(make_tar({{.path = name, .data = "x"}}), dest_);

    EXPECT_EQ(error, "import: entry " + name + ": path leaves the image");
    EXPECT_FALSE(exists(root_ + "/evil")) << name;
  }
}

TEST_F(TarTest, AbsolutePathsLandInside) {
  const std::string bytes = make_tar(
      {{.path = "/abs/path", .data = "inside"}, {.path = "//etc///hostname", .data = "box"}});

  (void)extract_tar(input(bytes).get(), dest_);

  EXPECT_EQ(get_file(at("abs/path")), "inside");
  EXPECT_EQ(get_file(at("etc/hostname")), "box");
  EXPECT_FALSE(exists("/abs/path"));
}

TEST_F(TarTest, WritingThroughASymlinkToEtcIsRefused) {
  const std::string before = get_file("/etc/passwd");
  const std::string bytes =
      make_tar({{.path = "link", .type = AE_IFLNK, .perm = 0777, .symlink = "/etc"},
                {.path = "link/passwd", .data = "evil::0:0::/:/bin/sh\n"}});

  const std::string error = extract_error(bytes, dest_);

  EXPECT_NE(error.find("import: entry link/passwd: "), std::string::npos) << error;
  EXPECT_EQ(get_file("/etc/passwd"), before);
}

TEST_F(TarTest, WritingThroughASymlinkOutsideIsRefused) {
  for (const std::string& target :
       std::vector<std::string>{outside_, "../outside", "../../../../../../../.." + outside_}) {
    const std::string bytes =
        make_tar({{.path = "link", .type = AE_IFLNK, .perm = 0777, .symlink = target},
                  {.path = "link/planted", .data = "evil"},
                  {.path = "link/sub/planted", .data = "evil"}});

    const std::string error = extract_error(bytes, dest_);

    EXPECT_NE(error.find("import: entry link/planted: "), std::string::npos) << error;
    EXPECT_TRUE(std::filesystem::is_empty(outside_)) << target;
    std::filesystem::remove(at("link"));
  }
}

TEST_F(TarTest, HardLinksOutsideAreRefused) {
  put_file(root_ + "/x", "outside");
  for (const std::string target : {"../../x", "../x", "a/../../x"}) {
    const std::string error = extract_error(make_tar({{.path = "x", .hardlink = target}}), dest_);

    EXPECT_EQ(error, "import: entry x: hard link to " + target + " leaves the image");
    EXPECT_FALSE(exists(at("x")));
  }
  EXPECT_EQ(lstat_of(root_ + "/x").st_nlink, 1u);
}

TEST_F(TarTest, HardLinksThroughASymlinkAreRefused) {
  put_file(outside_ + "/secret", "outside");
  const std::string bytes = make_tar({
      {.path = "link", .type = AE_IFLNK, .perm = 0777, .symlink = outside_},
      {.path = "hl", .hardlink = "link/secret"},
  });

  const std::string error = extract_error(bytes, dest_);

  EXPECT_NE(error.find("import: entry hl: "), std::string::npos) << error;
  EXPECT_FALSE(exists(at("hl")));
  EXPECT_EQ(lstat_of(outside_ + "/secret").st_nlink, 1u);
}

TEST_F(TarTest, AbsoluteHardLinkTargetsStayInside) {
  const std::string bytes = make_tar(
      {{.path = "etc/hostname", .data = "box"}, {.path = "h", .hardlink = "/etc/hostname"}});

  (void)extract_tar(input(bytes).get(), dest_);

  EXPECT_EQ(lstat_of(at("h")).st_ino, lstat_of(at("etc/hostname")).st_ino);
}

TEST_F(TarTest, ASymlinkReplacedByALaterDirectoryIsNotFollowed) {
  const std::string bytes =
      make_tar({{.path = "link", .type = AE_IFLNK, .perm = 0777, .symlink = outside_},
                {.path = "link", .type = AE_IFDIR, .perm = 0755},
                {.path = "link/f", .data = "inside"}});

  (void)extract_tar(input(bytes).get(), dest_);

  EXPECT_TRUE(S_ISDIR(lstat_of(at("link")).st_mode));
  EXPECT_EQ(get_file(at("link/f")), "inside");
  EXPECT_TRUE(std::filesystem::is_empty(outside_));
}

// ---- write_tar ----

class TarRoundTripTest : public TarTest {
 protected:
  void SetUp() override {
    TarTest::SetUp();
    src_ = root_ + "/src";
    ::mkdir(src_.c_str(), 0755);
  }
  std::string src(const std::string& rel) const { return src_ + "/" + rel; }
  void set_mtime(const std::string& rel, time_t when) {
    const timespec times[2] = {{when, 0}, {when, 123456789}};
    ASSERT_EQ(::utimensat(AT_FDCWD, src(rel).c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << rel;
  }
  std::string archive_of_src() {
    UniqueFd out(::memfd_create("out", MFD_CLOEXEC));
    write_tar(src_, out.get());
    const off_t size = ::lseek(out.get(), 0, SEEK_END);
    std::string bytes(static_cast<size_t>(size), '\0');
    EXPECT_EQ(::pread(out.get(), bytes.data(), bytes.size(), 0), size);
    return bytes;
  }

  std::string src_;
};

TEST_F(TarRoundTripTest, WriteThenExtractGivesTheSameTree) {
  ::mkdir(src("etc").c_str(), 0755);
  ::mkdir(src("bin").c_str(), 0711);
  ::mkdir(src("ro").c_str(), 0755);
  ::mkdir(src("run").c_str(), 0755);
  put_file(src("etc/hostname"), "box\n");
  put_file(src("bin/tool"), std::string(200000, 't'));
  ::chmod(src("bin/tool").c_str(), 04755);
  ASSERT_EQ(::link(src("bin/tool").c_str(), src("bin/tool2").c_str()), 0);
  ASSERT_EQ(::symlink("tool", src("bin/sh").c_str()), 0);
  ASSERT_EQ(::symlink("/usr/lib", src("lib").c_str()), 0);
  put_file(src("empty"), "");
  ::chmod(src("empty").c_str(), 0600);
  put_file(src("ro/f"), "read only");
  ASSERT_EQ(::mkfifo(src("run/fifo").c_str(), 0620), 0);
  ::setxattr(src("etc/hostname").c_str(), "user.mydocker", "v", 1, 0);  // where supported
  if (root()) {
    ASSERT_EQ(::chown(src("etc/hostname").c_str(), 1234, 5678), 0);
    ASSERT_EQ(::lchown(src("bin/sh").c_str(), 42, 43), 0);
    ::mkdir(src("dev").c_str(), 0755);
    ASSERT_EQ(::mknod(src("dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  }
  ::chmod(src("ro").c_str(), 0555);
  time_t when = kMtime;
  for (const auto& e : std::filesystem::recursive_directory_iterator(src_))
    set_mtime(e.path().string().substr(src_.size() + 1), when += 60);

  const std::string bytes = archive_of_src();
  (void)extract_tar(input(bytes).get(), dest_);

  EXPECT_EQ(snapshot(dest_), snapshot(src_));
  EXPECT_EQ(lstat_of(at("bin/tool2")).st_ino, lstat_of(at("bin/tool")).st_ino);
}

TEST_F(TarRoundTripTest, PathsAreRelativeWithoutTheRootEntry) {
  ::mkdir(src("etc").c_str(), 0755);
  put_file(src("etc/hostname"), "box\n");
  put_file(src("top"), "x");

  std::vector<std::string> names = names_in(archive_of_src());

  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"etc/", "etc/hostname", "top"}));
}

TEST_F(TarRoundTripTest, SameTreeSameBytes) {
  put_file(src("f"), "x");
  set_mtime("f", kMtime);

  const std::string first = archive_of_src();
  ::utimensat(AT_FDCWD, src("f").c_str(), nullptr, 0);  // atime, ctime and mtime change...
  set_mtime("f", kMtime);                               // ...then the mtime is put back

  EXPECT_EQ(archive_of_src(), first);
}

TEST_F(TarRoundTripTest, SocketsAreSkipped) {
  put_file(src("f"), "x");
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = src("sock");
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::copy(path.begin(), path.end(), addr.sun_path);
  ASSERT_EQ(::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  EXPECT_EQ(names_in(archive_of_src()), std::vector<std::string>{"f"});
}

TEST_F(TarRoundTripTest, WriteOfAMissingDirectoryFails) {
  UniqueFd out(::memfd_create("out", MFD_CLOEXEC));

  try {
    write_tar(root_ + "/missing", out.get());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot archive " + root_ + "/missing"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace mydocker

namespace mydocker {

// SHA-256's known answers (FIPS 180-2), for short inputs (the generic code: the CPU's SHA
// extensions are only detected for hashes over 64 KiB) and a long one fed in pieces (after the
// detection: SHA-NI or AVX2 where the CPU has them), and a short one again after it.
TEST(Sha256, KnownAnswersOnBothPaths) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 sha;
  const std::string piece(1000, 'a');
  for (int i = 0; i < 1000; ++i) sha.update(piece.data(), piece.size());
  EXPECT_EQ(sha.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace mydocker

namespace mydocker {

// CRC-64/XZ's check value ("123456789"), the empty input, and a long input fed in pieces of
// every alignment against the same bytes at once (the 8-byte loop and the tail loop agree).
TEST(Crc64, MatchesXzCheckValues) {
  const std::string nine = "123456789";
  auto crc = [](std::string_view s, uint64_t c = 0) {
    return crc64_xz(reinterpret_cast<const uint8_t*>(s.data()), s.size(), c);
  };
  EXPECT_EQ(crc(nine), 0x995DC9BBDF1939FAULL);
  EXPECT_EQ(crc(""), 0u);
  std::string long_input;
  for (int i = 0; i < 5000; ++i) long_input += static_cast<char>(i * 131 + 7);
  const uint64_t whole = crc(long_input);
  for (size_t cut = 0; cut < 17; ++cut)
    EXPECT_EQ(crc(long_input.substr(cut), crc(long_input.substr(0, cut))), whole) << cut;
}

}  // namespace mydocker
