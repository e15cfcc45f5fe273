#include "mydocker/image/http.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#include "mydocker/util/fd.hpp"

namespace mydocker::http {
namespace {

constexpr size_t kMaxLine = 16 << 10;
constexpr size_t kMaxHeaders = 200;
constexpr size_t kMaxErrorBody = 64 << 10;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Server strings end up in request lines and error messages: no controls, no spaces.
bool clean(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) == 0x7f;
  });
}

std::optional<uint64_t> parse_uint(std::string_view s, int base = 10) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

uint16_t default_port(const std::string& scheme) { return scheme == "https" ? 443 : 80; }

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

// ---- URLs ----

std::string Url::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != default_port(scheme)) h += ":" + std::to_string(port);
  return h;
}

std::string Url::str() const { return scheme + "://" + authority() + target; }

namespace {

// host[:port] or [v6][:port] into `url`.
void parse_authority(std::string_view auth, Url& url, const std::string& text) {
  std::string_view port;
  if (!auth.empty() && auth.front() == '[') {
    size_t close = auth.find(']');
    if (close == std::string_view::npos) throw Error("bad URL '" + text + "'");
    url.host = std::string(auth.substr(1, close - 1));
    std::string_view rest = auth.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') throw Error("bad URL '" + text + "'");
    if (!rest.empty()) port = rest.substr(1);
  } else {
    size_t colon = auth.rfind(':');
    url.host = std::string(auth.substr(0, colon));
    if (colon != std::string_view::npos) port = auth.substr(colon + 1);
  }
  url.port = default_port(url.scheme);
  if (!port.empty()) {
    auto p = parse_uint(port);
    if (!p || *p == 0 || *p > 65535) throw Error("bad port in URL '" + text + "'");
    url.port = static_cast<uint16_t>(*p);
  }
  if (url.host.empty() || url.host.find_first_of("@/?#") != std::string::npos)
    throw Error("bad host in URL '" + text + "'");
}

}  // namespace

Url parse_url(const std::string& text) {
  if (!clean(text)) throw Error("bad URL '" + text + "'");
  Url url;
  size_t sep = text.find("://");
  if (sep == std::string::npos) throw Error("bad URL '" + text + "'");
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https")
    throw Error("unsupported URL scheme in '" + text + "'");
  std::string_view rest = std::string_view(text).substr(sep + 3);
  size_t slash = rest.find_first_of("/?#");
  parse_authority(rest.substr(0, slash), url, text);
  std::string target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (size_t hash = target.find('#'); hash != std::string::npos) target.erase(hash);
  if (target.empty() || target.front() == '?') target.insert(0, "/");
  url.target = target;
  return url;
}

Url resolve(const Url& base, const std::string& location) {
  if (location.empty() || !clean(location)) throw Error("bad Location '" + location + "'");
  if (location.find("://") != std::string::npos) return parse_url(location);
  if (location.rfind("//", 0) == 0) return parse_url(base.scheme + ":" + location);
  Url url = base;
  if (location.front() == '/') {
    url.target = location;
  } else {
    std::string path = base.target.substr(0, base.target.find('?'));
    url.target = path.substr(0, path.rfind('/') + 1) + location;
  }
  if (size_t hash = url.target.find('#'); hash != std::string::npos) url.target.erase(hash);
  return url;
}

