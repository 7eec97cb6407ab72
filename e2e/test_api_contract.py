"""The API document says what the server does: schemathesis (PyPI) generates requests from
/api/openapi.json, valid and invalid, and runs every check it has against the answers (status
codes and content types documented, bodies matching their schemas, valid requests accepted,
invalid ones rejected, 405 with Allow for methods a path does not list, 401 without a token).

The seed and the number of examples are fixed, so a run is the same every time. The server
has the embedding model and every paper embedded, as a production server has once it has
caught up: /similar then answers 200 or 404 (its 503 before embedding is a unit test). Its
arXiv knows every id (a stub that describes whatever paper it is asked for), so a submission
the document calls valid is featured (201) or already was (409)."""
import http.server
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from xml.sax.saxutils import escape

import pytest

from conftest import SHARED, AtomHandler, Member, run, serve

SEED = 20261202
EXAMPLES = 30


class ArxivForAnyID(AtomHandler):
    """arXiv's API answering `id_list=...` with an entry for each id asked for."""

    def do_GET(self):
        ids = [i for i in urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("id_list", [""])[0].split(",") if i]
        entries = "".join(f"""
  <entry>
    <id>http://arxiv.org/abs/{escape(i)}v1</id>
    <title>A paper numbered {escape(i)}</title>
    <updated>2025-06-01T00:00:00Z</updated>
    <summary>Described by the contract test's arXiv.</summary>
    <published>2025-06-01T00:00:00Z</published>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <arxiv:primary_category term="cs.LG"/>
    <author><name>Ada Lovelace</name></author>
  </entry>""" for i in ids)
        body = f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/contract</id>
  <title>arXiv Query</title>
  <updated>2025-06-01T00:00:00Z</updated>
  <opensearch:itemsPerPage>100</opensearch:itemsPerPage>
  <opensearch:totalResults>{len(ids)}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>{entries}
</feed>"""
        self.send_atom(200, body)


@pytest.fixture(scope="module")
def arxiv_for_any_id():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ArxivForAnyID)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/query"
    server.shutdown()


@pytest.fixture(scope="module")
def contract_server(arxiv_for_any_id):
    folder = tempfile.mkdtemp(prefix="dailypapers-contract-")
    database = os.path.join(folder, "papers.sqlite")
    days = sorted((SHARED / "hf-daily").glob("2025-06-0*.json")) if (SHARED / "SOURCES.md").exists() else []
    if days:
        imported = run("import", "--database", database, *map(str, days[:3]))
        assert imported.returncode == 0, imported.stderr
        embedded = run("embed", "--database", database)
        assert embedded.returncode == 0, embedded.stderr
    else:  # without the shared data the catalog is empty: every paper is a 404, which the document says too
        run("migrate", "--database", database).check_returncode()
    try:
        yield from serve(database, 0, arxiv_for_any_id)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def api_token(base):
    """A member's API token, made on the settings page: the members' endpoints are tested
    signed in (schemathesis also sends them without it, and wants a 401)."""
    member = Member(base).sign_up("schemathesis")
    member.get("/settings")
    status, text, _ = member.post("/settings/tokens", {"name": "contract"})
    assert status == 200, text[:500]
    return re.search(r'<p class="token">([^<]+)</p>', text).group(1)


def test_schemathesis_finds_nothing_the_api_document_does_not_say(contract_server, tmp_path):
    schemathesis = pathlib.Path(sys.executable).parent / "schemathesis"
    result = subprocess.run(
        [str(schemathesis), "run", f"{contract_server}/api/openapi.json", "--checks", "all",
         "--header", f"Authorization: Bearer {api_token(contract_server)}",
         "--seed", str(SEED), "--max-examples", str(EXAMPLES), "--workers", "1",
         "--phases", "examples,coverage,fuzzing", "--generation-database", "none",
         "--request-timeout", "30", "--no-color", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    # Every documented operation was tested, in both phases, and nothing was left out by a filter or an error.
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    assert selected and tested and selected.group(1) == selected.group(2) == tested.group(1), output[-5000:]
    assert int(tested.group(1)) >= 14, output[-5000:]
    assert "✅ Coverage" in output and "✅ Fuzzing" in output, output[-5000:]
