#!/usr/bin/env bash
# Hybrid search end to end over HTTP on the 54,002-paper corpus (plus the HF daily papers),
# with every paper embedded. Each request is a different URI, so the response cache never
# answers: this measures the search path (query embedding, FTS5, vector scan, fusion, render).
#   bench/search.sh [DATABASE]
# DATABASE defaults to a fresh one at /tmp/dailypapers-bench/db.sqlite, filled and embedded
# by this script on first use (embedding 58k papers takes about 40 minutes on 2 cores).
# Needs: wrk (Debian), ../shared/data, the model (scripts/setup.sh).
# BENCH_PEER=BINARY (say, a release build of an earlier commit) also measures that build, one
# client, in turn with this one, BENCH_ROUNDS times (default 2): each figure beside its peer
# from the same minutes of this noisy machine.
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
lua=bench/hybrid_queries.lua
duration=${BENCH_DURATION:-20s}
latency() { grep -E "Requests/sec|Latency |  50%|  75%|  90%|  99%|Non-2xx"; }
server=
trap 'kill $server 2>/dev/null || true' EXIT
start_server() {  # BINARY: serve the database on a free port, wait until it answers
    port=$((20000 + RANDOM % 20000))
    "$1" serve --database "$db" --port "$port" --log-level warning --no-background-embedding --no-harvest &
    server=$!
    for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=; }

start_server "$bin"
echo "== hybrid search, distinct URIs (wrk -t1 -c4 -d$duration --latency)"
wrk -t1 -c4 -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port" | latency
echo "== hybrid search, one client at a time (wrk -t1 -c1 -d$duration --latency)"
wrk -t1 -c1 -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port" | latency
stop_server
if [ -n "${BENCH_PEER:-}" ]; then
    for round in $(seq 1 "${BENCH_ROUNDS:-2}"); do
        for which in peer this; do
            if [ "$which" = peer ]; then start_server "$BENCH_PEER"; else start_server "$bin"; fi
            echo "== round $round, $which ($([ "$which" = peer ] && echo "$BENCH_PEER" || echo "$bin")), one client (wrk -t1 -c1 -d$duration)"
            wrk -t1 -c1 -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port" | latency
            stop_server
        done
    done
fi
