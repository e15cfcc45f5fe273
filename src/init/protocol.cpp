#include "mydocker/init/protocol.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "mydocker/init/protocol.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {

using nlohmann::json;

static void to_json(json& j, const MountSpec& m) {
  j = {{"source", m.source}, {"target", m.target}, {"fstype", m.fstype}, {"data", m.data},
       {"ro", m.readonly},   {"file", m.file},     {"copyup", m.copy_up}};
}

static void from_json(const json& j, MountSpec& m) {
  m.source = j.at("source");
  m.target = j.at("target");
  m.fstype = j.at("fstype");
  m.data = j.at("data");
  m.readonly = j.at("ro");
  m.file = j.at("file");
  m.copy_up = j.value("copyup", false);
}

static void to_json(json& j, const DeviceNode& d) {
  j = {d.path, d.host_path, std::string(1, d.type), d.major, d.minor, d.mode, d.uid, d.gid};
}

static void from_json(const json& j, DeviceNode& d) {
  d.path = j.at(0);
  d.host_path = j.at(1);
  d.type = j.at(2).get<std::string>().at(0);
  d.major = j.at(3);
  d.minor = j.at(4);
  d.mode = j.at(5);
  d.uid = j.at(6);
  d.gid = j.at(7);
}

// The process fields, the same in the init's CBOR and in config.json (for exec).
static void put_process(json& j, const InitConfig& c) {
  j.update({{"env", c.env},
            {"cwd", c.cwd},
            {"uid", c.uid},
            {"gid", c.gid},
            {"groups", c.groups},
            {"caps", c.capabilities},
            {"nnp", c.no_new_privs},
            {"rlimits", c.rlimits},
            {"privileged", c.privileged}});
}

static void get_process(const json& j, InitConfig& c) {  // throws json::exception
  c.env = j.at("env");
  c.cwd = j.at("cwd");
  c.uid = j.at("uid");
  c.gid = j.at("gid");
  c.groups = j.at("groups").get<std::vector<uint32_t>>();
  c.capabilities = j.at("caps");
  c.no_new_privs = j.at("nnp");
  c.rlimits = j.at("rlimits").get<std::vector<std::vector<uint64_t>>>();
  c.privileged = j.at("privileged");
}

static void to_json(json& j, const OciMount& m) {
  j = {m.source,      m.target,   m.type,     m.data, m.flags,
       m.propagation, m.attr_set, m.attr_clr, m.file, m.copy_up};
}

static void from_json(const json& j, OciMount& m) {
  m.source = j.at(0);
  m.target = j.at(1);
  m.type = j.at(2);
  m.data = j.at(3);
  m.flags = j.at(4);
  m.propagation = j.at(5);
  m.attr_set = j.at(6);
  m.attr_clr = j.at(7);
  m.file = j.at(8);
  m.copy_up = j.size() > 9 && j.at(9).get<bool>();
}

static void to_json(json& j, const OciHook& h) { j = {h.path, h.args, h.env, h.timeout}; }

static void from_json(const json& j, OciHook& h) {
  h.path = j.at(0);
  h.args = j.at(1);
  h.env = j.at(2);
  h.timeout = j.at(3);
}

// mydocker oci: the bundle's own fields, and the fds the exec'd init inherits (by number).
static json oci_json(const InitConfig& c) {
  return {{"mounts", c.oci_mounts},
          {"masked", c.masked_paths},
          {"ropaths", c.readonly_paths},
          {"rprop", c.rootfs_propagation},
          {"nopivot", c.no_pivot},
          {"uts", c.new_uts},
          {"ipc", c.new_ipc},
          {"domain", c.domainname},
          {"sysctls", c.sysctls},
          {"persona", c.personality},
          {"oom", c.oom_score_adj ? json(*c.oom_score_adj) : json()},
          {"hooks", {c.create_container_hooks, c.start_container_hooks}},
          {"console", c.make_console},
          {"joinns", c.join_namespaces},
          {"fifo", c.exec_fifo_fd}};
}

static void get_oci(const json& j, InitConfig& c) {  // throws json::exception
  c.oci_mounts = j.at("mounts").get<std::vector<OciMount>>();
  c.masked_paths = j.at("masked");
  c.readonly_paths = j.at("ropaths");
  c.rootfs_propagation = j.at("rprop");
  c.no_pivot = j.at("nopivot");
  c.new_uts = j.at("uts");
  c.new_ipc = j.at("ipc");
  c.domainname = j.at("domain");
  c.sysctls = j.at("sysctls").get<std::vector<std::pair<std::string, std::string>>>();
  c.personality = j.at("persona");
  if (!j.at("oom").is_null()) c.oom_score_adj = j.at("oom").get<int>();
  c.create_container_hooks = j.at("hooks").at(0).get<std::vector<OciHook>>();
  c.start_container_hooks = j.at("hooks").at(1).get<std::vector<OciHook>>();
  c.make_console = j.at("console");
  c.join_namespaces = j.at("joinns").get<std::vector<std::pair<int, int>>>();
  c.exec_fifo_fd = j.at("fifo");
}

