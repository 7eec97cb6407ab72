"""PostgreSQL: a site moved from SQLite with `migrate-data`, then two `dailypapers serve`
nodes on two ports sharing the one database, as behind a load balancer; a database that
refuses the credentials; a database that goes away and comes back. Needs the throw-away
cluster scripts/test.sh starts (DAILYPAPERS_TEST_POSTGRES_URL, DAILYPAPERS_TEST_POSTGRES_DIR)."""
import json
import os
import sqlite3
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from conftest import BINARY, ROOT, Member, needs_data, run, serve
from smtp_harness import SMTPServer
from test_mail import digest_day, mail_catalog  # noqa: F401 (a fixture, shared with the mail tests)
from waiting import wait_for

PG_URL = os.environ.get("DAILYPAPERS_TEST_POSTGRES_URL", "")
PG_DIR = os.environ.get("DAILYPAPERS_TEST_POSTGRES_DIR", "")
PSQL = "/usr/lib/postgresql/15/bin/psql"

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="PostgreSQL half skipped: DAILYPAPERS_TEST_POSTGRES_URL is not set (scripts/test.sh starts a throw-away cluster)")

TABLES = ["papers", "members", "featured", "embeddings", "settings", "sessions", "api_tokens", "votes", "comments",
          "subscriptions", "alerts", "alert_papers", "outbox", "digest_editions", "harvest_state", "rate_limits"]


def psql(sql, url=PG_URL):
    result = subprocess.run([PSQL, url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def with_database(url, name, **query):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, urllib.parse.urlencode(query), ""))


def password():
    return urllib.parse.urlsplit(PG_URL).password or "no password in the URL"


@pytest.fixture(scope="module")
def pg_site(database):
    """A new PostgreSQL database holding a copy of the end-to-end catalog, made by migrate-data."""
    name = "e2e_" + uuid.uuid4().hex[:12]
    psql(f"CREATE DATABASE {name}")
    url = with_database(PG_URL, name)
    copied = run("migrate-data", "--from", database, "--to", url)
    yield url, copied
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def test_migrate_data_copies_every_table_and_proves_it(pg_site, database):
    url, copied = pg_site
    assert copied.returncode == 0, copied.stderr[-2000:]
    assert "verified: 16 tables copied" in copied.stdout, copied.stdout
    assert password() not in copied.stdout + copied.stderr, "the password is never printed"
    # Counted again here, independently of the program: sqlite3 on one side, psql on the other.
    with sqlite3.connect(database) as source:
        for table in TABLES:
            expected = source.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert int(psql(f"SELECT count(*) FROM {table}", url)) == expected, table
            assert f"| {table} | {expected} | {expected} |" in copied.stdout
        assert source.execute("SELECT count(*) FROM papers").fetchone()[0] > 1000
        # And some content, byte for byte: the newest featured papers' titles and authors.
        rows = source.execute("SELECT p.id, p.title, p.authors FROM featured f JOIN papers p ON p.id = f.paper_id "
                              "ORDER BY f.day DESC, p.id LIMIT 5").fetchall()
    for paper_id, title, authors in rows:
        assert psql(f"SELECT title || '|' || authors FROM papers WHERE id = '{paper_id}'", url) == f"{title}|{authors}"
    # A second copy into the now non-empty database is refused, and nothing is written.
    papers = psql("SELECT count(*) FROM papers", url)
    again = run("migrate-data", "--from", database, "--to", url)
    assert again.returncode == 2 and "already holds rows" in again.stderr, again.stderr
    assert psql("SELECT count(*) FROM papers", url) == papers


@pytest.fixture(scope="module")
def two_nodes(pg_site, arxiv_replay):
    url, copied = pg_site
    assert copied.returncode == 0, copied.stderr[-2000:]
    logs = []
    # Node A ranks keyword mode with PostgreSQL's full-text index; node B in memory (the default).
    a = serve(url, 0, arxiv_replay, env={"KEYWORD_SEARCH": "database"}, output=logs)
    b = serve(url, 0, arxiv_replay, output=logs)
    node_a, node_b = next(a), next(b)
    yield node_a, node_b, url
    for node in (a, b):
        with pytest.raises(StopIteration):
            next(node)
    assert password() not in "".join(logs), "the database password never reaches the log"


def test_a_session_made_on_one_node_works_on_the_other(two_nodes):
    node_a, node_b, _ = two_nodes
    ada = Member(node_a).sign_up("ada")
    on_b = Member(node_b)
    on_b.jar = ada.jar
    on_b.opener = ada.opener
    status, text, _ = on_b.get("/settings")
    assert status == 200 and "ada" in text and "Sign in" not in text.split("<main", 1)[-1][:2000]


