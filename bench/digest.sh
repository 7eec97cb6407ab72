#!/usr/bin/env bash
# The daily digest for 10,000 confirmed subscribers, composed and delivered to a local SMTP
# server (aiosmtpd on loopback, counting only), release build. Subscribers are split over
# three interests: everything, a keyword, and a category. Three runs on fresh copies.
#   bench/digest.sh [database with the catalog imported]
set -euo pipefail
cd "$(dirname "$0")/.."
source_db=${1:-}
swift build -c release --product dailypapers >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"; [ -n "${smtp_pid:-}" ] && kill "$smtp_pid" 2>/dev/null || true' EXIT
if [ -z "$source_db" ]; then
    source_db="$dir/catalog.sqlite"
    .build/release/dailypapers import --quiet --database "$source_db" "${DAILYPAPERS_SHARED_DATA:-../shared/data}/hf-daily" || true
fi
# A Tuesday-to-Friday whose day before has featured papers.
day=$(sqlite3 "$source_db" "SELECT date(day, '+1 day') FROM featured GROUP BY day
                            HAVING strftime('%w', day) IN ('1','2','3','4') ORDER BY day DESC LIMIT 1")
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for run in 1 2 3; do
    db="$dir/run$run.sqlite"
    sqlite3 "$source_db" ".backup '$db'"
    .build/release/dailypapers migrate --database "$db" >/dev/null
    sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
        INSERT INTO subscriptions (email, frequency, keywords, categories, status, created_at, confirmed_at, updated_at)
        SELECT 'reader' || i || '@example.org', 'daily',
               CASE i % 3 WHEN 1 THEN '[\"language model\"]' ELSE '[]' END,
               CASE i % 3 WHEN 2 THEN '[\"cs.CV\"]' ELSE '[]' END,
               'confirmed', 0, 0, 0 FROM n;"
    coproc SMTP { .venv/bin/python -u bench/digest_smtp.py "$port"; }
    smtp_pid=$SMTP_PID
    read -r ready <&"${SMTP[0]}"
    /usr/bin/time -f "run $run: %e s wall, %U s user, %M KB max RSS" \
        env SMTP_URL="smtp://127.0.0.1:$port" LOG_LEVEL=warning \
        .build/release/dailypapers digest --send --database "$db" --date "$day"
    exec {SMTP[1]}>&-
    cat <&"${SMTP[0]}"
    wait "$smtp_pid" || true
    smtp_pid=
done
