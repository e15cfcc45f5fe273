#!/usr/bin/env bash
# containerd 1.6 + ctr (io.containerd.runc.v2 shim) driving the OCI runtime $OCI_RUNTIME on a
# busybox directory: run, exit codes, a detached task (ps, exec, pause/resume, metrics, kill,
# rm), a terminal (-t, through tmux) and a memory limit proven by the OOM killer.
# Usage: OCI_RUNTIME=/path/to/runtime tests/oci/containerd_test.sh   (root; exit 77 = skipped)
set -euo pipefail
OCI_PACKAGES=(containerd:containerd ctr:containerd containerd-shim-runc-v2:containerd)
. "$(dirname "$(readlink -f "$0")")/lib.sh"
oci_enter containerd default
# ---- from here: inside the test's namespaces (see lib.sh), cwd = the temp dir ----------------

C=$OCI_DIR/containerd
SOCK=$C/containerd.sock
ROOTFS=$OCI_DIR/rootfs
CONTAINERD_PID=
mkdir -p "$C/root" "$C/state" "$C/opt"
busybox_rootfs "$ROOTFS"

cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
]

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$SOCK.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
EOF

# ctr against our containerd, default namespace (cgroupsPath /default/ID)
CTR=(ctr --address "$SOCK" --namespace default)
# ctr run with the runtime under test: "${RUN[@]}" [FLAGS] "$ROOTFS" ID CMD... (--rootfs is a
# boolean flag: the directory is the first argument)
RUN=(ctr --address "$SOCK" --namespace default run --runtime io.containerd.runc.v2
  --runc-binary "$OCI_RUNTIME" --rootfs)

oci_cleanup() {
  local id
  if [ -n "$CONTAINERD_PID" ] && kill -0 "$CONTAINERD_PID" 2>/dev/null; then
    for id in $(timeout 10 ctr --address "$SOCK" --namespace default containers ls -q 2>/dev/null); do
      timeout 10 ctr --address "$SOCK" --namespace default task resume "$id" >/dev/null 2>&1
      timeout 10 ctr --address "$SOCK" --namespace default task kill -s SIGKILL "$id" >/dev/null 2>&1
      timeout 15 ctr --address "$SOCK" --namespace default task rm -f "$id" >/dev/null 2>&1
      timeout 15 ctr --address "$SOCK" --namespace default containers rm "$id" >/dev/null 2>&1
    done
    kill -TERM "$CONTAINERD_PID" 2>/dev/null
    local deadline=$((SECONDS + 10))
    while kill -0 "$CONTAINERD_PID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    kill -KILL "$CONTAINERD_PID" 2>/dev/null
  fi
  if [ "$1" != 0 ] && [ -s "$C/containerd.log" ]; then
    oci_err "containerd's log (last lines):"
    grep -v 'msg="loading plugin' "$C/containerd.log" | tail -n 25 | sed 's/^/    /' >&2
  fi
}

# remove_task ID: kill -s SIGKILL, STOPPED, task rm, container rm
remove_task() {
  run 20 "${CTR[@]}" task kill -s SIGKILL "$1"
  expect_rc 0
  wait_until 20 sh -c "ctr --address '$SOCK' task ls | grep -Eq '^$1[[:space:]]+[0-9]+[[:space:]]+STOPPED'" ||
    fail "task $1 did not reach STOPPED: $("${CTR[@]}" task ls 2>&1)"
  run 20 "${CTR[@]}" task rm "$1"
  expect_rc 0
  run 20 "${CTR[@]}" container rm "$1"
  expect_rc 0
}

step "0: start containerd"
# its own session: a signal to our process group (Ctrl-C, timeout) must not stop it before the
# cleanup has removed the tasks (setsid does not fork here: we are not a group leader)
setsid containerd --config "$C/config.toml" --log-level info >"$C/containerd.log" 2>&1 &
CONTAINERD_PID=$!
wait_until 30 ctr --address "$SOCK" version ||
  fail "containerd did not answer on $SOCK within 30 s; log: $(tail -n 20 "$C/containerd.log")"

step "1: ctr run --rm ... /bin/echo hello prints hello"
run 60 "${RUN[@]}" --rm "$ROOTFS" id1 /bin/echo hello
expect_rc 0
expect_line hello

step "2: the exit status propagates (/bin/sh -c 'exit 3' gives 3)"
run 60 "${RUN[@]}" --rm "$ROOTFS" id2 /bin/sh -c 'exit 3'
expect_rc 3

