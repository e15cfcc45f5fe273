#!/usr/bin/env bash
# Builds build/mydocker (static), and the tests and examples; or only the targets given.
# Usage: scripts/build.sh [TARGET...]   e.g. scripts/build.sh mydocker
set -euo pipefail
cd "$(dirname "$0")/.."
build=${MYDOCKER_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" ${1:+--target "$@"}
