#pragma once
// Tar streams in and out of directory trees, with libarchive (never a tar program): what
// `import`, `export` and `commit` move images and containers with.
//
// Only the tar readers (ustar, pax, GNU) and the gzip, xz, zstd and bzip2 filters are used,
// so a static binary does not pull in the other formats' libraries.

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
// `layer`: the stream is an image layer (OCI image-spec): its whiteouts become overlayfs' own
// form once every entry is written: `.wh.NAME` a 0:0 character device NAME (unless the layer
// itself has NAME: a whiteout hides lower layers only), `.wh..wh..opq` the xattr
// trusted.overlay.opaque=y on its directory; other `.wh..wh.*` (aufs metadata) are skipped.
// Their directories are reached without following a symlink (openat2 RESOLVE_NO_SYMLINKS).
std::string extract_tar(int fd, const std::string& dest, bool layer = false);

// Writes the tree under `dir` to `fd` as a pax tar, as `docker export` does: paths relative
// ("bin/sh", no "./" and no entry for `dir` itself), numeric owners, modes, mtimes (whole
// seconds, as docker), symlinks (not followed), hard links, devices, fifos and xattrs. Sockets
// are skipped, and so are other filesystems mounted under `dir`. Throws Error.
void write_tar(const std::string& dir, int fd);

// The sha256 of `data` as 64 hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace mydocker
