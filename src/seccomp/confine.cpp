#include "mydocker/seccomp/confine.hpp"

#include <iconv.h>
#include <langinfo.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "mydocker/util/error.hpp"

namespace mydocker {

void load_charset_tables() noexcept {
  static bool loaded = false;
  if (loaded) return;
  loaded = true;
  // The conversions libarchive's tar writer and reader make: the locale's charset (ours is
  // never set: "ANSI_X3.4-1968") to and from UTF-8. The first iconv_open of a process reads
  // gconv's configuration (aliases and modules), and no later one reads it again.
  const char* locale = nl_langinfo(CODESET);
  for (auto [to, from] :
       {std::pair<const char*, const char*>{"UTF-8", locale}, {locale, "UTF-8"}}) {
    iconv_t cd = ::iconv_open(to, from);
    if (cd != reinterpret_cast<iconv_t>(-1)) ::iconv_close(cd);
  }
}

namespace {

// What copying files needs: owners, modes and times of any file, device nodes (cp into a
// container copies them, as docker does), file capabilities. Not CAP_SYS_CHROOT (a chroot
// breakout), CAP_DAC_READ_SEARCH (open_by_handle_at), CAP_SYS_ADMIN, CAP_KILL, ...
void keep_copy_capabilities(Confinement what) {
  const cap_value_t keep[] = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER,   CAP_FSETID,
                              CAP_MKNOD, CAP_SETFCAP,      CAP_SYS_ADMIN};
  const int n = static_cast<int>(std::size(keep)) - (what == Confinement::kLayer ? 0 : 1);
  cap_t caps = cap_init();
  if (!caps) throw_errno("cap_init");
  int rc = 0;
  for (cap_flag_t set : {CAP_EFFECTIVE, CAP_PERMITTED})
    rc |= cap_set_flag(caps, set, n, keep, CAP_SET);
  if (rc == 0) rc = cap_set_proc(caps);
  const int err = errno;
  cap_free(caps);
  if (rc != 0) throw SysError(err, "capset (the file helper's capabilities)");
  (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

constexpr const char* kDenied[] = {
    // running or loading code
    "execve", "execveat", "fork", "vfork", "clone", "clone3", "memfd_create",
    // leaving the chroot, or reaching files outside it
    "chroot", "pivot_root", "mount", "umount2", "open_tree", "move_mount", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr", "open_by_handle_at", "name_to_handle_at", "setns",
    "unshare",
    // other processes and the kernel
    "ptrace", "process_vm_readv", "process_vm_writev", "kill", "tkill", "tgkill",
    "pidfd_send_signal", "pidfd_open", "pidfd_getfd", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "bpf", "perf_event_open", "keyctl", "add_key",
    "request_key", "userfaultfd", "io_uring_setup", "reboot", "swapon", "swapoff", "iopl", "ioperm",
    "socket", "connect"};

void load_filter() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);  // other architectures: killed
  if (!ctx) throw Error("seccomp_init failed");
  int rc = 0;
  for (const char* name : kDenied) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr != __NR_SCMP_ERROR && rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
  }
  // No page may become executable: dlopen of anything fails.
  for (int nr : {SCMP_SYS(mmap), SCMP_SYS(mprotect), SCMP_SYS(pkey_mprotect)})
    if (rc == 0)
      rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
                            SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
  if (rc == 0) rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc < 0) throw SysError(-rc, "seccomp (the file helper's filter)");
}

}  // namespace

void confine_file_helper(Confinement what) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_NO_NEW_PRIVS)");
  keep_copy_capabilities(what);
  load_filter();
}

}  // namespace mydocker
