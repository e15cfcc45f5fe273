#!/bin/sh
# Runs inside the v2vm (pure cgroup v2, busybox, no systemd) as /payload/run.sh, from a leaf
# cgroup that holds processes (/payload.slice/session.scope), as on a systemd host.
# The same scenarios as the v1 integration tests, proven by their effect.
cd /payload || exit 2
MD=/payload/mydocker
BURN=/payload/burn
ALLOC=/payload/alloc
export MYDOCKER_ROOT=/run/mydocker-v2test
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# A cgroup or a running container. (Stopped containers stay listed, as in docker, until rm.)
leftovers() { find /sys/fs/cgroup -name mydocker -type d 2>/dev/null; $MD ps -q 2>/dev/null; }
check_clean() {
  left=$(leftovers)
  [ -z "$left" ] && pass "$1: nothing left behind" || fail "$1: left behind: $left"
}

echo "kernel $(uname -r), cgroup: $(cat /proc/self/cgroup)"

# info: v2, and why containers go to /mydocker
out=$($MD info 2>&1)
echo "$out" | grep -q "Cgroup mode:   v2" && pass "info says v2" || fail "info: $out"
echo "$out" | grep -q "/sys/fs/cgroup/mydocker/<id>" && echo "$out" | grep -q "no internal processes" &&
  pass "info: containers go to /mydocker, and why" || fail "info placement: $out"

# seed 002: 99m fits under -mem 100m, 101m is OOM-killed and reported
if command -v stress >/dev/null; then
  $MD run -mem 100m stress --vm 1 --vm-bytes 99m --vm-keep --timeout 3s >/tmp/o 2>&1
  rc=$?
  [ $rc -eq 0 ] && ! grep -q OOM /tmp/o && pass "stress 99m under -mem 100m: exit 0" ||
    fail "stress 99m: exit $rc: $(cat /tmp/o)"
  $MD run -mem 100m stress --vm 1 --vm-bytes 101m --vm-keep --timeout 3s >/tmp/o 2>&1
  rc=$?
  [ $rc -ne 0 ] && grep -q "killed by the OOM killer (memory limit 100MiB, peak 100MiB)" /tmp/o &&
    pass "stress 101m: OOM reported (exit $rc)" || fail "stress 101m: exit $rc: $(cat /tmp/o)"
else
  fail "stress is not in the VM (V2VM_HOST_BINS=stress)"
fi
$MD run -mem 20m $ALLOC >/dev/null 2>/tmp/o
rc=$?
[ $rc -eq 137 ] && grep -q OOM /tmp/o && pass "OOM-killed init: exit 137" || fail "alloc under 20m: exit $rc $(cat /tmp/o)"
# docker's oom event while the container runs (inotify on memory.events), not again at its end
id=$($MD run -d -mem 20m sh -c "$ALLOC >/dev/null; sleep 60")
i=0
while [ $i -lt 50 ] && ! $MD events --since 0 --until 0s --filter container="$id" --filter event=oom | grep -q oom; do
  sleep 0.1
  i=$((i + 1))
done
running=$($MD inspect --format '{{.State.Running}}' "$id")
$MD rm -f "$id" >/dev/null
n=$($MD events --since 0 --until 0s --filter container="$id" --filter event=oom | grep -c oom)
[ "$running" = true ] && [ "$n" -eq 1 ] && pass "oom event while running (once)" ||
  fail "oom event: running=$running, $n oom events"
check_clean memory

# -cpu 20: a 3 s busy loop gets 20 % +- 3 % of one CPU
out=$($MD run -cpu 20 $BURN 3 2>&1)
ratio=$(echo "$out" | sed -n 's/.*ratio \([0-9.]*\).*/\1/p')
pct=$(echo "$ratio" | awk '{ printf "%d", $1 * 100 + 0.5 }')
[ -n "$pct" ] && [ "$pct" -ge 17 ] && [ "$pct" -le 23 ] && pass "-cpu 20: $out" || fail "-cpu 20: $out"
out=$($MD run --cpus 0.5 $BURN 2 2>&1)
pct=$(echo "$out" | sed -n 's/.*ratio \([0-9.]*\).*/\1/p' | awk '{ printf "%d", $1 * 100 + 0.5 }')
[ -n "$pct" ] && [ "$pct" -ge 45 ] && [ "$pct" -le 55 ] && pass "--cpus 0.5: $out" || fail "--cpus 0.5: $out"

