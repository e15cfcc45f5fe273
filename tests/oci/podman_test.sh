#!/usr/bin/env bash
# podman 4.3 (conmon, cgroupfs manager) driving the OCI runtime $OCI_RUNTIME on a busybox
# directory (--rootfs): run and exit codes, -it through tmux, a detached container (exec, ps,
# its cgroup limits, stop, rm) and a memory limit proven by the OOM killer.
# Usage: OCI_RUNTIME=/path/to/runtime tests/oci/podman_test.sh   (root; exit 77 = skipped)
set -euo pipefail
OCI_PACKAGES=(podman:podman conmon:conmon)
. "$(dirname "$(readlink -f "$0")")/lib.sh"
oci_enter podman libpod_parent libpod_parent/conmon
# ---- from here: inside the test's namespaces (see lib.sh), cwd = the temp dir (conmon writes
# a file named oom into its cwd) -------------------------------------------------------------

ROOTFS=$OCI_DIR/rootfs
mkdir -p "$OCI_DIR/net" "$OCI_DIR/tmp"
busybox_rootfs "$ROOTFS"

P=(podman --runtime "$OCI_RUNTIME" --root "$OCI_DIR/root" --runroot "$OCI_DIR/runroot"
  --tmpdir "$OCI_DIR/tmp" --cgroup-manager cgroupfs --events-backend file --storage-driver vfs
  --network-config-dir "$OCI_DIR/net")
# extra global flags for debugging, e.g. OCI_PODMAN_FLAGS="--log-level debug"
read -r -a extra <<<"${OCI_PODMAN_FLAGS:-}"
P+=(${extra[@]+"${extra[@]}"})
# podman run with what this machine needs: "${RUN[@]}" [FLAGS] --rootfs "$ROOTFS" CMD...
RUN=("${P[@]}" run --net none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)

oci_cleanup() {
  local out
  timeout 30 "${P[@]}" unpause --all >/dev/null 2>&1
  out=$(timeout 60 "${P[@]}" rm -a -f -t 0 2>&1) ||
    oci_err "cleanup: podman rm -a -f failed: $out"
}

step "1a: run --rm /bin/true exits 0"
run 60 "${RUN[@]}" --rm --rootfs "$ROOTFS" /bin/true
expect_rc 0

step "1b: run --rm /bin/sh -c 'exit 7' exits 7"
run 60 "${RUN[@]}" --rm --rootfs "$ROOTFS" /bin/sh -c 'exit 7'
expect_rc 7

step "1c: run --rm /bin/echo hello prints hello on stdout"
RC=0
LAST_CMD="${RUN[*]} --rm --rootfs $ROOTFS /bin/echo hello (stdout only)"
OUT=$(timeout -k 5 60 "${RUN[@]}" --rm --rootfs "$ROOTFS" /bin/echo hello </dev/null 2>"$OCI_DIR/1c.err") || RC=$?
expect_rc 0
[ "$OUT" = hello ] || fail "stdout is '$OUT', want 'hello'; stderr: $(cat "$OCI_DIR/1c.err")"

step "1d: --read-only: the root refuses writes; /tmp, /var/tmp and /run are tmpfs with the files they cover (tmpcopyup)"
mkdir -p "$ROOTFS/run/keep" "$ROOTFS/var/tmp"
echo image >"$ROOTFS/run/keep/file"
ln -sfn keep/file "$ROOTFS/run/link"
chmod 0640 "$ROOTFS/run/keep/file"
run 60 "${RUN[@]}" --rm --read-only --rootfs "$ROOTFS" /bin/sh -c \
  'touch /x 2>&1; for d in /tmp /var/tmp /run; do touch $d/new && echo "$d writable"; done
   cat /run/link; stat -c "%a %F" /run/keep/file /run/link; grep -c " /run tmpfs " /proc/mounts'
expect_rc 0
expect_line '.*Read-only file system'
expect_line '/tmp writable'
expect_line '/var/tmp writable'
expect_line '/run writable'
expect_line image
expect_line '640 regular file'
expect_line '777 symbolic link'
expect_line 1
[ ! -e "$ROOTFS/run/new" ] || fail "the write to /run reached the rootfs"
rm -rf "$ROOTFS/run/keep" "$ROOTFS/run/link"

step "2: run --rm -it /bin/sh in a terminal (tmux): echo \$((6*7)) shows 42"
tty_shell_42 podman-tty "${RUN[@]}" --rm -it --rootfs "$ROOTFS" /bin/sh

step "3a: run -d --name c1 --memory 64m --pids-limit 100 ... /bin/sleep 300"
run 60 "${RUN[@]}" -d --name c1 --memory 64m --pids-limit 100 --rootfs "$ROOTFS" /bin/sleep 300
expect_rc 0

