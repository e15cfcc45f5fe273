#pragma once
// Content-addressed storage under the data root: blobs by sha256, and layers unpacked once.
//
//   <data>/blobs/sha256/<hex>        a blob as it came (a config, a manifest, a layer tar:
//                                    plain or compressed), its name the sha256 of its bytes
//   <data>/layers/<hex>/diff/        a layer unpacked (whiteouts in overlayfs' form), <hex> its
//                                    diff id: the sha256 of the uncompressed tar
//   <data>/layers/<hex>/size         the bytes of its files (docker's size of a layer)
//
// Nothing half-written ever carries a final name. A blob is written to an O_TMPFILE (gone with
// its writer if it is killed) and linked in once its digest is checked; a layer is unpacked
// into layers/.tmp-<random> (locked by its writer while it lives) and renamed to its diff id
// only when the uncompressed stream's digest matched. A layer that exists is complete.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mydocker {

// SHA-256 through libcrypto's one-call API. The CPU's SHA extensions are detected (OpenSSL's
// initialisation, about 8 `cpuid`s: 0.1 ms in a VM) once a hash passes 64 KiB: the short inputs
// of the run path (the seccomp cache key, a config's id) are hashed by the generic code, which is
// quicker than that detection for them.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  std::string hex();  // 64 lowercase hex digits; the object is spent

 private:
  alignas(8) unsigned char ctx_[128];
  size_t hashed_ = 0;
};

// "sha256:" and 64 lowercase hex digits: the only digests accepted (anything else from an
// archive or a registry is refused before it is used as a path).
bool is_sha256_digest(std::string_view digest);
// The hex part of `digest`; throws Error "<what>: unsupported digest '<digest>'".
std::string digest_hex(const std::string& digest, const std::string& what);
// The sha256 digest ("sha256:<hex>") of the file open at `fd`, read from offset 0 (pread: the
// offset stays), and its size.
std::string sha256_of_fd(int fd, int64_t& size);
// The OCI media type of a layer blob by its first bytes: application/vnd.oci.image.layer.v1.tar,
// +gzip or +zstd (xz and bzip2, which OCI has no type for, are read but named tar, as podman).
std::string layer_media_type(const std::string& path);
// "sha256:<hex>" of `bytes`.
std::string digest_of(std::string_view bytes);

// JSON from an archive or a registry, parsed with a nesting limit of 64: a document nested a
// million deep is refused, not a stack overflow. Discarded (is_discarded()) when invalid.
nlohmann::json parse_untrusted_json(std::string_view text);

class ContentStore {
 public:
  explicit ContentStore(const std::string& data_root);

  std::string blob_path(const std::string& digest) const;  // digest checked
  bool has_blob(const std::string& digest) const;
  // Stores the regular file open at `fd` as a blob. When `expected` is set, its digest (and
  // `expected_size` when >= 0) must match: else Error "<what>: digest mismatch ..." and nothing
  // stored. Returns the digest. The file is hard-linked in when it can be, copied otherwise.
  // `fresh` (when given) is set when the blob was not stored before: what a failed load removes.
  std::string add_blob(int fd, const std::string& expected, int64_t expected_size,
                       const std::string& what, bool* fresh = nullptr);
  std::string add_blob_bytes(std::string_view bytes, bool* fresh = nullptr);
  // A stream (a pipe, stdin) into a blob; returns its digest. `size` gets its length. Error
  // "<what>: the input is empty" (nothing stored) for an empty stream.
  std::string add_blob_stream(int fd, int64_t& size, const std::string& what,
                              bool* fresh = nullptr);
  // The blob's bytes; Error when it is missing or larger than `limit`.
  std::string read_blob(const std::string& digest, size_t limit = 16u << 20) const;
  std::vector<std::string> blobs() const;  // digests
  void remove_blob(const std::string& digest) const;

  std::string layer_dir(const std::string& diff_id) const;  // <data>/layers/<hex>/diff
  bool has_layer(const std::string& diff_id) const;
  // <data>/l/<20 hex of the diff id>, a symlink to the layer's diff/ (made when missing): the
  // short name overlay mounts use.
  std::string layer_link(const std::string& diff_id) const;
  // Unpacks the blob `blob_digest` (a tar, plain or compressed) as the layer `diff_id`, unless
  // that layer exists. Error (nothing left behind) when the uncompressed digest differs, or an
  // entry is unsafe. An empty `diff_id`: whatever the blob unpacks to (import). Returns the
  // diff id; `fresh` as for add_blob.
  std::string add_layer(const std::string& blob_digest, const std::string& diff_id,
                        const std::string& what, bool* fresh = nullptr);
  int64_t layer_size(const std::string& diff_id) const;
  std::vector<std::string> layers() const;  // diff ids
  void remove_layer(const std::string& diff_id) const;

  // layers/.tmp-* that no live process holds (a writer killed half-way).
  std::vector<std::string> abandoned() const;

 private:
  std::string blobs_, layers_, links_;
};

}  // namespace mydocker
