#pragma once
// Tar streams in and out of directory trees, with libarchive (never a tar program): what
// `import`, `export` and `commit` move images and containers with.
//
// Only the tar readers (ustar, pax, GNU) and the gzip, xz, zstd and bzip2 filters are used,
// so a static binary does not pull in the other formats' libraries.

#include <cstdint>
#include <string>
#include <string_view>

namespace mydocker {

// Extracts the tar stream read from `fd` (plain, gzip, xz, zstd or bzip2: detected) into the
// existing directory `dest`, as `docker import` does: files, directories, symlinks, hard links,
// fifos, modes, mtimes and xattrs; owners and device nodes only when running as root (device
// nodes are skipped otherwise). Returns the sha256 (64 hex digits) of the uncompressed stream,
// every byte of it.
//
// Nothing lands outside `dest`: a leading "/" is dropped ("/etc/x" -> dest/etc/x), a ".."
// component in a path or a hard link's target fails the import, and libarchive refuses to
// write through a symlink (link -> /etc, then link/passwd). Throws Error naming the entry:
// "import: entry ../../etc/passwd: path leaves the image".
//
// Works from `dest` as the current directory (libarchive resolves paths from there) and puts
// the caller's back afterwards: not for a process with other threads using relative paths.
//
// kLayer: the stream is an image layer (OCI image-spec): its whiteouts become overlayfs' own
// form once every entry is written: `.wh.NAME` a 0:0 character device NAME (unless the layer
// itself has NAME: a whiteout hides lower layers only), `.wh..wh..opq` the xattr
// trusted.overlay.opaque=y on its directory; other `.wh..wh.*` (aufs metadata) are skipped.
// Their directories are reached without following a symlink (openat2 RESOLVE_NO_SYMLINKS).
// Entries' own trusted.overlay.* attributes are dropped. More than 64 MiB after the tar's end
// is refused.
// kWrapping: an archive's outer tar (`load`): only files, directories and links are written
// (no device node or fifo of an archive reaches the disk), and no digest is computed ("").
enum class TarKind { kRootfs, kLayer, kWrapping };
std::string extract_tar(int fd, const std::string& dest, TarKind kind = TarKind::kRootfs);
// The sha256 (64 hex) of the uncompressed stream read from `fd` (plain or compressed): a layer
// blob's diff id, without unpacking it.
std::string uncompressed_sha256(int fd);

// Writes the tree under `dir` to `fd` as a pax tar, as `docker export` does: paths relative
// ("bin/sh", no "./" and no entry for `dir` itself), numeric owners, modes, mtimes (whole
// seconds, as docker), symlinks (not followed), hard links, devices, fifos and xattrs. Sockets
// are skipped, and so are other filesystems mounted under `dir`. Throws Error.
// `layer`: `dir` is an overlay upper directory and the tar an image layer: overlayfs'
// whiteouts (0:0 character devices, the opaque xattr) become the OCI `.wh.` entries.
void write_tar(const std::string& dir, int fd, bool layer = false);

// docker's size of a layer: the bytes of its files and symlinks, each hard-linked inode once.
int64_t tree_size(const std::string& dir);

// The sha256 of `data` as 64 hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace mydocker

struct archive;  // libarchive's

namespace mydocker {

// A tar written entry by entry (pax, numeric owners 0:0, mtime 0, so that the same content
// gives the same bytes): what `save` writes an image layout with. Throws Error.
class TarWriter {
 public:
  explicit TarWriter(int fd);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;
  void add_dir(const std::string& name);
  void add_bytes(const std::string& name, std::string_view data);
  void add_file(const std::string& name, const std::string& path);  // its bytes, streamed
  void close();

 private:
  void header(const std::string& name, int type, int64_t size);
  ::archive* tar_;
};

}  // namespace mydocker
