#!/usr/bin/env bash
# The performance targets of mydocker, measured side by side with hyperfine (medians; in rounds,
# see below) on this machine, and printed as ratios:
#   host files with limits   mydocker run -mem 100m -cpu 50 -cpuset 0 /bin/true   <= 1.5 x floor
#   busybox image            mydocker run --rm -m 100m busybox true               <= 0.67 x crun
#   read-only commands       --version, ps -a, inspect, info, images              <= 2 x /bin/true
#   peak RSS of run          /usr/bin/time -f %M (the largest process)            <= 3 MiB
#   scale (BENCH_SCALE=1000 detached busybox containers): run -d per container flat, ps -a
#   <= 50 ms, stop/rm -f return within 5 ms of the container's exit, idle supervisor <= 1 MiB.
# floor is `unshare --pid --uts --mount --ipc --net --fork /bin/true`; crun runs a
# `crun spec` bundle of the same busybox tree with the same memory limit; runc and mydocker-runc
# (the OCI runtime, target: at most crun's time) run the same bundle.
#
# Everything runs in a private mount namespace where each cgroup v1 hierarchy in which we do
# not sit at the root shows our own cgroup as its root, and the hybrid cgroup2 mount is
# detached: crun and runc take their cgroupsPath from the root (so /mydocker-bench-crun lands below our
# own cgroup) and refuses a hybrid host whose cgroup2 has controllers. mydocker reads the
# mounts' roots and behaves as outside. Nothing of this reaches the host's mount table.
# Usage: scripts/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${MYDOCKER_BENCH_NS:-}" != 1 ]; then
  scripts/deps.sh
  scripts/build.sh mydocker >/dev/null
  # A network namespace of its own too: the bridge, veths and nft table of the --net bridge and
  # -p rows are made there, never in the host's.
  exec env MYDOCKER_BENCH_NS=1 unshare --mount --net --propagation private "$0" "$@"
fi
runs=${1:-40}
md=$PWD/${MYDOCKER_BUILD_DIR:-build}/mydocker

# --- the private view of the cgroups (see above) ---------------------------------------------
while IFS=: read -r _ controllers path; do
  [ -n "$controllers" ] && [ "$path" != / ] || continue
  mnt=$(findmnt -n -t cgroup -o TARGET,OPTIONS | awk -v c="${controllers#name=}" \
    '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c || o[i] == "name=" c) print $1 }' | head -1)
  [ -n "$mnt" ] || continue
  # Replaced, not stacked: runc (and containerd's cgroups library) take a hierarchy's first
  # mountinfo entry, and with two of them runc cannot mount /sys/fs/cgroup into a container.
  view=$(mktemp -d /tmp/mydocker-bench-view.XXXXXX)
  mount --bind "$mnt$path" "$view" && umount -l "$mnt" && mount --move "$view" "$mnt"
  rmdir "$view"
done </proc/self/cgroup
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then umount -l /sys/fs/cgroup/unified; fi

# The scratch directory (mydocker's data root, the busybox tree, the bundles) under /var/lib,
# where mydocker's data root is by default. This VM's ext4 has no journal: allocating an inode
# there skips every inode its block group freed in the last 60-300 s (ext4's recently_deleted,
# one lookup each), so a mkdir takes 10-20 µs in a quiet group and 200-600 µs in one where a few
# thousand files came and went minutes ago (earlier benches here: these were the "slow spells").
# An image run allocates about seven inodes (overlayfs' work directory and probes); mydocker
# spreads its layers over the groups (spec/layer.cpp). The "disk" line below is the scratch
# directory's own group: how much churn the last minutes left there.
out=$(mktemp -d /var/lib/mydocker-bench.XXXXXX)
chmod 755 "$out"
# Every runtime's state on one tmpfs, as /run is on any systemd host and as each one's default
# is (/run/mydocker, /run/crun, /run/runc): none of them pays the disk for its state.
state=$out/run
mkdir -p "$state"
mount -t tmpfs -o size=256m,mode=0700 mydocker-bench "$state"
export MYDOCKER_ROOT=$state/mydocker MYDOCKER_DATA_ROOT=$out/data
mkdir -p -m 0700 "$MYDOCKER_ROOT"
cleanup() {
  set +e
  for id in $("$md" ps -aq 2>/dev/null); do "$md" rm -f "$id" >/dev/null 2>&1; done
  crun --root "$state/crun" delete -f md-bench-crun >/dev/null 2>&1
  runc --root "$state/runc" delete -f md-bench-runc >/dev/null 2>&1
  "$(dirname "$md")/mydocker-runc" --root "$state/mdrunc" delete -f md-bench-mdrunc >/dev/null 2>&1
  "$md" prune >/dev/null 2>&1
  umount "$state"
  rm -rf "$out"
}
trap cleanup EXIT

