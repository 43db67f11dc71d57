#!/usr/bin/env bash
# run-bench.sh BUILD_DIR [--full]: runs every benchmark in BUILD_DIR/bench and prints their
# tables. The default is a quick pass (minutes); --full runs the large configurations the
# closing notes quote (e.g. 10M-hash indexes), which take much longer.
set -euo pipefail
build="$1"; shift || true
mode="${1:-quick}"
root="$(cd "$(dirname "$0")/.." && pwd)"
testdata="$root/../shared/testdata"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "== image hashing (bench/hash_bench)"
"$build/bench/hash_bench" "$testdata" 5
