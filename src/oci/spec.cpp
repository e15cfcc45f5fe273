#include "mydocker/oci/spec.hpp"

#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <set>

#include "fields.hpp"
#include "mydocker/init/security.hpp"
#include "mydocker/oci/mounts.hpp"
#include "mydocker/seccomp/seccomp.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/namespaces.hpp"

namespace mydocker::oci {
namespace {

using nlohmann::json;

struct NsName {
  const char* name;
  int type;
};
constexpr NsName kNamespaces[] = {{"pid", CLONE_NEWPID},       {"network", CLONE_NEWNET},
                                  {"mount", CLONE_NEWNS},      {"ipc", CLONE_NEWIPC},
                                  {"uts", CLONE_NEWUTS},       {"user", CLONE_NEWUSER},
                                  {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};

struct RlimitName {
  const char* name;
  int resource;
};
constexpr RlimitName kRlimits[] = {{"RLIMIT_AS", RLIMIT_AS},
                                   {"RLIMIT_CORE", RLIMIT_CORE},
                                   {"RLIMIT_CPU", RLIMIT_CPU},
                                   {"RLIMIT_DATA", RLIMIT_DATA},
                                   {"RLIMIT_FSIZE", RLIMIT_FSIZE},
                                   {"RLIMIT_LOCKS", RLIMIT_LOCKS},
                                   {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
                                   {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
                                   {"RLIMIT_NICE", RLIMIT_NICE},
                                   {"RLIMIT_NOFILE", RLIMIT_NOFILE},
                                   {"RLIMIT_NPROC", RLIMIT_NPROC},
                                   {"RLIMIT_RSS", RLIMIT_RSS},
                                   {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
                                   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
                                   {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
                                   {"RLIMIT_STACK", RLIMIT_STACK}};

std::vector<std::string> capability_list(const Obj& o, const char* key) {
  std::vector<std::string> out;
  for (const auto& name : o.strings(key)) {
    try {
      const std::string n = capability_name(name);
      if (name.rfind("CAP_", 0) != 0 || n == "ALL") throw Error("");
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    } catch (const Error&) {
      fail(o.field(key), "unknown capability \"" + name + "\"");
    }
  }
  return out;
}

void parse_user(const json& j, InitConfig& c, const std::string& where) {
  Obj u(j, where, {"uid", "gid", "umask", "additionalGids", "username"});
  u.unsupported("username", "a Windows field");
  c.uid = static_cast<uint32_t>(u.bounded("uid", UINT32_MAX - 1));
  c.gid = static_cast<uint32_t>(u.bounded("gid", UINT32_MAX - 1));
  if (u.has("umask")) c.umask = static_cast<uint32_t>(u.bounded("umask", 0777));
  c.groups.clear();
  for (const auto& g : u.array("additionalGids")) {
    if ((!g.is_number_unsigned() && !(g.is_number_integer() && g.get<int64_t>() >= 0)) ||
        g.get<uint64_t>() >= UINT32_MAX)
      fail(u.field("additionalGids"),
           "expected group ids (0.." + std::to_string(UINT32_MAX - 1) + ")");
    c.groups.push_back(g.get<uint32_t>());
  }
}

void parse_rlimits(const Obj& p, InitConfig& c) {
  c.rlimits.clear();
  std::set<std::string> seen;
  for (size_t i = 0; i < p.array("rlimits").size(); ++i) {
    Obj r(p.array("rlimits")[i], p.field("rlimits[" + std::to_string(i) + "]"),
          {"type", "soft", "hard"});
    const std::string type = r.str("type");
    int resource = -1;
    for (const auto& l : kRlimits)
      if (type == l.name) resource = l.resource;
    if (resource < 0) fail(r.field("type"), "unknown rlimit \"" + type + "\"");
    if (!seen.insert(type).second) fail(r.field("type"), "\"" + type + "\" given twice");
    c.rlimits.push_back(
        {static_cast<uint64_t>(resource), r.unsigned_int("soft"), r.unsigned_int("hard")});
  }
}

void parse_capabilities(const Obj& p, InitConfig& c) {
  const json* caps = p.get("capabilities");
  if (!caps) {  // none: the process keeps no capability at all
    c.capabilities.clear();
    c.cap_effective.clear();
    c.cap_permitted.clear();
    c.cap_inheritable.clear();
    c.cap_ambient.clear();
    return;
  }
  Obj k(*caps, p.field("capabilities"),
        {"bounding", "effective", "inheritable", "permitted", "ambient"});
  c.capabilities = capability_list(k, "bounding");
  c.cap_effective = capability_list(k, "effective");
  c.cap_permitted = capability_list(k, "permitted");
  c.cap_inheritable = capability_list(k, "inheritable");
  c.cap_ambient = capability_list(k, "ambient");
}

}  // namespace

int namespace_type(const std::string& name) {
  for (const auto& n : kNamespaces)
    if (name == n.name) return n.type;
  return 0;
}

std::string namespace_name(int type) {
  for (const auto& n : kNamespaces)
    if (type == n.type) return n.name;
  return "?";
}

void parse_process(const json& process, InitConfig& c, bool& terminal, const std::string& where) {
  Obj p(process, where,
        {"terminal", "consoleSize", "user", "args", "commandLine", "env", "cwd", "capabilities",
         "rlimits", "noNewPrivileges", "apparmorProfile", "oomScoreAdj", "selinuxLabel",
         "ioPriority", "scheduler", "execCPUAffinity"});
  terminal = p.boolean("terminal");
  if (const json* size = p.get("consoleSize")) {
    Obj s(*size, p.field("consoleSize"), {"height", "width"});
    c.rows = static_cast<uint16_t>(s.bounded("height", UINT16_MAX));
    c.cols = static_cast<uint16_t>(s.bounded("width", UINT16_MAX));
  }
  if (const json* u = p.get("user")) parse_user(*u, c, p.field("user"));
  c.argv = p.strings("args");
  if (c.argv.empty()) fail(p.field("args"), "missing: the process needs at least one argument");
  p.unsupported("commandLine", "a Windows field");
  c.env = p.strings("env");
  for (const auto& e : c.env)
    if (e.find('=') == std::string::npos || e.front() == '=')
      fail(p.field("env"), "\"" + e + "\" is not KEY=VALUE");
  c.cwd = p.absolute("cwd");
  parse_capabilities(p, c);
  parse_rlimits(p, c);
  c.no_new_privs = p.boolean("noNewPrivileges");
  if (!p.str("apparmorProfile").empty())
    fail(p.field("apparmorProfile"), "AppArmor is not supported by mydocker");
  if (!p.str("selinuxLabel").empty())
    fail(p.field("selinuxLabel"), "SELinux is not supported by mydocker");
  if (p.has("oomScoreAdj")) {
    const int64_t adj = p.integer("oomScoreAdj");
    if (adj < -1000 || adj > 1000) fail(p.field("oomScoreAdj"), "must be in -1000..1000");
    c.oom_score_adj = static_cast<int>(adj);
  }
  p.unsupported("ioPriority");
  p.unsupported("scheduler");
  p.unsupported("execCPUAffinity");
}

}  // namespace mydocker::oci

namespace mydocker::oci {
namespace {

std::vector<OciHook> parse_hook_list(const Obj& h, const char* key) {
  std::vector<OciHook> out;
  const json& list = h.array(key);
  for (size_t i = 0; i < list.size(); ++i) {
    Obj o(list[i], h.field(std::string(key) + "[" + std::to_string(i) + "]"),
          {"path", "args", "env", "timeout"});
    OciHook hook;
    hook.path = o.absolute("path");
    hook.args = o.strings("args");
    hook.env = o.strings("env");
    if (o.has("timeout")) {
      const int64_t t = o.integer("timeout");
      if (t <= 0) fail(o.field("timeout"), "must be greater than zero");
      hook.timeout = static_cast<int>(t);
    }
    out.push_back(std::move(hook));
  }
  return out;
}

Hooks parse_hooks(const json& j) {
  Obj h(
      j, "hooks",
      {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"});
  return {parse_hook_list(h, "prestart"),        parse_hook_list(h, "createRuntime"),
          parse_hook_list(h, "createContainer"), parse_hook_list(h, "startContainer"),
          parse_hook_list(h, "poststart"),       parse_hook_list(h, "poststop")};
}

std::vector<IdMapping> parse_mappings(const Obj& l, const char* key) {
  std::vector<IdMapping> out;
  const json& list = l.array(key);
  for (size_t i = 0; i < list.size(); ++i) {
    Obj m(list[i], l.field(std::string(key) + "[" + std::to_string(i) + "]"),
          {"containerID", "hostID", "size"});
    IdMapping map{static_cast<uint32_t>(m.bounded("containerID", UINT32_MAX)),
                  static_cast<uint32_t>(m.bounded("hostID", UINT32_MAX)),
                  static_cast<uint32_t>(m.bounded("size", UINT32_MAX))};
    if (map.size == 0) fail(m.field("size"), "must be greater than zero");
    out.push_back(map);
  }
  return out;
}

void parse_namespaces(const Obj& l, Spec& s) {
  const json& list = l.array("namespaces");
  std::set<int> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    Obj n(list[i], l.field("namespaces[" + std::to_string(i) + "]"), {"type", "path"});
    const std::string name = n.str("type");
    const int type = namespace_type(name);
    if (!type) fail(n.field("type"), "unknown namespace type \"" + name + "\"");
    if (type == CLONE_NEWTIME) fail(n.field("type"), "time namespaces are not supported");
    if (!seen.insert(type).second) fail(n.field("type"), "\"" + name + "\" given twice");
    Namespace ns{type, n.str("path").empty() ? "" : n.absolute("path")};
    if (!ns.path.empty() && ::access(ns.path.c_str(), F_OK) != 0)
      fail(n.field("path"), "\"" + ns.path + "\" does not exist");
    s.namespaces.push_back(ns);
  }
}

void parse_devices(const Obj& l, InitConfig& c) {
  const json& list = l.array("devices");
  for (size_t i = 0; i < list.size(); ++i) {
    Obj d(list[i], l.field("devices[" + std::to_string(i) + "]"),
          {"type", "path", "major", "minor", "fileMode", "uid", "gid"});
    DeviceNode n;
    n.path = d.absolute("path");
    const std::string type = d.str("type");
    if (type != "c" && type != "b" && type != "u")
      fail(d.field("type"),
           "must be \"c\", \"b\" or \"u\" (FIFOs are not supported), got \"" + type + "\"");
    n.type = type == "b" ? 'b' : 'c';
    n.major = static_cast<uint32_t>(d.unsigned_int("major"));
    n.minor = static_cast<uint32_t>(d.unsigned_int("minor"));
    n.mode = static_cast<uint32_t>(d.unsigned_int("fileMode", 0666) & 07777);
    n.uid = static_cast<uint32_t>(d.unsigned_int("uid"));
    n.gid = static_cast<uint32_t>(d.unsigned_int("gid"));
    n.host_path = n.path;
    c.devices.push_back(n);
  }
}

unsigned long propagation_flags(const Obj& l) {
  const std::string p = l.str("rootfsPropagation");
  // runc's default: rslave. Mounts the host makes later below a bind (a volume, the rootfs)
  // reach the container; nothing the container mounts reaches the host.
  if (p.empty()) return MS_SLAVE | MS_REC;
  OciMount m;
  apply_mount_option(p, m, l.field("rootfsPropagation"));
  if (!m.propagation || m.flags || !m.data.empty())
    fail(l.field("rootfsPropagation"), "unknown propagation \"" + p + "\"");
  return m.propagation;
}

void parse_sysctl(const Obj& l, InitConfig& c) {
  const json* s = l.get("sysctl");
  if (!s) return;
  if (!s->is_object()) fail(l.field("sysctl"), "expected an object");
  for (const auto& [key, value] : s->items()) {
    if (!value.is_string()) fail(l.field("sysctl") + "." + key, "expected a string");
    if (key.empty() || key.find("..") != std::string::npos || key.front() == '/' ||
        key.front() == '.')
      fail(l.field("sysctl") + "." + key, "not a sysctl name");
    c.sysctls.emplace_back(key, value.get<std::string>());
  }
}

void parse_personality(const Obj& l, InitConfig& c) {
  const json* p = l.get("personality");
  if (!p) return;
  Obj o(*p, l.field("personality"), {"domain", "flags"});
  const std::string domain = o.str("domain");
  if (domain == "LINUX")
    c.personality = PER_LINUX;
  else if (domain == "LINUX32")
    c.personality = PER_LINUX32;
  else
    fail(o.field("domain"), "must be LINUX or LINUX32, got \"" + domain + "\"");
  if (!o.strings("flags").empty()) fail(o.field("flags"), "personality flags are not supported");
}

// linux.cgroupsPath cleaned as runc cleans it ("./x", "x//y/" and "x/../y" are accepted), but
// a ".." that would leave where the path starts is refused, where runc would quietly stop it at
// the start: it cannot mean what it says.
std::string cgroups_path(const Obj& l) {
  const std::string path = l.str("cgroupsPath");
  if (path.empty()) return path;
  int depth = 0;
  for (const auto& part : split(path, "/")) {
    depth += part == ".." ? -1 : part == "." ? 0 : 1;
    if (depth < 0)
      fail(l.field("cgroupsPath"), "\"" + path + "\": '..' leads out of where the path starts");
  }
  const std::string clean = clean_path(path);
  if (clean == "." || clean == "/")
    fail(l.field("cgroupsPath"), "\"" + path + "\" names no cgroup of the container's own");
  return clean;
}

void parse_linux(const json& j, Spec& s) {
  Obj l(j, "linux",
        {"namespaces", "uidMappings", "gidMappings", "timeOffsets", "devices", "cgroupsPath",
         "rootfsPropagation", "resources", "intelRdt", "sysctl", "seccomp", "maskedPaths",
         "readonlyPaths", "mountLabel", "personality", "memoryPolicy", "netDevices"});
  parse_namespaces(l, s);
  s.uid_mappings = parse_mappings(l, "uidMappings");
  s.gid_mappings = parse_mappings(l, "gidMappings");
  l.unsupported("timeOffsets");
  parse_devices(l, s.init);
  s.cgroups_path = cgroups_path(l);
  s.init.rootfs_propagation = propagation_flags(l);
  if (const json* r = l.get("resources")) {
    s.resources = parse_resources(*r, l.field("resources"));
    s.has_resources = true;
  }
  l.unsupported("intelRdt");
  parse_sysctl(l, s.init);
  if (const json* sc = l.get("seccomp")) s.seccomp = *sc;
  s.init.masked_paths = l.strings("maskedPaths");
  s.init.readonly_paths = l.strings("readonlyPaths");
  for (const auto* list : {&s.init.masked_paths, &s.init.readonly_paths})
    for (const auto& p : *list)
      if (p.empty() || p.front() != '/')
        fail("linux.maskedPaths/readonlyPaths", "\"" + p + "\" is not an absolute path");
  if (!l.str("mountLabel").empty()) fail(l.field("mountLabel"), "SELinux is not supported");
  parse_personality(l, s.init);
  l.unsupported("memoryPolicy");
  l.unsupported("netDevices");
}

// runc's rule: a sysctl is allowed only when the container has (or joined) the namespace that
// makes it its own; anything else would change the host's kernel.
// A sysctl goes to a namespace of the container's: a new one, or one joined by path that is
// not the runtime's own (runc's checkHostNs: a bundle joining the host's network namespace
// must not set the host's net.*).
void check_sysctls(const Spec& s) {
  auto has = [&](int type) {
    static const std::map<int, const char*> names = {
        {CLONE_NEWIPC, "ipc"}, {CLONE_NEWNET, "net"}, {CLONE_NEWUTS, "uts"}};
    for (const auto& n : s.namespaces)
      if (n.type == type) return n.path.empty() || !is_own_namespace(n.path, names.at(type));
    return false;
  };
  static const char* const kIpc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                     "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                     "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const auto& [key, value] : s.init.sysctls) {
    bool ipc = key.rfind("fs.mqueue.", 0) == 0;
    for (const char* k : kIpc) ipc = ipc || key == k;
    const char* why = nullptr;
    if (ipc) {
      if (!has(CLONE_NEWIPC)) why = "needs an ipc namespace of the container's (not the host's)";
    } else if (key.rfind("net.", 0) == 0) {
      if (!has(CLONE_NEWNET)) why = "needs a network namespace of the container's (not the host's)";
    } else if (key == "kernel.hostname" || key == "kernel.domainname") {
      if (!has(CLONE_NEWUTS)) why = "needs a uts namespace of the container's (not the host's)";
    } else {
      why = "is not in a namespace of the container's (it would change the host's kernel)";
    }
    if (why) fail("linux.sysctl." + key, std::string("\"") + key + "\" " + why);
  }
}

void check_namespaces(Spec& s) {
  auto find = [&](int type) -> const Namespace* {
    for (const auto& n : s.namespaces)
      if (n.type == type) return &n;
    return nullptr;
  };
  const Namespace* user = find(CLONE_NEWUSER);
  // Joining one (podman's --userns container:X) would need the new mount namespace made inside
  // it, by a process that joined it first (runc's nsexec); the init here is cloned with its
  // namespaces and joins the given ones after, so its mounts would fail. Refused by name.
  if (user && !user->path.empty())
    fail("linux.namespaces",
         "joining an existing user namespace (" + user->path + ") is not supported by mydocker");
  if ((!s.uid_mappings.empty() || !s.gid_mappings.empty()) && !user)
    fail("linux.uidMappings", "id mappings need a new user namespace (linux.namespaces)");
  if (user && user->path.empty() && (s.uid_mappings.empty() || s.gid_mappings.empty()))
    fail("linux.uidMappings", "a new user namespace needs uidMappings and gidMappings");
  if (!find(CLONE_NEWNS)) fail("linux.namespaces", "mydocker needs a mount namespace");
  if (const Namespace* m = find(CLONE_NEWNS); m && !m->path.empty())
    fail("linux.namespaces", "joining an existing mount namespace is not supported");
  // Not the runtime's own uts namespace either: that would name the host.
  const Namespace* uts = find(CLONE_NEWUTS);
  const bool own_uts = !uts || (!uts->path.empty() && is_own_namespace(uts->path, "uts"));
  if (own_uts && !s.init.hostname.empty())
    fail("hostname",
         "setting a hostname needs a uts namespace of the container's (not the host's)");
  if (own_uts && !s.init.domainname.empty())
    fail("domainname",
         "setting a domainname needs a uts namespace of the container's (not the host's)");
}

}  // namespace

Spec parse_spec(const json& config, const std::string& bundle) {
  Obj top(config, "",
          {"ociVersion", "process", "root", "hostname", "domainname", "mounts", "hooks",
           "annotations", "linux", "solaris", "windows", "vm", "zos"});
  Spec s;
  s.bundle = bundle;
  const std::string version = top.str("ociVersion");
  if (version.rfind("1.", 0) != 0)
    fail("ociVersion", "\"" + version + "\" is not a runtime-spec 1.x version");
  for (const char* other : {"solaris", "windows", "vm", "zos"})
    top.unsupported(other, "not a Linux container");
  InitConfig& c = s.init;
  c.oci = true;
  c.die_with_parent = false;
  c.hostname.clear();
  c.no_new_privs = false;
  const json* process = top.get("process");
  if (!process) fail("process", "missing");
  bool terminal = false;
  parse_process(*process, c, terminal);
  s.process = *process;
  c.tty = terminal;
  c.interactive = true;  // stdin is whatever the caller gave us
  const json* root = top.get("root");
  if (!root) fail("root", "missing");
  Obj r(*root, "root", {"path", "readonly"});
  s.root = r.str("path");
  if (s.root.empty()) fail("root.path", "missing");
  // runc's form: relative to the bundle, cleaned ("./rootfs", "rootfs/", "/a//rootfs" and
  // "../other/rootfs" are the directories they name). The mounts are checked to stay inside
  // this very string, so "." and ".." left in it would refuse all of them.
  s.root = clean_path(s.root.front() == '/' ? s.root : bundle + "/" + s.root);
  struct stat st {};
  if (::stat(s.root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    fail("root.path", "\"" + s.root + "\" is not a directory");
  char real[PATH_MAX];
  if (::realpath(s.root.c_str(), real) && std::string(real) == "/")
    fail("root.path", "\"" + s.root + "\" is the host's root directory: refused");
  c.rootfs = s.root;
  c.readonly_rootfs = r.boolean("readonly");
  c.hostname = top.str("hostname");
  c.domainname = top.str("domainname");
  const json& mounts = top.array("mounts");
  for (size_t i = 0; i < mounts.size(); ++i)
    c.oci_mounts.push_back(parse_mount(mounts[i], "mounts[" + std::to_string(i) + "]", bundle));
  if (const json* h = top.get("hooks")) s.hooks = parse_hooks(*h);
  if (const json* a = top.get("annotations")) {
    if (!a->is_object()) fail("annotations", "expected an object");
    for (const auto& [k, v] : a->items())
      if (!v.is_string()) fail("annotations." + k, "expected a string");
    s.annotations = *a;
  }
  const json* linux = top.get("linux");
  if (!linux) fail("linux", "missing (mydocker runs Linux containers)");
  parse_linux(*linux, s);
  check_namespaces(s);
  check_sysctls(s);
  c.create_container_hooks = s.hooks.create_container;
  c.start_container_hooks = s.hooks.start_container;
  return s;
}

std::vector<OciHook> hooks_from_json(const json& list) {
  std::vector<OciHook> out;
  if (!list.is_array()) return out;
  for (const auto& h : list)
    out.push_back(OciHook{h.value("path", ""), h.value("args", std::vector<std::string>{}),
                          h.value("env", std::vector<std::string>{}), h.value("timeout", 0)});
  return out;
}

Spec load_bundle(const std::string& bundle_dir) {
  char real[PATH_MAX];
  if (!::realpath(bundle_dir.c_str(), real)) throw SysError(errno, "bundle " + bundle_dir);
  const std::string bundle = real;
  const std::string file = bundle + "/config.json";
  std::string text;
  try {
    text = Fs().read(file);
  } catch (const std::exception& e) {
    throw Error(std::string("cannot read the bundle's config.json: ") + e.what());
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(file + ": not valid JSON");
  return parse_spec(j, bundle);
}

json default_spec(bool rootless, uid_t uid, gid_t gid) {
  json caps = json::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  json spec = {
      {"ociVersion", kOciVersion},
      {"process",
       {{"terminal", true},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sh"}},
        {"env",
         {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "mydocker"},
      {"mounts",
       {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"},
         {"type", "devpts"},
         {"source", "devpts"},
         {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
        {{"destination", "/dev/shm"},
         {"type", "tmpfs"},
         {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"},
         {"type", "mqueue"},
         {"source", "mqueue"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/sys"},
         {"type", "sysfs"},
         {"source", "sysfs"},
         {"options", {"nosuid", "noexec", "nodev", "ro"}}},
        {{"destination", "/sys/fs/cgroup"},
         {"type", "cgroup"},
         {"source", "cgroup"},
         {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}}}},
      {"linux",
       {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
        {"namespaces",
         {{{"type", "pid"}},
          {{"type", "network"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "mount"}}}},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
          "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
  if (rootless) {
    // runc spec --rootless: a user namespace mapping the caller to root, no cgroup limits
    // (nothing delegated), sysfs bound from the host, no network namespace of its own.
    auto& l = spec["linux"];
    l.erase("resources");
    l["uidMappings"] = {{{"containerID", 0}, {"hostID", uid}, {"size", 1}}};
    l["gidMappings"] = {{{"containerID", 0}, {"hostID", gid}, {"size", 1}}};
    l["namespaces"] = {{{"type", "pid"}},
                       {{"type", "ipc"}},
                       {{"type", "uts"}},
                       {{"type", "mount"}},
                       {{"type", "user"}}};
    auto& m = spec["mounts"];
    m.erase(m.size() - 1);  // the cgroup mount
    m[m.size() - 1] = {{"destination", "/sys"},
                       {"type", "none"},
                       {"source", "/sys"},
                       {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}};
    for (auto& mount : m)
      if (mount["destination"] == "/dev/pts") mount["options"].erase(mount["options"].size() - 1);
  }
  return spec;
}

json features() {
  json ns = json::array();
  for (const auto& n : kNamespaces)
    if (n.type != CLONE_NEWTIME) ns.push_back(n.name);
  json caps = json::array();
  for (const auto& c : all_capabilities()) caps.push_back(c);
  json options = json::array();
  for (const char* o :
       {"async",       "atime",       "bind",       "dev",           "diratime", "dirsync",
        "exec",        "loud",        "mand",       "noatime",       "nodev",    "nodiratime",
        "noexec",      "nomand",      "norelatime", "nostrictatime", "nosuid",   "private",
        "rbind",       "rdev",        "rdiratime",  "relatime",      "rexec",    "rnoatime",
        "rnodev",      "rnodiratime", "rnoexec",    "rnosuid",       "ro",       "rprivate",
        "rrelatime",   "rro",         "rrw",        "rshared",       "rslave",   "rstrictatime",
        "rsuid",       "runbindable", "rw",         "shared",        "silent",   "slave",
        "strictatime", "suid",        "sync",       "unbindable"})
    options.push_back(o);
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", kOciVersion},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", options},
      {"linux",
       {{"namespaces", ns},
        {"capabilities", caps},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions",
           {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
            "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
          {"operators",
           {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
            "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}},
        {"intelRdt", {{"enabled", false}}},
        {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
      {"annotations", {{"org.opencontainers.runc.checkpoint.enabled", "false"}}}};
}

}  // namespace mydocker::oci
