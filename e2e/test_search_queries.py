"""What researchers type into the search box, on the real catalog (../shared/data/hf-daily):
arXiv ids and links, titles, authors' names, misspelled words and phrases; the author filter;
Hugging Face's limit of 120; and conditional GETs of feeds and API lists. Expected answers
come from the catalog's own rows (read with sqlite3), never from the search code."""
import json
import random
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import pytest
from huggingface_hub import HfApi

from conftest import needs_data

pytestmark = needs_data
SEED = 20261202


def api(base, **params):
    with urllib.request.urlopen(f"{base}/api/papers/search?{urllib.parse.urlencode(params)}", timeout=30) as r:
        return json.load(r)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def page(base, path):
    """The status, Location and body of a GET, redirects not followed."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(base + path, timeout=30) as r:
            return r.status, r.headers.get("Location"), r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location"), error.read().decode()


def words(text):
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.mark.parametrize("typed", ["2505.24864", "arXiv:2505.24864v2", "https://arxiv.org/abs/2505.24864",
                                   "https://arxiv.org/pdf/2505.24864v1", " 2505.24864 "])
def test_an_arxiv_id_or_link_is_that_paper(server, typed):
    assert [item["paper"]["id"] for item in api(server, q=typed)] == ["2505.24864"]
    status, location, _ = page(server, "/search?" + urllib.parse.urlencode({"q": typed}))
    assert (status, location) == (303, "/papers/2505.24864")


def test_an_id_this_site_lacks_offers_to_fetch_it(server, database):
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM papers WHERE id = 'hep-th/9901001'").fetchone()[0] == 0
    assert api(server, q="hep-th/9901001") == []
    status, _, body = page(server, "/search?q=hep-th%2F9901001")
    assert status == 200
    assert "arXiv:hep-th/9901001 is not in this catalog yet" in body
    assert 'href="/submit?id=hep-th%2F9901001"' in body


def test_a_title_as_typed_or_nearly_puts_that_paper_first(server, database):
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id, title FROM papers ORDER BY id").fetchall()
    titles = {}
    for _, title in rows:
        key = " ".join(words(title))
        titles[key] = titles.get(key, 0) + 1
    # Papers whose title (as words) no other paper shares, with at least six words.
    candidates = [(i, t) for i, t in rows if len(words(t)) >= 6 and titles[" ".join(words(t))] == 1]
    rng = random.Random(SEED)
    sample = rng.sample(candidates, 25)
    misses = []
    for paper_id, title in sample:
        as_words = words(title)
        # Lower case, no punctuation, and one word (not the first) left out.
        dropped = as_words[:2] + as_words[3:]
        for query in (title, " ".join(dropped)):
            found = [item["paper"]["id"] for item in api(server, q=query, limit=3)]
            if not found or found[0] != paper_id:
                misses.append((paper_id, query, found))
    assert not misses, f"seed {SEED}: {misses}"


def test_an_authors_name_puts_their_papers_first(server, database):
    with sqlite3.connect(database) as db:
        theirs = {row[0] for row in db.execute("SELECT id FROM papers WHERE EXISTS "
                                               "(SELECT 1 FROM json_each(papers.authors) WHERE value = 'Yejin Choi')")}
    assert len(theirs) >= 5
    found = [item["paper"]["id"] for item in api(server, q="Yejin Choi", limit=len(theirs) + 5)]
    assert set(found[:len(theirs)]) == theirs
    # The same with other case and punctuation.
    assert {item["paper"]["id"] for item in api(server, q="yejin-choi", limit=len(theirs))} == theirs


def test_the_author_filter_on_the_api_and_the_page(server, database):
    found = api(server, q="reasoning", author="Yejin Choi", limit=50)
    assert found, "Yejin Choi has papers about reasoning in the catalog"
    for item in found:
        assert "Yejin Choi" in [a["name"] for a in item["paper"]["authors"]]
    status, _, body = page(server, "/search?q=reasoning&author=Yejin+Choi&mode=keyword")
    assert status == 200 and 'name="author" value="Yejin Choi"' in body
    ids = re.findall(r'<h3><a href="/papers/([^"]+)"', body)
    assert ids and set(ids) <= {item["paper"]["id"] for item in found}


@pytest.mark.parametrize("typed,meant", [("tranformer", "transformer"), ("difusion", "diffusion"),
                                         ("convolutonal networks", "convolutional networks")])
def test_a_misspelled_word_still_finds_papers_and_the_page_offers_the_correction(server, typed, meant):
    found = api(server, q=typed, limit=10)
    stem = meant.split()[0][:7]
    assert found and all(stem in (item["paper"]["title"] + " " + item["paper"]["summary"]).lower() for item in found), \
        [item["paper"]["title"] for item in found]
    status, _, body = page(server, "/search?" + urllib.parse.urlencode({"q": typed, "mode": "keyword"}))
    assert status == 200
    assert f"Did you mean <a href=\"/search?q={urllib.parse.quote_plus(meant)}&amp;mode=keyword\"><strong>{meant}</strong></a>?" in body
    # In quotes, the words are searched as typed: nothing is corrected.
    _, _, quoted = page(server, "/search?" + urllib.parse.urlencode({"q": f'"{typed}"', "mode": "keyword"}))
    assert "Did you mean" not in quoted


@pytest.mark.parametrize("phrase", ["large language model", "reinforcement learning", "chain of thought", "mixture of experts"])
def test_a_phrase_ranks_above_the_same_words_apart(server, database, phrase):
    pattern = re.compile(r"\b" + r"\W+".join(phrase.split()) + r"s?\b", re.IGNORECASE)
    with sqlite3.connect(database) as db:
        texts = {i: t + " " + a for i, t, a in db.execute("SELECT id, title, abstract FROM papers")}
    wanted = set(phrase.split())
    apart = [i for i, t in texts.items() if wanted <= set(words(t)) and not pattern.search(t)]
    assert apart, "the catalog has papers with the words apart, so the order is a real test"
    found = [item["paper"]["id"] for item in api(server, q=phrase, mode="keyword", limit=20)]
    assert len(found) == 20
    # Of the results that have all the words, those with the phrase come before those without.
    kinds = [(i, "phrase" if pattern.search(texts[i]) else "apart") for i in found if wanted <= set(words(texts[i]))]
    order = [kind for _, kind in kinds]
    assert "phrase" in order and order == sorted(order, key=lambda kind: kind != "phrase"), kinds


def test_huggingface_hub_asks_for_120(server):
    papers = list(HfApi(endpoint=server).list_papers(query="language model", limit=120))
    assert len(papers) == 120
    with pytest.raises(urllib.error.HTTPError) as refused:
        api(server, q="language model", limit=121)
    assert refused.value.code == 400
    assert json.load(refused.value) == {"error": 'limit "121" must be a whole number from 1 to 120'}


@pytest.mark.parametrize("path", ["/feeds/daily.xml", "/feeds/search.xml?q=diffusion", "/api/daily_papers?date=2025-06-03",
                                  "/api/papers/search?q=diffusion"])
def test_feeds_and_api_lists_answer_conditional_requests(server, path):
    with urllib.request.urlopen(server + path, timeout=30) as r:
        etag = r.headers["ETag"]
        body = r.read()
    assert etag and body
    request = urllib.request.Request(server + path, headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=30)
    assert answer.value.code == 304 and answer.value.read() == b""
    other = urllib.request.Request(server + path, headers={"If-None-Match": '"something-else"'})
    with urllib.request.urlopen(other, timeout=30) as r:
        assert r.status == 200 and r.read() == body
