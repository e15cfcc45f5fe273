#include "mydocker/cgroup/v1/memory.hpp"

#include <cerrno>
#include <cstdlib>

#include "mydocker/util/units.hpp"

namespace mydocker::v1 {
namespace {

// The kernel's "unlimited" on v1 is PAGE_COUNTER_MAX pages, read back as a huge number.
constexpr uint64_t kUnlimitedAbove = uint64_t{1} << 62;

// EBUSY means the new limit is below what the cgroup already uses: say how much (runc does too).
[[noreturn]] void limit_below_usage(const Fs& fs, const std::string& dir, const FsError& e) {
  auto usage = read_u64(fs, path_join(dir, "memory.usage_in_bytes"));
  auto peak = read_u64(fs, path_join(dir, "memory.max_usage_in_bytes"));
  throw Error(std::string(e.what()) + " (memory limit " +
              format_size(std::stoll(e.value())) + " is below current usage " +
              format_size(static_cast<int64_t>(usage)) + ", peak " +
              format_size(static_cast<int64_t>(peak)) + ")");
}

}  // namespace

void Memory::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  if (!r.memory) return;
  const std::string value = std::to_string(*r.memory);
  const std::string limit = path_join(dir, "memory.limit_in_bytes");
  const std::string memsw = path_join(dir, "memory.memsw.limit_in_bytes");
  // memsw exists only with swap accounting; probe the parent in --dry-run (no dir of our own).
  const bool has_memsw = fs.exists(path_join(existing_dir(fs, dir), "memory.memsw.limit_in_bytes"));
  try {
    // The kernel keeps limit <= memsw limit: lowering writes the limit first, raising the
    // memsw limit first. A new cgroup's memsw is unlimited, so limit-first works; a limit above
    // the current memsw limit (an update) fails with EINVAL and is retried the other way round.
    try {
      fs.write(limit, value);
      if (has_memsw) fs.write(memsw, value);
    } catch (const FsError& e) {
      if (e.err() != EINVAL || e.path() != limit || !has_memsw) throw;
      fs.write(memsw, value);
      fs.write(limit, value);
    }
  } catch (const FsError& e) {
    if (e.err() == EBUSY) limit_below_usage(fs, dir, e);
    throw;
  }
  // memsw = limit already forbids swap beyond the limit; swappiness 0 also keeps the kernel
  // from swapping the container's pages out early (seed 000).
  const std::string swappiness = path_join(dir, "memory.swappiness");
  if (fs.exists(path_join(existing_dir(fs, dir), "memory.swappiness"))) fs.write(swappiness, "0");
}

namespace {

uint64_t read_oom_kills(const Fs& fs, const std::string& dir) {
  // memory.oom_control: "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"
  auto text = fs.read_if_exists(path_join(dir, "memory.oom_control"));
  if (!text) return 0;
  auto pos = text->find("\noom_kill ");
  return pos == std::string::npos ? 0 : std::strtoull(text->c_str() + pos + 10, nullptr, 10);
}

void read_limit_and_peak(const Fs& fs, const std::string& dir, MemoryStats& m) {
  uint64_t limit = read_u64(fs, path_join(dir, "memory.limit_in_bytes"));
  if (limit < kUnlimitedAbove) m.limit = static_cast<int64_t>(limit);
  m.peak = read_u64(fs, path_join(dir, "memory.max_usage_in_bytes"));
}

}  // namespace

MemoryStats Memory::oom_report(const Fs& fs, const std::string& dir) {
  MemoryStats m;
  m.oom_kills = read_oom_kills(fs, dir);
  if (m.oom_kills > 0) read_limit_and_peak(fs, dir, m);
  return m;
}

void Memory::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  MemoryStats m;
  read_limit_and_peak(fs, dir, m);
  m.usage = read_u64(fs, path_join(dir, "memory.usage_in_bytes"));
  m.failcnt = read_u64(fs, path_join(dir, "memory.failcnt"));
  m.oom_kills = read_oom_kills(fs, dir);
  out.memory = m;
}

}  // namespace mydocker::v1
