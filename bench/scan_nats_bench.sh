#!/usr/bin/env bash
# `vigil scan` inline against `vigil scan --nats --wait` with 1 and 2 workers, on one input:
# a folder of generated, benign noise PNGs; a throwaway PostgreSQL (scripts/pg-test-server.sh)
# and a single JetStream node on loopback. Prints items/s for each and the publish rate.
#
#   bench/scan_nats_bench.sh [VIGIL_BINARY] [IMAGES] [SIDE]
#   e.g. bench/scan_nats_bench.sh build/rel/vigil 600 128
#
# Each run gets a fresh database holding the same bank (1000 random PDQ hashes plus every
# 10th image's), so every path stores, hashes and matches the same work. Workers are started
# and ready before the scan is timed: the figures are throughput, not start-up.
set -euo pipefail

VIGIL=$(realpath "${1:-build/rel/vigil}")
N=${2:-600}
SIDE=${3:-128}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
tmp=$(mktemp -d /tmp/vigil-scan-bench.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$ROOT/scripts/pg-test-server.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

python3 - "$tmp/media" "$N" "$SIDE" <<'EOF'
import os, random, struct, sys, zlib
out, n, side = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out, exist_ok=True)
def chunk(t, d):
    c = struct.pack(">I", len(d)) + t + d
    return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
for i in range(n):
    r = random.Random(i)
    blocks = [[r.randrange(256) for _ in range(side // 8)] for _ in range(side // 8)]
    raw = b"".join(b"\0" + bytes(v for x in range(side) for v in (blocks[y // 8][x // 8],) * 3)
                   for y in range(side))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    open(os.path.join(out, "img%05d.png" % i), "wb").write(png)
EOF

conn=$("$ROOT/scripts/pg-test-server.sh" start "$tmp/pg")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nats-server -js -sd "$tmp/nats" -a 127.0.0.1 -p "$port" >"$tmp/nats.log" 2>&1 &
pids+=($!)
NATS="nats://127.0.0.1:$port"
sleep 1

# The bank: random hashes plus the PDQ of every 10th image (computed by vigil itself).
python3 -c 'import random; r=random.Random(1); print("\n".join("%064x" % r.getrandbits(256) for _ in range(1000)))' >"$tmp/bank.txt"
"$VIGIL" hash "$tmp"/media/img*0.png 2>/dev/null | cut -d, -f1 | grep -E '^[0-9a-f]{64}$' \
  >>"$tmp/bank.txt" || true

newdb() {
  local name=$1
  runuser -u postgres -- "$PG_BIN/psql" -q "$conn" -c "CREATE DATABASE $name" >/dev/null
  local db="${conn/dbname=postgres/dbname=$name}"
  "$VIGIL" bank create bench --db "$db" >/dev/null
  "$VIGIL" bank import bench "$tmp/bank.txt" --db "$db" --skip-invalid >/dev/null
  echo "$db"
}

seconds() { python3 -c "import time; print(time.time())"; }
rate() { python3 -c "print('%.0f' % ($N / ($2 - $1)))"; }

echo "input: $N PNGs ${SIDE}x${SIDE} in $tmp/media; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

db=$(newdb inline)
t0=$(seconds)
"$VIGIL" scan --db "$db" -q "folder:$tmp/media"
t1=$(seconds)
echo "inline scan (hash + match + store, one process): $(rate "$t0" "$t1") items/s"

for workers in 1 2; do
  db=$(newdb "nats$workers")
  stream="BENCH$workers"
  wpids=()
  for w in $(seq 1 "$workers"); do
    "$VIGIL" worker --nats "$NATS" --db "$db" --name "w$w" --stream "$stream" \
      --banks-stream "${stream}_BANKS" --metrics-interval 0 >"$tmp/w$workers-$w.log" 2>&1 &
    wpids+=($!)
    pids+=($!)
  done
  for w in $(seq 1 "$workers"); do
    until grep -q "ready in" "$tmp/w$workers-$w.log"; do sleep 0.1; done
  done
  t0=$(seconds)
  "$VIGIL" scan --db "$db" --nats "$NATS" --stream "$stream" --banks-stream "${stream}_BANKS" \
    --wait "folder:$tmp/media" >"$tmp/scan$workers.log"
  t1=$(seconds)
  grep -E "^published|^processed|^matches" "$tmp/scan$workers.log" | sed 's/^/  /'
  echo "scan --nats --wait, $workers worker(s): $(rate "$t0" "$t1") items/s"
  for p in "${wpids[@]}"; do kill "$p"; done
done
