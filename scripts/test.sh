#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need, builds, runs the Swift tests,
# then the end-to-end tests against a running server (pytest), and prints one total line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test

swift_log=$(mktemp)
set +e
# Per-test progress lines are dropped; failures, suites and the closing line are kept.
swift test --disable-xctest 2>&1 | tee "$swift_log" \
    | grep -vE '^(\[[0-9]+/[0-9]+\]|◇ Test .* started|✔ Test .*\(.*\) passed after)'
swift_status=${PIPESTATUS[0]}
set -e
swift_line=$(grep -E "Test run with [0-9]+ tests?" "$swift_log" | tail -1 || true)
rm -f "$swift_log"
swift_total=$(sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p' <<<"$swift_line")
swift_failed=0
[ "$swift_status" -eq 0 ] || swift_failed=$(sed -nE 's/.*with ([0-9]+) issues?.*/\1/p' <<<"$swift_line")
[ -n "$swift_total" ] || { echo "swift test did not run (status $swift_status)"; exit 1; }

py_log=$(mktemp)
set +e
.venv/bin/python -m pytest -q tests 2>&1 | tee "$py_log"
py_status=${PIPESTATUS[0]}
set -e
py_passed=$(grep -oE '[0-9]+ passed' "$py_log" | tail -1 | grep -oE '[0-9]+' || echo 0)
py_failed=$(grep -oE '[0-9]+ failed' "$py_log" | tail -1 | grep -oE '[0-9]+' || echo 0)
rm -f "$py_log"

swift_passed=$((swift_status == 0 ? swift_total : 0))
echo "swift: $swift_total tests, status $swift_status; pytest: $py_passed passed, $py_failed failed, status $py_status"
echo "total: $((swift_passed + py_passed)) passed, $((${swift_failed:-1} + py_failed)) failed"
[ "$swift_status" -eq 0 ] && [ "$py_status" -eq 0 ]
