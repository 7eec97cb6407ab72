"""Email end to end, against a real SMTP server on loopback (aiosmtpd, e2e/smtp_harness.py):
subscribe, confirm, digest, one-click unsubscribe; alerts for papers imported later; a digest
run killed with SIGKILL and resumed; temporary (421/451) and permanent (550, 5xx at DATA)
failures; a server that never answers, one that drops the connection in the middle of DATA and
one that closes after a 421; STARTTLS (auto, required, never), implicit TLS and AUTH, and no
password in plain text to a host that is not loopback; header injection through the form and
through a paper title.

None of these needs ../shared/data: they run on a small catalog of their own (`mail_catalog`:
two weeks of featured days in December 2025, imported with `dailypapers import`), so they
never depend on the real data or on today's date."""
import datetime
import email.policy
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request

import pytest

import urllib.parse

from conftest import BINARY, Member, arxiv_replay, serve, wait_for
from smtp_harness import ScriptedSMTPServer, SMTPServer

# Two weeks of weekdays, 8 papers a day; two a day are about diffusion (for keyword digests).
CATALOG_DAYS = [f"2025-12-{d:02d}" for d in (1, 2, 3, 4, 5, 8, 9, 10, 11, 12)]
TOPICS = ["Diffusion models for {}", "Sparse attention for {}", "Graph networks for {}", "Score-based diffusion for {}",
          "Retrieval for {}", "Compilers for {}", "Robot grasping for {}", "Speech recognition for {}"]


def catalog_items(day_index, day):
    """One day's items in the shape of Hugging Face's daily papers API."""
    items = []
    for k, topic in enumerate(TOPICS):
        paper_id = f"2512.{day_index:02d}{k:03d}"
        title = topic.format(f"task {day_index}-{k}")
        items.append({"paper": {"id": paper_id, "title": title, "summary": f"We study {title.lower()}.",
                                "authors": [{"name": f"Author {day_index}-{k}"}, {"name": "Shared Coauthor"}],
                                "publishedAt": f"{day}T00:00:00.000Z", "submittedOnDailyAt": f"{day}T08:00:00.000Z",
                                "upvotes": (k * 7 + day_index * 3) % 50 + k},
                      "numComments": k % 3, "submittedBy": {"user": "akhaliq", "fullname": "AK"}})
    return items


