"""Configuration and the command line, end to end, on empty databases (no ../shared/data): flags,
then environment, then defaults for serve and digest, checked before anything is opened;
the Secure cookie under an https base URL and the 30-day session, session and API tokens
stored as SHA-256 hashes, SECRET_KEY from the environment, `user create`, `user list` and
`user set-admin`, and scripts/run.sh's import on the first start."""
import base64
import contextlib
import hashlib
import hmac
import http.client
import os
import pathlib
import re
import shutil
import signal
import sqlite3
import subprocess
import urllib.parse

import pytest

from conftest import BINARY, ROOT, bound_port, run, serve, server_log, wait_until_ready

SECRET = "an end-to-end secret key of more than 32 characters"


@pytest.fixture
def empty_database(tmp_path):
    path = str(tmp_path / "empty.sqlite")
    run("migrate", "--database", path).check_returncode()
    return path


class RawClient:
    """Plain HTTP with the cookies handled by hand: a cookie jar would keep `Secure` cookies
    away from an http:// test server, and the test wants to read every attribute anyway."""

    def __init__(self, base):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies = {}
        self.set_cookie = {}  # name -> the whole Set-Cookie line last seen
        self.csrf = ""

    def request(self, method, path, fields=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode({**fields, "csrf": self.csrf})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for line in response.headers.get_all("Set-Cookie") or []:
            name, value = line.split(";", 1)[0].split("=", 1)
            self.set_cookie[name] = line
            if value and "Max-Age=0" not in line:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        found = re.search(r'name="csrf" value="([^"]+)"', text)
        if found:
            self.csrf = found.group(1)
        connection.close()
        return response.status, text, response.headers


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_https_base_url_secure_cookies_sessions_tokens_and_secret_key(empty_database, arxiv_replay):
    with contextlib.contextmanager(serve)(empty_database, 0, arxiv_replay, base_url="https://papers.example.org",
                                          env={"SECRET_KEY": SECRET}) as base:
        client = RawClient(base)
        status, _, _ = client.request("GET", "/signup")
        assert status == 200
        csrf_cookie = client.set_cookie["dp_csrf"]
        assert "; Secure" in csrf_cookie and "HttpOnly" in csrf_cookie
        # The form's token is HMAC-SHA256 of the visitor's cookie with SECRET_KEY, not with the
        # random secret the database would otherwise make.
        expected = b64url(hmac.new(SECRET.encode(), f"csrf:anonymous:{client.cookies['dp_csrf']}".encode(), hashlib.sha256).digest())
        assert client.csrf == expected
        # With SECRET_KEY set, no random site secret is made at all.
        with sqlite3.connect(empty_database) as db:
            assert db.execute("SELECT key FROM settings WHERE key = 'site_secret'").fetchall() == []

        status, _, _ = client.request("POST", "/signup", {"username": "secure", "email": "secure@example.org",
                                                          "password": "correct horse battery"})
        assert status == 303
        session_cookie = client.set_cookie["dp_session"]
        for attribute in ("; Secure", "HttpOnly", "SameSite=Lax", f"Max-Age={30 * 86400}"):
            assert attribute in session_cookie, (attribute, session_cookie)
        token = client.cookies["dp_session"]

        assert client.request("GET", "/settings")[0] == 200
        status, page, _ = client.request("POST", "/settings/tokens", {"name": "script"})
        assert status == 200
        api_token = re.search(r'<p class="token">([^<]+)</p>', page).group(1)
        assert api_token.startswith("dp_")

    with sqlite3.connect(empty_database) as db:
        sessions = db.execute("SELECT token_hash, created_at, expires_at FROM sessions").fetchall()
        tokens = db.execute("SELECT token_hash FROM api_tokens").fetchall()
        dump = "\n".join(db.iterdump())
    assert [row[0] for row in sessions] == [hashlib.sha256(token.encode()).hexdigest()]
    assert abs((sessions[0][2] - sessions[0][1]) - 30 * 86400) < 1, "a session lasts 30 days"
    assert tokens == [(hashlib.sha256(api_token.encode()).hexdigest(),)]
    assert token not in dump and api_token not in dump, "the database keeps hashes only"


def test_http_base_url_cookies_are_not_secure(empty_database, arxiv_replay):
    with contextlib.contextmanager(serve)(empty_database, 0, arxiv_replay) as base:
        client = RawClient(base)
        assert client.request("GET", "/signup")[0] == 200
        assert "Secure" not in client.set_cookie["dp_csrf"] and "HttpOnly" in client.set_cookie["dp_csrf"]


def test_a_short_secret_key_is_refused(empty_database):
    result = subprocess.run([str(BINARY), "serve", "--database", empty_database, "--port", "1"],
                            capture_output=True, text=True, timeout=60, env={**os.environ, "SECRET_KEY": "too short"})
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 32 characters long" in result.stderr


def configure(*args, **env):
    """Runs a command with only these environment variables added; its exit status and standard error."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "SMTP_CONNECTIONS", "DIGEST_HOUR", "LOG_LEVEL")}
    result = subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=120, env={**clean, **env})
    return result.returncode, result.stderr


def test_configuration_is_flags_then_environment_then_defaults(empty_database, tmp_path):
    """serve and digest read one configuration: a flag wins over the environment, which wins over
    the default, and a bad value stops the process with a message naming it before anything is
    opened (the database named here does not exist and is never created)."""
    missing = str(tmp_path / "never" / "created.sqlite")
    status, err = configure("serve", "--database", missing, PORT="not-a-port")
    assert status != 0 and 'port "not-a-port" is not a TCP port (0-65535)' in err
    status, err = configure("serve", "--database", missing, "--port", "70000", PORT="8080")
    assert status != 0 and 'port "70000" is not a TCP port (0-65535)' in err, "the flag is read, not the environment"
    status, err = configure("digest", "--dry-run", "--database", missing, SMTP_CONNECTIONS="0")
    assert status != 0 and '--smtp-connections "0" is not a number from 1 to 32' in err
    status, err = configure("digest", "--dry-run", "--database", missing, "--smtp-connections", "40")
    assert status != 0 and '--smtp-connections "40" is not a number from 1 to 32' in err
    status, err = configure("serve", "--database", missing, KEYWORD_SEARCH="elastic")
    assert status != 0 and 'KEYWORD_SEARCH "elastic" is not one of memory, database' in err
    status, err = configure("serve", "--database", missing, "--keyword-search", "elastic")
    assert status != 0 and "--keyword-search" in err and "elastic" in err
    assert not pathlib.Path(missing).parent.exists(), "nothing is opened before the configuration is checked"
    # Flags win over bad environment values; the defaults fill in the rest.
    status, err = configure("digest", "--dry-run", "--database", empty_database, "--smtp-connections", "3", SMTP_CONNECTIONS="0",
                            DIGEST_HOUR="99")
    assert status != 0 and '--digest-hour "99" is not an hour from 0 to 23' in err
    status, err = configure("digest", "--dry-run", "--database", empty_database, "--smtp-connections", "3", "--digest-hour", "7",
                            SMTP_CONNECTIONS="0", DIGEST_HOUR="99")
    assert status == 0, err


def test_user_create_list_and_set_admin(empty_database):
    created = subprocess.run([str(BINARY), "user", "create", "--database", empty_database, "--username", "ada",
                              "--email", "ada@example.org"], input="analytical engine\n", capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    assert "created member ada" in created.stdout

    def listed():
        result = run("user", "list", "--database", empty_database)
        assert result.returncode == 0, result.stderr
        return [line.split("\t") for line in result.stdout.splitlines()]

    def is_admin():
        with sqlite3.connect(empty_database) as db:
            return db.execute("SELECT is_admin FROM members WHERE username = 'ada'").fetchone()[0]

    rows = listed()
    assert len(rows) == 1 and rows[0][1:4] == ["ada", "ada@example.org", "member"]
    assert is_admin() == 0
    granted = run("user", "set-admin", "--database", empty_database, "ada")
    assert granted.returncode == 0 and "ada is now an admin" in granted.stdout, granted.stderr
    assert listed()[0][3] == "admin" and is_admin() == 1
    revoked = run("user", "set-admin", "--database", empty_database, "--revoke", "ada")
    assert revoked.returncode == 0 and "ada is no longer an admin" in revoked.stdout, revoked.stderr
    assert listed()[0][3] == "member" and is_admin() == 0
    unknown = run("user", "set-admin", "--database", empty_database, "nobody")
    assert unknown.returncode != 0 and "there is no member named nobody" in unknown.stderr


def test_run_sh_imports_on_the_first_start_only(tmp_path):
    """scripts/run.sh as it is, in a copy of the repository layout whose setup step is a stub
    (the release build is not what this checks) and whose release binary is the debug one."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "run.sh", repo / "scripts" / "run.sh")
    (repo / "scripts" / "setup.sh").write_text("#!/bin/sh\nexit 0\n")
    (repo / "scripts" / "setup.sh").chmod(0o755)
    (repo / ".build" / "release").mkdir(parents=True)
    (repo / ".build" / "release" / "dailypapers").symlink_to(BINARY)
    data = tmp_path / "shared" / "data"
    (data / "hf-daily").mkdir(parents=True)
    (data / "arxiv-cs").mkdir()
    (data / "hf-daily" / "2025-12-01.json").write_text(
        '[{"paper": {"id": "2512.00001", "title": "A featured paper", "summary": "Featured.", "authors": [{"name": "A. B."}],'
        ' "publishedAt": "2025-11-30T00:00:00.000Z", "upvotes": 3}}]')
    (data / "arxiv-cs" / "papers.jsonl").write_text(
        '{"id": "2511.00002", "title": "A snapshot paper", "abstract": "From the snapshot.", "authors": "C. D.",'
        ' "categories": "cs.LG", "versions": [{"version": "v1", "created": "Mon, 3 Nov 2025 10:00:00 GMT"}],'
        ' "update_date": "2025-11-03", "authors_parsed": []}\n')

    def start(extra_env=None):
        log = server_log()
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_PATH", "DAILYPAPERS_IMPORT")}
        process = subprocess.Popen([str(repo / "scripts" / "run.sh"), "--port", "0", "--no-background-embedding"],
                                   stdout=log, stderr=subprocess.STDOUT, text=True,
                                   env={**env, "LOG_LEVEL": "info", **(extra_env or {})})
        try:
            wait_until_ready(f"http://127.0.0.1:{bound_port(process, log)}", process, log)
        finally:
            process.send_signal(signal.SIGTERM)  # run.sh execs serve: this is the server
            assert process.wait(timeout=30) == 0
        log.seek(0)
        return log.read()

    database = repo / "data" / "dailypapers.sqlite"
    first = start()
    assert "first start: importing ../shared/data" in first
    with sqlite3.connect(database) as db:
        assert sorted(row[0] for row in db.execute("SELECT id FROM papers")) == ["2511.00002", "2512.00001"]
        assert db.execute("SELECT paper_id, day FROM featured").fetchall() == [("2512.00001", "2025-12-01")]
    second = start()
    assert "first start" not in second
    # DAILYPAPERS_IMPORT=0 skips the import even on a first start.
    database.unlink()
    for suffix in ("-wal", "-shm"):
        pathlib.Path(str(database) + suffix).unlink(missing_ok=True)
    skipped = start({"DAILYPAPERS_IMPORT": "0"})
    assert "first start" not in skipped
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 0
