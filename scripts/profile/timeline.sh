#!/usr/bin/env bash
# timeline: what the kernel did during one command, and where its processes waited, from
# ftrace: every process it forks, execs and exits, each system call over a threshold, and per
# process the time its system calls took. The tool behind README's "where a run's time goes".
#   scripts/profile/timeline.sh [-t MICROSECONDS] COMMAND [ARGS...]     (root)
# e.g. scripts/profile/timeline.sh build/mydocker run --rm -m 100m busybox true
# It uses an ftrace instance of its own (tracing/instances/mydocker-timeline-PID, removed at the
# end), never the global buffer or its settings, following the command and its children only
# (set_event_pid, event-fork). Where tracefs is not mounted it is mounted in a private mount
# namespace, so the host's mount table does not change.
set -euo pipefail
threshold=40
if [ "${1:-}" = -t ]; then threshold=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [-t MICROSECONDS] COMMAND [ARGS...]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
if [ "${MYDOCKER_TIMELINE_NS:-}" != 1 ]; then
  exec env MYDOCKER_TIMELINE_NS=1 unshare --mount --propagation private "$0" -t "$threshold" "$@"
fi
T=/sys/kernel/tracing
[ -e "$T/instances" ] || mount -t tracefs tracefs "$T"
inst="$T/instances/mydocker-timeline-$$"
out=$(mktemp /tmp/mydocker-timeline.XXXXXX)
mkdir "$inst"
echo 0 > "$inst/tracing_on"  # a new instance traces at once: not before the pid filter is set
trap 'echo 0 > "$inst/tracing_on" 2>/dev/null; rmdir "$inst" 2>/dev/null; rm -f "$out"' EXIT
echo 16384 > "$inst/buffer_size_kb"
for e in sched/sched_process_fork sched/sched_process_exec sched/sched_process_exit \
         sched/sched_switch raw_syscalls/sys_enter raw_syscalls/sys_exit; do
  echo 1 > "$inst/events/$e/enable"
done
echo 1 > "$inst/options/event-fork"
# The command runs in a child that traces itself (and, through event-fork, its children).
bash -c 'echo $$ > "$1/set_event_pid"; echo 1 > "$1/tracing_on"; shift; exec "$@"' _ "$inst" "$@" ||
  echo "(the command exited $?)" >&2
echo 0 > "$inst/tracing_on"
cat "$inst/trace" > "$out"
python3 "$here/timeline.py" "$out" "$threshold"
