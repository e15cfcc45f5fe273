#!/usr/bin/env bash
# Seed 000's "climits": run an app under a 60 MB limit and start it again when the OOM killer
# kills it. Here with a shell loop around mydocker (restart policies come with detached
# containers). The app allocates 1 MiB every 20 ms, so it is killed at about 60 MiB each time.
md=${MYDOCKER:-mydocker}
here=$(cd "$(dirname "$0")" && pwd)
alloc=${ALLOC:-$here/../build/examples/alloc}
for attempt in 1 2 3; do
  $md run -mem 60m "$alloc" 1 0 20 | tail -1
  status=${PIPESTATUS[0]}
  echo "attempt $attempt: exit $status"
  [ "$status" -eq 137 ] || break   # 137 = SIGKILL: the OOM killer; anything else: stop
done
