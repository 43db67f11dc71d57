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

echo "== video hashing (bench/video_bench): vPDQ and TMK+PDQF on the shared clips"
"$build/bench/video_bench" "$testdata" 3
if command -v ffmpeg >/dev/null; then
  echo "== baseline: ffmpeg CLI producing tmk-hash-video's 64x64 15 fps RGB stream (all clips)"
  start=$(date +%s.%N)
  for f in "$testdata"/video/*.mp4; do
    ffmpeg -loglevel error -nostdin -i "$f" -s 64:64 -an -f rawvideo -c:v rawvideo \
      -pix_fmt rgb24 -r 15 - >/dev/null
  done
  echo "ffmpeg CLI (its default threads): $(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $start}") s"
fi

echo "== text signals (bench/text_bench): normalisation, MinHash, CLD2, indicators, LSH index"
"$build/bench/text_bench" 5000 5
echo "== audio fingerprints (bench/audio_bench): decode + Chromaprint per item, BER comparison"
"$build/bench/audio_bench" 5
echo "== OCR (bench/ocr_bench): script detection + Tesseract per image, warm engine"
OMP_THREAD_LIMIT=1 "$build/bench/ocr_bench" "$root/src/ocr/testdata" 3

echo "== referrals (bench/referral_bench): package, render, sign, deliver to a loopback webhook / SMTP sink"
"$build/bench/referral_bench" --referrals 2000 --items 5 --smtp 200

echo "== collection (bench/collect_bench): Telegram export parsing, link analysis, scan vs hashing alone"
"$build/bench/collect_bench" --messages 200000 --images 0 --repeat 3
"$build/bench/collect_bench" --messages 5000 --images 500 --repeat 3
echo "== vigil scan on the demo action day (store + match) vs vigil hash -j 1 on its photos"
"$root/scripts/bench-scan.sh" "$build" 5

echo "== hash index (bench/index_bench): vigil MIH vs FAISS IndexBinaryMultiHash vs brute force"
if [ "$mode" = "--full" ]; then
  for n in 1000000 10000000; do "$build/bench/index_bench" --n "$n" --queries 10000 --radii 31,63; done
else
  "$build/bench/index_bench" --n 1000000 --queries 10000 --radii 31,63 --seconds 3
fi

echo "== store (bench/store_bench): bulk import of PDQ hashes with labels, SQLite and PostgreSQL"
"$build/bench/store_bench" --n 1000000 --backend both

echo "== scale-out (bench/worker_bench): inline vs 1 and 2 workers over JetStream, publish rate, worker ready time"
"$build/bench/worker_bench" --items 600 --signals 1000000 --side 128

echo "== REST API (bench/server_bench): wrk over loopback against vigil serve on a 100k-hash bank"
if command -v wrk >/dev/null; then
  "$build/bench/server_bench" --signals 100000 --seconds 5 --connections 16
else
  echo "wrk not installed (scripts/install-deps.sh installs it); skipped"
fi