# cpuset
out=$($MD run -cpuset 1 grep Cpus_allowed_list /proc/self/status 2>&1)
echo "$out" | grep -q "Cpus_allowed_list:	1$" && pass "-cpuset 1: $out" || fail "-cpuset 1: $out"
# Without it, every CPU of the caller's: the init is set up off mydocker's CPU (born in its v2
# cgroup, no cpuset join resets that) and gets its CPUs back before the command runs.
want=$(grep Cpus_allowed_list /proc/self/status)
for i in 1 2 3 4 5; do
  out=$($MD run grep Cpus_allowed_list /proc/self/status 2>&1)
  [ "$out" = "$want" ] || break
done
[ "$out" = "$want" ] && pass "no -cpuset: $out" || fail "no -cpuset: $out (want $want)"

# pids: a fork beyond pids.max fails
out=$($MD run --pids-limit 5 v2tool forks 10 2>&1)
echo "$out" | grep -q "4 of 10 succeeded" && pass "--pids-limit 5: $out" || fail "--pids-limit 5: $out"

# io: a throttled read on a RAM disk
if [ -b /dev/ram0 ]; then
  start=$(date +%s)
  out=$($MD run --device /dev/ram0 --device-read-bps /dev/ram0:1mb dd if=/dev/ram0 of=/dev/null bs=64k count=48 iflag=direct 2>&1)
  took=$(($(date +%s) - start))
  [ "$took" -ge 2 ] && pass "--device-read-bps 1mb: 3 MiB took ${took}s" || fail "--device-read-bps: ${took}s: $out"
  start=$(date +%s)
  out=$($MD run --device /dev/ram0 --device-write-bps /dev/ram0:1mb dd if=/dev/zero of=/dev/ram0 bs=64k count=48 oflag=direct 2>&1)
  took=$(($(date +%s) - start))
  [ "$took" -ge 2 ] && pass "--device-write-bps 1mb: 3 MiB took ${took}s" || fail "--device-write-bps: ${took}s: $out"
else
  fail "no /dev/ram0 (V2VM_MODULES=brd)"
fi
check_clean "cpu, cpuset, pids, io"

# the v2 files and conversions, in the trace
out=$($MD run --trace -m 100m --memory-swap 300m --memory-reservation 50m --cpu-shares 1024 \
      --cpu-quota 50000 --cpu-period 100000 --pids-limit 9 --blkio-weight 500 true 2>&1)
for want in "echo 104857600 > /sys/fs/cgroup/mydocker/" "/memory.max" \
    "echo 209715200 > /sys/fs/cgroup/mydocker/" "/memory.swap.max" \
    "echo 52428800 > " "/memory.low" \
    "echo 100 > " "/cpu.weight" \
    "echo '50000 100000' > " "/cpu.max" \
    "echo 9 > " "/pids.max" \
    "cgroup.subtree_control" "CLONE_INTO_CGROUP" "rmdir /sys/fs/cgroup/mydocker"; do
  echo "$out" | grep -qF -- "$want" || { fail "trace lacks '$want': $out"; break; }
done
if echo "$out" | grep -q "echo 'default 4950' > .*/io\.\(bfq\.\)\?weight"; then
  pass "trace shows the v2 files and conversions (--blkio-weight 500 -> io weight 4950)"
else
  fail "trace: io weight: $out"
fi
check_clean trace

# --report and --report-file
$MD run --report --report-file /tmp/report.json -mem 50m --pids-limit 10 $ALLOC 1 10 >/dev/null 2>/tmp/o
grep -q "memory  peak" /tmp/o && grep -q "pids" /tmp/o && grep -q '"exit_status": 0' /tmp/report.json &&
  grep -q '"cgroup_mode": "v2"' /tmp/report.json && pass "--report, --report-file" ||
  fail "report: $(cat /tmp/o /tmp/report.json)"

