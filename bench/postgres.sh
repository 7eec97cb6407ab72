#!/usr/bin/env bash
# The site on PostgreSQL beside the same site on SQLite, and two web nodes on one PostgreSQL
# database beside one node: wrk on the daily page, a paper page, the daily API and hybrid
# and keyword search (distinct URIs, so the response cache never answers), then each node's
# memory and the databases' sizes. The PostgreSQL nodes run with KEYWORD_SEARCH=database, so
# their keyword row measures PostgreSQL's full-text search (the SQLite node's is the in-memory
# BM25, the default); hybrid search ranks in memory on both.
#   bench/postgres.sh DATABASE.sqlite [postgres://ADMIN-URL]
# DATABASE is an imported and embedded SQLite site (bench/search.sh makes one); it is copied
# into a new PostgreSQL database with migrate-data (timed). Without an admin URL a throw-away
# cluster is started with scripts/postgres.sh. BENCH_DURATION sets each wrk run (10s);
# BENCH_SEARCH=0 leaves search out. Needs: wrk (Debian), the model (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?usage: bench/postgres.sh DATABASE.sqlite [postgres://ADMIN-URL]}
admin=${2:-}
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)"; exit 1; }
swift build -c release --product dailypapers >/dev/null
bin=.build/release/dailypapers
psql=/usr/lib/postgresql/15/bin/psql
cluster=""
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "$cluster" ]; then scripts/postgres.sh stop "$cluster" >/dev/null 2>&1 || true; rm -rf "$cluster"; fi
}
trap cleanup EXIT
if [ -z "$admin" ]; then
    cluster=$(mktemp -d /tmp/dailypapers-bench-pg.XXXXXX)
    chmod 755 "$cluster"
    admin=$(scripts/postgres.sh start "$cluster")
fi
name=bench_$RANDOM$RANDOM
"$psql" "$admin" -qAt -c "CREATE DATABASE $name"
url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit((p.scheme, p.netloc, "/" + sys.argv[2], p.query, "")))' "$admin" "$name")
echo "== migrate-data (the whole site, verified)"
/usr/bin/time -f "migrate-data: %e s, %M KB max RSS" "$bin" migrate-data --quiet --from "$db" --to "$url" | tail -1
echo "papers: $(sqlite3 "$db" "SELECT count(*) FROM papers"), vectors: $(sqlite3 "$db" "SELECT count(*) FROM embeddings"), featured entries: $(sqlite3 "$db" "SELECT count(*) FROM featured")"

start_node() {  # DATABASE [KEYWORD_SEARCH]: starts a node; sets node_port and node_pid
    local log port
    log=$(mktemp)
    KEYWORD_SEARCH=${2:-memory} "$bin" serve --database "$1" --port 0 --log-level info --no-background-embedding --no-harvest >"$log" 2>&1 &
    node_pid=$!
    pids+=("$node_pid")
    for _ in $(seq 1 1200); do
        port=$(grep -oE 'listening on [0-9.]+:[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
        if [ -n "$port" ] && curl -fs "http://127.0.0.1:$port/healthz" >/dev/null; then node_port=$port; return; fi
        sleep 0.1
    done
    cat "$log" >&2; exit 1
}
rss() { awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$1/status"; }

day=$(sqlite3 "$db" "SELECT max(day) FROM featured")
paper=$(sqlite3 "$db" "SELECT paper_id FROM featured WHERE day = '$day' ORDER BY imported_upvotes DESC LIMIT 1")
duration=${BENCH_DURATION:-10s}
paths=("/" "/papers/$paper" "/api/daily_papers?date=$day")

measure() {  # LABEL PORT...
    local label=$1; shift
    for path in "${paths[@]}"; do
        echo "-- $label: GET $path (wrk -t1 -c32 -d$duration per node)"
        local loads=()
        for port in "$@"; do wrk -t1 -c32 -d"$duration" --latency "http://127.0.0.1:$port$path" >"/tmp/wrk.$port" & loads+=($!); done
        wait "${loads[@]}"
        for port in "$@"; do grep -E "Requests/sec|  50%|  99%|Non-2xx" "/tmp/wrk.$port" | tr -s ' ' | paste -sd' '; done
    done
    # BENCH_SEARCH=0 leaves search out (a database whose papers are not all embedded).
    [ "${BENCH_SEARCH:-1}" = 1 ] || return 0
    for mode in hybrid keyword; do
        echo "-- $label: $mode search (wrk -t1 -c1 -d$duration per node, distinct URIs)"
        local loads=()
        for port in "$@"; do
            BENCH_MODE=$mode wrk -t1 -c1 -d"$duration" --latency -s bench/hybrid_queries.lua "http://127.0.0.1:$port" >"/tmp/wrk.$port" & loads+=($!)
        done
        wait "${loads[@]}"
        for port in "$@"; do grep -E "Requests/sec|  50%|  99%|Non-2xx" "/tmp/wrk.$port" | tr -s ' ' | paste -sd' '; done
    done
}

echo "== SQLite, one node"
start_node "$db"; sqlite_port=$node_port; sqlite_pid=$node_pid
measure "sqlite" "$sqlite_port"
echo "memory: sqlite node $(rss "$sqlite_pid")"
kill "$sqlite_pid"; wait "$sqlite_pid" 2>/dev/null || true

echo "== PostgreSQL, one node"
start_node "$url" database; a=$node_port; a_pid=$node_pid
measure "postgres 1 node" "$a"
echo "memory: node A $(rss "$a_pid")"

echo "== PostgreSQL, two nodes (two wrk at once, one per node)"
start_node "$url" database; b=$node_port; b_pid=$node_pid
measure "postgres 2 nodes" "$a" "$b"
echo "memory: node A $(rss "$a_pid"), node B $(rss "$b_pid")"

echo "== sizes"
echo "sqlite file: $(du -h "$db" | cut -f1)"
echo "postgres database: $("$psql" "$admin" -qAt -c "SELECT pg_size_pretty(pg_database_size('$name'))")"
"$psql" "$admin" -qAt -c "DROP DATABASE $name WITH (FORCE)"
