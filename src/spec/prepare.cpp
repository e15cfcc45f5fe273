#include "mydocker/spec/prepare.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "mydocker/init/security.hpp"
#include "mydocker/init/userns.hpp"
#include "mydocker/net/ipam.hpp"
#include "mydocker/spec/devices.hpp"
#include "mydocker/spec/layer.hpp"
#include "mydocker/spec/namespaces.hpp"
#include "mydocker/store/store.hpp"
#include "mydocker/store/volumes.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/trace.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

constexpr const char* kPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void check_container_path(const std::string& flag, const std::string& value,
                          const std::string& path) {
  if (path.empty() || path[0] != '/')
    throw Error("invalid value '" + value + "' for " + flag +
                ": the container path must be absolute");
  if (("/" + path + "/").find("/../") != std::string::npos)
    throw Error("invalid value '" + value + "' for " + flag + ": '..' is not allowed");
}

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string f; std::getline(ss, f, ':');) out.push_back(f);
  return out;
}

std::optional<uint32_t> number(const std::string& s) {
  auto n = parse_int(s);
  if (!n || *n < 0 || *n > 0xfffffffe) return std::nullopt;
  return static_cast<uint32_t>(*n);
}

// "-e KEY" takes our value (and is dropped when we have none), as docker does.
std::optional<std::string> env_entry(const std::string& e) {
  if (e.find('=') != std::string::npos) return e;
  if (const char* v = std::getenv(e.c_str())) return e + "=" + v;
  return std::nullopt;
}

// The bytes of the regular file open (O_PATH) at `fd`, at most 16 MiB.
std::string read_regular(int fd) {
  UniqueFd file(::open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_RDONLY | O_CLOEXEC));
  std::string out;
  char buf[8192];
  ssize_t n;
  while (file && (n = read_full(file.get(), buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (16u << 20) || n < static_cast<ssize_t>(sizeof buf)) break;
  }
  return out;
}

UniqueFd open_path_in(const std::string& root, const std::string& relative, bool follow) {
  UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return UniqueFd();
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return UniqueFd(openat2_retry(dir.get(), relative.c_str(), how));
}

// A file of a container's root (the host's "/" or a --rootfs), every symlink resolved inside
// it (openat2 RESOLVE_IN_ROOT): an image's /etc/passwd -> /etc/shadow must not read the host's.
// "" when it does not exist or is not a regular file (never a device node opened).
std::string read_in_one_root(const std::string& root, const std::string& relative) {
  UniqueFd fd = open_path_in(root.empty() ? "/" : root, relative, true);
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  return read_regular(fd.get());
}

// The same over an image's layers (top first), as the overlay will show it: the topmost layer
// having the path gives it; a whiteout there (a 0:0 character device) means it was deleted; a
// symlink is followed from the top again (8 hops at most). Directories on the way are resolved
// within each layer (an opaque directory's rule is not applied: /etc/passwd lookups only).
std::string read_in_layers(const std::vector<std::string>& layers, std::string relative) {
  for (int hop = 0; hop < 8; ++hop) {
    bool followed = false;
    for (const auto& layer : layers) {
      UniqueFd fd = open_path_in(layer, relative, false);
      struct stat st {};
      if (!fd || ::fstat(fd.get(), &st) != 0) continue;
      if (S_ISCHR(st.st_mode) && st.st_rdev == 0) return "";  // deleted by this layer
      if (!S_ISLNK(st.st_mode)) return S_ISREG(st.st_mode) ? read_regular(fd.get()) : "";
      char target[4096];
      const ssize_t n = ::readlinkat(fd.get(), "", target, sizeof target - 1);
      if (n <= 0) return "";
      const std::string t(target, static_cast<size_t>(n));
      const size_t slash = relative.rfind('/');
      relative = t.front() == '/'
                     ? t.substr(1)
                     : (slash == std::string::npos ? "" : relative.substr(0, slash + 1)) + t;
      followed = true;
      break;
    }
    if (!followed) return "";
  }
  return "";
}

std::string read_in_root(const std::vector<std::string>& roots, const char* relative) {
  if (roots.size() <= 1) return read_in_one_root(roots.empty() ? "" : roots.front(), relative);
  return read_in_layers(roots, relative);
}

