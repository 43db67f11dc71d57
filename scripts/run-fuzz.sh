#!/usr/bin/env bash
# run-fuzz.sh BUILD_DIR SECONDS: runs every fuzz target in BUILD_DIR/fuzzers for SECONDS each,
# seeded from fuzz/seeds/<target>/ (and the shared test vectors for image targets).
# New corpus entries go to a scratch directory, never into the repository.
set -euo pipefail
build="$1"; secs="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
testdata="$root/../shared/testdata"
status=0
for bin in "$build"/fuzzers/*; do
  [ -x "$bin" ] || continue
  name="$(basename "$bin")"
  work="$build/fuzz-work/$name"; mkdir -p "$work/corpus" "$work/artifacts"
  seeds=()
  [ -d "$root/fuzz/seeds/$name" ] && seeds+=("$root/fuzz/seeds/$name")
  if [ "$name" = fuzz_image_hash ] && [ -d "$testdata/pdq" ]; then
    # Small shared images make good seeds; the big ones only slow each iteration down.
    mkdir -p "$work/seeds"
    find "$testdata/pdq" -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.webp' \) -size -120k \
      -exec cp -n {} "$work/seeds/" \;
    seeds+=("$work/seeds")
  fi
  echo "fuzz: $name for ${secs}s"
  if ! ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
      -max_len=262144 -artifact_prefix="$work/artifacts/" -print_final_stats=0 \
      "$work/corpus" "${seeds[@]}" > "$work/log.txt" 2>&1; then
    echo "fuzz: $name FAILED, see $work/log.txt and $work/artifacts/"; tail -30 "$work/log.txt"
    status=1
  fi
done
exit $status
