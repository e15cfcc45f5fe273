#include "mydocker/util/memory.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

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

void release_idle_memory() {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return;
  exe[n] = '\0';
  Mapping clean[kMaxRanges];
  const int count = clean_mappings(exe, static_cast<size_t>(n), clean);
  ::malloc_trim(0);
  // Last, so that little code runs between this and the caller's sleep (each page touched
  // after it comes back with its neighbours: the kernel maps up to 64 KiB around a fault).
  for (int i = 0; i < count; ++i)
    ::madvise(reinterpret_cast<void*>(clean[i].start), clean[i].end - clean[i].start,
              MADV_DONTNEED);
}

}  // namespace mydocker
