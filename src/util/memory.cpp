#include "mydocker/util/memory.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mydocker/util/raw_syscall.hpp"

namespace mydocker {
namespace {

// One mapping of /proc/self/smaps: its range, whether it is our binary's and not writable,
// and how much of it this process has changed (Anonymous: copy-on-write pages).
struct Mapping {
  unsigned long start = 0, end = 0;
  bool ours_read_only = false;
  long anonymous_kb = -1;
  bool clean() const { return ours_read_only && anonymous_kb == 0; }
};

constexpr int kMaxRanges = 16;

// The clean mappings of our binary (a static binary has three or four).
int clean_mappings(const char* exe, size_t len, Mapping (&out)[kMaxRanges]) {
  FILE* f = std::fopen("/proc/self/smaps", "re");
  if (!f) return 0;
  int count = 0;
  Mapping m;
  char line[4096 + 128];
  auto keep = [&] {
    if (m.clean() && count < kMaxRanges) out[count++] = m;
  };
  while (std::fgets(line, sizeof line, f)) {
    unsigned long start, end;
    char perms[8];
    long kb;
    if (std::sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3) {
      keep();
      const char* path = std::strchr(line, '/');
      m = Mapping{start, end, false, -1};
      m.ours_read_only = path && perms[1] != 'w' && std::strncmp(path, exe, len) == 0 &&
                         (path[len] == '\n' || path[len] == '\0');
    } else if (std::sscanf(line, "Anonymous: %ld", &kb) == 1) {
      m.anonymous_kb = kb;
    }
  }
  keep();
  std::fclose(f);
  return count;
}

}  // namespace

int release_idle_memory_and_poll(pollfd* fds, size_t count, int timeout_ms) {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  Mapping clean[kMaxRanges];
  int ranges = 0;
  if (n > 0) {
    exe[n] = '\0';
    ranges = clean_mappings(exe, static_cast<size_t>(n), clean);
  }
  ::malloc_trim(0);
  // Raw system calls from here to the sleep: only this function's own page comes back.
  for (int i = 0; i < ranges; ++i)
    raw_syscall(SYS_madvise, static_cast<long>(clean[i].start),
                static_cast<long>(clean[i].end - clean[i].start), MADV_DONTNEED);
#if defined(__x86_64__)
  const long ready =
      raw_syscall(SYS_poll, reinterpret_cast<long>(fds), static_cast<long>(count), timeout_ms);
  if (ready >= 0) return static_cast<int>(ready);
  errno = static_cast<int>(-ready);
  return -1;
#else
  return ::poll(fds, count, timeout_ms);  // no raw poll(2) here: libc's (ppoll underneath)
#endif
}

}  // namespace mydocker
