#!/usr/bin/env python3
"""Two writers on one SQLite file: votes through the API while another process imports.

    bench/writers.py [--duration 20] [--connections 32]

Builds a catalog from ../shared/data/arxiv-cs (54,002 papers), starts `dailypapers serve` on it
(port 0, read back from its log), signs a member up and makes an API token, then runs wrk with
32 connections voting through `POST /api/papers/{id}/vote`:
  1. alone, for the same duration (the peer: votes with no other writer), and
  2. while `dailypapers import ../shared/data/hf-daily` runs against the same database file.
Prints the requests, failures (non-2xx and socket errors), p50 and p99 of both runs, the
import's summary and rejections, and whether "database is locked" appears in either log.
Needs wrk (Debian) and a release build (`swift build -c release --product dailypapers`)."""
import argparse
import http.cookiejar
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = pathlib.Path(os.environ.get("DAILYPAPERS_SHARED_DATA", ROOT.parent / "shared" / "data"))
BINARY = pathlib.Path(os.environ.get("DAILYPAPERS_BINARY", ROOT / ".build" / "release" / "dailypapers"))
sys.path.insert(0, str(ROOT / "e2e"))
from waiting import wait_for  # noqa: E402  (the tests' polling helper)

LUA = """
local ids = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/papers/" .. ids[(n %% #ids) + 1] .. "/vote",
                    {["Authorization"] = "Bearer %s", ["Content-Length"] = "0"}, "")
end
"""


def wrk(base, script, connections, duration):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, base],
                         capture_output=True, text=True, check=True).stdout
    def pick(pattern):
        found = re.search(pattern, out)
        return found.group(1) if found else "0"
    return {"requests": int(pick(r"(\d+) requests in")), "rps": pick(r"Requests/sec:\s+([\d.]+)"),
            "p50": pick(r"\s50%\s+(\S+)"), "p99": pick(r"\s99%\s+(\S+)"),
            "non2xx": int(pick(r"Non-2xx or 3xx responses: (\d+)")),
            "socket_errors": sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not (SHARED / "SOURCES.md").exists():
        sys.exit(f"bench: the shared data is not at {SHARED}")
    if not BINARY.exists() or not shutil.which("wrk"):
        sys.exit("bench: needs wrk and a release build (swift build -c release --product dailypapers)")
    exit_code = 0
    folder = tempfile.mkdtemp(prefix="dailypapers-writers-")
    db = os.path.join(folder, "db.sqlite")
    subprocess.run([BINARY, "import", "--quiet", "--database", db, SHARED / "arxiv-cs"], check=True, capture_output=True)
    subprocess.run([BINARY, "user", "create", "--database", db, "--username", "bench", "--email", "bench@example.org"],
                   input="correct horse battery\n", text=True, check=True, capture_output=True)
    log_path = os.path.join(folder, "serve.log")
    log = open(log_path, "w")
    server = subprocess.Popen([BINARY, "serve", "--database", db, "--port", "0", "--no-harvest", "--no-background-embedding",
                               "--log-level", "info"], stdout=log, stderr=subprocess.STDOUT)
    try:
        port = wait_for(lambda: (m := re.search(r"listening on [0-9.]+:(\d+)", open(log_path).read())) and m.group(1), "the server")
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: urllib.request.urlopen(base + "/healthz").status == 200, "the health check")
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        def post(path, fields, page):
            csrf = re.search(r'name="csrf" value="([^"]+)"', opener.open(base + page).read().decode()).group(1)
            return opener.open(base + path, urllib.parse.urlencode({**fields, "csrf": csrf}).encode()).read().decode()
        post("/signin", {"login": "bench", "password": "correct horse battery"}, "/signin")
        token = re.search(r'<p class="token">([^<]+)</p>', post("/settings/tokens", {"name": "bench"}, "/settings")).group(1)
        import sqlite3
        with sqlite3.connect(db) as con:
            ids = [row[0] for row in con.execute("SELECT id FROM papers ORDER BY random() LIMIT 500")]
        script = os.path.join(folder, "vote.lua")
        pathlib.Path(script).write_text(LUA % (", ".join(f'"{i}"' for i in ids), token))

        alone = wrk(base, script, args.connections, args.duration)
        started = time.monotonic()
        importer = subprocess.Popen([BINARY, "import", "--quiet", "--database", db, SHARED / "hf-daily"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        during = wrk(base, script, args.connections, args.duration)
        out, err = importer.communicate()
        import_seconds = time.monotonic() - started
        rejected = [l for l in err.splitlines() if l.startswith("rejected:")]
        locked = "database is locked" in err or "database is locked" in open(log_path).read()
        print(f"votes alone:        {alone}")
        print(f"votes during import: {during}")
        print(f"import: exit {importer.returncode}, {len(rejected)} files rejected, {out.strip()} (wall {import_seconds:.1f} s, wrk ran {args.duration} s)")
        print(f"'database is locked' in a log: {locked}")
        failures = []
        if locked:
            failures.append("'database is locked' in a log")
        for name, run in (("alone", alone), ("during the import", during)):
            if run["non2xx"] or run["socket_errors"]:
                failures.append(f"votes {name}: {run['non2xx']} non-2xx answers, {run['socket_errors']} socket errors")
        if len(rejected) != 22:
            failures.append(f"the import rejected {len(rejected)} files, not the 22 damaged ones")
        if failures:
            print("FAILED: " + "; ".join(failures))
            exit_code = 1
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
