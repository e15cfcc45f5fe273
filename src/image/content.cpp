#include "mydocker/image/content.hpp"

#include <fcntl.h>
// SHA256_Init and friends: deprecated in OpenSSL 3 for EVP, whose digests are fetched from a
// provider (and whose initialisation reads openssl.cnf); these are the same code without that.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <new>

#include "mydocker/image/tar.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/scope_guard.hpp"

namespace mydocker {
namespace {

constexpr const char* kTmpPrefix = ".tmp-";
constexpr const char* kPrefix = "sha256:";

SHA256_CTX* ctx_of(unsigned char* raw) { return std::launder(reinterpret_cast<SHA256_CTX*>(raw)); }

// OpenSSL's start-up, whose CPU detection picks the SHA-NI/AVX2 code (main.cpp defers it from
// before main to here); once per process. Not OPENSSL_INIT_NO_LOAD_CONFIG: that would spend
// OpenSSL's one chance to read openssl.cnf, which a later TLS connection (pull, push) needs.
void detect_cpu_once() {
  static const bool done = OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;
  (void)done;
}
constexpr size_t kBulk = 64 * 1024;

bool is_hex64(std::string_view h) {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Reads all of `fd` from offset 0 into `sink` (each block once).
template <typename Sink>
int64_t read_all_from_start(int fd, const std::string& what, Sink&& sink) {
  std::string buf(256 * 1024, '\0');
  int64_t off = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError(errno, what + ": read");
    if (n == 0) return off;
    sink(buf.data(), static_cast<size_t>(n));
    off += n;
  }
}

void copy_fd(int from, int to, const std::string& what) {
  read_all_from_start(from, what, [&](const char* data, size_t n) {
    if (!write_all(to, data, n)) throw SysError(errno, what + ": write");
  });
}

// Gives the unnamed file `fd` (O_TMPFILE, or any file when we are root) the name `path`;
// an existing `path` (the same content, stored before) is kept.
void link_in(int fd, const std::string& path, const std::string& what) {
  if (::linkat(fd, "", AT_FDCWD, path.c_str(), AT_EMPTY_PATH) == 0 || errno == EEXIST) return;
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0 ||
      errno == EEXIST)
    return;
  throw SysError(errno, what + ": cannot store " + path);
}

UniqueFd temp_file_in(const std::string& dir, const std::string& what) {
  make_dirs(dir, 0700);
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0644));
  if (!fd) throw SysError(errno, what + ": cannot create a file in " + dir);
  return fd;
}

}  // namespace

Sha256::Sha256() {
  static_assert(sizeof(SHA256_CTX) <= sizeof(ctx_));
  SHA256_Init(new (ctx_) SHA256_CTX);
}
void Sha256::update(const void* data, size_t size) {
  hashed_ += size;
  if (hashed_ > kBulk) detect_cpu_once();
  SHA256_Update(ctx_of(ctx_), data, size);
}
std::string Sha256::hex() {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, ctx_of(ctx_));
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

bool is_sha256_digest(std::string_view digest) {
  return digest.starts_with(kPrefix) && is_hex64(digest.substr(7));
}

std::string digest_hex(const std::string& digest, const std::string& what) {
  if (!is_sha256_digest(digest))
    throw Error(what + ": unsupported digest '" + digest.substr(0, 80) +
                "' (sha256:<64 lowercase hex digits> expected)");
  return digest.substr(7);
}

std::string sha256_of_fd(int fd, int64_t& size) {
  Sha256 sha;
  size = read_all_from_start(fd, "hash", [&](const char* d, size_t n) { sha.update(d, n); });
  return kPrefix + sha.hex();
}

std::string layer_media_type(const std::string& path) {
  static const std::string kTar = "application/vnd.oci.image.layer.v1.tar";
  unsigned char magic[4] = {};
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd || read_full(fd.get(), magic, sizeof magic) != 4) return kTar;
  if (magic[0] == 0x1f && magic[1] == 0x8b) return kTar + "+gzip";
  if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    return kTar + "+zstd";
  return kTar;
}

std::string digest_of(std::string_view bytes) {
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  return kPrefix + sha.hex();
}

