#include "mydocker/init/userns.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/trace.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {

IdRange subordinate_range(const std::string& file) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("mydocker:", 0) != 0) continue;
    const size_t colon = line.find(':', 9);
    auto base = parse_int(line.substr(9, colon == std::string::npos ? 0 : colon - 9));
    if (colon == std::string::npos)
      throw Error("invalid value '" + line + "' in " + file + " for --userns private: expected " +
                  "mydocker:BASE:COUNT");
    auto count = parse_int(line.substr(colon + 1));
    if (!base || !count || *base <= 0 || *count < 1 || *base + *count > 0xffffffffLL)
      throw Error("invalid value '" + line + "' in " + file + " for --userns private: expected " +
                  "mydocker:BASE:COUNT");
    return {static_cast<uint32_t>(*base),
            static_cast<uint32_t>(std::min<long long>(*count, 65536))};
  }
  return {1000000000u, 65536u};
}

void write_id_maps(pid_t pid, IdRange uids, IdRange gids) {
  const Fs fs;
  const std::string proc = "/proc/" + std::to_string(pid);
  fs.write(proc + "/uid_map", "0 " + std::to_string(uids.base) + " " + std::to_string(uids.count));
  fs.write(proc + "/gid_map", "0 " + std::to_string(gids.base) + " " + std::to_string(gids.count));
}

UniqueFd detached_tree(const std::string& path, int userns_fd, bool readonly) {
  UniqueFd tree(
      ::open_tree(AT_FDCWD, path.c_str(),
                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (userns_fd < 0 ? AT_RECURSIVE : 0)));
  if (!tree) throw SysError(errno, "open_tree " + path);
  if (userns_fd >= 0) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(userns_fd);
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
      throw SysError(errno, "idmapped mount of " + path + " (--userns private needs Linux " +
                                "5.12+ and a filesystem that supports idmapped mounts)");
  }
  if (readonly) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
      throw SysError(errno, "read-only copy of " + path);
  }
  return tree;
}

bool attach_mount(int tree_fd, const std::string& source, const std::string& target,
                  bool idmapped) {
  trace::emit(std::string("mount --rbind ") +
              (idmapped ? "-o X-mount.idmap=/proc/$PID/ns/user " : "") + trace::quote(source) +
              " " + trace::quote(target) + "   # open_tree by the parent, move_mount here");
  if (tree_fd < 0) return false;  // --dry-run
  return ::move_mount(tree_fd, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) == 0;
}

}  // namespace mydocker
