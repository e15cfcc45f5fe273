// The registry client: references, digests and descriptors, config.json, a session (endpoint,
// authentication, redirects), the OCI layout, then pull, push, login and logout built on them.

#include "mydocker/image/registry.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "mydocker/image/content.hpp"
#include "mydocker/image/http.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"

namespace mydocker::registry {
namespace {

using json = nlohmann::json;

constexpr const char* kDockerHub = "registry-1.docker.io";
constexpr const char* kDockerHubKey = "https://index.docker.io/v1/";
constexpr int64_t kMaxManifest = 4 << 20;
constexpr int64_t kMaxConfig = 8 << 20;
constexpr int64_t kMaxLayer = int64_t{64} << 30;
constexpr int kBlobRetries = 3;

constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool word(char c) { return alnum(c) || c == '_'; }
bool has_upper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// What a server said, safe to print: printable ASCII, 200 characters at most.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

std::string short_id(const std::string& digest) { return digest.substr(7, 12); }

}  // namespace

// ---- references ----

bool is_digest(std::string_view digest) {
  if (digest.size() != 71 || digest.substr(0, 7) != "sha256:") return false;
  return std::all_of(digest.begin() + 7, digest.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

namespace {

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool valid_path_component(std::string_view c) {
  if (c.empty() || !lower_alnum(c.front()) || !lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    if (c[i] == '_' && j < c.size() && c[j] == '_') ++j;
    if (c[i] == '-')
      while (j < c.size() && c[j] == '-') ++j;
    if ((c[i] != '.' && c[i] != '_' && c[i] != '-') || j >= c.size() || !lower_alnum(c[j]))
      return false;
    i = j;
  }
  return true;
}

// A host name component: [a-zA-Z0-9] or [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9].
bool valid_host_label(std::string_view l) {
  if (l.empty() || !alnum(l.front()) || !alnum(l.back())) return false;
  return std::all_of(l.begin(), l.end(), [](char c) { return alnum(c) || c == '-'; });
}

// name(.name)*[:port] or [ipv6][:port].
bool valid_domain(std::string_view d) {
  std::string_view host = d, port;
  if (!d.empty() && d.front() == '[') {
    size_t close = d.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    host = d.substr(1, close - 1);
    if (!std::all_of(host.begin(), host.end(), [](char c) { return std::isxdigit(c) || c == ':'; }))
      return false;
    std::string_view rest = d.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || rest.size() < 2)) return false;
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    size_t colon = d.find(':');
    if (colon != std::string_view::npos) {
      port = d.substr(colon + 1);
      host = d.substr(0, colon);
      if (port.empty()) return false;
    }
    for (size_t start = 0;;) {
      size_t dot = host.find('.', start);
      if (!valid_host_label(host.substr(start, dot - start))) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  return port.size() <= 5 &&
         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_tag(std::string_view t) {
  return !t.empty() && t.size() <= 128 && word(t.front()) &&
         std::all_of(t.begin(), t.end(), [](char c) { return word(c) || c == '.' || c == '-'; });
}

bool is_docker_hub(const std::string& domain) {
  return domain.empty() || domain == "docker.io" || domain == "index.docker.io";
}

// Splits docker's way: the first component is a domain when it has '.' or ':', is
// "localhost" or has upper case.
std::pair<std::string, std::string> split_domain(const std::string& name) {
  size_t slash = name.find('/');
  if (slash == std::string::npos) return {"", name};
  std::string head = name.substr(0, slash);
  if (head.find_first_of(".:") == std::string::npos && head != "localhost" && !has_upper(head))
    return {"", name};
  return {head, name.substr(slash + 1)};
}

}  // namespace

Reference parse_reference(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Error("invalid reference format" + (why.empty() ? "" : ": " + why) + ": \"" +
                 printable(text) + "\"");
  };
  if (text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      }))
    throw Error("invalid repository name (" + text +
                "), cannot specify 64-byte hexadecimal strings");
  Reference r;
  std::string rest = text;
  if (size_t at = rest.find('@'); at != std::string::npos) {
    r.digest = rest.substr(at + 1);
    rest.erase(at);
    if (!is_digest(r.digest)) throw bad("a digest is sha256: and 64 lowercase hex digits");
  }
  size_t colon = rest.rfind(':'), slash = rest.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    r.tag = rest.substr(colon + 1);
    rest.erase(colon);
    if (!valid_tag(r.tag)) throw bad("bad tag");
  }
  if (rest.empty() || rest.size() > 255) throw bad(rest.empty() ? "" : "name too long");
  auto [domain, path] = split_domain(rest);
  if (!domain.empty() && !valid_domain(domain)) throw bad("bad registry host");
  if (has_upper(path)) throw bad("repository name must be lowercase");
  for (size_t start = 0;;) {
    size_t sep = path.find('/', start);
    if (!valid_path_component(std::string_view(path).substr(start, sep - start))) throw bad("");
    if (sep == std::string::npos) break;
    start = sep + 1;
  }
  if (is_docker_hub(domain)) {
    r.registry = kDockerHub;
    r.repository = path.find('/') == std::string::npos ? "library/" + path : path;
  } else {
    r.registry = domain;
    r.repository = path;
  }
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

std::string Reference::name() const {
  return (registry == kDockerHub ? std::string("docker.io") : registry) + "/" + repository;
}

namespace {
std::string with_tag_and_digest(std::string s, const Reference& r) {
  if (!r.tag.empty()) s += ":" + r.tag;
  if (!r.digest.empty()) s += "@" + r.digest;
  return s;
}
}  // namespace

std::string Reference::full() const { return with_tag_and_digest(name(), *this); }

std::string Reference::familiar() const {
  std::string s = registry + "/" + repository;
  if (registry == kDockerHub) {
    s = repository;
    if (s.rfind("library/", 0) == 0 && s.find('/', 8) == std::string::npos) s.erase(0, 8);
  }
  return with_tag_and_digest(s, *this);
}

// ---- digests, descriptors, manifests ----

namespace {

std::string sha256_of(std::string_view bytes) {
  Sha256 h;
  h.update(bytes.data(), bytes.size());
  return "sha256:" + h.hex();
}

json parse_json(std::string_view text, const std::string& what) {
  json j = parse_untrusted_json(text);  // nesting limited: a hostile registry cannot crash us
  if (j.is_discarded()) throw Error(what + ": not valid JSON (or nested deeper than 64)");
  return j;
}

std::string string_field(const json& j, const char* key, const std::string& what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string()) throw Error(what + ": \"" + key + "\" is not a string");
  return it->get<std::string>();
}

Descriptor parse_descriptor(const json& j, int64_t max_size, const std::string& what) {
  if (!j.is_object()) throw Error(what + ": a descriptor is not an object");
  Descriptor d;
  d.media_type = string_field(j, "mediaType", what);
  d.digest = string_field(j, "digest", what);
  if (!is_digest(d.digest))
    throw Error(what + ": unsupported digest '" + printable(d.digest) + "'");
  if (d.media_type.size() > 255 || printable(d.media_type) != d.media_type)
    throw Error(what + ": bad media type for " + d.digest);
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0 ||
      size->get<int64_t>() > max_size)
    throw Error(what + ": bad or too large size for " + d.digest);
  d.size = size->get<int64_t>();
  return d;
}

