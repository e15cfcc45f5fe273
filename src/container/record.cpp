#include "mydocker/container/record.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cgroup/subsystem.hpp"
#include "mydocker/util/id.hpp"

namespace mydocker {
namespace {

constexpr const char* kStateFile = "state.json";

void make_dirs(const std::string& path, mode_t mode) {
  std::string cur;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    cur = path.substr(0, j);
    i = j + 1;
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST)
      throw SysError(errno, "cannot create the state directory " + cur);
  }
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = ::opendir(path.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  ::closedir(d);
  return out;
}

void remove_record_dir(const std::string& dir) {
  ::unlink((dir + "/" + kStateFile).c_str());
  ::unlink((dir + "/" + kStateFile + ".tmp").c_str());
  ::rmdir(dir.c_str());
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content, bool durable) {
  const std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) throw SysError(errno, "cannot write " + tmp);
  if (!write_all(fd.get(), content.data(), content.size()) || (durable && ::fsync(fd.get()) != 0))
    throw SysError(errno, "cannot write " + tmp);
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw SysError(errno, "cannot rename " + tmp);
}

RunRecord RunRecord::create(const std::string& root, const std::string& id,
                            const nlohmann::json& state) {
  make_dirs(root, 0700);
  RunRecord r;
  r.dir_ = root + "/" + id;
  // mkdir, lock, then check the directory is still linked: a prune may have taken the lock in
  // between and removed it (prune only removes what it holds locked). Then start again.
  for (int attempt = 0;; ++attempt) {
    if (::mkdir(r.dir_.c_str(), 0700) != 0)
      throw SysError(errno, "cannot create the container's state directory " + r.dir_);
    r.lock_.reset(::open(r.dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!r.lock_ || ::flock(r.lock_.get(), LOCK_EX) != 0)
      throw SysError(errno, "cannot lock " + r.dir_);
    struct stat st;
    if (::fstat(r.lock_.get(), &st) == 0 && st.st_nlink > 0) break;
    if (attempt >= 3) throw Error("cannot create the container's state directory " + r.dir_);
  }
  // Not fsynced: the record describes cgroups and processes, which do not outlive a crash of
  // the machine either; atomic rename is what matters (prune never reads half a record).
  write_file_atomic(r.dir_ + "/" + kStateFile, state.dump(2) + "\n", /*durable=*/false);
  return r;
}

RunRecord::~RunRecord() { remove(); }

void RunRecord::remove() noexcept {
  if (dir_.empty()) return;
  remove_record_dir(dir_);
  dir_.clear();
  lock_.reset();
}

PruneReport prune(const Fs& fs, const std::string& root,
                  const std::vector<std::string>& default_parents) {
  PruneReport report;
  std::set<std::string> recorded;
  for (const auto& id : list_dir(root)) {
    if (!is_container_id(id)) continue;
    recorded.insert(id);
    const std::string dir = root + "/" + id;
    UniqueFd lock(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!lock) continue;
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
      report.live.push_back(short_id(id));  // its mydocker holds the lock: alive
      continue;
    }
    bool clean = true;
    nlohmann::json state;
    if (auto text = fs.read_if_exists(dir + "/" + kStateFile)) {
      state = nlohmann::json::parse(*text, nullptr, false);
      if (state.is_discarded()) state = nlohmann::json::object();
    }
    for (const auto& cg : state.value("cgroups", std::vector<std::string>{})) {
      try {
        for (int round = 0; round < 50 && kill_cgroup_procs(fs, cg, id) > 0; ++round)
          ::usleep(2000);
        if (fs.exists(cg)) {
          remove_cgroup_dir(fs, cg);
          report.removed.push_back(cg);
        }
      } catch (const std::exception& e) {
        report.problems.emplace_back(e.what());
        clean = false;
      }
    }
    for (const auto& parent : state.value("cgroup_parents", std::vector<std::string>{}))
      (void)fs.remove_dir(parent);  // when empty
    if (clean) {
      remove_record_dir(dir);
      report.removed.push_back(dir);
    }
  }
  for (const auto& parent : default_parents)
    for (const auto& name : list_dir(parent))
      if (is_container_id(name) && !recorded.count(name))
        report.foreign.push_back(path_join(parent, name));
  return report;
}

}  // namespace mydocker
