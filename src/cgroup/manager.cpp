#include "mydocker/cgroup/manager.hpp"

#include <signal.h>

#include <charconv>

#include "mydocker/cgroup/v1/manager.hpp"
#include "mydocker/cgroup/v2/manager.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
std::unique_ptr<CgroupManager> make_cgroup_manager(const Fs& fs, const HostCgroups& host,
                                                   const std::string& id,
                                                   const std::string& cgroup_parent,
                                                   bool all_controllers) {
  switch (host.mode) {
    case CgroupMode::kV1:
    case CgroupMode::kHybrid:
      return std::make_unique<v1::Manager>(fs, host, id, cgroup_parent, all_controllers);
    case CgroupMode::kV2:
      return std::make_unique<v2::Manager>(fs, host, id, cgroup_parent, all_controllers);
    case CgroupMode::kNone:
      break;
  }
  throw Error("no cgroup filesystem is mounted: " + host.why);
}

int kill_cgroup_procs(const Fs& fs, const std::string& dir, const std::string& id) {
  size_t slash = dir.rfind('/');
  if (!is_container_id(id) || slash == std::string::npos || slash == 0 ||
      std::string_view(dir).substr(slash + 1) != id)
    throw Error("refusing to kill the processes of " + dir + ": not a container's cgroup");
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

}  // namespace mydocker