// CBOR: compact, quick to parse, and it carries the seccomp filter as bytes.
std::string encode_init_config(const InitConfig& c) {
  json j = {
      {"v", 2},
      {"argv", c.argv},
      {"hostname", c.hostname},
      {"join", c.join_files},
      {"i", c.interactive},
      {"t", c.tty},
      {"pi", c.init_process},
      {"rows", c.rows},
      {"cols", c.cols},
      {"x", c.trace},
      {"rootfs", c.rootfs},
      {"lower", c.lower},
      {"upper", c.upper},
      {"work", c.work},
      {"vol", c.volatile_upper},
      {"layer", c.layer_owner},
      {"ro", c.readonly_rootfs},
      {"mounts", c.mounts},
      {"devices", c.devices},
      {"hostrw", c.host_rw},
      {"net", c.new_net},
      {"nsu", c.new_uts},
      {"nsp", c.new_pid},
      {"nsi", c.new_ipc},
      {"shm", c.shm_size},
      {"seccomp", json::binary(std::vector<uint8_t>(c.seccomp_bpf.begin(), c.seccomp_bpf.end()))},
      {"mntns", c.mount_ns_fd},
      {"pidns", c.pid_ns_fd},
      {"joinfds", c.join_fds},
      {"cgnsfd", c.cgroup_ns_fd},
      {"cgview", c.cgroup_view},
      {"cgbinds", c.cgroup_binds},
      {"cg2", c.cgroup2_dir},
      {"cgns", c.new_cgroupns},
      {"userns", c.userns},
      {"ids", {c.uid_base, c.uid_count, c.gid_base, c.gid_count}},
      {"idmapped", c.idmapped},
      {"oci", c.oci},
      {"capsets", {c.cap_effective, c.cap_permitted, c.cap_inheritable, c.cap_ambient}},
      {"umask", c.umask ? static_cast<int64_t>(*c.umask) : -1},
      {"keepfds", c.preserve_fds},
      {"detach", c.detach_exec},
      {"pdeath", c.die_with_parent},
      {"scflags", c.seccomp_flags}};
  put_process(j, c);
  if (c.oci) j["ocix"] = oci_json(c);
  auto bytes = json::to_cbor(j);
  return std::string(bytes.begin(), bytes.end());
}