# stop: SIGTERM, and --stop-timeout later everything is killed (cgroup.kill)
$MD run --stop-timeout 1 sh -c 'echo ready; exec sleep 30' >/tmp/o 2>&1 &
pid=$!
i=0; while ! grep -q ready /tmp/o && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 137 ] && pass "SIGTERM + --stop-timeout 1: exit 137" || fail "stop: exit $rc $(cat /tmp/o)"
check_clean stop

# kill -9 of mydocker, then prune
$MD run -mem 50m sh -c 'echo ready; exec sleep 30' >/tmp/o 2>&1 &
pid=$!
i=0; while ! grep -q ready /tmp/o && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $pid
wait $pid 2>/dev/null
sleep 0.5
[ -n "$(ls /sys/fs/cgroup/mydocker 2>/dev/null)" ] && pass "kill -9 leaves a cgroup for prune" ||
  fail "kill -9: no cgroup left?"
$MD prune >/tmp/o 2>&1 && grep -q removed /tmp/o && pass "prune: $(tr '\n' ' ' </tmp/o)" || fail "prune: $(cat /tmp/o)"
check_clean prune

# bad input: exit 125, the flag named, nothing left
for args in "-mem abc true" "-cpu 0 true" "-cpuset 99 true" "--memory-swappiness 10 true" \
    "--oom-kill-disable true" "--cpu-rt-runtime 1000 true" "--pids-limit -5 true" \
    "-m 100m --memory-swap 50m true" "--cgroup-parent relative true"; do
  $MD run $args >/dev/null 2>/tmp/o
  rc=$?
  [ $rc -eq 125 ] && [ "$(wc -l </tmp/o)" -eq 1 ] || fail "bad input '$args': exit $rc: $(cat /tmp/o)"
done
pass "bad input: exit 125 with one message each"
check_clean "bad input"

# Real containers on v2: a busybox image, its own root, exec, pause, hardening, userns
export MYDOCKER_DATA_ROOT=/tmp/mydocker-data
r=/tmp/bbroot
mkdir -p $r/bin $r/etc $r/tmp
cp /bin/busybox $r/bin/
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox $r/bin/$a; done
echo 'root:x:0:0:root:/root:/bin/sh' >$r/etc/passwd
tar -C $r -cf /tmp/bb.tar . && $MD import /tmp/bb.tar busybox >/dev/null 2>/tmp/o &&
  pass "import a busybox image" || fail "import: $(cat /tmp/o)"