bool is_index_type(const std::string& t) { return t == kOciIndex || t == kDockerList; }
bool is_manifest_type(const std::string& t) { return t == kOciManifest || t == kDockerManifest; }

// The media type of a manifest or index: its own mediaType field, else the one the server
// (or the layout) gave, else what its fields say.
std::string media_type_of(const json& j, const std::string& given, const std::string& what) {
  std::string t = string_field(j, "mediaType", what);
  if (t.empty()) t = given.substr(0, given.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  if (t.empty() || t == "application/json" || t == "text/plain")
    t = j.contains("manifests") ? kOciIndex : kOciManifest;
  if (t.rfind("application/vnd.docker.distribution.manifest.v1", 0) == 0 ||
      (j.contains("schemaVersion") && j["schemaVersion"] == 1))
    throw Error(what + ": schema 1 manifests are not supported");
  if (!is_index_type(t) && !is_manifest_type(t))
    throw Error(what + ": unsupported manifest media type '" + printable(t) + "'");
  return t;
}

struct Manifest {
  Descriptor config;
  std::vector<Descriptor> layers;
  std::vector<Descriptor> blobs() const {  // layers then the config, each once
    std::vector<Descriptor> out;
    std::set<std::string> seen;
    for (const Descriptor& d : layers)
      if (seen.insert(d.digest).second) out.push_back(d);
    if (seen.insert(config.digest).second) out.push_back(config);
    return out;
  }
};

Manifest parse_manifest(const json& j, const std::string& what) {
  if (!j.is_object() || j.value("schemaVersion", 0) != 2)
    throw Error(what + ": not a schema 2 image manifest");
  Manifest m;
  if (!j.contains("config")) throw Error(what + ": manifest without a config");
  m.config = parse_descriptor(j["config"], kMaxConfig, what);
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) throw Error(what + ": manifest without layers");
  for (const json& l : *layers) m.layers.push_back(parse_descriptor(l, kMaxLayer, what));
  return m;
}

std::string normalize_arch(std::string arch, std::string& variant) {
  if (arch == "x86_64" || arch == "x86-64") return "amd64";
  if (arch == "aarch64") return "arm64";
  if (arch == "armhf" || arch == "armel") {
    if (variant.empty()) variant = arch == "armhf" ? "v7" : "v6";
    return "arm";
  }
  return arch;
}

std::string default_variant(const std::string& arch) {
  return arch == "arm64" ? "v8" : arch == "arm" ? "v7" : "";
}

