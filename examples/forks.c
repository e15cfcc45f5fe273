/* forks: tries to start N child processes (each sleeps 2 s), and says how many it could.
 *
 *   forks [N]    default 10
 *
 * Output: "forks: 4 of 10 succeeded, first error: Resource temporarily unavailable". Under
 * `mydocker run --pids-limit 5` only 4 succeed: the container's init is the fifth process. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  int ok = 0, first_error = 0;
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      sleep(2);
      _exit(0);
    }
    if (pid > 0)
      ++ok;
    else if (!first_error)
      first_error = errno;
  }
  printf("forks: %d of %d succeeded", ok, n);
  if (first_error) printf(", first error: %s", strerror(first_error));
  printf("\n");
  fflush(stdout);
  while (wait(NULL) > 0) {
  }
  return ok == n ? 0 : 1;
}
