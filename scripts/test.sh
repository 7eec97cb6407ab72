#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need, builds, runs the Swift tests,
# then the end-to-end tests against a running server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
swift test 2>&1 | tee /tmp/dailypapers-swift-test.log | grep -vE '^(\[[0-9]+/[0-9]+\]|◇ Test .* started|✔ Test .* passed after)' || true
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || { echo "swift test failed (status $status)"; exit "$status"; }
if [ -d tests ] && ls tests/test_*.py >/dev/null 2>&1; then
    .venv/bin/python -m pytest -q tests
fi
