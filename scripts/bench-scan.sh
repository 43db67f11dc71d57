#!/usr/bin/env bash
# bench-scan.sh BUILD_DIR [RUNS]: `vigil scan` on the synthetic action day (issue 5) against
# hashing the same photos alone with `vigil hash -j 1` (the baseline: the scan is one
# thread). Each scan run goes into a fresh SQLite store holding the demo bank, so every run
# reads, attributes, hashes, matches and stores everything. Prints the median of RUNS
# (default 5) runs of each, side by side, the scan's time per stage (from its jsonl
# summary) and the overhead of the pipeline over hashing alone (goal: <= 25%).
set -euo pipefail
build="$(cd "$1" && pwd)"
runs="${2:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-scan.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$build/make_demo_images" "$work/demo" >/dev/null
day="$work/demo/action-day"
photos="$day/telegram/photos"

# The bank: PDQ hashes of demo originals 00..07, as run-demo.sh makes it.
base="$work/base.db"
"$build/vigil" bank create --db "$base" --actor cli:bench demo-bank >/dev/null
"$build/vigil" hash "$work/demo/originals" 2>/dev/null | head -8 | cut -d, -f1 |
  "$build/vigil" bank import --db "$base" --actor cli:bench demo-bank - >/dev/null

now() { date +%s.%N; }
scan_times=() hash_times=()
for i in $(seq 1 "$runs"); do
  # Alternate the two so drifting machine load hits both alike.
  db="$work/run-$i.db"
  cp "$base" "$db"
  t0=$(now)
  "$build/vigil" scan --db "$db" --actor cli:bench --format jsonl \
    "$day/telegram" "$day/feed.rss" "$day/feed.atom" | tail -1 >"$work/summary-$i.json"
  t1=$(now)
  "$build/vigil" hash -j 1 -q "$photos" >/dev/null
  t2=$(now)
  scan_times+=("$(echo "$t1 - $t0" | bc)")
  hash_times+=("$(echo "$t2 - $t1" | bc)")
done
# A re-scan of the last store: every item already known (read + links + hash + lookups).
t0=$(now)
"$build/vigil" scan --db "$work/run-$runs.db" --actor cli:bench --format jsonl \
  "$day/telegram" "$day/feed.rss" "$day/feed.atom" | tail -1 >"$work/rescan.json"
rescan=$(echo "$(now) - $t0" | bc)

python3 - "$work" "$runs" "$rescan" "${scan_times[*]}" "${hash_times[*]}" <<'EOF'
import json, statistics, sys
work, runs, rescan = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
scan = [float(x) for x in sys.argv[4].split()]
hashed = [float(x) for x in sys.argv[5].split()]
sums = [json.load(open(f"{work}/summary-{i}.json"))["summary"] for i in range(1, runs + 1)]
s = sums[-1]
items, media = s["items"], s["media_hashed"]
ms, mh = statistics.median(scan), statistics.median(hashed)
print(f"action day: {items} items, {s['links']} links on {len(s['platforms'])} platforms "
      f"+ {len(s['unknown_domains'])} unknown domains, {media} photos hashed, "
      f"{s['matches']} matches")
print(f"{'':34}{'median s':>10}{'items/s':>10}{'photos/s':>10}   runs")
print(f"{'vigil scan (store + match)':34}{ms:10.3f}{items / ms:10.1f}{media / ms:10.1f}   "
      + " ".join(f"{x:.2f}" for x in scan))
print(f"{'vigil hash -j 1 (same photos)':34}{mh:10.3f}{'':>10}{media / mh:10.1f}   "
      + " ".join(f"{x:.2f}" for x in hashed))
print(f"{'vigil scan again (all known)':34}{rescan:10.3f}{items / rescan:10.1f}")
print(f"pipeline over hashing alone: {100 * (ms / mh - 1):+.1f}% (goal <= +25%)")
stages = ["read", "links", "hash", "match", "store"]
med = {k: statistics.median(x["seconds"][k] for x in sums) for k in stages}
total = sum(med.values())
print("scan time per stage (median in-process seconds, share): " +
      ", ".join(f"{k} {med[k]:.3f} ({100 * med[k] / total:.0f}%)" for k in stages))
EOF