def test_votes_and_comments_on_one_node_are_seen_on_the_other(two_nodes):
    node_a, node_b, _ = two_nodes
    paper = get_json(f"{node_b}/api/daily_papers?limit=1")[0]["paper"]["id"]
    before = get_json(f"{node_b}/api/papers/{paper}")["upvotes"]  # now cached on node B
    grace = Member(node_a).sign_up("grace")
    grace.get(f"/papers/{paper}")
    status, _, _ = grace.post(f"/papers/{paper}/vote", {"next": f"/papers/{paper}"})
    assert status == 200
    # Documented: at once (NOTIFY clears node B's caches), at the latest when they expire (2 s).
    wait_for(lambda: get_json(f"{node_b}/api/papers/{paper}")["upvotes"] == before + 1, "the vote on node B", timeout=10)
    status, _, _ = grace.post(f"/papers/{paper}/comments", {"text": "seen from node B?"})
    assert status == 200
    wait_for(lambda: "seen from node B?" in urllib.request.urlopen(f"{node_b}/papers/{paper}", timeout=30).read().decode(),
             "the comment on node B", timeout=10)


def test_rate_limits_hold_across_nodes(two_nodes):
    node_a, node_b, _ = two_nodes
    # 20 sign-in attempts per address in 5 minutes, counted in the database: 10 on each node
    # use them up, and the next is refused on either.
    for n in range(20):
        member = Member(node_a if n % 2 == 0 else node_b)
        member.get("/signin")
        status, _, _ = member.post("/signin", {"login": f"nobody{n}", "password": "wrong password"})
        assert status == 401, (n, status)
    for node in (node_a, node_b):
        member = Member(node)
        member.get("/signin")
        status, text, _ = member.post("/signin", {"login": "nobody", "password": "wrong password"})
        assert status == 429 and "Too many sign-in attempts" in text


@needs_data
def test_a_paper_submitted_on_one_node_is_found_on_the_other(two_nodes):
    node_a, node_b, _ = two_nodes
    heidi = Member(node_a).sign_up("heidi")
    heidi.get("/submit")
    # Fetched from (the replay of) arXiv and embedded at once on node A.
    status, text, url = heidi.post("/submit", {"id": "arXiv:1707.08567"})
    assert status == 200 and url.endswith("/papers/1707.08567"), text[:500]
    title = get_json(f"{node_a}/api/papers/1707.08567")["title"]
    query = urllib.parse.quote(title)

    def found(mode):
        items = get_json(f"{node_b}/api/papers/search?q={query}&mode={mode}&limit=5")
        return items and items[0]["paper"]["id"] == "1707.08567"
    # Documented: within a second (each node looks for papers and vectors written since, at
    # most once a second, on a search), with no restart.
    # Node B has only its in-memory indexes to search with.
    wait_for(lambda: found("keyword"), "keyword search on node B", timeout=10)
    wait_for(lambda: found("semantic"), "semantic search on node B", timeout=10)
    wait_for(lambda: found("hybrid"), "hybrid search on node B", timeout=10)


def test_keyword_mode_can_rank_with_postgresql_full_text_search(two_nodes):
    """KEYWORD_SEARCH=database on node A: its keyword mode asks PostgreSQL."""
    node_a, node_b, url = two_nodes
    # Written straight into the database and stamped as changed long ago, so the nodes'
    # in-memory indexes (which read what changed since they last looked) never see these:
    # only PostgreSQL's own full-text index can find them. The query's word is in one paper's
    # title and in the other's abstract (and in no other paper): the title weighs more.
    psql("INSERT INTO papers (id, version, title, abstract, authors, imported_at, modified_at) VALUES "
         "('2512.99902', 1, 'Marsupial gaits on sandstone', 'We film quokka locomotion.', '[\"B. Author\"]', 0, 0), "
         "('2512.99901', 1, 'Quokka locomotion', 'We film marsupial gaits on sandstone.', '[\"A. Author\"]', 0, 0)", url)
    items = get_json(f"{node_a}/api/papers/search?q=quokka&mode=keyword&limit=5")
    assert [item["paper"]["id"] for item in items] == ["2512.99901", "2512.99902"], items
    unseen = {"2512.99901", "2512.99902"}
    for node, mode in ((node_a, "hybrid"), (node_b, "keyword"), (node_b, "hybrid")):
        items = get_json(f"{node}/api/papers/search?q=quokka&mode={mode}&limit=5")
        assert not unseen & {item["paper"]["id"] for item in items}, f"{mode} on {node} ranks in memory"