std::string query_escape(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// ---- headers ----

void Headers::add(std::string name, std::string value) {
  items_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(const std::string& name, std::string value) {
  remove(name);
  add(name, std::move(value));
}

void Headers::remove(const std::string& name) {
  std::erase_if(items_, [&](const auto& kv) { return iequals(kv.first, name); });
}

std::optional<std::string> Headers::get(const std::string& name) const {
  for (const auto& [k, v] : items_)
    if (iequals(k, name)) return v;
  return std::nullopt;
}

std::vector<std::string> Headers::all(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : items_)
    if (iequals(k, name)) out.push_back(v);
  return out;
}

// ---- base64 ----

namespace {
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(std::string_view data) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t n = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kBase64[(n >> s) & 63];
  }
  if (size_t left = data.size() - i; left > 0) {
    uint32_t n = uint8_t(data[i]) << 16;
    if (left == 2) n |= uint8_t(data[i + 1]) << 8;
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += left == 2 ? kBase64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    size_t v = kBase64.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

// ---- WWW-Authenticate ----

namespace {

struct Lexer {
  std::string_view s;
  size_t i = 0;
  void spaces() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  std::string token() {
    size_t start = i;
    while (i < s.size() && !std::strchr(" \t,=\"", s[i])) ++i;
    return std::string(s.substr(start, i - start));
  }
  std::string quoted() {  // at the opening quote
    std::string out;
    for (++i; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out += s[i];
    }
    if (i < s.size()) ++i;
    return out;
  }
};

// name=value (value a token or a quoted string); false (position kept) when not a pair.
bool auth_param(Lexer& lx, Challenge& c) {
  size_t start = lx.i;
  std::string name = lx.token();
  lx.spaces();
  if (name.empty() || lx.i >= lx.s.size() || lx.s[lx.i] != '=') {
    lx.i = start;
    return false;
  }
  ++lx.i;
  lx.spaces();
  std::string value = lx.i < lx.s.size() && lx.s[lx.i] == '"' ? lx.quoted() : lx.token();
  c.params[lower(name)] = value;
  return true;
}

}  // namespace

std::vector<Challenge> parse_www_authenticate(std::string_view value) {
  std::vector<Challenge> out;
  Lexer lx{value};
  while (lx.i < value.size()) {
    lx.spaces();
    if (lx.i < value.size() && value[lx.i] == ',') {
      ++lx.i;
      continue;
    }
    std::string scheme = lx.token();
    if (scheme.empty()) {  // stray '=' or quote: skip a character
      ++lx.i;
      continue;
    }
    Challenge c{lower(scheme), {}};
    lx.spaces();
    while (lx.i < value.size()) {
      if (!auth_param(lx, c)) break;
      lx.spaces();
      if (lx.i < value.size() && value[lx.i] == ',') ++lx.i;
      lx.spaces();
    }
    out.push_back(std::move(c));
  }
  return out;
}

// ---- chunked transfer coding ----

bool ChunkedDecoder::take_line(const char*& p, const char* end) {
  while (p < end) {
    char c = *p++;
    if (c == '\n') {
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      return true;
    }
    if (line_.size() >= kMaxLine) throw Error("chunked body: line too long");
    line_ += c;
  }
  return false;
}

void ChunkedDecoder::on_size_line() {
  std::string_view hex = line_;
  hex = hex.substr(0, hex.find(';'));  // chunk extensions ignored
  auto size = parse_uint(trim(hex), 16);
  if (!size || trim(hex).size() > 15) throw Error("chunked body: bad chunk size '" + line_ + "'");
  remaining_ = *size;
  state_ = remaining_ == 0 ? State::kTrailer : State::kData;
}

void ChunkedDecoder::on_trailer_line() {
  if (line_.empty()) state_ = State::kDone;  // trailer fields themselves are ignored
}

size_t ChunkedDecoder::feed(const char* data, size_t size, const Sink& sink) {
  const char* p = data;
  const char* end = data + size;
  while (p < end && state_ != State::kDone) {
    if (state_ == State::kData) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, end - p));
      if (sink) sink(p, n);
      p += n;
      remaining_ -= n;
      if (remaining_ == 0) state_ = State::kDataEnd;
      continue;
    }
    if (!take_line(p, end)) break;
    if (state_ == State::kSize) {
      on_size_line();
    } else if (state_ == State::kDataEnd) {
      if (!line_.empty()) throw Error("chunked body: chunk not followed by CRLF");
      state_ = State::kSize;
    } else {
      on_trailer_line();
    }
    line_.clear();
  }
  return static_cast<size_t>(p - data);
}

// ---- connections ----

