#include "mydocker/cgroup/v1/memory.hpp"

#include <unistd.h>

#include <cerrno>

#include "mydocker/util/units.hpp"

namespace mydocker::v1 {
namespace {

// The kernel keeps memory limits in pages: what it reads back.
std::string page_rounded(int64_t bytes) {
  const int64_t page = ::sysconf(_SC_PAGESIZE);
  return std::to_string(bytes / page * page);
}

// EBUSY: the new limit is below what the cgroup already uses. Say how much (runc does too).
[[noreturn]] void limit_below_usage(const Fs& fs, const std::string& dir, const FsError& e) {
  auto usage = read_u64(fs, path_join(dir, "memory.usage_in_bytes"));
  auto peak = read_u64(fs, path_join(dir, "memory.max_usage_in_bytes"));
  throw Error(std::string(e.what()) + " (memory limit " + format_size(std::stoll(e.value())) +
              " is below current usage " + format_size(static_cast<int64_t>(usage)) + ", peak " +
              format_size(static_cast<int64_t>(peak)) + ")");
}

void set_limits(const Fs& fs, const std::string& dir, const Resources& r) {
  const std::string limit = path_join(dir, "memory.limit_in_bytes");
  const std::string memsw = path_join(dir, "memory.memsw.limit_in_bytes");
  const bool has_memsw = has_file(fs, dir, "memory.memsw.limit_in_bytes");
  if (!r.memory) return;
  // Without --memory-swap: memory+swap = memory, i.e. no swap beyond the limit (so a process
  // over its limit is OOM-killed instead of swapping: seed 001's surprise).
  const int64_t swap = r.memory_swap.value_or(*r.memory);
  auto write_limit = [&] {
    fs.write_verified(limit, std::to_string(*r.memory), page_rounded(*r.memory));
  };
  auto write_memsw = [&] {
    if (!has_memsw) return;
    if (swap == -1)
      fs.write(memsw, "-1");
    else
      fs.write_verified(memsw, std::to_string(swap), page_rounded(swap));
  };
  try {
    // The kernel keeps limit <= memsw limit: lowering writes the limit first, raising the
    // memsw limit first. A new cgroup's memsw is unlimited, so limit-first works; a limit above
    // the current memsw limit (an update) fails with EINVAL and is retried the other way round.
    try {
      write_limit();
      write_memsw();
    } catch (const FsError& e) {
      if (e.err() != EINVAL || e.path() != limit || !has_memsw) throw;
      write_memsw();
      write_limit();
    }
  } catch (const FsError& e) {
    if (e.err() == EBUSY && e.path() == limit) limit_below_usage(fs, dir, e);
    throw;
  }
}

}  // namespace

void Memory::check(const Fs& fs, const std::string& dir, const Resources& r) const {
  const std::string memsw = path_join(dir, "memory.memsw.limit_in_bytes");
  // -1 (unlimited swap) is what a kernel without swap accounting gives anyway (nothing written).
  if (r.memory_swap && *r.memory_swap != -1 && !has_file(fs, dir, "memory.memsw.limit_in_bytes"))
    throw Error("--memory-swap needs swap accounting, and " + memsw +
                " does not exist (boot the kernel with swapaccount=1)");
  if (r.memory_swappiness && !has_file(fs, dir, "memory.swappiness"))
    throw Error("--memory-swappiness: this kernel has no memory.swappiness");
}

void Memory::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  check(fs, dir, r);
  set_limits(fs, dir, r);
  if (r.memory_reservation)
    fs.write_verified(path_join(dir, "memory.soft_limit_in_bytes"),
                      std::to_string(*r.memory_reservation), page_rounded(*r.memory_reservation));
  // Swappiness 0 with a limit and no swap granted (seed 000): the kernel does not swap the
  // container's pages out early. Not when --memory-swap grants swap (above -m, or -1): on v1 a
  // cgroup with swappiness 0 never swaps at its limit, and the swap asked for would go unused
  // (an OOM kill at -m instead). An explicit --memory-swappiness wins.
  const bool has_swappiness = has_file(fs, dir, "memory.swappiness");
  const bool swap_granted =
      r.memory_swap && (*r.memory_swap == -1 || (r.memory && *r.memory_swap > *r.memory));
  if (r.memory_swappiness) {
    fs.write_verified(path_join(dir, "memory.swappiness"), std::to_string(*r.memory_swappiness));
  } else if (r.memory && has_swappiness && !r.inherit_swappiness && !swap_granted) {
    fs.write(path_join(dir, "memory.swappiness"), "0");
  }
  if (r.oom_kill_disable) {
    const std::string oom = path_join(dir, "memory.oom_control");
    fs.write(oom, "1");
    if (!fs.dry_run() && read_keyed(fs, oom)["oom_kill_disable"] != 1)
      throw Error("the kernel did not take \"1\" for " + oom + " (--oom-kill-disable)");
  }
}

MemoryStats Memory::oom_report(const Fs& fs, const std::string& dir) {
  MemoryStats m;
  m.oom_kills = read_keyed(fs, path_join(dir, "memory.oom_control"))["oom_kill"];
  if (m.oom_kills > 0) {
    if (auto text = fs.read_if_exists(path_join(dir, "memory.limit_in_bytes")))
      m.limit = parse_limit(*text);
    m.peak = read_u64(fs, path_join(dir, "memory.max_usage_in_bytes"));
  }
  return m;
}

void Memory::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  MemoryStats m = oom_report(fs, dir);
  if (auto text = fs.read_if_exists(path_join(dir, "memory.limit_in_bytes")))
    m.limit = parse_limit(*text);
  m.usage = read_u64(fs, path_join(dir, "memory.usage_in_bytes"));
  m.peak = read_u64(fs, path_join(dir, "memory.max_usage_in_bytes"));
  m.failcnt = read_u64(fs, path_join(dir, "memory.failcnt"));
  // memory.stat: the hierarchical total_* counters include child cgroups.
  auto stat = read_keyed(fs, path_join(dir, "memory.stat"));
  auto get = [&](const char* key) {
    auto total = stat.find(std::string("total_") + key);
    return total != stat.end() ? total->second : stat[key];
  };
  m.cache = get("cache");
  m.rss = get("rss");
  m.swap = get("swap");
  m.inactive_file = get("inactive_file");
  out.memory = m;
}

}  // namespace mydocker::v1
