#include "mydocker/spec/layer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mydocker/util/closer.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/id.hpp"

namespace mydocker {
namespace {

constexpr const char* kOwnerXattr = "trusted.mydocker.state_root";
// How many runs a spare has served: after kSpareRuns it goes, and the next layer is made in
// the group with the fewest directories (spread_children), where no run freed inodes lately.
constexpr const char* kRunsXattr = "trusted.mydocker.spare_runs";
constexpr int kSpareRuns = 64;

// Whether the directory `path` holds exactly `expected` (sorted), read O_NOATIME (list_dir).
bool holds_only(const std::string& path, const std::vector<std::string>& expected) {
  auto names = list_dir(path);
  std::sort(names.begin(), names.end());
  return names == expected && (!expected.empty() || ::access(path.c_str(), F_OK) == 0);
}

// ".spare-<hash of the state root>": one spare per state root.
std::string spare_name(const std::string& state_root) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a: a name, not a secret
  for (const unsigned char c : state_root) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string(".spare-") + hex;
}

// The spare beside a files directory <data>/containers/<id>.
std::string spare_beside(const std::string& files_dir, const std::string& state_root) {
  return files_dir.substr(0, files_dir.rfind('/') + 1) + spare_name(state_root);
}

}  // namespace

std::string container_files_dir(const std::string& data_root, const std::string& id) {
  return data_root + "/containers/" + id;
}

std::string container_files_owner(const std::string& files_dir) {
  char value[4096];
  const ssize_t n = ::getxattr(files_dir.c_str(), kOwnerXattr, value, sizeof value);
  return n > 0 ? std::string(value, static_cast<size_t>(n)) : "";
}

void make_container_layer(const std::string& files_dir, const std::string& state_root,
                          bool overlay) {
  // Nobody but root may walk into a container's layer: a setuid-root file the container left
  // in its upper directory must not be runnable by a host user (docker's CVE-2021-41091).
  // containers/ is 0711 (no listing; the init of a user namespace walks through it), each
  // container's directory 0700.
  const std::string containers = files_dir.substr(0, files_dir.rfind('/'));
  make_dirs(containers, 0711);
  if (struct stat st{}; ::stat(containers.c_str(), &st) == 0 && (st.st_mode & 07777) != 0711)
    ::chmod(containers.c_str(), 0711);
  // Each layer in a group of its own (spread_children), not crowding containers/' group with
  // the inodes overlayfs makes and frees at every mount.
  spread_children(containers);
  make_dirs(files_dir, 0700);
  // Best effort: without the mark `prune` only leaves these layers alone.
  (void)::setxattr(files_dir.c_str(), kOwnerXattr, state_root.data(), state_root.size(), 0);
  if (overlay)
    for (const char* sub : {"/upper", "/work"}) make_dirs(files_dir + sub, 0755);
}

void forget_volatile_mount(const std::string& work) {
  // work/work/incompat/volatile/dirty, made by the kernel in our root-only layer.
  const std::string incompat = work + "/work/incompat";
  if (::access((incompat + "/volatile").c_str(), F_OK) == 0) remove_tree(incompat);
}

std::string spare_layer_dir(const std::string& data_root, const std::string& state_root) {
  return data_root + "/containers/" + spare_name(state_root);
}

bool take_spare_layer(const std::string& files_dir, const std::string& state_root) {
  if (::rename(spare_beside(files_dir, state_root).c_str(), files_dir.c_str()) != 0) return false;
  // work too: an `rm -f` that gave up waiting for a supervisor busy keeping its spare may have
  // removed it meanwhile.
  for (const char* sub : {"/upper", "/work"}) make_dirs(files_dir + sub, 0755);
  return true;
}

namespace {

// The next run's upper directory: the `volatile` marker's directory, emptied (its file `dirty`
// goes), owned by root and 0755 as make_container_layer makes one. Never the old upper itself:
// an overlay some process still holds writes there. overlayfs made the marker at the mount
// and never touches it again. False where there is none (a kernel without `volatile`).
bool recycle_marker_as_upper(const std::string& files_dir) {
  const std::string marker = files_dir + "/work/work/incompat/volatile";
  struct stat st {};
  if (::lstat(marker.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  if (::unlink((marker + "/dirty").c_str()) != 0 && errno != ENOENT) return false;
  if (!holds_only(marker, {}) ||
      ((st.st_uid != 0 || st.st_gid != 0) && ::chown(marker.c_str(), 0, 0) != 0) ||
      ::chmod(marker.c_str(), 0755) != 0)
    return false;
  return ::renameat2(AT_FDCWD, marker.c_str(), AT_FDCWD, (files_dir + "/upper").c_str(),
                     RENAME_NOREPLACE) == 0;
}

// The runs the layer at `files_dir` has served, this one counted; 0 when it cannot be told.
int count_spare_run(const std::string& files_dir) {
  char value[16] = {};
  const ssize_t n = ::getxattr(files_dir.c_str(), kRunsXattr, value, sizeof value - 1);
  const int runs = (n > 0 ? std::atoi(value) : 0) + 1;
  const std::string text = std::to_string(runs);
  if (::setxattr(files_dir.c_str(), kRunsXattr, text.data(), text.size(), 0) != 0) return 0;
  return runs;
}

}  // namespace

bool keep_spare_layer(const std::string& files_dir, const std::string& state_root) {
  if (!holds_only(files_dir, {"upper", "work"}) || container_files_owner(files_dir) != state_root ||
      ::access(spare_beside(files_dir, state_root).c_str(), F_OK) == 0)
    return false;
  if (const int runs = count_spare_run(files_dir); runs >= kSpareRuns) return false;
  // The marker's directory becomes the next upper; the directories that go are held open while
  // removed, their inodes freed by a closer off our path (spec/layer.hpp, util/closer.hpp);
  // work/work goes too: the next mount makes it anew instead of removing it first.
  const std::string work = files_dir + "/work/work";
  std::vector<UniqueFd> held;
  for (const std::string& dir : {files_dir + "/upper", work, work + "/incompat"})
    if (UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)); fd)
      held.push_back(std::move(fd));
  remove_tree(files_dir + "/upper");
  const bool recycled = recycle_marker_as_upper(files_dir);
  remove_tree(work);
  close_later(std::move(held));
  if (!holds_only(files_dir, recycled ? std::vector<std::string>{"upper", "work"}
                                      : std::vector<std::string>{"work"}) ||
      !holds_only(files_dir + "/work", {}))
    return false;
  return ::rename(files_dir.c_str(), spare_beside(files_dir, state_root).c_str()) == 0;
}

std::vector<std::string> remove_spare_layers(const std::string& data_root,
                                             const std::string& state_root) {
  std::vector<std::string> removed;
  const std::string containers = data_root + "/containers/";
  const std::string spare = spare_layer_dir(data_root, state_root);
  if (const std::string claimed = containers + ".removing-" + new_container_id();
      ::rename(spare.c_str(), claimed.c_str()) == 0) {
    remove_tree(claimed);
    removed.push_back(spare);
  }
  // Only a prune makes these, and nothing uses one once it is renamed: a killed prune's,
  // claimed by a rename of its own first (two prunes at once remove each once).
  for (const auto& name : list_dir(containers)) {
    if (name.rfind(".removing-", 0) != 0) continue;
    if (const std::string again = containers + ".removing-" + new_container_id();
        ::rename((containers + name).c_str(), again.c_str()) == 0) {
      remove_tree(again);
      removed.push_back(containers + name);
    }
  }
  return removed;
}

}  // namespace mydocker
