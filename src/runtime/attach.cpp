#include "mydocker/runtime/attach.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "mydocker/util/error.hpp"

namespace mydocker::attach {

std::string frame(char kind, std::string_view payload) {
  std::string f(5, '\0');
  f[0] = kind;
  const auto n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) f[static_cast<size_t>(1 + i)] = static_cast<char>(n >> (24 - 8 * i));
  f.append(payload);
  return f;
}

std::string frame_u32(char kind, uint32_t value) {
  std::string p(4, '\0');
  for (int i = 0; i < 4; ++i) p[static_cast<size_t>(i)] = static_cast<char>(value >> (24 - 8 * i));
  return frame(kind, p);
}

uint32_t read_u32(std::string_view p) {
  if (p.size() < 4) return 0;
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::optional<std::pair<char, std::string>> FrameReader::next() {
  if (buf_.size() < 5) return std::nullopt;
  const uint32_t n = read_u32(std::string_view(buf_).substr(1));
  if (n > kMaxFrame) throw Error("attach: a frame of " + std::to_string(n) + " bytes");
  if (buf_.size() < 5 + n) return std::nullopt;
  std::pair<char, std::string> f{buf_[0], buf_.substr(5, n)};
  buf_.erase(0, 5 + n);
  return f;
}

namespace {

// One key of --detach-keys: "a", or "ctrl-a" .. "ctrl-z", "ctrl-@", "ctrl-[" ... "ctrl-_".
std::optional<char> detach_key(const std::string& k) {
  if (k.size() == 1) return k[0];
  if (k.size() != 6 || k.compare(0, 5, "ctrl-") != 0) return std::nullopt;
  const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(k[5])));  // ctrl-P too
  if (c >= 'a' && c <= 'z') return static_cast<char>(c - 'a' + 1);
  static constexpr std::string_view kPunct = "@[\\]^_";  // 0, 27 .. 31
  const size_t at = kPunct.find(c);
  if (at == std::string_view::npos) return std::nullopt;
  return static_cast<char>(at == 0 ? 0 : 26 + at);
}

}  // namespace

std::string parse_detach_keys(const std::string& spec) {
  if (spec.empty()) return "\x10\x11";  // ctrl-p, ctrl-q
  std::string keys;
  size_t start = 0;
  while (start <= spec.size()) {
    const size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string k = spec.substr(start, comma - start);
    const auto key = detach_key(k);
    if (!key)
      throw Error("invalid value '" + spec + "' for --detach-keys: '" + k +
                  "' is not a key (a single character, or ctrl- and one of a-z @ [ \\ ] ^ _)");
    keys += *key;
    start = comma + 1;
  }
  return keys;
}

bool DetachKeys::feed(std::string_view in, std::string& out) {
  for (char c : in) {
    if (c == keys_[matched_]) {
      if (++matched_ == keys_.size()) return true;
      continue;
    }
    // Not the sequence after all: what was held back goes on, then this byte is looked at
    // again (it may start the sequence).
    out.append(keys_, 0, matched_);
    matched_ = 0;
    if (c == keys_[0])
      matched_ = 1;  // (a one-key sequence matched above)
    else
      out += c;
  }
  return false;
}

Server::Server(const std::string& dir, bool tty, bool stdin_open)
    : tty_(tty), stdin_open_(stdin_open) {
  dir_.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir_) throw SysError(errno, "open " + dir);
  // Through the directory's fd: sun_path holds 108 bytes, a --root may be longer.
  const std::string path = "/proc/self/fd/" + std::to_string(dir_.get()) + "/attach.sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listen_) throw_errno("socket (attach)");
  ::unlinkat(dir_.get(), "attach.sock", 0);  // a previous supervisor's (start again)
  const mode_t old = ::umask(0177);          // 0600 from its birth: root's only
  const int rc = ::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0) throw SysError(errno, "bind " + dir + "/attach.sock");
  if (::listen(listen_.get(), 16) != 0) throw SysError(errno, "listen " + dir + "/attach.sock");
}

Server::~Server() {
  if (dir_) ::unlinkat(dir_.get(), "attach.sock", 0);
}

void Server::add_pollfds(std::vector<pollfd>& fds, bool input) const {
  fds.push_back({listen_.get(), POLLIN, 0});
  for (const auto& c : clients_) {
    short events = input ? POLLIN : 0;
    if (!c.out.empty()) events |= POLLOUT;
    fds.push_back({c.fd.get(), events, 0});
  }
}

void Server::handle(const pollfd* fds, size_t count, const Input& in) {
  if (count == 0) return;
  // The clients first (their entries follow the listener's), then new ones.
  for (size_t i = 1; i < count && i - 1 < clients_.size(); ++i) {
    Client& c = clients_[i - 1];
    if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) read_client(c, in);
    if (!c.dead && (fds[i].revents & POLLOUT)) flush(c);
  }
  clients_.erase(
      std::remove_if(clients_.begin(), clients_.end(), [](const Client& c) { return c.dead; }),
      clients_.end());
  if (fds[0].revents & POLLIN) accept_client();
}

void Server::accept_client() {
  for (;;) {
    UniqueFd fd(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;  // EAGAIN: no more
    Client c;
    c.fd = std::move(fd);
    c.out = frame(kHello, std::string{static_cast<char>(tty_), static_cast<char>(stdin_open_)});
    flush(c);
    if (!c.dead) clients_.push_back(std::move(c));
  }
}

void Server::read_client(Client& c, const Input& in) {
  char buf[16384];
  const ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {  // gone (or detached): the container goes on
    c.dead = true;
    return;
  }
  c.reader.append(std::string_view(buf, static_cast<size_t>(n)));
  try {
    while (auto f = c.reader.next()) apply(f->first, f->second, in);
  } catch (const Error&) {
    c.dead = true;  // not our protocol
  }
}

void Server::apply(char kind, const std::string& payload, const Input& in) {
  if (kind == kStdin && stdin_open_ && in.stdin_data) in.stdin_data(payload);
  if (kind == kResize && payload.size() == 4 && in.resize) {
    const uint32_t v = read_u32(payload);
    in.resize(v >> 16, v & 0xffff);
  }
  if (kind == kSignal && in.signal) {
    const uint32_t sig = read_u32(payload);
    if (sig > 0 && sig < static_cast<uint32_t>(SIGRTMAX) && sig != SIGKILL && sig != SIGSTOP)
      in.signal(static_cast<int>(sig));
  }
}

void Server::flush(Client& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      c.dead = true;
      return;
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
}

void Server::broadcast(char kind, std::string_view data) {
  if (clients_.empty()) return;
  const std::string f = frame(kind, data);
  for (auto& c : clients_) {
    c.out += f;
    flush(c);
    if (c.out.size() > kMaxBacklog) c.dead = true;
  }
  clients_.erase(
      std::remove_if(clients_.begin(), clients_.end(), [](const Client& c) { return c.dead; }),
      clients_.end());
}

void Server::finish(int status) {
  const std::string f = frame_u32(kExit, static_cast<uint32_t>(status));
  for (auto& c : clients_) c.out += f;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (auto& c : clients_) {
    while (!c.dead && !c.out.empty()) {
      flush(c);
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (c.out.empty() || left.count() <= 0) break;
      pollfd p{c.fd.get(), POLLOUT, 0};
      ::poll(&p, 1, static_cast<int>(left.count()));
    }
  }
  clients_.clear();
}

}  // namespace mydocker::attach
