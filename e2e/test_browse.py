"""Browsing by field and by author on the real catalog (../shared/data/hf-daily): category
pages with date navigation and a trending list, author pages, their RSS feeds (parsed with
feedparser), the links to them from papers and cards, and the buttons that mail new papers.
Expected papers are read from the catalog with sqlite3."""
import json
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import gzip
import itertools
import os
import shutil
import tempfile

import feedparser
import pytest

from conftest import PUBLIC_BASE, SHARED, needs_data, run, serve

pytestmark = needs_data
CATEGORY = "cs.RO"


@pytest.fixture(scope="module")
def browse_database():
    """The Hugging Face daily pages (featured papers, authors) and the first 3,000 papers of
    the arXiv metadata snapshot (the daily pages carry no categories; the snapshot does)."""
    folder = tempfile.mkdtemp(prefix="dailypapers-browse-")
    database = os.path.join(folder, "papers.sqlite")
    snapshot = next((SHARED / "arxiv-cs").glob("*.jsonl.gz"))
    part = os.path.join(folder, "part.jsonl")
    with gzip.open(snapshot, "rt") as source, open(part, "w") as target:
        target.writelines(itertools.islice(source, 3000))
    assert run("import", "--database", database, part).returncode == 0
    run("import", "--database", database, str(SHARED / "hf-daily"))  # exits 1: the damaged daily files are named and skipped
    yield database
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def browse_server(browse_database, arxiv_replay):
    yield from serve(browse_database, 0, arxiv_replay, base_url=PUBLIC_BASE)


def get(base, path):
    try:
        with urllib.request.urlopen(base + path, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def card_ids(body):
    return re.findall(r'<h3><a href="/papers/([^"]+)"', body)


def category_rows(browse_database, category):
    """(id, publication day) of the category's papers, newest day first."""
    with sqlite3.connect(browse_database) as db:
        return db.execute("SELECT id, strftime('%Y-%m-%d', published_at, 'unixepoch') FROM papers "
                          "WHERE published_at IS NOT NULL AND ' ' || categories || ' ' LIKE ? "  # categories are stored space-separated
                          "ORDER BY 2 DESC", (f"% {category} %",)).fetchall()


def test_a_category_page_shows_its_newest_day_and_walks_back(browse_server, browse_database):
    rows = category_rows(browse_database, CATEGORY)
    assert rows
    newest = rows[0][1]
    status, body = get(browse_server, f"/papers/category/{CATEGORY}")
    assert status == 200
    assert sorted(card_ids(body)) == sorted(i for i, d in rows if d == newest)
    previous = max(d for _, d in rows if d < newest)
    assert f'href="/papers/category/{CATEGORY}?date={previous}"' in body
    status, body = get(browse_server, f"/papers/category/{CATEGORY}?date={previous}")
    assert status == 200 and sorted(card_ids(body)) == sorted(i for i, d in rows if d == previous)
    assert f'href="/papers/category/{CATEGORY}?date={newest}"' in body, "and forward again"
    assert f'href="/subscribe?categories={CATEGORY}"' in body and f'href="/feeds/category.xml?category={CATEGORY}"' in body
    assert get(browse_server, "/papers/category/no.such")[0] == 404
    assert get(browse_server, f"/papers/category/{CATEGORY}?date=2025-02-30")[0] == 400
    status, body = get(browse_server, f"/papers/category/{CATEGORY}?sort=trending")
    assert status == 200 and "<strong>Trending</strong>" in body


def test_an_author_page_lists_every_paper_newest_first(browse_server, browse_database):
    with sqlite3.connect(browse_database) as db:
        rows = db.execute("SELECT id FROM papers WHERE EXISTS (SELECT 1 FROM json_each(papers.authors) WHERE value = 'Yejin Choi') "
                          "ORDER BY published_at DESC, id DESC").fetchall()
    status, body = get(browse_server, "/authors/Yejin%20Choi")
    assert status == 200
    assert card_ids(body) == [r[0] for r in rows]
    assert "Sign in</a> to be mailed new papers by Yejin Choi" in body
    assert get(browse_server, "/authors/Nobody%20Atall")[0] == 404


def test_papers_and_cards_link_to_authors_and_categories(browse_server, browse_database):
    with sqlite3.connect(browse_database) as db:
        paper, authors, categories = db.execute("SELECT id, authors, categories FROM papers WHERE categories LIKE '% %' "
                                                "AND json_array_length(authors) > 1 ORDER BY id LIMIT 1").fetchone()
    status, body = get(browse_server, f"/papers/{paper}")
    assert status == 200
    for name in json.loads(authors):
        assert f'<a href="/authors/{urllib.parse.quote(name)}">' in body
    for category in categories.split():
        assert f'<a class="tag" href="/papers/category/{category}">{category}</a>' in body
    # Cards carry their first category as a link.
    status, listing = get(browse_server, f"/papers/category/{CATEGORY}")
    assert status == 200
    assert listing.count(f'<a class="tag" href="/papers/category/') >= len(card_ids(listing)) > 0


@pytest.mark.parametrize("path,link", [(f"/feeds/category.xml?category={CATEGORY}", f"/papers/category/{CATEGORY}"),
                                       ("/feeds/author.xml?name=Yejin+Choi", "/authors/Yejin%20Choi")])
def test_category_and_author_feeds_parse(browse_server, path, link):
    status, body = get(browse_server, path)
    assert status == 200
    feed = feedparser.parse(body)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.entries and len(feed.entries) <= 50
    assert feed.feed.link == PUBLIC_BASE + link
    for entry in feed.entries:
        assert entry.link.startswith(PUBLIC_BASE + "/papers/") and entry.title


def test_feeds_name_a_missing_parameter(browse_server):
    status, body = get(browse_server, "/feeds/category.xml")
    assert status == 400 and "category" in body
    status, body = get(browse_server, "/feeds/author.xml?name=+")
    assert status == 400 and "name" in body