int variant_number(const std::string& v) {
  if (v.size() < 2 || v[0] != 'v' ||
      !std::all_of(v.begin() + 1, v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return v.size() > 4 ? -1 : std::stoi(v.substr(1));
}

// How well an entry's variant fits the one asked: 1000 exact, N an older vN it can run, -1 not.
int variant_rank(const std::string& have, const std::string& want, bool asked) {
  if (have == want) return 1000;
  if (!asked) return -1;
  int h = variant_number(have), w = variant_number(want);
  return h >= 0 && w >= 0 && h < w ? h : -1;
}

}  // namespace

Descriptor select_platform(const std::string& index_json, const std::string& os,
                           const std::string& architecture, const std::string& variant) {
  const std::string what = "manifest list";
  json j = parse_json(index_json, what);
  if (!j.is_object() || !j.contains("manifests") || !j["manifests"].is_array())
    throw Error(what + ": no \"manifests\" array");
  std::string want_variant = variant;
  const std::string arch = normalize_arch(architecture, want_variant);
  const bool asked = !want_variant.empty();
  if (!asked) want_variant = default_variant(arch);
  std::optional<Descriptor> best;
  int best_rank = -1;
  for (const json& m : j["manifests"]) {
    if (!m.is_object() || !m.contains("platform") || !m["platform"].is_object()) continue;
    const json& p = m["platform"];
    std::string v = string_field(p, "variant", what);
    if (string_field(p, "os", what) != os ||
        normalize_arch(string_field(p, "architecture", what), v) != arch)
      continue;
    int rank = variant_rank(v.empty() ? default_variant(arch) : v, want_variant, asked);
    if (rank <= best_rank) continue;
    best = parse_descriptor(m, kMaxManifest, what);
    best_rank = rank;
  }
  if (!best)
    throw Error("no matching manifest for " + os + "/" + architecture +
                (variant.empty() ? "" : "/" + variant) + " in the manifest list entries");
  return *best;
}

// ---- config.json ----

std::string registry_host(const std::string& server) {
  std::string s = server;
  for (const char* scheme : {"https://", "http://"})
    if (s.rfind(scheme, 0) == 0) s.erase(0, std::string(scheme).size());
  s = s.substr(0, s.find('/'));
  if (is_docker_hub(s) || s == kDockerHub) return kDockerHub;
  return s;
}

std::string config_key(const std::string& registry) {
  return registry_host(registry) == kDockerHub ? kDockerHubKey : registry_host(registry);
}

namespace {

json parse_config(const std::string& text) {
  if (text.empty()) return json::object();
  json j = parse_json(text, "config.json");
  if (!j.is_object()) throw Error("config.json: not a JSON object");
  if (j.contains("auths") && !j["auths"].is_object())
    throw Error("config.json: \"auths\" is not an object");
  return j;
}

std::string dump_config(const json& j) { return j.dump(1, '\t') + "\n"; }

}  // namespace

std::string config_with_auth(const std::string& config_text, const std::string& key,
                             const std::string& user, const std::string& password) {
  json j = parse_config(config_text);
  if (!j.contains("auths")) j["auths"] = json::object();
  j["auths"][key] = {{"auth", http::base64_encode(user + ":" + password)}};
  return dump_config(j);
}

std::string config_without_auth(const std::string& config_text, const std::string& key) {
  json j = parse_config(config_text);
  if (!j.contains("auths")) return dump_config(j);
  const std::string host = registry_host(key);
  for (auto it = j["auths"].begin(); it != j["auths"].end();) {
    if (it.key() == key || registry_host(it.key()) == host)
      it = j["auths"].erase(it);
    else
      ++it;
  }
  return dump_config(j);
}

std::optional<std::pair<std::string, std::string>> config_credentials(
    const std::string& config_text, const std::string& registry) {
  json j = parse_config(config_text);
  if (!j.contains("auths")) return std::nullopt;
  const json& auths = j["auths"];
  const std::string host = registry_host(registry);
  auto entry = auths.find(config_key(registry));
  for (auto it = auths.begin(); entry == auths.end() && it != auths.end(); ++it)
    if (registry_host(it.key()) == host) entry = it;
  if (entry == auths.end() || !entry->is_object()) return std::nullopt;
  if (entry->contains("username") && entry->contains("password"))
    return std::make_pair(string_field(*entry, "username", "config.json"),
                          string_field(*entry, "password", "config.json"));
  auto decoded = http::base64_decode(string_field(*entry, "auth", "config.json"));
  if (!decoded || decoded->find(':') == std::string::npos) return std::nullopt;
  size_t colon = decoded->find(':');
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

// ---- a session with one registry ----

namespace {

std::string read_small_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return "";
    throw_errno("cannot open " + path);
  }
  std::string out;
  char buf[8192];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot read " + path);
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (1 << 20)) throw Error(path + ": larger than 1 MiB");
  }
  return out;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool plain_http_allowed(const http::Url& u, const std::string& registry, const Options& o) {
  if (is_loopback(u.host)) return true;
  return std::any_of(o.insecure_registries.begin(), o.insecure_registries.end(),
                     [&](const std::string& r) { return r == registry || r == u.host; });
}

// <config_dir>/certs.d/<host[:port]>/*.crt, as docker's /etc/docker/certs.d.
std::vector<std::string> ca_files(const std::string& authority, const Options& o) {
  if (o.config_dir.empty() || !valid_domain(authority)) return {};
  const std::string dir = o.config_dir + "/certs.d/" + authority;
  std::vector<std::string> out;
  for (const std::string& name : list_dir(dir))
    if (name.size() > 4 && name.substr(name.size() - 4) == ".crt") out.push_back(dir + "/" + name);
  std::sort(out.begin(), out.end());
  return out;
}

std::string registry_message(const http::Response& r) {
  std::string msg;
  try {
    json j = parse_untrusted_json(r.body);
    const json& e = j.at("errors").at(0);
    msg = e.value("message", "");
    if (msg.empty()) msg = e.value("code", "");
  } catch (const json::exception&) {
  }
  if (msg.empty()) msg = r.reason.empty() ? "HTTP error" : r.reason;
  return printable(msg);
}

