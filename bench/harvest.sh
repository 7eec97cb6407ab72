#!/usr/bin/env bash
# Harvest throughput and freshness, over the loopback replay server (e2e/harvest_replay.py)
# serving the 54,002 snapshot papers as OAI-PMH arXivRaw pages of 1,000 records, delay 0.
#   bench/harvest.sh
#  1. `dailypapers harvest arxiv` into an empty database: records per second through the whole
#     pipeline (HTTP, XML, parsing, upserts, full-text index). Beside it, in the same run, the
#     same papers imported from the snapshot file (no HTTP or XML), and the replay server
#     alone (curl fetching every page into /dev/null), which bound it from above.
#  2. Freshness: `serve` (release, model loaded, harvesting from the replay) on that catalog;
#     a new record is added to the replayed listing, the arXiv harvest is scheduled for the
#     next minute, and the time from the harvest's start to the paper's first appearance in
#     hybrid search over HTTP is measured (plus the wait for the schedule, which is by design).
# Needs: a release build, ../shared/data, python3, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DAILYPAPERS_SHARED_DATA:-../shared/data}
[ -d "$shared" ] || { echo "bench: $shared is missing"; exit 1; }
swift build -c release --product dailypapers >/dev/null
bin=.build/release/dailypapers
dir=$(mktemp -d)
cleanup() { kill "$replay" "${server:-}" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
python3 e2e/harvest_replay.py --data "$shared" --page-size 1000 --snapshot-records 60000 > "$dir/replay.out" &
replay=$!
until grep -q "listening on" "$dir/replay.out" 2>/dev/null; do kill -0 $replay; sleep 0.1; done
url=$(sed -n 's/listening on //p' "$dir/replay.out")
now() { date +%s.%N; }

echo "== replay server alone: every page with curl"
t0=$(now); token=""; pages=0
next="$url/oai2?verb=ListRecords&metadataPrefix=arXivRaw&set=cs&from=2000-01-01"
while [ -n "$next" ]; do
    curl -fs "$next" > "$dir/page.xml"; pages=$((pages + 1))
    token=$(grep -o '<resumptionToken[^>]*>[^<]*</resumptionToken>' "$dir/page.xml" | sed 's/<[^>]*>//g' || true)
    if [ -n "$token" ]; then next="$url/oai2?verb=ListRecords&resumptionToken=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$token")"; else next=""; fi
done
t1=$(now); echo "$pages pages in $(echo "$t1 - $t0" | bc) s"

echo "== dailypapers harvest arxiv --delay 0 (empty database)"
"$bin" migrate --database "$dir/h.sqlite" >/dev/null
t0=$(now); "$bin" harvest arxiv --database "$dir/h.sqlite" --oai-url "$url/oai2" --from 2000-01-01 --delay 0 --quiet; t1=$(now)
echo "harvest: $(echo "54002 / ($t1 - $t0)" | bc) records/s ($(echo "$t1 - $t0" | bc) s)"

echo "== peer: dailypapers import of the same papers from the snapshot file"
t0=$(now); "$bin" import --quiet --database "$dir/i.sqlite" "$shared/arxiv-cs" >/dev/null; t1=$(now)
echo "import: $(echo "54002 / ($t1 - $t0)" | bc) records/s ($(echo "$t1 - $t0" | bc) s)"

echo "== freshness: a new record in the listing, found by hybrid search on a running serve"
# The run is scheduled two minutes ahead (at least a minute after serve has loaded its indexes).
at=$(date -u -d "+2 minutes" +%H:%M)
"$bin" serve --database "$dir/h.sqlite" --port 0 --log-level info --oai-url "$url/oai2" --hf-url "$url" --delay 0 \
    --hf-harvest-minutes 0 --arxiv-harvest-at "$at" > "$dir/serve.log" 2>&1 &
server=$!
until grep -q "listening on" "$dir/serve.log"; do kill -0 $server; sleep 0.1; done
port=$(grep -o "listening on [0-9.]*:[0-9]*" "$dir/serve.log" | sed 's/.*://')
# The start-up run (the cursor is fresh, so it is not stale): wait until serve has settled.
until curl -fs "http://127.0.0.1:$port/healthz" | grep -q '"running":false'; do sleep 0.2; done
curl -fs -X POST "$url/_control/record" -H 'Content-Type: application/json' -d "{\"id\": \"2612.09999\", \"title\": \"Holographic quasar lattices for sparse neural retrieval\", \"abstract\": \"We build holographic quasar lattices and use them for sparse neural retrieval of documents.\", \"authors\": \"Grace Hopper\", \"categories\": \"cs.IR\", \"datestamp\": \"$(date -u +%Y-%m-%d)\"}" >/dev/null
added=$(now)
echo "record added at $(date -u +%T); the arXiv harvest is scheduled for $at UTC"
until curl -fs "http://127.0.0.1:$port/api/papers/search?q=holographic+quasar+lattices" | grep -q '2612.09999'; do sleep 0.05; done
found=$(now)
started=$(grep -m1 -o "harvest arxiv:cs done.*" "$dir/serve.log" | head -1 || true)
run_start=$(date -d "$at" +%s)
echo "found by hybrid search $(echo "$found - $run_start" | bc) s after the scheduled run started ($(echo "$found - $added" | bc) s after the record appeared, most of it waiting for the schedule)"
echo "serve log: $started"
