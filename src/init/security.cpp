#include "mydocker/init/security.hpp"

#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/trace.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {
namespace {

using Result = std::optional<InitFailure>;

InitFailure failed(const std::string& what) {
  return InitFailure{kExitSetupError, what + ": " + std::strerror(errno)};
}

struct Limit {
  const char* name;
  int resource;
  const char* flag;  // prlimit(1)'s
};
const Limit kLimits[] = {{"core", RLIMIT_CORE, "core"},
                         {"cpu", RLIMIT_CPU, "cpu"},
                         {"data", RLIMIT_DATA, "data"},
                         {"fsize", RLIMIT_FSIZE, "fsize"},
                         {"locks", RLIMIT_LOCKS, "locks"},
                         {"memlock", RLIMIT_MEMLOCK, "memlock"},
                         {"msgqueue", RLIMIT_MSGQUEUE, "msgqueue"},
                         {"nice", RLIMIT_NICE, "nice"},
                         {"nofile", RLIMIT_NOFILE, "nofile"},
                         {"nproc", RLIMIT_NPROC, "nproc"},
                         {"rss", RLIMIT_RSS, "rss"},
                         {"rtprio", RLIMIT_RTPRIO, "rtprio"},
                         {"rttime", RLIMIT_RTTIME, "rttime"},
                         {"sigpending", RLIMIT_SIGPENDING, "sigpending"},
                         {"stack", RLIMIT_STACK, "stack"},
                         {"as", RLIMIT_AS, "as"}};

Result load_seccomp(const InitConfig& c) {
  if (c.seccomp_bpf.empty()) return std::nullopt;
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(c.seccomp_bpf.size() / sizeof(sock_filter));
  prog.filter = reinterpret_cast<sock_filter*>(const_cast<char*>(c.seccomp_bpf.data()));
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, c.seccomp_flags, &prog) != 0)
    return failed("seccomp");
  return std::nullopt;
}

// An OCI process's effective, permitted and inheritable sets as the bundle lists them, then its
// ambient set.
Result oci_capabilities(const InitConfig& c) {
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  cap_t caps = cap_init();
  auto set = [&](const std::vector<std::string>& names, cap_flag_t flag) {
    for (const auto& name : names) {
      cap_value_t v;
      if (cap_from_name(name.c_str(), &v) == 0) cap_set_flag(caps, flag, 1, &v, CAP_SET);
    }
  };
  set(c.cap_effective, CAP_EFFECTIVE);
  set(c.cap_permitted, CAP_PERMITTED);
  set(c.cap_inheritable, CAP_INHERITABLE);
  const int rc = cap_set_proc(caps);
  cap_free(caps);
  if (rc != 0) return failed("capset (process.capabilities)");
  // The kernel raises an ambient capability only when it is permitted and inheritable too;
  // `runc spec` and `crun spec` list ambient ones without inheritable (since CVE-2022-24769):
  // skipped, as runc and crun skip them.
  for (const auto& name : c.cap_ambient) {
    cap_value_t v;
    if (cap_from_name(name.c_str(), &v) == 0 &&
        ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0) != 0 && errno != EPERM &&
        errno != EINVAL)
      return failed("raise the ambient capability " + name);
  }
  return std::nullopt;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<std::string> default_capabilities() {
  return {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
          "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
          "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
          "CAP_KILL",    "CAP_AUDIT_WRITE"};
}

std::vector<std::string> all_capabilities() {
  std::vector<std::string> out;
  const int kernel_max = std::min<int>(cap_max_bits(), CAP_LAST_CAP + 1);
  for (int cap = 0; cap < kernel_max; ++cap) {
    char* name = cap_to_name(static_cast<cap_value_t>(cap));
    if (name) {
      out.push_back(upper(name));
      cap_free(name);
    }
  }
  return out;
}

std::vector<std::string> held_capabilities() {
  std::vector<std::string> out;
  cap_t mine = cap_get_proc();
  for (const auto& name : all_capabilities()) {
    cap_value_t v;
    cap_flag_value_t permitted = CAP_CLEAR;
    if (cap_from_name(name.c_str(), &v) != 0) continue;
    if (mine) cap_get_flag(mine, v, CAP_PERMITTED, &permitted);
    if (permitted == CAP_SET && ::prctl(PR_CAPBSET_READ, v, 0, 0, 0) == 1) out.push_back(name);
  }
  if (mine) cap_free(mine);
  return out;
}

std::string capability_name(const std::string& text, const char* flag) {
  std::string name = upper(text);
  if (name == "ALL") return name;
  if (name.rfind("CAP_", 0) != 0) name = "CAP_" + name;
  auto all = all_capabilities();
  if (std::find(all.begin(), all.end(), name) != all.end()) return name;
  if (flag)  // the flag and the value, as every bad input is reported
    throw Error("invalid value '" + text + "' for " + flag +
                ": unknown capability (a name of capabilities(7), such as NET_ADMIN, or ALL)");
  throw Error("unknown capability: " + text);
}