step "3b: exec c1 /bin/echo hi prints hi"
run 30 "${P[@]}" exec c1 /bin/echo hi
expect_rc 0
expect_line hi

step "3c: ps shows c1 up"
run 30 "${P[@]}" ps --format '{{.Names}} {{.Status}}'
expect_rc 0
expect_line 'c1 Up.*'

step "3d: pause c1 -> paused, its freezer cgroup FROZEN; unpause -> running, THAWED"
run 30 "${P[@]}" inspect --format '{{.State.Pid}}' c1
expect_rc 0
pid1=$OUT
freezer=$(cgroup_dir freezer "$pid1") || fail "c1 (pid $pid1) is not below the test's freezer cgroup: $(cat "/proc/$pid1/cgroup")"
run 30 "${P[@]}" pause c1
expect_rc 0
run 30 "${P[@]}" inspect --format '{{.State.Status}}' c1
expect_line paused
run 30 "${P[@]}" ps -a --format '{{.Names}} {{.Status}}'
expect_line 'c1 Paused'
state=$(cat "$freezer/freezer.state")
[ "$state" = FROZEN ] || fail "$freezer/freezer.state is $state after pause, want FROZEN"
run 30 "${P[@]}" unpause c1
expect_rc 0
run 30 "${P[@]}" inspect --format '{{.State.Status}}' c1
expect_line running
state=$(cat "$freezer/freezer.state")
[ "$state" = THAWED ] || fail "$freezer/freezer.state is $state after unpause, want THAWED"

step "3e: c1's cgroups: memory 64m, memsw 128m, pids 100, devices deny-all but the defaults (which work)"
# cgroup_file CONTROLLER FILE WANT: c1's cgroup (cgroupsPath /libpod_parent/libpod-ID) has it
cgroup_file() {
  local dir got
  dir=$(cgroup_dir "$1" "$pid1") || fail "c1 (pid $pid1) is not below the test's $1 cgroup: $(cat "/proc/$pid1/cgroup")"
  case $dir in */libpod_parent/libpod-*) ;; *) fail "c1's $1 cgroup is $dir, want .../libpod_parent/libpod-ID" ;; esac
  got=$(cat "$dir/$2" 2>&1) || true
  [ "$got" = "$3" ] || fail "$dir/$2 is '$got', want '$3'"
}
cgroup_file memory memory.limit_in_bytes 67108864
cgroup_file memory memory.memsw.limit_in_bytes 134217728
cgroup_file pids pids.max 100
devices=$(cat "$(cgroup_dir devices "$pid1")/devices.list")
printf '%s\n' "$devices" | grep -qx 'c 1:3 rwm' && ! printf '%s\n' "$devices" | grep -qx 'a \*:\* rwm' ||
  fail "c1's devices.list is not podman's deny-all plus the default devices (want c 1:3 rwm, no a *:* rwm): $devices"

run 30 "${P[@]}" exec c1 /bin/sh -c 'echo x >/dev/null && head -c 5 /dev/urandom | wc -c'
expect_rc 0
expect_line 5

step "3f: stop -t 2 c1, rm c1"
run 30 "${P[@]}" stop -t 2 c1
expect_rc 0
run 30 "${P[@]}" ps -a --format '{{.Names}} {{.Status}}'
expect_line 'c1 Exited.*'
run 30 "${P[@]}" rm c1
expect_rc 0
run 30 "${P[@]}" ps -a -q
[ -z "$OUT" ] || fail "containers left: $OUT"

step "4: --memory 100m: a 256 MiB buffer is OOM-killed (137), 32 MiB under it and 256 MiB without it are not"
run 60 "${RUN[@]}" --name oom --memory 100m --rootfs "$ROOTFS" /bin/dd if=/dev/zero of=/dev/null bs=256M count=1
expect_rc 137
run 30 "${P[@]}" inspect --format '{{.State.OOMKilled}}' oom
# (false in this view: conmon looks for the memory cgroup under the host path; see README.md)
oci_say "  podman inspect: OOMKilled=$OUT"
run 30 "${P[@]}" rm oom
expect_rc 0
run 60 "${RUN[@]}" --rm --memory 100m --rootfs "$ROOTFS" /bin/dd if=/dev/zero of=/dev/null bs=32M count=1
expect_rc 0
run 60 "${RUN[@]}" --rm --rootfs "$ROOTFS" /bin/dd if=/dev/zero of=/dev/null bs=256M count=1
expect_rc 0

step "5: nothing left: podman ps -a is empty, no runtime process"
run 30 "${P[@]}" ps -a -q
expect_rc 0
[ -z "$OUT" ] || fail "containers left: $OUT"
no_runtime_left 10 || fail "runtime processes left:$LEFT"
OCI_STEP="done"