nlohmann::json parse_untrusted_json(std::string_view text) {
  struct TooDeep {};
  try {
    return nlohmann::json::parse(
        text,
        [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
          if (depth > 64) throw TooDeep{};
          return true;
        },
        false);
  } catch (const TooDeep&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

ContentStore::ContentStore(const std::string& data_root)
    : blobs_(data_root + "/blobs/sha256"),
      layers_(data_root + "/layers"),
      links_(data_root + "/l") {}

std::string ContentStore::layer_link(const std::string& diff_id) const {
  const std::string hex = digest_hex(diff_id, "layer");
  const std::string link = links_ + "/" + hex.substr(0, 20);
  const std::string target = "../layers/" + hex + "/diff";
  if (::symlink(target.c_str(), link.c_str()) == 0 || read_link(link) == target) return link;
  make_dirs(links_, 0700);
  // Concurrent runs of images sharing the layer make the same link: EEXIST with our target is
  // success. Another target is a stale link (another layer with those 20 digits is not
  // plausible): replaced.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (::symlink(target.c_str(), link.c_str()) == 0) return link;
    if (errno != EEXIST) break;
    if (read_link(link) == target) return link;
    ::unlink(link.c_str());
  }
  throw SysError(errno, "symlink " + link);
}

std::string ContentStore::blob_path(const std::string& digest) const {
  return blobs_ + "/" + digest_hex(digest, "blob");
}

bool ContentStore::has_blob(const std::string& digest) const {
  return is_sha256_digest(digest) && ::access(blob_path(digest).c_str(), F_OK) == 0;
}

std::string ContentStore::add_blob(int fd, const std::string& expected, int64_t expected_size,
                                   const std::string& what, bool* fresh) {
  if (fresh) *fresh = false;
  if (!expected.empty()) digest_hex(expected, what);
  int64_t size = 0;
  const std::string digest = sha256_of_fd(fd, size);
  if (expected_size >= 0 && size != expected_size)
    throw Error(what + " " + expected + ": size mismatch: " + std::to_string(size) +
                " bytes, expected " + std::to_string(expected_size));
  if (!expected.empty() && digest != expected)
    throw Error(what + ": digest mismatch: the content is " + digest + ", expected " + expected);
  if (has_blob(digest)) return digest;
  if (fresh) *fresh = true;
  make_dirs(blobs_, 0700);
  const std::string path = blob_path(digest);
  if (::linkat(fd, "", AT_FDCWD, path.c_str(), AT_EMPTY_PATH) == 0 || errno == EEXIST)
    return digest;
  UniqueFd copy = temp_file_in(blobs_, what);  // another filesystem: a copy, then checked again
  copy_fd(fd, copy.get(), what);
  int64_t copied = 0;
  if (sha256_of_fd(copy.get(), copied) != digest) throw Error(what + ": changed while stored");
  link_in(copy.get(), path, what);
  return digest;
}

std::string ContentStore::add_blob_bytes(std::string_view bytes, bool* fresh) {
  const std::string digest = digest_of(bytes);
  if (fresh) *fresh = !has_blob(digest);
  if (has_blob(digest)) return digest;
  UniqueFd fd = temp_file_in(blobs_, "store a blob");
  if (!write_all(fd.get(), bytes.data(), bytes.size()))
    throw SysError(errno, "store a blob in " + blobs_);
  link_in(fd.get(), blob_path(digest), "store a blob");
  return digest;
}

std::string ContentStore::add_blob_stream(int in, int64_t& size, const std::string& what,
                                          bool* fresh) {
  UniqueFd fd = temp_file_in(blobs_, what);
  Sha256 sha;
  std::string buf(256 * 1024, '\0');
  size = 0;
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError(errno, what + ": read");
    if (n == 0) break;
    sha.update(buf.data(), static_cast<size_t>(n));
    if (!write_all(fd.get(), buf.data(), static_cast<size_t>(n)))
      throw SysError(errno, what + ": write to " + blobs_);
    size += n;
  }
  if (size == 0) throw Error(what + ": the input is empty");
  const std::string digest = kPrefix + sha.hex();
  if (fresh) *fresh = !has_blob(digest);
  if (!has_blob(digest)) link_in(fd.get(), blob_path(digest), what);
  return digest;
}

