#include "mydocker/util/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/id.hpp"

namespace mydocker {

namespace stdfs = std::filesystem;

void make_dirs(const std::string& path, mode_t mode) {
  // The directory first: usually only it is missing (or nothing is), one system call.
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return;
  const size_t slash = path.find_last_of('/');
  if (errno != ENOENT || slash == std::string::npos || slash == 0)
    throw SysError(errno, "cannot create " + path);
  make_dirs(path.substr(0, slash), mode);
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    throw SysError(errno, "cannot create " + path);
}

void spread_children(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  int flags = 0;
  if (fd && ::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
    flags |= FS_TOPDIR_FL;
    (void)::ioctl(fd.get(), FS_IOC_SETFLAGS, &flags);
  }
}

namespace {

int openat_noatime(int dir, const char* name, int flags) {
  const int fd = ::openat(dir, name, flags | O_NOATIME);
  return fd >= 0 || errno != EPERM ? fd : ::openat(dir, name, flags);
}

}  // namespace

int open_noatime(const char* path, int flags) { return openat_noatime(AT_FDCWD, path, flags); }

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> out;
  const int fd = open_noatime(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = fd < 0 ? nullptr : ::fdopendir(fd);
  if (!d) {
    if (fd >= 0) ::close(fd);
    return out;
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(std::move(name));
  }
  ::closedir(d);
  return out;
}

std::string read_link(const std::string& path) {
  char buf[4096];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

void write_file(const std::string& path, const std::string& content, bool durable, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throw SysError(errno, "cannot write " + path);
  if (mode != 0600 && ::fchmod(fd.get(), mode) != 0) throw SysError(errno, "chmod " + path);
  if (!write_all(fd.get(), content.data(), content.size()) || (durable && ::fsync(fd.get()) != 0))
    throw SysError(errno, "cannot write " + path);
}

void write_file_atomic(const std::string& path, const std::string& content, bool durable) {
  // A temp name of our own: two writers of one file must not rename each other's half file.
  static unsigned counter = 0;
  const std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(++counter);
  write_file(tmp, content, durable);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw SysError(errno, "cannot rename " + tmp);
}

namespace {

// The directory `name` below the open directory `dir` (AT_FDCWD: a path), never through a
// symlink, for reading, without touching its atime.
int open_dir_below(int dir, const char* name) {
  return openat_noatime(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// Opens a directory that refused us (mode 000 or 0555 and no CAP_DAC_OVERRIDE, as in a user
// namespace) up to 0700: through an O_PATH fd of the directory itself, so that an entry swapped
// for a symlink meanwhile is never followed.
int open_dir_opened_up(int dir, const char* name) {
  const int fd = open_dir_below(dir, name);
  if (fd >= 0 || errno != EACCES) return fd;
  const UniqueFd path(::openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!path) return -1;
  const std::string self = "/proc/self/fd/" + std::to_string(path.get());
  // Without /proc (ENOENT): the name, as before (it was a directory an instant ago).
  if (::chmod(self.c_str(), 0700) != 0 && (errno != ENOENT || ::fchmodat(dir, name, 0700, 0) != 0))
    return -1;
  return open_dir_below(dir, name);
}

// One removal: the top directory's fd, and how it goes on below kMaxDepth. A tree deeper than
// that (a container can make one 50,000 directories deep) is not descended into further: its
// deeper directories are moved up into the top one and removed from there in another pass, so
// the walk's open directories, memory and stack stay bounded whatever the depth.
struct Walk {
  static constexpr int kMaxDepth = 64;
  static constexpr int kMaxPasses = 4096;  // 258,000 levels; a tree still growing: not forever
  int top;
  const std::string& path;  // for the warnings
  bool moved = false;
  unsigned moved_count = 0;
};

void empty_dir(Walk& w, int fd, int depth);

// Whether a directory refusing an entry's removal may be opened up to 0700 and asked again:
// EACCES, or EPERM in a sticky directory (not for an immutable entry, which no mode helps).
bool worth_opening_up(int dir, int err) {
  struct stat st {};
  return err == EACCES || (err == EPERM && ::fstat(dir, &st) == 0 && (st.st_mode & S_ISVTX));
}

// Moves the directory `name` of `dir` up into the top one under a name of ours (never over
// something there: a name the tree itself holds is skipped). A directory refusing the move (it
// must be writable: its ".." changes) is opened up first.
bool move_up(Walk& w, int dir, const char* name) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::string up =
        ".mydocker-deep-" + std::to_string(::getpid()) + "-" + std::to_string(++w.moved_count);
    if (::renameat2(dir, name, w.top, up.c_str(), RENAME_NOREPLACE) == 0) {
      w.moved = true;
      return true;
    }
    if (errno == EACCES && attempt == 0) {
      if (const int fd = open_dir_opened_up(dir, name); fd >= 0) ::close(fd);
      continue;
    }
    if (errno != EEXIST) return false;
  }
  return false;
}

// Removes the entry `name` of the open directory `dir` (`depth` below the top), and what it
// holds. A directory `dir` that refuses it (0555: an image's /proc; no CAP_DAC_OVERRIDE) is
// opened up to 0700 and the removal tried once more.
void remove_entry(Walk& w, int dir, const char* name, int depth, bool retried = false) {
  if (::unlinkat(dir, name, 0) == 0 || errno == ENOENT) return;
  if (errno == EISDIR && depth >= Walk::kMaxDepth) {
    if (move_up(w, dir, name)) return;
  } else if (errno == EISDIR) {
    if (const int sub = open_dir_opened_up(dir, name); sub >= 0) empty_dir(w, sub, depth + 1);
    if (::unlinkat(dir, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return;
  }
  const int err = errno;
  if (!retried && worth_opening_up(dir, err) && ::fchmod(dir, 0700) == 0)
    return remove_entry(w, dir, name, depth, true);
  spdlog::warn("cannot remove {}{}{}: {}", w.path, depth > 1 ? "/.../" : "/", name,
               errno_text(err));
}

// Removes everything in the directory `fd` (taken: closed here).
void empty_dir(Walk& w, int fd, int depth) {
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return;
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") remove_entry(w, ::dirfd(d), e->d_name, depth);
  }
  ::closedir(d);
}

}  // namespace

void remove_tree(const std::string& path) noexcept {
  if (path.empty() || path == "/") return;
  try {
    // A file or a symlink (never followed) goes at once; a directory is emptied first.
    if (::unlink(path.c_str()) == 0 || errno == ENOENT) return;
    int err = errno;
    if (err == EISDIR) {
      const UniqueFd top(open_dir_opened_up(AT_FDCWD, path.c_str()));
      Walk w{top.get(), path};
      // Once more for what was moved up, while `path` still names the directory we opened
      // (renamed meanwhile, what it holds now is not ours to remove).
      for (int pass = 0; top && (pass == 0 || (w.moved && pass < Walk::kMaxPasses)); ++pass) {
        struct stat opened {
        }, named{};
        if (pass > 0 && (::fstat(top.get(), &opened) != 0 || ::lstat(path.c_str(), &named) != 0 ||
                         opened.st_dev != named.st_dev || opened.st_ino != named.st_ino))
          break;
        w.moved = false;
        const int fd = ::fcntl(top.get(), F_DUPFD_CLOEXEC, 0);
        if (fd < 0) break;
        ::lseek(fd, 0, SEEK_SET);  // the duplicate shares the offset of the pass before
        empty_dir(w, fd, 1);
      }
      if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return;
      err = errno;
    }
    spdlog::warn("cannot remove {}: {}", path, errno_text(err));
  } catch (const std::exception& e) {  // std::bad_alloc of a name
    spdlog::warn("cannot remove {}: {}", path, e.what());
  }
}

bool is_locked(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  return ::flock(fd.get(), LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}

StagingDir::StagingDir(const std::string& parent, const std::string& what)
    : path_(parent + "/.tmp-" + new_container_id()) {
  make_dirs(parent, 0700);
  if (::mkdir(path_.c_str(), 0700) != 0) throw SysError(errno, what + ": cannot create " + path_);
  lock_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock_ < 0 || ::flock(lock_, LOCK_EX) != 0) {
    const int err = errno;
    if (lock_ >= 0) ::close(lock_);
    remove_tree(path_);
    throw SysError(err, what + ": cannot lock " + path_);
  }
}

StagingDir::~StagingDir() {
  if (!renamed_) remove_tree(path_);
  ::close(lock_);
}

bool StagingDir::rename_to(const std::string& final) {
  if (::rename(path_.c_str(), final.c_str()) == 0) return renamed_ = true;
  if (errno == EEXIST || errno == ENOTEMPTY) return false;
  throw SysError(errno, "cannot rename " + path_ + " to " + final);
}

}  // namespace mydocker

namespace mydocker {
namespace {

// The data of `in` from `from` to `to` (`in` is read from its current offset), written at the
// same offsets of `out`.
bool copy_range(int in, int out, off_t from, off_t to) {
  char buf[65536];
  if (::lseek(in, from, SEEK_SET) < 0 || ::lseek(out, from, SEEK_SET) < 0) return false;
  for (off_t left = to - from; left > 0;) {
    const ssize_t n = ::read(in, buf, static_cast<size_t>(std::min<off_t>(left, sizeof buf)));
    if (n <= 0) return n == 0;  // the file shrank meanwhile
    if (!write_all(out, buf, static_cast<size_t>(n))) return false;
    left -= n;
  }
  return true;
}

// Holes stay holes (SEEK_DATA/SEEK_HOLE): an image's 1 TB sparse file at a VOLUME path must not
// become 1 TB of the host's disk. Filesystems without them report one run of data.
bool copy_contents(int in, int out) {
  struct stat st {};
  if (::fstat(in, &st) != 0) return false;
  for (off_t at = 0; at < st.st_size;) {
    off_t data = ::lseek(in, at, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole is left
      data = at;                  // no SEEK_DATA here: copy the rest
    }
    off_t hole = ::lseek(in, data, SEEK_HOLE);
    if (hole < 0) hole = st.st_size;
    if (!copy_range(in, out, data, hole)) return false;
    at = hole;
  }
  return ::ftruncate(out, st.st_size) == 0;  // a hole at the end is kept by the size alone
}

// The owner, mode and times of `st` given to the open `fd` (chown first: it clears set-id bits).
bool copy_attributes(int fd, const struct stat& st) {
  const timespec times[2] = {st.st_atim, st.st_mtim};
  return ::fchown(fd, st.st_uid, st.st_gid) == 0 && ::fchmod(fd, st.st_mode & 07777) == 0 &&
         ::futimens(fd, times) == 0;
}

// One entry `name` of the directory `from`, copied into `to`.
bool copy_entry(int from, int to, const char* name) {
  struct stat st {};
  if (::fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    const ssize_t n = ::readlinkat(from, name, target, sizeof target - 1);
    if (n < 0) return false;
    target[n] = '\0';
    const timespec times[2] = {st.st_atim, st.st_mtim};
    return ::symlinkat(target, to, name) == 0 &&
           ::fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) == 0 &&
           ::utimensat(to, name, times, AT_SYMLINK_NOFOLLOW) == 0;
  }
  const int nofollow = O_NOFOLLOW | O_CLOEXEC;
  if (S_ISDIR(st.st_mode)) {
    if (::mkdirat(to, name, 0700) != 0 && errno != EEXIST) return false;
    UniqueFd in(::openat(from, name, O_RDONLY | O_DIRECTORY | nofollow));
    UniqueFd out(::openat(to, name, O_RDONLY | O_DIRECTORY | nofollow));
    return in && out && copy_dir_at(in.get(), out.get()) && copy_attributes(out.get(), st);
  }
  if (!S_ISREG(st.st_mode)) return true;  // devices, fifos, sockets: left out
  UniqueFd in(::openat(from, name, O_RDONLY | nofollow));
  UniqueFd out(::openat(to, name, O_WRONLY | O_CREAT | O_EXCL | nofollow, 0600));
  return in && out && copy_contents(in.get(), out.get()) && copy_attributes(out.get(), st);
}

}  // namespace

bool copy_dir_at(int from, int to) {
  UniqueFd dup(::fcntl(from, F_DUPFD_CLOEXEC, 0));  // closedir closes its descriptor
  if (!dup) return false;
  DIR* dir = ::fdopendir(dup.get());
  if (!dir) return false;
  dup.release();
  ::rewinddir(dir);
  bool ok = true;
  while (const dirent* e = ::readdir(dir)) {
    if (std::string_view(e->d_name) == "." || std::string_view(e->d_name) == "..") continue;
    ok = copy_entry(from, to, e->d_name) && ok;
  }
  ::closedir(dir);
  return ok;
}

bool copy_tree(const std::string& from, const std::string& to) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd out(::open(to.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  return in && out && ::fstat(in.get(), &st) == 0 && copy_dir_at(in.get(), out.get()) &&
         copy_attributes(out.get(), st);
}

}  // namespace mydocker
