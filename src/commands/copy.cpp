// cp and diff (see copy.hpp for where each side runs and why).

#include "mydocker/commands/copy.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <set>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/image/libarchive.hpp"
#include "mydocker/init/userns.hpp"
#include "mydocker/seccomp/confine.hpp"
#include "mydocker/spec/config.hpp"
#include "mydocker/spec/layer.hpp"
#include "mydocker/spec/prepare.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/id.hpp"

namespace mydocker {

// ---- arguments and path rules ----

namespace {

// "/a//b/" -> "/a/b/": repeated slashes go, a trailing one stays (it means "a directory").
std::string squeeze_slashes(const std::string& path) {
  std::string out;
  for (char c : path)
    if (c != '/' || out.empty() || out.back() != '/') out += c;
  return out;
}

bool ends_with_dot(const std::string& path) {
  return path == "." || (path.size() >= 2 && path.compare(path.size() - 2, 2, "/.") == 0);
}

// "/a/b" -> "/a", "b" -> "."; trailing slashes ignored.
std::string parent_of(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

CopyEndpoint parse_copy_endpoint(const std::string& arg) {
  CopyEndpoint e;
  if (arg == "-") {
    e.stream = true;
    return e;
  }
  const size_t colon = arg.find(':');
  if (arg.empty() || arg.front() == '/' || colon == std::string::npos || arg.front() == '.') {
    e.path = arg;
    return e;
  }
  e.container = arg.substr(0, colon);
  e.path = squeeze_slashes("/" + arg.substr(colon + 1));  // relative to the container's root
  return e;
}

CopyRequest make_copy_request(const std::string& src, const std::string& dest, bool archive,
                              bool follow) {
  CopyRequest r{parse_copy_endpoint(src), parse_copy_endpoint(dest), archive, follow};
  if (src.empty()) throw Error("invalid SRC_PATH '': empty");
  if (dest.empty()) throw Error("invalid DEST_PATH '': empty");
  if (!r.src.container.empty() && !r.dest.container.empty())
    throw Error("copying between containers is not supported: '" + src + "' and '" + dest + "'");
  if (r.src.container.empty() && r.dest.container.empty())
    throw Error("must specify at least one container source: '" + src + "' and '" + dest +
                "' are both local (CONTAINER:PATH names a container's file)");
  if (r.dest.stream && r.src.stream) throw Error("invalid arguments: '-' twice");
  return r;
}

std::string copy_root_name(const std::string& src) {
  std::string p = src;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (ends_with_dot(p) || p == "/") return ".";  // the directory's contents
  return base_of(p);
}

ExtractPlan plan_extract(const std::string& dest, const DestState& state, const std::string& root,
                         bool root_is_dir) {
  const bool wants_dir = !dest.empty() && dest.back() == '/';
  const bool contents = root == ".";
  if (!state.exists) {
    if (wants_dir && !root_is_dir)
      throw Error("destination directory " + dest + " must exist: no such directory");
    return {parent_of(dest), base_of(dest)};  // a new file, or a new directory with SRC's contents
  }
  if (state.is_dir) return {dest, contents ? "" : root};
  if (root_is_dir)
    throw Error("cannot copy a directory to a file: " + dest + " is not a directory");
  if (wants_dir) throw Error("destination " + dest + " is not a directory");
  return {parent_of(dest), base_of(dest)};  // a file replaces a file
}

std::string rebase_entry(const std::string& name, const std::string& from, const std::string& to) {
  std::string rest;
  if (name == from || name == from + "/") {
    rest = "";
  } else if (name.compare(0, from.size() + 1, from + "/") == 0) {
    rest = name.substr(from.size() + 1);
  } else {
    throw Error("unexpected entry " + name + " in the stream (not below " + from + ")");
  }
  if (to.empty()) return rest;
  return rest.empty() ? to : to + "/" + rest;
}

// ---- the tar streams ----

namespace {

// The other side went away (a closed pipe, a stream that ended early): the consequence of its
// failure, whose own error is the one to report.
class StreamBroken : public Error {
 public:
  using Error::Error;
};

[[noreturn]] void fail(const std::string& what, archive* a) {
  const char* why = archive_error_string(a);
  std::string text = what + ": " + (why ? why : "libarchive error");
  if (archive_errno(a) == EPIPE) throw StreamBroken(text);
  if (archive_errno(a) == EROFS) text += " (a read-only file system: a volume mounted :ro?)";
  throw Error(text);
}

// SRC without its trailing "/." and '/' (the root stays "/").
std::string trimmed_source(std::string src) {
  while (src.size() > 1 && (src.back() == '/' || ends_with_dot(src))) src.pop_back();
  return src.empty() ? "." : src;
}

// Throws SysError (with errno: ENOENT when missing) unless `src` exists. A trailing '/' or
// "/." follows a symlink, as -L does.
void check_source(const std::string& src, bool follow) {
  struct stat st {};
  const bool through = follow || src.back() == '/' || ends_with_dot(src);
  if ((through ? ::stat(src.c_str(), &st) : ::lstat(src.c_str(), &st)) != 0)
    throw SysError(errno, std::string(through ? "stat " : "lstat ") + src);
  if (!S_ISDIR(st.st_mode) && (src.back() == '/' || ends_with_dot(src)))
    throw SysError(ENOTDIR, "stat " + src);
}

// The extended attributes cp carries: user.* (what users and tools set), and the file
// capabilities (security.capability, as docker) but never onto the host: a container's file
// with cap_sys_admin+ep copied out would hand the host that capability. trusted.*, other
// security.* (SELinux labels) and system.* (ACLs) stay behind.
bool carried_xattr(std::string_view name, bool file_caps) {
  return name.starts_with("user.") || (file_caps && name == "security.capability");
}

// Writes the tree at `src` to `fd` as a pax tar whose root entry is copy_root_name(src):
// owners numeric, symlinks as symlinks (but SRC itself followed with -L, a trailing '/' or
// "/."), hard links kept, sockets skipped, mounts below crossed (a running container's volumes
// are its files).
void write_stream(const std::string& src, bool follow, int fd) {
  check_source(src, follow);
  const std::string top = trimmed_source(src);
  const std::string root = copy_root_name(src);
  ReadArchive disk(archive_read_disk_new());
  if (follow || src.back() == '/' || ends_with_dot(src))
    archive_read_disk_set_symlink_hybrid(disk.get());  // SRC itself only
  else
    archive_read_disk_set_symlink_physical(disk.get());
  archive_read_disk_set_behavior(disk.get(), ARCHIVE_READDISK_NO_ACL | ARCHIVE_READDISK_NO_FFLAGS |
                                                 ARCHIVE_READDISK_NO_SPARSE);
  if (archive_read_disk_open(disk.get(), top.c_str()) != ARCHIVE_OK)
    fail("cannot read " + src, disk.get());
  WriteArchive tar(archive_write_new());
  archive_write_set_format_pax_restricted(tar.get());
  if (archive_write_open_fd(tar.get(), fd) != ARCHIVE_OK) fail("cannot write a stream", tar.get());
  LinkResolver links(archive_entry_linkresolver_new());
  archive_entry_linkresolver_set_strategy(links.get(), archive_format(tar.get()));
  ArchiveEntry owned(archive_entry_new());
  for (;;) {
    archive_entry* entry = archive_entry_clear(owned.get());
    const int r = archive_read_next_header2(disk.get(), entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) fail("cannot read " + src, disk.get());
    archive_read_disk_descend(disk.get());
    if (archive_entry_filetype(entry) == AE_IFSOCK) continue;
    keep_xattrs(entry, [](std::string_view n) { return carried_xattr(n, true); });
    const std::string path = archive_entry_pathname(entry);
    const std::string rel = relative_to(top, path);
    archive_entry_copy_pathname(entry, (rel.empty() ? root : root + "/" + rel).c_str());
    archive_entry* spare = nullptr;
    archive_entry_linkify(links.get(), &entry, &spare);
    if (archive_write_header(tar.get(), entry) < ARCHIVE_WARN)
      fail("cannot write the stream of " + path, tar.get());
    if (archive_entry_size(entry) > 0)
      if (archive* failed = copy_to_tar(disk.get(), tar.get()))
        fail((failed == disk.get() ? "cannot read " : "cannot write the stream of ") + path,
             failed);
  }
  if (archive_write_close(tar.get()) != ARCHIVE_OK) fail("cannot write the stream", tar.get());
}

// ---- extraction ----

struct Source {
  int fd = -1;
  bool ended = false;
  char buf[64 * 1024];
};

la_ssize_t read_source(archive* a, void* client, const void** buf) {
  auto* s = static_cast<Source*>(client);
  ssize_t n;
  do {
    n = ::read(s->fd, s->buf, sizeof s->buf);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    archive_set_error(a, errno, "read: %s", errno_text(errno).c_str());
    return -1;
  }
  if (n == 0) s->ended = true;
  *buf = s->buf;
  return n;
}

struct ExtractOptions {
  std::string dest;
  std::string where;  // "in container c", "on the host": for messages
  bool raw = false;   // a stream from stdin: its entries as they are, into the directory DEST
  bool keep_owners = false;
  uid_t uid = 0;
  gid_t gid = 0;
  bool devices = true;     // false: device nodes are skipped (never onto the host)
  bool file_caps = false;  // security.capability kept: cp -a into a container only
};

DestState dest_state(const std::string& dest) {
  struct stat st {};
  if (::stat(dest.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    if (errno == ENOTDIR) return {true, false};
    throw SysError(errno, "stat " + dest);
  }
  return {true, S_ISDIR(st.st_mode)};
}

// Where the entries go, from the first one (the stream's root) and DEST's state.
ExtractPlan plan_for(const ExtractOptions& o, archive_entry* first, std::string& root) {
  const DestState state = dest_state(o.dest);
  if (o.raw) {
    if (!state.exists) throw Error("Could not find the file " + o.dest + " " + o.where);
    if (!state.is_dir) throw Error("destination " + o.dest + " must be a directory");
    return {o.dest, ""};
  }
  root = archive_entry_pathname(first) ? archive_entry_pathname(first) : "";
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  const bool is_dir = archive_entry_filetype(first) == AE_IFDIR;
  ExtractPlan plan = plan_extract(o.dest, state, root, is_dir);
  if (!state.exists && !dest_state(plan.dir).is_dir)
    throw Error("Could not find the file " + plan.dir + " " + o.where);
  return plan;
}

int extract_options() {
  int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
              ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
              ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
  if (::geteuid() == 0) flags |= ARCHIVE_EXTRACT_OWNER;
  return flags;
}

// One entry, renamed as planned and with the owners asked for; false when it is skipped.
bool prepare_entry(archive_entry* e, const ExtractOptions& o, const std::string& root,
                   const ExtractPlan& plan) {
  if (!o.devices &&
      (archive_entry_filetype(e) == AE_IFCHR || archive_entry_filetype(e) == AE_IFBLK))
    return false;
  if (!o.raw) {
    const std::string name = rebase_entry(archive_entry_pathname(e), root, plan.rename_to);
    if (name.empty()) return false;  // the root of "dir/.": its contents only
    archive_entry_copy_pathname(e, name.c_str());
    if (const char* link = archive_entry_hardlink(e))
      archive_entry_copy_hardlink(e, rebase_entry(link, root, plan.rename_to).c_str());
  }
  if (!o.keep_owners) {
    archive_entry_set_uid(e, o.uid);
    archive_entry_set_gid(e, o.gid);
  }
  archive_entry_set_uname(e, nullptr);
  archive_entry_set_gname(e, nullptr);
  keep_xattrs(e, [&](std::string_view n) { return carried_xattr(n, o.file_caps); });
  return true;
}

void write_entries(archive* tar, archive* disk, archive_entry* entry, Source& in,
                   const ExtractOptions& o, const std::string& root, const ExtractPlan& plan) {
  for (;;) {
    const std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    if (prepare_entry(entry, o, root, plan)) {
      if (archive_write_header(disk, entry) < ARCHIVE_WARN)
        fail("cannot write " + name + " " + o.where, disk);
      if (archive_entry_size(entry) > 0)
        if (archive* failed = extract_data(tar, disk))
          fail(failed == tar ? "cannot read the stream at " + name
                             : "cannot write " + name + " " + o.where,
               failed);
      if (archive_write_finish_entry(disk) < ARCHIVE_WARN)
        fail("cannot write " + name + " " + o.where, disk);
    }
    const int r = archive_read_next_header(tar, &entry);
    if (r == ARCHIVE_EOF) return;
    if (r < ARCHIVE_WARN) {
      if (in.ended) throw StreamBroken("the stream ended early, after " + name);
      fail("cannot read the stream after " + name, tar);
    }
  }
}

// Extracts the stream read from `fd` to DEST with docker's rules (plan_extract). Works from
// the directory it writes in (libarchive resolves names from there) and returns to the
// caller's working directory.
void extract_stream(int fd, const ExtractOptions& o) {
  Source in;
  in.fd = fd;
  ReadArchive tar(archive_read_new());
  archive_read_support_format_tar(tar.get());
  archive_read_support_filter_gzip(tar.get());
  if (archive_read_open(tar.get(), &in, nullptr, read_source, nullptr) != ARCHIVE_OK) {
    if (in.ended) throw StreamBroken("the stream is empty");
    fail("not a tar stream", tar.get());
  }
  archive_entry* entry = nullptr;
  const int r = archive_read_next_header(tar.get(), &entry);
  if (r == ARCHIVE_EOF && o.raw) return;  // an empty tar: nothing to write
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
    if (in.ended) throw StreamBroken("the stream is empty");
    fail("not a tar stream", tar.get());
  }
  std::string root;
  const ExtractPlan plan = plan_for(o, entry, root);
  UniqueFd back(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!back) throw SysError(errno, "open the working directory");
  if (::chdir(plan.dir.c_str()) != 0) throw SysError(errno, "chdir " + plan.dir + " " + o.where);
  try {
    WriteArchive disk(archive_write_disk_new());
    archive_write_disk_set_options(disk.get(), extract_options());
    write_entries(tar.get(), disk.get(), entry, in, o, root, plan);
    // Directory modes and times are set last, once nothing more is written inside them.
    if (archive_write_close(disk.get()) != ARCHIVE_OK)
      fail("cannot finish writing " + o.dest + " " + o.where, disk.get());
  } catch (...) {
    (void)::fchdir(back.get());
    throw;
  }
  if (::fchdir(back.get()) != 0) throw SysError(errno, "back to the working directory");
}

}  // namespace

// ---- the container's side ----

namespace {

// How a child process reaches the container's files.
struct View {
  std::string name;  // as typed, for messages
  pid_t pid = 0;     // running: its init
  UniqueFd pidfd;    // ... held: a pid reused after its exit is never taken for it
  std::string files, lower;
  // Stopped: its volumes and binds (-v, the image's Volumes), attached over the fresh overlay
  // as a start would, so that docker's cp reads and writes them, not the layer beneath.
  struct Bind {
    std::string source, target;
    bool readonly = false;
  };
  std::vector<Bind> binds;
};

// The container's own layer (v.files) and its image's (v.lower, overlayfs' lowerdir= list);
// both "" for a container of the host's files or --rootfs.
void add_layers(View& v, const nlohmann::json& config, const std::string& data_root) {
  v.files = config.value("files_dir", "");
  const std::string image = config.value("image", "");
  if (image.empty()) return;
  ImageStore images(data_root);
  for (const auto& l : images.lowerdirs(images.resolve(image)))
    v.lower += (v.lower.empty() ? "" : ":") + l;
}

View open_view(const Store& store, const std::string& data_root, const std::string& ref) {
  if (::geteuid() != 0) throw Error("mydocker cp needs root (it enters the container's files)");
  const ContainerDir dir = store.open(ref);
  const auto config = dir.config();
  View v;
  v.name = ref;
  const ContainerState st = dir.status();
  // Running: its supervisor lives (one killed leaves "running" in the state, and no container).
  if (st.pid > 0 && dir.running(st)) {
    // As exec checks it: the pid still names a process of this container's cgroup (one that
    // exited meanwhile and whose pid went to a host process would give the host's root).
    v.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)));
    if (!v.pidfd || !pid_in_container(st.pid, dir.id()))
      throw Error("container " + ref + " is not running (its process has just exited)");
    v.pid = st.pid;
    return v;
  }
  if (st.status == "restarting")
    throw Error("container " + ref + " is restarting: try again once it runs");
  add_layers(v, config, data_root);
  for (const auto& m : recorded_mounts(config))
    v.binds.push_back({m.value("Source", ""), m.value("Destination", ""), !m.value("RW", true)});
  if (v.files.empty() || v.lower.empty())
    throw Error("container " + ref +
                " is not running and has no files of its own (it ran on the host's files, or "
                "--rootfs): start it to copy from or into what it sees");
  return v;
}

// In the child: a running container's root as its processes see it. Its user namespace is
// joined last (after chroot, which needs the host's CAP_SYS_CHROOT), as its root: files are
// made as the container's root makes them, through its idmapped mounts.
void enter_running(const View& v) {
  const std::string proc = "/proc/" + std::to_string(v.pid);
  UniqueFd root(::open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw SysError(errno, "open " + proc + "/root (container " + v.name + ")");
  struct stat mine {
  }, theirs{};
  UniqueFd userns(::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
  if (!userns || ::fstat(userns.get(), &theirs) != 0 || ::stat("/proc/self/ns/user", &mine) != 0)
    throw SysError(errno, "open " + proc + "/ns/user");
  // Still the process we checked (its pidfd can be signalled): what was opened is its.
  if (::syscall(SYS_pidfd_send_signal, v.pidfd.get(), 0, nullptr, 0) != 0)
    throw Error("container " + v.name + " is not running (its process has just exited)");
  if (::fchdir(root.get()) != 0) throw SysError(errno, "chdir " + proc + "/root");
  if (::chroot(".") != 0) throw SysError(errno, "chroot " + proc + "/root");
  if (::chdir("/") != 0) throw SysError(errno, "chdir / in container " + v.name);
  if (mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev) return;
  if (::setns(userns.get(), CLONE_NEWUSER) != 0)
    throw SysError(errno, "setns " + proc + "/ns/user");
  if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0)
    throw SysError(errno, "become root in the user namespace of container " + v.name);
}

// A volume or bind of a stopped container at its place in the overlay mounted at v.files (the
// target resolved inside it: an image's symlink never sends it to the host's files), read-only
// as recorded or when the view is. A target its runs never made is left out.
void attach_bind(const View& v, int root, const View::Bind& b, bool writable) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string rel = "." + b.target;
  UniqueFd target(openat2_retry(root, rel.c_str(), how));
  if (!target) {
    if (errno == ENOENT) return;
    throw SysError(errno, "open " + b.target + " in container " + v.name);
  }
  const UniqueFd tree = detached_tree(b.source, /*userns_fd=*/-1, b.readonly || !writable);
  if (::move_mount(tree.get(), "", target.get(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    throw SysError(errno, "mount " + b.source + " on " + b.target + " in container " + v.name);
}

// In the child: a fresh overlay of the stopped container's layer over its image's, in a
// mount namespace of its own (gone with the child), mounted over its files directory.
void enter_stopped(const View& v, bool writable) {
  if (::unshare(CLONE_NEWNS) != 0) throw_errno("unshare a mount namespace");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw_errno("mount --make-rprivate /");
  // Read-only: the container's layer as one more lower (no work directory is touched).
  const std::string data = writable ? "lowerdir=" + v.lower + ",upperdir=" + v.files +
                                          "/upper,workdir=" + v.files + "/work"
                                    : "lowerdir=" + v.files + "/upper:" + v.lower;
  if (writable) forget_volatile_mount(v.files + "/work");  // a --rm container's, killed
  if (::mount("overlay", v.files.c_str(), "overlay", (writable ? 0 : MS_RDONLY) | MS_NODEV,
              data.c_str()) != 0)
    throw_errno("mount -t overlay -o " + data + " " + v.files);
  if (!v.binds.empty()) {
    UniqueFd root(::open(v.files.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw SysError(errno, "open " + v.files);
    for (const auto& b : v.binds) attach_bind(v, root.get(), b, writable);
  }
  if (::chroot(v.files.c_str()) != 0) throw SysError(errno, "chroot " + v.files);
  if (::chdir("/") != 0) throw SysError(errno, "chdir / in container " + v.name);
}

// The failure of one side: 'C' a consequence of the other side's (StreamBroken), 'E' its own.
std::string failure_of(const std::exception& e) {
  return (dynamic_cast<const StreamBroken*>(&e) ? "C" : "E") + std::string(e.what());
}

// Runs `inside` in a child process that `enter`s its root (a container's files) and is then
// confined (no code of those files can run as ours), and `here` (may be empty) in this process
// meanwhile. Reports the failure that came first: a side's own error over the other's broken
// stream. `what` names the files in a failure of the child's.
void in_child(const std::function<void()>& enter, Confinement confinement,
              const std::function<void()>& inside, const std::function<void()>& here,
              const std::string& what) {
  Pipe errors = make_pipe();
  load_charset_tables();  // from the host's files, before the child's root is the container's
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    errors.read.reset();
    std::string failure;
    try {
      enter();
      confine_file_helper(confinement);
      inside();
    } catch (const std::exception& e) {
      failure = failure_of(e);
    }
    (void)write_all(errors.write.get(), failure.data(), failure.size());
    ::_exit(failure.empty() ? 0 : 1);
  }
  errors.write.reset();
  std::string mine;
  try {
    if (here) here();
  } catch (const std::exception& e) {
    mine = failure_of(e);
  }
  std::string theirs(4096, '\0');
  const ssize_t n = read_full(errors.read.get(), theirs.data(), theirs.size());
  theirs.resize(n > 0 ? static_cast<size_t>(n) : 0);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!theirs.empty() && (theirs[0] == 'E' || mine.empty())) throw Error(theirs.substr(1));
  if (!mine.empty()) throw Error(mine.substr(1));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("reading or writing the files of " + what +
                " failed (the child process ended with " + std::to_string(status) + ")");
}

// in_child with the container's root (see copy.hpp).
void in_container(const View& v, bool writable, const std::function<void()>& inside,
                  const std::function<void()>& here) {
  in_child([&] { v.pid ? enter_running(v) : enter_stopped(v, writable); }, Confinement::kCopy,
           inside, here, "container " + v.name);
}

// SIGPIPE ignored while streams flow: a side whose reader went away gets EPIPE, reported as
// the consequence it is.
class PipeSignalIgnored {
 public:
  PipeSignalIgnored() { old_ = std::signal(SIGPIPE, SIG_IGN); }
  ~PipeSignalIgnored() { std::signal(SIGPIPE, old_); }
  PipeSignalIgnored(const PipeSignalIgnored&) = delete;
  PipeSignalIgnored& operator=(const PipeSignalIgnored&) = delete;

 private:
  void (*old_)(int);
};

// write_stream of a container's SRC, with docker's message when it is missing.
void write_container_source(const View& v, const std::string& src, bool follow, int fd) {
  try {
    write_stream(src, follow, fd);
  } catch (const SysError& e) {
    if (e.err() == ENOENT)
      throw Error("Could not find the file " + src + " in container " + v.name);
    throw;
  }
}

void copy_out(const View& v, const CopyRequest& r) {
  if (r.dest.stream) {
    if (::isatty(STDOUT_FILENO))
      throw Error("cowardly refusing to write a tar to a terminal: redirect the output of '-'");
    in_container(
        v, false, [&] { write_container_source(v, r.src.path, r.follow, STDOUT_FILENO); }, nullptr);
    return;
  }
  Pipe p = make_pipe();
  ExtractOptions o;
  o.dest = r.dest.path;
  o.where = "on the host";
  o.keep_owners = r.archive;
  o.uid = ::geteuid();  // docker: the caller's, unless -a
  o.gid = ::getegid();
  o.devices = false;  // a container's device node never lands on the host
  in_container(
      v, false,
      [&] {
        UniqueFd out = std::move(p.write);
        p.read.reset();
        write_container_source(v, r.src.path, r.follow, out.get());
      },
      [&] {
        UniqueFd in = std::move(p.read);
        p.write.reset();
        extract_stream(in.get(), o);
      });
}

void copy_in(const View& v, const CopyRequest& r) {
  ExtractOptions o;
  o.dest = r.dest.path;
  o.where = "in container " + v.name;
  o.raw = r.src.stream;
  o.keep_owners = r.archive;  // docker: the container's root, unless -a
  o.file_caps = r.archive;
  if (r.src.stream) {
    in_container(
        v, true, [&] { extract_stream(STDIN_FILENO, o); }, nullptr);
    return;
  }
  check_source(r.src.path, r.follow);  // before anything starts: the host's own error
  Pipe p = make_pipe();
  in_container(
      v, true,
      [&] {
        UniqueFd in = std::move(p.read);
        p.write.reset();
        extract_stream(in.get(), o);
      },
      [&] {
        UniqueFd out = std::move(p.write);
        p.read.reset();
        write_stream(r.src.path, r.follow, out.get());
      });
}

}  // namespace

void in_container_layers(const Store& store, const std::string& data_root, const std::string& ref,
                         const std::function<void()>& fn) {
  if (::geteuid() != 0) throw Error("reading a container's files needs root");
  View v;
  v.name = ref;
  add_layers(v, store.open(ref).config(), data_root);
  if (v.files.empty() || v.lower.empty())
    throw Error("container " + ref +
                " has no filesystem of its own (it ran on the host's files, or --rootfs)");
  in_container(v, false, fn, nullptr);
}

void in_directory(const std::string& dir, Confinement confinement,
                  const std::function<void()>& fn) {
  in_child(
      [&] {
        if (::chroot(dir.c_str()) != 0) throw SysError(errno, "chroot " + dir);
        if (::chdir("/") != 0) throw SysError(errno, "chdir / in " + dir);
      },
      confinement, fn, nullptr, dir);
}

void copy(const Store& store, const std::string& data_root, const CopyRequest& r) {
  const bool out = !r.src.container.empty();
  const View v = open_view(store, data_root, out ? r.src.container : r.dest.container);
  PipeSignalIgnored quiet;
  out ? copy_out(v, r) : copy_in(v, r);
}

// ---- diff ----

namespace {

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == 0; }

// What the image has at `path` ("a/b", relative), layer by layer from the top, never following
// a symlink: the first layer that has it decides (a whiteout there: nothing); a layer where an
// ancestor is not a directory hides the layers below.
std::optional<struct stat> in_image(const std::vector<UniqueFd>& lowers, const std::string& path) {
  for (const auto& layer : lowers) {
    open_how how{};
    how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    const long fd = openat2_retry(layer.get(), path.c_str(), how);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return std::nullopt;
    }
    UniqueFd found(static_cast<int>(fd));
    struct stat st {};
    if (::fstat(found.get(), &st) != 0) throw SysError(errno, "fstat " + path + " in a layer");
    if (is_whiteout(st)) return std::nullopt;
    return st;
  }
  return std::nullopt;
}

bool same_time(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && (a.tv_nsec == b.tv_nsec || a.tv_nsec == 0 || b.tv_nsec == 0);
}

bool opaque(int dir_fd) {
  char v[2];
  return ::fgetxattr(dir_fd, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

std::vector<std::string> sorted_names(int dir_fd, const std::string& path) {
  DIR* d = ::fdopendir(::dup(dir_fd));
  if (!d) throw SysError(errno, "opendir " + path);
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

struct Walk {
  const std::vector<UniqueFd>& lowers;
  std::vector<Change> out;
  std::set<std::string> changed_dirs;
};

// The change one upper entry makes ('\0': none). `fd`: the entry opened if it is a directory.
char change_of(Walk& w, const std::string& path, const struct stat& st, int fd) {
  const auto below = in_image(w.lowers, path.substr(1));
  if (is_whiteout(st)) return 'D';
  if (S_ISDIR(st.st_mode) && opaque(fd) && below) return 'D';  // removed, then made again
  if (!below) return 'A';
  if (S_ISDIR(st.st_mode) && S_ISDIR(below->st_mode) && st.st_size == below->st_size &&
      st.st_mode == below->st_mode && same_time(st.st_mtim, below->st_mtim))
    return '\0';  // only there for what is below it
  return 'C';
}

void walk(Walk& w, int dir_fd, const std::string& dir) {
  for (const auto& name : sorted_names(dir_fd, dir)) {
    const std::string path = dir + "/" + name;
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      throw SysError(errno, "lstat " + path + " in the container's layer");
    UniqueFd sub;
    if (S_ISDIR(st.st_mode)) {
      sub.reset(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) throw SysError(errno, "open " + path + " in the container's layer");
    }
    const char kind = change_of(w, path, st, sub.get());
    if (kind != '\0') {
      if (sub) w.changed_dirs.insert(path);
      const std::string parent = dir.empty() ? "/" : dir;
      if (kind != 'C' && parent != "/" && w.changed_dirs.insert(parent).second)
        w.out.push_back({'C', parent});
      w.out.push_back({kind, path});
    }
    if (sub) walk(w, sub.get(), path);
  }
}

}  // namespace

std::vector<Change> overlay_changes(const std::string& upper,
                                    const std::vector<std::string>& lowers) {
  UniqueFd top(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!top) throw SysError(errno, "open " + upper);
  std::vector<UniqueFd> below;
  for (const auto& l : lowers) {
    below.emplace_back(::open(l.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!below.back()) throw SysError(errno, "open " + l);
  }
  Walk w{below, {}, {}};
  walk(w, top.get(), "");
  return std::move(w.out);
}

std::vector<Change> diff_container(const Store& store, const std::string& data_root,
                                   const std::string& ref) {
  if (::geteuid() != 0) throw Error("mydocker diff needs root (it reads the container's layer)");
  const ContainerDir dir = store.open(ref);
  const auto config = dir.config();
  const std::string files = config.value("files_dir", "");
  const std::string image = config.value("image", "");
  if (files.empty() || image.empty())
    throw Error("container " + ref +
                " has no image (it ran on the host's files, or --rootfs): it has no layer of its "
                "own to compare");
  ImageStore images(data_root);
  return overlay_changes(files + "/upper", images.lowerdirs(images.resolve(image)));
}

}  // namespace mydocker