namespace {

class Stream {
 public:
  virtual ~Stream() = default;
  virtual size_t read_some(char* buf, size_t size) = 0;  // 0 at EOF
  virtual void write(const char* data, size_t size) = 0;
};

std::string io_error(const std::string& what, int err) {
  if (err == EAGAIN || err == EWOULDBLOCK) return what + ": timed out";
  return what + ": " + errno_text(err);
}

class PlainStream : public Stream {
 public:
  PlainStream(UniqueFd fd, std::string peer) : fd_(std::move(fd)), peer_(std::move(peer)) {}
  size_t read_some(char* buf, size_t size) override {
    for (;;) {
      ssize_t n = ::recv(fd_.get(), buf, size, 0);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) throw NetworkError(io_error("read from " + peer_, errno));
    }
  }
  void write(const char* data, size_t size) override {
    while (size > 0) {
      ssize_t n = ::send(fd_.get(), data, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw NetworkError(io_error("write to " + peer_, errno));
      data += n;
      size -= static_cast<size_t>(n);
    }
  }

 private:
  UniqueFd fd_;
  std::string peer_;
};

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

std::string ssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::unique_ptr<SSL_CTX, SslCtxFree> make_ctx(const Tls& tls) {
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) throw Error("TLS: cannot create a context: " + ssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (::access(tls.system_store.c_str(), R_OK) == 0 &&
      SSL_CTX_load_verify_locations(ctx.get(), tls.system_store.c_str(), nullptr) != 1)
    throw Error("TLS: cannot load " + tls.system_store + ": " + ssl_errors());
  for (const std::string& ca : tls.ca_files)
    if (SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1)
      throw Error("TLS: cannot load the CA file " + ca + ": " + ssl_errors());
  ERR_clear_error();
  return ctx;
}

class TlsStream : public Stream {
 public:
  TlsStream(UniqueFd fd, const Url& url, const Tls& tls);
  size_t read_some(char* buf, size_t size) override;
  void write(const char* data, size_t size) override;

