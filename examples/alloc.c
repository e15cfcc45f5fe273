/* alloc: allocates and touches memory step by step (seed 001's test program).
 *
 *   alloc [STEP_MIB [MAX_MIB [DELAY_MS]]]   defaults: 1 MiB steps, no maximum, 0 ms
 *
 * Prints "N MiB" after each step. Under `mydocker run -mem 10m` the OOM killer stops it at
 * about 10 MiB; with a MAX_MIB below the limit it exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long step = argc > 1 ? atol(argv[1]) : 1;
  long max = argc > 2 ? atol(argv[2]) : 0;
  long delay_ms = argc > 3 ? atol(argv[3]) : 0;
  if (step <= 0) step = 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (long total = step; max == 0 || total <= max; total += step) {
    char* p = malloc((size_t)step << 20);
    if (!p) {
      perror("malloc");
      return 1;
    }
    memset(p, 1, (size_t)step << 20); /* touch every page: RSS grows for real */
    printf("%ld MiB\n", total);
    if (delay_ms > 0) usleep((useconds_t)delay_ms * 1000);
  }
  return 0;
}
