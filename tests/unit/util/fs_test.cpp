// Fs: the one helper for cgroupfs reads and writes, on a plain temp dir.

#include "mydocker/util/fs.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using test::get_file;
using test::is_dir;
using test::put_file;
using test::TraceCapture;

class FsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir(); }
  void TearDown() override { test::remove_tree(dir_); }
  std::string path(const std::string& rel) const { return dir_ + "/" + rel; }

  std::string dir_;
  Fs fs_;
};

TEST_F(FsTest, ReadReturnsTheWholeFile) {
  put_file(path("f"), "line 1\nline 2\n");
  EXPECT_EQ(fs_.read(path("f")), "line 1\nline 2\n");
}

TEST_F(FsTest, ReadsFilesLargerThanOneBuffer) {
  const std::string big(10000, 'x');
  put_file(path("big"), big);
  EXPECT_EQ(fs_.read(path("big")), big);
}

TEST_F(FsTest, ReadOfAMissingFileThrowsFsErrorWithPathAndErrno) {
  try {
    (void)fs_.read(path("missing"));
    FAIL() << "no exception";
  } catch (const FsError& e) {
    EXPECT_EQ(e.err(), ENOENT);
    EXPECT_EQ(e.path(), path("missing"));
    EXPECT_NE(std::string(e.what()).find(path("missing")), std::string::npos) << e.what();
  }
}

TEST_F(FsTest, ReadIfExistsReturnsNulloptForAMissingFile) {
  EXPECT_EQ(fs_.read_if_exists(path("missing")), std::nullopt);
  put_file(path("f"), "x");
  EXPECT_EQ(fs_.read_if_exists(path("f")), "x");
}

TEST_F(FsTest, ReadIfExistsStillThrowsForOtherErrors) {
  // Reading a directory fails with EISDIR, which is not "missing".
  EXPECT_THROW((void)fs_.read_if_exists(dir_), FsError);
}

TEST_F(FsTest, WriteStoresTheValueInAnExistingFile) {
  put_file(path("memory.limit_in_bytes"), "");
  fs_.write(path("memory.limit_in_bytes"), "104857600");
  EXPECT_EQ(get_file(path("memory.limit_in_bytes")), "104857600");
}

TEST_F(FsTest, WriteReplacesTheWholePreviousValue) {
  // As on cgroupfs, where a read shows the value last written: "0" over "60\n" reads "0".
  put_file(path("memory.swappiness"), "60\n");
  fs_.write(path("memory.swappiness"), "0");
  EXPECT_EQ(get_file(path("memory.swappiness")), "0");
}

TEST_F(FsTest, WriteVerifiedAcceptsAValueThatReadsBack) {
  put_file(path("cpu.cfs_quota_us"), "");
  EXPECT_NO_THROW(fs_.write_verified(path("cpu.cfs_quota_us"), "20000"));
  EXPECT_EQ(get_file(path("cpu.cfs_quota_us")), "20000");
}

TEST_F(FsTest, WriteVerifiedAcceptsAShorterValueThanTheOldOne) {
  put_file(path("cpu.shares"), "1024\n");
  EXPECT_NO_THROW(fs_.write_verified(path("cpu.shares"), "512"));
}

TEST_F(FsTest, WriteVerifiedComparesWithTheExpectedReading) {
  // The kernel rounds memory limits to pages: "expect" is what it reads back.
  put_file(path("memory.limit_in_bytes"), "");
  try {
    fs_.write_verified(path("memory.limit_in_bytes"), "1000", "4096");
    FAIL() << "no exception";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("did not take \"1000\""), std::string::npos) << what;
    EXPECT_NE(what.find("reads \"1000\""), std::string::npos) << what;
    EXPECT_NE(what.find("expected \"4096\""), std::string::npos) << what;
    EXPECT_NE(what.find(path("memory.limit_in_bytes")), std::string::npos) << what;
  }
}

