#include "mydocker/image/tar.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <set>
#include <string_view>
#include <vector>

#include "mydocker/image/content.hpp"
#include "mydocker/image/libarchive.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/scope_guard.hpp"

namespace mydocker {

std::string relative_to(const std::string& dir, const std::string& path) {
  std::string base = dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (path.size() <= base.size()) return "";
  size_t start = base.size();
  while (start < path.size() && path[start] == '/') ++start;
  return path.substr(start);
}

archive* copy_to_tar(archive* disk, archive* tar) {
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  for (;;) {
    const int r = archive_read_data_block(disk, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) return nullptr;
    if (r < ARCHIVE_WARN) return disk;
    if (archive_write_data(tar, buf, size) < 0) return tar;
  }
}

archive* extract_data(archive* tar, archive* disk) {
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  for (;;) {
    const int r = archive_read_data_block(tar, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) return nullptr;
    if (r < ARCHIVE_WARN) return tar;
    if (archive_write_data_block(disk, buf, size, offset) < ARCHIVE_WARN) return disk;
  }
}

namespace {

std::string error_text(archive* a) {
  const char* why = archive_error_string(a);
  return why ? why : "unknown libarchive error";
}

[[noreturn]] void fail(const std::string& what, archive* a) {
  throw Error(what + ": " + error_text(a));
}

// ---- extract_tar ----

// The input as read from its fd, remembering whether there was any.
struct Input {
  int fd = -1;
  bool got_bytes = false;
  bool failed = false;
  char buf[64 * 1024];
};

la_ssize_t read_input(archive* a, void* client, const void** buf) {
  auto* in = static_cast<Input*>(client);
  ssize_t n;
  while ((n = ::read(in->fd, in->buf, sizeof in->buf)) < 0 && errno == EINTR) {
  }
  if (n < 0) {
    in->failed = true;
    archive_set_error(a, errno, "%s", errno_text(errno).c_str());
    return -1;
  }
  if (n > 0) in->got_bytes = true;
  *buf = in->buf;
  return n;
}

// The uncompressed stream: a "raw" archive whose one entry is the decompressed input. The tar
// reader pulls from it through read_uncompressed, which hashes every block it hands over.
struct Uncompressed {
  Input input;
  ReadArchive raw;
  Sha256 sha;
};

la_ssize_t read_uncompressed(archive* tar, void* client, const void** buf) {
  auto* u = static_cast<Uncompressed*>(client);
  size_t size = 0;
  la_int64_t offset = 0;
  const int r = archive_read_data_block(u->raw.get(), buf, &size, &offset);
  if (r == ARCHIVE_EOF) return 0;
  if (r != ARCHIVE_OK) {
    archive_set_error(tar, archive_errno(u->raw.get()), "%s", archive_error_string(u->raw.get()));
    return -1;
  }
  u->sha.update(*buf, size);
  return static_cast<la_ssize_t>(size);
}

void open_uncompressed(Uncompressed& u, int fd) {
  u.input.fd = fd;
  u.raw.reset(archive_read_new());
  archive* a = u.raw.get();
  // ARCHIVE_WARN would mean "through an external program": never shell out.
  if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
      archive_read_support_filter_xz(a) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
      archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
      archive_read_support_format_raw(a) != ARCHIVE_OK)
    fail("import: libarchive lacks a built-in decompressor", a);
  archive_entry* entry = nullptr;
  if (archive_read_open(a, &u.input, nullptr, read_input, nullptr) == ARCHIVE_OK &&
      archive_read_next_header(a, &entry) == ARCHIVE_OK)
    return;
  if (!u.input.got_bytes && !u.input.failed) throw Error("import: the input is empty");
  fail("import: cannot read the input", a);
}

// The path of an entry (or of a hard link's target) inside the image: a leading "/", "." and
// empty components dropped. "" for the image's root. Throws Error for a ".." component.
std::string inside_path(const std::string& entry, const std::string& path,
                        const std::string& what) {
  std::string out;
  for (const auto& part : split(path, "/")) {
    if (part == "..") throw Error("import: entry " + entry + ": " + what + " leaves the image");
    if (part != ".") out += (out.empty() ? "" : "/") + part;
  }
  return out;
}

// Points the entry's path and hard link target into the image. False: nothing to write.
bool place_entry(archive_entry* entry) {
  const char* raw_name = archive_entry_pathname(entry);
  const std::string name = raw_name ? raw_name : "";
  const std::string path = inside_path(name, name, "path");
  if (path.empty()) return false;  // the root directory: `dest` itself
  archive_entry_copy_pathname(entry, path.c_str());
  if (const char* target = archive_entry_hardlink(entry)) {
    const std::string inside = inside_path(name, target, "hard link to " + std::string(target));
    if (inside.empty()) throw Error("import: entry " + name + ": hard link to the image's root");
    archive_entry_copy_hardlink(entry, inside.c_str());
  }
  const auto type = archive_entry_filetype(entry);
  if ((type == AE_IFCHR || type == AE_IFBLK) && ::geteuid() != 0) {
    spdlog::debug("import: skipping the device node {}: mknod needs root", path);
    return false;
  }
  return true;
}

int extract_flags() {
  int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
              ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
              ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
  if (::geteuid() == 0) flags |= ARCHIVE_EXTRACT_OWNER;
  return flags;
}

void check_entry(int r, archive* a, const std::string& name) {
  if (r < ARCHIVE_WARN) fail("import: entry " + name, a);
  // What cannot be kept here (a security.* xattr without root) is not worth failing for.
  if (r == ARCHIVE_WARN) spdlog::debug("import: entry {}: {}", name, error_text(a));
}

// ---- whiteouts (OCI image-spec, "Whiteouts") ----

constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

// A layer's deletions, applied once the whole layer is written: whiteouts hide what lower
// layers have, never what the same layer has (the spec's rule), whatever the entries' order.
struct Whiteouts {
  std::vector<std::string> hidden;  // "a/b": overlayfs' form is a 0:0 character device
  std::vector<std::string> opaque;  // "c" ("" for the root): trusted.overlay.opaque=y
};

// The directory `rel` below the current one, opened without following any symlink and without
// leaving it (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS); made when missing (an opaque
// marker whose directory has no entry of its own).
UniqueFd open_layer_dir(const std::string& rel, const std::string& entry) {
  UniqueFd dir(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  for (const auto& part : split(rel, "/")) {
    if (part.empty()) continue;
    open_how how{};
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    int fd = openat2_retry(dir.get(), part.c_str(), how);
    if (fd < 0 && errno == ENOENT && ::mkdirat(dir.get(), part.c_str(), 0755) == 0)
      fd = openat2_retry(dir.get(), part.c_str(), how);
    if (fd < 0)
      throw SysError(errno, "import: entry " + entry + ": its directory " + rel +
                                " (a symlink or not a directory?)");
    dir.reset(fd);
  }
  return dir;
}

// True (and noted in `w`) when `path` is a whiteout, which is not extracted as a file.
bool note_whiteout(const std::string& path, const std::string& entry, Whiteouts& w) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.rfind(kWhiteout, 0) != 0) return false;
  if (base == kOpaque) {
    w.opaque.push_back(dir);
    return true;
  }
  const std::string name = base.substr(kWhiteout.size());
  if (name.rfind(kWhiteout, 0) == 0) return true;  // .wh..wh.plnk and other aufs metadata
  if (name.empty() || name == "." || name == "..")
    throw Error("import: entry " + entry + ": a whiteout of nothing");
  w.hidden.push_back(dir.empty() ? name : dir + "/" + name);
  return true;
}

