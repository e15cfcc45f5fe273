#pragma once
// Plain files and directories (the state root, the data root, images, layers). Unlike Fs
// (cgroupfs), these helpers create what is missing.

#include <sys/types.h>

#include <string>
#include <vector>

namespace mydocker {

// mkdir -p: every missing directory of `path` is made with `mode`. Throws SysError.
void make_dirs(const std::string& path, mode_t mode);
// Gives `dir` ext4's "top directory" flag (chattr +T): its new subdirectories go to the block
// groups with the fewest directories instead of its own. On ext4 without a journal, allocating
// an inode skips every inode its group freed in the last 60-300 s (one lookup each: 0.2-0.9 ms
// per file or directory in a group where a few thousand came and went), so directories whose
// contents come and go on every run (layers, leases) are kept apart from each other and from
// the rest of the disk. Best effort: other filesystems do without it.
void spread_children(const std::string& dir);
// open(2) for reading with O_NOATIME: an atime update (relatime: the first read after a
// change) is a metadata update of its own (on ext4 with a journal, a journal handle). Without
// it where the kernel refuses (EPERM: not the file's owner, no CAP_FOWNER). -1 with errno as
// open(2).
int open_noatime(const char* path, int flags);
// The names in a directory, "." and ".." left out; empty when it cannot be read. Read without
// touching its atime (open_noatime).
std::vector<std::string> list_dir(const std::string& path);
// A symlink's target; "" when `path` is not one.
std::string read_link(const std::string& path);
// Writes `path` (mode 0600, fsync'd when `durable`). Throws SysError.
void write_file(const std::string& path, const std::string& content, bool durable,
                mode_t mode = 0600);
// Writes `path` atomically: a temp file, fsync (when `durable`), rename. Readers see the old
// file or the new one, never half of one. Throws SysError.
void write_file_atomic(const std::string& path, const std::string& content, bool durable = true);
// Removes `path` and everything below it, never following symlinks, with its own fds (the
// directories read O_NOATIME: no journal handle for their atimes). Directories without write
// permission (an image's 0555 /proc) are opened up and the removal tried again; what still
// cannot be removed is logged. Any depth, in bounded memory. Never throws.
void remove_tree(const std::string& path) noexcept;
// Copies the tree at `from` into the directory `to` with owners, modes, times and symlinks as
// they are (never followed; hard links become copies); devices, fifos and sockets are left out.
// The top directory's owner, mode and times too. False when an entry could not be copied (the
// rest is copied still).
bool copy_tree(const std::string& from, const std::string& to);
// The same between two open directories, `to` itself left as it is (OCI's tmpcopyup).
bool copy_dir_at(int from, int to);
// Whether a live process holds an flock on `path` (a file or a directory); false when `path`
// cannot be opened. How the stores tell a running owner from one that died (kill -9).
bool is_locked(const std::string& path);

// A directory <parent>/.tmp-<random> (the parent made when missing), held under an exclusive
// flock for the object's life: `prune` (is_locked) leaves it alone while its owner lives and
// removes it once that owner died (kill -9). Removed with the object unless renamed into place.
class StagingDir {
 public:
  StagingDir(const std::string& parent, const std::string& what);
  ~StagingDir();
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  const std::string& path() const { return path_; }
  // Renames it to `final` in one step; false when `final` exists (another writer was first: this
  // one is removed with the object). Throws SysError for other failures.
  bool rename_to(const std::string& final);

 private:
  std::string path_;
  int lock_ = -1;
  bool renamed_ = false;
};

}  // namespace mydocker
