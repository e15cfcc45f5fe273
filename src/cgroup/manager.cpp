#include "mydocker/cgroup/manager.hpp"

#include <dirent.h>
#include <signal.h>

#include <charconv>
#include <cstring>

#include "mydocker/cgroup/placement.hpp"
#include "mydocker/cgroup/v1/manager.hpp"
#include "mydocker/cgroup/v2/manager.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
std::unique_ptr<CgroupManager> make_cgroup_manager(const Fs& fs, const HostCgroups& host,
                                                   const std::string& id,
                                                   const std::string& cgroup_parent) {
  switch (host.mode) {
    case CgroupMode::kV1:
    case CgroupMode::kHybrid:
      return std::make_unique<v1::Manager>(fs, host, id, cgroup_parent);
    case CgroupMode::kV2:
      return std::make_unique<v2::Manager>(fs, host, id, cgroup_parent);
    case CgroupMode::kNone:
      break;
  }
  throw Error("no cgroup filesystem is mounted: " + host.why);
}

std::unique_ptr<CgroupManager> open_cgroup_manager(const Fs& fs, const CgroupRecord& record,
                                                   const std::string& id) {
  if (record.driver == CgroupMode::kV2) return std::make_unique<v2::Manager>(fs, record, id);
  return std::make_unique<v1::Manager>(fs, record, id);
}

bool clones_into_cgroup(const HostCgroups& host) { return host.mode == CgroupMode::kV2; }

std::vector<ContainerCgroupPlace> default_cgroup_places(const HostCgroups& host) {
  std::vector<ContainerCgroupPlace> places;
  for (const auto& h : host.v1) {
    places.push_back({h.own_dir(), true});
    places.push_back({path_join(h.own_dir(), std::string(kDefaultCgroupParent)), false});
  }
  if (host.mode == CgroupMode::kV2)
    places.push_back({host.unified->dir(v2::default_placement(*host.unified).parent), false});
  return places;
}

bool pid_in_container(pid_t pid, const std::string& id) {
  if (pid <= 1 || id.size() != 64) return false;
  Fs fs;
  auto text = fs.read_if_exists("/proc/" + std::to_string(pid) + "/cgroup");
  return text && text->find(id) != std::string::npos;
}

namespace {

// SIGKILL for every process `dir`/cgroup.procs lists (v2: cgroup.kill). Unchecked: callers
// check that `dir` is, or is below, a container's own cgroup.
int kill_listed_procs(const Fs& fs, const std::string& dir) {
  auto procs = fs.read_if_exists(path_join(dir, "cgroup.procs"));
  if (!procs || trim(*procs).empty()) return 0;
  // v2 (5.14+): one write kills the whole cgroup, including processes forked meanwhile.
  if (const std::string kill_file = path_join(dir, "cgroup.kill"); fs.exists(kill_file)) {
    fs.write(kill_file, "1");
    return 1;
  }
  int killed = 0;
  std::string_view rest = *procs;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    auto line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    pid_t pid = 0;
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
    if (ec != std::errc() || pid <= 1) continue;
    trace::emit("kill -9 " + std::to_string(pid));
    if (::kill(pid, SIGKILL) == 0) ++killed;
  }
  return killed;
}

// The cgroups below `dir` (a --privileged container may make some in its own: its
// /sys/fs/cgroup is writable), their processes killed, removed deepest first. Bounded depth.
void remove_child_cgroups(const Fs& fs, const std::string& dir, int depth) {
  if (depth > 32) return;
  std::vector<std::string> children;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d))
      if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") != 0 &&
          std::strcmp(e->d_name, "..") != 0)
        children.push_back(path_join(dir, e->d_name));
    ::closedir(d);
  }
  for (const auto& child : children) {
    remove_child_cgroups(fs, child, depth + 1);
    (void)kill_listed_procs(fs, child);
    (void)fs.remove_dir(child);  // still busy: the caller's next rmdir says so
  }
}

}  // namespace

int kill_cgroup_procs(const Fs& fs, const std::string& dir, const std::string& id) {
  size_t slash = dir.rfind('/');
  // The leaf is mydocker's 64-hex id (v1 by default: mydocker-<id>), or an OCI container's
  // cgroupsPath leaf: never empty, never a path of its own, and always the last component of
  // `dir`.
  const bool leaf_ok = !id.empty() && id != "." && id != ".." && id.find('/') == std::string::npos;
  const std::string_view leaf =
      slash == std::string::npos ? "" : std::string_view(dir).substr(slash + 1);
  if (!leaf_ok || slash == std::string::npos || slash == 0 ||
      (leaf != id && !(is_container_id(id) && leaf == default_cgroup_name(id))))
    throw Error("refusing to kill the processes of " + dir + ": not a container's cgroup");
  return kill_listed_procs(fs, dir);
}

int clear_container_cgroup(const Fs& fs, const std::string& dir, const std::string& id) {
  const int killed = kill_cgroup_procs(fs, dir, id);  // checks `dir` first
  remove_child_cgroups(fs, dir, 0);
  return killed;
}

}  // namespace mydocker
