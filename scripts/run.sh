#!/usr/bin/env bash
# Sets up, builds and runs Daily Papers: `scripts/run.sh [serve options]`.
# On first run, when ../shared/data is beside the repository, the database is filled
# from it (Hugging Face daily pages and the arXiv metadata snapshot).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bin=.build/release/dailypapers
db="${DATABASE_PATH:-./data/dailypapers.sqlite}"
if [ ! -e "$db" ] && [ -d ../shared/data ] && [ "${DAILYPAPERS_IMPORT:-1}" != 0 ]; then
    echo "run: first start: importing ../shared/data into $db"
    "$bin" import --database "$db" ../shared/data/arxiv-cs ../shared/data/hf-daily || true
fi
# Harvesting reaches arXiv and Hugging Face over the internet. This script serves offline
# from ../shared/data, so it is off here unless asked for: HARVEST=1 scripts/run.sh (or pass
# --harvest) turns it on; ARXIV_OAI_URL and HF_URL point it at other servers.
harvest=()
case " $* " in *" --harvest "*|*" --no-harvest "*) ;; *) [ "${HARVEST:-0}" = 1 ] || harvest=(--no-harvest) ;; esac
[ ${#harvest[@]} -eq 0 ] || echo "run: harvesting is off (offline); HARVEST=1 scripts/run.sh turns it on"
exec "$bin" serve --database "$db" "${harvest[@]}" "$@"
