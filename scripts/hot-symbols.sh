#!/usr/bin/env bash
# Regenerates cmake/hot-symbols.txt: the functions `mydocker run` (and the read-only commands)
# execute, which the link (lld --symbol-ordering-file) puts together at the start of .text.
# Why: a static binary's code pages come in through fault-around, 64 KiB at a time, so a hot
# path scattered over 10 MB of code costs megabytes of RSS; packed, it costs a few hundred KiB
# (README, performance). Two sources, merged:
#   - valgrind --tool=callgrind over what can run under it: run --dry-run (the plan and the
#     init's steps, dry), ps, inspect, images, info, --version;
#   - scripts/profile/steptrace.c, single-stepping real runs (valgrind cannot follow clone3
#     into namespaces): the supervisor's side of a run. Slow: about 5 minutes per run.
# Usage (root, after scripts/build.sh): scripts/hot-symbols.sh; then rebuild and commit the list.
# A stale list is harmless: names that no longer exist are ignored, new functions go after.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh valgrind
md=$PWD/build/mydocker
work=$(mktemp -d /tmp/mydocker-hot.XXXXXX)
trap '"$md" --root "$work/s" --data-root "$work/d" rm -f keep >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
m() { "$md" --root "$work/s" --data-root "$work/d" "$@"; }
# A busybox image, as the benchmarks use.
r=$work/rootfs
mkdir -p "$r/bin" "$r/etc" "$r/tmp"
cp /bin/busybox "$r/bin/"
for a in $("$r/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
tar -C "$r" -cf "$work/bb.tar" . && m import "$work/bb.tar" busybox >/dev/null
m run -d --name keep sleep 600 >/dev/null
n=0
grind() { n=$((n + 1)); valgrind --tool=callgrind --callgrind-out-file="$work/cg.$n" --demangle=no \
  "$md" --root "$work/s" --data-root "$work/d" "$@" >/dev/null 2>&1 || true; }
grind run --dry-run -mem 100m -cpu 50 -cpuset 0 /bin/true
grind run --dry-run --rm -m 100m busybox true
grind run --dry-run -it --rm busybox sh
grind run -mem 100m /bin/true   # fails at clone3 under valgrind: the set-up before it
grind --version
grind ps -a
grind inspect keep
grind images
grind info
gcc -O2 -o "$work/steptrace" scripts/profile/steptrace.c
"$work/steptrace" "$md" --root "$work/s" --data-root "$work/d" run --rm -mem 100m -cpu 50 \
  -cpuset 0 /bin/true > "$work/st.host"
"$work/steptrace" "$md" --root "$work/s" --data-root "$work/d" run --rm -m 100m busybox true \
  > "$work/st.busybox"
nm -n --defined-only "$md" | awk '$2 ~ /[tTwW]/ && NF >= 3 { print $1, $3 }' > "$work/syms"
python3 - "$work" > cmake/hot-symbols.txt <<'PY'
import bisect, glob, re, sys
work = sys.argv[1]
syms = [(int(a, 16), n) for a, n in (l.split() for l in open(work + "/syms"))]
addrs = [a for a, _ in syms]
known = {n for _, n in syms}
names = set()
for f in glob.glob(work + "/cg.*"):
    for line in open(f, errors="replace"):
        m = re.match(r"c?fn=\(\d+\) (\S+)", line)
        if m and m.group(1) in known:
            names.add(m.group(1))
for f in glob.glob(work + "/st.*"):
    for line in open(f):
        i = bisect.bisect_right(addrs, int(line, 16)) - 1
        if i >= 0:
            names.add(syms[i][1])
print("\n".join(sorted(names)))
PY
echo "hot-symbols.sh: $(wc -l < cmake/hot-symbols.txt) functions in cmake/hot-symbols.txt" >&2
