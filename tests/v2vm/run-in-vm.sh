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
V2VM_MODULES=${V2VM_MODULES:-brd overlay veth bridge nf_tables nft_chain_nat nft_nat nft_masq nft_ct nft_fib_ipv4} V2VM_HOST_BINS=${V2VM_HOST_BINS:-stress nft} \
  V2VM_TIMEOUT=${V2VM_TIMEOUT:-600} \
  "$v2vm/v2vm-run.sh" "$here/payload.sh" "$build/mydocker" "$build/examples/burn" \
  "$build/examples/alloc"
