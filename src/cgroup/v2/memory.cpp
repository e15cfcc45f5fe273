#include <unistd.h>

#include "mydocker/cgroup/v2/controllers.hpp"

namespace mydocker::v2 {
namespace {

std::string page_rounded(int64_t bytes) {
  const int64_t page = ::sysconf(_SC_PAGESIZE);
  return std::to_string(bytes / page * page);
}

}  // namespace

void Memory::check(const Fs& fs, const std::string& dir, const Resources& r) const {
  // -1 (unlimited swap) is what a kernel without swap accounting gives anyway: nothing to write.
  if (!r.memory_swap || (*r.memory_swap == -1 && !has_file(fs, dir, "memory.swap.max"))) return;
  if (!has_file(fs, dir, "memory.swap.max"))
    throw Error("--memory-swap needs swap accounting, and memory.swap.max does not exist in " +
                dir);
  (void)memory_swap_to_v2(*r.memory_swap, r.memory);  // with a memory limit, not below it
}

void Memory::set(const Fs& fs, const std::string& dir, const Resources& r) const {
  check(fs, dir, r);
  if (r.memory)
    fs.write_verified(path_join(dir, "memory.max"), std::to_string(*r.memory),
                      page_rounded(*r.memory));
  const bool has_swap = has_file(fs, dir, "memory.swap.max");
  if (r.memory_swap && (has_swap || *r.memory_swap != -1)) {
    // docker's --memory-swap is memory+swap; v2's memory.swap.max is the swap alone (so it is
    // written again whenever the memory limit changes: `update` passes both).
    const int64_t swap = memory_swap_to_v2(*r.memory_swap, r.memory);
    if (swap < 0)
      fs.write_verified(path_join(dir, "memory.swap.max"), "max");
    else
      fs.write_verified(path_join(dir, "memory.swap.max"), std::to_string(swap),
                        page_rounded(swap));
  } else if (r.memory && has_swap) {
    // No --memory-swap: no swap beyond the limit, as on v1 (memsw = limit).
    fs.write_verified(path_join(dir, "memory.swap.max"), "0");
  }
  if (r.memory_reservation)
    fs.write_verified(path_join(dir, "memory.low"), std::to_string(*r.memory_reservation),
                      page_rounded(*r.memory_reservation));
}

MemoryStats Memory::oom_report(const Fs& fs, const std::string& dir) {
  MemoryStats m;
  m.oom_kills = read_keyed(fs, path_join(dir, "memory.events"))["oom_kill"];
  if (m.oom_kills > 0) {
    if (auto text = fs.read_if_exists(path_join(dir, "memory.max"))) m.limit = parse_limit(*text);
    m.peak = read_u64(fs, path_join(dir, "memory.peak"));
  }
  return m;
}

void Memory::stats(const Fs& fs, const std::string& dir, Stats& out) const {
  MemoryStats m;
  if (auto text = fs.read_if_exists(path_join(dir, "memory.max"))) m.limit = parse_limit(*text);
  m.usage = read_u64(fs, path_join(dir, "memory.current"));
  m.peak = read_u64(fs, path_join(dir, "memory.peak"));
  auto events = read_keyed(fs, path_join(dir, "memory.events"));
  m.failcnt = events["max"];
  m.oom_kills = events["oom_kill"];
  auto stat = read_keyed(fs, path_join(dir, "memory.stat"));
  m.cache = stat["file"];
  m.rss = stat["anon"];
  m.inactive_file = stat["inactive_file"];
  m.swap = read_u64(fs, path_join(dir, "memory.swap.current"));
  out.memory = m;
}

}  // namespace mydocker::v2
