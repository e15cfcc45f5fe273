#include "mydocker/oci/state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/oci/spec.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker::oci {

using nlohmann::json;

void validate_id(const std::string& id) {
  if (id.empty()) throw Error("missing the container id");
  if (id.size() > 200 || id == "." || id == ".." || id == "parents" ||
      (id.size() > 5 && id.compare(id.size() - 5, 5, ".lock") == 0))
    throw Error("invalid container id '" + id + "' (at most 200 characters; \"parents\" and " +
                "names ending in .lock are the runtime's own files)");
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' &&
        c != '+')
      throw Error("invalid container id '" + id +
                  "': only letters, digits and _ . - + are allowed");
}

Container::Container(std::string root, std::string id)
    : root_(std::move(root)), id_(std::move(id)) {
  validate_id(id_);
}

bool Container::exists() const {
  struct stat st {};
  return ::stat(dir().c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

json Container::load() const {
  if (!exists()) throw Error("container " + id_ + " does not exist");
  auto text = Fs().read_if_exists(dir() + "/state.json");
  if (!text) return json{{"id", id_}, {"status", "creating"}};  // create was killed early
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error("container " + id_ + ": its state.json is damaged (delete --force removes it)");
  return j;
}

void Container::save(const json& state) const {
  write_file_atomic(dir() + "/state.json", state.dump(), /*durable=*/false);
}

uint64_t process_start_time(pid_t pid) {
  if (pid <= 0) return 0;
  auto text = Fs().read_if_exists("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return 0;
  const size_t paren = text->rfind(')');  // the command's name may hold spaces and parens
  if (paren == std::string::npos) return 0;
  auto fields = split(std::string_view(*text).substr(paren + 2), " ");
  // After the name: state is field 3, starttime field 22.
  if (fields.size() < 20) return 0;
  if (fields[0] == "Z" || fields[0] == "X") return 0;  // a zombie is stopped
  return std::stoull(fields[19]);
}

UniqueFd Container::init_pidfd(const json& state) const {
  const pid_t pid = state.value("pid", 0);
  const uint64_t start = state.value("pid_start", uint64_t{0});
  if (pid <= 0 || start == 0) return {};
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  // Checked after the pidfd is open: from here on the pid cannot be reused under us.
  if (!fd || process_start_time(pid) != start) return {};
  return fd;
}

Status Container::status(const json& state) const {
  if (state.value("status", "") == "creating" && !state.contains("pid")) return {"creating", 0};
  UniqueFd fd = init_pidfd(state);
  if (!fd) return {"stopped", 0};
  const pid_t pid = state.value("pid", 0);
  // Frozen first: runc pauses a created container too, and says "paused" until it is resumed.
  const bool created = ::access(fifo().c_str(), F_OK) == 0;
  // Only the container's own: a directory its killed create only planned may be another's.
  const CgroupRecord record = cgroups(state).claimed();
  for (const auto& [controller, dir] : record.paths) {
    if (controller == "freezer") {
      auto s = Fs().read_if_exists(dir + "/freezer.state");
      if (s && trim(*s) == "FROZEN") return {"paused", pid};
    }
  }
  if (record.driver == CgroupMode::kV2 && !record.dirs.empty()) {
    auto events = Fs().read_if_exists(record.dirs.front() + "/cgroup.freeze");
    if (events && trim(*events) == "1") return {"paused", pid};
  }
  return {created ? "created" : "running", pid};
}

json Container::spec_state(const json& state) const {
  const Status s = status(state);
  return spec_state(state, s.name, s.pid);
}

json Container::spec_state(const json& state, const std::string& status, pid_t pid) const {
  json out = {{"ociVersion", kOciVersion},
              {"id", id_},
              {"status", status},
              {"bundle", state.value("bundle", "")},
              {"annotations", state.value("annotations", json::object())}};
  if (pid > 0) out["pid"] = pid;
  // runc's extras, which clients such as podman read.
  out["rootfs"] = state.value("rootfs", "");
  out["created"] = state.value("created", "");
  out["owner"] = "";
  return out;
}

CgroupRecord Container::cgroups(const json& state) const {
  return get_cgroup_record(state.value("cgroup", json::object()));
}

std::vector<std::string> list_ids(const std::string& root) {
  std::vector<std::string> ids;
  DIR* d = ::opendir(root.c_str());
  if (!d) return ids;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == ".." || e->d_type != DT_DIR) continue;
    ids.push_back(name);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

UniqueFd lock_container(const std::string& root, const std::string& id, bool creating) {
  if (!creating && !Container(root, id).exists())
    throw Error("container " + id + " does not exist");
  const std::string path = root + "/" + id + ".lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw SysError(errno, "open " + path);
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw SysError(errno, "flock " + path);
  return fd;
}

namespace {

UniqueFd lock_parents(const std::string& root) {
  const std::string path = root + "/parents.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw SysError(errno, "open " + path);
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw SysError(errno, "flock " + path);
  return fd;
}

std::vector<std::string> read_parents(const std::string& root) {
  auto text = Fs().read_if_exists(root + "/parents");
  return text ? split(*text, "\n") : std::vector<std::string>{};
}

void write_parents(const std::string& root, std::vector<std::string> dirs) {
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  std::string text;
  for (const auto& d : dirs) text += d + "\n";
  if (text.empty())
    ::unlink((root + "/parents").c_str());
  else
    write_file_atomic(root + "/parents", text, false);
}

}  // namespace

void remember_parents(const std::string& root, const std::vector<std::string>& dirs) {
  if (dirs.empty()) return;
  UniqueFd lock = lock_parents(root);
  auto all = read_parents(root);
  all.insert(all.end(), dirs.begin(), dirs.end());
  write_parents(root, all);
}

void remove_empty_parents(const std::string& root) {
  UniqueFd lock = lock_parents(root);
  auto all = read_parents(root);
  if (all.empty()) return;
  // Deepest first: a child goes before its parent.
  std::sort(all.begin(), all.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  std::vector<std::string> kept;
  for (const auto& dir : all)
    if (dir.rfind("/sys/fs/cgroup/", 0) == 0 && ::rmdir(dir.c_str()) != 0 && errno != ENOENT)
      kept.push_back(dir);
  write_parents(root, kept);
}

}  // namespace mydocker::oci
