#pragma once
// A client of the Docker Registry HTTP API v2 (the OCI distribution spec): images move between
// a registry and an OCI image layout directory, the seam with the image store (`load` reads
// such a layout, `save` writes one):
//
//   <layout>/oci-layout             {"imageLayoutVersion":"1.0.0"}
//   <layout>/index.json             the image's manifest descriptor, annotated with its names
//   <layout>/blobs/sha256/<hex>     manifests, configs, layers, each named by its digest
//
// Every blob is verified against its digest and size before it is renamed into place; only
// "sha256:" + 64 lowercase hex digits is a digest here, checked before it names a file.
// Authentication as docker: anonymous first, then on a 401 a bearer token from the realm the
// registry names (with the stored credentials when there are some), or basic credentials.
// Credentials live in <config_dir>/config.json, docker's format; extra CAs for a registry in
// <config_dir>/certs.d/<host[:port]>/*.crt. Plain HTTP only for localhost and the registries
// the caller lists as insecure, and only when the registry does not speak TLS: a certificate
// that does not verify is an error for every registry (docker skips verification for insecure
// registries; we do not).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mydocker::registry {

// An image reference, normalised as docker does.
struct Reference {
  std::string registry;    // "registry-1.docker.io" for docker.io or no host; "localhost:5000"
  std::string repository;  // "library/busybox" for docker.io single names
  std::string tag;         // "latest" when neither tag nor digest given; "" with a digest only
  std::string digest;      // "sha256:<64hex>" or ""

  // As docker prints it: "busybox:latest", "localhost:5000/x:1", "x@sha256:...".
  std::string familiar() const;
  // The full name without tag or digest, docker.io spelled so: "docker.io/library/busybox".
  std::string name() const;
  // name() with ":tag" and/or "@digest", as containerd names images.
  std::string full() const;
};
// Docker's grammar (github.com/distribution/reference): [domain/]path[:tag][@digest]. The first
// component is a domain when it holds '.' or ':', is "localhost" or has upper case; path
// components are [a-z0-9]+ joined by '.', '_', '__' or dashes; a tag is [\w][\w.-]{0,127}; the
// name is at most 255 characters; only sha256 digests. Throws Error (exit 125) naming `text`.
Reference parse_reference(const std::string& text);

struct Options {
  // host[:port] allowed over plain HTTP when they do not speak TLS (localhost, 127.0.0.0/8 and
  // ::1 always are, as in docker). A host alone matches every port.
  std::vector<std::string> insecure_registries;
  // <config_dir>/config.json: credentials; <config_dir>/certs.d/<host[:port]>/*.crt: CAs
  // trusted for that registry besides the system store. "" = neither.
  std::string config_dir;
  // One plain line per event ("3f2a9c8e1b7d: downloading 2141184 bytes"); the caller draws.
  std::function<void(const std::string& line)> progress;
  // Bytes of a blob as they arrive or leave (digest, done, total): what a progress bar draws.
  std::function<void(const std::string& digest, int64_t done, int64_t total)> bytes;
  // The platform picked from an index / manifest list.
  std::string os = "linux", architecture = "amd64", variant;
  // The system CA bundle (tests point it elsewhere).
  std::string system_ca_file = "/etc/ssl/certs/ca-certificates.crt";
};

// Downloads `ref` into the OCI layout at `layout_dir` (created if missing). index.json gets one
// descriptor (mediaType, digest, size) for the manifest stored, annotated
// "org.opencontainers.image.ref.name": the tag (left out for a digest-only reference) and
// "io.containerd.image.name": ref.full(); a descriptor of another image name already there is
// kept, one of the same name replaced. From an index / manifest list the platform of `o` is
// picked and only that manifest is stored. Blobs for which have(digest) is true are not
// downloaded (nor stored: the caller has them); a blob already in the layout is verified and
// kept. A failed blob download (connection reset, truncated, 5xx) is retried 3 times from the
// start. Returns the digest of the manifest stored. Throws Error: "pull localhost:5000/x:1:
// manifest unknown (404)", "pull ...: blob sha256:...: digest mismatch (got sha256:...)".
std::string pull(const Reference& ref, const std::string& layout_dir, const Options& o,
                 const std::function<bool(const std::string& digest)>& have);

// Uploads the image whose manifest is `manifest_digest` in the OCI layout `layout_dir` (its
// config and layers there too) as `ref` (by its tag; by its digest when it has no tag, which
// must then be `manifest_digest`). Each blob (layers, then the config): HEAD, skipped when the
// registry has it; else mounted from one of the repositories mount_from(digest) names on the
// same registry ("library/busybox", or "HOST/library/busybox" with HOST this registry; others
// skipped); else POST + one PUT. The manifest last, with its own media type. Returns the
// digest the registry reports (Docker-Content-Digest), which must be ours.
std::string push(
    const std::string& layout_dir, const std::string& manifest_digest, const Reference& ref,
    const Options& o,
    const std::function<std::vector<std::string>(const std::string& digest)>& mount_from);

// Checks the credentials against the registry's GET /v2/ (basic, or the bearer token flow) and
// stores them in <config_dir>/config.json (0600, replaced atomically, other entries kept).
// `server` as docker takes it: "localhost:5000", "https://quay.io", "docker.io" (stored as
// "https://index.docker.io/v1/"). Throws Error "login to HOST failed: 401 Unauthorized".
void login(const std::string& server, const std::string& user, const std::string& password,
           const Options& o);
// Removes the stored credentials of `server`; false when there were none.
bool logout(const std::string& server, const Options& o);

// ---- the pieces, for callers and tests ----

// "sha256:" + 64 lowercase hex digits.
bool is_digest(std::string_view digest);

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
};

// The descriptor of the manifest for os/architecture/variant in an index or manifest list (its
// JSON text): the exact variant when one is asked, else one without a variant or with the
// architecture's default (arm64 v8, arm v7), else the highest variant. Throws Error "no
// matching manifest for linux/amd64 in the manifest list entries".
Descriptor select_platform(const std::string& index_json, const std::string& os,
                           const std::string& architecture, const std::string& variant);

// The host of `server` as docker normalises a login/config key: scheme and path dropped,
// "docker.io", "index.docker.io" and "registry-1.docker.io" to "registry-1.docker.io".
std::string registry_host(const std::string& server);
// The key config.json uses for `registry`: "https://index.docker.io/v1/" for docker.io,
// otherwise host[:port].
std::string config_key(const std::string& registry);
// config.json text with auths[key] = {"auth": base64(user:password)}, every other entry and
// field kept; "" stands for no file. Throws Error for a file that is not a JSON object.
std::string config_with_auth(const std::string& config_text, const std::string& key,
                             const std::string& user, const std::string& password);
// config.json text without auths[key] (and its "https://" / "http://" spellings).
std::string config_without_auth(const std::string& config_text, const std::string& key);
// The user and password stored for `registry` in config.json text, nullopt when none.
std::optional<std::pair<std::string, std::string>> config_credentials(
    const std::string& config_text, const std::string& registry);

}  // namespace mydocker::registry
