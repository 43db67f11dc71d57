#!/usr/bin/env bash
# ctest console_e2e VIGIL_BINARY BUILD_DIR: builds the console into BUILD_DIR/console-dist
# and drives it in Debian's chromium against `vigil serve` on loopback (e2e/run.mjs).
# Screenshots and measured figures go to BUILD_DIR/console-screenshots. Skips (77) without
# node or chromium.
set -euo pipefail
vigil="$1"
out="$2"
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null; then
  echo "console_e2e: SKIPPED: node not found (Node.js 20.19+ is needed for the console)"
  exit 77
fi
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "console_e2e: SKIPPED: $chromium not found (scripts/install-deps.sh installs Debian's chromium)"
  exit 77
fi
if [ ! -x node_modules/.bin/vite ] || [ ! -d node_modules/playwright-core ]; then
  echo "console_e2e: console/node_modules is missing: run 'npm ci' in console/ (make test does)" >&2
  exit 1
fi
node_modules/.bin/vite build --outDir "$out/console-dist" --emptyOutDir --logLevel warn
exec node e2e/run.mjs --vigil "$vigil" --console "$out/console-dist" --out "$out/console-screenshots"