std::vector<std::string> effective_capabilities(const std::vector<std::string>& add,
                                                const std::vector<std::string>& drop,
                                                bool privileged,
                                                const std::vector<std::string>& held) {
  auto is_held = [&](const std::string& name) {
    return std::find(held.begin(), held.end(), name) != held.end();
  };
  if (privileged) return held;
  std::vector<std::string> caps;
  for (const auto& name : default_capabilities())
    if (is_held(name)) caps.push_back(name);
  auto has_all = [](const std::vector<std::string>& v, const char* flag) {
    return std::any_of(v.begin(), v.end(),
                       [&](const std::string& s) { return capability_name(s, flag) == "ALL"; });
  };
  if (has_all(add, "--cap-add")) caps = held;
  if (has_all(drop, "--cap-drop")) caps.clear();
  for (const auto& d : drop) {
    auto name = capability_name(d, "--cap-drop");
    caps.erase(std::remove(caps.begin(), caps.end(), name), caps.end());
  }
  for (const auto& a : add) {
    auto name = capability_name(a, "--cap-add");
    if (name == "ALL" || std::find(caps.begin(), caps.end(), name) != caps.end()) continue;
    if (!is_held(name))
      throw Error("invalid value '" + a + "' for --cap-add: mydocker itself does not hold " + name +
                  " (see CapBnd and CapPrm in /proc/self/status), so no container can get it");
    caps.push_back(name);
  }
  return caps;
}

std::vector<uint64_t> parse_ulimit(const std::string& text) {
  auto bad = [&](const std::string& why) -> std::vector<uint64_t> {
    throw Error("invalid value '" + text + "' for --ulimit: " + why);
  };
  size_t eq = text.find('=');
  if (eq == std::string::npos) return bad("expected NAME=SOFT[:HARD], such as nofile=1024:2048");
  const std::string name = text.substr(0, eq), values = text.substr(eq + 1);
  const Limit* limit = nullptr;
  for (const auto& l : kLimits)
    if (name == l.name) limit = &l;
  if (!limit) return bad("unknown limit '" + name + "'");
  auto number = [&](const std::string& v) -> uint64_t {
    if (v == "-1" || v == "unlimited") return RLIM_INFINITY;
    auto n = parse_int(v);
    if (!n || *n < 0) bad("'" + v + "' is not a number");
    return static_cast<uint64_t>(*n);
  };
  const size_t colon = values.find(':');
  const uint64_t soft = number(values.substr(0, colon));
  const uint64_t hard = colon == std::string::npos ? soft : number(values.substr(colon + 1));
  if (soft > hard) return bad("the soft limit is above the hard limit");
  return {static_cast<uint64_t>(limit->resource), soft, hard};
}

Result bring_up_loopback(const InitConfig& c, bool dry) {
  if (!c.new_net || c.loopback_up) return std::nullopt;  // up: made early (net/netns.hpp)
  trace::emit("ip link set lo up");
  if (dry) return std::nullopt;
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (!sock || ::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0) return failed("ip link show lo");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0) return failed("ip link set lo up");
  return std::nullopt;
}

namespace {

Result set_rlimits(const InitConfig& c, bool dry) {
  for (const auto& l : c.rlimits) {
    const char* flag = "?";
    for (const auto& k : kLimits)
      if (static_cast<uint64_t>(k.resource) == l[0]) flag = k.flag;
    auto text = [](uint64_t v) {
      return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v);
    };
    trace::emit(std::string("prlimit --pid $$ --") + flag + "=" + text(l[1]) + ":" + text(l[2]));
    const rlimit r{static_cast<rlim_t>(l[1]), static_cast<rlim_t>(l[2])};
    if (!dry && ::setrlimit(static_cast<__rlimit_resource>(l[0]), &r) != 0)
      return failed(std::string("--ulimit ") + flag);
  }
  return std::nullopt;
}