TEST_F(FsTest, WriteVerifiedReadsBackAValueLongerThanItsBuffer) {
  // Read back through the descriptor it wrote with; a reading that fills that buffer is read
  // again whole.
  put_file(path("cpuset.cpus"), "");
  const std::string value(300, '7');
  EXPECT_NO_THROW(fs_.write_verified(path("cpuset.cpus"), value));
  EXPECT_THROW(fs_.write_verified(path("cpuset.cpus"), value, value + "8"), Error);
}

TEST_F(FsTest, WriteEachWritesEveryValueInOrderThroughOneDescriptor) {
  // On cgroupfs each write(2) is one entry (devices.allow); on a plain file, one descriptor
  // shows as the values one after the other (a reopen per value would leave the last only).
  put_file(path("devices.allow"), "old");
  TraceCapture trace;
  fs_.write_each(path("devices.allow"), {"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm"});
  EXPECT_EQ(get_file(path("devices.allow")), "c 1:3 rwmc 1:5 rwmc 1:7 rwm");
  EXPECT_NE(trace.text().find("echo 'c 1:5 rwm' > "), std::string::npos) << trace.text();
}

TEST_F(FsTest, WriteEachNamesTheFileAndValueWhenItCannotOpen) {
  try {
    fs_.write_each(path("devices.alow"), {"a *:* rwm"});
    FAIL() << "no exception";
  } catch (const FsError& e) {
    EXPECT_EQ(e.err(), ENOENT);
    EXPECT_EQ(e.path(), path("devices.alow"));
    EXPECT_EQ(e.value(), "a *:* rwm");
  }
  EXPECT_NO_THROW(fs_.write_each(path("nothing-written"), {}));
}

TEST_F(FsTest, WriteVerifiedDoesNotReadBackInDryRun) {
  const Fs dry(true);
  EXPECT_NO_THROW(dry.write_verified(path("missing"), "1", "2"));
}

TEST_F(FsTest, WriteNeverCreatesAFile) {
  try {
    fs_.write(path("memory.limit_in_byte"), "104857600");  // a typo
    FAIL() << "no exception";
  } catch (const FsError& e) {
    EXPECT_EQ(e.err(), ENOENT);
    EXPECT_EQ(e.path(), path("memory.limit_in_byte"));
    EXPECT_EQ(e.value(), "104857600");
    const std::string what = e.what();
    EXPECT_NE(what.find(path("memory.limit_in_byte")), std::string::npos) << what;
    EXPECT_NE(what.find("104857600"), std::string::npos) << what;
    EXPECT_EQ(what,
              "write \"104857600\" to " + path("memory.limit_in_byte") + ": " + errno_text(ENOENT));
  }
  EXPECT_FALSE(fs_.exists(path("memory.limit_in_byte")));
}

TEST_F(FsTest, FsErrorIsASysErrorAndAnError) {
  FsError e(EBUSY, "write", "/a/b", "42");
  const SysError& sys = e;
  const Error& err = e;
  EXPECT_EQ(sys.err(), EBUSY);
  EXPECT_EQ(err.exit_code(), kExitSetupError);
  EXPECT_EQ(e.path(), "/a/b");
  EXPECT_EQ(e.value(), "42");
  EXPECT_EQ(std::string(e.what()), "write \"42\" to /a/b: " + errno_text(EBUSY));
  EXPECT_EQ(std::string(FsError(ENOENT, "rmdir", "/a").what()), "rmdir /a: " + errno_text(ENOENT));
}

TEST_F(FsTest, MakeDirCreatesAndReportsWhetherItWasNew) {
  EXPECT_TRUE(fs_.make_dir(path("d")));
  EXPECT_TRUE(is_dir(path("d")));
  EXPECT_FALSE(fs_.make_dir(path("d")));
}

TEST_F(FsTest, MakeDirThrowsWhenTheParentIsMissing) {
  try {
    (void)fs_.make_dir(path("no/such"));
    FAIL() << "no exception";
  } catch (const FsError& e) {
    EXPECT_EQ(e.err(), ENOENT);
    EXPECT_EQ(e.path(), path("no/such"));
  }
}

