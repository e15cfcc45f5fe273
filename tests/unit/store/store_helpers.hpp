#pragma once
// Helpers for the tests of the container store and the commands that read it: a Store on a
// mkdtemp directory (never /run/mydocker), fixed container ids, RFC 3339 times at a chosen
// second, and a probe of a lock file from a new open file description.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/store/state.hpp"
#include "mydocker/store/store.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker::test {

// A 64-hex container id made of `prefix` padded with `fill`.
inline std::string make_id(const std::string& prefix, char fill = '0') {
  std::string id = prefix;
  id.resize(64, fill);
  return id;
}

// RFC 3339 with nanoseconds (now_rfc3339's shape) of a whole second since the epoch.
inline std::string rfc3339_at(time_t seconds) {
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000000000Z", &tm);
  return buf;
}

// A config.json as make_config writes it, with the fields ps reads.
inline nlohmann::json sample_config(const std::string& id, const std::string& name,
                                    const std::string& created = now_rfc3339(),
                                    const std::string& limits = "-") {
  return {{"id", id},
          {"name", name},
          {"created", created},
          {"path", "sleep"},
          {"args", std::vector<std::string>{"1000"}},
          {"limits", limits}};
}

// Whether another open file description could not take a shared flock on `path` (what
// ContainerDir::supervisor_alive checks, seen from the test's own hand).
inline bool lock_is_held(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

// Names of the entries of `dir` (not "." and "..").
inline std::vector<std::string> entries_of(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    out.push_back(e.path().filename().string());
  return out;
}

// A Store on a fresh temp directory, removed in TearDown even when the test failed.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = make_temp_dir();
    store_ = std::make_unique<Store>(root_);
  }
  void TearDown() override {
    store_.reset();
    remove_tree(root_);
  }
  const Store& store() const { return *store_; }
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }

  // Creates a container with `state` and lets go of its supervisor lock (nondurable: no fsync).
  ContainerDir create_released(const std::string& id, const std::string& name,
                               const ContainerState& state = ContainerState{},
                               const nlohmann::json& config = nullptr) {
    auto created =
        store().create(id, name, config.is_null() ? sample_config(id, name) : config, state, false);
    created.supervisor_lock.reset();
    return created.dir;
  }

  std::string root_;
  std::unique_ptr<Store> store_;
};

}  // namespace mydocker::test
