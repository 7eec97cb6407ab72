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
lua=$(mktemp --suffix=.lua)
cat > "$lua" <<'LUA'
local queries = {"graph neural networks", "diffusion models for video generation", "reinforcement learning from human feedback",
  "large language model reasoning", "protein structure prediction", "vision transformer efficiency", "speech recognition",
  "retrieval augmented generation", "mixture of experts", "robot manipulation policies", "medical image segmentation",
  "federated learning privacy", "3d gaussian splatting", "code generation benchmarks", "multimodal instruction tuning",
  "adversarial robustness", "time series forecasting", "knowledge distillation", "autonomous driving perception",
  "quantization of neural networks", "sparse attention long context", "text to image editing", "agents tool use",
  "hallucination detection", "contrastive learning representations", "neural radiance fields", "chain of thought",
  "machine translation low resource", "recommendation systems", "molecule generation"}
local n = 0
request = function()
  n = n + 1
  local q = queries[(n % #queries) + 1]:gsub(" ", "+")
  return wrk.format("GET", "/api/papers/search?q=" .. q .. "&mode=hybrid&limit=20&nonce=" .. n .. "-" .. math.random(1e9))
end
LUA
duration=${BENCH_DURATION:-20s}
echo "== hybrid search, distinct URIs (wrk -t1 -c4 -d$duration --latency)"
wrk -t1 -c4 -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Latency |  50%|  75%|  90%|  99%|Non-2xx"
echo "== hybrid search, one client at a time (wrk -t1 -c1 -d$duration --latency)"
wrk -t1 -c1 -d"$duration" --latency -s "$lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Latency |  50%|  75%|  90%|  99%|Non-2xx"
rm -f "$lua"
