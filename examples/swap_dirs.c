/* swap_dirs: a hostile container's racer for the commit test. Makes DIR/d (a directory of 50
 * files) and DIR/s (a symlink to TARGET), then exchanges the two names forever
 * (renameat2 RENAME_EXCHANGE): a walk of the container's layer that opens DIR/d after checking
 * it was a directory may find the symlink there.
 *   swap_dirs DIR TARGET */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: swap_dirs DIR TARGET\n");
    return 2;
  }
  char d[4096], s[4096], f[4200];
  snprintf(d, sizeof d, "%s/d", argv[1]);
  snprintf(s, sizeof s, "%s/s", argv[1]);
  mkdir(argv[1], 0755);
  mkdir(d, 0755);
  for (int i = 0; i < 50; i++) {
    snprintf(f, sizeof f, "%s/f%02d", d, i);
    close(open(f, O_WRONLY | O_CREAT, 0644));
  }
  if (symlink(argv[2], s) != 0) perror("symlink");
  for (;;)
    if (syscall(SYS_renameat2, AT_FDCWD, d, AT_FDCWD, s, 2 /* RENAME_EXCHANGE */) != 0) {
      perror("renameat2");
      return 1;
    }
}