def test_wrong_credentials_stop_serve_at_once_with_a_clear_message(arxiv_replay):
    wrong = with_database(PG_URL.replace(f":{password()}@", ":not-the-password@"), "postgres")
    result = subprocess.run([str(BINARY), "serve", "--database", wrong, "--port", "0", "--no-harvest"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert 'password authentication failed for user "postgres"' in result.stderr, result.stderr[-1000:]
    assert "not-the-password" not in result.stdout + result.stderr
    missing = with_database(PG_URL, "no_such_site")
    result = subprocess.run([str(BINARY), "stats", "--database", missing], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and 'database "no_such_site" does not exist' in result.stderr, result.stderr[-1000:]


@pytest.mark.skipif(not PG_DIR, reason="the outage test needs DAILYPAPERS_TEST_POSTGRES_DIR (scripts/test.sh sets it)")
def test_a_database_outage_gives_503s_and_the_site_recovers(pg_site, arxiv_replay):
    url, _ = pg_site
    # Waits for a connection of at most 2 s while the database is away.
    quick = url + ("&" if "?" in url else "?") + "connect_timeout=2"
    node = serve(quick, 0, arxiv_replay)
    base = next(node)
    try:
        assert urllib.request.urlopen(f"{base}/api/papers/search?q=diffusion&mode=keyword", timeout=30).status == 200
        subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop", PG_DIR], check=True, capture_output=True, timeout=120)
        try:
            with pytest.raises(urllib.error.HTTPError) as down:
                # A paper page the cache has not seen: it needs the database.
                urllib.request.urlopen(f"{base}/papers/2401.99999?n=1", timeout=30)
            assert down.value.code == 503 and down.value.headers["Retry-After"]
            assert "database is not answering" in down.value.read().decode()
            with pytest.raises(urllib.error.HTTPError) as api_down:
                urllib.request.urlopen(f"{base}/api/papers/2401.99998", timeout=30)
            assert api_down.value.code == 503 and api_down.value.headers["Retry-After"]
            assert "not answering" in json.loads(api_down.value.read())["error"]
            # The API document (served without the database) says so.
            responses = get_json(f"{base}/api/openapi.json")["paths"]["/api/papers/{id}"]["get"]["responses"]
            assert "Retry-After" in responses["503"]["headers"]
        finally:
            subprocess.run([str(ROOT / "scripts/postgres.sh"), "start", PG_DIR], check=True, capture_output=True, timeout=120)

        def answers():
            try:
                return urllib.request.urlopen(f"{base}/api/papers/search?q=transformer&mode=keyword", timeout=30).status == 200
            except urllib.error.HTTPError:
                return False
        wait_for(answers, "the site to answer again after the database came back", timeout=60)
    finally:
        with pytest.raises(StopIteration):
            next(node)


def test_two_nodes_schedule_each_digest_once_and_send_each_message_once(mail_catalog, arxiv_replay):
    """Both nodes run the mail scheduler at the digest hour at the same moment: the edition is
    queued once (one row per message key) and every message is sent once (claims are taken with
    FOR UPDATE SKIP LOCKED), as the SMTP server counts."""
    name = "e2e_mail_" + uuid.uuid4().hex[:8]
    psql(f"CREATE DATABASE {name}")
    url = with_database(PG_URL, name)
    try:
        copied = run("migrate-data", "--from", mail_catalog, "--to", url, "--quiet")
        assert copied.returncode == 0, copied.stderr
        _, send_day = digest_day(mail_catalog)
        recipients = [f"node{i:02d}@example.org" for i in range(60)]
        psql("INSERT INTO subscriptions (email, frequency, status, created_at, confirmed_at, updated_at) VALUES "
             + ", ".join(f"('{r}', 'daily', 'confirmed', 0, 0, 0)" for r in recipients), url)
        with SMTPServer() as smtp:
            env = {"SMTP_URL": smtp.url(), "SMTP_CONNECTIONS": "2", "MAIL_RETRY_SECONDS": "0.2", "MAIL_CLAIM_SECONDS": "1",
                   # Both nodes start past the digest hour of a weekday.
                   "DAILYPAPERS_NOW": f"{send_day}T07:00:00Z"}
            nodes = [serve(url, 0, arxiv_replay, "--digest-hour", "6", env=env) for _ in range(2)]
            for node in nodes:
                next(node)
            try:
                wait_for(lambda: psql("SELECT count(*) FROM outbox WHERE status = 'sent'", url) == str(len(recipients)),
                         "every digest sent", timeout=120)
                assert {r: smtp.handler.per_recipient[r] for r in recipients} == {r: 1 for r in recipients}
                assert psql("SELECT count(*) FROM outbox", url) == str(len(recipients)), "queued once"
                assert psql("SELECT count(*) FROM digest_editions", url) == "1"
            finally:
                for node in nodes:
                    with pytest.raises(StopIteration):
                        next(node)
            assert {r: smtp.handler.per_recipient[r] for r in recipients} == {r: 1 for r in recipients}, "nothing sent twice later"
    finally:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