step "3a: detached task: ctr run -d ... /bin/sleep 300"
run 60 "${RUN[@]}" -d "$ROOTFS" id3 /bin/sleep 300
expect_rc 0
wait_until 20 sh -c "ctr --address '$SOCK' task ls | grep -Eq '^id3[[:space:]]+[0-9]+[[:space:]]+RUNNING'" ||
  fail "task id3 is not RUNNING: $("${CTR[@]}" task ls 2>&1)"
pid3=$("${CTR[@]}" task ls | awk '$1 == "id3" { print $2 }')

step "3b: ctr task ps lists its pid ($pid3)"
run 20 "${CTR[@]}" task ps id3
expect_rc 0
expect_line "$pid3([[:space:]].*)?"

step "3c: ctr task exec --exec-id e1 id3 /bin/echo hi prints hi"
run 30 "${CTR[@]}" task exec --exec-id e1 id3 /bin/echo hi
expect_rc 0
expect_line hi

step "3d: ctr task pause -> PAUSED, its freezer cgroup FROZEN"
freezer=$(cgroup_dir freezer "$pid3") || fail "pid $pid3 is not below the test's freezer cgroup: $(cat "/proc/$pid3/cgroup")"
[ "$freezer" = /sys/fs/cgroup/freezer/default/id3 ] || fail "task id3 is in $freezer, want its cgroupsPath /default/id3"
# ACTION (pause|resume) then ctr's status and the freezer's state.
pause_step() {
  run 20 "${CTR[@]}" task "$1" id3
  expect_rc 0
  run 20 "${CTR[@]}" task ls
  expect_line "id3[[:space:]]+${pid3}[[:space:]]+$2"
  state=$(cat "$freezer/freezer.state")
  [ "$state" = "$3" ] || fail "$freezer/freezer.state is $state after $1, want $3"
}
pause_step pause PAUSED FROZEN

step "3e: ctr task resume -> RUNNING, THAWED"
pause_step resume RUNNING THAWED

step "3f: ctr task metrics shows memory and cpu numbers"
run 20 "${CTR[@]}" task metrics id3
expect_rc 0
expect_line "memory\.usage_in_bytes[[:space:]]+[1-9][0-9]*"
expect_line "cpuacct\.usage[[:space:]]+[1-9][0-9]*"

step "3g: ctr task kill -s SIGKILL -> STOPPED, task rm, container rm"
remove_task id3
run 20 "${CTR[@]}" container ls -q
[ -z "$OUT" ] || fail "containers left: $OUT"

step "4: ctr run --rm -t /bin/sh in a terminal (tmux): echo \$((6*7)) shows 42"
tty_shell_42 ctr-tty "${RUN[@]}" --rm -t "$ROOTFS" id4 /bin/sh

step "5a: --memory-limit 33554432 reaches the cgroup (/default/id5a) and ctr task metrics"
# (ctr's default spec mounts no /sys/fs/cgroup in the container: read it from outside)
run 60 "${RUN[@]}" -d --memory-limit 33554432 "$ROOTFS" id5a /bin/sleep 300
expect_rc 0
limit=$(cat /sys/fs/cgroup/memory/default/id5a/memory.limit_in_bytes 2>&1) || true
[ "$limit" = 33554432 ] ||
  fail "/sys/fs/cgroup/memory/default/id5a/memory.limit_in_bytes (below the test's cgroup) is '$limit', want 33554432"
run 20 "${CTR[@]}" task metrics id5a
expect_rc 0
expect_line "memory\.limit_in_bytes[[:space:]]+33554432"
remove_task id5a

step "5b: under --memory-limit 33554432 a 64 MiB buffer is OOM-killed (137), a 8 MiB one is not"
run 60 "${RUN[@]}" --rm --memory-limit 33554432 "$ROOTFS" id5b /bin/dd if=/dev/zero of=/dev/null bs=64M count=1
expect_rc 137
run 60 "${RUN[@]}" --rm --memory-limit 33554432 "$ROOTFS" id5c /bin/dd if=/dev/zero of=/dev/null bs=8M count=1
expect_rc 0
run 60 "${RUN[@]}" --rm "$ROOTFS" id5d /bin/dd if=/dev/zero of=/dev/null bs=64M count=1
expect_rc 0

step "6: nothing left: no containers, no tasks, no runtime process"
run 20 "${CTR[@]}" container ls -q
[ -z "$OUT" ] || fail "containers left: $OUT"
run 20 "${CTR[@]}" task ls -q
[ -z "$OUT" ] || fail "tasks left: $OUT"
no_runtime_left 10 || fail "runtime processes left:$LEFT"
OCI_STEP="done"
