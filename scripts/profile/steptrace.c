// steptrace: runs a command under ptrace, one instruction at a time, and prints each distinct
// instruction address it executed (hex, one per line). scripts/hot-symbols.sh maps them to
// the functions that make `mydocker run`'s hot path (the link's --symbol-ordering-file).
// Only the command's own process is stepped (a clone it makes runs free); signals it gets are
// passed on. Slow (a few hundred thousand steps a second): for profiling, never for tests.
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

// An open-addressing set of addresses.
static uint64_t* table;
static size_t capacity = 1 << 22, used;

static void grow(void);
static void add(uint64_t a) {
  size_t i = (a * 0x9E3779B97F4A7C15ull) & (capacity - 1);
  while (table[i] && table[i] != a) i = (i + 1) & (capacity - 1);
  if (table[i]) return;
  table[i] = a;
  if (++used * 2 > capacity) grow();
}
static void grow(void) {
  uint64_t* old = table;
  size_t n = capacity;
  capacity *= 2;
  used = 0;
  table = calloc(capacity, sizeof *table);
  for (size_t i = 0; i < n; ++i)
    if (old[i]) add(old[i]);
  free(old);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: steptrace COMMAND [ARG...] > addresses\n");
    return 2;
  }
  table = calloc(capacity, sizeof *table);
  const pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  int status = 0, sig = 0;
  waitpid(pid, &status, 0);  // stopped at the exec
  for (;;) {
    if (ptrace(PTRACE_SINGLESTEP, pid, 0, (void*)(intptr_t)sig) != 0) break;
    if (waitpid(pid, &status, 0) < 0 || WIFEXITED(status) || WIFSIGNALED(status)) break;
    sig = WIFSTOPPED(status) && WSTOPSIG(status) != SIGTRAP ? WSTOPSIG(status) : 0;
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0) add(regs.rip);
  }
  for (size_t i = 0; i < capacity; ++i)
    if (table[i]) printf("%llx\n", (unsigned long long)table[i]);
  fprintf(stderr, "steptrace: %zu distinct addresses\n", used);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
