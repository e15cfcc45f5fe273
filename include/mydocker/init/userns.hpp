#pragma once
// --userns private: the container gets a user namespace of its own in which root is an
// unprivileged range of host ids. Its files stay owned by host root on disk: the image (the
// overlay's lower layer) and the container's own directory (upper and work) are seen through
// idmapped mounts (Linux 5.12+; overlayfs on idmapped layers 5.19+), made by the parent and
// attached by the init.

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "mydocker/util/fd.hpp"

namespace mydocker {

struct IdRange {
  uint32_t base = 0, count = 0;
};

// The host ids that stand for the container's 0..count-1: the "mydocker" line of /etc/subuid
// and /etc/subgid (as docker's dockremap), else 1000000000:65536, far above what useradd hands
// out. Throws Error naming --userns for a malformed line.
IdRange subordinate_range(const std::string& file);

// The parent, once the child exists: writes /proc/PID/uid_map and gid_map ("0 BASE COUNT").
void write_id_maps(pid_t pid, IdRange uids, IdRange gids);

// A detached copy of the mount tree at `path` (recursive), for the init to attach with
// attach_mount(). With a `userns_fd` it is idmapped: host id N shows as BASE+N, which that
// user namespace maps back to N. `readonly` makes the whole copy read-only.
UniqueFd detached_tree(const std::string& path, int userns_fd, bool readonly);
// The init: attaches a detached tree (from idmapped_tree) at `target`. Returns false (errno).
// `source` is for the trace line.
bool attach_mount(int tree_fd, const std::string& source, const std::string& target, bool idmapped);

}  // namespace mydocker
