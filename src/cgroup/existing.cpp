#include "mydocker/cgroup/existing.hpp"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <thread>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/cgroup/v1/manager.hpp"
#include "mydocker/cgroup/v2/device_filter.hpp"
#include "mydocker/cgroup/v2/manager.hpp"

namespace mydocker {
namespace {

std::vector<std::unique_ptr<Subsystem>> subsystems_for(const std::string& mode) {
  return mode == "v2" ? v2::make_controllers() : v1::make_subsystems();
}

std::string_view flag_for(std::string_view controller) {
  if (controller == "memory") return "memory";
  if (controller == "cpu") return "CPU";
  if (controller == "cpuset") return "cpuset";
  if (controller == "pids") return "pids";
  return "I/O";
}

}  // namespace

ExistingCgroups::ExistingCgroups(const Fs& fs, std::string mode,
                                 std::map<std::string, std::string> paths, std::string id)
    : fs_(fs), mode_(std::move(mode)), paths_(std::move(paths)), id_(std::move(id)) {}

std::string ExistingCgroups::any_dir() const {
  auto it = paths_.find("memory");
  if (it != paths_.end()) return it->second;
  return paths_.empty() ? "" : paths_.begin()->second;
}

Stats ExistingCgroups::stats() const {
  Stats out;
  for (const auto& s : subsystems_for(mode_)) {
    auto it = paths_.find(std::string(s->name()));
    if (it != paths_.end()) s->stats(fs_, it->second, out);
  }
  return out;
}

void ExistingCgroups::update(const Resources& r) const {
  for (const auto& s : subsystems_for(mode_)) {
    if (!s->needed(r)) continue;
    auto it = paths_.find(std::string(s->name()));
    if (it == paths_.end())
      throw Error("the container has no " + std::string(s->name()) + " cgroup, so its " +
                  std::string(flag_for(s->name())) +
                  " limits cannot change (a foreground container joins only the controllers "
                  "its limits need; a detached one joins all)");
    s->set(fs_, it->second, r);
  }
  if (mode_ == "v2" && !r.devices.empty()) v2::attach_device_filter(fs_, any_dir(), r.devices);
}

void ExistingCgroups::freeze(bool frozen) const {
  std::string file, want, done_file;
  if (mode_ == "v2") {
    const std::string dir = any_dir();
    file = path_join(dir, "cgroup.freeze");
    fs_.write(file, frozen ? "1" : "0");
    done_file = path_join(dir, "cgroup.events");
    want = frozen ? "frozen 1" : "frozen 0";
  } else {
    auto it = paths_.find("freezer");
    if (it == paths_.end())
      throw Error(
          "the container has no freezer cgroup (a foreground container joins only the "
          "controllers its limits need; a detached one joins all)");
    file = path_join(it->second, "freezer.state");
    fs_.write(file, frozen ? "FROZEN" : "THAWED");
    done_file = file;
    want = frozen ? "FROZEN" : "THAWED";
  }
  // Freezing takes a moment (FREEZING): wait for it, at most 5 s.
  for (int i = 0; i < 500; ++i) {
    auto now = fs_.read_if_exists(done_file).value_or("");
    if (now.find(want) != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw Error("the kernel did not finish " + std::string(frozen ? "freezing" : "thawing") + " " +
              file);
}

std::vector<pid_t> ExistingCgroups::pids() const {
  std::vector<pid_t> out;
  auto text = fs_.read_if_exists(path_join(any_dir(), "cgroup.procs")).value_or("");
  size_t i = 0;
  while (i < text.size()) {
    size_t nl = text.find('\n', i);
    if (nl == std::string::npos) nl = text.size();
    pid_t pid = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + nl, pid);
    if (ec == std::errc() && pid > 0) out.push_back(pid);
    i = nl + 1;
  }
  return out;
}

int ExistingCgroups::kill_all() const {
  int killed = 0;
  std::vector<std::string> done;
  for (const auto& [controller, dir] : paths_) {
    if (std::find(done.begin(), done.end(), dir) != done.end() || !fs_.exists(dir)) continue;
    done.push_back(dir);
    killed += kill_cgroup_procs(fs_, dir, id_);
  }
  return killed;
}

bool pid_in_container(pid_t pid, const std::string& id) {
  if (pid <= 1 || id.size() != 64) return false;
  Fs fs;
  auto text = fs.read_if_exists("/proc/" + std::to_string(pid) + "/cgroup");
  return text && text->find(id) != std::string::npos;
}

}  // namespace mydocker
