#include "mydocker/init/rootfs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/init/userns.hpp"
#include "mydocker/spec/layer.hpp"
#include "mydocker/spec/prepare.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {

const char* const kMaskedPaths[] = {"/proc/asound",
                                    "/proc/acpi",
                                    "/proc/kcore",
                                    "/proc/keys",
                                    "/proc/latency_stats",
                                    "/proc/timer_list",
                                    "/proc/timer_stats",
                                    "/proc/sched_debug",
                                    "/proc/scsi",
                                    "/sys/firmware",
                                    "/sys/devices/virtual/powercap",
                                    nullptr};
const char* const kReadonlyPaths[] = {"/proc/bus",           "/proc/fs", "/proc/irq", "/proc/sys",
                                      "/proc/sysrq-trigger", nullptr};

namespace {

using Result = std::optional<InitFailure>;

InitFailure failed(const std::string& what) {
  return InitFailure{kExitSetupError, what + ": " + std::strerror(errno)};
}

// A shell line that makes `target` and every mount below it read-only (with `options` added), as
// one mount_setattr(AT_RECURSIVE) does: mount(8) ignores -R on a remount, so the line walks the
// mounts with findmnt, each remounted on its own.
std::string recursive_ro_line(const std::string& target, const std::string& options) {
  return "findmnt -Rrno TARGET " + trace::quote(target) +
         " | while read -r m; do mount -o remount,bind,ro" + options + " \"$m\"; done";
}

// ",nosuid,nodev" for the flags a remount adds, as mount(8) spells them.
std::string flag_words(unsigned long flags) {
  std::string out;
  for (auto [flag, word] :
       {std::pair{MS_NOSUID, "nosuid"}, {MS_NODEV, "nodev"}, {MS_NOEXEC, "noexec"}})
    if (flags & flag) out += std::string(",") + word;
  return out;
}

// One traced step: prints the shell line, and in a real run does the work.
class Steps {
 public:
  explicit Steps(bool dry) : dry_(dry) {}
  bool dry() const { return dry_; }
  // mount(2), traced as `line`.
  Result mount(const std::string& line, const char* source, const std::string& target,
               const char* fstype, unsigned long flags, const char* data = nullptr) const {
    trace::emit(line);
    if (dry_) return std::nullopt;
    if (::mount(source, target.c_str(), fstype, flags, data) != 0) return failed(line);
    return std::nullopt;
  }
  // A bind mount, made read-only (and nosuid/nodev/noexec as asked) by a remount.
  Result bind(const std::string& source, const std::string& target, bool readonly,
              unsigned long extra = 0) const {
    if (auto f = mount("mount --rbind " + trace::quote(source) + " " + trace::quote(target),
                       source.c_str(), target, nullptr, MS_BIND | MS_REC))
      return f;
    if (!readonly && !extra) return std::nullopt;
    const unsigned long asked = extra;
    // Read-only: one mount_setattr, all the way down (Linux 5.12+): `-v /:/host:ro` must not
    // leave /host/proc/sys or any other mount below it writable (docker 25's recursive
    // read-only binds). It only sets attributes, so the flags the source's mount has stay
    // (in a user namespace they are locked): no statvfs and remount needed.
    if (readonly) {
      const std::string line = recursive_ro_line(target, flag_words(asked)) +
                               "   # mount_setattr(AT_RECURSIVE): it and every mount below it";
      trace::emit(line);
      if (dry_) return std::nullopt;
      mount_attr attr{};
      attr.attr_set = MOUNT_ATTR_RDONLY | ((asked & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0) |
                      ((asked & MS_NODEV) ? MOUNT_ATTR_NODEV : 0) |
                      ((asked & MS_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0);
      if (::mount_setattr(AT_FDCWD, target.c_str(), AT_RECURSIVE, &attr, sizeof attr) == 0)
        return std::nullopt;
      if (errno != ENOSYS) return failed(line);
    }
    // A remount must keep the flags the source's mount has (nosuid, nodev, noexec, ro...): in a
    // user namespace they are locked, and dropping one is refused.
    struct statvfs sv {};
    if (!dry_ && ::statvfs(target.c_str(), &sv) == 0) {
      for (auto [st, ms] : {std::pair{ST_NOSUID, MS_NOSUID},
                            {ST_NODEV, MS_NODEV},
                            {ST_NOEXEC, MS_NOEXEC},
                            {ST_RDONLY, MS_RDONLY},
                            {ST_NOATIME, MS_NOATIME},
                            {ST_NODIRATIME, MS_NODIRATIME},
                            {ST_RELATIME, MS_RELATIME}})
        if (sv.f_flag & st) extra |= ms;
    }
    if (auto f = mount("mount -o remount,bind" + std::string(readonly ? ",ro" : "") +
                           flag_words(asked) + " " + trace::quote(target),
                       nullptr, target, nullptr,
                       MS_BIND | MS_REMOUNT | (readonly ? MS_RDONLY : 0) | extra))
      return f;
    return std::nullopt;  // before 5.12 (no mount_setattr): the top mount only
  }
  // A directory in a filesystem we just mounted (its parent exists).
  Result mkdir(const std::string& path) const {
    trace::emit("mkdir -p " + trace::quote(path));
    if (dry_ || ::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return std::nullopt;
    return failed("mkdir " + path);
  }
  // ROOT/REL with every symlink resolved as if ROOT were / (openat2 RESOLVE_IN_ROOT), missing
  // directories (and, with `file`, a missing last file) created on the way, as a path that
  // has no symlink left: an image's /etc -> /root/.ssh must not send a mount, a mkdir or a
  // touch to the host's files. Nothing of the container runs yet, so the path stays valid.
  Result in_root(const std::string& root, const std::string& rel, bool file,
                 std::string& out) const {
    out = (root == "/" ? "" : root) + rel;
    if (dry_) return std::nullopt;
    UniqueFd top(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!top) return failed("open " + root);
    // The components still to walk, front first; a dangling symlink's target is pushed back
    // in front of what follows it (at most 40 times, as the kernel's own limit).
    std::vector<std::string> todo;
    auto push_front = [&](const std::string& path) {
      auto parts = split(path, "/");
      std::erase(parts, ".");
      todo.insert(todo.end(), parts.rbegin(), parts.rend());  // todo is a stack: back = next
    };
    push_front(rel);
    auto open_in = [&](const std::string& path, int flags) {
      open_how how{};
      how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
      how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
      const std::string relpath = path.empty() ? "." : path.substr(1);
      return UniqueFd(openat2_retry(top.get(), relpath.c_str(), how));
    };
    std::string cur;  // resolved, relative to root: "" or "/a/b"
    for (int links = 0; !todo.empty();) {
      const std::string part = todo.back();
      todo.pop_back();
      const bool last = todo.empty();
      if (part == "..") {  // never above the root
        cur = cur.substr(0, cur.rfind('/') == std::string::npos ? 0 : cur.rfind('/'));
        continue;
      }
      UniqueFd fd = open_in(cur + "/" + part, O_PATH);
      if (!fd && errno == ENOENT) {
        UniqueFd parent = open_in(cur, O_PATH | O_DIRECTORY);
        if (!parent) return failed("open " + root + cur);
        char target[4096];
        const ssize_t n = ::readlinkat(parent.get(), part.c_str(), target, sizeof target - 1);
        if (n > 0) {  // a dangling symlink: go where it points, inside the root
          if (++links > 40) return InitFailure{kExitSetupError, out + ": too many symlinks"};
          const std::string to(target, static_cast<size_t>(n));
          if (to[0] == '/') cur.clear();
          push_front(to);
          continue;
        }
        const std::string made_path = (root == "/" ? "" : root) + cur + "/" + part;
        if (last && file) {
          trace::emit("touch " + trace::quote(made_path));
          UniqueFd made(::openat(parent.get(), part.c_str(),
                                 O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644));
          if (!made && errno != EEXIST) return failed("touch " + out);
        } else {
          trace::emit("mkdir " + trace::quote(made_path));
          if (::mkdirat(parent.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
            return failed("mkdir -p " + out);
        }
        fd = open_in(cur + "/" + part, O_PATH);
      }
      if (!fd) return failed("open " + out);
      char real[4096];
      const ssize_t n =
          ::readlink(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), real, sizeof real - 1);
      if (n <= 0) return failed("readlink the resolved " + out);
      const std::string resolved(real, static_cast<size_t>(n));
      const std::string base = root == "/" ? "" : root;  // "/": everything is inside
      if (resolved.compare(0, base.size(), base) != 0 ||
          (resolved.size() > base.size() && resolved[base.size()] != '/'))
        return InitFailure{kExitSetupError, out + " resolves to " + resolved + ", outside " + root};
      cur = resolved.substr(base.size());
    }
    out = (root == "/" ? "" : root) + cur;
    if (out.empty()) out = "/";
    return std::nullopt;
  }
  // A file in a filesystem we just mounted (a bind mount's target).
  Result touch(const std::string& path) const {
    if (dry_) return std::nullopt;
    UniqueFd fd(::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    if (!fd) return failed("touch " + path);
    return std::nullopt;
  }
  Result node(const std::string& path, char type, unsigned major, unsigned minor,
              unsigned mode = 0666) const {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%o", mode & 07777);
    trace::emit("mknod -m " + std::string(octal) + " " + trace::quote(path) + " " + type + " " +
                std::to_string(major) + " " + std::to_string(minor));
    if (dry_) return std::nullopt;
    const mode_t kind = type == 'b' ? S_IFBLK : S_IFCHR;
    if (::mknod(path.c_str(), kind | (mode & 07777), makedev(major, minor)) != 0 && errno != EEXIST)
      return failed("mknod " + path);
    ::chmod(path.c_str(), mode & 07777);  // past the umask
    return std::nullopt;
  }
  Result symlink(const std::string& to, const std::string& at) const {
    trace::emit("ln -s " + to + " " + at);
    if (dry_) return std::nullopt;
    if (::symlink(to.c_str(), at.c_str()) != 0 && errno != EEXIST) return failed("ln -s " + at);
    return std::nullopt;
  }

 private:
  bool dry_;
};

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// --device and --privileged: the host's nodes, made in the container's /dev (resolved inside the
// root: the /dev tmpfs is the container's own) with the host's mode and owner. In a user
// namespace mknod is refused: the host's node is bound instead.
Result make_device_nodes(const Steps& s, const InitConfig& c, const std::string& root) {
  for (const auto& n : c.devices) {
    std::string at;
    if (auto f = s.in_root(root, n.path.substr(0, n.path.rfind('/')), false, at)) return f;
    at += n.path.substr(n.path.rfind('/'));
    if (c.userns) {
      if (auto f = s.touch(at)) return f;
      if (auto f = s.bind(n.host_path, at, false)) return f;
      continue;
    }
    // Something already there (an image's symlink to a host file) is never chmod'ed or
    // chown'ed through: only a device node of its own may stand at a device's path.
    if (struct stat st{};
        !s.dry() && ::lstat(at.c_str(), &st) == 0 && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
      return InitFailure{kExitSetupError, at + " exists and is not a device node: refused"};
    if (auto f = s.node(at, n.type, n.major, n.minor, n.mode)) {
      // A device cgroup that forbids mknod (cgroup v2's filter holds from the clone on): the
      // host's node, bound, as runc does.
      if (errno != EPERM || !c.oci) return f;
      if (auto g = s.touch(at)) return g;
      if (auto g = s.bind(n.host_path, at, false)) return g;
      continue;
    }
    if (!s.dry() && ::lchown(at.c_str(), n.uid, n.gid) != 0) return failed("chown " + at);
  }
  return std::nullopt;
}

// The container's /dev, resolved inside `root`: an image or bundle that makes it a symlink is
// refused (the devices would be made wherever it points).
Result own_dev(const Steps& s, const std::string& root, std::string& dev) {
  dev = root + "/dev";
  std::string resolved;
  if (auto f = s.in_root(root, "/dev", false, resolved)) return f;
  if (resolved != dev)
    return InitFailure{kExitSetupError, "the container's /dev is a symlink: refused"};
  return std::nullopt;
}

// The usual character devices in `dev`. In a user namespace mknod is refused even to its root:
// the host's nodes, bound. One already there (an OCI bundle's own /dev) is kept when it is a
// character device, refused otherwise (an image's symlink to a host file).
Result default_nodes(const Steps& s, const InitConfig& c, const std::string& dev) {
  const struct {
    const char* name;
    unsigned major, minor;
  } nodes[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
               {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
  for (const auto& n : nodes) {
    const std::string at = dev + "/" + n.name;
    if (struct stat st{}; !s.dry() && ::lstat(at.c_str(), &st) == 0) {
      if (S_ISCHR(st.st_mode)) continue;
      return InitFailure{kExitSetupError, at + " exists and is not a device node: refused"};
    }
    Result f = c.userns ? s.touch(at) : s.node(at, 'c', n.major, n.minor);
    if (!f && c.userns) f = s.bind(std::string("/dev/") + n.name, at, false);
    if (f) return f;
  }
  return std::nullopt;
}

// /dev/fd, stdin, stdout, stderr (an existing one is kept).
Result fd_links(const Steps& s, const std::string& dev) {
  for (auto [from, at] : {std::pair{"/proc/self/fd", "fd"},
                          {"/proc/self/fd/0", "stdin"},
                          {"/proc/self/fd/1", "stdout"},
                          {"/proc/self/fd/2", "stderr"}})
    if (auto f = s.symlink(from, dev + "/" + at)) return f;
  return std::nullopt;
}

// A bind over /dev/shm comes (--ipc host, shareable, container:, or -v X:/dev/shm).
bool binds_dev_shm(const InitConfig& c) {
  return std::any_of(c.mounts.begin(), c.mounts.end(), [](const MountSpec& m) {
    return m.target == "/dev/shm" || m.target == "/dev/shm/";
  });
}

// A minimal /dev on tmpfs: the usual character devices, a devpts of its own (-t), shm, mqueue.
Result mount_dev(const Steps& s, const InitConfig& c, const std::string& root) {
  std::string dev;
  if (auto f = own_dev(s, root, dev)) return f;
  if (auto f = s.mount("mount -t tmpfs tmpfs " + dev + " -o nosuid,mode=755,size=65536k", "tmpfs",
                       dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"))
    return f;
  if (auto f = default_nodes(s, c, dev)) return f;
  if (auto f = make_device_nodes(s, c, root)) return f;
  if (auto f = s.mkdir(dev + "/pts")) return f;
  if (auto f = s.mount(
          "mount -t devpts devpts " + dev + "/pts -o newinstance,ptmxmode=0666,mode=0620,gid=5",
          "devpts", dev + "/pts", "devpts", MS_NOSUID | MS_NOEXEC,
          "newinstance,ptmxmode=0666,mode=0620,gid=5"))
    return f;
  if (auto f = s.symlink("pts/ptmx", dev + "/ptmx")) return f;
  if (auto f = s.mkdir(dev + "/shm")) return f;
  const std::string shm = "mode=1777," + c.shm_size;  // --shm-size
  if (!binds_dev_shm(c))
    if (auto f = s.mount("mount -t tmpfs shm " + dev + "/shm -o nosuid,nodev,noexec," + shm, "shm",
                         dev + "/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm.c_str()))
      return f;
  if (auto f = s.mkdir(dev + "/mqueue")) return f;
  if (auto f = s.mount("mount -t mqueue mqueue " + dev + "/mqueue", "mqueue", dev + "/mqueue",
                       "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC))
    return f;
  return fd_links(s, dev);
}

// The container's /proc/sys as it was before protect_paths bound it read-only (an O_PATH fd
// of the proc mount's own directory, which the read-only bind on top does not change): --sysctl
// is written through it later, after the root is entered and a bridged run's eth0 exists
// (docker writes sysctls before /proc/sys goes read-only too). Closed by the exec.
int g_proc_sys = -1;

// docker's masked paths (a file gets /dev/null bound over it, a directory an empty read-only
// tmpfs) and read-only paths (bound over themselves, read-only).
Result protect_paths(const Steps& s, const std::string& root) {
  if (!s.dry() && g_proc_sys < 0)
    g_proc_sys = ::open((root + "/proc/sys").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  // --dry-run: the container's /proc and /sys are not mounted; the host's show what they hold
  // (the same kernel's).
  auto there = [&](const char* p) { return exists(s.dry() ? std::string(p) : root + p); };
  for (const char* const* p = kMaskedPaths; *p; ++p) {
    const std::string path = root + *p;
    if (!there(*p)) continue;
    if (is_dir(s.dry() ? std::string(*p) : path)) {
      if (auto f = s.mount("mount -t tmpfs -o ro tmpfs " + path, "tmpfs", path, "tmpfs",
                           MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0"))
        return f;
    } else if (auto f = s.bind(root + "/dev/null", path, false)) {
      return f;
    }
  }
  for (const char* const* p = kReadonlyPaths; *p; ++p) {
    const std::string path = root + *p;
    if (!there(*p)) continue;
    if (auto f = s.bind(path, path, true, MS_NOSUID | MS_NODEV | MS_NOEXEC)) return f;
  }
  return std::nullopt;
}

// "ro,noexec,size=64m" -> the flags mount(2) takes apart, and what is left for the filesystem.
std::pair<unsigned long, std::string> mount_options(const std::string& text) {
  static const struct {
    const char* word;
    unsigned long set, clear;
  } kFlags[] = {
      {"ro", MS_RDONLY, 0},       {"rw", 0, MS_RDONLY},        {"noexec", MS_NOEXEC, 0},
      {"exec", 0, MS_NOEXEC},     {"nosuid", MS_NOSUID, 0},    {"suid", 0, MS_NOSUID},
      {"nodev", MS_NODEV, 0},     {"dev", 0, MS_NODEV},        {"sync", MS_SYNCHRONOUS, 0},
      {"noatime", MS_NOATIME, 0}, {"relatime", MS_RELATIME, 0}};
  unsigned long flags = 0;
  std::string data;
  size_t i = 0;
  while (i <= text.size()) {
    size_t comma = text.find(',', i);
    if (comma == std::string::npos) comma = text.size();
    const std::string word = text.substr(i, comma - i);
    i = comma + 1;
    if (word.empty()) continue;
    bool known = false;
    for (const auto& f : kFlags)
      if (word == f.word) {
        flags = (flags | f.set) & ~f.clear;
        known = true;
      }
    if (!known) data += (data.empty() ? "" : ",") + word;
  }
  return {flags, data};
}

// The fresh tmpfs mounts a run on the host's files gets over its read-only view.
const char* const kHostViewTmpfs[] = {"/tmp", "/run", "/dev/shm", nullptr};

// Whether `path` is on one of those (so the container's own: a mount target may be made there).
bool on_fresh_tmpfs(const InitConfig& c, const std::string& path) {
  if (c.host_rw) return false;
  for (const char* const* t = kHostViewTmpfs; *t; ++t)
    if (path.rfind(std::string(*t) + "/", 0) == 0) return true;
  return false;
}

// `host_trees`: the host view's volumes, copied before the host's files went read-only.
Result user_mounts(const Steps& s, const InitConfig& c, const std::string& root,
                   std::vector<UniqueFd>* host_trees = nullptr) {
  size_t tree = c.idmapped.size();  // --userns private: the parent's trees for the binds
  size_t host_tree = 0;
  for (const auto& m : c.mounts) {
    std::string target = root + m.target;
    if (root.empty() && on_fresh_tmpfs(c, target)) {
      if (auto f = s.in_root("/", m.target, m.fstype.empty() && m.file, target)) return f;
    } else if (root.empty()) {
      // The host's files: we do not make directories or files there for a mount.
      if (!s.dry() && ::access(target.c_str(), F_OK) != 0)
        return failed("mount target " + target + " (a container without an image sees the " +
                      "host's files; mydocker does not create paths there)");
    } else if (auto f = s.in_root(root, m.target, m.fstype.empty() && m.file, target)) {
      return f;
    }
    if (m.copy_up && !root.empty() && !c.userns) {  // a new volume: the image's files first
      trace::emit("cp -a " + target + "/. " + m.source +
                  "   # a new volume gets the image's files");
      struct stat st {};
      if (!s.dry() && ::lstat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
          !copy_tree(target, m.source))
        return failed("copy the image's " + m.target + " into its new volume " + m.source);
    }
    if (m.fstype.empty()) {  // a bind: a volume, or /etc/hostname, /etc/hosts, /etc/resolv.conf
      if (host_trees) {
        const int fd = host_tree < host_trees->size() ? (*host_trees)[host_tree].get() : -1;
        ++host_tree;
        if (!attach_mount(fd, m.source, target, false) && !s.dry())
          return failed("mount --bind " + m.source + " " + target);
        continue;
      }
      if (c.userns) {
        const int fd = s.dry() || tree >= c.trees.size() ? -1 : c.trees[tree];
        ++tree;
        const bool own = !c.idmapped.empty() && m.source.rfind(c.idmapped[0].source + "/", 0) == 0;
        if (!attach_mount(fd, m.source, target, own) && !s.dry())
          return failed("mount --bind " + m.source + " " + target);
        if (fd >= 0) ::close(fd);
        continue;
      }
      if (auto f = s.bind(m.source, target, m.readonly)) return f;
    } else {
      auto [flags, data] = mount_options(m.data);
      if (m.readonly) flags |= MS_RDONLY;
      if (auto f = s.mount("mount -t " + m.fstype + " " + m.source + " " + target +
                               (m.data.empty() ? "" : " -o " + m.data),
                           m.source.c_str(), target, m.fstype.c_str(), flags, data.c_str()))
        return f;
    }
  }
  return std::nullopt;
}

// ---- /sys/fs/cgroup: the container's own cgroups, as docker (runc) mounts them ----------------
// A process of the container reads its limits and usage where it would on a host (a JVM or
// Go's runtime sizes itself from memory.max or memory.limit_in_bytes and the CPU quota), and
// sees no other cgroup: v1, a tmpfs holding each hierarchy under the name it has on the host
// with the container's directory of it bound there (co-mounted names, cpu,cpuacct, get a
// symlink per controller, as on the host); v2, the container's one directory bound. Read-only
// unless asked otherwise (--privileged, an OCI mount without "ro").

// The filesystem the view's binds must land on (v1: our tmpfs; v2: the mount point's own),
// noted before the user's mounts: a bind target found on another one was covered meanwhile (a
// volume put there through a symlink of the image's) and is left to it.
dev_t g_view_dev = 0;

void note_view_dev(const Steps& s, const std::string& target) {
  struct stat st {};
  if (!s.dry() && ::lstat(target.c_str(), &st) == 0) g_view_dev = st.st_dev;
}

// v1's tmpfs and its directories: no cgroup is needed yet (a run makes them while the parent
// makes the cgroups). Nothing to mount on v2: its directory is bound on the mount point itself.
Result cgroup_tmpfs(const Steps& s, const InitConfig& c, const std::string& target) {
  if (c.cgroup_binds.empty()) {
    note_view_dev(s, target);
    return std::nullopt;
  }
  if (auto f = s.mount("mount -t tmpfs cgroup " + target + " -o nosuid,nodev,noexec,mode=755",
                       "cgroup", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755"))
    return f;
  note_view_dev(s, target);
  for (const auto& [name, dir] : c.cgroup_binds) {
    if (auto f = s.mkdir(target + "/" + name)) return f;
    if (name.find(',') != std::string::npos)
      for (const auto& part : split(name, ","))
        if (auto f = s.symlink(name, target + "/" + part)) return f;
  }
  return std::nullopt;
}

// Each of the view's own mounts nosuid, nodev, noexec and, with `ro`, read-only: with `whole`
// (the first holds all the others, and nothing else), one recursive mount_setattr(2); else one
// each, not recursive (a volume the user put below keeps its own flags); a remount where the
// kernel has none (before 5.12). A bind does not take the flags of the mount it copies.
Result seal_mounts(const Steps& s, const std::vector<std::string>& mounts, bool ro, bool whole) {
  const std::string opts = std::string(ro ? "ro," : "") + "nosuid,nodev,noexec ";
  mount_attr attr{};
  attr.attr_set =
      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | (ro ? MOUNT_ATTR_RDONLY : 0);
  const unsigned long flags =
      MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC | (ro ? MS_RDONLY : 0);
  for (size_t i = 0; i < mounts.size(); ++i)
    trace::emit(
        "mount -o remount,bind," + opts + trace::quote(mounts[i]) +
        (whole && i == 0 && mounts.size() > 1 ? "   # all of them: one mount_setattr(2)" : ""));
  if (s.dry()) return std::nullopt;
  if (whole && !mounts.empty() &&
      ::mount_setattr(AT_FDCWD, mounts.front().c_str(), AT_RECURSIVE, &attr, sizeof attr) == 0)
    return std::nullopt;
  for (const auto& m : mounts) {
    if (::mount_setattr(AT_FDCWD, m.c_str(), 0, &attr, sizeof attr) == 0) continue;
    if (errno != ENOSYS || ::mount(nullptr, m.c_str(), nullptr, flags, nullptr) != 0)
      return failed("mount -o remount,bind," + opts + m);
  }
  return std::nullopt;
}

// Whether `to` is still where the view put it (see g_view_dev).
bool view_target_ok(const Steps& s, const std::string& to) {
  struct stat st {};
  if (s.dry()) return true;
  return ::lstat(to.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev == g_view_dev;
}

// The container's directories bound (they exist now), then sealed. `trees`, when given, are
// detached copies of them to attach instead (open_tree, one each, in order: v2's one, or v1's as
// in cgroup_binds).
Result bind_cgroups(const Steps& s, const InitConfig& c, const std::string& target, bool ro,
                    const std::vector<UniqueFd>& trees = {}) {
  std::vector<std::pair<std::string, std::string>> binds;  // source, target
  if (c.cgroup_binds.empty()) {
    if (c.cgroup2_dir.empty()) return std::nullopt;  // no cgroup of its own
    binds.emplace_back(c.cgroup2_dir, target);
  }
  for (const auto& [name, dir] : c.cgroup_binds) binds.emplace_back(dir, target + "/" + name);
  std::vector<std::string> mounts;
  if (!c.cgroup_binds.empty() && view_target_ok(s, target)) mounts.push_back(target);  // tmpfs
  for (size_t i = 0; i < binds.size(); ++i) {
    const auto& [from, to] = binds[i];
    if (!view_target_ok(s, to)) {
      trace::emit("# " + to + ": covered by a mount of the container's own, left to it");
      continue;
    }
    if (i < trees.size()) {
      trace::emit("mount --bind " + trace::quote(from) + " " + trace::quote(to) +
                  "   # a copy taken before (open_tree), attached now (move_mount)");
      if (!s.dry() &&
          ::move_mount(trees[i].get(), "", AT_FDCWD, to.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
        return failed("mount --bind " + from + " " + to);
    } else if (auto f = s.mount("mount --bind " + trace::quote(from) + " " + trace::quote(to),
                                from.c_str(), to, nullptr, MS_BIND)) {
      return f;
    }
    mounts.push_back(to);
  }
  // Nothing of the container's own below the view (a volume there keeps its own flags; any
  // target naming "cgroup", however written, counts): all of it at once.
  bool alone = mounts.size() == binds.size() + (c.cgroup_binds.empty() ? 0 : 1);
  for (const auto& m : c.mounts) alone = alone && m.target.find("cgroup") == std::string::npos;
  return seal_mounts(s, mounts, ro, alone);
}

// --cgroupns private on the host's files: its own cgroups at /sys/fs/cgroup over the host's,
// so that they agree with its namespace (a program would read the host root's files as its own
// otherwise).
Result host_cgroup_view(const Steps& s, const InitConfig& c) {
  if (c.cgroup_binds.empty() && c.cgroup2_dir.empty()) return std::nullopt;  // none of its own
  // Copies of its directories first (open_tree): the host's /sys/fs/cgroup they are in goes.
  std::vector<UniqueFd> trees;
  std::vector<std::string> dirs;  // as bind_cgroups takes them: v1's in order, or v2's one
  for (const auto& [name, dir] : c.cgroup_binds) dirs.push_back(dir);
  if (dirs.empty()) dirs.push_back(c.cgroup2_dir);
  for (const auto& dir : s.dry() ? std::vector<std::string>{} : dirs) {
    trees.emplace_back(::open_tree(AT_FDCWD, dir.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (!trees.back()) return failed("open_tree " + dir);
  }
  // The host's cgroup mounts leave this namespace's copy of the tree: hidden under the view,
  // they would still be listed in /proc/self/mountinfo, where a JVM looks for its cgroups.
  trace::emit("umount -l /sys/fs/cgroup   # the host's cgroups, from this namespace's copy");
  if (!s.dry())
    for (int i = 0; i < 8 && ::umount2("/sys/fs/cgroup", MNT_DETACH) == 0; ++i) {
    }
  if (auto f = cgroup_tmpfs(s, c, "/sys/fs/cgroup")) return f;
  return bind_cgroups(s, c, "/sys/fs/cgroup", !c.privileged, trees);
}

// The host's terminals stay out of a run on its files: a devpts instance of its own on /dev/pts
// (a PTY of -t is made there; the host's /dev/pts/N, which docker's device rules would let it
// open (c 136:*), are hidden) and /dev/null over /dev/console (c 5:1, the host's console).
Result host_terminals(const Steps& s, const InitConfig& c) {
  if (c.privileged && !c.tty) return std::nullopt;  // every device, as docker's --privileged
  if (auto f = s.mount("mount -t devpts devpts /dev/pts -o newinstance,ptmxmode=0666,mode=0620",
                       "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                       "newinstance,ptmxmode=0666,mode=0620"))
    return f;
  if (c.privileged || !exists("/dev/console")) return std::nullopt;
  return s.bind("/dev/null", "/dev/console", false);
}

}  // namespace

// No image: the host's files. Every mount of the container's copy of the host's mount tree is
// made read-only (one mount_setattr(AT_RECURSIVE) on its own namespace's copy: the host's
// mounts do not change), then a /proc of the new PID namespace and fresh tmpfs mounts on /tmp,
// /run and /dev/shm, so a command that must write somewhere still can; -v for anything else.
// Called after the cgroups are joined (their files must still be writable then).
Result host_view(const Steps& s, const InitConfig& c) {
  // The volumes first, as detached copies with their host flags: a bind made after the
  // read-only step would be read-only too.
  std::vector<UniqueFd> trees;
  if (!c.host_rw)
    for (const auto& m : c.mounts) {
      if (!m.fstype.empty()) continue;
      if (s.dry()) {
        trees.emplace_back();
        continue;
      }
      UniqueFd tree(::open_tree(AT_FDCWD, m.source.c_str(),
                                OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
      if (!tree) return failed("open_tree " + m.source);
      mount_attr attr{};
      attr.attr_set = MOUNT_ATTR_RDONLY;
      if (m.readonly &&
          ::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
        return failed("read-only copy of " + m.source);
      trees.push_back(std::move(tree));
    }
  if (!c.host_rw) {
    trace::emit(recursive_ro_line("/", "") + "   # mount_setattr(\"/\", AT_RECURSIVE, " +
                std::string("MOUNT_ATTR_RDONLY): every mount of this namespace's copy of the ") +
                "host's tree, read-only (--host-rw keeps it writable)");
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (!s.dry() && ::mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof attr) != 0)
      return failed("make the host's files read-only (mount_setattr, Linux 5.12+; --host-rw " +
                    std::string("runs without it)"));
  }
  if (auto f = s.mount("mount -t proc proc /proc -o nosuid,nodev,noexec", "proc", "/proc", "proc",
                       MS_NOSUID | MS_NODEV | MS_NOEXEC))
    return f;
  if (!c.host_rw)
    for (const char* const* t = kHostViewTmpfs; *t; ++t) {
      const bool shm = std::string(*t) == "/dev/shm";
      // --ipc host|shareable|container: a /dev/shm is bound below (--ipc host: the host's,
      // the bind's source must not be hidden)
      if (shm && binds_dev_shm(c)) continue;
      const std::string data = shm                         ? "mode=1777," + c.shm_size
                               : std::string(*t) == "/tmp" ? "mode=1777"
                                                           : "mode=755";
      const unsigned long flags = MS_NOSUID | MS_NODEV | (shm ? MS_NOEXEC : 0);
      if (auto f = s.mount("mount -t tmpfs tmpfs " + std::string(*t) + " -o nosuid,nodev," +
                               (shm ? "noexec," : "") + data,
                           "tmpfs", *t, "tmpfs", flags, data.c_str()))
        return f;
    }
  if (auto f = host_terminals(s, c)) return f;
  if (c.cgroup_view)
    if (auto f = host_cgroup_view(s, c)) return f;
  if (auto f = user_mounts(s, c, "", c.host_rw ? nullptr : &trees)) return f;
  // docker's masked and read-only paths over the new /proc and the host's /sys: the kernel's
  // global settings (kernel.core_pattern runs a program as the host's root) stay out of reach,
  // --host-rw or not. --privileged: none, as with an image.
  if (!c.privileged)
    if (auto f = protect_paths(s, "")) return f;
  return std::nullopt;
}

// The image read-only below, the container's own layer above.
//
// A --rm container's layer is removed with it, so nothing written there may outlive it: its
// overlay is mounted "volatile" (Linux 5.10+; podman does the same for --rm). Otherwise the
// overlay's unmount, when the container's last process exits, syncs the whole filesystem of the
// data root (ovl_sync_fs: an ext4 journal commit, 0.3-0.8 ms of every run here, more on a busy
// disk), and fsync inside the container waits for the disk. A layer a volatile mount used is
// refused by overlayfs until its marker goes: `start` of a --rm container whose supervisor was
// killed, and `cp` into it, remove it first (forget_volatile_mount). A kernel without the
// option (EINVAL) gets the plain mount.
// --read-only (and OCI's root.readonly): the root mount alone is made read-only (its submounts,
// /proc, /dev and the volumes, keep theirs), by a mount_setattr that only adds the attribute:
// the overlay's nodev and nosuid stay. A remount with MS_RDONLY alone had cleared them (an
// image's device nodes opened where the devices cgroup let them). Before Linux 5.12 a remount
// carrying the flags statvfs reads.
Result readonly_root(const Steps& s) {
  struct statvfs sv {};
  unsigned long kept = 0;
  if (!s.dry() && ::statvfs("/", &sv) == 0)
    for (auto [st, ms] :
         {std::pair{ST_NOSUID, MS_NOSUID}, {ST_NODEV, MS_NODEV}, {ST_NOEXEC, MS_NOEXEC}})
      if (sv.f_flag & st) kept |= ms;
  const std::string line = "mount -o remount,bind,ro" + flag_words(kept) +
                           " /   # mount_setattr(\"/\", MOUNT_ATTR_RDONLY): its other flags stay";
  trace::emit(line);
  if (s.dry()) return std::nullopt;
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof attr) == 0) return std::nullopt;
  if (errno != ENOSYS) return failed(line);
  if (::mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | kept, nullptr) != 0)
    return failed(line);
  return std::nullopt;
}

Result mount_overlay(const Steps& s, const InitConfig& c, unsigned long nodev) {
  const std::string data = "lowerdir=" + c.lower + ",upperdir=" + c.upper + ",workdir=" + c.work;
  const std::string flags = nodev ? "nodev," : "";
  const std::string& root = c.rootfs;
  if (c.volatile_upper) {
    const std::string with = data + ",volatile";
    const std::string line = "mount -t overlay overlay -o " + flags + with + " " + root;
    trace::emit(line);
    if (s.dry() || ::mount("overlay", root.c_str(), "overlay", nodev, with.c_str()) == 0)
      return std::nullopt;
    if (errno != EINVAL) return failed(line);
    trace::emit("# this kernel has no volatile overlay (EINVAL): the plain mount");
  }
  return s.mount("mount -t overlay overlay -o " + flags + data + " " + root, "overlay", root,
                 "overlay", nodev, data.c_str());
}

Result mount_rootfs(const InitConfig& c, bool dry) {
  const Steps s(dry);
  if (c.rootfs.empty()) return std::nullopt;  // the host's files: see host_view()
  const std::string& root = c.rootfs;
  for (size_t i = 0; i < c.idmapped.size(); ++i) {  // --userns private
    const int fd = s.dry() || i >= c.trees.size() ? -1 : c.trees[i];
    if (!attach_mount(fd, c.idmapped[i].source, c.idmapped[i].target, true) && !s.dry())
      return failed("attach the idmapped tree of " + c.idmapped[i].source + " at " +
                    c.idmapped[i].target);
    if (fd >= 0) ::close(fd);
  }
  // nodev: a device node the image or --rootfs carries is the host's device, whoever made it;
  // the nodes a container may use live in its own /dev (the device rules stop the rest too).
  // --privileged keeps them usable, as in docker.
  const unsigned long nodev = c.privileged ? 0 : MS_NODEV;
  if (!c.lower.empty()) {
    // The container's layer on the data root's disk: the spare renamed into place and a new
    // upper, or a few directories; 0.1 ms on a quiet disk and 1-2 ms on a busy one, made here
    // while the parent makes the cgroups. (An `rm -f`
    // racing this start may miss the init before it joins a cgroup; a layer it then remakes
    // carries its owner mark, and `prune` removes it.)
    if (!c.layer_owner.empty() && !s.dry()) try {
        const std::string files = c.upper.substr(0, c.upper.rfind('/'));
        if (!take_spare_layer(files, c.layer_owner))
          make_container_layer(files, c.layer_owner, true);
      } catch (const std::exception& e) {
        return InitFailure{kExitSetupError, e.what()};
      }
    if (auto f = mount_overlay(s, c, nodev)) return f;
  } else if (auto f = s.bind(root, root, false, nodev)) {  // --rootfs: pivot_root wants a mount
    return f;
  }
  std::string proc, sys;
  if (auto f = s.in_root(root, "/proc", false, proc)) return f;
  if (proc != root + "/proc")
    return InitFailure{kExitSetupError, "the image's /proc is a symlink: refused"};
  if (auto f = s.mount("mount -t proc proc " + root + "/proc -o nosuid,nodev,noexec", "proc",
                       root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC))
    return f;
  if (auto f = s.in_root(root, "/sys", false, sys)) return f;
  if (sys != root + "/sys")
    return InitFailure{kExitSetupError, "the image's /sys is a symlink: refused"};
  const unsigned long sys_ro = c.privileged ? 0 : MS_RDONLY;
  if (c.userns && !c.new_net) {
    // sysfs belongs to the network namespace's owner: with --net host the host's, bound.
    if (auto f = s.bind("/sys", root + "/sys", true)) return f;
  } else if (auto f = s.mount("mount -t sysfs sysfs " + root + "/sys -o " +
                                  (c.privileged ? "rw" : "ro") + ",nosuid,nodev,noexec",
                              "sysfs", root + "/sys", "sysfs",
                              sys_ro | MS_NOSUID | MS_NODEV | MS_NOEXEC)) {
    return f;
  }
  // /sys is a sysfs of its own or the host's, bound: its fs/cgroup is the kernel's directory.
  if (c.cgroup_view)
    if (auto f = cgroup_tmpfs(s, c, root + "/sys/fs/cgroup")) return f;
  if (auto f = mount_dev(s, c, root)) return f;
  // Volumes and tmpfs after /proc, /sys and /dev, so none of those hides them (-v X:/dev/shm);
  // the masked and read-only paths last, over everything.
  if (auto f = user_mounts(s, c, root)) return f;
  if (!c.privileged)
    if (auto f = protect_paths(s, root)) return f;
  return std::nullopt;
}

Result mount_cgroup_view(const InitConfig& c, bool dry) {
  if (!c.cgroup_view || c.rootfs.empty()) return std::nullopt;
  return bind_cgroups(Steps(dry), c, c.rootfs + "/sys/fs/cgroup", !c.privileged);
}

Result enter_rootfs(const InitConfig& c, bool dry) {
  const Steps s(dry);
  if (c.rootfs.empty()) return host_view(s, c);
  // pivot_root(".", ".") stacks the old root under the new one; unmounting "." then removes
  // it, so no path leads back to the host's files (chroot would leave one).
  trace::emit("cd " + trace::quote(c.rootfs) + " && pivot_root . . && umount -l .");
  if (!dry) {
    if (::chdir(c.rootfs.c_str()) != 0) return failed("cd " + c.rootfs);
    // pivot_root refuses a shared current root (an OCI bundle's "shared" propagation): it is
    // left behind anyway, so made private first (this namespace's copy only).
    if (c.oci && ::mount(nullptr, "/", nullptr, MS_PRIVATE, nullptr) != 0)
      return failed("mount --make-private /");
    if (::syscall(SYS_pivot_root, ".", ".") != 0) return failed("pivot_root");
    // The old root's mounts may be peers of the host's (OCI propagation): as slaves, their
    // unmounting stays here instead of unmounting the host's.
    if (c.oci && ::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
      return failed("mount --make-rslave the old root");
    if (::umount2(".", MNT_DETACH) != 0) return failed("umount the old root");
    if (::chdir("/") != 0) return failed("cd /");
  }
  if (c.readonly_rootfs) {
    // docker's run makes a missing working directory, --read-only or not: here, while the root
    // can still be written (what fails is reported by the chdir before the command).
    if (!dry && !c.oci && c.cwd != "/" && ::access(c.cwd.c_str(), F_OK) != 0) try {
        make_dirs(c.cwd, 0755);
      } catch (const std::exception&) {
      }
    return readonly_root(s);
  }
  return std::nullopt;
}

// ---- OCI bundles (mydocker oci): config.json's mounts, in its order -----------------------

namespace {

// A mount of config.json at its (symlink-safe) place in the root.
Result oci_mount(const Steps& s, const InitConfig& c, const OciMount& m) {
  const std::string& root = c.rootfs;
  std::string target;
  if (auto f = s.in_root(root, m.target, m.type == "bind" && m.file, target)) return f;
  if (m.type == "cgroup") {  // read-only as asked (the default config asks for it)
    if (auto f = cgroup_tmpfs(s, c, target)) return f;
    return bind_cgroups(s, c, target, (m.flags & MS_RDONLY) != 0);
  }
  if (m.type == "bind") {
    const unsigned long extra = m.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                           MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME);
    trace::emit("mount --" + std::string(m.flags & MS_REC ? "rbind " : "bind ") +
                trace::quote(m.source) + " " + trace::quote(target));
    if (!s.dry() && ::mount(m.source.c_str(), target.c_str(), nullptr, m.flags & (MS_BIND | MS_REC),
                            nullptr) != 0)
      return failed("mount --bind " + m.source + " " + target);
    if ((m.flags & MS_RDONLY) || extra)
      if (auto f = s.mount("mount -o remount,bind" + std::string(m.flags & MS_RDONLY ? ",ro" : "") +
                               flag_words(extra) + " " + trace::quote(target),
                           nullptr, target, nullptr,
                           MS_BIND | MS_REMOUNT | (m.flags & MS_RDONLY) | extra))
        return f;
  } else {
    // tmpcopyup: the directory the tmpfs covers, held open to copy its files in after.
    UniqueFd under;
    if (m.copy_up && !s.dry())
      under.reset(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    const unsigned long flags = m.flags & ~(MS_BIND | MS_REC);
    Result f = s.mount("mount -t " + m.type + " " + trace::quote(m.source) + " " + target +
                           (m.data.empty() ? "" : " -o " + m.data),
                       m.source.c_str(), target, m.type.c_str(), flags, m.data.c_str());
    // sysfs belongs to the network namespace's owner: without one of our own (or in a user
    // namespace), the host's, bound read-only (runc's fallback).
    if (f && m.type == "sysfs" && !s.dry() && (errno == EPERM || errno == EBUSY)) {
      f = s.bind("/sys", target, true, MS_NOSUID | MS_NODEV | MS_NOEXEC);
    }
    if (f) return f;
    if (m.copy_up) {
      trace::emit("cp -a <" + target + " before the mount>/. " + trace::quote(target) +
                  "   # tmpcopyup: the files it covers, copied in");
      UniqueFd top(s.dry() ? -1 : ::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!s.dry() && !(under && top && copy_dir_at(under.get(), top.get())))
        return failed("tmpcopyup: copy " + m.target + "'s files into its tmpfs");
    }
  }
  if (m.propagation && !s.dry() &&
      ::mount(nullptr, target.c_str(), nullptr, m.propagation, nullptr) != 0)
    return failed("mount --make-* " + target);
  if ((m.attr_set || m.attr_clr) && !s.dry()) {
    mount_attr attr{};
    attr.attr_set = m.attr_set;
    attr.attr_clr = m.attr_clr;
    if (::mount_setattr(AT_FDCWD, target.c_str(), AT_RECURSIVE, &attr, sizeof attr) != 0)
      return failed("mount_setattr (recursive options) " + target);
  }
  return std::nullopt;
}

// The devices every OCI container has (runtime-spec config-linux.md "Default Devices"), unless
// the bundle's mounts or devices made them, and the /dev links runc makes.
Result oci_default_devices(const Steps& s, const InitConfig& c) {
  std::string dev;
  if (auto f = own_dev(s, c.rootfs, dev)) return f;
  if (auto f = default_nodes(s, c, dev)) return f;
  if (auto f = make_device_nodes(s, c, c.rootfs)) return f;
  if (auto f = s.symlink("pts/ptmx", dev + "/ptmx")) return f;  // kept when there
  if (auto f = fd_links(s, dev)) return f;
  if (c.make_console && !exists(dev + "/console"))
    if (auto f = s.touch(dev + "/console")) return f;
  return std::nullopt;
}

// Each sysctl written below `proc` (the container's own /proc), never through a symlink.
Result write_sysctls(const Steps& s, const InitConfig& c, const std::string& proc) {
  for (const auto& [key, value] : c.sysctls) {
    std::string rel = key;
    for (auto& ch : rel)
      if (ch == '.') ch = '/';
    trace::emit("sysctl -w " + key + "=" + value);
    if (s.dry()) continue;
    const std::string path = proc + "/sys/" + rel;
    UniqueFd fd(proc == "/proc" && g_proc_sys >= 0
                    ? ::openat(g_proc_sys, rel.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
                    : ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd && ::write(fd.get(), value.data(), value.size()) >= 0) continue;
    const int err = errno;
    // Named as given: --sysctl for run, linux.sysctl for a bundle.
    const std::string flag = std::string(c.oci ? "linux.sysctl " : "--sysctl ") + key + "=" + value;
    if (!fd && err == ENOENT)
      return InitFailure{kExitSetupError,
                         flag + ": no such sysctl in the container (/proc/sys/" + rel + ")"};
    return InitFailure{kExitSetupError, flag + ": the kernel refused it: " + std::strerror(err)};
  }
  return std::nullopt;
}

// linux.sysctl, through the container's /proc/sys (before it is made read-only).
Result oci_sysctls(const Steps& s, const InitConfig& c) {
  if (c.sysctls.empty()) return std::nullopt;
  // Through the container's own /proc, never a symlink of the bundle's to a host path.
  std::string proc;
  if (auto f = s.in_root(c.rootfs, "/proc", false, proc)) return f;
  if (proc != c.rootfs + "/proc")
    return InitFailure{kExitSetupError, "the bundle's /proc is a symlink: linux.sysctl refused"};
  return write_sysctls(s, c, proc);
}

// linux.maskedPaths and linux.readonlyPaths, as docker's (a missing path is skipped).
Result oci_protect_paths(const Steps& s, const InitConfig& c) {
  // Files are masked with the container's own /dev/null, checked to be the null device (not
  // a bundle's symlink to a host file).
  std::string null;
  if (!c.masked_paths.empty() && !s.dry()) {
    if (auto f = s.in_root(c.rootfs, "/dev/null", false, null)) return f;
    struct stat st {};
    if (::stat(null.c_str(), &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
      return InitFailure{kExitSetupError,
                         "the container's /dev/null is not the null device: maskedPaths refused"};
  }
  for (const auto& p : c.masked_paths) {
    std::string path;
    if (!exists(c.rootfs + p)) continue;  // nothing to mask (in_root would create it)
    if (auto f = s.in_root(c.rootfs, p, false, path); f || !exists(path)) continue;
    if (is_dir(path)) {
      if (auto f = s.mount("mount -t tmpfs -o ro tmpfs " + path, "tmpfs", path, "tmpfs",
                           MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0"))
        return f;
    } else if (auto f = s.bind(null, path, false)) {
      return f;
    }
  }
  for (const auto& p : c.readonly_paths) {
    std::string path;
    if (!exists(c.rootfs + p)) continue;
    if (auto f = s.in_root(c.rootfs, p, false, path); f || !exists(path)) continue;
    if (auto f = s.bind(path, path, true, MS_NOSUID | MS_NODEV | MS_NOEXEC)) return f;
  }
  return std::nullopt;
}

}  // namespace

namespace {

// The mount holding `rootfs` (the longest mount point above it, or the root's own mount) made
// private, in this namespace only (runc's rootfsParentMountPrivate). With a bundle's "private"
// or "shared" rootfsPropagation it may still be a peer of the host's: pivot_root and MS_MOVE
// refuse a root whose parent mount is shared, and the bind of the root below it would make
// every mount of the container a mount of the host's too.
Result make_parent_mount_private(const Steps& s, const std::string& rootfs) {
  char real[PATH_MAX];
  if (!::realpath(rootfs.c_str(), real)) return failed("realpath " + rootfs);
  const std::string path = real;
  const auto text = Fs().read_if_exists("/proc/self/mountinfo");
  if (!text) return failed("read /proc/self/mountinfo");
  std::string best = "/";
  for (const auto& m : parse_mountinfo(*text, /*cgroups_only=*/true)) {  // mount points only
    const std::string& mp = m.mount_point;
    const bool above =
        path == mp || (path.rfind(mp, 0) == 0 && (mp == "/" || path[mp.size()] == '/'));
    if (above && mp.size() > best.size()) best = mp;
  }
  return s.mount("mount --make-private " + trace::quote(best), nullptr, best, nullptr, MS_PRIVATE);
}

}  // namespace

Result mount_oci_rootfs(const InitConfig& c, bool dry) {
  const Steps s(dry);
  if (auto f = make_parent_mount_private(s, c.rootfs)) return f;
  // pivot_root wants the new root to be a mount.
  if (auto f = s.bind(c.rootfs, c.rootfs, false)) return f;
  for (const auto& m : c.oci_mounts)
    if (auto f = oci_mount(s, c, m)) return f;
  if (auto f = oci_default_devices(s, c)) return f;
  return oci_sysctls(s, c);
}

Result protect_oci_paths(const InitConfig& c, bool dry) { return oci_protect_paths(Steps(dry), c); }

Result make_oci_cwd(const InitConfig& c, bool dry) {
  if (c.cwd.empty() || c.cwd == "/") return std::nullopt;
  // 0755 whatever the caller's umask (the command's own, process.user.umask, comes later).
  const mode_t umask = ::umask(022);
  std::string made;  // in_root makes what is missing, each symlink followed inside the root
  Result f = Steps(dry).in_root(c.rootfs, c.cwd, false, made);
  ::umask(umask);
  return f;
}

Result enter_oci_rootfs(const InitConfig& c, bool dry) {
  const Steps s(dry);
  if (c.no_pivot) {
    // --no-pivot (a root on a ramfs, where pivot_root is refused): move it over / and chroot.
    trace::emit("cd " + trace::quote(c.rootfs) + " && mount --move . / && chroot .");
    if (!dry && (::chdir(c.rootfs.c_str()) != 0 ||
                 ::mount(c.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) != 0 ||
                 ::chroot(".") != 0 || ::chdir("/") != 0))
      return failed("mount --move " + c.rootfs + " / && chroot");
  } else {
    InitConfig docker_like;
    docker_like.rootfs = c.rootfs;
    docker_like.oci = true;
    if (auto f = enter_rootfs(docker_like, dry)) return f;
  }
  if (c.readonly_rootfs) return readonly_root(s);
  return std::nullopt;
}

Result set_sysctls(const InitConfig& c, bool dry) { return write_sysctls(Steps(dry), c, "/proc"); }

}  // namespace mydocker
