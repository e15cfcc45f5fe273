#!/usr/bin/env bash
# Runs tests/v2vm/payload.sh in the pure cgroup v2 VM of ../shared/v2vm with the built
# binaries. Usage: run-in-vm.sh BUILD_DIR    (ctest label v2vm)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run-in-vm.sh BUILD_DIR}
v2vm=${V2VM_DIR:-$here/../../../shared/v2vm}
if [ ! -x "$v2vm/v2vm-run.sh" ]; then
  echo "SKIP: no v2vm at $v2vm (the project's ../shared)" >&2
  exit 77
fi
if [ "$(id -u)" -eq 0 ]; then
  "$v2vm/setup.sh" >/dev/null || { echo "v2vm setup failed" >&2; exit 1; }
fi
# A layered image made here (the VM has no umoci): an OCI layout of busybox in two layers, the
# second deleting a file, with a Cmd; /payload/layered.tar.gz in the VM.
layered=$(mktemp -d /tmp/mydocker-v2vm-image.XXXXXX)
trap 'rm -rf "$layered"' EXIT
if command -v umoci >/dev/null; then
  (set -e; cd "$layered"; umoci init --layout oci; umoci new --image oci:v2
    umoci unpack --image oci:v2 b >/dev/null; mkdir -p b/rootfs/bin b/rootfs/etc
    cp /bin/busybox b/rootfs/bin/; for a in $(/bin/busybox --list); do
      [ "$a" = busybox ] || ln -s busybox b/rootfs/bin/$a; done
    echo 'root:x:0:0:root:/root:/bin/sh' >b/rootfs/etc/passwd; echo gone >b/rootfs/etc/gone
    umoci repack --image oci:v2 b; rm -rf b; umoci unpack --image oci:v2 b >/dev/null
    rm b/rootfs/etc/gone; umoci repack --image oci:v2 b; rm -rf b
    umoci config --image oci:v2 --config.cmd sh --config.cmd -c \
      --config.cmd 'test -e /etc/gone || echo layered-v2-ok'
    tar -C oci -czf layered.tar.gz .) >/dev/null 2>&1 || echo "could not make the layered image" >&2
fi
extra=()
[ -f "$layered/layered.tar.gz" ] && extra+=("$layered/layered.tar.gz")
V2VM_MODULES=${V2VM_MODULES:-brd overlay veth bridge nf_tables nft_chain_nat nft_nat nft_masq nft_ct nft_fib_ipv4} V2VM_HOST_BINS=${V2VM_HOST_BINS:-stress nft} \
  V2VM_TIMEOUT=${V2VM_TIMEOUT:-600} \
  "$v2vm/v2vm-run.sh" "$here/payload.sh" "$build/mydocker" "$build/examples/burn" \
  "$build/examples/alloc" "${extra[@]}"
