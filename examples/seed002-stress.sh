#!/usr/bin/env bash
# Seed 002: a process in new UTS, PID and mount namespaces under a 100 MiB memory limit.
# 99 MiB of stress fits, 101 MiB gets SIGKILL from the OOM killer (mydocker reports it).
md=${MYDOCKER:-mydocker}
$md run -mem 100m stress --vm 1 --vm-bytes 99m --vm-keep --timeout 3s; echo "99m: exit $?"
$md run -mem 100m stress --vm 1 --vm-bytes 101m --vm-keep --timeout 3s; echo "101m: exit $?"
