#!/usr/bin/env bash
# HTTP throughput and latency of the daily page and the daily-papers API, with wrk on
# loopback, over the 54,002-paper snapshot plus the Hugging Face daily data.
#   bench/http.sh            (builds release, imports into a temporary database, runs wrk)
# Needs: wrk (Debian), ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DAILYPAPERS_SHARED_DATA:-../shared/data}
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)"; exit 1; }
[ -d "$shared" ] || { echo "bench: $shared is missing"; exit 1; }
swift build -c release --product dailypapers >/dev/null
bin=.build/release/dailypapers
dir=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
"$bin" import --quiet --database "$dir/db.sqlite" "$shared/arxiv-cs" "$shared/hf-daily" >/dev/null || true
port=$((20000 + RANDOM % 20000))
"$bin" serve --database "$dir/db.sqlite" --port "$port" --log-level warning --no-background-embedding --no-harvest &
server=$!
for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
duration=${BENCH_DURATION:-10s}
for path in "/" "/papers/date/2025-06-02" "/api/daily_papers?date=2025-06-02" "/api/daily_papers?limit=50"; do
    echo "== GET $path  (wrk -t2 -c64 -d$duration --latency)"
    wrk -t2 -c64 -d"$duration" --latency "http://127.0.0.1:$port$path" | grep -E "Requests/sec|Latency |  50%|  99%|Non-2xx" 
done