// The privilege steps as shell lines, in the order they happen: one setpriv line that does what
// change_credentials and the capset do (an exec as root gets the bounding set as its permitted
// and effective sets, which is what the capset sets; a non-root user gets none), and seccomp's
// load, which no shell command does, as a comment.
void trace_privileges(const InitConfig& c, bool change_user) {
  if (!trace::enabled()) return;
  std::string bounding = "-all";
  for (const auto& name : c.capabilities) {
    std::string word = name.rfind("CAP_", 0) == 0 ? name.substr(4) : name;
    for (auto& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    bounding += ",+" + word;
  }
  auto trace_seccomp = [&] {
    if (!c.seccomp_bpf.empty())
      trace::emit("# seccomp(SECCOMP_SET_MODE_FILTER): a BPF filter of " +
                  std::to_string(c.seccomp_bpf.size() / sizeof(sock_filter)) +
                  " instructions, loaded by the init itself (no shell command loads one)");
  };
  if (!c.no_new_privs) trace_seccomp();
  std::string line =
      "exec setpriv --bounding-set=" + bounding + " --inh-caps=-all --ambient-caps=-all";
  std::string groups;
  for (auto g : c.groups) groups += (groups.empty() ? "" : ",") + std::to_string(g);
  if (change_user)
    line += " --regid=" + std::to_string(c.gid) + " --reuid=" + std::to_string(c.uid);
  line += groups.empty() ? " --clear-groups" : " --groups=" + groups;
  if (c.no_new_privs) line += " --no-new-privs";
  trace::emit(line + " -- /bin/sh   # from here on, with these privileges");
  if (c.no_new_privs) trace_seccomp();
}

// The bounding set first (needs CAP_SETPCAP, which we still have): nothing dropped here can
// come back, not even through a setuid binary. Then the groups and the user.
Result change_credentials(const InitConfig& c, uint64_t keep_mask, bool change_user) {
  for (int cap = 0; cap < cap_max_bits(); ++cap)
    if (!(keep_mask & (uint64_t{1} << cap)) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
        errno != EINVAL)
      return failed("capsh --drop=" + std::to_string(cap));
  // Always: an empty list clears the caller's own supplementary groups (sudo's wheel, disk...),
  // which must not follow root into the container.
  if (::setgroups(c.groups.size(), c.groups.data()) != 0) return failed("setgroups");
  if (!change_user) return std::nullopt;
  if (::setresgid(c.gid, c.gid, c.gid) != 0) return failed("setgid " + std::to_string(c.gid));
  // OCI: the process's capability sets are the bundle's, whatever its uid: keep the permitted
  // set across the change, then set them all (oci_capabilities).
  if (c.oci) ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
  // From uid 0 to another, the kernel clears the permitted and effective sets: a non-root user
  // in the container has no capabilities, as in docker.
  if (::setresuid(c.uid, c.uid, c.uid) != 0) return failed("setuid " + std::to_string(c.uid));
  // A credential change clears the parent-death signal: the container must still die with its
  // supervisor.
  if (c.die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  return std::nullopt;
}

}  // namespace

Result drop_privileges(const InitConfig& c, bool dry) {
  if (auto f = set_rlimits(c, dry)) return f;
  // The capabilities kept, as numbers and as a mask, worked out once.
  std::vector<cap_value_t> values;
  uint64_t keep_mask = 0;
  for (const auto& name : c.capabilities) {
    cap_value_t v;
    if (cap_from_name(name.c_str(), &v) != 0) continue;
    values.push_back(v);
    keep_mask |= uint64_t{1} << v;
  }
  const bool change_user = c.uid != 0 || c.gid != 0 || !c.groups.empty();
  trace_privileges(c, change_user);
  if (dry) return std::nullopt;
  if (!c.no_new_privs)
    if (auto failure = load_seccomp(c)) return failure;
  if (auto f = change_credentials(c, keep_mask, change_user)) return f;
  // Nothing ambient, nothing inheritable (docker since 20.10.14, CVE-2022-24769): a file's
  // inheritable capabilities cannot hand a non-root process more than it has.
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (c.oci) {
    if (auto f = oci_capabilities(c)) return f;
  } else if (c.uid == 0) {
    cap_t caps = cap_init();
    if (!values.empty())
      for (cap_flag_t flag : {CAP_EFFECTIVE, CAP_PERMITTED})
        cap_set_flag(caps, flag, static_cast<int>(values.size()), values.data(), CAP_SET);
    int rc = cap_set_proc(caps);
    cap_free(caps);
    if (rc != 0) return failed("capset");
  }
  // With no_new_privs (the default) the filter goes last, so it cannot forbid what comes
  // before. Without it the kernel wants CAP_SYS_ADMIN to load a filter, so it goes first,
  // while we still hold every capability (runc's order); docker's profile allows the capset,
  // setgroups and setuid calls that follow.
  if (c.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return failed("no_new_privs");
  // OCI: with no_new_privs the filter goes on after `start` (load_seccomp_filter), as runc
  // does, so the exec FIFO and the startContainer hooks come before it.
  if (c.no_new_privs && !c.oci) return load_seccomp(c);
  return std::nullopt;
}

Result load_seccomp_filter(const InitConfig& c) { return load_seccomp(c); }

}  // namespace mydocker
