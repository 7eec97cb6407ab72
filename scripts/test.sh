#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need, builds, runs the Swift tests,
# then the end-to-end tests against a running server (pytest), and prints one total line:
#
#   swift: passed N, failed N, skipped N
#   pytest: passed N, failed N, skipped N
#   total: N passed, N failed, N skipped
#
# Every test is counted once, as exactly one of the three. pytest's errors (a fixture that
# broke) are failures; Swift Testing's skipped tests, and the tests of a skipped suite, are
# skipped, never passed. A crash of the Swift test process (a signal, a force unwrap) is a
# failure: the tests it did not get to report are counted as failed, and the end-to-end tests
# still run. The script exits non-zero when anything failed or a runner could not count.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test || { echo "setup or build failed"; echo "total: 0 passed, 1 failed, 0 skipped"; exit 1; }

# No test reaches an outside address: a `serve` a test starts without saying otherwise does not
# harvest (the tests that harvest point it at the loopback replay server).
export HARVEST=0

work=$(mktemp -d)
# A throw-away PostgreSQL 15 cluster on loopback, run by an unprivileged user, for the
# PostgreSQL half of the suites (every store, application and end-to-end suite that takes a
# backend runs against both). Without it those cases are skipped, and counted so.
pg=$(mktemp -d /tmp/dailypapers-pg.XXXXXX)
chmod 755 "$pg"
cleanup() {
    scripts/postgres.sh stop "$pg" >/dev/null 2>&1 || true
    rm -rf "$work" "$pg"
}
trap cleanup EXIT
if url=$(scripts/postgres.sh start "$pg"); then
    export DAILYPAPERS_TEST_POSTGRES_URL="$url" DAILYPAPERS_TEST_POSTGRES_DIR="$pg"
    echo "PostgreSQL 15 for the tests: $(sed -E 's#//([^:/@]+):[^@]*@#//\1:***@#' <<<"$url")"
else
    echo "PostgreSQL half skipped: the test cluster did not start (scripts/postgres.sh start $pg failed, above)"
fi

# --- Swift Testing -------------------------------------------------------------------------
# Every test there is (one line per test function, parameterized ones once).
swift test list --skip-build --disable-xctest 2>/dev/null | grep -cE '^[A-Za-z_][A-Za-z0-9_]*\.' >"$work/listed" || true
swift_listed=$(cat "$work/listed")
swift_listed=${swift_listed:-0}

# Per-test progress lines are dropped from the screen; failures, skips, suites and the closing line are kept.
swift test --skip-build --disable-xctest 2>&1 | tee "$work/swift.log" \
    | grep --line-buffered -vE '^(\[[0-9]+/[0-9]+\]|◇ (Test|Suite|Test case) .* started|✔ Test .* passed after)'
swift_status=${PIPESTATUS[0]}

# One result line per test: "<symbol> Test NAME[ with N test cases] passed|failed|was cancelled after S seconds..."
# or "<symbol> Test NAME skipped[: "reason"]". ("Test run with ..." is the closing line, not a test.)
results=$(grep -E '^[^ ]+ Test ' "$work/swift.log" | grep -vE '^[^ ]+ Test (run with|case passing) ' || true)
swift_passed=$(grep -cE ' passed after [0-9.]+ seconds' <<<"$results" || true)
swift_failed=$(grep -cE ' failed after [0-9.]+ seconds' <<<"$results" || true)
swift_skipped=$(grep -cE ' (skipped(: .*|\.)$|was cancelled after [0-9.]+ seconds)' <<<"$results" || true)
swift_reported=$((swift_passed + swift_failed + swift_skipped))
swift_note=""
if ! grep -qE '^[^ ]+ Test run with [0-9]+ tests?' "$work/swift.log"; then
    # The test process died before its closing line: what it did not report did not pass.
    unreported=$((swift_listed - swift_reported))
    [ "$unreported" -ge 1 ] || unreported=1
    swift_failed=$((swift_failed + unreported))
    swift_note=" (the Swift test process crashed (status $swift_status): $unreported test(s) counted as failed)"
    echo "swift: the test process ended without its closing line (status $swift_status):"
    grep -E 'Fatal error|unexpected signal|^error: ' "$work/swift.log" | head -5
else
    # Tests of a skipped suite are not reported one by one: they are the listed tests left over.
    unreported=$((swift_listed - swift_reported))
    if [ "$unreported" -gt 0 ]; then
        swift_skipped=$((swift_skipped + unreported))
        swift_note=" ($unreported in skipped suites)"
    fi
    if [ "$swift_status" -ne 0 ] && [ "$swift_failed" -eq 0 ]; then
        swift_failed=1
        swift_note="$swift_note (swift test exited with status $swift_status)"
    fi
fi

# --- pytest --------------------------------------------------------------------------------
# Runs whatever happened above. -rs lists every skip with its reason (the missing folder).
.venv/bin/python -m pytest -q -rs --junitxml="$work/pytest.xml" e2e 2>&1 | tee "$work/pytest.log"
py_status=${PIPESTATUS[0]}
read -r py_passed py_failed py_skipped < <(.venv/bin/python - "$work/pytest.xml" <<'EOF' 2>/dev/null || echo "0 1 0"
import sys, xml.etree.ElementTree as ET
# Each test once, from its <testcase> elements (a test that passed and then broke in teardown
# has two): failed if any has a failure or an error, else skipped if skipped, else passed.
outcome = {}
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    key = (case.get("classname"), case.get("name"))
    tags = {child.tag for child in case}
    now = "failed" if tags & {"failure", "error"} else "skipped" if "skipped" in tags else "passed"
    rank = {"passed": 0, "skipped": 1, "failed": 2}
    if rank[now] >= rank[outcome.get(key, "passed")]:
        outcome[key] = now
values = list(outcome.values())
print(values.count("passed"), values.count("failed"), values.count("skipped"))
EOF
)
py_note=""
case "$py_status" in
    0|1) ;;
    5) py_note=" (pytest collected no tests)"; py_failed=$((py_failed + 1)) ;;
    *) [ "$py_failed" -gt 0 ] || py_failed=1; py_note=" (pytest exited with status $py_status)" ;;
esac
if [ "$py_status" -eq 1 ] && [ "$py_failed" -eq 0 ]; then py_failed=1; py_note=" (pytest failed without a failing test)"; fi

# The runners' lines read "passed N" so that only the total matches CI's "N passed, N failed".
echo "swift: passed $swift_passed, failed $swift_failed, skipped $swift_skipped$swift_note"
echo "pytest: passed $py_passed, failed $py_failed, skipped $py_skipped$py_note"
total_failed=$((swift_failed + py_failed))
echo "total: $((swift_passed + py_passed)) passed, $total_failed failed, $((swift_skipped + py_skipped)) skipped"
[ "$total_failed" -eq 0 ]
