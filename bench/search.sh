#!/usr/bin/env bash
# Hybrid search end to end over HTTP on the 54,002-paper corpus (plus the HF daily papers),
# with every paper embedded. Each request is a different URI, so the response cache never
# answers: this measures the search path (query embedding, FTS5, vector scan, fusion, render).
#   bench/search.sh [DATABASE]
# DATABASE defaults to a fresh one at /tmp/dailypapers-bench/db.sqlite, filled and embedded
# by this script on first use (embedding 58k papers takes about 40 minutes on 2 cores).
# Needs: wrk (Debian), ../shared/data, the model (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DAILYPAPERS_SHARED_DATA:-../shared/data}
db=${1:-/tmp/dailypapers-bench/db.sqlite}
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)"; exit 1; }
swift build -c release --product dailypapers >/dev/null
bin=.build/release/dailypapers
if [ ! -e "$db" ]; then
    "$bin" import --quiet --database "$db" "$shared/arxiv-cs" "$shared/hf-daily" || true
fi
"$bin" embed --database "$db"
port=$((20000 + RANDOM % 20000))
"$bin" serve --database "$db" --port "$port" --log-level warning --no-background-embedding --no-harvest &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
lua=bench/hybrid_queries.lua
duration=${BENCH_DURATION:-20s}
echo "== hybrid search, distinct URIs (wrk -t1 -c4 -d$duration --latency)"
wrk -t1 -c4 -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Latency |  50%|  75%|  90%|  99%|Non-2xx"
echo "== hybrid search, one client at a time (wrk -t1 -c1 -d$duration --latency)"
wrk -t1 -c1 -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Latency |  50%|  75%|  90%|  99%|Non-2xx"
