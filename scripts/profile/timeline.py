#!/usr/bin/env python3
"""Reads an ftrace text trace (timeline.sh) and prints, in microseconds from the first event:
the processes (fork, exec, exit), the system calls that took at least THRESHOLD µs (with the
process and CPU), and per process the total time spent in each system call."""
import collections
import re
import sys

NAMES = {0: "read", 1: "write", 3: "close", 5: "fstat", 7: "poll", 8: "lseek", 9: "mmap",
         10: "mprotect", 11: "munmap", 12: "brk", 14: "rt_sigprocmask", 21: "access",
         35: "nanosleep", 39: "getpid", 158: "arch_prctl", 218: "set_tid_address",
         231: "exit_group", 273: "set_robust_list", 302: "prlimit64", 318: "getrandom",
         334: "rseq",
         13: "rt_sigaction", 16: "ioctl", 17: "pread64", 33: "dup2", 41: "socket",
         44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg", 56: "clone", 59: "execve",
         61: "wait4", 62: "kill", 72: "fcntl", 73: "flock", 80: "chdir", 82: "rename",
         83: "mkdir", 84: "rmdir", 87: "unlink", 88: "symlink", 89: "readlink", 112: "setsid",
         125: "capget", 126: "capset", 155: "pivot_root", 157: "prctl", 165: "mount",
         166: "umount2", 202: "futex", 217: "getdents64", 257: "openat", 259: "mknodat",
         262: "newfstatat", 263: "unlinkat", 272: "unshare", 293: "pipe2", 308: "setns",
         317: "seccomp", 319: "memfd_create", 322: "execveat", 435: "clone3",
         436: "close_range", 437: "openat2", 442: "mount_setattr"}
LINE = re.compile(r"^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+): (\w+): (.*)$")


def main(path, threshold):
    start = None
    open_calls, slow = {}, []
    per_process = collections.defaultdict(collections.Counter)
    counts = collections.defaultdict(collections.Counter)
    comm = {}
    print("processes (ms from the first event):")
    for line in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        name, pid, cpu, ts, event, rest = m.groups()
        t = float(ts) * 1e6
        start = t if start is None else start
        comm[pid] = name
        if event == "sys_enter":
            open_calls[pid] = (int(rest.split()[1]), t)
        elif event == "sys_exit" and pid in open_calls:
            nr, t0 = open_calls.pop(pid)
            call = NAMES.get(nr, f"syscall {nr}")
            per_process[pid][call] += t - t0
            counts[pid][call] += 1
            if t - t0 >= threshold:
                slow.append((t0 - start, t - t0, pid, cpu, call))
        elif event.startswith("sched_process_"):
            print(f"  {(t - start) / 1000:8.3f}  cpu{cpu} {name}-{pid}: {event[14:]} {rest}")
    print(f"\nsystem calls of {threshold:.0f} µs or more (start ms, µs, process, cpu):")
    for at, took, pid, cpu, call in slow:
        print(f"  {at / 1000:8.3f}  {took:7.0f}  {comm.get(pid, '?')}-{pid} cpu{cpu} {call}")
    print("\ntime in system calls per process (µs, calls), largest first:")
    for pid, calls in per_process.items():
        total = sum(calls.values())
        top = ", ".join(f"{c} {v:.0f} ({counts[pid][c]})" for c, v in calls.most_common(6))
        print(f"  {comm.get(pid, '?')}-{pid}: {total:.0f} µs: {top}")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 40.0)