# --- the busybox tree: mydocker's image and the crun bundle ----------------------------------
r=$out/bundle/rootfs
mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev"
cp /bin/busybox "$r/bin/"
for a in $("$r/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
tar -C "$r" -cf "$out/busybox.tar" .
"$md" import "$out/busybox.tar" busybox >/dev/null
(cd "$out/bundle" && crun spec)
# One bundle per OCI runtime (the same tree and config; each its own cgroupsPath).
for rt in crun runc mdrunc; do
  mkdir -p "$out/bundle-$rt" "$state/$rt"
  jq --arg root "$r" --arg cg "/mydocker-bench-$rt" '.process.terminal = false |
      .process.args = ["true"] | .root.path = $root | .linux.resources.memory.limit = 104857600 |
      .linux.cgroupsPath = $cg' "$out/bundle/config.json" >"$out/bundle-$rt/config.json"
done
mdrunc=$(dirname "$md")/mydocker-runc
ip link set lo up
"$md" run --rm -m 100m busybox true # the seccomp filter's cache, as after any first run
"$md" run --rm --net bridge busybox true # the bridge and the nft table, made on first use
crun --root "$state/crun" run --bundle "$out/bundle-crun" md-bench-crun
runc --root "$state/runc" run --bundle "$out/bundle-runc" md-bench-runc
"$mdrunc" --root "$state/mdrunc" run --bundle "$out/bundle-mdrunc" md-bench-mdrunc
id=$("$md" run -d --name bench-idle busybox sleep 100000)

# --- hyperfine, in rounds ---------------------------------------------------------------------
# This VM's speed drifts over seconds (an inode allocation most: 10 µs, then 400 µs for a
# while), and one hyperfine call measures its commands one after another: a slow spell that
# falls on one row skews its ratio. So hyperfine runs ROUNDS times (BENCH_ROUNDS, default 6),
# each time every command for RUNS/ROUNDS runs, in an order rotated and reversed from round to
# round; a command's median is taken over all its runs of all rounds.
names=(floor true host-files busybox bridge publish crun runc mdrunc version ps inspect info images)
commands=(
  'unshare --pid --uts --mount --ipc --net --fork /bin/true'
  '/bin/true'
  "$md run --rm -mem 100m -cpu 50 -cpuset 0 /bin/true"
  "$md run --rm -m 100m busybox true"
  "$md run --rm -m 100m --net bridge busybox true"
  "$md run --rm -m 100m -p 18080:80 busybox true"
  "crun --root $state/crun run --bundle $out/bundle-crun md-bench-crun"
  "runc --root $state/runc run --bundle $out/bundle-runc md-bench-runc"
  "$mdrunc --root $state/mdrunc run --bundle $out/bundle-mdrunc md-bench-mdrunc"
  "$md --version"
  "$md ps -a"
  "$md inspect $id"
  "$md info"
  "$md images")
rounds=${BENCH_ROUNDS:-6}
per_round=$(((runs + rounds - 1) / rounds))
count=${#names[@]}
for round in $(seq 0 $((rounds - 1))); do
  args=()
  for i in $(seq 0 $((count - 1))); do
    k=$(((i + round * 5) % count))
    [ $((round % 2)) = 1 ] && k=$((count - 1 - k))
    args+=(-n "${names[k]}" "${commands[k]}")
  done
  hyperfine -N --warmup 2 --runs "$per_round" --export-json "$out/h$round.json" "${args[@]}" >/dev/null
done
median() { # over every run of every round, in ms
  jq -s -r --arg n "$1" '[.[].results[] | select(.command == $n) | .times[]] | sort |
    (if length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end)
    * 1000' "$out"/h*.json
}
row() { # name, its median, the reference's name, its median, the target
  awk -v n="$1" -v m="$2" -v rn="$3" -v r="$4" -v t="$5" 'BEGIN {
    x = m / r; printf "%-44s %8.2f ms %6.2f x %-6s (target <= %s) %s\n", n, m, x, rn, t, (x <= t ? "ok" : "MISSED") }'
}
# The scratch directory's group right now (see above): the median of 50 mkdir+rmdir pairs.
disk_us=$(python3 -c '
import os, sys, time, statistics
d = sys.argv[1] + "/disk-probe"
t = []
for i in range(50):
    s = time.perf_counter(); os.mkdir(d); os.rmdir(d); t.append(time.perf_counter() - s)
print("%.0f" % (statistics.median(t) * 1e6))' "$out")
floor=$(median floor) true_ms=$(median true) crun_ms=$(median crun)
printf '%-44s %8s µs (a quiet group: 20-40)\n' "disk: mkdir+rmdir in the scratch directory" "$disk_us"
printf '%-44s %8.2f ms\n' "floor: unshare --pid --uts --mount --ipc --net" "$floor"
printf '%-44s %8.2f ms\n' "/bin/true" "$true_ms"
printf '%-44s %8.2f ms\n' "crun run (busybox bundle, 100m)" "$crun_ms"
printf '%-44s %8.2f ms\n' "runc run (the same bundle)" "$(median runc)"
row "mydocker-runc run (the same bundle)" "$(median mdrunc)" crun "$crun_ms" 1
row "mydocker run -mem 100m -cpu 50 -cpuset 0" "$(median host-files)" floor "$floor" 1.5
row "mydocker run --rm -m 100m busybox true" "$(median busybox)" crun "$crun_ms" 0.67
for n in bridge publish; do # what a bridge network adds to a run (target: <= 1 ms)
  awk -v n="$n" -v m="$(median $n)" -v b="$(median busybox)" 'BEGIN {
    printf "%-44s %8.2f ms %+6.2f ms vs --net none (target <= +1 ms) %s\n", "mydocker run ... " (n == "bridge" ? "--net bridge" : "-p 18080:80"), m, m - b, (m - b <= 1 ? "ok" : "MISSED") }'
done
for c in version ps inspect info images; do row "mydocker $c" "$(median $c)" true "$true_ms" 2; done

# --- peak RSS (the largest process of each; KiB) -----------------------------------------------
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
peak_host=$(rss "$md" run --rm -mem 100m -cpu 50 -cpuset 0 /bin/true)
peak_busybox=$(rss "$md" run --rm -m 100m busybox true)
peak_crun=$(rss crun --root "$state/crun" run --bundle "$out/bundle-crun" md-bench-crun)
for p in "host-files:$peak_host" "busybox:$peak_busybox" "crun:$peak_crun"; do
  awk -v n="${p%%:*}" -v k="${p#*:}" 'BEGIN {
    printf "peak RSS %-35s %8d KiB %s\n", n, k, (n == "crun" ? "" : (k <= 3072 ? "ok (target <= 3 MiB)" : "MISSED (target <= 3 MiB)")) }'
