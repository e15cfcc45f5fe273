#pragma once
// The container's own filesystem, set up by its init inside the new mount namespace: the
// overlay (image below, the container's upper layer above), volumes and tmpfs mounts, /proc,
// a read-only /sys, a minimal /dev on tmpfs, docker's masked and read-only paths, then
// pivot_root into it and the old root unmounted. Every step is traced as a shell line.

#include <optional>

#include "mydocker/init/protocol.hpp"

namespace mydocker {

// Everything up to pivot_root (the host's paths are still reachable). Without a rootfs (a
// container without an image): nothing (see enter_rootfs).
std::optional<InitFailure> mount_rootfs(const InitConfig& c, bool dry);
// Once the cgroups exist (before enter_rootfs): the container's own at /sys/fs/cgroup
// (c.cgroup_view; mount_rootfs made v1's tmpfs for them).
std::optional<InitFailure> mount_cgroup_view(const InitConfig& c, bool dry);
// pivot_root into the new root, unmount the old one, --read-only. Without a rootfs: the host's
// files made read-only (unless --host-rw), a fresh /proc, tmpfs on /tmp, /run and /dev/shm, a
// devpts for -t, the volumes.
std::optional<InitFailure> enter_rootfs(const InitConfig& c, bool dry);
// run --sysctl, once inside: through the container's own /proc (checked keys: spec/namespaces).
std::optional<InitFailure> set_sysctls(const InitConfig& c, bool dry);

// docker's lists.
// mydocker oci: the bundle's root bound over itself, config.json's mounts in order, the
// default devices, linux.devices and linux.sysctl (before pivot_root).
std::optional<InitFailure> mount_oci_rootfs(const InitConfig& c, bool dry);
// linux.maskedPaths and linux.readonlyPaths, still before pivot_root (after the hooks that
// run in the container's namespace, which may add mounts).
std::optional<InitFailure> protect_oci_paths(const InitConfig& c, bool dry);
// process.cwd made when missing (0755, as root), as runc and Kubernetes' workingDir expect:
// after the createContainer hooks, before the masked paths, root.readonly and the user change.
// Resolved inside the root (openat2 RESOLVE_IN_ROOT): a symlink on the way, absolute or
// "../../..", goes where it points inside the root, never to the host's files.
std::optional<InitFailure> make_oci_cwd(const InitConfig& c, bool dry);
// pivot_root (or, with --no-pivot, mount --move and chroot), then root.readonly.
std::optional<InitFailure> enter_oci_rootfs(const InitConfig& c, bool dry);

extern const char* const kMaskedPaths[];
extern const char* const kReadonlyPaths[];

}  // namespace mydocker
