#pragma once
// A run's record under the state root (/run/mydocker/<id>/state.json), locked for as long as the
// run's mydocker lives. It is written before the first cgroup is made and removed after the last
// is gone, so `mydocker prune` can tell a crashed run (lock free) from a live one (lock held),
// even one that is still setting up.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker {

class RunRecord {
 public:
  // Creates <root>/<id>/ holding state.json, locked (flock) by this process. Throws Error.
  static RunRecord create(const std::string& root, const std::string& id,
                          const nlohmann::json& state);
  RunRecord(RunRecord&&) = default;
  RunRecord& operator=(RunRecord&&) = default;
  ~RunRecord();

  // Removes the record (call once the cgroups are gone).
  void remove() noexcept;
  // Leaves the record for `mydocker prune` (teardown failed).
  void keep() noexcept { dir_.clear(); }

 private:
  RunRecord() = default;
  std::string dir_;
  UniqueFd lock_;
};

// Writes `path` atomically: a temp file, fsync (when `durable`), rename. Readers see the old
// file or the new one, never half of one. Throws Error.
void write_file_atomic(const std::string& path, const std::string& content, bool durable = true);

struct PruneReport {
  std::vector<std::string> removed;   // cgroup directories and records removed
  std::vector<std::string> live;      // containers whose mydocker is alive: left alone
  std::vector<std::string> foreign;   // container cgroups with no record here: left alone
  std::vector<std::string> problems;  // what could not be removed
};

// Cleans up after runs whose mydocker died (kill -9): kills what is left in their cgroups,
// removes the cgroups and the records. `default_parents` are the directories where mydocker
// puts containers by default; they are scanned for cgroups without a record (reported only).
PruneReport prune(const Fs& fs, const std::string& root,
                  const std::vector<std::string>& default_parents);

}  // namespace mydocker