// --userns private: the id ranges, and the trees the init sees through idmapped mounts so
// that the image and the container's own files (owned by host root on disk) belong to the
// container's root.
void prepare_userns(const RunOptions& o, const std::string& files_dir, InitConfig& c) {
  if (o.userns.empty() || o.userns == "host") return;
  if (o.userns != "private")
    throw Error("invalid value '" + o.userns + "' for --userns: host (the default) or private");
  if (o.privileged)
    throw Error(
        "--privileged and --userns private cannot be combined (as in docker): "
        "use --userns host");
  const IdRange uids = subordinate_range("/etc/subuid"), gids = subordinate_range("/etc/subgid");
  c.userns = true;
  c.uid_base = uids.base;
  c.uid_count = uids.count;
  c.gid_base = gids.base;
  c.gid_count = gids.count;
  if (c.uid >= c.uid_count || c.gid >= c.gid_count)
    throw Error("invalid value '" + o.user + "' for -u: beyond the " + std::to_string(c.uid_count) +
                " ids the user namespace maps");
  for (auto g : c.groups)
    if (g >= c.gid_count)
      throw Error("invalid value '" + o.user + "' for -u: group " + std::to_string(g) +
                  " is beyond the ids the user namespace maps");
  if (c.rootfs.empty()) return;  // the host's files: nothing of them is the container's
  // The init, root of the namespace but an unprivileged host uid, walks the path to its
  // directory: the data root gets o+x here and containers/ is always 0711 (docker's are 0711
  // under userns-remap, see create_container_files); any other directory on the way must
  // already let it through.
  const std::string containers = files_dir.substr(0, files_dir.rfind('/'));
  const std::string data_root = containers.substr(0, containers.rfind('/'));
  if (struct stat st{}; ::stat(data_root.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH))
    ::chmod(data_root.c_str(), (st.st_mode & 07777) | S_IXOTH);
  for (std::string dir = data_root; dir.size() > 1;
       dir = dir.substr(0, std::max<size_t>(1, dir.rfind('/')))) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH))
      throw Error("--userns private: the container's root (host uid " + std::to_string(c.uid_base) +
                  ") cannot reach " + files_dir + " through " + dir + ": give that directory " +
                  "o+x, or choose a --data-root it can reach");
  }
  c.idmapped.push_back({files_dir, files_dir, "", "", false, false});
  if (!c.lower.empty()) {
    // Each layer through an idmapped mount of its own: <files_dir>/lower/<n>, top first.
    std::string mapped;
    const auto layers = split(c.lower, ":");
    for (size_t i = 0; i < layers.size(); ++i) {
      const std::string at = files_dir + "/lower/" + std::to_string(i);
      c.idmapped.push_back({layers[i], at, "", "", false, false});
      mapped += (mapped.empty() ? "" : ":") + at;
    }
    c.lower = mapped;
  } else {
    c.idmapped.push_back({c.rootfs, c.rootfs, "", "", false, false});
  }
}

// The nodes made in the container's /dev (with their rules in device_rules()).
void prepare_devices(const RunOptions& o, InitConfig& c) {
  for (const auto& d : o.devices) {
    const DeviceRequest req = parse_device_flag(d);
    for (const auto& n : req.nodes) {
      // The host's files: its /dev is already there (and read-only); a node elsewhere
      // cannot be made.
      if (c.rootfs.empty() && n.path != n.host_path)
        throw Error("invalid value '" + d + "' for --device: a container without an image sees " +
                    "the host's /dev, so the node keeps its host path (" + n.host_path + ")");
      if (n.path.rfind("/dev/", 0) != 0 && !c.rootfs.empty())
        throw Error("invalid value '" + d + "' for --device: the container path must be " +
                    "under /dev (the only place of the container where device nodes work)");
      if (!c.rootfs.empty()) c.devices.push_back(n);
    }
  }
  // docker gives a privileged container every device of the host, in its own /dev.
  if (o.privileged && !c.rootfs.empty())
    for (auto& n : host_devices()) c.devices.push_back(std::move(n));
}

}  // namespace

std::vector<std::string> image_volumes(const RunOptions& o, const ImageDefaults& image) {
  auto clean = [](std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
  };
  std::set<std::string> taken;
  for (const auto& v : o.volumes) taken.insert(clean(parse_volume(v).target));
  for (const auto& t : o.tmpfs) taken.insert(clean(t.substr(0, t.find(':'))));
  std::vector<std::string> out;
  for (const auto& path : image.volumes) {
    check_container_path("the image's Volumes", path, path);
    if (taken.insert(clean(path)).second) out.push_back(clean(path));
  }
  return out;
}

