#!/usr/bin/env bash
# ctest console_unit: the console's Vitest unit tests. Skips (77) without node.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null; then
  echo "console_unit: SKIPPED: node not found (Node.js 20.19+ is needed for the console)"
  exit 77
fi
if [ ! -x node_modules/.bin/vitest ]; then
  echo "console_unit: console/node_modules is missing: run 'npm ci' in console/ (make test does)" >&2
  exit 1
fi
exec node_modules/.bin/vitest run