std::optional<InitConfig> decode_init_config(std::string_view data) {
  json j = json::from_cbor(data.begin(), data.end(), true, false);
  if (j.is_discarded() || !j.is_object() || j.value("v", 0) != 2) return std::nullopt;
  try {
    InitConfig c;
    get_process(j, c);
    c.argv = j.at("argv");
    c.hostname = j.at("hostname");
    c.oci = j.value("oci", false);
    if (j.contains("capsets")) {
      const auto& sets = j.at("capsets");
      c.cap_effective = sets.at(0);
      c.cap_permitted = sets.at(1);
      c.cap_inheritable = sets.at(2);
      c.cap_ambient = sets.at(3);
    }
    if (const int64_t u = j.value("umask", int64_t{-1}); u >= 0) c.umask = static_cast<uint32_t>(u);
    c.preserve_fds = j.value("keepfds", 0);
    c.detach_exec = j.value("detach", false);
    c.die_with_parent = j.value("pdeath", true);
    c.seccomp_flags = j.value("scflags", 0u);
    if (c.oci) get_oci(j.at("ocix"), c);
    c.join_files = j.at("join");
    c.interactive = j.at("i");
    c.tty = j.at("t");
    c.init_process = j.value("pi", false);
    c.rows = j.at("rows");
    c.cols = j.at("cols");
    c.trace = j.at("x");
    c.rootfs = j.at("rootfs");
    c.lower = j.at("lower");
    c.upper = j.at("upper");
    c.work = j.at("work");
    c.volatile_upper = j.value("vol", false);
    c.layer_owner = j.value("layer", std::string());
    c.readonly_rootfs = j.at("ro");
    c.mounts = j.at("mounts").get<std::vector<MountSpec>>();
    c.devices = j.at("devices").get<std::vector<DeviceNode>>();
    c.host_rw = j.at("hostrw");
    c.new_net = j.at("net");
    c.new_uts = j.value("nsu", true);
    c.new_pid = j.value("nsp", true);
    c.new_ipc = j.value("nsi", true);
    c.shm_size = j.value("shm", std::string("size=65536k"));
    const auto& bpf = j.at("seccomp").get_binary();
    c.seccomp_bpf.assign(bpf.begin(), bpf.end());
    c.mount_ns_fd = j.at("mntns");
    c.pid_ns_fd = j.at("pidns");
    c.join_fds = j.at("joinfds").get<std::vector<int>>();
    c.cgroup_ns_fd = j.at("cgnsfd");
    c.cgroup_view = j.at("cgview");
    c.cgroup_binds = j.at("cgbinds").get<std::vector<std::pair<std::string, std::string>>>();
    c.cgroup2_dir = j.at("cg2");
    c.new_cgroupns = j.at("cgns");
    c.userns = j.at("userns");
    const auto ids = j.at("ids").get<std::vector<uint32_t>>();
    if (ids.size() != 4) return std::nullopt;
    c.uid_base = ids[0];
    c.uid_count = ids[1];
    c.gid_base = ids[2];
    c.gid_count = ids[3];
    c.idmapped = j.at("idmapped").get<std::vector<MountSpec>>();
    if (c.argv.empty()) return std::nullopt;
    return c;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

size_t InitConfig::tree_count() const {
  if (!userns) return 0;
  size_t n = idmapped.size();
  for (const auto& m : mounts) n += m.fstype.empty() ? 1 : 0;
  return n;
}

void send_init_config(int fd, const InitConfig& c) {
  std::string blob = encode_init_config(c);
  uint32_t size = static_cast<uint32_t>(blob.size());
  if (!write_all(fd, &size, sizeof size) || !write_all(fd, blob.data(), blob.size()))
    if (errno != EPIPE) throw_errno("write to the container's sync socket");
}

json process_json(const InitConfig& c) {
  json j = json::object();
  put_process(j, c);
  // The filter by the name of its cache file: its 10 KB in every config.json made `ps`, which
  // reads them all, three times slower. Written out only when the cache could not be.
  if (!c.seccomp_file.empty() || c.seccomp_bpf.empty()) {
    j["seccomp_file"] = c.seccomp_file;
    return j;
  }
  static const char* const kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : c.seccomp_bpf) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  j["seccomp"] = hex;
  return j;
}

bool read_process_json(const json& j, InitConfig& c) {
  if (!j.is_object()) return false;
  try {
    get_process(j, c);
    c.seccomp_bpf.clear();
    if (j.contains("seccomp_file")) {
      c.seccomp_file = j.at("seccomp_file");
      if (c.seccomp_file.empty()) return true;  // no filter
      auto bpf = Fs().read_if_exists(c.seccomp_file);
      if (!bpf) return false;  // the cache was emptied: exec must not run without the filter
      c.seccomp_bpf = std::move(*bpf);
      return true;
    }
    const std::string hex = j.at("seccomp");
    if (hex.size() % 2 != 0) return false;
    for (size_t i = 0; i < hex.size(); i += 2) {
      auto nibble = [](char x) { return x <= '9' ? x - '0' : x - 'a' + 10; };
      c.seccomp_bpf += static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
    }
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

int exit_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return kExitSetupError;
}

bool await_word(int sync_fd, char word) {
  char got = 0;
  return read_full(sync_fd, &got, 1) == 1 && got == word;
}

namespace {

// A cut at `at` moved (back, or forward) onto a UTF-8 character's first byte, never into the
// middle of one: the message may end up in a JSON log.
size_t char_start(std::string_view s, size_t at, bool forward) {
  auto inside = [&] { return at < s.size() && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80; };
  while (at > 0 && inside()) forward ? ++at : --at;
  return at;
}

}  // namespace

std::string encode_failure(const InitFailure& f) {
  std::string out = std::to_string(f.exit_code) + "\n";
  const std::string_view m = f.message;
  if (out.size() + m.size() <= kMaxFailureSize) return out.append(m);
  const std::string mark = " [... " + std::to_string(m.size()) + " bytes in all, truncated ...] ";
  const size_t keep = kMaxFailureSize - out.size() - mark.size();
  const size_t tail = keep / 8;
  out.append(m.substr(0, char_start(m, keep - tail, false))).append(mark);
  return out.append(m.substr(char_start(m, m.size() - tail, true)));
}

std::optional<InitFailure> decode_failure(std::string_view data) {
  size_t nl = data.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  auto code = parse_int(data.substr(0, nl));
  if (!code || *code < 1 || *code > 255) return std::nullopt;
  return InitFailure{static_cast<int>(*code), std::string(data.substr(nl + 1))};
}

}  // namespace mydocker