out=$($MD run --rm -m 50m busybox sh -c 'ls /; grep -c " / overlay" /proc/self/mountinfo;
  grep -E "Seccomp:|NoNewPrivs|CapEff" /proc/self/status; ip -o link | wc -l; cat /proc/self/cgroup' 2>&1)
echo "$out" | grep -q "^bin$" && echo "$out" | grep -q "Seccomp:	2" &&
  echo "$out" | grep -q "NoNewPrivs:	1" && echo "$out" | grep -q "CapEff:	00000000a80425fb" &&
  echo "$out" | grep -q "^0::/$" && pass "run in the image: overlay root, seccomp, caps, cgroup namespace" ||
  fail "image run: $out"
# docker's /sys/fs/cgroup on v2: the container's own cgroup, read-only, its namespace's root.
out=$($MD run --rm -m 50m --pids-limit 40 busybox sh -c 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max;
  { echo 1 > /sys/fs/cgroup/pids.max; } 2>&1; grep " /sys/fs/cgroup " /proc/self/mountinfo' 2>&1)
echo "$out" | grep -q "^52428800$" && echo "$out" | grep -q "^40$" &&
  echo "$out" | grep -q "Read-only file system" && echo "$out" | grep -q " / /sys/fs/cgroup ro," &&
  pass "/sys/fs/cgroup: its own cgroup, read-only" || fail "/sys/fs/cgroup: $out"
out=$($MD run --rm --cgroupns host busybox cat /proc/self/cgroup 2>&1)
echo "$out" | grep -q "^0::/mydocker/" && pass "--cgroupns host" || fail "--cgroupns host: $out"
# --privileged: writable, and cgroups it makes in its own go with it.
out=$($MD run --rm --privileged busybox sh -c 'mkdir -p /sys/fs/cgroup/a/b &&
  echo $$ > /sys/fs/cgroup/a/b/cgroup.procs && cat /proc/self/cgroup' 2>&1)
[ "$out" = "0::/a/b" ] && [ -z "$(find /sys/fs/cgroup/mydocker -mindepth 1 -type d 2>/dev/null)" ] &&
  pass "--privileged: nested cgroups, removed with it" || fail "nested cgroups: $out"
# The host's files with --cgroupns private: its own cgroup at /sys/fs/cgroup, not the host's.
out=$($MD run --rm --pids-limit 30 --cgroupns private sh -c 'cat /sys/fs/cgroup/pids.max /proc/self/cgroup' 2>&1)
[ "$out" = "$(printf '30\n0::/')" ] && pass "host files, --cgroupns private: its own view" ||
  fail "host files --cgroupns private: $out"
$MD run --rm -m 20m busybox sh -c 'x=$(head -c 40000000 /dev/zero | tr "\0" a)' >/dev/null 2>/tmp/o
rc=$?
[ $rc -eq 137 ] && grep -q OOM /tmp/o && pass "the image's shell OOM-killed under -m 20m" ||
  fail "image OOM: exit $rc $(cat /tmp/o)"
if [ -f /payload/layered.tar.gz ]; then
  out=$($MD load -i /payload/layered.tar.gz 2>&1) && id=${out#Loaded image ID: sha256:} &&
    out=$($MD run --rm "$id" 2>&1) && [ "$out" = layered-v2-ok ] &&
    pass "load an OCI layout of two layers, run its Cmd (a whiteout hides a file)" ||
    fail "layered image: $out"
  $MD rmi "$id" >/dev/null 2>&1
else
  fail "no layered image (umoci missing on the host?)"
fi
id=$($MD run -d --name web busybox sh -c 'echo up; sleep 60' 2>/tmp/o)
out=$($MD exec web sh -c 'grep -E "Seccomp:|CapEff" /proc/self/status; cat /proc/self/cgroup;
  readlink /proc/self/ns/cgroup' 2>&1)
init_ns=$(readlink /proc/$($MD inspect -f '{{.State.Pid}}' web)/ns/cgroup)
echo "$out" | grep -q "Seccomp:	2" && echo "$out" | grep -q "^0::/$" &&
  echo "$out" | grep -qxF "$init_ns" &&
  pass "exec under the container's rules, in its cgroup namespace" || fail "exec: $out $(cat /tmp/o)"
$MD pause web && grep -q "frozen 1" /sys/fs/cgroup/mydocker/*/cgroup.events &&
  $MD unpause web && pass "pause/unpause (cgroup.freeze)" || fail "pause"
$MD rm -f web >/dev/null 2>&1 || fail "rm -f web"
# Debian 12's kernel (6.1) has no idmapped tmpfs mounts (6.3+), and this VM has only tmpfs:
# --userns private must refuse clearly and leave nothing.
out=$($MD run --rm --userns private busybox true 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
  pass "--userns private runs"
elif [ $rc -eq 125 ] && echo "$out" | grep -q "idmapped"; then
  pass "--userns private on tmpfs with Linux $(uname -r): clear error ($out)"
else
  fail "--userns private: exit $rc: $out"
fi
check_clean images
[ -z "$(ls $MYDOCKER_DATA_ROOT/containers 2>/dev/null)" ] && pass "no container layer left" ||
  fail "layers left: $(ls $MYDOCKER_DATA_ROOT/containers)"
grep -q overlay /proc/self/mountinfo && fail "an overlay mount left" || pass "no overlay mount left"

# Device nodes (cgroup v2: the BPF_PROG_TYPE_CGROUP_DEVICE filter): an image with kmsg, mem and
# a block device (ram0); EACCES from nodev for the image's nodes, EPERM from the filter for nodes
# made in /dev; --device, --device-cgroup-rule and --privileged grant what they name.
r=/tmp/devroot
mkdir -p $r/bin $r/tmp && cp /bin/busybox $r/bin/
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox $r/bin/$a; done
mknod $r/kmsg c 1 11 && mknod $r/mem c 1 1 && mknod $r/ram b 1 0
tar -C $r -cf /tmp/dev.tar . && $MD import /tmp/dev.tar devimg >/dev/null 2>/tmp/o || fail "import devimg: $(cat /tmp/o)"
probe=probe-$$-default
out=$($MD run --rm devimg sh -c "exec 2>&1; echo $probe > /kmsg; head -c 1 /mem; head -c 1 /ram; true")
echo "$out" | grep -q "can't create /kmsg: Permission denied" && echo "$out" | grep -q "/mem: Permission denied" &&
  echo "$out" | grep -q "/ram: Permission denied" && ! dmesg | grep -q $probe &&
  pass "an image's device nodes: EACCES (nodev)" || fail "image device nodes: $out"
probe=probe-$$-mknod
out=$($MD run --rm --cap-add MKNOD devimg sh -c "exec 2>&1; mknod /dev/k c 1 11; mknod /dev/b b 1 0;
  echo $probe > /dev/k; head -c 1 /dev/b; echo n > /dev/null && echo null-ok")
echo "$out" | grep -q "can't create /dev/k: Operation not permitted" &&
  echo "$out" | grep -q "/dev/b: Operation not permitted" && echo "$out" | grep -q null-ok &&
  ! dmesg | grep -q $probe && pass "nodes made with MKNOD: EPERM (the BPF device filter)" ||
  fail "BPF device filter: $out"
probe=probe-$$-device
out=$($MD run --rm --device /dev/kmsg --device /dev/ram0:/dev/xvdb:r devimg sh -c "exec 2>&1;
  echo $probe > /dev/kmsg && echo kmsg-ok; head -c 1 /dev/xvdb >/dev/null && echo read-ok;
  echo x | dd of=/dev/xvdb 2>&1 | head -1")
echo "$out" | grep -q kmsg-ok && echo "$out" | grep -q read-ok && dmesg | grep -q $probe &&
  echo "$out" | grep -q "Operation not permitted" && pass "--device grants the node with its permissions" ||
  fail "--device: $out"
probe=probe-$$-rule
out=$($MD run --rm --cap-add MKNOD --device-cgroup-rule 'c 1:11 w' devimg sh -c "exec 2>&1;
  mknod /dev/k c 1 11; mknod /dev/m c 1 1; echo $probe > /dev/k && echo k-ok; head -c 1 /dev/m; true")
echo "$out" | grep -q k-ok && echo "$out" | grep -q "/dev/m: Operation not permitted" && dmesg | grep -q $probe &&
  pass "--device-cgroup-rule grants exactly one node" || fail "--device-cgroup-rule: $out"
probe=probe-$$-priv
out=$($MD run --rm --privileged devimg sh -c "exec 2>&1; echo $probe > /kmsg && echo priv-ok")
echo "$out" | grep -q priv-ok && dmesg | grep -q $probe && pass "--privileged: every device" || fail "--privileged: $out"
out=$($MD run --rm --trace devimg true 2>&1)
echo "$out" | grep -q "bpftool cgroup attach /sys/fs/cgroup/mydocker/.* device id [0-9]* multi" &&
  pass "--trace names the attached device program" || fail "trace of the device filter: $out"
$MD run -d --name devx --cap-add MKNOD devimg sleep 60 >/dev/null 2>/tmp/o || fail "run -d devimg: $(cat /tmp/o)"
out=$($MD exec devx sh -c 'exec 2>&1; mknod /dev/m c 1 1; head -c 1 /dev/m; true')
echo "$out" | grep -q "Operation not permitted" && pass "exec: under the same device filter" || fail "exec devices: $out"
$MD rm -f devx >/dev/null 2>&1
check_clean devices

# A first word that is no image never runs on the host's files by surprise.
mkdir -p /victim/sub && echo data >/victim/sub/f
$MD run --rm nosuchimage:1 rm -rf /victim >/dev/null 2>/tmp/o
rc=$?
[ $rc -eq 125 ] && grep -q "image 'nosuchimage:1' not found" /tmp/o && pass "a missing tagged image: 125" ||
  fail "missing image: exit $rc $(cat /tmp/o)"
$MD run --rm busybox:1.99 rm -rf /victim >/dev/null 2>&1
$MD --data-root /tmp/empty-data run --rm busybox rm -rf /victim >/dev/null 2>/tmp/o
[ -f /victim/sub/f ] && grep -q "Read-only file system" /tmp/o && pass "a host-files run sees the host read-only" ||
  fail "victim: $(ls -R /victim) $(cat /tmp/o)"
$MD --data-root /tmp/empty-data run --rm --host-rw busybox rm -rf /victim/sub >/dev/null 2>/tmp/o
[ ! -e /victim/sub ] && pass "--host-rw writes" || fail "--host-rw: $(cat /tmp/o)"
$MD run -m 1m true >/dev/null 2>/tmp/o
[ $? -eq 125 ] && grep -q "Minimum memory limit allowed is 6MB" /tmp/o && pass "-m 1m: refused" || fail "-m 1m: $(cat /tmp/o)"
check_clean "host files"

# Networking on cgroup v2, inside a network namespace of the test's own (never the VM's):
# a published port reached through localhost, and outbound traffic to the namespace's side.
if command -v nft >/dev/null; then
  cat >/tmp/netcheck.sh <<EOF
ip link set lo up 2>/dev/null || busybox ip link set lo up
$MD run -d --name web -p 8080:80 busybox sh -c 'mkdir /www; echo hello-v2 > /www/index.html; exec httpd -f -p 80 -h /www' >/dev/null || exit 1
i=0; while [ \$i -lt 50 ]; do out=\$(busybox wget -q -O- http://127.0.0.1:8080/ 2>/dev/null) && break; i=\$((i+1)); sleep 0.1; done
echo "published:\$out"
echo "port:\$($MD port web)"
echo "peer:\$($MD run --rm --net bridge busybox wget -q -O- http://10.88.0.2/ 2>&1)"
$MD rm -f web >/dev/null
echo "links:\$(busybox ip link | grep -c mdv)"
EOF
  out=$(busybox unshare -n sh /tmp/netcheck.sh 2>&1)
  echo "$out" | grep -q "published:hello-v2" && echo "$out" | grep -q "port:80/tcp -> 0.0.0.0:8080" &&
    echo "$out" | grep -q "peer:hello-v2" && pass "bridge and -p on v2 (localhost, another container)" ||
    fail "bridge/-p on v2: $out"
else
  fail "nft is not in the VM (V2VM_HOST_BINS=nft)"
fi

# The OCI runtime (mydocker oci / mydocker-runc) on cgroup v2: the lifecycle, its states and
# the container's cgroup (an absolute cgroupsPath is taken from the root on v2, as runc does).
ln -sf $MD /tmp/mydocker-runc
RUNC="/tmp/mydocker-runc --root /run/oci-v2test"
B=/tmp/ocib
mkdir -p $B/rootfs/bin $B/rootfs/proc $B/rootfs/sys $B/rootfs/dev $B/rootfs/tmp $B/rootfs/shared
cp /bin/busybox $ALLOC $B/rootfs/bin/
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox $B/rootfs/bin/$a; done
oci_config() { # ARGS_JSON [RESOURCES_JSON]
  cat >$B/config.json <<EOF
{"ociVersion":"1.1.0","process":{"terminal":false,"user":{"uid":0,"gid":0},"args":$1,
 "env":["PATH=/bin"],"cwd":"/","capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],
 "permitted":["CAP_KILL"]},"noNewPrivileges":true},
 "root":{"path":"rootfs","readonly":true},"hostname":"ocitest",
 "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
  {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","mode=755"]},
  {"destination":"/sys","type":"sysfs","source":"sysfs","options":["ro","nosuid","nodev","noexec"]},
  {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["ro"]},
  {"destination":"/shared","type":"bind","source":"/tmp/ocishared","options":["rbind","rw"]}],
 "linux":{"namespaces":[{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}],
  "cgroupsPath":"/oci-v2test/c1","resources":${2:-"{}"},
  "maskedPaths":["/proc/keys"],"readonlyPaths":["/proc/sys"]}}
EOF
}
mkdir -p /tmp/ocishared
oci_config '["sh","-c","echo ran > /shared/marker; exec sleep 60"]' '{"memory":{"limit":52428800},"pids":{"limit":20}}'
$RUNC create -b $B --pid-file /tmp/oci.pid c1 </dev/null >/dev/null 2>/tmp/o || fail "oci create: $(cat /tmp/o)"
st=$($RUNC state c1)
echo "$st" | grep -q '"status": "created"' && [ ! -e /tmp/ocishared/marker ] &&
  pass "oci create: created, the process waits" || fail "oci create state: $st"
$RUNC start c1 && sleep 0.3
[ -e /tmp/ocishared/marker ] && $RUNC state c1 | grep -q '"status": "running"' &&
  pass "oci start: running" || fail "oci start: $($RUNC state c1)"
[ "$(cat /sys/fs/cgroup/oci-v2test/c1/memory.max 2>&1)" = 52428800 ] &&
  [ "$(cat /sys/fs/cgroup/oci-v2test/c1/pids.max 2>&1)" = 20 ] &&
  grep -qx "$(cat /tmp/oci.pid)" /sys/fs/cgroup/oci-v2test/c1/cgroup.procs &&
  pass "oci: the container's cgroup at /oci-v2test/c1 with its limits" ||
  fail "oci cgroup: $(ls /sys/fs/cgroup/oci-v2test/c1 2>&1 | head -3)"
out=$($RUNC exec c1 sh -c 'hostname; cat /proc/self/cgroup' 2>&1)
echo "$out" | grep -q ocitest && pass "oci exec: in the container ($out)" || fail "oci exec: $out"
$RUNC pause c1 && $RUNC state c1 | grep -q '"status": "paused"' &&
  [ "$(cat /sys/fs/cgroup/oci-v2test/c1/cgroup.freeze)" = 1 ] && pass "oci pause: cgroup.freeze" ||
  fail "oci pause: $($RUNC state c1)"
$RUNC resume c1 && $RUNC state c1 | grep -q '"status": "running"' && pass "oci resume" || fail "oci resume"
$RUNC delete c1 2>/dev/null && fail "oci delete of a running container worked" || pass "oci delete refuses a running container"
$RUNC kill c1 KILL; sleep 0.3
$RUNC state c1 | grep -q '"status": "stopped"' && pass "oci kill: stopped" || fail "oci kill: $($RUNC state c1)"
$RUNC delete c1 || fail "oci delete"
[ ! -e /sys/fs/cgroup/oci-v2test ] && ! $RUNC state c1 2>/dev/null && pass "oci delete: state and cgroups gone" ||
  fail "oci delete left: $(ls /sys/fs/cgroup/oci-v2test 2>&1)"
oci_config '["alloc","4","64"]' '{"memory":{"limit":20971520,"swap":20971520}}'
$RUNC run -b $B c2 </dev/null >/tmp/o 2>&1
rc=$?
[ $rc -eq 137 ] && pass "oci run: memory limit enforced by the OOM killer (137)" || fail "oci OOM: exit $rc $(tail -2 /tmp/o)"
[ ! -e /sys/fs/cgroup/oci-v2test ] && [ -z "$(ls /run/oci-v2test 2>/dev/null | grep -v lock)" ] &&
  pass "oci run: nothing left" || fail "oci run left: $(ls /sys/fs/cgroup/oci-v2test /run/oci-v2test 2>&1)"

$MD ps -aq | xargs -r $MD rm >/dev/null || fail "rm of the stopped containers"
[ -z "$(ls $MYDOCKER_DATA_ROOT/containers 2>/dev/null)" ] || fail "rm left layers"
echo "v2vm: $fails failure(s)"
[ $fails -eq 0 ]
