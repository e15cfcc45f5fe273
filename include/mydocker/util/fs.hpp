#pragma once
// The one helper for every cgroupfs (and procfs) read and write.
//
// - O_CLOEXEC, EINTR retried, never O_CREAT: a typo in a file name fails instead of creating it.
// - Errors carry the operation, path, value and errno:
//     write "10485760" to /sys/fs/cgroup/memory/x/memory.limit_in_bytes: Device or resource busy
// - The single place --trace prints its "+ echo VALUE > PATH", "+ mkdir", "+ rmdir" lines from.
// - Dry-run: changes are printed, not made; reads still read.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mydocker/util/error.hpp"

namespace mydocker {

class FsError : public SysError {
 public:
  FsError(int err, const std::string& op, const std::string& path, const std::string& value = {});
  const std::string& path() const noexcept { return path_; }
  const std::string& value() const noexcept { return value_; }

 private:
  std::string path_;
  std::string value_;
};

class WriteJournal;

class Fs {
 public:
  explicit Fs(bool dry_run = false) : dry_run_(dry_run) {}
  // A copy writes as this one does, but into no journal of this one's.
  Fs(const Fs& other) : dry_run_(other.dry_run_) {}
  Fs& operator=(const Fs& other) {
    dry_run_ = other.dry_run_;
    return *this;
  }
  virtual ~Fs() = default;

  bool dry_run() const noexcept { return dry_run_; }

  // The whole file. Throws FsError.
  [[nodiscard]] std::string read(const std::string& path) const;
  // The whole file, or nullopt when it does not exist.
  [[nodiscard]] std::optional<std::string> read_if_exists(const std::string& path) const;
  // One write(2) of `value` (the kernel takes a cgroup value in one write). Throws FsError.
  void write(const std::string& path, std::string_view value) const;
  // write() of each value in turn, through one descriptor (a file that takes one entry per
  // write(2), as devices.allow does). Throws FsError naming the value refused.
  void write_each(const std::string& path, const std::vector<std::string>& values) const;
  // write(), then reads the file back: throws Error when the kernel did not keep `expect`
  // (default: the value written), e.g. a clamped value. Not read back in dry-run.
  void write_verified(const std::string& path, std::string_view value,
                      std::string_view expect = {}) const;
  // mkdir; false when the directory already existed. Throws FsError on other errors.
  bool make_dir(const std::string& path) const;
  // rmdir with EINTR retried. Returns 0 when the directory is gone (ENOENT counts as gone),
  // otherwise the errno (EBUSY: still has processes or children) for the caller to back off.
  [[nodiscard]] int remove_dir(const std::string& path) const;
  [[nodiscard]] bool exists(const std::string& path) const;

 protected:
  // A fake kernel for unit tests: fills in a new cgroup's interface files after mkdir, and
  // removes them before rmdir (cgroupfs removes a directory with its files; a real fs won't).
  virtual void on_dir_created(const std::string& /*path*/) const {}
  virtual void on_dir_removing(const std::string& /*path*/) const {}

 private:
  friend class WriteJournal;
  // What `path` holds, into the journal (if one is open) before it is written.
  void remember(const std::string& path) const;

  bool dry_run_;
  mutable WriteJournal* journal_ = nullptr;
};

// While it lives, every write through `fs` first remembers what the file held; undo() writes
// that back, newest first. A change made of several writes (`update`) is then all or nothing:
// each write that went before a failed one is taken back. Each value goes back as it was read
// (a file listing several entries, one per line, gets each line again, as io.weight takes them).
// Nothing is remembered in dry-run (nothing is written), nor of a file that cannot be read.
class WriteJournal {
 public:
  explicit WriteJournal(const Fs& fs);
  ~WriteJournal();
  WriteJournal(const WriteJournal&) = delete;
  WriteJournal& operator=(const WriteJournal&) = delete;

  // Writes back what each file held, newest write first, and forgets it; returns what could
  // not be written back (each as its FsError says), to be told.
  [[nodiscard]] std::vector<std::string> undo() noexcept;

 private:
  friend class Fs;
  const Fs& fs_;
  WriteJournal* outer_;  // a journal open before this one (it gets them back at the end)
  std::vector<std::pair<std::string, std::string>> before_;  // path, what it held
};

// Joins path parts with exactly one '/' between them.
std::string path_join(std::string_view a, std::string_view b);
// `path` in its shortest lexical form, as Go's filepath.Clean (runc's): one '/' between parts,
// no "." part, each ".." takes away the part before it ("/.." is "/"; a relative path keeps
// the ".." it cannot take away: "../a"), no trailing '/'; "" is ".". Symlinks are not looked at.
std::string clean_path(std::string_view path);
// `path` from the working directory, cleaned (clean_path): what it names for a process that
// does not share our working directory. "" stays "" (and so does `path` when there is no
// working directory to read).
std::string absolute_path(const std::string& path);
// Trims trailing whitespace and newlines (cgroup files end with "\n").
std::string_view trim(std::string_view s);
// The non-empty pieces of `text` between any of `separators`: split("/a//b", "/") = {a, b}.
std::vector<std::string> split(std::string_view text, std::string_view separators);

}  // namespace mydocker
