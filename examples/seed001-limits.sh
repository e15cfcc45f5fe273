#!/usr/bin/env bash
# Seed 001: `mydocker run -mem 100m stress --vm-bytes 200m --vm-keep -m 1` (the -m 1 belongs to
# stress) and a busy loop under -cpu 10, then an interactive shell limited like the seed's.
md=${MYDOCKER:-mydocker}
here=$(cd "$(dirname "$0")" && pwd)
burn=${BURN:-$here/../build/examples/burn}
$md run -mem 100m stress --vm-bytes 200m --vm-keep -m 1 --timeout 3s; echo "exit $?"
$md run -cpu 10 "$burn" 3; echo "exit $?"
echo "now: mydocker run -it -mem 100m -cpu 20 -cpuset 0 /bin/sh   (try: cat /proc/self/cgroup)"
$md run -it -mem 100m -cpu 20 -cpuset 0 /bin/sh
