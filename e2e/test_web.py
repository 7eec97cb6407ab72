"""Feeds, the OpenAPI document, the command line and a real browser against the server."""
import json
import os
import pathlib
import subprocess
import tempfile
import urllib.request

import feedparser
import pytest
from openapi_spec_validator import validate

from conftest import PUBLIC_BASE, SHARED, needs_data, run


def fetch(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return r.read()


@pytest.mark.parametrize("path", ["/feeds/daily.xml", "/feeds/trending.xml", "/feeds/search.xml?q=diffusion+model"])
def test_feeds_parse_cleanly(server, path):
    feed = feedparser.parse(fetch(server, path))
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "rss20"
    if (SHARED / "SOURCES.md").exists():
        assert feed.entries
    else:
        assert feed.entries == []  # an empty catalog: only the document itself is checked
    for entry in feed.entries:
        assert entry.title and entry.link.startswith(PUBLIC_BASE + "/papers/") and entry.summary
        assert entry.published_parsed is not None


def test_openapi_document_is_valid(server):
    document = json.loads(fetch(server, "/api/openapi.json"))
    validate(document)
    assert "/api/daily_papers" in document["paths"]


@needs_data
def test_import_is_idempotent_and_reports(tmp_path):
    db = str(tmp_path / "db.sqlite")
    folder = SHARED / "hf-daily"
    first = run("import", "--database", db, str(folder))
    assert first.returncode == 1
    assert first.stderr.count("rejected: ") == 22
    assert "2024-12-11.json: expected a list of objects, found a list of strings" in first.stderr
    assert "read 7114, new 7114, updated 0, unchanged 0, rejected 0 (and 22 files rejected whole)" in first.stdout
    second = run("import", "--quiet", "--database", db, str(folder))
    assert "new 0, updated 0, unchanged 7114" in second.stdout
    stats = run("stats", "--database", db).stdout
    assert "featured days:    457" in stats and "first day:        2024-05-27" in stats


def test_bad_database_path_is_a_clear_error():
    result = run("import", "--database", "/proc/nope/db.sqlite", "x.json")
    assert result.returncode == 2
    assert "/proc/nope/db.sqlite:" in result.stderr


@needs_data
def test_browser_shows_the_daily_page_and_a_paper(server, tmp_path):
    chromium = next((c for c in ("chromium", "chromium-browser") if subprocess.run(["which", c], capture_output=True).returncode == 0), None)
    assert chromium, "Debian's chromium is not installed (scripts/setup.sh --test installs it)"
    args = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(args + ["--dump-dom", server + "/papers/date/2025-06-02"],
                         capture_output=True, text=True, timeout=120).stdout
    assert "<h1>Jun 2, 2025</h1>" in dom
    assert "ProRL: Prolonged Reinforcement Learning Expands Reasoning Boundaries" in dom
    paper = subprocess.run(args + ["--dump-dom", server + "/papers/2505.24864"], capture_output=True, text=True, timeout=120).stdout
    assert "Mingjie Liu" in paper and "arXiv abstract" in paper
    shot = tmp_path / "daily.png"
    subprocess.run(args + [f"--screenshot={shot}", "--window-size=1200,900", server + "/"], capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
