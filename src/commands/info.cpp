#include "mydocker/commands/info.hpp"

#include "mydocker/cgroup/describe.hpp"

namespace mydocker {

using nlohmann::json;

nlohmann::json host_info(const Fs& fs, const std::string& state_root, const std::string& proc) {
  const HostCgroups host = detect_host_cgroups(fs, proc);
  json problems = json::array();
  json cg = describe_cgroups(fs, host, problems);
  json ns;
  for (const char* n : {"uts", "pid", "mnt", "ipc", "net", "user", "cgroup", "time"})
    ns[n] = fs.exists(proc + "/self/ns/" + n);
  return {{"cgroup", cg}, {"namespaces", ns}, {"problems", problems}, {"state_root", state_root}};
}

}  // namespace mydocker