done
"$md" rm -f "$id" >/dev/null

# --- images: load and pull throughput (MB/s, against cat of the same archive), and the run of a
# 5-layer image against a 1-layer one of the same files ------------------------------------------
img=$out/img
mkdir -p "$img"
(set -e; cd "$img"; umoci init --layout oci; umoci new --image oci:one
  umoci unpack --image oci:one b >/dev/null; cp -a "$out/bundle/rootfs/." b/rootfs/
  head -c 64000000 /dev/urandom >b/rootfs/big
  umoci repack --image oci:one b; rm -rf b; umoci new --image oci:five
  for i in 1 2 3 4 5; do
    umoci unpack --image oci:five b >/dev/null
    [ "$i" = 1 ] && cp -a "$out/bundle/rootfs/." b/rootfs/
    echo "$i" >"b/rootfs/layer$i"; umoci repack --image oci:five b; rm -rf b
  done
  tar -C oci -cf all.tar .) >/dev/null 2>&1
ms() { local s; s=$(date +%s%N); "$@" >/dev/null 2>&1; echo $((($(date +%s%N) - s) / 1000000)); }
mid() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
size_mb=$(awk -v b="$(stat -c %s "$img/all.tar")" 'BEGIN { printf "%.1f", b / 1e6 }')
cat_ms=$(for _ in 1 2 3; do ms cat "$img/all.tar"; done | mid)
load_ms=$(for _ in 1 2 3; do
  MYDOCKER_DATA_ROOT=$img/data ms "$md" load -i "$img/all.tar"
  for i in $(MYDOCKER_DATA_ROOT=$img/data "$md" images -q); do MYDOCKER_DATA_ROOT=$img/data "$md" rmi -f "$i" >/dev/null; done
done | mid)
throughput() { awk -v n="$1" -v mb="$size_mb" -v t="$2" -v c="$cat_ms" 'BEGIN {
  printf "%-44s %8.1f MB/s (%s MB in %d ms; cat: %.0f MB/s)\n", n, mb / (t / 1000), mb, t, mb / (c / 1000) }'; }
