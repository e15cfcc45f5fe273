#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs the unit tests, then the
# integration tests (root; they skip with the reason otherwise) one at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
# Container cgroups present before the suite are not ours (a user's container, an earlier crash):
# the leak check at the end judges only the ones that appear during the run.
container_cgroups() {
  # v1: <own>/mydocker-<id>; v2 (and the old v1 layout): .../mydocker and mydocker/<id>
  find /sys/fs/cgroup -mindepth 2 -type d -regextype egrep \
    -regex '.*/mydocker(-[0-9a-f]{64}|/[0-9a-f]{64})?' 2>/dev/null | sort || true
}
before=$(container_cgroups)
echo "== unit tests"
ctest --test-dir build -L unit --output-on-failure -j "$(nproc)"
echo "== integration tests (real cgroups and namespaces)"
ctest --test-dir build -L integration --output-on-failure
echo "== cgroup v2 tests (a pure cgroup v2 kernel in QEMU, ../shared/v2vm)"
ctest --test-dir build -L v2vm --output-on-failure
leaks=$(comm -13 <(echo "$before") <(container_cgroups) | sed '/^$/d')
if [ -n "$leaks" ]; then
  echo "test.sh: cgroups left behind:" >&2
  echo "$leaks" >&2
  exit 1
fi
echo "== all tests passed"
