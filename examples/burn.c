/* burn: keeps one CPU busy for SECONDS of wall-clock time, then prints the CPU time it got.
 *
 *   burn [SECONDS]    default 3
 *
 * Output: "wall 3.000 cpu 0.600 ratio 0.200". Under `mydocker run -cpu 20` the ratio is
 * about 0.20: the CFS quota lets it run 20 ms of every 100 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  double duration = argc > 1 ? atof(argv[1]) : 3.0;
  double start = seconds(CLOCK_MONOTONIC), cpu_start = seconds(CLOCK_PROCESS_CPUTIME_ID);
  volatile unsigned long spins = 0;
  while (seconds(CLOCK_MONOTONIC) - start < duration)
    for (int i = 0; i < 100000; ++i) ++spins;
  double wall = seconds(CLOCK_MONOTONIC) - start;
  double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
  printf("wall %.3f cpu %.3f ratio %.3f\n", wall, cpu, cpu / wall);
  return 0;
}