 private:
  [[noreturn]] void fail(const std::string& what, int ret);
  UniqueFd fd_;
  std::string peer_;
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
  std::unique_ptr<SSL, SslFree> ssl_;
};

TlsStream::TlsStream(UniqueFd fd, const Url& url, const Tls& tls)
    : fd_(std::move(fd)), peer_(url.authority()), ctx_(make_ctx(tls)) {
  ssl_.reset(SSL_new(ctx_.get()));
  if (!ssl_) throw Error("TLS: " + ssl_errors());
  SSL_set_fd(ssl_.get(), fd_.get());
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
  if (is_ip_literal(url.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_.get(), url.host.c_str());
    SSL_set1_host(ssl_.get(), url.host.c_str());
  }
  int ret = SSL_connect(ssl_.get());
  if (ret == 1) return;
  long verify = SSL_get_verify_result(ssl_.get());
  if (verify != X509_V_OK) {
    ERR_clear_error();
    throw TlsError("TLS handshake with " + peer_ + " failed: certificate verify failed: " +
                       X509_verify_cert_error_string(verify),
                   true);
  }
  int err = SSL_get_error(ssl_.get(), ret);
  std::string detail =
      err == SSL_ERROR_SYSCALL && errno != 0 ? io_error("", errno).substr(2) : ssl_errors();
  throw TlsError(
      "TLS handshake with " + peer_ + " failed: " + (detail.empty() ? "connection closed" : detail),
      false);
}

void TlsStream::fail(const std::string& what, int ret) {
  int err = SSL_get_error(ssl_.get(), ret);
  if (err == SSL_ERROR_SYSCALL && errno != 0) throw NetworkError(io_error(what, errno));
  std::string detail = ssl_errors();
  throw NetworkError(what + ": TLS error" + (detail.empty() ? "" : ": " + detail));
}

size_t TlsStream::read_some(char* buf, size_t size) {
  for (;;) {
    size_t n = 0;
    errno = 0;
    int ret = SSL_read_ex(ssl_.get(), buf, size, &n);
    if (ret == 1) return n;
    int err = SSL_get_error(ssl_.get(), ret);
    if (err == SSL_ERROR_ZERO_RETURN) return 0;
    if (err == SSL_ERROR_SYSCALL && errno == EINTR) continue;
    fail("read from " + peer_, ret);
  }
}

void TlsStream::write(const char* data, size_t size) {
  while (size > 0) {
    size_t n = 0;
    errno = 0;
    int ret = SSL_write_ex(ssl_.get(), data, size, &n);
    if (ret != 1) {
      if (SSL_get_error(ssl_.get(), ret) == SSL_ERROR_SYSCALL && errno == EINTR) continue;
      fail("write to " + peer_, ret);
    }
    data += n;
    size -= n;
  }
}

// Waits for a non-blocking connect; 0 or the errno of the failure.
int finish_connect(int fd, int timeout_ms) {
  pollfd p{fd, POLLOUT, 0};
  int r;
  while ((r = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  if (r == 0) return ETIMEDOUT;
  if (r < 0) return errno;
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

void set_io_timeouts(int fd, int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// One connected socket to one of the addresses of host:port, tried in getaddrinfo's order.
UniqueFd connect_tcp(const Url& url, const Limits& limits) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &res); rc != 0)
    throw NetworkError("cannot resolve " + url.host + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  int last = ECONNREFUSED;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    UniqueFd fd(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!fd) {
      last = errno;
      continue;
    }
    int rc = ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen);
    last = rc == 0                ? 0
           : errno == EINPROGRESS ? finish_connect(fd.get(), limits.connect_timeout_ms)
                                  : errno;
    if (last != 0) continue;
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    set_io_timeouts(fd.get(), limits.read_timeout_ms);
    return fd;
  }
  throw NetworkError("cannot connect to " + url.authority() + ": " + errno_text(last));
}

std::unique_ptr<Stream> open_stream(const Url& url, const Tls& tls, const Limits& limits) {
  UniqueFd fd = connect_tcp(url, limits);
  if (url.scheme == "https") return std::make_unique<TlsStream>(std::move(fd), url, tls);
  return std::make_unique<PlainStream>(std::move(fd), url.authority());
}

// SIGPIPE blocked while we write to a socket that the peer may have closed (OpenSSL writes
// with write(2), not send(MSG_NOSIGNAL)); one it raised is taken before the mask is restored.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      timespec zero{0, 0};
      sigtimedwait(&pipe, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t old_;
  bool was_pending_ = false;
};

// ---- requests and responses ----

class Reader {
 public:
  explicit Reader(Stream& s) : s_(s) {}
  bool fill() {
    if (pos_ < len_) return true;
    pos_ = 0;
    len_ = s_.read_some(buf_, sizeof buf_);
    return len_ > 0;
  }
  std::string line() {
    std::string out;
    for (;;) {
      if (!fill()) throw NetworkError("connection closed in the response header");
      char c = buf_[pos_++];
      if (c == '\n') break;
      if (out.size() >= kMaxLine) throw Error("response header line too long");
      out += c;
    }
    if (!out.empty() && out.back() == '\r') out.pop_back();
    return out;
  }
  // Buffered bytes (reading more when none are left); empty at EOF.
  std::string_view chunk(size_t max) {
    if (!fill()) return {};
    size_t n = std::min(max, len_ - pos_);
    std::string_view out(buf_ + pos_, n);
    pos_ += n;
    return out;
  }
  void unread(size_t n) { pos_ -= n; }

