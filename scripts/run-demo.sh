#!/usr/bin/env bash
# run-demo.sh BUILD_DIR: the main job on the demo data (what `make run` starts).
# Generates the synthetic demo corpus once, hashes it with vigil, builds a demo bank,
# scans the synthetic "action day" (Telegram export + RSS + Atom) into the demo store,
# then serves it: an admin token printed once, a sample hash-and-match, `vigil serve`
# until Ctrl-C.
set -euo pipefail
build="$1"
demo="$build/demo"
if [ ! -f "$demo/action-day/telegram/result.json" ]; then
  echo "== generating synthetic demo images and action day in $demo"
  "$build/make_demo_images" "$demo"
fi
echo "== vigil hash $demo (PDQ hash, quality, path; one corrupt file shows how failures look)"
set +e
"$build/vigil" hash "$demo"
status=$?
set -e
echo "== vigil hash exited with $status (1 = some file failed, as expected for corrupt.jpg)"

# `vigil serve` on the demo data: a fresh SQLite store under the build dir, an admin token
# (printed once), a bank holding the PDQ hashes of the first eight demo originals, the
# action day scanned into the store, then the server in the foreground until Ctrl-C.
# VIGIL_PORT changes the port (default 8080).
db="$demo/vigil-demo.db"
port="${VIGIL_PORT:-8080}"
api="http://127.0.0.1:$port/api/v1"
rm -f "$db" "$db-wal" "$db-shm"
token=$("$build/vigil" token create --db "$db" --org demo-iru --role admin --user admin --name demo)
"$build/vigil" bank create --db "$db" --actor cli:demo --owner demo-iru \
  --description "PDQ hashes of synthetic demo images (benign)" demo-bank >/dev/null
"$build/vigil" hash "$demo/originals" 2>/dev/null | head -8 | cut -d, -f1 | sed 's/$/,severity:promotional/' |
  "$build/vigil" bank import --db "$db" --actor cli:demo demo-bank - >/dev/null
echo "== vigil scan: the synthetic action day (Telegram export, RSS, Atom) against demo-bank"
day="$demo/action-day"
"$build/vigil" scan --db "$db" --actor cli:demo --bank demo-bank \
  "$day/telegram" "$day/feed.rss" "$day/feed.atom"
"$build/vigil" serve --db "$db" --listen "127.0.0.1:$port" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
auth=(-H "Authorization: Bearer $token")
echo "== vigil serve on $db: demo-bank holds the PDQ hashes of demo-00..07"
echo "== admin API token (shown once; the store keeps only its SHA-256):"
echo "$token"
echo "== hash-and-match of a resized variant (demo-03-small.jpg) against the demo bank:"
curl -sf "${auth[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$demo/variants/demo-03-small.jpg" \
  "$api/hash-and-match" | python3 -m json.tool
echo "== try: curl -H 'Authorization: Bearer $token' $api/banks"
echo "== API: docs/openapi.yaml, docs/server.md; console: http://127.0.0.1:$port/ (sign in with the token above; Ctrl-C stops)"
wait "$server"
