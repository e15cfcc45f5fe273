#include "mydocker/store/store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "mydocker/store/events.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/json_out.hpp"

namespace mydocker {
namespace {

constexpr const char* kTmpPrefix = ".tmp-";

void remove_dir_files(const std::string& dir) {
  // The files a container directory has; anything else (a stray temp file) by listing.
  for (const char* f :
       {"config.json", "state.json", "supervisor.lock", "state.lock", "container.log", "hostname",
        "hosts", "resolv.conf", "attach.sock", "networks.json"})
    ::unlink((dir + "/" + f).c_str());
  ::rmdir((dir + "/rootfs").c_str());  // the overlay's mount point
  // --ipc shareable's /dev/shm, when its supervisor was killed before it unmounted it.
  ::umount2((dir + "/shm").c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
  ::rmdir((dir + "/shm").c_str());
  if (::rmdir(dir.c_str()) == 0 || errno != ENOTEMPTY) return;
  for (const auto& f : list_dir(dir)) ::unlink((dir + "/" + f).c_str());
  ::rmdir(dir.c_str());
}

nlohmann::json read_json(const std::string& path) {
  Fs fs;
  auto text = fs.read_if_exists(path);
  if (!text) throw Error("cannot read " + path + ": no such file");
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) throw Error("cannot read " + path + ": not JSON");
  return j;
}

}  // namespace

ContainerDir::ContainerDir(std::string root, std::string id, bool durable)
    : root_(std::move(root)), id_(std::move(id)), path_(root_ + "/" + id_), durable_(durable) {}

nlohmann::json ContainerDir::config() const { return read_json(path_ + "/config.json"); }

void ContainerDir::request_restart() const {
  UniqueFd f(::open((path_ + "/restart-requested").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!f) throw SysError(errno, "cannot create " + path_ + "/restart-requested");
}

bool ContainerDir::restart_requested() const {
  return ::access((path_ + "/restart-requested").c_str(), F_OK) == 0;
}

nlohmann::json ContainerDir::extra_networks() const {
  const auto text = Fs().read_if_exists(path_ + "/networks.json");
  if (!text) return nlohmann::json::array();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  return j.is_array() ? j : nlohmann::json::array();
}

UniqueFd ContainerDir::hold_networks(bool exclusive) const {
  UniqueFd fd(::open((root_ + "/.networks.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  while (fd && ::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) != 0)
    if (errno != EINTR) return {};
  return fd;
}

void ContainerDir::set_extra_networks(const nlohmann::json& list) const {
  const std::string file = path_ + "/networks.json";
  if (list.empty()) {
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) throw SysError(errno, "unlink " + file);
    return;
  }
  write_file_atomic(file, list.dump() + "\n", durable_);
}

bool keeps_log(const nlohmann::json& config) {
  if (!keeps_log(config.value("detached", false), config.value("auto_remove", false))) return false;
  const auto hc = config.find("host_config");
  if (hc == config.end() || !hc->is_object()) return true;
  const auto lc = hc->find("LogConfig");
  return lc == hc->end() || !lc->is_object() || lc->value("Type", "json-file") != "none";
}

ContainerState ContainerDir::status() const {
  return read_json(path_ + "/state.json").get<ContainerState>();
}

ContainerState ContainerDir::state() const {
  ContainerState s = status();
  if (s.cgroup.empty()) s.cgroup = get_cgroup_record(config());
  return s;
}

ContainerState ContainerDir::state(const nlohmann::json& config) const {
  ContainerState s = status();
  if (s.cgroup.empty()) s.cgroup = get_cgroup_record(config);
  return s;
}

ContainerState ContainerDir::update(const std::function<void(ContainerState&)>& change) const {
  UniqueFd lock(::open((path_ + "/state.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock) throw SysError(errno, "cannot open " + path_ + "/state.lock");
  while (::flock(lock.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw SysError(errno, "cannot lock " + path_ + "/state.lock");
  ContainerState s = state();
  change(s);
  write_file_atomic(path_ + "/state.json", json_text(nlohmann::json(s)) + "\n", durable_);
  return s;
}

namespace {

// An inotify watch of `dir` for state.json's renames and the directory's end; empty when the
// directory is gone.
UniqueFd watch_dir(const std::string& dir) {
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!watch) throw SysError(errno, "inotify_init1");
  if (::inotify_add_watch(watch.get(), dir.c_str(), IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF) <
      0)
    return {};
  return watch;
}

}  // namespace

bool ContainerDir::wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                            bool state_changes) const {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  // The watch is in place before the first look: a change between the two wakes us.
  UniqueFd watch;
  if (state_changes && !(watch = watch_dir(path_))) return done();  // the directory is gone
  UniqueFd supervisor;
  int supervisor_pid = 0;
  for (;;) {
    // A pidfd of the supervisor the state names, opened before `done` looks at its lock; read
    // again only once that process has exited (`run -d` hands over from the CLI's pid to its
    // supervisor's).
    if (!supervisor) try {
        if (int pid = status().supervisor_pid; pid > 0 && pid != supervisor_pid) {
          supervisor_pid = pid;
          supervisor.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
        }
      } catch (const Error&) {
      }
    if (done()) return true;
    if (!watch && !supervisor) {  // no supervisor to watch: the state's changes after all
      if (!(watch = watch_dir(path_))) return done();
      continue;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd fds[2] = {{watch.get(), POLLIN, 0}, {supervisor.get(), POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (n < 0 && errno != EINTR) throw SysError(errno, "poll");
    if (fds[0].revents & POLLIN) {
      char events[4096];
      while (::read(watch.get(), events, sizeof events) > 0) {
      }
    }
    if (supervisor && (fds[1].revents & POLLIN)) supervisor.reset();  // exited: done() will see
  }
}

bool ContainerDir::supervisor_alive() const { return is_locked(path_ + "/supervisor.lock"); }

UniqueFd ContainerDir::lock_supervisor() const {
  UniqueFd fd(::open((path_ + "/supervisor.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw SysError(errno, "cannot open " + path_ + "/supervisor.lock");
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
    throw Error("container " + short_id(id_) + " is owned by another mydocker process");
  return fd;
}

Store::Store(std::string root) : root_(std::move(root)) {}

void Store::reserve_name(const std::string& name, const std::string& id) const {
  const std::string link = root_ + "/names/" + name;
  for (int attempt = 0;; ++attempt) {
    if (::symlink(id.c_str(), link.c_str()) == 0) break;
    if (errno != EEXIST || attempt > 3) throw SysError(errno, "cannot reserve the name " + name);
    // Taken, unless the container it names is gone (a crash between the two steps). Taking
    // a stale name over is done under names/.lock, so two of us cannot both do it.
    UniqueFd names_lock(
        ::open((root_ + "/names/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!names_lock || ::flock(names_lock.get(), LOCK_EX) != 0)
      throw SysError(errno, "cannot lock " + root_ + "/names/.lock");
    const std::string other = read_link(link);
    // The lock of a creation first, then its directory: a rename from one to the other in
    // between cannot make both checks miss.
    const bool alive = other.empty() ||
                       is_locked(root_ + "/" + kTmpPrefix + other + "/supervisor.lock") ||
                       ::access((root_ + "/" + other).c_str(), F_OK) == 0;
    if (alive && !other.empty())
      throw Error("Conflict. The container name \"/" + name +
                  "\" is already in use by container \"" + other +
                  "\". You have to remove (or rename) that container to be able to reuse "
                  "that name.");
    if (!other.empty()) ::unlink(link.c_str());
  }
}

Store::Created Store::create(const std::string& id, const std::string& name, nlohmann::json config,
                             const ContainerState& state, bool durable, bool replacing) const {
  make_dirs(root_ + "/names", 0700);
  const std::string tmp = root_ + "/" + kTmpPrefix + id;
  if (::mkdir(tmp.c_str(), 0700) != 0)
    throw SysError(errno, "cannot create the container's state directory " + tmp);
  // The lock comes first: from here on the half-made directory is visibly owned.
  UniqueFd lock(::open((tmp + "/supervisor.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock || ::flock(lock.get(), LOCK_EX) != 0) {
    int err = errno;
    remove_dir_files(tmp);
    throw SysError(err, "cannot lock " + tmp + "/supervisor.lock");
  }
  ContainerState first = state;
  try {
    if (replacing && ::access((root_ + "/" + id).c_str(), F_OK) == 0) {
      // docker's: a container started again shows when it last ended until it ends again.
      const UniqueFd networks = ContainerDir(root_, id).hold_networks(false);
      try {
        const ContainerState old = ContainerDir(root_, id).status();
        first.finished_at = old.finished_at;
        first.extra_networks = old.extra_networks;  // network connect's, with networks.json
      } catch (const Error&) {
      }
      // Into the locked staging directory, where `prune` leaves them alone: its log (and its
      // rotations, container.log.N) and the networks `network connect` added.
      for (const auto& f : list_dir(root_ + "/" + id))
        if (f.rfind("container.log", 0) == 0 || f == "networks.json")
          (void)::rename((root_ + "/" + id + "/" + f).c_str(), (tmp + "/" + f).c_str());
      remove(ContainerDir(root_, id), "", std::string());
    }
    reserve_name(name, id);
    // Straight into the directory: its rename below makes all of it appear at once.
    put_cgroup_record(config, state.cgroup);
    write_file(tmp + "/config.json", json_text(config) + "\n", durable);
    fill_summary(first, config);
    write_file(tmp + "/state.json", json_text(nlohmann::json(first)) + "\n", durable);
    if (::rename(tmp.c_str(), (root_ + "/" + id).c_str()) != 0)
      throw SysError(errno, "cannot rename " + tmp);
  } catch (...) {
    if (read_link(root_ + "/names/" + name) == id) ::unlink((root_ + "/names/" + name).c_str());
    remove_dir_files(tmp);
    throw;
  }
  return Created{ContainerDir(root_, id, durable), std::move(lock)};
}

void Store::remove(const ContainerDir& dir, const std::string& name,
                   const std::optional<std::string>& files_dir) const {
  std::string n = name, files = files_dir.value_or("");
  if (n.empty() || !files_dir) {
    try {
      auto config = dir.config();
      if (n.empty()) n = config.value("name", "");
      if (!files_dir) files = config.value("files_dir", "");
    } catch (const Error&) {
    }
  }
  if (!n.empty() && read_link(root_ + "/names/" + n) != dir.id()) {
    try {  // renamed since its owner learned its name
      n = dir.config().value("name", "");
    } catch (const Error&) {
    }
  }
  if (!n.empty() && read_link(root_ + "/names/" + n) == dir.id())
    ::unlink((root_ + "/names/" + n).c_str());
  // The layers first: a crash in between leaves a directory `prune` still finds.
  if (!files.empty()) mydocker::remove_tree(files);
  remove_dir_files(dir.path());
}

void Store::rename(const std::string& ref, const std::string& name) const {
  const ContainerDir dir = open(ref);
  auto config = dir.config();
  const std::string old = config.value("name", "");
  if (old == name) throw Error("cannot rename " + old + ": it already has that name");
  reserve_name(name, dir.id());
  Event renamed;
  try {
    config["name"] = name;
    write_file_atomic(dir.path() + "/config.json", json_text(config) + "\n");
    renamed =
        container_event("rename", dir.id(), dir.update([&](ContainerState& s) { s.name = name; }));
  } catch (...) {
    if (read_link(root_ + "/names/" + name) == dir.id())
      ::unlink((root_ + "/names/" + name).c_str());
    throw;
  }
  if (!old.empty() && read_link(root_ + "/names/" + old) == dir.id())
    ::unlink((root_ + "/names/" + old).c_str());
  renamed.attributes["oldName"] = "/" + old;  // docker's: with its slash
  record_event(root_, std::move(renamed));
}

void Store::remove_abandoned(const std::string& path) const { remove_dir_files(path); }

std::vector<std::string> Store::ids() const {
  std::vector<std::string> out;
  for (auto& e : list_dir(root_))
    if (is_container_id(e)) out.push_back(e);
  return out;
}

std::string Store::name_of(const std::string& id) const {
  try {
    return ContainerDir(root_, id).config().value("name", "");
  } catch (const Error&) {
    return "";
  }
}

std::optional<std::string> Store::named(const std::string& name) const {
  std::string id = read_link(root_ + "/names/" + name);
  if (id.empty() || ::access((root_ + "/" + id).c_str(), F_OK) != 0) return std::nullopt;
  return id;
}

std::string Store::resolve(const std::string& ref) const {
  if (ref.empty()) throw NotFound("No such container: (empty)");
  if (is_container_id(ref) && ::access((root_ + "/" + ref).c_str(), F_OK) == 0) return ref;
  if (auto id = named(ref)) return *id;  // a name wins over an id prefix, as in docker
  std::vector<std::string> matches;
  for (const auto& id : ids())
    if (id.compare(0, ref.size(), ref) == 0) matches.push_back(id);
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) throw NotFound("No such container: " + ref);
  throw Error("multiple containers match the prefix " + ref + ": use more of the id");
}

std::vector<std::string> Store::abandoned() const {
  std::vector<std::string> out;
  for (const auto& e : list_dir(root_))
    if (e.rfind(kTmpPrefix, 0) == 0 && !is_locked(root_ + "/" + e + "/supervisor.lock"))
      out.push_back(root_ + "/" + e);
  return out;
}

std::string generate_name(const std::string& id) {
  static const char* const kLeft[] = {"brave", "calm",   "eager",  "gentle", "happy",
                                      "jolly", "keen",   "lucid",  "nimble", "quiet",
                                      "sharp", "sturdy", "tender", "vivid",  "witty"};
  static const char* const kRight[] = {"babbage", "curie",    "dijkstra", "hopper",  "knuth",
                                       "lamport", "liskov",   "lovelace", "noether", "ritchie",
                                       "shannon", "thompson", "torvalds", "turing",  "wirth"};
  // From the id's own randomness, plus its first hex digits so names rarely collide.
  unsigned a = std::stoul(id.substr(0, 2), nullptr, 16),
           b = std::stoul(id.substr(2, 2), nullptr, 16);
  return std::string(kLeft[a % 15]) + "_" + kRight[b % 15] + "_" + id.substr(4, 4);
}

}  // namespace mydocker