throughput "mydocker load (OCI layout, 2 images)" "$load_ms"
# pull: from Debian's docker-registry on this namespace's loopback
ip link set lo up
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$img/registry" "$port" >"$img/registry.yml"
docker-registry serve "$img/registry.yml" >/dev/null 2>&1 &
registry_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
# index.json order: "one" (busybox and 64 MB of random bytes, one layer), then "five"
ids=$(MYDOCKER_DATA_ROOT=$img/data "$md" load -i "$img/all.tar" | awk '/ID/ { sub("sha256:", "", $4); print $4 }')
large=$(echo "$ids" | sed -n 1p) five=$(echo "$ids" | sed -n 2p)
for i in $(MYDOCKER_DATA_ROOT=$img/data "$md" images -q); do
  MYDOCKER_DATA_ROOT=$img/data "$md" tag "$i" "127.0.0.1:$port/bench/i$i:1"
  MYDOCKER_DATA_ROOT=$img/data "$md" push -q "127.0.0.1:$port/bench/i$i:1"
done
pull_ms=$(for r in 1 2 3; do
  s=$(date +%s%N)
  for i in $(MYDOCKER_DATA_ROOT=$img/data "$md" images -q); do
    MYDOCKER_DATA_ROOT=$img/pull$r "$md" pull -q "127.0.0.1:$port/bench/i$i:1" >/dev/null
  done
  echo $((($(date +%s%N) - s) / 1000000)); rm -rf "$img/pull$r"
done | mid)
kill "$registry_pid"; wait "$registry_pid" 2>/dev/null || true
throughput "mydocker pull (the same 2 images, loopback)" "$pull_ms"
# 5 layers against 1 (the run does not read the files: the extra 64 MB of "one" cost nothing)
hyperfine -N --warmup 3 --runs "$runs" --export-json "$img/h.json" \
  -n one "env MYDOCKER_DATA_ROOT=$img/data $md run --rm $large true" \
  -n five "env MYDOCKER_DATA_ROOT=$img/data $md run --rm $five true" >/dev/null
