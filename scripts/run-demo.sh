#!/usr/bin/env bash
# run-demo.sh BUILD_DIR: the main job on the demo data (what `make run` starts).
# Generates the synthetic demo corpus once, then hashes it with vigil.
set -euo pipefail
build="$1"
demo="$build/demo"
if [ ! -d "$demo/originals" ]; then
  echo "== generating synthetic demo images in $demo"
  "$build/make_demo_images" "$demo"
fi
echo "== vigil hash $demo (PDQ hash, quality, path; one corrupt file shows how failures look)"
set +e
"$build/vigil" hash "$demo"
status=$?
set -e
echo "== vigil hash exited with $status (1 = some file failed, as expected for corrupt.jpg)"