bool same_origin(const http::Url& a, const http::Url& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

using Scopes = std::vector<std::string>;

class Session {
 public:
  Session(const std::string& registry, const Options& o, std::string what);
  http::Url url(const std::string& target) const;
  // A request with the authorization `scopes` need; a 401 asks for a new token once. GETs of
  // blobs and manifests follow redirects (`follow`), without the Authorization header when the
  // host changes.
  http::Response call(http::Request req, const Scopes& scopes, const http::Sink& sink = {},
                      bool follow = false);
  [[noreturn]] void fail(const http::Response& r, const std::string& doing) const;
  void bytes(const std::string& digest, int64_t done, int64_t total) const {
    if (o_.bytes) o_.bytes(digest, done, total);
  }
  void progress(const std::string& line) const {
    if (o_.progress) o_.progress(line);
  }
  const std::string& what() const { return what_; }
  void set_credentials(std::string user, std::string password) {
    creds_ = std::make_pair(std::move(user), std::move(password));
  }
  void check_login();

 private:
  void ping();
  http::Response try_ping(const std::string& scheme);
  void take_challenge(const http::Response& r);
  std::optional<std::string> authorization(const Scopes& scopes);
  std::string fetch_token(const Scopes& scopes);
  http::Tls tls_for(const http::Url& u) const;

  std::string registry_;
  const Options& o_;
  std::string what_;
  http::Url base_;
  bool pinged_ = false;
  bool explicit_port_ = false;
  std::optional<http::Challenge> challenge_;
  std::optional<std::pair<std::string, std::string>> creds_;
  std::map<std::string, std::string> tokens_;  // by the scopes they were asked for
};

Session::Session(const std::string& registry, const Options& o, std::string what)
    : registry_(registry), o_(o), what_(std::move(what)) {
  if (!valid_domain(registry))
    throw Error(what_ + ": bad registry host '" + printable(registry) + "'");
  base_ = http::parse_url("https://" + registry + "/");
  explicit_port_ = registry.back() != ']' && registry.find(':') != std::string::npos &&
                   (registry.front() != '[' || registry.find("]:") != std::string::npos);
  if (!o.config_dir.empty())
    creds_ = config_credentials(read_small_file(o.config_dir + "/config.json"), registry);
}

http::Url Session::url(const std::string& target) const {
  http::Url u = base_;
  u.target = target;
  return u;
}

http::Tls Session::tls_for(const http::Url& u) const {
  http::Tls tls;
  tls.system_store = o_.system_ca_file;
  tls.ca_files = ca_files(u.authority(), o_);
  return tls;
}

void Session::fail(const http::Response& r, const std::string& doing) const {
  throw Error(what_ + (doing.empty() ? "" : ": " + doing) + ": " + registry_message(r) + " (" +
              std::to_string(r.status) + ")");
}

http::Response Session::try_ping(const std::string& scheme) {
  base_.scheme = scheme;
  if (!explicit_port_) base_.port = scheme == "https" ? 443 : 80;
  http::Request req;
  req.url = url("/v2/");
  return http::send(req, tls_for(req.url), {}, {.max_body = 64 << 10});
}

void Session::ping() {
  http::Response r;
  try {
    r = try_ping("https");
  } catch (const http::TlsError& e) {
    if (e.certificate() && std::string(e.what()).find("mismatch") != std::string::npos)
      throw Error(what_ + ": " + e.what() + " (the certificate is not for " + base_.host + ")");
    if (e.certificate())
      throw Error(what_ + ": " + e.what() + " (a CA for it goes in " +
                  (o_.config_dir.empty() ? "<config dir>" : o_.config_dir) + "/certs.d/" +
                  registry_ + "/ca.crt)");
    if (!plain_http_allowed(base_, registry_, o_))
      throw Error(what_ + ": " + e.what() + "; if " + registry_ +
                  " serves plain HTTP, allow it with --insecure-registry " + registry_);
    r = try_ping("http");
  } catch (const http::NetworkError& e) {
    if (!plain_http_allowed(base_, registry_, o_)) throw Error(what_ + ": " + e.what());
    r = try_ping("http");
  }
  pinged_ = true;
  if (r.status == 401) return take_challenge(r);
  if (r.status != 200)
    throw Error(what_ + ": " + base_.str() + "v2/ answered " + std::to_string(r.status) +
                " (not a registry v2?)");
}

// The challenge of a 401: bearer preferred to basic.
void Session::take_challenge(const http::Response& r) {
  std::optional<http::Challenge> basic;
  for (const std::string& h : r.headers.all("WWW-Authenticate"))
    for (http::Challenge& c : http::parse_www_authenticate(h)) {
      if (c.scheme == "bearer" && c.params.count("realm")) {
        challenge_ = std::move(c);
        return;
      }
      if (c.scheme == "basic") basic = std::move(c);
    }
  if (!basic) throw Error(what_ + ": 401 without a bearer or basic challenge from " + registry_);
  challenge_ = basic;
}

std::string Session::fetch_token(const Scopes& scopes) {
  http::Url realm;
  try {
    realm = http::parse_url(challenge_->params["realm"]);
  } catch (const Error&) {
    throw Error(what_ + ": bad token realm '" + printable(challenge_->params["realm"]) + "'");
  }
  if (realm.scheme == "http" && base_.scheme == "https" && !is_loopback(realm.host))
    throw Error(what_ + ": the token realm " + printable(realm.str()) + " is plain HTTP");
  std::string q;
  if (challenge_->params.count("service"))
    q += "&service=" + http::query_escape(challenge_->params["service"]);
  for (const std::string& s : scopes) q += "&scope=" + http::query_escape(s);
  if (creds_) q += "&account=" + http::query_escape(creds_->first);
  if (!q.empty())
    realm.target += (realm.target.find('?') == std::string::npos ? "?" : "&") + q.substr(1);
  http::Request req;
  req.url = realm;
  if (creds_)
    req.headers.add("Authorization",
                    "Basic " + http::base64_encode(creds_->first + ":" + creds_->second));
  http::Response r = http::send(req, tls_for(realm), {}, {.max_body = 1 << 20});
  if (r.status == 401 || r.status == 403)
    throw Error(what_ + " failed: " + std::to_string(r.status) + " " + printable(r.reason) +
                " (token server " + printable(realm.authority()) + ": " + registry_message(r) +
                ")");
  if (r.status != 200) fail(r, "token from " + printable(realm.authority()));
  json j = parse_json(r.body, what_ + ": token response");
  std::string token = j.is_object() ? string_field(j, "token", "token response") : "";
  if (token.empty() && j.is_object()) token = string_field(j, "access_token", "token response");
  if (token.empty() || printable(token) != token || token.find(' ') != std::string::npos)
    throw Error(what_ + ": no usable token from " + printable(realm.authority()));
  return token;
}

std::optional<std::string> Session::authorization(const Scopes& scopes) {
  if (!challenge_) return std::nullopt;
  if (challenge_->scheme == "basic") {
    if (!creds_) return std::nullopt;
    return "Basic " + http::base64_encode(creds_->first + ":" + creds_->second);
  }
  Scopes sorted = scopes;
  std::sort(sorted.begin(), sorted.end());
  std::string key;
  for (const std::string& s : sorted) key += s + " ";
  auto it = tokens_.find(key);
  if (it == tokens_.end()) it = tokens_.emplace(key, fetch_token(sorted)).first;
  return "Bearer " + it->second;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

http::Response Session::call(http::Request req, const Scopes& scopes, const http::Sink& sink,
                             bool follow) {
  if (!pinged_) ping();
  req.url.scheme =
      req.url.host == base_.host && req.url.port == base_.port ? base_.scheme : req.url.scheme;
  Scopes asked = scopes;
  bool renewed = false;
  const off_t body_offset = req.body_fd >= 0 ? ::lseek(req.body_fd, 0, SEEK_CUR) : 0;
  for (int hops = 0;;) {
    if (req.body_fd >= 0 && ::lseek(req.body_fd, body_offset, SEEK_SET) < 0)
      throw_errno("cannot rewind the request body");
    req.headers.remove("Authorization");
    const bool ours = same_origin(req.url, base_);
    if (ours)
      if (auto a = authorization(asked)) req.headers.add("Authorization", *a);
    http::Response r = http::send(req, tls_for(req.url), sink);
    if (r.status == 401 && ours && !renewed) {  // expired token, a scope more, or auth now
      renewed = true;
      tokens_.clear();
      take_challenge(r);
      if (challenge_->scheme == "bearer" && challenge_->params.count("scope"))
        asked.push_back(challenge_->params["scope"]);
      continue;
    }
    if (!follow || !is_redirect(r.status)) return r;
    auto location = r.headers.get("Location");
    if (!location || ++hops > 5) throw Error(what_ + ": bad redirect from " + req.url.str());
    http::Url next = http::resolve(req.url, *location);
    if (req.url.scheme == "https" && next.scheme == "http" &&
        !plain_http_allowed(next, next.authority(), o_))
      throw Error(what_ + ": refusing a redirect from HTTPS to " + printable(next.str()));
    req.url = next;
  }
}

void Session::check_login() {
  ping();
  if (!challenge_) return;  // the registry needs no credentials
  http::Request req;
  req.url = url("/v2/");
  if (auto a = authorization({})) req.headers.add("Authorization", *a);
  http::Response r = http::send(req, tls_for(req.url), {}, {.max_body = 64 << 10});
  if (r.status != 200)
    throw Error(what_ + " failed: " + std::to_string(r.status) + " " + printable(r.reason));
}

}  // namespace

// ---- the OCI layout ----

namespace {

// A blob being written: <layout>/blobs/.tmp-<pid>-<n>, removed unless commit() renamed it.
class TempBlob {
 public:
  explicit TempBlob(const std::string& layout) {
    static unsigned counter = 0;
    path_ = layout + "/blobs/.tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd_) throw_errno("cannot create " + path_);
  }
  ~TempBlob() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempBlob(const TempBlob&) = delete;
  TempBlob& operator=(const TempBlob&) = delete;
  void write(const char* data, size_t size) {
    if (!write_all(fd_.get(), data, size)) throw_errno("cannot write " + path_);
  }
  void commit(const std::string& path) {
    if (::fsync(fd_.get()) != 0) throw_errno("cannot fsync " + path_);
    if (::rename(path_.c_str(), path.c_str()) != 0) throw_errno("cannot rename " + path_);
    path_.clear();
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

// sha256 of the file at `path` ("" when it cannot be opened) and its size.
std::string file_digest(const std::string& path, int64_t& size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  size = -1;
  if (!fd) return "";
  Sha256 h;
  std::vector<char> buf(1 << 20);
  size = 0;
  for (ssize_t n; (n = ::read(fd.get(), buf.data(), buf.size())) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot read " + path);
    h.update(buf.data(), static_cast<size_t>(n));
    size += n;
  }
  return "sha256:" + h.hex();
}

class Layout {
 public:
  Layout(std::string dir, bool create);
  std::string blob_path(const std::string& digest) const {
    if (!is_digest(digest)) throw Error("bad digest '" + printable(digest) + "'");
    return dir_ + "/blobs/sha256/" + digest.substr(7);
  }
  bool has_blob(const Descriptor& d) const {
    int64_t size = 0;
    return file_digest(blob_path(d.digest), size) == d.digest && size == d.size;
  }
  std::string read_blob(const std::string& digest, int64_t max) const;
  void put_blob(const std::string& digest, const std::string& bytes) const {
    TempBlob tmp(dir_);
    tmp.write(bytes.data(), bytes.size());
    tmp.commit(blob_path(digest));
  }
  void set_image(const Descriptor& manifest, const Reference& ref) const;
  std::string index_media_type(const std::string& digest) const;
  const std::string& dir() const { return dir_; }

 private:
  json read_index() const;
  std::string dir_;
};

Layout::Layout(std::string dir, bool create) : dir_(std::move(dir)) {
  if (!create) {
    struct stat st;
    if (::stat((dir_ + "/oci-layout").c_str(), &st) != 0)
      throw Error(dir_ + " is not an OCI image layout (no oci-layout file)");
    return;
  }
  make_dirs(dir_ + "/blobs/sha256", 0755);
  struct stat st;
  if (::stat((dir_ + "/oci-layout").c_str(), &st) != 0)
    write_file_atomic(dir_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
}

std::string Layout::read_blob(const std::string& digest, int64_t max) const {
  const std::string path = blob_path(digest);
  std::string bytes = read_small_file(path);
  if (bytes.empty()) throw Error(path + ": missing or empty");
  if (static_cast<int64_t>(bytes.size()) > max) throw Error(path + ": too large");
  if (sha256_of(bytes) != digest) throw Error(path + ": content does not match its digest");
  return bytes;
}

json Layout::read_index() const {
  std::string text = read_small_file(dir_ + "/index.json");
  json j = text.empty() ? json::object() : parse_json(text, dir_ + "/index.json");
  if (!j.is_object()) throw Error(dir_ + "/index.json: not a JSON object");
  if (!j.contains("manifests") || !j["manifests"].is_array()) j["manifests"] = json::array();
  return j;
}

void Layout::set_image(const Descriptor& manifest, const Reference& ref) const {
  json index = read_index();
  index["schemaVersion"] = 2;
  index["mediaType"] = kOciIndex;
  json kept = json::array();
  for (const json& m : index["manifests"]) {
    const json* ann = m.is_object() && m.contains("annotations") ? &m["annotations"] : nullptr;
    if (ann && ann->is_object() && ann->value("io.containerd.image.name", "") == ref.full())
      continue;
    kept.push_back(m);
  }
  json annotations = {{"io.containerd.image.name", ref.full()}};
  if (!ref.tag.empty()) annotations["org.opencontainers.image.ref.name"] = ref.tag;
  kept.push_back({{"mediaType", manifest.media_type},
                  {"digest", manifest.digest},
                  {"size", manifest.size},
                  {"annotations", annotations}});
  index["manifests"] = kept;
  write_file_atomic(dir_ + "/index.json", index.dump(2) + "\n");
}

std::string Layout::index_media_type(const std::string& digest) const {
  for (const json& m : read_index()["manifests"])
    if (m.is_object() && m.value("digest", "") == digest) return m.value("mediaType", "");
  return "";
}

}  // namespace

// ---- pull ----

namespace {

Scopes pull_scope(const Reference& ref) { return {"repository:" + ref.repository + ":pull"}; }

struct Fetched {
  Descriptor desc;
  std::string body;
  json doc;
};

// GET of a manifest or index by tag or digest, checked against `expect` (digest, size) or
// against Docker-Content-Digest when fetched by tag.
Fetched fetch_manifest(Session& s, const Reference& ref, const std::string& reference,
                       const std::optional<Descriptor>& expect) {
  http::Request req;
  req.url = s.url("/v2/" + ref.repository + "/manifests/" + reference);
  req.headers.add("Accept", std::string(kOciIndex) + ", " + kDockerList + ", " + kOciManifest +
                                ", " + kDockerManifest);
  http::Response r;
  try {
    r = s.call(req, pull_scope(ref), {}, true);  // mirrors and proxies redirect manifests too
  } catch (const http::NetworkError& e) {
    throw Error(s.what() + ": " + e.what());
  }
  if (r.status != 200) s.fail(r, is_digest(reference) ? "manifest " + reference : "");
  if (r.body.size() > kMaxManifest) throw Error(s.what() + ": manifest larger than 4 MiB");
  Fetched f;
  f.body = std::move(r.body);
  f.desc.digest = sha256_of(f.body);
  f.desc.size = static_cast<int64_t>(f.body.size());
  if (expect && (expect->digest != f.desc.digest || expect->size != f.desc.size))
    throw Error(s.what() + ": manifest " + expect->digest + ": digest mismatch (got " +
                f.desc.digest + ", " + std::to_string(f.desc.size) + " bytes)");
  auto header = r.headers.get("Docker-Content-Digest");
  if (!expect && header && is_digest(*header) && *header != f.desc.digest)
    throw Error(s.what() + ": manifest digest mismatch: the registry says " + *header +
                ", the content is " + f.desc.digest);
  f.doc = parse_json(f.body, s.what() + ": manifest");
  if (!f.doc.is_object()) throw Error(s.what() + ": the manifest is not a JSON object");
  f.desc.media_type =
      media_type_of(f.doc, r.headers.get("Content-Type").value_or(""), s.what() + ": manifest");
  return f;
}

// One download of a blob into a temp file, verified, renamed to its digest's name.
void fetch_blob_once(Session& s, const Reference& ref, const Descriptor& d, const Layout& layout) {
  TempBlob tmp(layout.dir());
  Sha256 hash;
  int64_t got = 0;
  http::Sink sink = [&](const char* p, size_t n) {
    if (got + static_cast<int64_t>(n) > d.size)
      throw Error(s.what() + ": blob " + d.digest + ": more than its " + std::to_string(d.size) +
                  " bytes (digest mismatch)");
    tmp.write(p, n);
    hash.update(p, n);
    got += static_cast<int64_t>(n);
    s.bytes(d.digest, got, d.size);
  };
  http::Request req;
  req.url = s.url("/v2/" + ref.repository + "/blobs/" + d.digest);
  http::Response r = s.call(req, pull_scope(ref), sink, true);
  if (r.status >= 500) throw http::NetworkError("server error " + std::to_string(r.status));
  if (r.status != 200) s.fail(r, "blob " + d.digest);
  if (got != d.size)
    throw http::NetworkError("truncated: " + std::to_string(got) + " of " + std::to_string(d.size) +
                             " bytes");
  std::string digest = "sha256:" + hash.hex();
  if (digest != d.digest)
    throw Error(s.what() + ": blob " + d.digest + ": digest mismatch (got " + digest + ")");
  tmp.commit(layout.blob_path(d.digest));
}

void fetch_blob(Session& s, const Reference& ref, const Descriptor& d, const Layout& layout) {
  s.progress(short_id(d.digest) + ": downloading " + std::to_string(d.size) + " bytes");
  for (int attempt = 0;; ++attempt) {
    try {
      fetch_blob_once(s, ref, d, layout);
      s.progress(short_id(d.digest) + ": pull complete");
      return;
    } catch (const http::NetworkError& e) {
      if (attempt == kBlobRetries)
        throw Error(s.what() + ": blob " + d.digest + ": " + e.what() + " (after " +
                    std::to_string(kBlobRetries) + " retries)");
      s.progress(short_id(d.digest) + ": retrying (" + printable(e.what()) + ")");
      std::this_thread::sleep_for(std::chrono::milliseconds(250 << attempt));
    }
  }
}

}  // namespace

std::string pull(const Reference& ref, const std::string& layout_dir, const Options& o,
                 const std::function<bool(const std::string& digest)>& have) {
  Session s(ref.registry, o, "pull " + ref.familiar());
  Fetched top = fetch_manifest(s, ref, ref.digest.empty() ? ref.tag : ref.digest, std::nullopt);
  if (!ref.digest.empty() && top.desc.digest != ref.digest)
    throw Error(s.what() + ": manifest digest mismatch (got " + top.desc.digest + ")");
  if (is_index_type(top.desc.media_type)) {
    Descriptor d;
    try {
      d = select_platform(top.body, o.os, o.architecture, o.variant);
    } catch (const Error& e) {
      throw Error(s.what() + ": " + e.what());
    }
    s.progress(short_id(d.digest) + ": manifest for " + o.os + "/" + o.architecture);
    top = fetch_manifest(s, ref, d.digest, d);
    if (!is_manifest_type(top.desc.media_type))
      throw Error(s.what() + ": " + d.digest + " is not an image manifest");
  }
  Manifest m = parse_manifest(top.doc, s.what() + ": manifest");
  Layout layout(layout_dir, true);
  for (const Descriptor& d : m.blobs()) {
    if (have && have(d.digest)) {
      s.progress(short_id(d.digest) + ": already exists");
    } else if (layout.has_blob(d)) {
      s.progress(short_id(d.digest) + ": already in the layout");
    } else {
      fetch_blob(s, ref, d, layout);
    }
  }
  layout.put_blob(top.desc.digest, top.body);
  layout.set_image(top.desc, ref);
  s.progress("Digest: " + top.desc.digest);
  return top.desc.digest;
}

// ---- push ----

namespace {

Scopes push_scope(const Reference& ref) { return {"repository:" + ref.repository + ":pull,push"}; }

// The repository path of a mount candidate on this registry, "" when it is elsewhere or bad.
std::string mount_source(const std::string& candidate, const Reference& ref) {
  std::string repo = candidate;
  auto [domain, path] = split_domain(candidate);
  if (!domain.empty()) {
    if (registry_host(domain) != registry_host(ref.registry)) return "";
    repo = path;
  }
  if (repo.empty() || repo == ref.repository || repo.size() > 255) return "";
  for (size_t start = 0;;) {
    size_t sep = repo.find('/', start);
    if (!valid_path_component(std::string_view(repo).substr(start, sep - start))) return "";
    if (sep == std::string::npos) break;
    start = sep + 1;
  }
  return repo;
}

std::string upload_location(Session& s, const http::Response& r, const http::Url& from) {
  auto location = r.headers.get("Location");
  if (!location) throw Error(s.what() + ": upload without a Location from the registry");
  return http::resolve(from, *location).str();
}

// POST ...?mount=&from= for each candidate: true when mounted; `location` set when the
// registry opened an upload instead.
bool try_mount(Session& s, const Reference& ref, const Descriptor& d,
               const std::vector<std::string>& candidates, std::string& location) {
  for (const std::string& candidate : candidates) {
    std::string from = mount_source(candidate, ref);
    if (from.empty()) continue;
    http::Request req;
    req.method = "POST";
    req.url =
        s.url("/v2/" + ref.repository + "/blobs/uploads/?mount=" + http::query_escape(d.digest) +
              "&from=" + http::query_escape(from));
    Scopes scopes = push_scope(ref);
    scopes.push_back("repository:" + from + ":pull");
    http::Response r = s.call(req, scopes);
    if (r.status == 201) {
      s.progress(short_id(d.digest) + ": mounted from " + from);
      return true;
    }
    if (r.status == 202) {
      location = upload_location(s, r, req.url);
      return false;
    }
    if (r.status != 404 && r.status != 401 && r.status != 403) s.fail(r, "mount of " + d.digest);
  }
  return false;
}

void upload_blob(Session& s, const Reference& ref, const Layout& layout, const Descriptor& d,
                 std::string location) {
  if (location.empty()) {
    http::Request post;
    post.method = "POST";
    post.url = s.url("/v2/" + ref.repository + "/blobs/uploads/");
    http::Response r = s.call(post, push_scope(ref));
    if (r.status != 202) s.fail(r, "upload of " + d.digest);
    location = upload_location(s, r, post.url);
  }
  const std::string path = layout.blob_path(d.digest);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (!fd || ::fstat(fd.get(), &st) != 0) throw_errno("cannot open " + path);
  if (st.st_size != d.size)
    throw Error(s.what() + ": " + path + " has " + std::to_string(st.st_size) + " bytes, not " +
                std::to_string(d.size));
  http::Request put;
  put.method = "PUT";
  put.url = http::parse_url(location);
  put.url.target += (put.url.target.find('?') == std::string::npos ? "?" : "&") +
                    std::string("digest=") + http::query_escape(d.digest);
  put.headers.add("Content-Type", "application/octet-stream");
  put.body_fd = fd.get();
  put.body_size = static_cast<uint64_t>(d.size);
  http::Response r = s.call(put, push_scope(ref));
  if (r.status != 201 && r.status != 204) s.fail(r, "upload of " + d.digest);
  auto said = r.headers.get("Docker-Content-Digest");
  if (said && *said != d.digest)
    throw Error(s.what() + ": the registry stored " + printable(*said) + " for " + d.digest);
  s.progress(short_id(d.digest) + ": pushed " + std::to_string(d.size) + " bytes");
}

void push_blob(Session& s, const Reference& ref, const Layout& layout, const Descriptor& d,
               const std::function<std::vector<std::string>(const std::string&)>& mount_from) {
  http::Request head;
  head.method = "HEAD";
  head.url = s.url("/v2/" + ref.repository + "/blobs/" + d.digest);
  http::Response r = s.call(head, push_scope(ref));
  if (r.status == 200) {
    s.progress(short_id(d.digest) + ": already exists");
    return;
  }
  if (r.status != 404) s.fail(r, "blob " + d.digest);
  std::string location;
  if (mount_from && try_mount(s, ref, d, mount_from(d.digest), location)) return;
  for (int attempt = 0;; ++attempt) {
    try {
      return upload_blob(s, ref, layout, d, std::exchange(location, ""));
    } catch (const http::NetworkError& e) {
      if (attempt == kBlobRetries) throw Error(s.what() + ": blob " + d.digest + ": " + e.what());
      s.progress(short_id(d.digest) + ": retrying (" + printable(e.what()) + ")");
      std::this_thread::sleep_for(std::chrono::milliseconds(250 << attempt));
    }
  }
}

std::string put_manifest(Session& s, const Reference& ref, const Descriptor& m,
                         const std::string& body) {
  http::Request put;
  put.method = "PUT";
  put.url = s.url("/v2/" + ref.repository + "/manifests/" + (ref.tag.empty() ? m.digest : ref.tag));
  put.headers.add("Content-Type", m.media_type);
  put.body = body;
  http::Response r = s.call(put, push_scope(ref));
  if (r.status != 201 && r.status != 200) s.fail(r, "manifest");
  std::string said = r.headers.get("Docker-Content-Digest").value_or("");
  if (said != m.digest)
    throw Error(s.what() + ": the registry reports the manifest as '" + printable(said) +
                "', not " + m.digest);
  s.progress("Digest: " + said + " size: " + std::to_string(m.size));
  return said;
}

}  // namespace

std::string push(const std::string& layout_dir, const std::string& manifest_digest,
                 const Reference& ref, const Options& o,
                 const std::function<std::vector<std::string>(const std::string&)>& mount_from) {
  const std::string what = "push " + ref.familiar();
  if (!is_digest(manifest_digest))
    throw Error(what + ": bad manifest digest '" + printable(manifest_digest) + "'");
  if (ref.tag.empty() && ref.digest != manifest_digest)
    throw Error(what + ": the reference's digest is not the manifest's " + manifest_digest);
  Layout layout(layout_dir, false);
  Descriptor m{"", manifest_digest, 0};
  std::string body = layout.read_blob(manifest_digest, kMaxManifest);
  m.size = static_cast<int64_t>(body.size());
  json doc = parse_json(body, what + ": manifest");
  if (!doc.is_object()) throw Error(what + ": the manifest is not a JSON object");
  m.media_type = media_type_of(doc, layout.index_media_type(manifest_digest), what + ": manifest");
  if (!is_manifest_type(m.media_type))
    throw Error(what + ": " + manifest_digest + " is an index; push one image manifest");
  Manifest manifest = parse_manifest(doc, what + ": manifest");
  Session s(ref.registry, o, what);
  try {
    for (const Descriptor& d : manifest.blobs()) push_blob(s, ref, layout, d, mount_from);
    return put_manifest(s, ref, m, body);
  } catch (const http::NetworkError& e) {
    throw Error(what + ": " + e.what());
  }
}

// ---- login, logout ----

namespace {

std::string checked_server(const std::string& server, const std::string& what) {
  std::string host = registry_host(server);
  if (!valid_domain(host)) throw Error(what + ": bad registry '" + printable(server) + "'");
  return host;
}

std::string config_path(const Options& o, const std::string& what) {
  if (o.config_dir.empty()) throw Error(what + ": no config directory");
  return o.config_dir + "/config.json";
}

}  // namespace

void login(const std::string& server, const std::string& user, const std::string& password,
           const Options& o) {
  const std::string host = checked_server(server, "login to " + server);
  const std::string what = "login to " + host;
  if (user.empty()) throw Error(what + ": a user name is needed");
  const std::string path = config_path(o, what);
  Session s(host, o, what);
  s.set_credentials(user, password);
  try {
    s.check_login();
  } catch (const http::NetworkError& e) {
    throw Error(what + " failed: " + e.what());
  } catch (const Error& e) {
    const std::string m = e.what();
    if (m.rfind(what + " failed", 0) == 0) throw;
    throw Error(what +
                " failed: " + (m.rfind(what + ": ", 0) == 0 ? m.substr(what.size() + 2) : m));
  }
  make_dirs(o.config_dir, 0700);
  write_file_atomic(path,
                    config_with_auth(read_small_file(path), config_key(host), user, password));
}

bool logout(const std::string& server, const Options& o) {
  const std::string host = checked_server(server, "logout from " + server);
  const std::string path = config_path(o, "logout from " + host);
  const std::string text = read_small_file(path);
  if (text.empty() || !config_credentials(text, host)) return false;
  write_file_atomic(path, config_without_auth(text, config_key(host)));
  return true;
}

}  // namespace mydocker::registry