TEST_F(FsTest, RemoveDirRemovesAnEmptyDirectory) {
  ASSERT_TRUE(fs_.make_dir(path("d")));
  EXPECT_EQ(fs_.remove_dir(path("d")), 0);
  EXPECT_FALSE(fs_.exists(path("d")));
}

TEST_F(FsTest, RemoveDirOfAMissingDirectoryCountsAsDone) {
  EXPECT_EQ(fs_.remove_dir(path("missing")), 0);
}

TEST_F(FsTest, RemoveDirReturnsTheErrnoOfOtherFailures) {
  ASSERT_TRUE(fs_.make_dir(path("d")));
  put_file(path("d/f"), "");
  EXPECT_EQ(fs_.remove_dir(path("d")), ENOTEMPTY);
  EXPECT_TRUE(is_dir(path("d")));
}

TEST_F(FsTest, ExistsSeesFilesAndDirectories) {
  put_file(path("f"), "");
  EXPECT_TRUE(fs_.exists(path("f")));
  EXPECT_TRUE(fs_.exists(dir_));
  EXPECT_FALSE(fs_.exists(path("missing")));
}

TEST_F(FsTest, TracesWritesAndDirectoryChangesAsShellLines) {
  put_file(path("cpu.shares"), "");
  TraceCapture capture;

  fs_.write(path("cpu.shares"), "512");
  (void)fs_.make_dir(path("d"));
  (void)fs_.remove_dir(path("d"));

  EXPECT_EQ(capture.text(), "+ echo 512 > " + path("cpu.shares") + "\n+ mkdir " + path("d") +
                                "\n+ rmdir " + path("d") + "\n");
}

TEST_F(FsTest, TraceQuotesValuesThatNeedIt) {
  put_file(path("f"), "");
  TraceCapture capture;
  fs_.write(path("f"), "a b");
  EXPECT_EQ(capture.text(), "+ echo 'a b' > " + path("f") + "\n");
}

TEST_F(FsTest, DryRunPrintsChangesAndMakesNone) {
  put_file(path("cpu.shares"), "1024\n");
  ASSERT_TRUE(fs_.make_dir(path("existing")));
  const Fs dry(true);
  ASSERT_TRUE(dry.dry_run());
  TraceCapture capture;

  dry.write(path("cpu.shares"), "512");
  EXPECT_TRUE(dry.make_dir(path("new")));
  EXPECT_FALSE(dry.make_dir(path("existing")));  // exists: no "mkdir" printed
  EXPECT_EQ(dry.remove_dir(path("existing")), 0);
  dry.write(path("missing"), "1");  // not checked in dry-run

  EXPECT_EQ(capture.lines(), (std::vector<std::string>{
                                 "+ echo 512 > " + path("cpu.shares"),
                                 "+ mkdir " + path("new"),
                                 "+ rmdir " + path("existing"),
                                 "+ echo 1 > " + path("missing"),
                             }));
  EXPECT_EQ(get_file(path("cpu.shares")), "1024\n");
  EXPECT_FALSE(dry.exists(path("new")));
  EXPECT_TRUE(is_dir(path("existing")));
  EXPECT_FALSE(dry.exists(path("missing")));
}

TEST_F(FsTest, DryRunStillReads) {
  put_file(path("f"), "value\n");
  const Fs dry(true);
  EXPECT_EQ(dry.read(path("f")), "value\n");
  EXPECT_EQ(dry.read_if_exists(path("missing")), std::nullopt);
}

TEST(PathJoin, JoinsWithExactlyOneSlash) {
  EXPECT_EQ(path_join("/a", "b"), "/a/b");
  EXPECT_EQ(path_join("/a/", "b"), "/a/b");
  EXPECT_EQ(path_join("/a", "/b"), "/a/b");
  EXPECT_EQ(path_join("/a//", "//b//"), "/a/b");
  EXPECT_EQ(path_join("/a", "b/c"), "/a/b/c");
  EXPECT_EQ(path_join("/", "b"), "/b");
  EXPECT_EQ(path_join("/", "/"), "/");
  EXPECT_EQ(path_join("/a", ""), "/a");
  EXPECT_EQ(path_join("/a", "/"), "/a");
  EXPECT_EQ(path_join("", "b"), "b");
  EXPECT_EQ(path_join("a", "b"), "a/b");
}