// -v's third field, docker's comma-separated options: ro or rw; z and Z (SELinux relabelling:
// this host has no SELinux, and docker skips it there too); consistent, cached and delegated
// (Docker Desktop's, no-ops on Linux in docker too); nocopy (a new volume does not get the
// image's files); private and rprivate (what every bind here is). slave and shared propagation
// are refused, by name: the container's mounts are made private at its start.
void apply_volume_options(const std::string& v, const std::string& options, MountSpec& m) {
  if (options.empty() || options.front() == ',' || options.back() == ',' ||
      options.find(",,") != std::string::npos)
    throw Error("invalid value '" + v + "' for -v: an empty option");
  // docker's: at most one option of each kind.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kinds = {
      {"mode", {"ro", "rw"}},
      {"label", {"z", "Z"}},
      {"propagation", {"private", "rprivate", "shared", "rshared", "slave", "rslave"}},
      {"consistency", {"consistent", "cached", "delegated"}},
      {"copy", {"nocopy"}}};
  std::set<std::string> seen;
  for (const auto& o : split(options, ",")) {
    auto kind = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) {
      return std::find(k.second.begin(), k.second.end(), o) != k.second.end();
    });
    if (kind == kinds.end())
      throw Error("invalid value '" + v + "' for -v: unknown option '" + o +
                  "' (ro, rw, z, Z, nocopy, private, rprivate, consistent, cached, delegated)");
    if (!seen.insert(kind->first).second)
      throw Error("invalid value '" + v + "' for -v: more than one " + kind->first + " option");
    if (o == "shared" || o == "rshared" || o == "slave" || o == "rslave")
      throw Error("invalid value '" + v + "' for -v: " + o +
                  " propagation is not supported (a container's mounts are private)");
    if (o == "ro" || o == "rw") m.readonly = o == "ro";
    if (o == "nocopy") m.nocopy = true;
  }
  if (m.nocopy && !m.source.empty() && !names_volume(m.source))  // docker's: volumes' only
    throw Error("invalid value '" + v + "' for -v: nocopy is for volumes, not host paths");
}

// -v HOST:CONTAINER[:OPTIONS], NAME:CONTAINER[:OPTIONS] (a named volume) or CONTAINER (an
// anonymous one: its source is left empty here).
MountSpec parse_volume(const std::string& v) {
  std::vector<std::string> parts;
  std::stringstream ss(v);
  for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
  MountSpec m;
  if (parts.size() == 1 && !parts[0].empty() && parts[0][0] == '/') {
    check_container_path("-v", v, parts[0]);
    m.target = parts[0];
    return m;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty())
    throw Error("invalid value '" + v + "' for -v: expected HOST:CONTAINER[:ro|rw], " +
                "NAME:CONTAINER[:ro|rw] or CONTAINER");
  if (names_volume(parts[0])) check_volume_name(parts[0], "-v");
  check_container_path("-v", v, parts[1]);
  m.source = parts[0];
  m.target = parts[1];
  if (parts.size() == 3) apply_volume_options(v, parts[2], m);
  return m;
}

MountSpec parse_tmpfs(const std::string& v) {
  const size_t colon = v.find(':');
  MountSpec m;
  m.target = v.substr(0, colon);
  check_container_path("--tmpfs", v, m.target);
  m.source = "tmpfs";
  m.fstype = "tmpfs";
  // docker's defaults for --tmpfs; options given are added after (the kernel takes the last)
  m.data = "noexec,nosuid,nodev,size=65536k";
  if (colon != std::string::npos) m.data += "," + v.substr(colon + 1);
  return m;
}

void set_env(std::vector<std::string>& env, const std::string& entry) {
  if (entry.empty() || entry[0] == '=')
    throw Error("invalid value '" + entry + "' for -e: KEY=VALUE");
  const auto kv = env_entry(entry);
  if (!kv) return;
  const std::string key = kv->substr(0, kv->find('='));
  std::erase_if(env,
                [&](const std::string& e) { return e.compare(0, key.size() + 1, key + "=") == 0; });
  env.push_back(*kv);
}

std::vector<std::string> read_env_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("invalid value '" + path + "' for --env-file: " + errno_text(errno));
  std::vector<std::string> out;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    // docker's ParseEnvFile: a UTF-8 byte order mark on the first line goes, and only leading
    // blanks are trimmed (a value keeps its trailing spaces).
    if (++number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF: Go's ScanLines drops it
    std::string t = line.substr(std::min(line.find_first_not_of(" \t\r\n\v\f"), line.size()));
    if (t.empty() || t[0] == '#') continue;
    if (t[0] == '=' || t.find_first_of(" \t") < t.find('='))
      throw Error("--env-file " + path + " line " + std::to_string(number) +
                  ": expected KEY=VALUE, got '" + t + "'");
    if (auto e = env_entry(t)) out.push_back(*e);
  }
  return out;
}

uint32_t group_id(const std::string& group, const std::vector<std::string>& root) {
  if (auto n = number(group)) return *n;
  std::istringstream groups(read_in_root(root, "etc/group"));
  for (std::string line; std::getline(groups, line);) {
    const auto f = fields(line);
    if (f.size() >= 3 && f[0] == group)
      if (auto n = number(f[2])) return *n;
  }
  throw Error("invalid value '" + group + "' for --group-add: no such group in " +
              (root.empty() ? std::string("/etc/group") : "the image's /etc/group"));
}

