// The attach protocol: frames, --detach-keys, the detach-key watcher, and the supervisor's
// server on a real unix socket (no root needed).

#include "mydocker/runtime/attach.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "mydocker/util/error.hpp"

namespace mydocker::attach {
namespace {

TEST(Attach, FramesSurviveAnyCut) {
  const std::string stream = frame(kStdout, "hello") + frame_u32(kExit, 300) + frame(kStdin, "");
  FrameReader r;
  std::vector<std::pair<char, std::string>> got;
  for (char c : stream) {  // one byte at a time
    r.append(std::string_view(&c, 1));
    while (auto f = r.next()) got.push_back(*f);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], std::make_pair(kStdout, std::string("hello")));
  EXPECT_EQ(got[1].first, kExit);
  EXPECT_EQ(read_u32(got[1].second), 300u);
  EXPECT_EQ(got[2], std::make_pair(kStdin, std::string()));
}

TEST(Attach, AnOversizedFrameIsRefused) {
  FrameReader r;
  r.append(std::string("1\xff\xff\xff\xff", 5));
  EXPECT_THROW(r.next(), Error);
}

TEST(Attach, DetachKeysInDockersSyntax) {
  EXPECT_EQ(parse_detach_keys(""), "\x10\x11");
  EXPECT_EQ(parse_detach_keys("ctrl-p,ctrl-q"), "\x10\x11");
  EXPECT_EQ(parse_detach_keys("ctrl-a,x"), "\x01x");
  EXPECT_EQ(parse_detach_keys("ctrl-@"), std::string(1, '\0'));
  EXPECT_EQ(parse_detach_keys("ctrl-P,ctrl-Q"), "\x10\x11");
  EXPECT_EQ(parse_detach_keys("ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_"), "\x1b\x1c\x1d\x1e\x1f");
  for (const char* bad : {"ctrl-1", "ab", "ctrl-", "a,,b", ","}) {
    try {
      parse_detach_keys(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 125);
      EXPECT_NE(std::string(e.what()).find("--detach-keys"), std::string::npos) << e.what();
    }
  }
}

TEST(Attach, TheSequenceDetachesAndAnythingElseGoesThrough) {
  DetachKeys keys("\x10\x11");
  std::string out;
  EXPECT_FALSE(keys.feed("ls\n", out));
  EXPECT_EQ(out, "ls\n");
  out.clear();
  EXPECT_FALSE(keys.feed("\x10", out));  // held back: it may start the sequence
  EXPECT_EQ(out, "");
  EXPECT_FALSE(keys.feed("a", out));  // it did not: both go on
  EXPECT_EQ(out,
            "\x10"
            "a");
  out.clear();
  EXPECT_FALSE(keys.feed("\x10\x10", out));  // the second ctrl-p starts it again
  EXPECT_EQ(out, "\x10");
  EXPECT_TRUE(
      keys.feed("\x11"
                "after",
                out));
  EXPECT_EQ(out, "\x10") << "nothing of the sequence, nothing after it";
  DetachKeys one("x");
  out.clear();
  EXPECT_TRUE(one.feed("abx", out));
  EXPECT_EQ(out, "ab");
}

class AttachServer : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/attach-unit-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::signal(SIGPIPE, SIG_IGN);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int connect_client() {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = dir_ + "/attach.sock";
    std::strcpy(addr.sun_path, path.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return fd;
  }
  // One round of the supervisor's poll loop.
  void pump(Server& s, const Input& in) {
    std::vector<pollfd> fds;
    s.add_pollfds(fds, true);
    ASSERT_GE(::poll(fds.data(), fds.size(), 1000), 0);
    s.handle(fds.data(), fds.size(), in);
  }
  std::vector<std::pair<char, std::string>> read_frames(int fd, size_t want) {
    FrameReader r;
    std::vector<std::pair<char, std::string>> got;
    while (got.size() < want) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) break;
      char buf[4096];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      r.append(std::string_view(buf, static_cast<size_t>(n)));
      while (auto f = r.next()) got.push_back(*f);
    }
    return got;
  }
  std::string dir_;
};

TEST_F(AttachServer, ClientsGetHelloOutputAndTheStatus) {
  Server s(dir_, /*tty=*/true, /*stdin_open=*/true);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/attach.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "root's socket only";
  const int a = connect_client(), b = connect_client();
  std::string typed;
  unsigned rows = 0, cols = 0;
  int signalled = 0;
  Input in{[&](std::string_view d) { typed += d; },
           [&](unsigned r, unsigned c) { rows = r, cols = c; }, [&](int sig) { signalled = sig; }};
  pump(s, in);
  EXPECT_EQ(s.clients(), 2u);
  s.broadcast(kStdout, "out");
  s.broadcast(kStderr, "err");
  const std::string send = frame(kStdin, "ls\n") + frame_u32(kResize, (40u << 16) | 120u) +
                           frame_u32(kSignal, SIGUSR1) + frame_u32(kSignal, SIGKILL);
  ASSERT_EQ(::write(a, send.data(), send.size()), static_cast<ssize_t>(send.size()));
  pump(s, in);
  EXPECT_EQ(typed, "ls\n");
  EXPECT_EQ(rows, 40u);
  EXPECT_EQ(cols, 120u);
  EXPECT_EQ(signalled, SIGUSR1) << "SIGKILL and SIGSTOP are not a client's to send";
  s.finish(137);
  for (int fd : {a, b}) {
    auto got = read_frames(fd, 4);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0], std::make_pair(kHello, std::string("\1\1", 2)));
    EXPECT_EQ(got[1], std::make_pair(kStdout, std::string("out")));
    EXPECT_EQ(got[2], std::make_pair(kStderr, std::string("err")));
    EXPECT_EQ(got[3].first, kExit);
    EXPECT_EQ(read_u32(got[3].second), 137u);
    char c;
    EXPECT_EQ(::read(fd, &c, 1), 0) << "closed after the status";
    ::close(fd);
  }
}

TEST_F(AttachServer, ASlowClientIsDroppedNotWaitedFor) {
  Server s(dir_, false, false);
  const int fd = connect_client();
  pump(s, {});
  ASSERT_EQ(s.clients(), 1u);
  const std::string chunk(64 * 1024, 'x');
  for (size_t sent = 0; sent <= Server::kMaxBacklog + 1024 * 1024; sent += chunk.size())
    s.broadcast(kStdout, chunk);  // nobody reads: it must return, not block
  EXPECT_EQ(s.clients(), 0u);
  ::close(fd);
}

TEST_F(AttachServer, ClientInputWithoutStdinIsIgnoredAndGarbageDisconnects) {
  Server s(dir_, false, /*stdin_open=*/false);
  const int fd = connect_client();
  std::string typed;
  Input in{[&](std::string_view d) { typed += d; }, nullptr, nullptr};
  pump(s, in);
  const std::string f = frame(kStdin, "x");
  ASSERT_EQ(::write(fd, f.data(), f.size()), static_cast<ssize_t>(f.size()));
  pump(s, in);
  EXPECT_EQ(typed, "") << "no -i: no stdin";
  const std::string junk("1\xff\xff\xff\xff", 5);
  ASSERT_EQ(::write(fd, junk.data(), junk.size()), 5);
  pump(s, in);
  EXPECT_EQ(s.clients(), 0u);
  ::close(fd);
}

TEST_F(AttachServer, TheSocketGoesWithTheServer) {
  { Server s(dir_, false, false); }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/attach.sock"));
}

}  // namespace
}  // namespace mydocker::attach