void apply_whiteouts(const Whiteouts& w) {
  for (const auto& dir : w.opaque) {
    UniqueFd fd = open_layer_dir(dir, dir + "/" + std::string(kOpaque));
    if (::fsetxattr(fd.get(), "trusted.overlay.opaque", "y", 1, 0) != 0)
      throw SysError(errno, "import: entry " + dir + "/" + std::string(kOpaque) +
                                ": set trusted.overlay.opaque");
  }
  for (const auto& path : w.hidden) {
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    const std::string entry = (dir.empty() ? "" : dir + "/") + std::string(kWhiteout) + name;
    UniqueFd fd = open_layer_dir(dir, entry);
    struct stat st {};
    if (::fstatat(fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) continue;  // ours
    if (::mknodat(fd.get(), name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
      throw SysError(errno, "import: entry " + entry + ": mknod the whiteout");
  }
}

// Extracts into the current directory; returns the stream's digest.
// What an entry of the given kind may carry: a layer never sets overlayfs' own attributes
// (trusted.overlay.redirect could point a directory anywhere in the lower layers).
void drop_overlay_xattrs(archive_entry* entry) {
  keep_xattrs(entry, [](std::string_view n) { return !n.starts_with("trusted.overlay."); });
}

// Only files, directories and links: what an archive's own wrapping (load's staging) holds.
bool plain_kind(archive_entry* entry) {
  const auto type = archive_entry_filetype(entry);
  return type == AE_IFREG || type == AE_IFDIR || type == AE_IFLNK;
}

// The digest covers the whole stream, the zero blocks after the tar's end too; a layer with
// more than 64 MiB after its end is refused (a stream that never ends would never finish).
void hash_trailer(archive* tar, Uncompressed& u) {
  const void* buf = nullptr;
  la_ssize_t n;
  int64_t total = 0;
  while ((n = read_uncompressed(tar, &u, &buf)) > 0)
    if ((total += n) > (int64_t{64} << 20))
      throw Error("import: more than 64 MiB of data after the tar's end");
  if (n < 0) fail("import: after the archive's end", tar);
}

std::string extract_here(int fd, TarKind kind) {
  const bool layer = kind == TarKind::kLayer;
  Uncompressed u;
  open_uncompressed(u, fd);
  ReadArchive tar(archive_read_new());
  archive_read_support_format_tar(tar.get());  // ustar, pax and GNU tar
  if (archive_read_open(tar.get(), &u, nullptr, read_uncompressed, nullptr) != ARCHIVE_OK)
    fail("import: not a tar archive", tar.get());
  // No archive_write_disk_set_standard_lookup: owners stay the image's numeric ids, never
  // remapped through the names in the host's /etc/passwd.
  WriteArchive disk(archive_write_disk_new());
  archive_write_disk_set_options(disk.get(), extract_flags());
  std::string name;  // of the last entry read, for errors
  Whiteouts whiteouts;
  for (archive_entry* entry = nullptr;;) {
    const int r = archive_read_next_header(tar.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      fail(name.empty() ? "import: not a tar archive" : "import: after entry " + name, tar.get());
    name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    if (kind == TarKind::kWrapping && !plain_kind(entry)) continue;
    if (!place_entry(entry)) continue;
    if (layer) drop_overlay_xattrs(entry);
    if (layer && note_whiteout(archive_entry_pathname(entry), name, whiteouts)) continue;
    check_entry(archive_write_header(disk.get(), entry), disk.get(), name);
    if (archive_entry_size(entry) > 0)
      if (archive* failed = extract_data(tar.get(), disk.get()))
        fail("import: entry " + name, failed);
    check_entry(archive_write_finish_entry(disk.get()), disk.get(), name);
  }
  // Directory modes and times are set last, once nothing more is written inside them.
  if (archive_write_close(disk.get()) != ARCHIVE_OK) fail("import: finishing", disk.get());
  apply_whiteouts(whiteouts);
  if (kind == TarKind::kWrapping) return "";  // its digest is nobody's
  hash_trailer(tar.get(), u);
  return u.sha.hex();
}

// ---- write_tar ----

// Writes an empty file entry `name` (a whiteout) into `tar`.
void write_marker(archive* tar, const std::string& name, time_t mtime) {
  ArchiveEntry e(archive_entry_new());
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_size(e.get(), 0);
  archive_entry_set_mtime(e.get(), mtime, 0);
  if (archive_write_header(tar, e.get()) < ARCHIVE_WARN) fail("cannot archive " + name, tar);
}

// A layer's entry from an overlay upper directory, in the OCI form: a 0:0 character device
// (overlayfs' whiteout) becomes ".wh.NAME" (true: the entry itself is not written); an opaque
// directory (trusted.overlay.opaque=y) is followed by its ".wh..wh..opq"; overlayfs' own
// trusted.overlay.* attributes never leave.
bool layer_entry(archive* tar, archive_entry* entry, const std::string& full,
                 const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (archive_entry_filetype(entry) == AE_IFCHR && archive_entry_rdev(entry) == 0) {
    write_marker(tar, dir + std::string(kWhiteout) + base, archive_entry_mtime(entry));
    return true;
  }
  std::vector<std::pair<std::string, std::string>> kept;
  archive_entry_xattr_reset(entry);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  bool opaque = false;
  while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
    const std::string n = name ? name : "";
    if (n == "trusted.overlay.opaque" && size == 1 && *static_cast<const char*>(value) == 'y')
      opaque = true;
    if (n.rfind("trusted.overlay.", 0) != 0)
      kept.emplace_back(n, std::string(static_cast<const char*>(value), size));
  }
  archive_entry_xattr_clear(entry);
  for (const auto& [n, v] : kept)
    archive_entry_xattr_add_entry(entry, n.c_str(), v.data(), v.size());
  if (opaque && archive_entry_filetype(entry) == AE_IFDIR) {
    if (archive_write_header(tar, entry) < ARCHIVE_WARN) fail("cannot archive " + full, tar);
    write_marker(tar, path + "/" + std::string(kOpaque), archive_entry_mtime(entry));
    return true;
  }
  return false;
}

}  // namespace

int64_t tree_size(const std::string& dir) {
  int64_t total = 0;
  std::set<std::pair<dev_t, ino_t>> linked;
  std::error_code ec;
  namespace stdfs = std::filesystem;
  for (auto it = stdfs::recursive_directory_iterator(
           dir, stdfs::directory_options::skip_permission_denied, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    if (st.st_nlink > 1 && !linked.insert({st.st_dev, st.st_ino}).second) continue;
    total += st.st_size;
  }
  return total;
}

std::string uncompressed_sha256(int fd) {
  Uncompressed u;
  open_uncompressed(u, fd);
  const void* buf = nullptr;
  la_ssize_t n;
  while ((n = read_uncompressed(u.raw.get(), &u, &buf)) > 0) {
  }
  if (n < 0) fail("cannot read the layer", u.raw.get());
  return u.sha.hex();
}

std::string extract_tar(int fd, const std::string& dest, TarKind kind) {
  UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cwd) throw SysError(errno, "import: cannot open the current directory");
  if (::chdir(dest.c_str()) != 0) throw SysError(errno, "import: cannot enter " + dest);
  ScopeGuard back([&] {
    if (::fchdir(cwd.get()) != 0) spdlog::warn("cannot return to the working directory");
  });
  return extract_here(fd, kind);
}

void write_tar(const std::string& dir, int fd, bool layer) {
  ReadArchive disk(archive_read_disk_new());
  archive_read_disk_set_symlink_physical(disk.get());
  // Sparse files go out dense (as docker's); no standard lookup: owners stay numeric.
  archive_read_disk_set_behavior(disk.get(),
                                 ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS | ARCHIVE_READDISK_NO_ACL |
                                     ARCHIVE_READDISK_NO_FFLAGS | ARCHIVE_READDISK_NO_SPARSE);
  if (archive_read_disk_open(disk.get(), dir.c_str()) != ARCHIVE_OK)
    fail("cannot archive " + dir, disk.get());
  WriteArchive tar(archive_write_new());
  archive_write_set_format_pax_restricted(tar.get());
  if (archive_write_open_fd(tar.get(), fd) != ARCHIVE_OK)
    fail("cannot write the archive of " + dir, tar.get());
  // pax's strategy: the first name of an inode carries the data, later ones are hard links to
  // it (entries are neither held back nor swapped).
  LinkResolver links(archive_entry_linkresolver_new());
  archive_entry_linkresolver_set_strategy(links.get(), archive_format(tar.get()));
  ArchiveEntry owned(archive_entry_new());
  for (;;) {
    archive_entry* entry = archive_entry_clear(owned.get());
    const int r = archive_read_next_header2(disk.get(), entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) fail("cannot archive " + dir, disk.get());
    archive_read_disk_descend(disk.get());
    const std::string path = relative_to(dir, archive_entry_pathname(entry));
    if (path.empty() || archive_entry_filetype(entry) == AE_IFSOCK) continue;
    archive_entry_copy_pathname(entry, path.c_str());
    // As docker: whole-second mtimes, no atime or ctime (the same tree gives the same bytes).
    archive_entry_set_mtime(entry, archive_entry_mtime(entry), 0);
    archive_entry_unset_atime(entry);
    archive_entry_unset_ctime(entry);
    archive_entry_unset_birthtime(entry);
    if (layer && layer_entry(tar.get(), entry, dir + "/" + path, path)) continue;
    archive_entry* spare = nullptr;
    archive_entry_linkify(links.get(), &entry, &spare);
    if (archive_write_header(tar.get(), entry) < ARCHIVE_WARN)
      fail("cannot archive " + dir + "/" + path, tar.get());
    if (archive_entry_size(entry) > 0)
      if (archive* failed = copy_to_tar(disk.get(), tar.get()))
        fail("cannot archive " + dir + "/" + path, failed);
  }
  if (archive_write_close(tar.get()) != ARCHIVE_OK)
    fail("cannot write the archive of " + dir, tar.get());
}

TarWriter::TarWriter(int fd) : tar_(archive_write_new()) {
  archive_write_set_format_pax_restricted(tar_);
  if (archive_write_open_fd(tar_, fd) != ARCHIVE_OK) {
    const std::string why = error_text(tar_);
    archive_write_free(tar_);
    throw Error("cannot write the archive: " + why);
  }
}

TarWriter::~TarWriter() { archive_write_free(tar_); }

void TarWriter::header(const std::string& name, int type, int64_t size) {
  ArchiveEntry e(archive_entry_new());
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), static_cast<unsigned>(type));
  archive_entry_set_perm(e.get(), type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_size(e.get(), size);
  archive_entry_set_mtime(e.get(), 0, 0);
  if (archive_write_header(tar_, e.get()) < ARCHIVE_WARN) fail("cannot archive " + name, tar_);
}

void TarWriter::add_dir(const std::string& name) { header(name, AE_IFDIR, 0); }

void TarWriter::add_bytes(const std::string& name, std::string_view data) {
  header(name, AE_IFREG, static_cast<int64_t>(data.size()));
  if (!data.empty() && archive_write_data(tar_, data.data(), data.size()) < 0)
    fail("cannot archive " + name, tar_);
}

void TarWriter::add_file(const std::string& name, const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) throw SysError(errno, "cannot read " + path);
  header(name, AE_IFREG, st.st_size);
  std::string buf(256 * 1024, '\0');
  for (int64_t left = st.st_size; left > 0;) {
    const ssize_t n = read_full(fd.get(), buf.data(), buf.size());
    if (n <= 0) throw SysError(n < 0 ? errno : EIO, "cannot read " + path);
    if (archive_write_data(tar_, buf.data(), static_cast<size_t>(n)) < 0)
      fail("cannot archive " + name, tar_);
    left -= n;
  }
}

void TarWriter::close() {
  if (archive_write_close(tar_) != ARCHIVE_OK) fail("cannot finish the archive", tar_);
}

std::string sha256_hex(std::string_view data) {
  Sha256 sha;
  sha.update(data.data(), data.size());
  return sha.hex();
}

}  // namespace mydocker

// libarchive's tar writers call one internal helper that lives in the object file which also
// lists every write format: linking it pulls in the xar writer, libxml2 and ICU, 33 MB of a
// static binary that never uses them. Defining the helper here (tar.cpp is always linked
// before libarchive) keeps that object out: 5.7 MB instead of 39. Same behaviour: an entry of
// a type the format cannot hold is refused with a message naming it.
extern "C" void __archive_write_entry_filetype_unsupported(struct archive* a,
                                                           struct archive_entry* entry,
                                                           const char* format) {
  archive_set_error(a, EILSEQ,  // libarchive's ARCHIVE_ERRNO_FILE_FORMAT on Linux
                    "%s: %s format cannot archive this file type", archive_entry_pathname(entry),
                    format);
}
