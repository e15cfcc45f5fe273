#include "mydocker/util/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

int open_noatime(const char* path, int flags) {
  const int fd = ::open(path, flags | O_NOATIME);
  return fd >= 0 || errno != EPERM ? fd : ::open(path, flags);
}

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

// A directory below `dir`, never through a symlink, opened O_NOATIME (see open_noatime): reading a
// directory that was just changed updates its atime (relatime), and on ext4 each update is a
// journal handle of its own, 13 of a removed container layer's 74 before. Root may always ask for
// it (CAP_FOWNER); where it may not (EPERM), the plain open. -1 with errno when it cannot be
// opened.
int open_dir_below(int dir, const char* name) {
  constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  const int fd = ::openat(dir, name, kFlags | O_NOATIME);
  return fd >= 0 || errno != EPERM ? fd : ::openat(dir, name, kFlags);
}

// Opens a directory that refused us (mode 000 or 0555 and no CAP_DAC_OVERRIDE, as in a user
// namespace) up to 0700.
int open_dir_opened_up(int dir, const char* name) {
  const int fd = open_dir_below(dir, name);
  if (fd >= 0 || errno != EACCES || ::fchmodat(dir, name, 0700, 0) != 0) return fd;
  return open_dir_below(dir, name);
}

void empty_dir(int fd, const std::string& path);

// Removes the entry `name` of the open directory `dir` (at `path`), and what it holds. A
// directory `dir` that refuses it (0555: an image's /proc; no CAP_DAC_OVERRIDE) is opened up to
// 0700 and the removal tried once more.
void remove_entry(int dir, const char* name, const std::string& path, bool retried = false) {
  if (::unlinkat(dir, name, 0) == 0 || errno == ENOENT) return;
  if (errno == EISDIR) {
    if (const int sub = open_dir_opened_up(dir, name); sub >= 0) empty_dir(sub, path);
    if (::unlinkat(dir, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return;
  }
  const int err = errno;
  if ((err == EACCES || err == EPERM) && !retried && dir != AT_FDCWD && ::fchmod(dir, 0700) == 0)
    return remove_entry(dir, name, path, true);
  spdlog::warn("cannot remove {}: {}", path, errno_text(err));
}

// Removes everything in the directory `fd` (taken: closed here).
void empty_dir(int fd, const std::string& path) {
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return;
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") remove_entry(::dirfd(d), e->d_name, path + "/" + e->d_name);
  }
  ::closedir(d);
}

}  // namespace

void remove_tree(const std::string& path) noexcept {
  if (path.empty() || path == "/") return;
  try {
    // A file or a symlink (never followed) goes at once; a directory is emptied first.
    remove_entry(AT_FDCWD, path.c_str(), path);
  } catch (const std::exception& e) {  // std::bad_alloc of a path's string
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

std::string g_copy_to;       // copy_tree's destination, for its nftw callback
size_t g_copy_from_len = 0;  // the length of its source's path
bool g_copy_ok = true;

bool copy_file_contents(const char* from, const std::string& to, mode_t mode) {
  UniqueFd in(::open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!in || !out) return false;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(in.get(), buf, sizeof buf)) > 0)
    if (!write_all(out.get(), buf, static_cast<size_t>(n))) return false;
  return n == 0;
}

int copy_entry(const char* path, const struct stat* st, int type, struct FTW*) {
  const std::string to = g_copy_to + std::string(path).substr(g_copy_from_len);
  bool ok = true;
  if (type == FTW_D) {
    ok = ::mkdir(to.c_str(), st->st_mode & 07777) == 0 || errno == EEXIST;
  } else if (type == FTW_SL) {
    char target[4096];
    const ssize_t n = ::readlink(path, target, sizeof target - 1);
    ok = n >= 0 && ::symlink(std::string(target, static_cast<size_t>(n)).c_str(), to.c_str()) == 0;
  } else if (type == FTW_F && S_ISREG(st->st_mode)) {
    ok = copy_file_contents(path, to, st->st_mode & 07777);
  } else {
    return 0;  // devices, fifos, sockets: not copied into a volume
  }
  if (ok) ok = ::lchown(to.c_str(), st->st_uid, st->st_gid) == 0;
  if (ok && type != FTW_SL) ok = ::chmod(to.c_str(), st->st_mode & 07777) == 0;
  g_copy_ok = g_copy_ok && ok;
  return 0;
}

}  // namespace

bool copy_tree(const std::string& from, const std::string& to) {
  g_copy_to = to;
  g_copy_from_len = from.size();
  g_copy_ok = true;
  if (::nftw(from.c_str(), copy_entry, 32, FTW_PHYS) != 0) return false;
  return g_copy_ok;
}

}  // namespace mydocker
