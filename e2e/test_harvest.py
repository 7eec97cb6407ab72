"""Harvesting end to end: the real `dailypapers harvest` and `serve` against the loopback
replay server (e2e/harvest_replay.py) built from the recorded arXiv OAI-PMH responses, the
arXiv metadata snapshot and the recorded Hugging Face days. Covers a harvest killed with
SIGKILL and run again, a new install filling itself, a source that cannot be reached, and
votes through the API while another process imports into the same SQLite file."""
import concurrent.futures
import datetime
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import BINARY, SHARED, Member, bound_port, needs_data, run, serve, wait_for
from harvest_replay import Replay

CATALOG = ("SELECT id, version, title, abstract, authors, categories, published_at, updated_at, comments, "
           "journal_ref, doi, github_repo, github_stars, project_page, text_hash FROM papers ORDER BY id")


def fresh_database(folder, name):
    path = os.path.join(folder, name)
    run("migrate", "--database", path).check_returncode()
    return path


def catalog(path):
    with sqlite3.connect(path) as db:
        return db.execute(CATALOG).fetchall(), db.execute("SELECT paper_id, day, imported_upvotes FROM featured ORDER BY 1, 2").fetchall()


def harvest(database, replay, *args, env=None):
    return subprocess.run([str(BINARY), "harvest", *args, "--database", database, "--delay", "0", "--harvest-backoff", "0",
                           *(["--oai-url", replay.oai_url] if args[0] == "arxiv" else ["--hf-url", replay.base_url])],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def replay():
    # 3,000 real papers from the snapshot (set cs) on pages of 100, plus the recorded records.
    with Replay(SHARED, page_size=100, snapshot_records=3000) as server:
        yield server


@pytest.fixture
def folder():
    with tempfile.TemporaryDirectory(prefix="dailypapers-harvest-") as path:
        yield path


@needs_data
def test_harvest_arxiv_cli_reads_every_page_and_continues_from_its_cursor(replay, folder):
    replay.reset(requests=True, data=True)
    db = fresh_database(folder, "a.sqlite")
    first = harvest(db, replay, "arxiv", "--set", "cs", "--from", "2000-01-01")
    assert first.returncode == 0, first.stderr
    assert re.search(r"arxiv:cs: read 3000, new 3000, updated 0, unchanged 0, rejected 0, 30 requests; cursor \d{4}-\d{2}-\d{2}", first.stdout), first.stdout
    cursor = re.search(r"cursor (\S+)", first.stdout).group(1)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM papers").fetchone()[0] == 3000
        assert con.execute("SELECT cursor FROM harvest_state WHERE source = 'arxiv:cs'").fetchone()[0] == cursor
        newest = con.execute("SELECT max(date(updated_at, 'unixepoch')) FROM papers").fetchone()[0]
    assert cursor == newest, "the cursor is the newest datestamp harvested (the snapshot's update_date)"
    requests = [r["path"] for r in replay.requests()]
    assert len(requests) == 30 and all("resumptionToken=" in r for r in requests[1:])
    # The next run starts at the cursor, re-reads that day only, and changes nothing.
    replay.reset(requests=True)
    second = harvest(db, replay, "arxiv", "--set", "cs")
    assert second.returncode == 0, second.stderr
    assert f"from={cursor}" in replay.requests()[0]["path"]
    assert re.search(r"new 0, updated 0, unchanged [1-9]\d*, rejected 0", second.stdout), second.stdout


@needs_data
def test_a_new_version_replaces_the_text_and_is_embedded_again(replay, folder):
    replay.reset(requests=True, data=True)
    db = fresh_database(folder, "v.sqlite")
    fields = {"id": "2611.09901", "title": "Sparse lattice retrieval", "abstract": "First version.",
              "authors": "Ada Lovelace, Alan Turing", "categories": "cs.IR", "datestamp": "2026-11-30",
              "version_dates": ["2026-11-28T10:00:00Z"]}
    replay.add_record(fields)
    assert harvest(db, replay, "arxiv", "--from", "2026-11-01").returncode == 0
    with sqlite3.connect(db) as con:
        before = con.execute("SELECT version, abstract, text_hash FROM papers WHERE id = '2611.09901'").fetchone()
    replay.add_record({**fields, "abstract": "Second version, with results.", "datestamp": "2026-12-01",
                       "version_dates": ["2026-11-28T10:00:00Z", "2026-12-01T09:00:00Z"]})
    result = harvest(db, replay, "arxiv", "--from", "2026-11-01")
    assert result.returncode == 0 and "updated 1" in result.stdout, result.stdout
    with sqlite3.connect(db) as con:
        after = con.execute("SELECT version, abstract, text_hash FROM papers WHERE id = '2611.09901'").fetchone()
    assert before[:2] == (1, "First version.") and after[:2] == (2, "Second version, with results.")
    assert after[2] != before[2], "a changed text gets a new hash, so its vector is stale and embedded again"


@needs_data
def test_a_harvest_killed_mid_run_and_started_again_ends_with_the_same_catalog(replay, folder):
    replay.reset(requests=True, data=True)
    whole = fresh_database(folder, "whole.sqlite")
    assert harvest(whole, replay, "arxiv", "--from", "2000-01-01").returncode == 0
    replay.reset(requests=True)
    killed = fresh_database(folder, "killed.sqlite")
    # A real delay between pages so the run is still going when it is killed after its 8th request.
    process = subprocess.Popen([str(BINARY), "harvest", "arxiv", "--database", killed, "--oai-url", replay.oai_url,
                                "--from", "2000-01-01", "--delay", "0.2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: len(replay.requests()) >= 8, "the 8th page request")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    with sqlite3.connect(killed) as con:
        partial = con.execute("SELECT count(*) FROM papers").fetchone()[0]
        assert con.execute("SELECT cursor FROM harvest_state WHERE source = 'arxiv:cs'").fetchone() is None
    assert 0 < partial < 3000, f"the kill should land mid-run ({partial} papers written)"
    again = harvest(killed, replay, "arxiv", "--from", "2000-01-01")  # the same command again
    assert again.returncode == 0, again.stderr
    assert catalog(killed) == catalog(whole)


@needs_data
def test_faults_end_in_one_clear_line_and_a_correct_resume(replay, folder):
    replay.reset(requests=True, data=True)
    db = fresh_database(folder, "f.sqlite")
    # A 503 with Retry-After is waited out (1 s, measured between the two requests), a dropped
    # body and a truncated one are retried; the run completes with every paper once.
    replay.inject("oai", "status", status=503, retry_after=1)
    replay.inject("oai", "drop")
    replay.inject("oai", "truncate")
    result = harvest(db, replay, "arxiv", "--from", "2000-01-01")
    assert result.returncode == 0, result.stderr
    times = [r["time"] for r in replay.requests()]
    assert times[1] - times[0] >= 1.0, "Retry-After: 1 was honoured"
    assert "Retry-After 1 s" in result.stderr and "closed before the response was complete" in result.stderr, result.stderr
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*), count(DISTINCT id) FROM papers").fetchone() == (3000, 3000)
    # A source that keeps failing: exit 3, one line naming the URL and the last reply; the cursor stays.
    fresh = fresh_database(folder, "g.sqlite")
    replay.inject("oai", "status", count=2, status=500)
    failed = harvest(fresh, replay, "arxiv", "--from", "2000-01-01", "--harvest-attempts", "2")
    assert failed.returncode == 3
    error_lines = [l for l in failed.stderr.splitlines() if l.startswith("error:")]
    assert len(error_lines) == 1 and replay.oai_url in error_lines[0] and "HTTP 500" in error_lines[0], failed.stderr
    # A bad argument from the source ends the run quoting the OAI-PMH error.
    bad = harvest(fresh, replay, "arxiv", "--from", "2000-01-01", "--set", "no-such-set")
    assert bad.returncode == 0 and "read 0" in bad.stdout  # noRecordsMatch is an empty result


@needs_data
def test_harvest_hf_cli_names_damaged_days_and_updates_counts(replay, folder):
    replay.reset(requests=True, data=True)
    db = fresh_database(folder, "hf.sqlite")
    result = harvest(db, replay, "hf", "--from", "2024-12-10", "--to", "2024-12-12")
    assert result.returncode == 1, "2024-12-11 and 2024-12-12 are damaged in the recorded data"
    rejected = [l for l in result.stderr.splitlines() if l.startswith("rejected:")]
    assert len(rejected) == 2 and all("list of strings" in l for l in rejected), result.stderr
    items = json.loads((SHARED / "hf-daily" / "2024-12-10.json").read_text())
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM featured WHERE day = '2024-12-10'").fetchone()[0] == len(items)


@needs_data
def test_links_from_a_harvest_are_kept_only_when_http(replay, folder, tmp_path):
    replay.reset(requests=True, data=True)
    db = fresh_database(folder, "links.sqlite")
    items = json.loads((SHARED / "hf-daily" / "2025-06-02.json").read_text())
    items[0]["paper"]["githubRepo"] = "javascript:alert(document.cookie)"
    items[0]["paper"]["projectPage"] = "data:text/html,<script>alert(1)</script>"
    items[1]["paper"]["githubRepo"] = "https://github.com/example/repo"
    replay.set_hf("2025-06-02", items)
    assert harvest(db, replay, "hf", "--date", "2025-06-02").returncode == 0
    # The same through a file import.
    path = tmp_path / "2025-06-02.json"
    path.write_text(json.dumps(items))
    imported = os.path.join(folder, "imported.sqlite")
    assert run("import", "--database", imported, str(path)).returncode == 0
    for database in (db, imported):
        with sqlite3.connect(database) as con:
            links = dict(((i, (g, p)) for i, g, p in con.execute("SELECT id, github_repo, project_page FROM papers")))
        assert links[items[0]["paper"]["id"]] == (None, None)
        assert links[items[1]["paper"]["id"]][0] == "https://github.com/example/repo"
    # A javascript: link already in a database (written before this check existed) is not rendered.
    with sqlite3.connect(db) as con:
        con.execute("UPDATE papers SET github_repo = 'javascript:alert(1)' WHERE id = ?", (items[2]["paper"]["id"],))
    for base in serve(db, 0, "http://127.0.0.1:9/api/query"):
        with urllib.request.urlopen(f"{base}/papers/{items[2]['paper']['id']}") as response:
            page = response.read().decode()
        assert "javascript:" not in page and "GitHub" not in page.split("<main", 1)[-1].split("Markdown")[0]
        assert get_json(f"{base}/api/papers/{items[2]['paper']['id']}").get("githubRepo") is None


@needs_data
def test_a_new_install_fills_itself_and_new_papers_reach_search(replay, folder):
    replay.reset(requests=True, data=True)
    # The server's clock (DAILYPAPERS_NOW), after every recorded and snapshot datestamp: the
    # last 7 days hold only what the test puts there, whatever day the test runs.
    now = "2027-01-15T12:00:00Z"
    today = datetime.date.fromisoformat(now[:10])
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    replay.add_record({"id": "2701.00001", "title": "Quasar lattice harmonics for sparse retrieval",
                       "abstract": "We index quasar lattice harmonics with sparse retrieval.", "authors": "Grace Hopper",
                       "categories": "cs.IR", "datestamp": (today - datetime.timedelta(days=2)).isoformat()})
    hf_items = json.loads((SHARED / "hf-daily" / "2025-06-02.json").read_text())[:3]
    replay.set_hf(yesterday, hf_items)
    db = fresh_database(folder, "new.sqlite")
    server_output = []
    for base in serve(db, 0, "http://127.0.0.1:9/api/query", "--harvest", "--background-embedding",
                      "--oai-url", replay.oai_url, "--hf-url", replay.base_url, "--delay", "0", output=server_output,
                      env={"DAILYPAPERS_NOW": now}):
        health = wait_for(lambda: (h := get_json(base + "/healthz")).get("harvest", {}).get("hf", {}).get("lastRun")
                          and h["harvest"].get("arxiv:cs", {}).get("lastRun") and h, "both first harvests")
        arxiv, hf = health["harvest"]["arxiv:cs"], health["harvest"]["hf"]
        assert arxiv["lastRun"]["outcome"] == "ok" and arxiv["lastRun"]["counts"]["new"] == 1, arxiv
        assert hf["lastRun"]["outcome"] == "ok" and hf["lastRun"]["counts"]["featuredNew"] == 3, hf
        assert arxiv["nextRun"] > arxiv["lastRun"]["at"] and hf["nextRun"] > hf["lastRun"]["at"]
        # The day's page shows the harvested Hugging Face papers.
        with urllib.request.urlopen(f"{base}/papers/date/{yesterday}") as response:
            page = response.read().decode()
        assert all(item["paper"]["title"].split()[0] in page for item in hf_items)
        # The arXiv paper is embedded in the background and found by hybrid search, no restart.
        found = wait_for(lambda: [p for p in get_json(base + "/api/papers/search?q=quasar+lattice+harmonics")
                                  if p["paper"]["id"] == "2701.00001"], "the harvested paper in hybrid search")
        assert found
        with urllib.request.urlopen(base + "/metrics") as response:
            metrics = response.read().decode()
        samples = dict(line.rsplit(" ", 1) for line in metrics.splitlines() if line and not line.startswith("#"))
        assert float(samples['harvest_last_run_success{source="arxiv:cs"}']) == 1
        assert float(samples['harvest_last_run_new_papers{source="arxiv:cs"}']) == 1
        assert float(samples['harvest_runs_total{source="arxiv:cs"}']) >= 1
    # One log line per run, with its counts.
    lines = server_output[0].splitlines()
    arxiv_runs = [l for l in lines if "harvest arxiv:cs done:" in l]
    hf_runs = [l for l in lines if "harvest hf done:" in l]
    assert len(arxiv_runs) == 1 and "new 1," in arxiv_runs[0], arxiv_runs
    assert len(hf_runs) == 1 and "featured new 3" in hf_runs[0], hf_runs


def test_an_unreachable_source_fails_each_attempt_with_one_line_and_the_site_keeps_serving(folder):
    # Needs no ../shared/data: an empty database and a closed port.
    db = fresh_database(folder, "offline.sqlite")
    # A bound socket that does not listen: connections to it are refused, like an air-gapped machine's.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    process = None
    try:
        base_url = f"http://127.0.0.1:{port}"
        log_path = os.path.join(folder, "serve.log")
        log = open(log_path, "w")
        read_log = lambda: open(log_path).read()
        process = subprocess.Popen([str(BINARY), "serve", "--database", db, "--port", "0", "--no-background-embedding",
                                    "--harvest", "--oai-url", base_url + "/oai2", "--hf-url", base_url, "--harvest-attempts", "1",
                                    "--harvest-retry-minutes", "0.02"], stdout=subprocess.DEVNULL, stderr=log, text=True)
        with open(log_path) as reader:
            base = f"http://127.0.0.1:{bound_port(process, reader)}"
        def failed_twice():
            try:
                h = get_json(base + "/healthz")["harvest"]
            except (OSError, KeyError):
                return None
            runs = [h.get(s, {}).get("lastRun") for s in ("arxiv:cs", "hf")]
            return h if all(r and r["outcome"] == "failed" for r in runs) else None
        health = wait_for(failed_twice, "failed harvest runs")
        for source in ("arxiv:cs", "hf"):
            assert f"127.0.0.1:{port}" in health[source]["lastRun"]["error"]
        # Retried later: wait for a second failed attempt of arXiv's (retry after 0.02 min).
        wait_for(lambda: read_log().count("harvest arxiv:cs failed") >= 2, "a second attempt")
        with urllib.request.urlopen(base + "/") as response:
            assert response.status == 200
        lines = [l for l in read_log().splitlines() if "harvest arxiv:cs failed" in l]
        assert all("will retry" in l and f"127.0.0.1:{port}" in l for l in lines), lines
    finally:
        if process:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            log.close()
        closed.close()


@needs_data
def test_votes_through_the_api_while_another_process_imports_never_fail(folder):
    """Two writers on one SQLite file: `serve` taking votes from 32 clients at once and
    `dailypapers import` of the whole Hugging Face folder. Every vote succeeds, only the 22
    damaged files are rejected, and neither log says the database was locked."""
    db = fresh_database(folder, "writers.sqlite")
    assert run("import", "--database", db, str(SHARED / "hf-daily" / "2025-06-02.json")).returncode == 0
    with sqlite3.connect(db) as con:
        ids = [row[0] for row in con.execute("SELECT id FROM papers ORDER BY id LIMIT 32")]
    assert len(ids) >= 8, ids
    server_output = []
    for base in serve(db, 0, "http://127.0.0.1:9/api/query", output=server_output):
        member = Member(base).sign_up("writer")
        assert member.get("/settings")[0] == 200
        status, text, _ = member.post("/settings/tokens", {"name": "load"})
        assert status == 200
        token = re.search(r'<p class="token">([^<]+)</p>', text).group(1)
        statuses, stop = [], threading.Event()

        def vote(paper):
            while not stop.is_set():
                request = urllib.request.Request(f"{base}/api/papers/{paper}/vote", data=b"", method="POST",
                                                 headers={"Authorization": f"Bearer {token}"})
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        statuses.append(response.status)
                except urllib.error.HTTPError as error:
                    statuses.append(error.code)

        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            futures = [pool.submit(vote, ids[i % len(ids)]) for i in range(32)]
            result = run("import", "--database", db, "--quiet", str(SHARED / "hf-daily"))
            stop.set()
            for f in futures:
                f.result()
        assert result.returncode == 1
        rejected = [l for l in result.stderr.splitlines() if l.startswith("rejected:")]
        assert len(rejected) == 22, result.stderr[-2000:]
        assert "locked" not in result.stderr
        assert len(statuses) >= 32 and set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert "locked" not in server_output[0], [l for l in server_output[0].splitlines() if "locked" in l][:5]