std::string ContentStore::read_blob(const std::string& digest, size_t limit) const {
  const std::string path = blob_path(digest);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw Error("blob " + digest + " is missing from " + blobs_);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || static_cast<size_t>(st.st_size) > limit)
    throw Error("blob " + digest + " is larger than " + std::to_string(limit) + " bytes");
  std::string out(static_cast<size_t>(st.st_size), '\0');
  if (read_full(fd.get(), out.data(), out.size()) != static_cast<ssize_t>(out.size()))
    throw SysError(errno, "read " + path);
  return out;
}

std::vector<std::string> ContentStore::blobs() const {
  std::vector<std::string> out;
  for (const auto& name : list_dir(blobs_))
    if (is_hex64(name)) out.push_back(kPrefix + name);
  return out;
}

void ContentStore::remove_blob(const std::string& digest) const {
  if (::unlink(blob_path(digest).c_str()) != 0 && errno != ENOENT)
    throw SysError(errno, "remove " + blob_path(digest));
}

std::string ContentStore::layer_dir(const std::string& diff_id) const {
  return layers_ + "/" + digest_hex(diff_id, "layer") + "/diff";
}

bool ContentStore::has_layer(const std::string& diff_id) const {
  return is_sha256_digest(diff_id) && ::access(layer_dir(diff_id).c_str(), F_OK) == 0;
}

std::string ContentStore::add_layer(const std::string& blob_digest, const std::string& diff_id,
                                    const std::string& what, bool* fresh) {
  if (fresh) *fresh = false;
  if (!diff_id.empty()) digest_hex(diff_id, what + ": diff id");
  if (!diff_id.empty() && has_layer(diff_id)) return diff_id;
  StagingDir staging(layers_, what);  // locked while we unpack: `prune` leaves it alone
  const std::string& tmp = staging.path();
  if (::mkdir((tmp + "/diff").c_str(), 0755) != 0)
    throw SysError(errno, what + ": cannot create " + tmp + "/diff");
  UniqueFd blob(::open(blob_path(blob_digest).c_str(), O_RDONLY | O_CLOEXEC));
  if (!blob) throw SysError(errno, what + ": open " + blob_path(blob_digest));
  std::string got;
  try {
    got = kPrefix + extract_tar(blob.get(), tmp + "/diff", TarKind::kLayer);
  } catch (const Error& e) {
    std::string why = e.what();  // "import: entry x: ..." from extract_tar
    if (why.rfind("import: ", 0) == 0) why = why.substr(8);
    throw Error(what + ": " + why);
  }
  if (!diff_id.empty() && got != diff_id)
    throw Error(what + ": diff id mismatch: the uncompressed layer is " + got +
                ", the image config says " + diff_id);
  if (has_layer(got)) return got;  // import: the same content, unpacked before
  write_file(tmp + "/size", std::to_string(tree_size(tmp + "/diff")) + "\n", false);
  // False: another load unpacked the same layer first; ours goes with `staging`.
  if (staging.rename_to(layers_ + "/" + got.substr(7)) && fresh) *fresh = true;
  return got;
}

int64_t ContentStore::layer_size(const std::string& diff_id) const {
  const auto text = Fs().read_if_exists(layers_ + "/" + digest_hex(diff_id, "layer") + "/size");
  return text ? std::atoll(text->c_str()) : 0;
}

std::vector<std::string> ContentStore::layers() const {
  std::vector<std::string> out;
  for (const auto& name : list_dir(layers_))
    if (is_hex64(name)) out.push_back(kPrefix + name);
  return out;
}

void ContentStore::remove_layer(const std::string& diff_id) const {
  const std::string dir = layers_ + "/" + digest_hex(diff_id, "layer");
  ::unlink((links_ + "/" + dir.substr(dir.size() - 64, 20)).c_str());
  // Out of sight in one step (a run never sees half a layer), then removed at leisure.
  const std::string doomed = layers_ + "/" + kTmpPrefix + new_container_id();
  if (::rename(dir.c_str(), doomed.c_str()) != 0) {
    if (errno == ENOENT) return;
    throw SysError(errno, "remove layer " + dir);
  }
  remove_tree(doomed);
}

std::vector<std::string> ContentStore::abandoned() const {
  std::vector<std::string> out;
  for (const auto& e : list_dir(layers_))
    if (e.rfind(kTmpPrefix, 0) == 0 && !is_locked(layers_ + "/" + e))
      out.push_back(layers_ + "/" + e);
  return out;
}

}  // namespace mydocker
