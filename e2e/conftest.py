"""End-to-end fixtures: a real `dailypapers serve` on loopback over a database filled
from ../shared/data by the real `dailypapers import`."""
import fcntl
import http.cookiejar
import http.server
import re
import json
import os
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from waiting import wait_for  # noqa: F401  (re-exported for the test modules)

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = pathlib.Path(os.environ.get("DAILYPAPERS_SHARED_DATA", ROOT.parent / "shared" / "data"))
BINARY = pathlib.Path(os.environ.get("DAILYPAPERS_BINARY", ROOT / ".build" / "debug" / "dailypapers"))


# The public base URL of the shared server: feeds' absolute links are on it.
PUBLIC_BASE = "http://papers.example.org"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.pop("HF_HUB_OFFLINE", None)

needs_data = pytest.mark.skipif(not (SHARED / "SOURCES.md").exists(),
                                reason=f"skipped: the shared test data is not at {SHARED}")


def run(*args, **kwargs):
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=600, **kwargs)


def wait_until_ready(url: str, process: subprocess.Popen, log, timeout: float = 60) -> None:
    """Polls the health endpoint until it answers (a readiness check, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited with {process.returncode}: {log.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not become ready")


@pytest.fixture(scope="session")
def database():
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: run `swift build` first (scripts/test.sh does)")
    folder = tempfile.mkdtemp(prefix="dailypapers-e2e-")
    path = os.path.join(folder, "papers.sqlite")
    if (SHARED / "SOURCES.md").exists():
        result = run("import", "--database", path, str(SHARED / "hf-daily"))
        assert result.returncode == 1, result.stderr  # the 22 damaged files are rejected
    else:
        run("migrate", "--database", path).check_returncode()
    yield path
    # The catalog and the copies tests make beside it (about 250 MB in all).
    shutil.rmtree(folder, ignore_errors=True)


class AtomHandler(http.server.BaseHTTPRequestHandler):
    """A stand-in for arXiv's API: answers with an Atom body, and keeps quiet."""

    def send_atom(self, status: int, body: str):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class ArxivReplay(AtomHandler):
    """Answers the recorded arXiv API requests in ../shared/data/arxiv-api/atom with their
    recorded status and body, matched on the query string; anything else is a 404."""
    answers = {}

    @classmethod
    def load(cls):
        folder = SHARED / "arxiv-api" / "atom"
        for path in folder.glob("*.json") if folder.exists() else []:
            recording = json.loads(path.read_text())
            cls.answers[urllib.parse.urlsplit(recording["url"]).query] = (recording["status_code"], recording["body"])

    def do_GET(self):
        self.send_atom(*self.answers.get(urllib.parse.urlsplit(self.path).query, (404, f"no recording for {self.path}")))


@pytest.fixture(scope="session")
def arxiv_replay():
    ArxivReplay.load()
    replay = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ArxivReplay)
    thread = threading.Thread(target=replay.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{replay.server_address[1]}/api/query"
    replay.shutdown()


# The clock every end-to-end server runs on (DAILYPAPERS_NOW): a Saturday, so "today" (the
# day submissions are featured on) is the same whenever the tests run, and no daily or weekly
# digest is due while they do.
SERVER_NOW = "2026-04-04T12:00:00Z"
SERVER_TODAY = "2026-04-04"


def server_log():
    """A temporary file for a child's output, opened for appending: the child's writes go to
    the end whatever the reader's position. (Without O_APPEND the two share one file offset,
    and a reader's seek(0) while the child writes makes it overwrite its first lines.)"""
    log = tempfile.TemporaryFile(mode="w+")
    fcntl.fcntl(log.fileno(), fcntl.F_SETFL, fcntl.fcntl(log.fileno(), fcntl.F_GETFL) | os.O_APPEND)
    return log


def bound_port(process: subprocess.Popen, log, timeout: float = 60) -> int:
    """The port a server started with `--port 0` bound, from its log line
    "Server started and listening on 127.0.0.1:PORT" (an event wait with a deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log.seek(0)
        text = log.read()
        found = re.search(r"listening on [0-9.]+:([0-9]+)", text)
        if found:
            return int(found.group(1))
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {text[-2000:]}")
        time.sleep(0.02)
    raise RuntimeError("the server never said which port it listens on")


def serve(database, port, arxiv_url, *args, env=None, base_url=None, output=None):
    """Starts `dailypapers serve` on `port` (with more `args` and `env`, and links on
    `base_url`), waits until it answers, and yields its base URL; afterwards stops it with
    SIGTERM and checks it exits 0. A list given as `output` receives the server's whole log.

    Port 0 binds a port of the kernel's choosing, read back from the server's log: nothing
    picks a free port and binds it later. (Without `base_url`, such a server's absolute links
    then name port 0: use it where no test follows them.)"""
    links = ["--base-url", base_url or f"http://127.0.0.1:{port}"] if base_url or port else []
    # The log goes to a file: a pipe nobody reads would fill and stall the server.
    log = server_log()
    process = subprocess.Popen(
        [str(BINARY), "serve", "--database", database, "--port", str(port), *links,
         *([] if "--background-embedding" in args else ["--no-background-embedding"]), "--arxiv-url", arxiv_url,
         # Tests never reach an outside address: harvesting is off unless a test turns it on
         # (pointed at the loopback replay server).
         *([] if "--harvest" in args else ["--no-harvest"]), *args],
        stdout=log, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "DAILYPAPERS_NOW": SERVER_NOW, "LOG_LEVEL": "info", **(env or {})})
    try:
        base = f"http://127.0.0.1:{port or bound_port(process, log)}"
        wait_until_ready(base, process, log)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError("the server did not stop within 30 s of SIGTERM")
        log.seek(0)
        text = log.read()
        log.close()
        if output is not None:
            output.append(text)
        assert code == 0, f"the server exited with {code} after SIGTERM: {text[-2000:]}"


@pytest.fixture(scope="session")
def server(database, arxiv_replay):
    yield from serve(database, 0, arxiv_replay, base_url=PUBLIC_BASE)


@pytest.fixture(scope="session")
def community_database(database):
    """A copy of the catalog for the tests that vote, comment and submit, so the read-only
    tests see the imported data unchanged whatever order tests run in."""
    path = database.replace(".sqlite", "-community.sqlite")
    with sqlite3.connect(database) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return path


@pytest.fixture(scope="session")
def community_server(community_database, arxiv_replay):
    yield from serve(community_database, 0, arxiv_replay)


class Member:
    """A visitor with a cookie jar who loads forms before posting them, as a browser does."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def request(self, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as response:
                status, text, url = response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as error:
            status, text, url = error.code, error.read().decode(), error.url
        found = re.search(r'name="csrf" value="([^"]+)"', text)
        if found:
            self.csrf = found.group(1)
        return status, text, url

    def get(self, path):
        return self.request(path)

    def post(self, path, fields=None, csrf=True):
        data = dict(fields or {})
        if csrf:
            data["csrf"] = self.csrf
        return self.request(path, data)

    def sign_up(self, username, password="correct horse battery"):
        self.get("/signup")
        status, text, url = self.post("/signup", {"username": username, "email": f"{username}@example.org", "password": password})
        assert status == 200 and username in text, text[:500]
        return self
