"""Self-tests of the harvest replay server (e2e/harvest_replay.py); no Swift binary needed."""
import http.client
import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from conftest import SHARED, needs_data
from harvest_replay import Replay

OAI = "{http://www.openarchives.org/OAI/2.0/}"
RAW_FOLDER = SHARED / "arxiv-api" / "oai" / "arXivRaw"


@pytest.fixture(scope="module")
def replay():
    server = Replay(SHARED if SHARED.exists() else None, page_size=2).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def clean(replay):
    replay.reset(requests=True, data=True)
    yield


def get(url, timeout=10):
    """(status, headers, body) without raising on HTTP errors."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def post(url, value):
    request = urllib.request.Request(url, data=json.dumps(value).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def oai(replay, **arguments):
    status, headers, body = get(replay.oai_url + "?" + urllib.parse.urlencode(arguments))
    assert status == 200 and headers["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(body)


def error_code(root):
    error = root.find(f"{OAI}error")
    return error.get("code") if error is not None else None


def harvest(replay, **arguments):
    """All records of a ListRecords harvest, following tokens; checks cursors and the last token."""
    records, root = [], oai(replay, verb="ListRecords", **arguments)
    while True:
        assert error_code(root) is None, ET.tostring(root)[:300]
        page = root.findall(f"{OAI}ListRecords/{OAI}record")
        token = root.find(f"{OAI}ListRecords/{OAI}resumptionToken")
        assert token is not None and int(token.get("cursor")) == len(records)
        records += page
        if not token.text:
            assert int(token.get("completeListSize")) == len(records)
            return records
        assert len(page) == replay.page_size
        root = oai(replay, verb="ListRecords", resumptionToken=token.text)


def header(record):
    h = record.find(f"{OAI}header")
    return h.findtext(f"{OAI}identifier"), h.findtext(f"{OAI}datestamp")


def recorded_raw():
    """Distinct (identifier, datestamp) of the recorded arXivRaw records, counted by regex."""
    found = {}
    for path in RAW_FOLDER.glob("*.xml"):
        for block in re.findall(r"<record>.*?</record>", path.read_text(), re.S):
            identifier = re.search(r"<identifier>([^<]+)</identifier>", block).group(1)
            found.setdefault(identifier, re.search(r"<datestamp>([^<]+)</datestamp>", block).group(1))
    return found


@needs_data
def test_pages_through_every_recorded_arxivraw_record(replay):
    expected = recorded_raw()
    records = harvest(replay, metadataPrefix="arXivRaw")
    headers = [header(r) for r in records]
    assert len(headers) == len(expected) == len(set(headers))
    assert dict(headers) == expected
    assert headers == sorted(headers, key=lambda h: (h[1], h[0]))


@needs_data
def test_from_until_filter_is_inclusive(replay):
    expected = {i for i, d in recorded_raw().items() if "2014-11-18" <= d <= "2014-11-21"}
    records = harvest(replay, metadataPrefix="arXivRaw", **{"from": "2014-11-18", "until": "2014-11-21"})
    assert {header(r)[0] for r in records} == expected and expected


def test_protocol_errors(replay):
    replay.add_record({"id": "2601.00001", "title": "A", "datestamp": "2026-01-05"})
    assert error_code(oai(replay, verb="ListRecords", metadataPrefix="arXivRaw", set="moo")) == "noRecordsMatch"
    assert error_code(oai(replay, verb="ListRecords", metadataPrefix="arXivRaw", until="1999-01-01")) == "noRecordsMatch"
    assert error_code(oai(replay, verb="Dance")) == "badVerb"
    assert error_code(oai(replay)) == "badVerb"
    assert error_code(oai(replay, verb="ListRecords", metadataPrefix="oai_dc")) == "cannotDisseminateFormat"
    assert error_code(oai(replay, verb="ListRecords", resumptionToken="3")) == "badResumptionToken"
    assert error_code(oai(replay, verb="ListRecords", resumptionToken="3", set="cs")) == "badArgument"
    assert error_code(oai(replay, verb="ListRecords")) == "badArgument"
    assert error_code(oai(replay, verb="ListRecords", metadataPrefix="arXivRaw", **{"from": "2026-1-5"})) == "badArgument"
    assert error_code(oai(replay, verb="ListRecords", metadataPrefix="arXivRaw", identifier="x")) == "badArgument"


def test_runtime_record_appears_escaped_and_in_its_set(replay):
    answer = post(replay.base_url + "/_control/record", {
        "id": "2601.99999", "title": "Cats & <dogs>", "abstract": "We \"study\" a < b.",
        "authors": "Ada Lovelace, Alan Turing", "categories": "cs.CL stat.ML", "datestamp": "2026-01-02",
        "version_dates": ["2025-12-30T10:11:12Z", "2026-01-02"]})
    assert answer["identifier"] == "oai:arXiv.org:2601.99999"
    records = harvest(replay, metadataPrefix="arXivRaw", set="stat", **{"from": "2026-01-02"})
    assert [header(r) for r in records] == [("oai:arXiv.org:2601.99999", "2026-01-02")]
    raw = records[0].find(f"{OAI}metadata/{{http://arxiv.org/OAI/arXivRaw/}}arXivRaw")
    assert raw.findtext("{http://arxiv.org/OAI/arXivRaw/}title") == "Cats & <dogs>"
    dates = [v.findtext("{http://arxiv.org/OAI/arXivRaw/}date") for v in raw.findall("{http://arxiv.org/OAI/arXivRaw/}version")]
    assert dates == ["Tue, 30 Dec 2025 10:11:12 GMT", "Fri, 2 Jan 2026 00:00:00 GMT"]
    arxiv = harvest(replay, metadataPrefix="arXiv", set="cs", **{"from": "2026-01-02"})
    assert arxiv[0].find(f".//{{http://arxiv.org/OAI/arXiv/}}keyname").text == "Lovelace"


def test_status_fault_once_then_normal(replay):
    replay.add_record({"id": "2601.00001", "title": "A", "datestamp": "2026-01-05"})
    post(replay.base_url + "/_control/fault", {"target": "oai", "kind": "status", "status": 503, "retry_after": 7})
    url = replay.oai_url + "?verb=ListRecords&metadataPrefix=arXivRaw&from=2026-01-05"
    status, headers, _ = get(url)
    assert status == 503 and headers["Retry-After"] == "7"
    status, _, body = get(url)
    assert status == 200 and b"2601.00001" in body
    assert [e["path"] for e in json.loads(get(replay.base_url + "/_control/requests")[2])] == [
        "/oai2?verb=ListRecords&metadataPrefix=arXivRaw&from=2026-01-05"] * 2


def test_drop_sends_half_the_body_then_closes(replay):
    replay.add_record({"id": "2601.00001", "title": "A", "datestamp": "2026-01-05"})
    replay.inject("oai", "drop")
    connection = http.client.HTTPConnection("127.0.0.1", int(replay.base_url.rsplit(":", 1)[1]), timeout=10)
    connection.request("GET", "/oai2?verb=ListRecords&metadataPrefix=arXivRaw")
    response = connection.getresponse()
    declared = int(response.headers["Content-Length"])
    with pytest.raises(http.client.IncompleteRead) as raised:
        response.read()
    assert len(raised.value.partial) == declared // 2
    connection.close()
    assert get(replay.oai_url + "?verb=ListRecords&metadataPrefix=arXivRaw")[0] == 200


def test_hang_does_not_block_other_requests(replay):
    replay.inject("hf", "hang", seconds=5)
    outcome = []

    def hung_request():
        try:
            get(replay.hf_url + "?date=2026-01-05", timeout=1)
            outcome.append("answered")
        except OSError as error:  # a timeout
            outcome.append(error)

    hung = threading.Thread(target=hung_request)
    hung.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert get(replay.hf_url + "?date=2026-01-05")[0] == 200
    assert time.monotonic() - started < 1
    hung.join()
    assert outcome and outcome[0] != "answered"


@needs_data
def test_hf_pages_concatenate_to_the_recorded_list(replay):
    day = max((p for p in (SHARED / "hf-daily").glob("*.json")), key=lambda p: p.stat().st_size)
    items = json.loads(day.read_text())
    assert isinstance(items, list) and len(items) > 7
    pages, p = [], 0
    while True:
        status, headers, body = get(f"{replay.hf_url}?date={day.stem}&p={p}&limit=7")
        assert status == 200 and headers["Content-Type"] == "application/json"
        page = json.loads(body)
        if not page:
            break
        pages += page
        p += 1
    assert pages == items and p == -(-len(items) // 7)
    damaged = SHARED / "hf-daily" / "2025-01-10.json"
    status, _, body = get(f"{replay.hf_url}?date=2025-01-10&limit=1")
    assert status == 200 and body == damaged.read_bytes()


def test_hf_errors_missing_days_and_runtime_lists(replay):
    assert get(replay.hf_url + "?date=1999-01-01")[2] == b"[]"
    status, _, body = get(replay.hf_url + "?date=yesterday")
    assert status == 400 and "error" in json.loads(body)
    assert get(replay.hf_url)[0] == 400
    post(replay.base_url + "/_control/hf", {"date": "1999-01-01", "items": [{"paper": {"id": str(i)}} for i in range(5)]})
    assert json.loads(get(replay.hf_url + "?date=1999-01-01&p=1&limit=2")[2]) == [{"paper": {"id": "2"}}, {"paper": {"id": "3"}}]


def test_script_prints_its_address_and_stops_on_sigterm():
    script = sys.modules[Replay.__module__].__file__
    process = subprocess.Popen([sys.executable, script, "--data", "/nonexistent"], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert re.fullmatch(r"listening on http://127\.0\.0\.1:\d+\n", line)
        assert get(line.split()[-1] + "/oai2?verb=Identify")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
