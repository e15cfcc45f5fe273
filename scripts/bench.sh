#!/usr/bin/env bash
# Run-to-exit of /bin/true: mydocker against the floor `unshare --pid --uts --mount --ipc
# --fork /bin/true`, measured in the same run with hyperfine (medians), and mydocker's peak RSS.
# Targets: at most 1.5 x the floor with the host's files, at most 2 x in the busybox image (its
# own overlay root, /proc /sys /dev, a network namespace, capabilities, no_new_privs, seccomp).
# kernel-floor-busybox is the second floor: the kernel work of that busybox run alone.
# Usage: scripts/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
scripts/deps.sh
scripts/build.sh mydocker kernel_floor >/dev/null
md=$PWD/${MYDOCKER_BUILD_DIR:-build}/mydocker
kernel_floor=$PWD/${MYDOCKER_BUILD_DIR:-build}/examples/kernel_floor
out=$(mktemp -d)
chmod 755 "$out"  # --userns private: the container's root walks through it
export MYDOCKER_ROOT=$out/state   # runs of the benchmark do not mix with anybody's containers
export MYDOCKER_DATA_ROOT=$out/data
# State lives on tmpfs, as /run/mydocker does on any systemd host (BENCH_STATE_TMPFS=0: on
# $out's own filesystem; on ext4 each create or unlink there costs 0.2-0.3 ms in this VM).
mkdir -p "$MYDOCKER_ROOT"
[ "${BENCH_STATE_TMPFS:-1}" = 1 ] && mount -t tmpfs -o size=64m,mode=0700 mydocker-bench "$MYDOCKER_ROOT"
trap '"$md" prune >/dev/null 2>&1; umount "$MYDOCKER_ROOT" 2>/dev/null; rm -rf "$out"' EXIT

# The busybox image, from Debian's busybox-static, as the tests build it.
r=$out/rootfs
mkdir -p "$r/bin" "$r/etc" "$r/tmp"
cp /bin/busybox "$r/bin/"
for a in $("$r/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
tar -C "$r" -cf "$out/busybox.tar" .
"$md" import "$out/busybox.tar" busybox >/dev/null

# The kernel's own price of a hardened container of this image (examples/kernel_floor.c: the
# layer, the namespaces, the mounts, pivot_root, loopback, seccomp; nothing else): how close
# mydocker can get at best. It loads the filter mydocker compiled (the first run caches it).
"$md" run --rm busybox true
lower=$(echo "$MYDOCKER_DATA_ROOT"/images/*/rootfs)
bpf=$(ls "$MYDOCKER_DATA_ROOT"/seccomp/*.bpf | head -1)
mkdir -p "$out/floor"
hyperfine -N --warmup 20 --runs "$runs" --export-json "$out/h.json" \
  -n floor 'unshare --pid --uts --mount --ipc --fork /bin/true' \
  -n kernel-floor-busybox "$kernel_floor $lower $bpf $out/floor" \
  -n mydocker "$md run --rm -mem 100m -cpu 50 -cpuset 0 /bin/true" \
  -n mydocker-nolimits "$md run --rm /bin/true" \
  -n busybox-image "$md run --rm busybox true" \
  -n busybox-image-limits "$md run --rm -mem 100m -cpu 50 -cpuset 0 busybox true" \
  -n busybox-image-userns "$md run --rm --userns private busybox true" >/dev/null

median() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$out/h.json"; }
floor=$(median floor)
rss=$(/usr/bin/time -f %M "$md" run --rm -mem 100m -cpu 50 -cpuset 0 /bin/true 2>&1 >/dev/null | tail -1)
printf '%-48s %8s %8s\n' "run-to-exit of /bin/true (median of $runs)" "ms" "x floor"
for name in floor mydocker mydocker-nolimits kernel-floor-busybox busybox-image \
  busybox-image-limits busybox-image-userns; do
  m=$(median "$name")
  awk -v n="$name" -v m="$m" -v f="$floor" 'BEGIN { printf "%-48s %8.2f %8.2f\n", n, m * 1000, m / f }'
done
echo "peak RSS of mydocker run (largest of it and its children): ${rss} KiB"
awk -v b="$(median busybox-image)" -v k="$(median kernel-floor-busybox)" \
  'BEGIN { printf "busybox-image against kernel-floor-busybox: %.2f x\n", b / k }'

# --- ps and run -d as the number of containers grows (BENCH_LIFECYCLE=0 skips it) -----------
[ "${BENCH_LIFECYCLE:-1}" = 0 ] && exit 0
echo
printf '%-12s %14s %18s %16s\n' "containers" "ps (median ms)" "ps per container" "run -d (mean ms)"
count=0
for target in 1 10 100 ${BENCH_MAX:-500}; do
  start=$(date +%s%N)
  added=$((target - count))
  while [ "$count" -lt "$target" ]; do
    "$md" run -d -mem 20m sleep 100000 >/dev/null || { echo "run -d failed" >&2; exit 1; }
    count=$((count + 1))
  done
  run_ms=$(awk -v t="$(( $(date +%s%N) - start ))" -v n="$added" 'BEGIN { printf "%.2f", t / n / 1e6 }')
  hyperfine -N --warmup 2 --runs 10 --export-json "$out/ps.json" "$md ps" >/dev/null
  ps_s=$(jq -r '.results[0].median' "$out/ps.json")
  awk -v n="$target" -v p="$ps_s" -v r="$run_ms" \
    'BEGIN { printf "%-12d %14.2f %18.3f %16s\n", n, p * 1000, p * 1000 / n, r }'
done
"$md" ps -q | xargs -r "$md" rm -f >/dev/null
