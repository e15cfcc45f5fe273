# Shared by containerd_test.sh and podman_test.sh (sourced, never run). See README.md.
#
# A test script calls `oci_enter NAME CLIENT_CGROUP_DIRS...` first. Run from the host (the
# "outer" half) it checks root, OCI_RUNTIME and the packages, makes the temp dir and a cgroup
# of the test's own below the caller's cgroup in every v1 hierarchy, then runs the script again
# in `unshare --mount --pid --fork` (the "inner" half) and waits for it (bounded). After it:
# whatever of the namespace is left is killed (its init, by pid), the test's cgroups are
# checked for leftovers (a leftover container cgroup fails the test) and removed, the temp dir
# is removed. The inner half returns from oci_enter with this view:
#   - each v1 hierarchy's mount point shows the test's own cgroup as its root (the host mount
#     is replaced, not stacked: runtimes read the first mountinfo entry of a hierarchy), and
#     the test's processes (clients, servers, shims, conmon) sit in that cgroup: an absolute
#     cgroupsPath (/default/ID, /libpod_parent/...) lands below it, whether the runtime takes
#     it from the hierarchy's root (OCI, runc) or from its caller's cgroup;
#   - the hybrid cgroup2 at /sys/fs/cgroup/unified is detached (runtimes refuse hybrid hosts);
#   - private tmpfs on /run and /dev/shm (fixed paths of shims, podman locks, runtime state);
#   - its own /proc (pid namespace): when the inner script ends, every process it started ends.
# shellcheck shell=bash

OCI_SKIP=77
OCI_STEP="setup"

oci_say() { printf '[%s] %s\n' "${OCI_NAME:-oci}" "$*"; }
oci_err() { printf '[%s] %s\n' "${OCI_NAME:-oci}" "$*" >&2; }

# step TITLE: prints it; a failure from now on names it.
step() {
  OCI_STEP=$1
  oci_say "step $OCI_STEP"
}

# fail MESSAGE...: the current step failed.
fail() {
  oci_err "FAIL in step $OCI_STEP: $*"
  OCI_FAILED=1
  exit 1
}

# run SECONDS CMD...: runs CMD bounded in time with stdin from /dev/null; OUT = its stdout and
# stderr, RC = its exit status (124: timed out). Never fails itself.
run() {
  local t=$1
  shift
  LAST_CMD="$*"
  RC=0
  OUT=$(timeout -k 5 "$t" "$@" </dev/null 2>&1 | tr -d '\0') || RC=$?
}

# what the last run did, for failure messages
ran() {
  local why="exit status $RC"
  [ "$RC" = 124 ] && why="timed out"
  printf '`%s` (%s), output:\n%s' "$LAST_CMD" "$why" "$(printf '%s\n' "$OUT" | tail -n 30)"
}

# expect_rc WANT: the last run exited with WANT.
expect_rc() {
  [ "$RC" = "$1" ] || fail "want exit status $1 from $(ran)"
}

# expect_line REGEX: a line of the last run's output matches ^REGEX$ (trailing CR/space allowed).
expect_line() {
  printf '%s\n' "$OUT" | tr -d '\r' | grep -Eq "^$1[[:space:]]*\$" ||
    fail "want a line matching '$1' from $(ran)"
}

