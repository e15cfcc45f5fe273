#pragma once
// The helper processes that read or write a container's files from the host's side (`cp`,
// `export`: a child of ours chroot'ed into the container's root) run as the host's root with
// the container's files as their root. Any code they would load from there runs as the host's
// root: glibc's charset converters (gconv modules, which libarchive's pax headers ask for
// through iconv) and NSS modules are found by path, in the container's files (the
// CVE-2019-14271 shape: docker cp loaded libnss_*.so from the container). So:
//   - load_charset_tables(), before the chroot: gconv's configuration is read once per
//     process, from the host's files; the container's gconv-modules is never read;
//   - confine_file_helper(), after it: no new privileges, only the capabilities a copy needs,
//     and a seccomp filter under which no code can be mapped executable (dlopen fails), no
//     program run, and no way out of the chroot or into other processes.

namespace mydocker {

void load_charset_tables() noexcept;
// kCopy keeps chown, dac_override, fowner, fsetid, mknod and setfcap; kLayer also sys_admin,
// without which the kernel hides overlayfs' trusted.overlay.* attributes (an opaque
// directory) from a walk of a layer. Throws Error (the helper then fails before touching any
// file).
enum class Confinement { kCopy, kLayer };
void confine_file_helper(Confinement what = Confinement::kCopy);

}  // namespace mydocker
