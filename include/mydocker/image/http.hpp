#pragma once
// A small HTTP/1.1 client for the registry (one request per connection, "Connection: close"):
// TCP over IPv4 or IPv6 with a connect timeout, a 30 s read timeout, HTTPS with OpenSSL
// (TLS 1.2 or newer, SNI, the certificate and the host name verified against the system store
// plus the CA files given), bodies by Content-Length, chunked or until EOF, streamed to a sink.
// Everything the server says is bounded: a header line 16 KiB, 200 headers, a body kept in
// memory `max_body` bytes.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mydocker/util/error.hpp"

namespace mydocker::http {

// The connection failed or broke (refused, reset, timed out, ended early): worth a retry.
class NetworkError : public Error {
 public:
  using Error::Error;
};

// The TLS handshake failed. `certificate` tells a certificate that did not verify (a wrong
// CA, a wrong name) from a server that does not speak TLS at all.
class TlsError : public NetworkError {
 public:
  TlsError(const std::string& message, bool certificate)
      : NetworkError(message), certificate_(certificate) {}
  bool certificate() const noexcept { return certificate_; }

 private:
  bool certificate_;
};

struct Url {
  std::string scheme = "https";  // "http" or "https"
  std::string host;              // a name, an IPv4 address or an IPv6 one without brackets
  uint16_t port = 443;
  std::string target = "/";  // path and query, as sent in the request line

  // host[:port] as in a Host header ("[::1]:5000"); the port left out when it is the default.
  std::string authority() const;
  std::string str() const;  // scheme://authority/target
};
// http(s)://host[:port][/target]. Throws Error for anything else (another scheme, user info,
// a bad port, control characters or spaces).
Url parse_url(const std::string& text);
// A Location header against the URL it came from: absolute ("https://..."), scheme-relative
// ("//host/x"), absolute-path ("/v2/...") or relative ("x?y"). Throws Error when unusable.
Url resolve(const Url& base, const std::string& location);
// Percent-encoding of a query value (RFC 3986 unreserved characters kept).
std::string query_escape(std::string_view value);

// Header names compare case-insensitively; a name may appear more than once.
class Headers {
 public:
  void add(std::string name, std::string value);
  void set(const std::string& name, std::string value);  // replaces all of `name`
  void remove(const std::string& name);
  std::optional<std::string> get(const std::string& name) const;  // the first
  std::vector<std::string> all(const std::string& name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

using Sink = std::function<void(const char* data, size_t size)>;

struct Request {
  std::string method = "GET";
  Url url;
  Headers headers;   // Host, Connection, Content-Length and User-Agent are added
  std::string body;  // sent when body_fd < 0 (Content-Length sent for POST/PUT/PATCH)
  int body_fd = -1;  // else body_size bytes streamed from this fd, from its current offset
  uint64_t body_size = 0;
};

struct Response {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;  // the body when no sink took it (error bodies: their first 64 KiB)
};

struct Tls {
  std::string system_store = "/etc/ssl/certs/ca-certificates.crt";
  std::vector<std::string> ca_files;  // trusted besides the system store
};

struct Limits {
  int connect_timeout_ms = 15000;
  int read_timeout_ms = 30000;
  uint64_t max_body = 4 << 20;  // a body kept in memory (no sink); larger is an Error
};

// Sends `request` on a new connection and reads the response. A 2xx body goes to `sink` when
// one is given (so a large blob is never held), otherwise into Response::body. HEAD, 1xx, 204
// and 304 have no body. Throws NetworkError/TlsError (retryable), Error for a malformed or
// oversized response.
Response send(const Request& request, const Tls& tls, const Sink& sink = {},
              const Limits& limits = {});

// The decoder of a chunked body, fed as bytes arrive. feed() passes the data of each chunk to
// `sink` and returns how many bytes of `data` it used: less than `size` only once the last
// chunk and trailer are read (the rest is not part of the body). Throws Error for a malformed
// stream.
class ChunkedDecoder {
 public:
  size_t feed(const char* data, size_t size, const Sink& sink);
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State { kSize, kData, kDataEnd, kTrailer, kDone };
  bool take_line(const char*& p, const char* end);
  void on_size_line();
  void on_trailer_line();
  State state_ = State::kSize;
  std::string line_;
  uint64_t remaining_ = 0;
};

// One challenge of a WWW-Authenticate header: `Bearer realm="...",service="...",scope="..."`.
struct Challenge {
  std::string scheme;                         // lower case: "bearer", "basic"
  std::map<std::string, std::string> params;  // names lower case, values unquoted
};
// All challenges of one header value (RFC 7235: a comma-separated list of schemes each with
// its auth-params; quoted strings with backslash escapes). Malformed parts are skipped.
std::vector<Challenge> parse_www_authenticate(std::string_view value);

std::string base64_encode(std::string_view data);
// Standard alphabet, padding optional; nullopt when not base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mydocker::http