m1=$(jq '.results[0].median * 1000' "$img/h.json") m5=$(jq '.results[1].median * 1000' "$img/h.json")
awk -v a="$m1" -v b="$m5" 'BEGIN { printf "%-44s %8.2f ms against %.2f ms with 1 layer (%+.2f ms)\n", "mydocker run of a 5-layer image", b, a, b - a }'

# --- scale ----------------------------------------------------------------------------------
[ "${BENCH_SCALE:-1000}" = 0 ] && exit 0
total=${BENCH_SCALE:-1000}
batch=$((total / 4))
echo
echo "scale: $total detached busybox containers (sleep), started one after another"
count=0
while [ "$count" -lt "$total" ]; do
  start=$(date +%s%N)
  for _ in $(seq "$batch"); do
    "$md" run -d -m 20m busybox sleep 100000 >/dev/null || { echo "run -d failed" >&2; exit 1; }
  done
  count=$((count + batch))
  awk -v c="$count" -v b="$batch" -v t="$(($(date +%s%N) - start))" \
    'BEGIN { printf "  run -d, containers %5d-%5d: %6.2f ms each\n", c - b + 1, c, t / b / 1e6 }'
done
hyperfine -N --warmup 3 --runs 20 --export-json "$out/ps.json" "$md ps -a" >/dev/null
awk -v m="$(jq '.results[0].median * 1000' "$out/ps.json")" -v n="$total" \
  'BEGIN { printf "  ps -a with %d containers: %.2f ms %s\n", n, m, (m <= 50 ? "ok (target <= 50 ms)" : "MISSED (target <= 50 ms)") }'
sleep 2 # the supervisors go idle after 1 s
sum=0 anon=0 n=0
for d in "$MYDOCKER_ROOT"/*/state.json; do
  pid=$(jq .supervisor_pid "$d")
  sum=$((sum + $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")))
  anon=$((anon + $(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")))
  n=$((n + 1))
  [ "$n" -ge 50 ] && break
done
awk -v s="$sum" -v a="$anon" -v n="$n" 'BEGIN {
  printf "  idle supervisor: RSS %.0f KiB (anonymous %.0f KiB), mean of %d %s\n", s / n, a / n, n, (s / n <= 1024 ? "ok (target <= 1 MiB)" : "MISSED (target <= 1 MiB)") }'
# stop and rm -f of a container that exits on SIGTERM: from the signal (stop: SIGTERM; rm -f:
# SIGKILL, as docker's) to the command's return (the container's own exit, its pid namespace
# torn down, is inside that interval).
lat=$out/latency
for cmd in stop "rm -f"; do
  : >"$lat"
  for _ in $(seq 20); do
    c=$("$md" run -d busybox sh -c 'trap "exit 0" TERM; sleep 100000 & wait')
    sleep 0.05
    MYDOCKER_TIMING=1 "$md" $cmd "$c" 2>&1 >/dev/null |
      awk '/stop: signalled/ { s = $2 } /stop: stopped|rm: removed/ { e = $2 } END { print e - s }' >>"$lat"
    "$md" rm -f "$c" >/dev/null 2>&1 || true
  done
  sort -n "$lat" | awk -v c="$cmd" '{ v[NR] = $1 } END {
    m = v[int((NR + 1) / 2)] / 1000; printf "  %-6s %s sent -> command returned: median %.2f ms (the container exits in between)\n", c, (c == "stop" ? "SIGTERM" : "SIGKILL"), m }'
done
start=$(date +%s%N)
for c in $("$md" ps -aq); do "$md" rm -f "$c" >/dev/null; done
awk -v t="$(($(date +%s%N) - start))" -v n="$total" \
  'BEGIN { printf "  rm -f of %d containers (SIGKILL): %.2f ms each\n", n, t / n / 1e6 }'
