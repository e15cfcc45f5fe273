#!/usr/bin/env bash
# Builds mydocker (without the tests) and its .deb with CPack; prints the .deb's path.
# Usage: scripts/package.sh   (build dir: MYDOCKER_PACKAGE_DIR, default build-package)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${MYDOCKER_PACKAGE_DIR:-build-package}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMYDOCKER_TESTS=OFF >/dev/null
cmake --build "$build" >&2
(cd "$build" && cpack -G DEB >&2)
deb=$(ls -t "$build"/mydocker_*.deb | head -n 1)
realpath "$deb"
