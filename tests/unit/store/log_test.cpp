// LogWriter and parse_log: docker's json-file lines for a detached container's output.

#include "mydocker/store/log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "mydocker/store/state.hpp"
#include "mydocker/util/error.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using nlohmann::json;

constexpr size_t k16KiB = 16 * 1024;

class LogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir();
    path_ = dir_ + "/container.log";
  }
  void TearDown() override { test::remove_tree(dir_); }

  // The file's lines, each parsed (a line that is not JSON fails the test).
  std::vector<json> lines() const {
    std::vector<json> out;
    const std::string text = test::get_file(path_);
    size_t start = 0, nl;
    while ((nl = text.find('\n', start)) != std::string::npos) {
      auto j = json::parse(text.substr(start, nl - start), nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << text.substr(start, nl - start);
      out.push_back(j);
      start = nl + 1;
    }
    EXPECT_EQ(start, text.size()) << "the file does not end with a newline";
    return out;
  }
  // The "log" texts of `got` in order, each checked to be at most 16 KiB (docker's split).
  static std::string joined_pieces(const std::vector<json>& got) {
    std::string joined;
    for (const auto& j : got) {
      const std::string piece = j["log"];
      EXPECT_LE(piece.size(), k16KiB);
      joined += piece;
    }
    return joined;
  }

  std::string dir_, path_;
};

TEST_F(LogWriterTest, WritesOneJsonLinePerCompleteLine) {
  LogWriter w(path_);

  w.add("stdout", "hello\nworld\n");

  auto got = lines();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["log"], "hello\n");
  EXPECT_EQ(got[0]["stream"], "stdout");
  EXPECT_EQ(got[1]["log"], "world\n");
  EXPECT_EQ(got[1]["stream"], "stdout");
}

TEST_F(LogWriterTest, EachLineHasAnRfc3339TimeOfNow) {
  LogWriter w(path_);
  const double before = test::realtime_now();

  w.add("stderr", "oops\n");

  auto got = lines();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["stream"], "stderr");
  const std::string time = got[0]["time"];
  EXPECT_TRUE(std::regex_match(time, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z)")))
      << time;
  EXPECT_GE(parse_rfc3339(time), before - 1);
  EXPECT_LE(parse_rfc3339(time), test::realtime_now() + 1);
  EXPECT_EQ(got[0].size(), 3u) << got[0].dump();
}

TEST_F(LogWriterTest, APartialLineWaitsForItsNewline) {
  LogWriter w(path_);

  w.add("stdout", "hel");
  EXPECT_EQ(test::get_file(path_), "");
  w.add("stdout", "lo");
  EXPECT_EQ(test::get_file(path_), "");
  w.add("stdout", "\nnext");

  auto got = lines();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["log"], "hello\n");
}

TEST_F(LogWriterTest, FlushWritesWhatIsLeftWithoutANewline) {
  LogWriter w(path_);
  w.add("stdout", "done\nno newline");

  w.flush();

  auto got = lines();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1]["log"], "no newline");
  EXPECT_EQ(got[1]["stream"], "stdout");
}

TEST_F(LogWriterTest, FlushWithNothingPendingWritesNothing) {
  LogWriter w(path_);
  w.add("stdout", "a\n");

  w.flush();
  w.flush();

  EXPECT_EQ(lines().size(), 1u);
}

TEST_F(LogWriterTest, StdoutAndStderrHaveSeparateBuffers) {
  LogWriter w(path_);

  w.add("stdout", "out-");
  w.add("stderr", "err-");
  w.add("stderr", "line\n");
  w.add("stdout", "line\n");

  auto got = lines();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["stream"], "stderr");
  EXPECT_EQ(got[0]["log"], "err-line\n");
  EXPECT_EQ(got[1]["stream"], "stdout");
  EXPECT_EQ(got[1]["log"], "out-line\n");
}

TEST_F(LogWriterTest, FlushWritesBothStreamsPartialLines) {
  LogWriter w(path_);
  w.add("stdout", "o");
  w.add("stderr", "e");

  w.flush();

  auto got = lines();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["stream"], "stdout");
  EXPECT_EQ(got[0]["log"], "o");
  EXPECT_EQ(got[1]["stream"], "stderr");
  EXPECT_EQ(got[1]["log"], "e");
}

TEST_F(LogWriterTest, ALongLineWithoutNewlineIsWrittenInPiecesAsItArrives) {
  LogWriter w(path_);
  std::string sent;
  // 40 KiB without a newline, in 1 KiB reads.
  for (int i = 0; i < 40; ++i) {
    const std::string chunk(1024, static_cast<char>('a' + i % 26));
    w.add("stdout", chunk);
    sent += chunk;
  }

  auto before_flush = lines();
  w.flush();
  auto got = lines();

  ASSERT_EQ(before_flush.size(), 2u) << "two full 16 KiB pieces before the end";
  const std::string joined = joined_pieces(got);
  EXPECT_EQ(joined, sent);
  EXPECT_EQ(got.size(), 3u);
}

TEST_F(LogWriterTest, ALongLineInOneReadIsSplitIntoPiecesOfAtMost16KiB) {
  // docker's json-file splits a line at 16 KiB, whatever the size of the reads.
  LogWriter w(path_);
  const std::string sent(40 * 1024, 'x');

  w.add("stdout", sent);
  w.flush();

  auto got = lines();
  const std::string joined = joined_pieces(got);
  EXPECT_EQ(joined, sent);
  EXPECT_GE(got.size(), 3u);
}