@pytest.fixture(scope="session")
def mail_catalog(tmp_path_factory):
    """A small catalog made by `dailypapers import` from generated daily files."""
    folder = tmp_path_factory.mktemp("mail-catalog")
    daily = folder / "hf-daily"
    daily.mkdir()
    for index, day in enumerate(CATALOG_DAYS, start=1):
        (daily / f"{day}.json").write_text(json.dumps(catalog_items(index, day)))
    path = str(folder / "catalog.sqlite")
    result = subprocess.run([str(BINARY), "import", "--database", path, "--quiet", str(daily)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM featured").fetchone()[0] == len(CATALOG_DAYS) * len(TOPICS)
    return path


def copy_database(source, name):
    path = source.replace(".sqlite", f"-{name}.sqlite")
    if os.path.exists(path):
        os.remove(path)
    with sqlite3.connect(source) as s, sqlite3.connect(path) as t:
        s.backup(t)
    return path


def digest_day(database, before=None):
    """A Tuesday to Friday whose day before has featured papers: its daily digest covers that one
    day. The latest such day, or the latest one earlier than `before`."""
    with sqlite3.connect(database) as db:
        days = [row[0] for row in db.execute("SELECT DISTINCT day FROM featured ORDER BY day DESC")]
    for day in days:
        if before is not None and day >= before:
            continue
        d = datetime.date.fromisoformat(day)
        if d.weekday() in (0, 1, 2, 3):  # Monday to Thursday
            return day, (d + datetime.timedelta(days=1)).isoformat()
    raise AssertionError("no weekday with featured papers")


def mail_env(smtp_url, **extra):
    return {**os.environ, "SMTP_URL": smtp_url, "MAIL_RETRY_SECONDS": "0.2", "MAIL_CLAIM_SECONDS": "1",
            "LOG_LEVEL": "warning", **extra}


def run_digest(database, smtp_url, *args, env=None, base=None, timeout=300):
    """`dailypapers digest --send`; `base` is the server's URL, which links in the mail point to."""
    environment = env or mail_env(smtp_url)
    if base:
        environment = {**environment, "BASE_URL": base}
    return subprocess.run([str(BINARY), "digest", "--database", database, "--send", *args],
                          capture_output=True, text=True, timeout=timeout, env=environment)


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def paper_ids(text):
    return re.findall(r"/papers/([0-9]{4}\.[0-9]{4,5})\b", text)


def subscribe_confirmed(database, emails, frequency="daily"):
    """Confirmed subscribers written straight into the database (the crash and failure tests
    are about delivery, and the round-trip test covers confirming)."""
    now = time.time()
    with sqlite3.connect(database) as db:
        db.executemany(
            "INSERT INTO subscriptions (email, frequency, status, created_at, confirmed_at, updated_at) "
            "VALUES (?, ?, 'confirmed', ?, ?, ?)", [(e, frequency, now, now, now) for e in emails])


def one_click_unsubscribe(server, url):
    """What a mail client does for List-Unsubscribe-Post (RFC 8058), to the `url` on PUBLIC,
    sent to `server`; the status and page."""
    request = urllib.request.Request(server + path_of(url), data=b"List-Unsubscribe=One-Click", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def outbox(database, recipient):
    with sqlite3.connect(database) as db:
        return db.execute("SELECT status, attempts, last_error FROM outbox WHERE recipient = ? ORDER BY id",
                          (recipient,)).fetchall()


@pytest.fixture(scope="module")
def smtp():
    with SMTPServer() as server:
        yield server


@pytest.fixture(scope="module")
def mail_database(mail_catalog):
    return copy_database(mail_catalog, "mail")


# The public base URL of the mail tests' server (as behind a proxy): links in messages are on
# it, and the tests follow them to the server on whatever port it bound.
PUBLIC = "http://papers.example.org"


def path_of(link):
    """The path and query of a link on PUBLIC, checked to be on it."""
    assert link.startswith(PUBLIC + "/"), link
    parts = urllib.parse.urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def mail_server(mail_database, arxiv_replay, smtp):
    yield from serve(mail_database, 0, arxiv_replay, "--digest-hour", "23", base_url=PUBLIC,
                     env={"SMTP_URL": smtp.url(), "MAIL_RETRY_SECONDS": "0.2", "MAIL_CLAIM_SECONDS": "1"})


def confirm_from(message, visitor):
    text, html = parts(message)
    link = re.search(r"(https?://\S+/subscribe/confirm\?token=[A-Za-z0-9_.%-]+)", text).group(1)
    assert link in html
    path = path_of(link)
    status, page, _ = visitor.get(path)
    assert status == 200 and "Confirm subscription" in page
    action = re.search(r'<form class="form" method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    return visitor.post(action, csrf=False)


def confirm_address(member, smtp, address):
    """Asks for the member's address confirmation on /alerts and follows the mailed link."""
    before = len(smtp.handler.to(address))
    status, page, _ = member.post("/alerts/send-verification")
    assert status == 200 and f"We sent a confirmation link to {address}" in page
    wait_for(lambda: len(smtp.handler.to(address)) == before + 1, "the address confirmation")
    text, _ = parts(smtp.handler.to(address)[-1])
    path = path_of(re.search(r"(https?://\S+/verify-email\?token=\S+)", text).group(1))
    status, page, _ = member.get(path)
    assert status == 200 and "Confirm address" in page
    action = re.search(r'<form class="form" method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    status, page, _ = member.post(action, csrf=False)
    assert status == 200 and "Address confirmed" in page


def test_subscribe_confirm_digest_unsubscribe(mail_server, mail_database, smtp):
    base = mail_server
    before, send_day = digest_day(mail_database)
    alice, bob, carol = "alice@example.org", "bob@example.org", "carol@example.org"

    visitor = Member(base)
    status, page, _ = visitor.get("/subscribe")
    assert status == 200 and 'name="email"' in page
    status, page, _ = visitor.post("/subscribe", {"email": alice, "frequency": "daily", "keywords": "", "categories": ""})
    assert status == 200 and "Check your inbox" in page
    wait_for(lambda: len(smtp.handler.to(alice)) == 1, "alice's confirmation")
    confirmation = smtp.handler.to(alice)[0]
    assert confirmation["Subject"].startswith("Daily Papers: confirm")
    status, page, _ = confirm_from(confirmation, visitor)
    assert status == 200 and "You are subscribed" in page

    # Bob narrows to a keyword; Carol never confirms.
    other = Member(base)
    other.get("/subscribe")
    for address, keywords in ((bob, "diffusion"), (carol, "")):
        status, page, _ = other.post("/subscribe", {"email": address, "frequency": "daily", "keywords": keywords, "categories": ""})
        assert status == 200 and "Check your inbox" in page, address
    wait_for(lambda: len(smtp.handler.to(bob)) == 1 and len(smtp.handler.to(carol)) == 1, "two confirmations")
    status, page, _ = confirm_from(smtp.handler.to(bob)[0], other)
    assert status == 200 and "You are subscribed" in page

    # No page tells whether an address is subscribed: asking again looks the same.
    status_again, page_again, _ = other.post("/subscribe", {"email": alice, "frequency": "daily", "keywords": "", "categories": ""})
    assert status_again == 200 and "Check your inbox" in page_again
    wait_for(lambda: len(smtp.handler.to(alice)) == 2, "alice's second confirmation")
    with sqlite3.connect(mail_database) as db:
        assert db.execute("SELECT count(*), status FROM subscriptions WHERE email = ?", (alice,)).fetchone() == (1, "confirmed")

    dry = subprocess.run([str(BINARY), "digest", "--database", mail_database, "--dry-run", "--date", send_day],
                         capture_output=True, text=True, timeout=300, env=mail_env(smtp.url()))
    assert dry.returncode == 0, dry.stderr
    assert alice in dry.stdout and bob in dry.stdout and carol not in dry.stdout
    assert len(smtp.handler.to(alice)) == 2  # a dry run sends nothing

    result = run_digest(mail_database, smtp.url(), "--date", send_day, base=PUBLIC)
    assert result.returncode == 0, result.stderr
    wait_for(lambda: len(smtp.handler.to(alice)) == 3, "alice's digest")
    digest = smtp.handler.to(alice)[2]
    assert digest.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in digest.iter_parts()] == ["text/plain", "text/html"]
    for header in ("Date", "Message-ID", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert digest[header], header
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.utils.parsedate_to_datetime(digest["Date"]).tzinfo is not None
    text, html = parts(digest)
    assert "<link" not in html and "<script" not in html and 'style="' in html

    # The expected papers: those featured the day before, most upvoted first.
    with sqlite3.connect(mail_database) as db:
        rows = db.execute("""SELECT f.paper_id, max(f.imported_upvotes + p.member_votes) FROM featured f
                             JOIN papers p ON p.id = f.paper_id WHERE f.day = ? GROUP BY f.paper_id""", (before,)).fetchall()
    upvotes = dict(rows)
    sent = list(dict.fromkeys(paper_ids(text)))
    assert len(sent) == min(10, len(upvotes))
    assert all(p in upvotes for p in sent)
    assert [upvotes[p] for p in sent] == sorted((upvotes[p] for p in sent), reverse=True)
    assert upvotes[sent[0]] == max(upvotes.values())
    assert set(paper_ids(html)) == set(sent)

    # Bob's digest holds exactly the day's papers about diffusion (by their words; the
    # catalog has no vectors, so no paper matches by meaning alone).
    wait_for(lambda: len(smtp.handler.to(bob)) == 2, "bob's digest")
    bob_papers = set(paper_ids(parts(smtp.handler.to(bob)[1])[0]))
    with sqlite3.connect(mail_database) as db:
        about_diffusion = {row[0] for row in db.execute(
            """SELECT p.id FROM featured f JOIN papers p ON p.id = f.paper_id
               WHERE f.day = ? AND lower(p.title || ' ' || p.abstract) LIKE '%diffusion%'""", (before,))}
    assert about_diffusion and len(about_diffusion) < len(upvotes)
    assert bob_papers == about_diffusion
    assert len(smtp.handler.to(carol)) == 1  # the confirmation only

    # Running it again sends nothing new.
    again = run_digest(mail_database, smtp.url(), "--date", send_day, base=PUBLIC)
    assert again.returncode == 0 and "queued 0 digest" in again.stdout, again.stdout

    # One-click unsubscribe (RFC 8058): a POST to the List-Unsubscribe URL.
    url = digest["List-Unsubscribe"].strip("<>")
    status, page = one_click_unsubscribe(base, url)
    assert status == 200 and "Unsubscribed" in page
    # The GET shows a button and changes nothing by itself.
    status, page, _ = Member(base).get(path_of(url))
    assert status == 200 and "nothing left to unsubscribe" in page

    with sqlite3.connect(mail_database) as db:
        assert db.execute("SELECT status FROM subscriptions WHERE email = ?", (alice,)).fetchone() == ("unsubscribed",)
    # An edition that would reach alice if she were still subscribed: another weekday after a
    # featured day, for which zoe, subscribed like alice was, gets a digest.
    zoe = "zoe@example.org"
    subscribe_confirmed(mail_database, [zoe])
    other_before, other_send_day = digest_day(mail_database, before=before)
    later = run_digest(mail_database, smtp.url(), "--date", other_send_day, base=PUBLIC)
    assert later.returncode == 0, later.stderr
    wait_for(lambda: len(smtp.handler.to(zoe)) == 1, "zoe's digest")
    with sqlite3.connect(mail_database) as db:
        featured_then = {row[0] for row in db.execute("SELECT paper_id FROM featured WHERE day = ?", (other_before,))}
    assert set(paper_ids(parts(smtp.handler.to(zoe)[0])[0])) == featured_then
    with sqlite3.connect(mail_database) as db:
        queued_for_alice = db.execute("SELECT count(*) FROM outbox WHERE recipient = ?", (alice,)).fetchone()[0]
    assert queued_for_alice == 3, "nothing more was queued for alice after unsubscribing"
    assert len(smtp.handler.to(alice)) == 3, "nothing more was sent to alice after unsubscribing"


def test_unsubscribe_page_needs_its_button(mail_server, mail_database, smtp):
    base = mail_server
    _, send_day = digest_day(mail_database)
    subscribe_confirmed(mail_database, ["dana@example.org"])
    assert run_digest(mail_database, smtp.url(), "--date", send_day, base=PUBLIC).returncode == 0
    wait_for(lambda: len(smtp.handler.to("dana@example.org")) == 1, "dana's digest")
    text, _ = parts(smtp.handler.to("dana@example.org")[0])
    link = re.search(r"Unsubscribe: (\S+)", text).group(1)
    visitor = Member(base)
    status, page, _ = visitor.get(path_of(link))
    assert status == 200 and "Stop the daily digest for dana@example.org?" in page
    assert outbox(mail_database, "dana@example.org")[0][0] == "sent"
    with sqlite3.connect(mail_database) as db:
        assert db.execute("SELECT status FROM subscriptions WHERE email = 'dana@example.org'").fetchone() == ("confirmed",)
    action = re.search(r'<form class="form" method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    status, page, _ = visitor.post(action, csrf=False)
    assert status == 200 and "Done" in page
    with sqlite3.connect(mail_database) as db:
        assert db.execute("SELECT status FROM subscriptions WHERE email = 'dana@example.org'").fetchone() == ("unsubscribed",)
    # A forged or altered token is refused.
    status, page, _ = visitor.get(path_of(link)[:-3] + "AAA")
    assert status == 400 and "not valid" in page


def test_hostile_input_cannot_add_headers(mail_server, mail_database, smtp):
    base = mail_server
    visitor = Member(base)
    visitor.get("/subscribe")
    for hostile in ["eve@example.org\r\nBcc: mallory@example.org", "eve@example.org\nBcc: mallory@example.org",
                    "Eve <eve@example.org>", "eve@example.org%0d%0aBcc:mallory@example.org"]:
        status, page, _ = visitor.post("/subscribe", {"email": hostile, "frequency": "daily", "keywords": "", "categories": ""})
        assert status == 422 and "The email is not an email address" in page, hostile
    # A paper whose title holds CR/LF and a header, featured with the most votes; taken out
    # again whatever happens, as the other tests share this catalog.
    before, send_day = digest_day(mail_database)
    with sqlite3.connect(mail_database) as db:
        editions = {row[0] for row in db.execute("SELECT edition FROM digest_editions")}
    try:
        with sqlite3.connect(mail_database) as db:
            db.execute("""INSERT INTO papers (id, title, abstract, authors, imported_at, modified_at)
                          VALUES ('2512.99991', 'Evil title' || char(13) || char(10) || 'Bcc: mallory@example.org' || char(13) || char(10)
                                  || char(13) || char(10) || 'body', 'An abstract.', '["A. Author"]', 0, 0)""")
            featured_at = datetime.datetime.fromisoformat(before).replace(tzinfo=datetime.timezone.utc).timestamp() + 3600
            db.execute("""INSERT INTO featured (paper_id, day, featured_at, imported_upvotes) VALUES ('2512.99991', ?, ?, 100000)""",
                       (before, featured_at))
        subscribe_confirmed(mail_database, ["frank@example.org"])
        result = run_digest(mail_database, smtp.url(), "--date", send_day)
        assert result.returncode == 0, result.stderr
        wait_for(lambda: len(smtp.handler.to("frank@example.org")) == 1, "frank's digest")
        message = smtp.handler.to("frank@example.org")[0]
        assert message["Bcc"] is None
        assert "\n" not in message["Subject"] and "Evil title Bcc: mallory@example.org body" in message["Subject"]
        assert smtp.handler.to("mallory@example.org") == [] and smtp.handler.to("eve@example.org") == []
    finally:
        with sqlite3.connect(mail_database) as db:
            db.execute("DELETE FROM featured WHERE paper_id = '2512.99991'")
            db.execute("DELETE FROM papers WHERE id = '2512.99991'")
            db.execute("DELETE FROM subscriptions WHERE email = 'frank@example.org'")
            db.execute("DELETE FROM outbox WHERE recipient = 'frank@example.org'")
            for (edition,) in db.execute("SELECT edition FROM digest_editions").fetchall():
                if edition not in editions:
                    db.execute("DELETE FROM digest_editions WHERE edition = ?", (edition,))
            assert db.execute("SELECT count(*) FROM papers WHERE id = '2512.99991'").fetchone()[0] == 0
            assert db.execute("SELECT count(*) FROM subscriptions WHERE email = 'frank@example.org'").fetchone()[0] == 0
            assert {row[0] for row in db.execute("SELECT edition FROM digest_editions")} == editions


def test_kill_during_digest_then_resume_sends_each_once(mail_catalog):
    path = copy_database(mail_catalog, "crash")
    _, send_day = digest_day(path)
    recipients = [f"reader{i:02d}@example.org" for i in range(40)]
    subscribe_confirmed(path, recipients)
    with SMTPServer() as smtp:
        smtp.handler.block_at = 15
        # One connection, so every message before the blocked one was marked sent before it began.
        env = mail_env(smtp.url(), SMTP_CONNECTIONS="1")
        process = subprocess.Popen([str(BINARY), "digest", "--database", path, "--send", "--date", send_day],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert smtp.handler.blocked.wait(120), "the digest run never reached the 15th message"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert smtp.handler.count() == 14
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 26
        with smtp.handler.lock:
            smtp.handler.block_at = None
        smtp.handler.release.set()
        resumed = run_digest(path, smtp.url(), "--date", send_day, "--retry-window", "60", env=env)
        assert resumed.returncode == 0, resumed.stderr
        assert {r: smtp.handler.per_recipient[r] for r in recipients} == {r: 1 for r in recipients}
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall() == [("sent", 40)]


def test_temporary_failures_are_retried_and_permanent_ones_recorded(mail_catalog):
    path = copy_database(mail_catalog, "failures")
    _, send_day = digest_day(path)
    recipients = ["gina@example.org", "hugo@example.org", "ivan@example.org", "nobody@example.org"]
    subscribe_confirmed(path, recipients)
    with SMTPServer() as smtp:
        smtp.handler.temporary_rcpt.append("421 4.3.2 closing, try later")
        smtp.handler.temporary_data.append("451 4.3.0 temporary trouble")
        smtp.handler.rcpt_replies["nobody@example.org"] = "550 5.1.1 no such user"
        result = run_digest(path, smtp.url(), "--date", send_day, "--retry-window", "30")
        assert result.returncode == 0, result.stderr
        for r in recipients[:3]:
            assert smtp.handler.per_recipient[r] == 1, (r, result.stdout)
        assert smtp.handler.per_recipient["nobody@example.org"] == 0
        failed = outbox(path, "nobody@example.org")
        assert failed[0][0] == "failed" and failed[0][1] == 1 and "550" in failed[0][2]
        statuses = {r: outbox(path, r)[0] for r in recipients[:3]}
        assert sum(attempts for _, attempts, _ in statuses.values()) == 2  # one 421, one 451
        assert all(status == "sent" for status, _, _ in statuses.values())
        assert "failed for good" in result.stdout and "no such user" in result.stdout
        # The permanent failure is not retried by the next run.
        again = run_digest(path, smtp.url(), "--date", send_day, "--retry-window", "5")
        assert again.returncode == 0 and outbox(path, "nobody@example.org")[0][1] == 1


@pytest.mark.parametrize("mode,auth_query", [("starttls", ""), ("tls", "&auth=login"), ("plain", "")])
def test_tls_and_auth(mail_catalog, mode, auth_query):
    path = copy_database(mail_catalog, f"tls-{mode}")
    _, send_day = digest_day(path)
    subscribe_confirmed(path, ["judy@example.org"])
    with SMTPServer(mode=mode, auth=("mailer", "s3cret pass")) as smtp:
        query = f"?ca_file={smtp.cert}{auth_query}" if smtp.cert else ""
        url = smtp.url("mailer", "s3cret%20pass", query)
        result = run_digest(path, url, "--date", send_day, env=mail_env(url, LOG_LEVEL="debug"))
        assert result.returncode == 0, result.stderr
        assert smtp.handler.per_recipient["judy@example.org"] == 1, result.stdout + result.stderr
        mechanism, ok = smtp.handler.auth_attempts[-1]
        assert ok and mechanism == ("LOGIN" if "login" in auth_query else "PLAIN")
        assert "s3cret" not in result.stdout + result.stderr  # the password is never printed
        # A wrong password: nothing sent, the message stays queued, the reason is recorded.
        subscribe_confirmed(path, ["kim@example.org"])
        bad = smtp.url("mailer", "wrong", query)
        result = run_digest(path, bad, "--date", send_day, "--frequency", "daily", env=mail_env(bad))
        assert result.returncode == 0 and smtp.handler.per_recipient["kim@example.org"] == 0
        status, attempts, error = outbox(path, "kim@example.org")[0]
        assert status == "pending" and attempts == 1 and "535" in error


def test_member_alerts_and_address_confirmation(mail_server, smtp):
    member = Member(mail_server).sign_up("alerty")
    status, page, _ = member.get("/alerts")
    assert status == 200 and "once you confirm it" in page and "No alerts yet" in page
    status, page, _ = member.post("/alerts", {"kind": "author", "query": "Ada <b>Lovelace</b>"})
    assert status == 200 and "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in page
    status, page, _ = member.post("/alerts", {"kind": "author", "query": "x"})
    assert status == 422 and "The query must be 2 to 200 characters long" in page
    status, page, _ = member.post("/alerts", {"kind": "telepathy", "query": "graphs"})
    assert status == 422 and "The kind must be search or author" in page
    confirm_address(member, smtp, "alerty@example.org")
    status, page, _ = member.get("/alerts")
    assert status == 200
    assert "Alerts go to <strong>alerty@example.org</strong>" in page
    delete = re.search(r'action="(/alerts/\d+/delete)"', page).group(1)
    status, page, _ = member.post(delete)
    assert status == 200 and "No alerts yet" in page
    # Visitors are sent to sign in.
    status, page, url = Member(mail_server).get("/alerts")
    assert status == 200 and urllib.parse.urlsplit(url).path == "/signin" and "<h1>Sign in</h1>" in page


def snapshot_line(paper_id, title, authors, version=1, abstract="We report results."):
    """One record in the arXiv metadata snapshot's schema, as `dailypapers import` reads it."""
    return json.dumps({"id": paper_id, "submitter": None, "authors": authors, "title": title, "comments": None,
                       "journal-ref": None, "doi": None, "report-no": None, "categories": "cs.LG", "license": None,
                       "abstract": abstract, "versions": [{"version": f"v{v}", "created": "Mon, 1 Dec 2025 10:00:00 GMT"}
                                                          for v in range(1, version + 1)],
                       "update_date": "2025-12-01", "authors_parsed": []})


def import_lines(database, folder, name, lines):
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    result = subprocess.run([str(BINARY), "import", "--database", database, "--quiet", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def test_alerts_mail_new_papers_once(mail_server, mail_database, smtp, tmp_path):
    """A member follows an author and saves a search; papers that arrive later by import are
    mailed, each once per alert, and nothing that does not match."""
    base = mail_server
    address = "watcher@example.org"
    member = Member(base).sign_up("watcher")
    confirm_address(member, smtp, address)
    assert member.post("/alerts", {"kind": "author", "query": "Zyxwvut Quillfeather"})[0] == 200
    assert member.post("/alerts", {"kind": "search", "query": "tardigrade cryptobiosis"})[0] == 200
    received = len(smtp.handler.to(address))  # the address confirmation

    import_lines(mail_database, tmp_path, "first.jsonl", [
        snapshot_line("2512.90001", "Sparse attention for long documents", "Zyxwvut Quillfeather, Ann Other"),
        snapshot_line("2512.90002", "Tardigrade cryptobiosis as a model of vacuum survival", "Bea Biologist"),
        snapshot_line("2512.90003", "An unrelated study of compilers", "Cy Compiler"),
    ])
    saturday = "2025-12-06"  # no digest is due: this run only queues alerts and delivers
    result = run_digest(mail_database, smtp.url(), "--date", saturday, base=PUBLIC)
    assert result.returncode == 0, result.stderr
    # `serve`'s mail service may have sent them first; either way each alert mails once.
    wait_for(lambda: len(smtp.handler.to(address)) == received + 2, "two alert messages")
    alerts = smtp.handler.to(address)[received:]
    by_subject = {m["Subject"]: m for m in alerts}
    author = next(m for s, m in by_subject.items() if "Zyxwvut Quillfeather" in s)
    search = next(m for s, m in by_subject.items() if "tardigrade cryptobiosis" in s)
    assert set(paper_ids(parts(author)[0])) == {"2512.90001"}
    assert set(paper_ids(parts(search)[0])) == {"2512.90002"}
    for message in alerts:
        assert message.get_content_type() == "multipart/alternative"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "2512.90003" not in parts(message)[1]

    # Nothing new: nothing more. A new version of a mailed paper is not new either.
    import_lines(mail_database, tmp_path, "second.jsonl", [
        snapshot_line("2512.90001", "Sparse attention for long documents, revised", "Zyxwvut Quillfeather", version=2),
    ])
    assert run_digest(mail_database, smtp.url(), "--date", saturday, base=PUBLIC).returncode == 0
    import_lines(mail_database, tmp_path, "third.jsonl", [
        snapshot_line("2512.90004", "Dense retrieval, revisited", "Zyxwvut Quillfeather"),
    ])
    assert run_digest(mail_database, smtp.url(), "--date", saturday, base=PUBLIC).returncode == 0
    wait_for(lambda: len(smtp.handler.to(address)) == received + 3, "the third alert message")
    latest = smtp.handler.to(address)[-1]
    assert "Zyxwvut Quillfeather" in latest["Subject"] and set(paper_ids(parts(latest)[0])) == {"2512.90004"}
    assert run_digest(mail_database, smtp.url(), "--date", saturday, base=PUBLIC).returncode == 0
    assert len(smtp.handler.to(address)) == received + 3

    # The alert's unsubscribe link deletes that alert only.
    assert one_click_unsubscribe(base, latest["List-Unsubscribe"].strip("<>"))[0] == 200
    status, page, _ = member.get("/alerts")
    assert "Zyxwvut Quillfeather" not in page and "tardigrade cryptobiosis" in page


def test_a_server_that_never_answers_times_out(mail_catalog):
    """An SMTP server that accepts the connection and says nothing: the run gives up after
    the configured timeout, and the message stays queued with the reason."""
    path = copy_database(mail_catalog, "silent")
    _, send_day = digest_day(path)
    subscribe_confirmed(path, ["lena@example.org"])
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"smtp://127.0.0.1:{silent.getsockname()[1]}?timeout=1"
        started = time.monotonic()
        result = run_digest(path, url, "--date", send_day, env=mail_env(url), timeout=60)
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    status, attempts, error = outbox(path, "lena@example.org")[0]
    assert status == "pending" and attempts == 1 and "no reply" in error, error
    assert elapsed < 30  # the 1 s timeout, not the default 30 s per reply


def one_subscriber_run(mail_catalog, name, address, url, *args, env=None):
    """A catalog copy with one confirmed daily subscriber, and a digest run against `url`."""
    path = copy_database(mail_catalog, name)
    _, send_day = digest_day(path)
    subscribe_confirmed(path, [address])
    result = run_digest(path, url, "--date", send_day, *args, env=env or mail_env(url))
    return path, send_day, result


def test_a_connection_lost_in_the_middle_of_data_is_retried(mail_catalog):
    """The server reads part of the message and the connection dies: the message is not marked
    sent, the reason is recorded, and the retry on a new connection delivers it once."""
    with ScriptedSMTPServer("drop-in-data") as server:
        path, _, result = one_subscriber_run(mail_catalog, "lost-data", "mia@example.org", server.url(), "--retry-window", "30")
        assert result.returncode == 0, result.stderr
        assert server.connections >= 2
        assert [r for r, _ in server.accepted] == ["mia@example.org"]
    status, attempts, error = outbox(path, "mia@example.org")[0]
    # One failed attempt counted, then sent (a sent message keeps no error).
    assert (status, attempts, error) == ("sent", 1, None)
    assert "1 sent, 1 to retry, 0 failed for good" in result.stdout, result.stdout


def test_a_lost_connection_without_a_retry_window_leaves_the_message_queued(mail_catalog):
    with ScriptedSMTPServer("drop-in-data", faulty=1000) as server:
        path, _, result = one_subscriber_run(mail_catalog, "lost-data-once", "nia@example.org", server.url())
        assert result.returncode == 0, result.stderr
        assert server.accepted == []
    status, attempts, error = outbox(path, "nia@example.org")[0]
    assert status == "pending" and attempts == 1 and error, (status, attempts, error)


def test_a_server_that_closes_after_421_is_reconnected_to(mail_catalog):
    with ScriptedSMTPServer("421-then-close") as server:
        path, _, result = one_subscriber_run(mail_catalog, "closing-421", "omar@example.org", server.url(), "--retry-window", "30")
        assert result.returncode == 0, result.stderr
        assert server.connections >= 2, "a new connection after the 421"
        assert [r for r, _ in server.accepted] == ["omar@example.org"]
    status, attempts, error = outbox(path, "omar@example.org")[0]
    assert (status, attempts, error) == ("sent", 1, None)
    assert "1 sent, 1 to retry, 0 failed for good" in result.stdout, result.stdout


def test_a_5xx_at_data_is_recorded_and_not_retried(mail_catalog):
    with SMTPServer() as smtp:
        smtp.handler.temporary_data.append("554 5.6.0 message content rejected")
        path, send_day, result = one_subscriber_run(mail_catalog, "data-5xx", "pia@example.org", smtp.url(), "--retry-window", "5")
        assert result.returncode == 0, result.stderr
        assert smtp.handler.per_recipient["pia@example.org"] == 0
        status, attempts, error = outbox(path, "pia@example.org")[0]
        assert status == "failed" and attempts == 1 and "554" in error, (status, attempts, error)
        again = run_digest(path, smtp.url(), "--date", send_day, "--retry-window", "5")
        assert again.returncode == 0, again.stderr
        assert outbox(path, "pia@example.org")[0][:2] == ("failed", 1)
        assert smtp.handler.per_recipient["pia@example.org"] == 0


def test_starttls_required_refuses_a_server_without_it(mail_catalog):
    with SMTPServer(mode="plain") as smtp:
        url = smtp.url(query="?starttls=required")
        path, _, result = one_subscriber_run(mail_catalog, "tls-required", "quinn@example.org", url)
        assert result.returncode == 0, result.stderr
        assert smtp.handler.count() == 0
    status, attempts, error = outbox(path, "quinn@example.org")[0]
    assert status == "pending" and attempts == 1 and "STARTTLS" in error, (status, attempts, error)


@pytest.mark.parametrize("starttls,under_tls", [("", True), ("&starttls=required", True), ("&starttls=never", False)])
def test_starttls_auto_required_and_never(mail_catalog, starttls, under_tls):
    """A server that offers STARTTLS (and does not insist on it): auto and required use it, never does not."""
    with SMTPServer(mode="starttls", require_starttls=False) as smtp:
        url = smtp.url(query=f"?ca_file={smtp.cert}{starttls}")
        path, _, result = one_subscriber_run(mail_catalog, f"tls-{starttls.strip('&=') or 'auto'}", "rae@example.org", url)
        assert result.returncode == 0, result.stderr
        assert smtp.handler.per_recipient["rae@example.org"] == 1, result.stdout + result.stderr
        assert smtp.handler.tls_used == [under_tls]


def test_no_password_in_plain_text_to_a_host_that_is_not_loopback(mail_catalog):
    """2130706433 is 127.0.0.1 written as one number: the connection stays on this machine, but
    the SMTP URL does not name a loopback host, so the password must not go without TLS."""
    with SMTPServer(mode="plain", auth=("mailer", "s3cret pass"), auth_require_tls=False) as smtp:
        url = smtp.url("mailer", "s3cret%20pass", host="2130706433")
        path, _, result = one_subscriber_run(mail_catalog, "plain-password", "sam@example.org", url)
        assert result.returncode == 0, result.stderr
        assert smtp.handler.auth_attempts == [], "the password was sent"
        assert smtp.handler.count() == 0
        assert "s3cret" not in result.stdout + result.stderr
    status, attempts, error = outbox(path, "sam@example.org")[0]
    assert status == "pending" and attempts == 1 and "refusing to send the SMTP password" in error, (status, attempts, error)
    # The same server named as loopback gets the password (the control).
    with SMTPServer(mode="plain", auth=("mailer", "s3cret pass"), auth_require_tls=False) as smtp:
        url = smtp.url("mailer", "s3cret%20pass")
        _, _, result = one_subscriber_run(mail_catalog, "plain-password-loopback", "sam@example.org", url)
        assert result.returncode == 0, result.stderr
        assert smtp.handler.per_recipient["sam@example.org"] == 1 and smtp.handler.auth_attempts[-1][1]


def test_two_digest_runs_at_once_on_one_database_send_each_message_once(mail_catalog):
    """Two processes on one SQLite file in WAL mode (as `serve` and a `digest --send`, or two
    nodes): both queue the same edition and deliver at the same time; every subscriber gets
    one message and neither run fails on the other's locks."""
    path = copy_database(mail_catalog, "two-senders")
    _, send_day = digest_day(path)
    recipients = [f"pair{i:02d}@example.org" for i in range(60)]
    subscribe_confirmed(path, recipients)
    with SMTPServer() as smtp:
        env = mail_env(smtp.url(), SMTP_CONNECTIONS="2")
        command = [str(BINARY), "digest", "--database", path, "--send", "--date", send_day, "--retry-window", "30"]
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
        outputs = [run.communicate(timeout=300) for run in runs]
        for run, (out, err) in zip(runs, outputs):
            assert run.returncode == 0, err
        assert {r: smtp.handler.per_recipient[r] for r in recipients} == {r: 1 for r in recipients}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall() == [("sent", 60)]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