// Go's filepath.Clean, which runc applies to root.path (joined to the bundle) and cgroupsPath.
TEST(CleanPath, GivesTheShortestLexicalForm) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "."},
      {".", "."},
      {"./rootfs", "rootfs"},
      {"rootfs/", "rootfs"},
      {"/abs//rootfs", "/abs/rootfs"},
      {"/b/bundle/../other/rootfs", "/b/other/rootfs"},
      {"/b/./x/./", "/b/x"},
      {"/..", "/"},
      {"/../x", "/x"},
      {"/", "/"},
      {"//", "/"},
      {"x/..", "."},
      {"x/../..", ".."},
      {"../a", "../a"},
      {"../../a/b/../c", "../../a/c"},
      {"a/b/../../..", ".."},
  };
  for (const auto& [in, want] : cases)
    EXPECT_EQ(clean_path(in), want) << "clean_path(\"" << in << "\")";
}

// ---- WriteJournal: a change made of several writes, taken back ----

TEST_F(FsTest, JournalUndoPutsBackWhatEachFileHeldNewestFirst) {
  put_file(path("memory.max"), "max\n");
  put_file(path("cpu.weight"), "100\n");
  WriteJournal journal(fs_);
  fs_.write(path("memory.max"), "83886080");
  fs_.write_verified(path("cpu.weight"), "39");
  fs_.write(path("memory.max"), "104857600");  // written twice: the first value comes back

  EXPECT_TRUE(journal.undo().empty());

  EXPECT_EQ(get_file(path("memory.max")), "max");
  EXPECT_EQ(get_file(path("cpu.weight")), "100");
  fs_.write(path("cpu.weight"), "50");  // what was undone is forgotten; this one is new
  EXPECT_TRUE(journal.undo().empty());
  EXPECT_EQ(get_file(path("cpu.weight")), "100");
  EXPECT_EQ(get_file(path("memory.max")), "max");
}

TEST_F(FsTest, JournalWritesBackEachLineOfAFileListingSeveral) {
  put_file(path("io.weight"), "default 100\n8:0 200\n");
  WriteJournal journal(fs_);
  fs_.write(path("io.weight"), "default 500");
  TraceCapture trace;
  EXPECT_TRUE(journal.undo().empty());
  EXPECT_EQ(trace.lines(), (std::vector<std::string>{"+ echo 'default 100' > " + path("io.weight"),
                                                     "+ echo '8:0 200' > " + path("io.weight")}));
}

TEST_F(FsTest, JournalUndoSaysWhatCouldNotBePutBack) {
  put_file(path("a"), "1");
  WriteJournal journal(fs_);
  fs_.write(path("a"), "2");
  ASSERT_EQ(::unlink(path("a").c_str()), 0);  // gone meanwhile: cannot be written back
  const auto left = journal.undo();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_NE(left.front().find(path("a")), std::string::npos) << left.front();
}

TEST_F(FsTest, NothingIsRememberedOnceTheJournalIsGone) {
  put_file(path("a"), "1");
  {
    WriteJournal journal(fs_);
    fs_.write(path("a"), "2");
  }  // kept: only undo() takes back
  EXPECT_EQ(get_file(path("a")), "2");
  WriteJournal later(fs_);
  EXPECT_TRUE(later.undo().empty());
  EXPECT_EQ(get_file(path("a")), "2");
}

TEST(Trim, DropsTrailingWhitespaceAndLeadingBlanks) {
  EXPECT_EQ(trim("100000\n"), "100000");
  EXPECT_EQ(trim("  x \t\r\n"), "x");
  EXPECT_EQ(trim("\tx"), "x");
  EXPECT_EQ(trim("a b"), "a b");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("\n"), "");
  EXPECT_EQ(trim(" \n "), "");
}

}  // namespace
}  // namespace mydocker