 private:
  Stream& s_;
  char buf_[64 << 10];
  size_t pos_ = 0, len_ = 0;
};

void write_request(Stream& s, const Request& req) {
  std::string head = req.method + " " + req.url.target + " HTTP/1.1\r\n";
  head += "Host: " + req.url.authority() + "\r\n";
  head += "User-Agent: mydocker/0.1\r\nConnection: close\r\n";
  const bool streamed = req.body_fd >= 0;
  const uint64_t size = streamed ? req.body_size : req.body.size();
  if (size > 0 || req.method == "POST" || req.method == "PUT" || req.method == "PATCH")
    head += "Content-Length: " + std::to_string(size) + "\r\n";
  for (const auto& [k, v] : req.headers.items()) head += k + ": " + v + "\r\n";
  head += "\r\n";
  if (!streamed) head += req.body;
  s.write(head.data(), head.size());
  std::vector<char> buf(streamed ? 64 << 10 : 0);
  for (uint64_t left = streamed ? size : 0; left > 0;) {
    ssize_t n = ::read(req.body_fd, buf.data(), std::min<uint64_t>(left, buf.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read the request body");
    if (n == 0) throw Error("request body: file shorter than " + std::to_string(size) + " bytes");
    s.write(buf.data(), static_cast<size_t>(n));
    left -= static_cast<uint64_t>(n);
  }
}

void read_status(Reader& r, Response& resp) {
  std::string line = r.line();
  if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12 || line[8] != ' ')
    throw Error("malformed HTTP status line '" + line.substr(0, 80) + "'");
  auto code = parse_uint(std::string_view(line).substr(9, 3));
  if (!code || *code < 100 || *code > 599) throw Error("bad HTTP status in '" + line + "'");
  resp.status = static_cast<int>(*code);
  resp.reason = line.size() > 13 ? trim(line.substr(13)) : "";
}

void read_headers(Reader& r, Response& resp) {
  resp.headers = Headers();
  for (size_t count = 0;; ++count) {
    std::string line = r.line();
    if (line.empty()) return;
    if (count >= kMaxHeaders) throw Error("too many response headers");
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) throw Error("malformed response header");
    resp.headers.add(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
}

// Where body bytes go: the sink, or Response::body up to a bound.
struct BodyOut {
  const Sink* sink;
  std::string* body;
  uint64_t max;
  bool error_body;
  bool full = false;  // an error body reached its bound: stop reading
  void put(const char* p, size_t n) {
    if (sink && *sink) return (*sink)(p, n);
    if (body->size() + n > max) {
      if (!error_body) throw Error("response body larger than " + std::to_string(max) + " bytes");
      body->append(p, max - body->size());
      full = true;
      return;
    }
    body->append(p, n);
  }
};

void read_length_body(Reader& r, uint64_t length, BodyOut& out) {
  uint64_t got = 0;
  while (got < length && !out.full) {
    std::string_view c = r.chunk(static_cast<size_t>(std::min<uint64_t>(length - got, 1 << 20)));
    if (c.empty())
      throw NetworkError("connection closed after " + std::to_string(got) + " of " +
                         std::to_string(length) + " body bytes");
    out.put(c.data(), c.size());
    got += c.size();
  }
}

void read_chunked_body(Reader& r, BodyOut& out) {
  ChunkedDecoder dec;
  Sink to_out = [&](const char* p, size_t n) { out.put(p, n); };
  while (!dec.done() && !out.full) {
    std::string_view c = r.chunk(1 << 20);
    if (c.empty()) throw NetworkError("connection closed inside a chunked body");
    size_t used = dec.feed(c.data(), c.size(), to_out);
    r.unread(c.size() - used);
  }
}

void read_body(Reader& r, const Request& req, Response& resp, const Sink& sink,
               const Limits& limits) {
  if (req.method == "HEAD" || resp.status == 204 || resp.status == 304) return;
  const bool ok = resp.status >= 200 && resp.status < 300;
  BodyOut out{ok ? &sink : nullptr, &resp.body, ok ? limits.max_body : kMaxErrorBody, !ok};
  std::vector<std::string> te = resp.headers.all("Transfer-Encoding");
  if (!te.empty()) {
    if (te.size() != 1 || !iequals(trim(te[0]), "chunked"))
      throw Error("unsupported Transfer-Encoding '" + te[0] + "'");
    return read_chunked_body(r, out);
  }
  std::vector<std::string> cl = resp.headers.all("Content-Length");
  if (!cl.empty()) {
    auto length = parse_uint(trim(cl[0]));
    for (const std::string& v : cl)
      if (!length || parse_uint(trim(v)) != length) throw Error("bad Content-Length");
    return read_length_body(r, *length, out);
  }
  for (std::string_view c = r.chunk(1 << 20); !c.empty() && !out.full; c = r.chunk(1 << 20))
    out.put(c.data(), c.size());
}

}  // namespace

Response send(const Request& request, const Tls& tls, const Sink& sink, const Limits& limits) {
  for (const auto& [k, v] : request.headers.items())
    if (k.find_first_of(":\r\n") != std::string::npos ||
        v.find_first_of("\r\n") != std::string::npos)
      throw Error("bad request header '" + k + "'");
  SigpipeBlock no_sigpipe;
  std::unique_ptr<Stream> stream = open_stream(request.url, tls, limits);
  write_request(*stream, request);
  Reader reader(*stream);
  Response resp;
  do {  // 1xx (100 Continue) responses come before the real one
    read_status(reader, resp);
    read_headers(reader, resp);
  } while (resp.status < 200);
  read_body(reader, request, resp, sink, limits);
  return resp;
}

}  // namespace mydocker::http