TEST_F(LogWriterTest, ALongLineInReadsOfTheSupervisorsSizeIsSplitAt16KiB) {
  // The supervisor reads 16 KiB at a time; a short line before it shifts the boundaries.
  LogWriter w(path_);
  std::string sent = "short\n" + std::string(3 * k16KiB, 'y');
  for (size_t at = 0; at < sent.size(); at += k16KiB)
    w.add("stdout", std::string_view(sent).substr(at, k16KiB));
  w.flush();

  auto got = lines();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0]["log"], "short\n");
  const std::string joined = joined_pieces(got);
  EXPECT_EQ(joined, sent);
}

TEST_F(LogWriterTest, InvalidUtf8DoesNotLoseTheLine) {
  LogWriter w(path_);

  w.add("stdout", "before\n");
  w.add("stdout", std::string("bad \xff\xfe bytes\n"));
  w.add("stdout", "after\n");

  auto got = lines();
  ASSERT_EQ(got.size(), 3u);
  const std::string bad = got[1]["log"];
  EXPECT_TRUE(bad.starts_with("bad ")) << bad;
  EXPECT_TRUE(bad.ends_with(" bytes\n")) << bad;
  EXPECT_EQ(got[2]["log"], "after\n");
}

TEST_F(LogWriterTest, AppendsToAnExistingLog) {
  test::put_file(path_, "{\"log\":\"old\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n");
  LogWriter w(path_);

  w.add("stdout", "new\n");

  auto got = lines();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["log"], "old\n");
  EXPECT_EQ(got[1]["log"], "new\n");
}

TEST_F(LogWriterTest, EmptyLinesAndControlCharactersSurvive) {
  LogWriter w(path_);

  w.add("stdout", "\n\ttab \"quoted\" \\ back\n");

  auto entries = parse_log(test::get_file(path_));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].log, "\n");
  EXPECT_EQ(entries[1].log, "\ttab \"quoted\" \\ back\n");
}

TEST_F(LogWriterTest, OpeningInAMissingDirectoryThrows) {
  EXPECT_THROW(LogWriter(dir_ + "/missing/container.log"), Error);
}

TEST_F(LogWriterTest, WhatItWritesParseLogReadsBack) {
  LogWriter w(path_);
  w.add("stdout", "one\n");
  w.add("stderr", "two\n");
  w.add("stdout", "three");
  w.flush();

  auto entries = parse_log(test::get_file(path_));

  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].log, "one\n");
  EXPECT_EQ(entries[0].stream, "stdout");
  EXPECT_EQ(entries[1].log, "two\n");
  EXPECT_EQ(entries[1].stream, "stderr");
  EXPECT_EQ(entries[2].log, "three");
  for (const auto& e : entries) EXPECT_GT(parse_rfc3339(e.time), 0) << e.time;
}

// ---- parse_log ----

TEST(ParseLog, ReturnsLogStreamAndTime) {
  const std::string text =
      R"({"log":"hello\n","stream":"stdout","time":"2026-11-22T15:06:02.123456789Z"})"
      "\n"
      R"({"log":"err\n","stream":"stderr","time":"2026-11-22T15:06:03.000000000Z"})"
      "\n";

  auto entries = parse_log(text);

  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].log, "hello\n");
  EXPECT_EQ(entries[0].stream, "stdout");
  EXPECT_EQ(entries[0].time, "2026-11-22T15:06:02.123456789Z");
  EXPECT_EQ(entries[1].log, "err\n");
  EXPECT_EQ(entries[1].stream, "stderr");
  EXPECT_EQ(entries[1].time, "2026-11-22T15:06:03.000000000Z");
}

TEST(ParseLog, SkipsMalformedLines) {
  const std::string text =
      "not json\n"
      R"({"log":"a\n","stream":"stdout","time":"t1"})"
      "\n"
      "\n"
      R"({"log":"half)"
      "\n"
      "[1,2,3]\n"
      "\"a string\"\n"
      R"({"log":"b\n","stream":"stderr","time":"t2"})"
      "\n"
      R"({"log":"truncated at the end)";

  auto entries = parse_log(text);

  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].log, "a\n");
  EXPECT_EQ(entries[1].log, "b\n");
  EXPECT_EQ(entries[1].stream, "stderr");
}

TEST(ParseLog, SkipsLinesWhoseFieldsHaveTheWrongType) {
  const std::string text = R"({"log":5,"stream":"stdout","time":"t"})"
                           "\n"
                           R"({"log":"ok\n","stream":["stdout"],"time":"t"})"
                           "\n"
                           R"({"log":"good\n","stream":"stdout","time":"t"})"
                           "\n";

  std::vector<LogEntry> entries;
  ASSERT_NO_THROW(entries = parse_log(text));

  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].log, "good\n");
}

TEST(ParseLog, MissingFieldsGetDefaults) {
  auto entries = parse_log(R"({"log":"x\n"})");

  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].log, "x\n");
  EXPECT_EQ(entries[0].stream, "stdout");
  EXPECT_EQ(entries[0].time, "");
}

TEST(ParseLog, EmptyTextHasNoEntries) {
  EXPECT_TRUE(parse_log("").empty());
  EXPECT_TRUE(parse_log("\n\n").empty());
}

}  // namespace
}  // namespace mydocker
