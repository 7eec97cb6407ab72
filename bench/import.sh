#!/usr/bin/env bash
# Bulk import of the 54,002-paper arXiv snapshot into an empty database (no embeddings),
# release build, three runs.
#   bench/import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DAILYPAPERS_SHARED_DATA:-../shared/data}
swift build -c release --product dailypapers >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for run in 1 2 3; do
    rm -f "$dir"/db.sqlite*
    /usr/bin/time -f "run $run: %e s wall, %U s user, %M KB max RSS" \
        .build/release/dailypapers import --quiet --database "$dir/db.sqlite" "$shared/arxiv-cs/arxiv-metadata-cs-2025-03_2026-03.jsonl.gz"
done
