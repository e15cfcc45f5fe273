#include "mydocker/spec/namespaces.hpp"

#include <algorithm>
#include <array>

#include "mydocker/util/error.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {

std::string container_mode_target(const std::string& mode) {
  return mode.rfind("container:", 0) == 0 ? mode.substr(10) : "";
}

namespace {

[[noreturn]] void bad(const std::string& flag, const std::string& value, const std::string& why) {
  throw Error("invalid value '" + value + "' for " + flag + ": " + why);
}

void check_mode(const std::string& flag, const std::string& mode,
                std::initializer_list<const char*> allowed) {
  if (mode.empty()) return;
  for (const char* a : allowed)
    if (mode == a) return;
  if (mode.rfind("container:", 0) == 0 && mode.size() > 10 && flag != "--uts") return;
  std::string words;
  for (const char* a : allowed) words += std::string(words.empty() ? "" : ", ") + a;
  bad(flag, mode, words + (flag == "--uts" ? "" : " or container:NAME"));
}

// docker's namespaced sysctls: the IPC ones (not with --ipc host), the network ones (not with
// --net host), kernel.domainname (not with --uts host). Anything else would change the host.
void check_sysctl(const RunOptions& o, const std::string& key) {
  static const std::array<const char*, 8> ipc = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  const bool is_ipc =
      std::find(ipc.begin(), ipc.end(), key) != ipc.end() || key.rfind("fs.mqueue.", 0) == 0;
  if (is_ipc) {
    if (o.ipc == "host" || !container_mode_target(o.ipc).empty())
      bad("--sysctl", key, "an IPC namespace setting, and --ipc " + o.ipc + " shares that one");
    return;
  }
  if (key.rfind("net.", 0) == 0) {
    if (o.network == "host" || o.network.rfind("container:", 0) == 0)
      bad("--sysctl", key,
          "a network namespace setting, and --net " + o.network + " shares that one");
    return;
  }
  if (key == "kernel.domainname") {
    if (o.uts == "host") bad("--sysctl", key, "a UTS setting, and --uts host shares the host's");
    return;
  }
  bad("--sysctl", key, "not a namespaced kernel parameter: it would change the host");
}

void prepare_sysctls(const RunOptions& o, InitConfig& c) {
  for (const auto& s : o.sysctls) {
    const size_t eq = s.find('=');
    const std::string key = s.substr(0, eq);
    if (eq == std::string::npos || key.empty() || key.find_first_of("/ ") != std::string::npos ||
        key.find("..") != std::string::npos)
      bad("--sysctl", s, "expected KEY=VALUE (net.ipv4.ip_forward=1)");
    check_sysctl(o, key);
    c.sysctls.emplace_back(key, s.substr(eq + 1));
  }
}

}  // namespace

void prepare_namespaces(const RunOptions& o, InitConfig& c) {
  check_mode("--uts", o.uts, {"host"});
  check_mode("--pid", o.pid, {"host"});
  check_mode("--ipc", o.ipc, {"private", "shareable", "host"});
  if (!o.cgroupns.empty() && o.cgroupns != "host" && o.cgroupns != "private")
    bad("--cgroupns", o.cgroupns, "host or private");
  if (o.uts == "host" && !o.hostname.empty())
    throw Error("conflicting options: --hostname and --uts host (the host's name is kept)");
  c.new_uts = o.uts != "host";
  c.new_pid = o.pid.empty();
  c.new_ipc = o.ipc.empty() || o.ipc == "private" || o.ipc == "shareable";
  if (!o.shm_size.empty()) {
    const auto bytes = parse_size(o.shm_size);
    if (!bytes || *bytes < 0) bad("--shm-size", o.shm_size, "a size (64m, 1g; 0: the default)");
    // 0 is docker's "unset": the default 64 MiB (c.shm_size's own default).
    if (*bytes > 0 && !c.new_ipc)
      bad("--shm-size", o.shm_size, "--ipc " + o.ipc + " shares another /dev/shm");
    if (*bytes > 0) c.shm_size = "size=" + std::to_string((*bytes + 1023) / 1024) + "k";
  }
  if (o.ipc == "host")  // docker: the host's IPC objects, and its /dev/shm with them
    c.mounts.push_back({"/dev/shm", "/dev/shm", "", "", false, false});
  prepare_sysctls(o, c);
}

}  // namespace mydocker