ResolvedUser resolve_user(const std::string& spec, const std::vector<std::string>& root) {
  ResolvedUser u;
  const size_t colon = spec.find(':');
  const std::string user = spec.substr(0, colon);
  const std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (user.empty() && !spec.empty()) throw Error("invalid value '" + spec + "' for -u: no user");
  std::istringstream passwd(read_in_root(root, "etc/passwd"));
  std::string name;
  bool found = false;
  for (std::string line; std::getline(passwd, line);) {
    auto f = fields(line);
    if (f.size() < 6) continue;
    if (user.empty() ? f[2] == "0" : f[0] == user || (number(user) && f[2] == user)) {
      name = f[0];
      u.uid = number(f[2]).value_or(0);
      u.gid = number(f[3]).value_or(0);
      u.home = f[5];
      found = true;
      break;
    }
  }
  if (!found && !user.empty()) {
    auto n = number(user);
    if (!n)
      throw Error("invalid value '" + spec + "' for -u: no user '" + user +
                  "' in the image's /etc/passwd");
    u.uid = *n;
    u.gid = *n == 0 ? 0 : u.gid;
    u.home = "/";
  }
  std::istringstream groups(read_in_root(root, "etc/group"));
  std::vector<std::vector<std::string>> entries;
  for (std::string line; std::getline(groups, line);)
    if (auto f = fields(line); f.size() >= 3) entries.push_back(f);
  if (!group.empty()) {
    auto n = number(group);
    auto it =
        std::find_if(entries.begin(), entries.end(), [&](const auto& f) { return f[0] == group; });
    if (it != entries.end())
      u.gid = number((*it)[2]).value_or(0);
    else if (n)
      u.gid = *n;
    else
      throw Error("invalid value '" + spec + "' for -u: no group '" + group +
                  "' in the image's /etc/group");
  }
  // Supplementary groups: the ones that list the user, as login(1) would set them; none when
  // the group is named (runc's rule, docker's: `-u name:group` is exactly that group).
  if (!name.empty() && group.empty())
    for (const auto& f : entries) {
      std::stringstream members(f.size() > 3 ? f[3] : "");
      for (std::string m; std::getline(members, m, ',');)
        if (m == name)
          if (auto g = number(f[2]);
              g && std::find(u.groups.begin(), u.groups.end(), *g) == u.groups.end())
            u.groups.push_back(*g);
    }
  return u;
}

std::string own_files_dir(const RunOptions& o, const std::string& files_dir,
                          const std::string& state_dir) {
  return o.userns == "private" ? files_dir : state_dir;
}