# wait_until SECONDS CMD...: polls CMD (each try bounded by 10 s) every 0.2 s until it succeeds.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  while ! timeout 10 "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# no_runtime_left SECONDS: within SECONDS no process runs the runtime's binary any more (call it
# when every container is gone: a runtime must not leave helpers behind). LEFT = what is left.
no_runtime_left() {
  local exe p deadline=$((SECONDS + $1))
  exe=$(readlink -f "$OCI_RUNTIME")
  while :; do
    LEFT=
    for p in /proc/[0-9]*; do
      [ "$(readlink "$p/exe" 2>/dev/null)" = "$exe" ] &&
        LEFT+=" ${p#/proc/}($(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-100))"
    done
    [ -z "$LEFT" ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# busybox_rootfs DIR: /bin/busybox and a symlink per applet, plus the directories a runtime
# mounts on and a passwd/group for clients that look users up.
busybox_rootfs() {
  local r=$1 a
  mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/etc" "$r/tmp" "$r/root"
  cp /bin/busybox "$r/bin/busybox"
  for a in $("$r/bin/busybox" --list); do
    [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
  done
  chmod 1777 "$r/tmp"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
  echo 'root:x:0:' >"$r/etc/group"
}

# --- tmux: a terminal for -t / -it -----------------------------------------------------------
# tty_start NAME CMD...: CMD (bounded by 90 s) in a detached session of a tmux server of its
# own (socket -L NAME under $TMUX_TMPDIR); its exit status lands in $OCI_DIR/NAME.rc.
tty_start() {
  local name=$1 cmd
  shift
  cmd="timeout --foreground -k 5 90 $(printf '%q ' "$@"); echo \$? >$OCI_DIR/$name.rc"
  printf 'set -g default-shell /bin/bash\nset -g remain-on-exit on\nset -g history-limit 2000\n' >"$OCI_DIR/tmux.conf"
  timeout 10 tmux -L "$name" -f "$OCI_DIR/tmux.conf" new-session -d -s main -x 120 -y 40 "$cmd"
  OCI_TMUX_PIDS+=("$(timeout 10 tmux -L "$name" display-message -p '#{pid}')")
}
tty_screen() { timeout 10 tmux -L "$1" capture-pane -p -t main -S -200 | tr -d '\r'; }
tty_type() { timeout 10 tmux -L "$1" send-keys -t main -l "$2" && timeout 10 tmux -L "$1" send-keys -t main Enter; }
# tty_wait_line NAME REGEX SECONDS: a line of the screen matches ^REGEX$.
tty_wait_line() {
  local deadline=$((SECONDS + $3))
  until tty_screen "$1" | grep -Eq "^$2[[:space:]]*\$"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
# tty_wait_exit NAME SECONDS: sets TTY_RC to the command's exit status.
tty_wait_exit() {
  local deadline=$((SECONDS + $2))
  until [ -s "$OCI_DIR/$1.rc" ]; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
  # shellcheck disable=SC2034 # read by the test scripts
  TTY_RC=$(cat "$OCI_DIR/$1.rc")
}
# A busybox shell in the terminal session NAME (started with CMD...): echo $((6*7)) shows 42,
# `exit` ends the client with status 0.
tty_shell_42() {
  local name=$1
  shift
  tty_start "$name" "$@"
  tty_wait_line "$name" '/ # ?' 30 || fail "no shell prompt; screen: $(tty_screen "$name")"
  tty_type "$name" 'echo $((6*7))'
  tty_wait_line "$name" 42 20 || fail "no 42 on the screen: $(tty_screen "$name")"
  tty_type "$name" 'exit'
  tty_wait_exit "$name" 30 || fail "the client did not end after exit; screen: $(tty_screen "$name")"
  [ "$TTY_RC" = 0 ] || fail "the client exited with $TTY_RC; screen: $(tty_screen "$name")"
}

tty_stop_all() {
  local p
  for p in "${OCI_TMUX_PIDS[@]}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  OCI_TMUX_PIDS=()
}

# --- the outer half ---------------------------------------------------------------------------
oci_skip() {
  oci_err "SKIP: $*"
  exit "$OCI_SKIP"
}

# oci_need CMD:PACKAGE...: installs the packages of missing commands (apt-get), or skips.
oci_need() {
  local cp missing=()
  for cp in "$@"; do
    command -v "${cp%%:*}" >/dev/null 2>&1 || missing+=("${cp#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  oci_say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    timeout 300 apt-get update -qq >/dev/null 2>&1
    timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1
  } || true
  for cp in "$@"; do
    command -v "${cp%%:*}" >/dev/null 2>&1 || oci_skip "${cp%%:*} (package ${cp#*:}) is missing and could not be installed"
  done
}

# the mount point of the v1 hierarchy holding CONTROLLER (one of a line of /proc/self/cgroup)
oci_hierarchy_mount() {
  findmnt -n -t cgroup -o TARGET,OPTIONS | awk -v c="${1#name=}" '
    { n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c || o[i] == "name=" c) { print $1; exit } }'
}

# oci_enter NAME [CLIENT_CGROUP_DIR...]: see the top of this file. CLIENT_CGROUP_DIRs are the
# parent cgroups (relative to the test's cgroup) the client names in cgroupsPath and no runtime
# removes (containerd's namespace "default"): removed quietly when empty. Any other cgroup left
# is a leak.
oci_enter() {
  OCI_NAME=$1
  shift
  if [ "${OCI_TEST_INNER:-}" = 1 ]; then
    oci_inner_setup
    return 0
  fi
  if [ -z "${OCI_RUNTIME:-}" ]; then
    oci_err "FAIL: set OCI_RUNTIME to the OCI runtime binary to test (e.g. build/mydocker-runc)"
    exit 2
  fi
  [ "$(id -u)" -eq 0 ] || oci_skip "needs root"
  # absolute, symlinks kept: mydocker-runc is a symlink whose name selects the runc CLI
  case $OCI_RUNTIME in
    */*) ;;
    *) OCI_RUNTIME=$(command -v -- "$OCI_RUNTIME" || echo "$OCI_RUNTIME") ;;
  esac
  OCI_RUNTIME=$(realpath -s -- "$OCI_RUNTIME")
  [ -x "$OCI_RUNTIME" ] && [ -f "$OCI_RUNTIME" ] || {
    oci_err "FAIL: OCI_RUNTIME=$OCI_RUNTIME is not an executable file"
    exit 2
  }
  export OCI_RUNTIME
  oci_need unshare:util-linux findmnt:util-linux setpriv:util-linux tmux:tmux busybox:busybox-static \
    ${OCI_PACKAGES[@]+"${OCI_PACKAGES[@]}"}
  [ -x /bin/busybox ] || oci_skip "/bin/busybox (busybox-static) is missing"
  grep -q ' - cgroup2 ' /proc/self/mountinfo && ! grep -q ' - cgroup ' /proc/self/mountinfo &&
    oci_skip "pure cgroup v2 host: these tests are written for cgroup v1 hierarchies"

  OCI_DIR=$(mktemp -d "/tmp/mydocker-clienttest-$OCI_NAME.XXXXXX")
  chmod 755 "$OCI_DIR"
  OCI_CG_NAME=${OCI_DIR##*/}
  OCI_CLIENT_CGROUPS=("$@")
  OCI_NS_INIT=
  trap oci_outer_cleanup EXIT
  # a signal ends the test through the cleanup, which no further signal interrupts
  trap 'trap "" TERM INT HUP; exit 143' TERM
  trap 'trap "" TERM INT HUP; exit 130' INT
  trap 'trap "" TERM INT HUP; exit 129' HUP

  # a cgroup of the test's own in every v1 hierarchy, below the caller's cgroup there
  local controllers path mnt dir
  : >"$OCI_DIR/cgroups"
  while IFS=: read -r _ controllers path; do
    [ -n "$controllers" ] || continue
    mnt=$(oci_hierarchy_mount "${controllers%%,*}")
    [ -n "$mnt" ] || continue
    dir=$mnt${path%/}/$OCI_CG_NAME
    mkdir "$dir"
    echo "$mnt|$dir" >>"$OCI_DIR/cgroups"
    if [ -e "$dir/cpuset.cpus" ]; then
      cat "$dir/../cpuset.cpus" >"$dir/cpuset.cpus"
      cat "$dir/../cpuset.mems" >"$dir/cpuset.mems"
    fi
  done </proc/self/cgroup
  [ -s "$OCI_DIR/cgroups" ] || oci_skip "no cgroup v1 hierarchies here"

  # the inner half; setpriv: it dies with us, and --kill-child takes the namespace with it. (No
  # command substitution in this background command: its fork would pose as the child.)
  local limit=${OCI_TEST_TIMEOUT:-150} rc=0 deadline self c
  self=$(readlink -f "$0")
  setpriv --pdeathsig KILL unshare --mount --propagation private --pid --fork --kill-child=TERM \
    --mount-proc env OCI_TEST_INNER=1 OCI_DIR="$OCI_DIR" OCI_NAME="$OCI_NAME" "$self" "$@" &
  local upid=$!
  # the namespace's init: unshare's child whose pid in its own namespace is 1
  deadline=$((SECONDS + 10))
  while [ -z "$OCI_NS_INIT" ] && [ "$SECONDS" -lt "$deadline" ] && kill -0 "$upid" 2>/dev/null; do
    for c in $(cat "/proc/$upid/task/$upid/children" 2>/dev/null); do
      grep -qE '^NSpid:.*[[:space:]]1$' "/proc/$c/status" 2>/dev/null && OCI_NS_INIT=$c
    done
    [ -n "$OCI_NS_INIT" ] || sleep 0.05
  done
  deadline=$((SECONDS + limit))
  while kill -0 "$upid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  if kill -0 "$upid" 2>/dev/null; then
    oci_err "FAIL: the test did not finish within ${limit}s; stopping it"
    [ -n "$OCI_NS_INIT" ] && kill -TERM "$OCI_NS_INIT" 2>/dev/null || true
    deadline=$((SECONDS + 20))
    while kill -0 "$upid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    rc=124
  fi
  if kill -0 "$upid" 2>/dev/null; then
    [ -n "$OCI_NS_INIT" ] && kill -KILL "$OCI_NS_INIT" 2>/dev/null || true
  fi
  local wrc=0
  wait "$upid" || wrc=$?
  [ "$rc" = 124 ] || rc=$wrc
  OCI_RC=$rc
  exit "$rc"
}

# the cgroups the test made: every process still in them is killed (by pid), every directory
# removed; a container cgroup that was still there is a failure.
oci_outer_cleanup() {
  local rc=${OCI_RC:-$?} mnt dir d rel p h deadline leaks=() procs=() stuck=()
  set +e
  trap '' TERM INT HUP
  # the namespace's init (still there when we were interrupted): SIGTERM lets it clean up
  # (bounded), SIGKILL ends every process of the namespace
  if [ -n "${OCI_NS_INIT:-}" ] && grep -qE '^NSpid:.*[[:space:]]1$' "/proc/$OCI_NS_INIT/status" 2>/dev/null; then
    kill -TERM "$OCI_NS_INIT" 2>/dev/null
    deadline=$((SECONDS + 20))
    while [ -d "/proc/$OCI_NS_INIT" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    kill -KILL "$OCI_NS_INIT" 2>/dev/null
    while [ -d "/proc/$OCI_NS_INIT" ] && [ "$SECONDS" -lt $((deadline + 5)) ]; do sleep 0.1; done
  fi
  if [ -s "${OCI_DIR:-/nonexistent}/cgroups" ]; then
    # 1: thaw every cgroup of the test's (one frozen itself stays frozen when its parent is
    # thawed, and its killed processes would stay), kill every process in them (in the test's
    # own cgroup: the test's, gone with the namespace; below it: a container's, a leak)
    while IFS='|' read -r mnt dir; do
      [ -d "$dir" ] || continue
      if [ -e "$dir/freezer.state" ]; then
        find "$dir" -name freezer.state | while read -r d; do echo THAWED >"$d"; done 2>/dev/null
      fi
      while read -r d; do
        rel=${d#"$dir"}
        rel=${rel#/}
        for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
          [ -z "$rel" ] || procs+=("$rel: pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60))")
          kill -KILL "$p" 2>/dev/null
        done
      done < <(find "$dir" -type d)
    done <"$OCI_DIR/cgroups"
    # 2: remove them, deepest first; a container cgroup still there is a leak
    deadline=$((SECONDS + 10))
    while IFS='|' read -r mnt dir; do
      [ -d "$dir" ] || continue
      h=${mnt##*/}
      while read -r d; do
        rel=${d#"$dir"/}
        if ! printf '%s\n' "${OCI_CLIENT_CGROUPS[@]}" | grep -qxF "$rel"; then
          leaks+=("$rel $h")
        fi
        until rmdir "$d" 2>/dev/null; do
          [ "$SECONDS" -lt "$deadline" ] || { stuck+=("$d"); break; }
          sleep 0.1
        done
      done < <(find "$dir" -mindepth 1 -depth -type d)
      rmdir "$dir" 2>/dev/null || stuck+=("$dir")
    done <"$OCI_DIR/cgroups"
  fi
  if [ ${#procs[@]} -gt 0 ]; then
    oci_err "FAIL: processes were left in container cgroups (killed now):"
    printf '%s\n' "${procs[@]}" | sort -u | sed 's/^/  /' >&2
    [ "$rc" = 0 ] && rc=1
  fi
  if [ ${#leaks[@]} -gt 0 ]; then
    oci_err "FAIL: cgroups left behind (below the test's cgroup; removed now), with their hierarchies:"
    printf '%s\n' "${leaks[@]}" | awk '{ h[$1] = h[$1] " " $2 } END { for (r in h) print "  " r ":" h[r] }' | sort >&2
    [ "$rc" = 0 ] && rc=1
  fi
  if [ ${#stuck[@]} -gt 0 ]; then
    oci_err "FAIL: could not remove these cgroups (remove them by hand):"
    printf '  %s\n' "${stuck[@]}" >&2
    [ "$rc" = 0 ] && rc=1
  fi
  if [ -n "${OCI_DIR:-}" ] && [ -d "$OCI_DIR" ]; then
    if findmnt -rn -o TARGET | grep -q "^$OCI_DIR"; then
      oci_err "FAIL: mounts left under $OCI_DIR; not removing it"
      [ "$rc" = 0 ] && rc=1
    elif [ "$rc" != 0 ] && [ -n "${OCI_KEEP_FAILED:-}" ]; then
      oci_err "kept $OCI_DIR (OCI_KEEP_FAILED)"
    else
      rm -rf --one-file-system "$OCI_DIR"
    fi
  fi
  case $rc in
    0) oci_say "PASS" ;;
    "$OCI_SKIP") ;;
    *) oci_err "FAILED (exit status $rc)" ;;
  esac
  exit "$rc"
}

# --- the inner half ---------------------------------------------------------------------------
oci_inner_setup() {
  local mnt dir fd i=0
  OCI_TMUX_PIDS=()
  # no descriptor of our caller's (beyond stdio) reaches the servers, runtimes and containers
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    case $fd in 0 | 1 | 2 | 255) ;; *) eval "exec $fd>&-" ;; esac
  done
  trap oci_inner_cleanup EXIT
  # as the namespace's init we only see signals we handle; the cleanup is not interrupted
  trap 'trap "" TERM INT HUP; oci_err "stopped by SIGTERM"; exit 143' TERM
  trap 'trap "" TERM INT HUP; oci_err "stopped by SIGINT"; exit 130' INT
  trap 'trap "" TERM INT HUP; oci_err "stopped by SIGHUP"; exit 129' HUP
  cd "$OCI_DIR" || exit 1
  mkdir -p "$OCI_DIR/cgview"
  while IFS='|' read -r mnt dir; do
    echo 0 >"$dir/cgroup.procs"
    i=$((i + 1))
    mkdir "$OCI_DIR/cgview/$i"
    mount -n --bind "$dir" "$OCI_DIR/cgview/$i"
    umount -n -l "$mnt"
    mount -n --move "$OCI_DIR/cgview/$i" "$mnt"
  done <"$OCI_DIR/cgroups"
  if mountpoint -q /sys/fs/cgroup/unified; then umount -n -l /sys/fs/cgroup/unified; fi
  mount -n -t tmpfs -o mode=0755,size=512m "oci-$OCI_NAME-run" /run
  mount -n -t tmpfs -o mode=1777,size=256m "oci-$OCI_NAME-shm" /dev/shm
  export TMUX_TMPDIR=$OCI_DIR
  oci_say "runtime $OCI_RUNTIME; temp dir $OCI_DIR; container cgroups below $(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup) (memory)"
}

# cgroup_dir CONTROLLER PID: the directory of PID's cgroup in CONTROLLER's hierarchy, as this
# view shows it (the mount root is the test's cgroup)
cgroup_dir() {
  local path root
  path=$(awk -F: -v c="$1" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' "/proc/$2/cgroup")
  root=$(awk -v m="/sys/fs/cgroup/$1" '$5 == m { print $4; exit }' /proc/self/mountinfo)
  [ -n "$path" ] && [ -n "$root" ] && [ "${path#"$root"}" != "$path" ] || return 1
  echo "/sys/fs/cgroup/$1${path#"$root"}"
}

oci_inner_cleanup() {
  local rc=$?
  set +e
  trap '' TERM INT HUP
  [ "$rc" != 0 ] && [ -z "${OCI_FAILED:-}" ] && oci_err "FAIL in step $OCI_STEP (exit status $rc${LAST_CMD:+, last command \`$LAST_CMD\`})"
  tty_stop_all
  if declare -F oci_cleanup >/dev/null; then oci_cleanup "$rc"; fi
  cd /
  umount -n /dev/shm 2>/dev/null
  umount -n -l /run 2>/dev/null
  exit "$rc"
}
