#!/usr/bin/env bash
# The demo of seeds 001 and 002: a 100 MiB limit that 99 MiB of stress fits under and 101 MiB
# does not, and a busy loop held to 20 % of one CPU, each with --trace showing what happens.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 125
scripts/build.sh mydocker burn alloc >/dev/null || exit 125
md=build/mydocker
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "mydocker info"
$md info

say "stress 99m under -mem 100m: fits (exit 0)"
$md run --trace -mem 100m stress --vm 1 --vm-bytes 99m --vm-keep --timeout 3s
echo "exit status: $?"

say "stress 101m under -mem 100m: the OOM killer steps in"
$md run -mem 100m stress --vm 1 --vm-bytes 101m --vm-keep --timeout 3s
echo "exit status: $?"

say "a busy loop under -cpu 20 (20 % of one CPU), pinned to CPU 0"
$md run --trace -cpu 20 -cpuset 0 "$PWD/build/examples/burn" 3
echo "exit status: $?"

say "a busybox image: import it, then run -it (its own root, /dev, network and a terminal)"
img=$(mktemp -d)
mkdir -p "$img/r/bin" "$img/r/etc" "$img/r/tmp" "$img/r/root"
cp /bin/busybox "$img/r/bin/"
for a in $("$img/r/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$img/r/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$img/r/etc/passwd"
tar -C "$img/r" -cf "$img/busybox.tar" .
$md import "$img/busybox.tar" busybox
rm -rf "$img"
$md images
if [ -t 0 ] && [ -t 1 ]; then
  echo "(a shell in the container: try ls /, ps, ip link, id; exit leaves)"
  $md run -it --rm --hostname demo -mem 100m busybox sh
else  # no terminal here: script(1) gives the container one and types for us
  printf 'tty; hostname; ls /; ip -o link; id; ps; exit\n' |
    script -qec "$md run -it --rm --hostname demo -mem 100m busybox sh" /dev/null
fi
echo "exit status: $?"

say "nothing left behind"
find /sys/fs/cgroup -path '*mydocker*' -type d | sed 's/^/  /'
echo "(no lines above: no cgroup left)"
