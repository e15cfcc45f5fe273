// kernel_floor: the least a hardened container of an image costs on this kernel, for
// scripts/bench.sh to print next to mydocker. It does only the kernel work that
// `mydocker run --rm IMAGE true` cannot skip, with no checks, no state, no cgroups, no
// capability drop, no masked paths and no re-exec of itself:
//
//   a container layer (mkdir upper, work, merged; rmdir afterwards)
//   clone into new UTS, PID, mount and IPC namespaces, then a new network namespace
//   mount --make-rprivate /, the overlay, /proc, /sys (ro), a tmpfs /dev with its nodes,
//   devpts, shm and mqueue; loopback up; pivot_root and unmount the old root; hostname
//   no_new_privs and a seccomp filter (the BPF file mydocker compiled from docker's profile)
//   exec /bin/true of the image
//
// Usage: kernel_floor LOWERDIR BPF_FILE SCRATCH_DIR [n][s]
//   n: no network namespace, s: no seccomp filter (to price each of them)
// Exit status: the container's, or 125 when a step failed (named on stderr).
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static char stack[1 << 16];
static char filter[1 << 16];
static struct sock_fprog prog;
static char overlay_options[16384];
static int new_net = 1, seccomp_on = 1;

static void fail(const char* step) {
  perror(step);
  _exit(125);
}

static void mount_or_fail(const char* source, const char* target, const char* type,
                          unsigned long flags, const char* data) {
  if (mount(source, target, type, flags, data) != 0) fail(target);
}

static int container(void* merged) {
  if (new_net && unshare(CLONE_NEWNET) != 0) fail("unshare --net");
  mount_or_fail(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  mount_or_fail("overlay", merged, "overlay", 0, overlay_options);
  if (chdir(merged) != 0) fail("chdir");
  mount_or_fail("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_or_fail("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_or_fail("tmpfs", "dev", "tmpfs", MS_NOSUID, "mode=755");
  static const struct {
    const char* path;
    unsigned major, minor;
  } nodes[] = {{"dev/null", 1, 3},   {"dev/zero", 1, 5},    {"dev/full", 1, 7},
               {"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0}};
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
    if (mknod(nodes[i].path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) != 0)
      fail(nodes[i].path);
  if (mkdir("dev/pts", 0755) != 0 || mkdir("dev/shm", 0755) != 0 || mkdir("dev/mqueue", 0755) != 0)
    fail("mkdir /dev/...");
  mount_or_fail("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666");
  mount_or_fail("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777");
  mount_or_fail("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  if (new_net) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
    if (s < 0 || ioctl(s, SIOCSIFFLAGS, &ifr) != 0) fail("ip link set lo up");
    close(s);
  }
  if (syscall(SYS_pivot_root, ".", ".") != 0) fail("pivot_root");
  if (umount2(".", MNT_DETACH) != 0 || chdir("/") != 0) fail("umount the old root");
  if (sethostname("floor", 5) != 0) fail("hostname");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("no_new_privs");
  if (seccomp_on && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) fail("seccomp");
  char* argv[] = {"true", NULL};
  char* envp[] = {"PATH=/bin", NULL};
  execve("/bin/true", argv, envp);
  fail("exec /bin/true");
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: kernel_floor LOWERDIR BPF_FILE SCRATCH_DIR [n][s]\n");
    return 125;
  }
  if (argc > 4) {
    new_net = strchr(argv[4], 'n') == NULL;
    seccomp_on = strchr(argv[4], 's') == NULL;
  }
  int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
  ssize_t size = fd < 0 ? -1 : read(fd, filter, sizeof filter);
  if (size <= 0 || size % sizeof(struct sock_filter) != 0) {
    fprintf(stderr, "kernel_floor: %s is not a BPF program\n", argv[2]);
    return 125;
  }
  close(fd);
  prog.len = (unsigned short)(size / sizeof(struct sock_filter));
  prog.filter = (struct sock_filter*)filter;

  char dir[4096], upper[4200], work[4200], merged[4200], work_work[4300];
  snprintf(dir, sizeof dir, "%s/floor-%d", argv[3], getpid());
  snprintf(upper, sizeof upper, "%s/upper", dir);
  snprintf(work, sizeof work, "%s/work", dir);
  snprintf(merged, sizeof merged, "%s/merged", dir);
  snprintf(work_work, sizeof work_work, "%s/work", work);
  snprintf(overlay_options, sizeof overlay_options, "lowerdir=%s,upperdir=%s,workdir=%s", argv[1],
           upper, work);
  if (mkdir(dir, 0700) != 0 || mkdir(upper, 0755) != 0 || mkdir(work, 0755) != 0 ||
      mkdir(merged, 0755) != 0) {
    perror(dir);
    return 125;
  }
  int flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | SIGCHLD;
  pid_t pid = clone(container, stack + sizeof stack, flags, merged);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) status = 125 << 8;
  rmdir(work_work);
  rmdir(work);
  rmdir(upper);
  rmdir(merged);
  rmdir(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