namespace {

// The filesystem. The overlay's layers go to the data root (on disk); its mount point and the
// /etc files to the container's state directory (tmpfs under /run on most hosts), which spares
// half a dozen disk creations and removals a run. In a user namespace both go to the data root:
// the init, an unprivileged host uid there, reaches them through idmapped mounts. Returns the
// root whose /etc/passwd names users ("" for the host's files).
std::vector<std::string> prepare_filesystem(const RunOptions& o, const ImageDefaults& image,
                                            const std::string& files_dir,
                                            const std::string& state_dir, InitConfig& c) {
  const std::string own = own_files_dir(o, files_dir, state_dir);
  std::vector<std::string> root_for_users;
  if (!image.lowers.empty()) {
    for (const auto& l : image.lowers) c.lower += (c.lower.empty() ? "" : ":") + l;
    // The overlay's options are one page: lowerdir, upperdir, workdir and their names.
    if (c.lower.size() + 2 * files_dir.size() + 64 > 4000)
      throw Error("the image has " + std::to_string(image.lowers.size() - 1) +
                  " layers: too many for one overlay mount from " + files_dir +
                  " (a shorter --data-root helps)");
    c.upper = files_dir + "/upper";
    c.work = files_dir + "/work";
    c.volatile_upper = o.remove;
    // The init makes the layer (its directories on the data root's disk) while we make the
    // cgroups; in a user namespace it could not, and the parent does (create_container_files).
    if (o.userns != "private") c.layer_owner = o.state_root;
    c.rootfs = own + "/rootfs";
    root_for_users = image.lowers;
  } else if (!o.rootfs_dir.empty()) {
    char real[4096];
    if (!::realpath(o.rootfs_dir.c_str(), real) || !is_dir(real))
      throw Error("invalid value '" + o.rootfs_dir + "' for --rootfs: not a directory");
    // The host's own root cannot be bound over itself as a container's: the init's view of
    // the host (/proc, /sys/fs/cgroup) would be covered by the container's mounts.
    if (std::string(real) == "/")
      throw Error("invalid value '" + o.rootfs_dir +
                  "' for --rootfs: the host's root directory cannot be a container's root (run "
                  "without an image for the host's files, read-only; --host-rw keeps them "
                  "writable)");
    c.rootfs = real;
    root_for_users = {real};
  }
  if (!c.rootfs.empty())
    for (auto [file, target] : {std::pair{"hostname", "/etc/hostname"},
                                {"hosts", "/etc/hosts"},
                                {"resolv.conf", "/etc/resolv.conf"}}) {
      MountSpec m;
      m.source = own + "/" + file;
      m.target = target;
      m.file = true;
      m.readonly = o.read_only;  // docker's: writable unless the root is read-only
      c.mounts.push_back(m);
    }
  // A volume (named, or anonymous: -v /path, the image's Volumes) is made by the run
  // (run.cpp); an anonymous one started before keeps its name (o.anonymous_volumes, in order).
  auto add_volume = [&](MountSpec m) {
    const bool anonymous = m.source.empty();
    const size_t reuse = static_cast<size_t>(
        std::count_if(c.volumes.begin(), c.volumes.end(), [](const auto& v) { return v.second; }));
    const std::string name = !anonymous                           ? m.source
                             : reuse < o.anonymous_volumes.size() ? o.anonymous_volumes[reuse]
                                                                  : new_container_id();
    m.source = o.data_root + "/volumes/" + name + "/_data";
    c.volumes.emplace_back(name, anonymous);
    c.mounts.push_back(m);
  };
  for (const auto& path : image_volumes(o, image)) {
    MountSpec m;
    m.target = path;
    add_volume(m);
  }
  for (const auto& v : o.volumes) {
    MountSpec m = parse_volume(v);
    if (m.source.empty() || names_volume(m.source)) {
      add_volume(m);
      continue;
    }
    // docker's -v would create a missing host directory; we refuse to create host paths.
    if (::access(m.source.c_str(), F_OK) != 0)
      throw Error("invalid value '" + v + "' for -v: " + m.source + ": " + errno_text(errno));
    m.file = !is_dir(m.source);
    c.mounts.push_back(m);
  }
  for (const auto& t : o.tmpfs) c.mounts.push_back(parse_tmpfs(t));
  c.readonly_rootfs = o.read_only;
  if (o.read_only && c.rootfs.empty())
    throw Error("--read-only needs an image or --rootfs (the host's own files stay as they are)");
  c.privileged = o.privileged;
  c.host_rw = o.host_rw;
  if (o.host_rw && !c.rootfs.empty())
    throw Error("--host-rw is for runs on the host's files (no image, no --rootfs)");
  prepare_devices(o, c);
  return root_for_users;
}

// The command, its working directory, its user, and the environment docker gives: PATH,
// HOSTNAME, HOME, TERM with -t; then --env-file, then -e.
void prepare_process(const RunOptions& o, const ImageDefaults& image,
                     const std::vector<std::string>& root_for_users, InitConfig& c) {
  if (o.entrypoint) {
    std::vector<std::string> argv;
    if (!o.entrypoint->empty()) argv.push_back(*o.entrypoint);
    argv.insert(argv.end(), c.argv.begin(), c.argv.end());
    c.argv = argv;
  } else if (!image.lowers.empty()) {
    std::vector<std::string> argv = image.entrypoint;
    const auto& args = c.argv.empty() ? image.cmd : c.argv;
    argv.insert(argv.end(), args.begin(), args.end());
    c.argv = argv;
  }
  if (c.argv.empty() || c.argv.front().empty())
    throw Error("no command specified: mydocker run [OPTIONS] [IMAGE] COMMAND [ARG...]");
  if (!o.workdir.empty()) {
    check_container_path("-w", o.workdir, o.workdir);
    c.cwd = o.workdir;
  } else if (!image.workdir.empty()) {
    if (image.workdir.front() != '/')
      throw Error("the image's WorkingDir '" + image.workdir + "' is not an absolute path");
    c.cwd = image.workdir;
  }
  ResolvedUser user;
  const std::string& user_spec = o.user.empty() ? image.user : o.user;
  // No user at all: root, with the groups the image's /etc/group lists it in (docker's).
  if (!user_spec.empty() || !root_for_users.empty()) {
    try {
      user = resolve_user(user_spec, root_for_users);
    } catch (const Error& e) {
      if (!o.user.empty()) throw;
      std::string why = e.what();  // "invalid value 'X' for -u: ...", but -u was not given
      const size_t colon = why.find("for -u: ");
      throw Error("the image's User '" + user_spec +
                  "': " + (colon == std::string::npos ? why : why.substr(colon + 8)));
    }
    c.uid = user.uid;
    c.gid = user.gid;
    c.groups = user.groups;
  }
  c.init_process = o.init;
  for (const auto& g : o.group_add) {  // --group-add: a gid, or a name in the image's group file
    const auto gid = group_id(g, root_for_users);
    if (std::find(c.groups.begin(), c.groups.end(), gid) == c.groups.end()) c.groups.push_back(gid);
  }
  c.env = {kPath, "HOSTNAME=" + c.hostname, "HOME=" + user.home};
  if (c.tty) c.env.push_back("TERM=xterm");
  for (const auto& e : image.env)
    if (e.find('=') != std::string::npos && e.front() != '=') set_env(c.env, e);
  for (const auto& f : o.env_files)
    for (const auto& kv : read_env_file(f)) set_env(c.env, kv);
  for (const auto& e : o.env) set_env(c.env, e);
}

// Capabilities, no_new_privs, the --security-opt words (seccomp is seccomp_filter_for's),
// rlimits.
void prepare_privileges(const RunOptions& o, InitConfig& c) {
  c.capabilities = effective_capabilities(o.cap_add, o.cap_drop, o.privileged, held_capabilities());
  c.no_new_privs = !o.privileged;
  for (const auto& opt : o.security_opts) {
    if (opt == "no-new-privileges" || opt == "no-new-privileges=true" ||
        opt == "no-new-privileges:true")
      c.no_new_privs = true;
    else if (opt == "no-new-privileges=false" || opt == "no-new-privileges:false")
      c.no_new_privs = false;
    else if (opt.rfind("seccomp=", 0) != 0 && opt.rfind("seccomp:", 0) != 0)
      throw Error("invalid value '" + opt +
                  "' for --security-opt: seccomp=unconfined|FILE or "
                  "no-new-privileges[=true|false]");
  }
  for (const auto& u : o.ulimits) c.rlimits.push_back(parse_ulimit(u));
}

// --dns-search: domain names as resolv.conf takes them, or "." alone (no search domains).
void check_dns_search(const std::vector<std::string>& domains) {
  for (const auto& d : domains) {
    if (d == "." && domains.size() == 1) continue;
    const bool ok = !d.empty() && d.size() <= 253 && d.front() != '-' && d.front() != '.' &&
                    std::all_of(d.begin(), d.end(), [](char ch) {
                      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' ||
                             ch == '.' || ch == '_';
                    });
    if (!ok)
      throw Error("invalid value '" + d + "' for --dns-search: not a domain name" +
                  (d == "." ? " ('.' alone means none)" : ""));
  }
}

// "a b c" for resolv.conf's search and options lines.
std::string spaced(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

std::string effective_network(const RunOptions& o) {
  if (o.network == "none" && !o.network_given && !o.publish.empty()) return "bridge";
  return o.network;
}

// An IPv4 or IPv6 address, as docker's --dns and --add-host take them.
static bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, text.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool bridged(const RunOptions& o) {
  const std::string n = effective_network(o);
  return n != "none" && n != "host" && n.rfind("container:", 0) != 0;
}

ImageDefaults image_defaults(const std::string& config_json, std::vector<std::string> lowers) {
  ImageDefaults d;
  d.lowers = std::move(lowers);
  const auto j = nlohmann::json::parse(config_json, nullptr, false);
  if (!j.is_object()) return d;
  auto top = [&](const char* key, const char* otherwise) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : otherwise;
  };
  if (const std::string arch = top("architecture", ""); !arch.empty())
    d.platform = top("os", "linux") + "/" + arch;
  if (!j.contains("config") || !j["config"].is_object()) return d;
  const auto& c = j["config"];
  auto strings = [&](const char* key) {
    std::vector<std::string> out;
    if (c.contains(key) && c[key].is_array())
      for (const auto& v : c[key])
        if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
  };
  auto text = [&](const char* key) {
    return c.contains(key) && c[key].is_string() ? c[key].get<std::string>() : std::string();
  };
  d.entrypoint = strings("Entrypoint");
  d.cmd = strings("Cmd");
  d.env = strings("Env");
  d.workdir = text("WorkingDir");
  d.user = text("User");
  d.stop_signal = text("StopSignal");
  if (c.contains("Healthcheck")) d.healthcheck = c["Healthcheck"];
  if (c.contains("Volumes") && c["Volumes"].is_object())
    for (const auto& [path, unused] : c["Volumes"].items()) d.volumes.push_back(path);
  if (c.contains("Labels") && c["Labels"].is_object())
    for (const auto& [k, v] : c["Labels"].items())
      if (v.is_string()) d.labels[k] = v.get<std::string>();
  return d;
}

ResolvedUser resolve_user(const std::string& spec, const std::string& root) {
  return resolve_user(spec, std::vector<std::string>{root});
}

void prepare_init(const RunOptions& o, const ImageDefaults& image, const std::string& files_dir,
                  const std::string& state_dir, InitConfig& c) {
  const auto root_for_users = prepare_filesystem(o, image, files_dir, state_dir, c);
  prepare_process(o, image, root_for_users, c);
  const std::string network = effective_network(o);
  if (network.empty() || network == "container:")
    throw Error(
        "invalid value '" + o.network +
        "' for --net: none (the default), host, bridge, container:NAME or a network's name");
  if (network.rfind("container:", 0) == 0)  // docker's: the other container's files and name
    for (const auto& [given, flag] : {std::pair{!o.hostname.empty(), "--hostname"},
                                      {!o.dns.empty(), "--dns"},
                                      {!o.dns_search.empty(), "--dns-search"},
                                      {!o.dns_options.empty(), "--dns-option"},
                                      {!o.add_hosts.empty(), "--add-host"}})
      if (given)
        throw Error(std::string("conflicting options: ") + flag + " and --net " + network +
                    " (the container shares that one's network, and its files and name)");
  if (network.rfind("container:", 0) == 0 && !o.publish.empty())
    throw Error("invalid value '" + o.publish.front() + "' for -p: a container sharing another's " +
                "network publishes its ports through that one");
  if (network == "none" && !o.publish.empty())  // only an explicit --net none is left "none"
    throw Error("invalid value '" + o.publish.front() + "' for -p: --net none has no network " +
                "to publish on (without --net, -p means --net bridge)");
  if (network == "host" && !o.publish.empty())
    throw Error("invalid value '" + o.publish.front() + "' for -p: --net host shares the " +
                "host's ports, there is nothing to publish");
  if (!bridged(o) && !o.ip.empty())
    throw Error("invalid value '" + o.ip + "' for --ip: the container is on no bridge network");
  for (const auto& a : o.network_aliases) {
    net::check_alias(a, "--network-alias");
    if (!bridged(o) || network == net::kDefaultNetwork)  // docker's words
      throw Error("invalid value '" + a + "' for --network-alias: network-scoped alias is " +
                  "supported only for containers in user defined networks");
  }
  for (const auto& h : o.add_hosts) {
    if (h.find(':') == std::string::npos || h.front() == ':' || h.back() == ':')
      throw Error("invalid value '" + h + "' for --add-host: expected NAME:IP");
    const std::string ip = h.substr(h.find(':') + 1);
    if (ip == "host-gateway") {
      if (!bridged(o))
        throw Error("invalid value '" + h + "' for --add-host: host-gateway is the gateway of " +
                    "the container's bridge network, and it is on none (--net bridge or NAME)");
    } else if (!is_ip_address(ip)) {
      throw Error("invalid value '" + h + "' for --add-host: '" + ip + "' is not an IP address");
    }
  }
  for (const auto& d : o.dns)
    if (!is_ip_address(d)) throw Error("invalid value '" + d + "' for --dns: not an IP address");
  check_dns_search(o.dns_search);
  for (const auto& opt : o.dns_options)
    if (opt.empty() || opt.find_first_of(" \t\n") != std::string::npos)
      throw Error("invalid value '" + opt + "' for --dns-option: one word (ndots:2, edns0)");
  // container:NAME: no namespace of our own; the run joins that one (run.cpp).
  c.new_net = network != "host" && network.rfind("container:", 0) != 0;
  prepare_namespaces(o, c);
  prepare_privileges(o, c);
  prepare_userns(o, files_dir, c);
}

// docker's rule: the host's resolv.conf, without loopback nameservers on a bridge (they are the
// host's own, unreachable from the container's namespace); --dns replaces the nameservers,
// --dns-search the search domains (and "domain"; "." leaves none), --dns-option the options.
std::string resolv_conf(const RunOptions& o) {
  std::ifstream in("/etc/resolv.conf");
  std::string out, line;
  auto starts = [&](const char* word) {
    const size_t n = std::strlen(word);
    return line.compare(0, n, word) == 0 && (line.size() == n || std::isspace(line[n]));
  };
  while (std::getline(in, line)) {
    const bool nameserver = line.rfind("nameserver", 0) == 0;
    if (nameserver && !o.dns.empty()) continue;
    if (!o.dns_search.empty() && (starts("search") || starts("domain"))) continue;
    if (!o.dns_options.empty() && starts("options")) continue;
    if (nameserver && bridged(o) &&
        (line.find(" 127.") != std::string::npos || line.find(" ::1") != std::string::npos))
      continue;
    out += line + "\n";
  }
  for (const auto& d : o.dns) out += "nameserver " + d + "\n";
  if (out.find("nameserver") == std::string::npos) out += "nameserver 8.8.8.8\n";
  if (!o.dns_search.empty() && o.dns_search != std::vector<std::string>{"."})
    out += "search " + spaced(o.dns_search) + "\n";
  if (!o.dns_options.empty()) out += "options " + spaced(o.dns_options) + "\n";
  return out;
}

namespace {

// --trace: the layer's directories and the container's own /etc files as shell lines, each
// file's text as a here-document (one write: no line of another thread lands inside it).
void trace_container_files(const InitConfig& c, const std::string& files_dir,
                           const std::string& own, const std::string& hosts,
                           const std::string& resolv) {
  if (!trace::enabled()) return;
  std::vector<std::string> block;
  if (!c.upper.empty())
    block.push_back("mkdir -p -m 0700 " + trace::quote(files_dir) + " && mkdir -p " +
                    trace::quote(c.upper) + " " + trace::quote(c.work) + " " +
                    trace::quote(c.rootfs) + "   # the container's layer (overlay: upper, work)");
  block.push_back("mkdir -p " + trace::quote(own));
  block.push_back("echo " + trace::quote(c.hostname) + " > " + trace::quote(own + "/hostname"));
  for (const auto& [name, text] : {std::pair{"hosts", &hosts}, {"resolv.conf", &resolv}}) {
    const auto lines = split(*text, "\n");
    std::string end = "EOF";  // a delimiter no line of the text is (--net host: the host's file)
    while (std::find(lines.begin(), lines.end(), end) != lines.end()) end += "_";
    block.push_back("cat > " + trace::quote(own + "/" + name) + " <<'" + end + "'");
    block.insert(block.end(), lines.begin(), lines.end());
    block.push_back(end);
  }
  trace::emit_block(block);
}

}  // namespace

namespace {

// The container's /etc/hosts: docker's lines, its --add-host ones, then `extra_hosts` (a
// bridged container's own address and its network's peers); --net host: the host's file.
std::string hosts_text(const InitConfig& c, const RunOptions& o, const std::string& extra_hosts,
                       const std::string& host_gateway) {
  std::string hosts;
  if (o.network == "host") {
    std::ifstream in("/etc/hosts");
    hosts.assign(std::istreambuf_iterator<char>(in), {});
  } else {
    hosts =
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n";
    // On a bridge the hostname is the container's address (extra_hosts: `hostname -i`, as in
    // docker); without one, 127.0.1.1 (Debian's convention) so that it resolves at all.
    if (!bridged(o)) hosts += "127.0.1.1\t" + c.hostname + "\n";
  }
  for (const auto& h : o.add_hosts) {  // --add-host NAME:IP (host-gateway: the bridge's address)
    std::string ip = h.substr(h.find(':') + 1);
    if (ip == "host-gateway") ip = host_gateway;
    if (!ip.empty()) hosts += ip + "\t" + h.substr(0, h.find(':')) + "\n";
  }
  return hosts + extra_hosts;
}

}  // namespace

void create_container_files(const InitConfig& c, const RunOptions& o, const std::string& files_dir,
                            const std::string& state_dir, const std::string& extra_hosts,
                            const std::string& host_gateway) {
  if (c.rootfs.empty() || files_dir.empty()) return;
  if (c.layer_owner.empty()) make_container_layer(files_dir, o.state_root, !c.upper.empty());
  const std::string own = own_files_dir(o, files_dir, state_dir);
  if (!c.upper.empty()) {
    make_dirs(c.rootfs, 0755);
    if (c.userns)
      for (size_t i = 0, n = split(c.lower, ":").size(); i < n; ++i)
        make_dirs(files_dir + "/lower/" + std::to_string(i), 0755);
  }
  make_dirs(own, 0755);
  const std::string hosts = hosts_text(c, o, extra_hosts, host_gateway);
  const std::string resolv = resolv_conf(o);
  trace_container_files(c, files_dir, own, hosts, resolv);
  // 0644 as docker's: a non-root user of the container reads them (names resolve).
  write_file(own + "/hostname", c.hostname + "\n", false, 0644);
  write_file(own + "/hosts", hosts, false, 0644);
  write_file(own + "/resolv.conf", resolv, false, 0644);
}

void describe_container_files(const InitConfig& c, const RunOptions& o,
                              const std::string& files_dir, const std::string& state_dir) {
  if (c.rootfs.empty() || files_dir.empty()) return;
  trace_container_files(c, files_dir, own_files_dir(o, files_dir, state_dir),
                        hosts_text(c, o, "", ""), resolv_conf(o));
}

}  // namespace mydocker
