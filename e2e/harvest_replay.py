#!/usr/bin/env python3
"""A local replay server for the arXiv OAI-PMH and Hugging Face daily-papers harvesters.

Serves, on 127.0.0.1 only:

* ``/oai2`` -- an OAI-PMH 2.0 repository shaped like https://export.arxiv.org/oai2, built
  from the recorded responses in ``<data>/arxiv-api/oai/{arXivRaw,arXiv}/*.xml`` (each
  ``<record>`` kept as recorded) plus, optionally, records synthesized from the metadata
  snapshot ``<data>/arxiv-cs/*.jsonl.gz``. Verbs: ListRecords, ListIdentifiers, GetRecord,
  Identify, ListMetadataFormats, ListSets; paging with opaque resumption tokens; the real
  OAI error codes with HTTP 200.
* ``/api/daily_papers?date=YYYY-MM-DD&p=P&limit=L`` -- the recorded Hugging Face lists in
  ``<data>/hf-daily/DATE.json``, paged; damaged files are served as recorded, unsliced.
* ``/_control/...`` -- fault injection and runtime data for tests (see ``Replay``).

Pure Python 3.11 standard library. Use it as a library::

    from harvest_replay import Replay
    replay = Replay("/work/shared/data", page_size=2)
    replay.start()               # binds 127.0.0.1:0 once; replay.base_url
    replay.inject("oai", "status", status=503, retry_after=2)
    ...
    replay.stop()

or as a script::

    python3 e2e/harvest_replay.py [--data DIR] [--port N] [--snapshot-records N] [--page-size N]

which prints exactly one line ``listening on http://127.0.0.1:PORT`` and serves until
SIGTERM or SIGINT.
"""
from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import gzip
import http.server
import itertools
import json
import os
import pathlib
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

# --------------------------------------------------------------------------- constants

OAI_PATH = "/oai2"
HF_PATH = "/api/daily_papers"
CONTROL_PREFIX = "/_control/"
PREFIXES = ("arXiv", "arXivRaw")
ARXIV_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ARXIV_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# arXiv archives whose OAI set is "physics:<archive>".
PHYSICS_ARCHIVES = {"astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph",
                    "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph"}
OTHER_ARCHIVES = {"cs", "econ", "eess", "math", "q-bio", "q-fin", "stat"}
# A category token such as cs.CL, hep-th or math.MP (the snapshot's categories field also
# carries ACM/MSC classes such as "I.2.7" or "68T50," which are not arXiv sets).
CATEGORY_RE = re.compile(r"^([a-z-]+)(\.[A-Za-z-]+)?$")

OAI_ROOT_OPEN = (
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
    'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">')
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
ARXIV_RAW_OPEN = (
    '<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/ http://arxiv.org/OAI/arXivRaw.xsd">')
ARXIV_OPEN = (
    '<arXiv xmlns="http://arxiv.org/OAI/arXiv/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">')

RECORD_RE = re.compile(r"<record>.*?</record>", re.S)
HEADER_RE = re.compile(r"<header[^>]*>(.*?)</header>", re.S)
IDENTIFIER_RE = re.compile(r"<identifier>\s*([^<]*?)\s*</identifier>")
DATESTAMP_RE = re.compile(r"<datestamp>\s*([^<]*?)\s*</datestamp>")
SETSPEC_RE = re.compile(r"<setSpec>\s*([^<]*?)\s*</setSpec>")
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Characters XML 1.0 does not allow, even escaped.
XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

FAULT_KINDS = {"status", "hang", "drop", "truncate", "malformed", "stale_token", "entities",
               "external_entity", "huge", "oai_error"}
# The recorded OAI-PMH error responses an ``oai_error`` fault can answer with (option ``code``).
RECORDED_OAI_ERRORS = {"badArgument": "ErrorResponseBadArgument.xml", "badVerb": "ErrorResponseBadVerb.xml",
                       "idDoesNotExist": "ErrorResponseIdDoesNotExist.xml",
                       "badResumptionToken": "ErrorResponseBadResumptionToken.xml",
                       "noRecordsMatch": "ErrorResponseNoRecordsMatch.xml"}
FAULT_TARGETS = {"oai", "hf", "any"}
MALFORMED_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH><ListRecords><record>'
                  b'</OAI-PMH>{"unterminated": [1, 2, <<<\n')


def default_data_dir() -> pathlib.Path:
    """The shared data folder, found as e2e/conftest.py finds it."""
    root = pathlib.Path(__file__).resolve().parent.parent
    return pathlib.Path(os.environ.get("DAILYPAPERS_SHARED_DATA", root.parent / "shared" / "data"))


# --------------------------------------------------------------------------- records

@dataclass(eq=False)
class Record:
    """One OAI record: its header fields and its full ``<record>...</record>`` XML text,
    given as recorded or built on first use by ``build`` (synthesized records)."""
    identifier: str
    datestamp: str
    sets: tuple[str, ...]
    recorded_xml: str | None = None
    build: object = None

    @property
    def xml(self) -> str:
        if self.recorded_xml is None:
            self.recorded_xml = self.build()
        return self.recorded_xml

    def header_xml(self) -> str:
        """The record's ``<header>`` element as served by ListIdentifiers."""
        found = HEADER_RE.search(self.xml)
        return f"<header>{found.group(1)}</header>" if found else ""

    def in_set(self, spec: str) -> bool:
        """True when one of the record's setSpecs is ``spec`` or lies below it."""
        return any(s == spec or s.startswith(spec + ":") for s in self.sets)


def parse_record(xml: str) -> Record | None:
    """Reads identifier, datestamp and setSpecs from a recorded ``<record>`` element."""
    header = HEADER_RE.search(xml)
    if not header:
        return None
    identifier = IDENTIFIER_RE.search(header.group(1))
    datestamp = DATESTAMP_RE.search(header.group(1))
    if not identifier or not datestamp:
        return None
    return Record(identifier.group(1), datestamp.group(1), tuple(SETSPEC_RE.findall(header.group(1))), xml)


def load_recorded(folder: pathlib.Path) -> dict[str, Record]:
    """Every distinct record (first one wins per identifier) in the XML files of ``folder``;
    files without records (the recorded OAI errors) contribute nothing."""
    records: dict[str, Record] = {}
    for path in sorted(folder.glob("*.xml")) if folder.is_dir() else []:
        for match in RECORD_RE.finditer(path.read_text(encoding="utf-8")):
            record = parse_record(match.group(0))
            if record and record.identifier not in records:
                records[record.identifier] = record
    return records


def text(value) -> str:
    """XML-escaped element text with the characters XML forbids removed."""
    return escape(XML_INVALID_RE.sub("", str(value)))


def rfc1123(moment: dt.datetime) -> str:
    """arXiv's version date format, e.g. ``Tue, 3 Apr 2007 22:04:11 GMT`` (day not padded)."""
    m = moment.astimezone(dt.timezone.utc) if moment.tzinfo else moment
    return (f"{ARXIV_DAY_NAMES[m.weekday()]}, {m.day} {ARXIV_MONTH_NAMES[m.month - 1]} {m.year} "
            f"{m:%H:%M:%S} GMT")


def version_date(value: str) -> str:
    """A version date in RFC 1123 form; accepts RFC 1123 (kept) or ISO 8601 dates/times."""
    value = str(value).strip()
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return rfc1123(moment)


def iso_day(rfc_date: str) -> str:
    """``YYYY-MM-DD`` of an RFC 1123 date (or of an ISO date), else the text unchanged."""
    try:
        return email.utils.parsedate_to_datetime(rfc_date).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return rfc_date[:10]


def sets_for(categories: str) -> tuple[str, ...]:
    """arXiv OAI setSpecs for space-separated categories: cs.CL -> cs, hep-th -> physics:hep-th."""
    found = set()
    for category in categories.split():
        match = CATEGORY_RE.match(category)
        archive = match.group(1) if match else ""
        if archive in PHYSICS_ARCHIVES:
            found.add(f"physics:{archive}")
        elif archive in OTHER_ARCHIVES:
            found.add(archive)
    return tuple(sorted(found)) or ("cs",)


def split_authors(authors: str) -> list[tuple[str, str]]:
    """(keyname, forenames) pairs from "A B, C D and E F", splitting each name at its last space."""
    names = [n.strip() for n in re.split(r",|\band\b", authors) if n.strip()]
    return [(n.rsplit(" ", 1)[-1], n.rsplit(" ", 1)[0] if " " in n else "") for n in names]


def optional_elements(paper: dict, keys: tuple[str, ...]) -> str:
    """``<key>value</key>`` for each key of ``paper`` with a non-empty value."""
    return "".join(f"<{k}>{text(paper[k])}</{k}>" for k in keys if paper.get(k))


def record_xml(paper: dict, datestamp: str, sets: tuple[str, ...], metadata: str) -> str:
    """A ``<record>`` in the layout of the recorded arXiv responses."""
    set_lines = "".join(f" <setSpec>{text(s)}</setSpec>\n" for s in sets)
    return (f"<record>\n<header>\n <identifier>oai:arXiv.org:{text(paper['id'])}</identifier>\n"
            f" <datestamp>{text(datestamp)}</datestamp>\n{set_lines}</header>\n<metadata>\n"
            f" {metadata}\n</metadata>\n</record>")


def arxiv_raw_metadata(paper: dict) -> str:
    """The ``<arXivRaw>`` element for a paper in metadata-snapshot schema."""
    versions = "".join(
        f'<version version="{text(v.get("version", f"v{i + 1}"))}"><date>{text(version_date(v["created"]))}</date></version>'
        for i, v in enumerate(paper.get("versions") or []))
    return (f"{ARXIV_RAW_OPEN}\n <id>{text(paper['id'])}</id>"
            + optional_elements(paper, ("submitter",)) + versions
            + f"<title>{text(paper.get('title', ''))}</title><authors>{text(paper.get('authors', ''))}</authors>"
            + f"<categories>{text(paper.get('categories', ''))}</categories>"
            + optional_elements(paper, ("comments", "journal-ref", "doi", "report-no", "license"))
            + f"<abstract>{text(paper.get('abstract', ''))}</abstract></arXivRaw>")


def arxiv_metadata(paper: dict) -> str:
    """The ``<arXiv>`` element (metadataPrefix=arXiv) for a paper in metadata-snapshot schema."""
    versions = paper.get("versions") or []
    created = iso_day(versions[0]["created"]) if versions else paper.get("update_date", "")
    updated = f"<updated>{text(iso_day(versions[-1]['created']))}</updated>" if len(versions) > 1 else ""
    parsed = paper.get("authors_parsed") or [[k, f] for k, f in split_authors(paper.get("authors", ""))]
    authors = "".join(
        f"<author><keyname>{text(a[0])}</keyname>"
        + (f"<forenames>{text(a[1])}</forenames>" if len(a) > 1 and a[1] else "") + "</author>"
        for a in parsed)
    return (f"{ARXIV_OPEN}\n <id>{text(paper['id'])}</id><created>{text(created)}</created>{updated}"
            f"<authors>{authors}</authors><title>{text(paper.get('title', ''))}</title>"
            f"<categories>{text(paper.get('categories', ''))}</categories>"
            + optional_elements(paper, ("comments", "journal-ref", "doi", "report-no", "license"))
            + f"<abstract>{text(paper.get('abstract', ''))}</abstract></arXiv>")


def synthesize(paper: dict) -> dict[str, Record]:
    """Records in both formats, keyed by metadataPrefix, for a paper in snapshot schema."""
    datestamp = paper.get("update_date") or iso_day((paper.get("versions") or [{"created": ""}])[-1]["created"])
    sets = sets_for(paper.get("categories", ""))
    identifier = f"oai:arXiv.org:{paper['id']}"
    return {
        "arXivRaw": Record(identifier, datestamp, sets,
                           build=lambda: record_xml(paper, datestamp, sets, arxiv_raw_metadata(paper))),
        "arXiv": Record(identifier, datestamp, sets,
                        build=lambda: record_xml(paper, datestamp, sets, arxiv_metadata(paper))),
    }


def snapshot_papers(folder: pathlib.Path, limit: int):
    """The first ``limit`` papers of the metadata snapshot files in ``folder``."""
    if limit <= 0 or not folder.is_dir():
        return
    remaining = limit
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)
                    remaining -= 1
                    if remaining == 0:
                        return


def paper_from_control(body: dict) -> dict:
    """A snapshot-schema paper from the ``/_control/record`` JSON."""
    if not body.get("id"):
        raise ValueError("a record needs an id")
    datestamp = body.get("datestamp") or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    if not valid_day(datestamp):
        raise ValueError(f"bad datestamp {datestamp!r}")
    dates = body.get("version_dates") or [f"{datestamp}T00:00:00+00:00"]
    return {
        "id": str(body["id"]), "submitter": body.get("submitter"), "title": body.get("title", ""),
        "abstract": body.get("abstract", ""), "authors": body.get("authors", ""),
        "categories": body.get("categories", "cs.CL"), "comments": body.get("comments"),
        "journal-ref": body.get("journal-ref"), "doi": body.get("doi"),
        "versions": [{"version": f"v{i + 1}", "created": version_date(d)} for i, d in enumerate(dates)],
        "update_date": datestamp,
    }


def valid_day(value: str) -> bool:
    """True for a real calendar day written ``YYYY-MM-DD``."""
    if not DAY_RE.match(value or ""):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- responses

@dataclass
class Response:
    """A complete HTTP answer before any fault is applied to it."""
    status: int
    content_type: str
    body: bytes
    headers: dict = field(default_factory=dict)


class OAIError(Exception):
    """An OAI-PMH protocol error (``code`` as in the spec), answered with HTTP 200."""

    def __init__(self, code: str, message: str, echo_arguments: bool = True):
        super().__init__(message)
        self.code, self.message, self.echo_arguments = code, message, echo_arguments


def xml_response(body: str) -> Response:
    return Response(200, "text/xml; charset=utf-8", body.encode("utf-8"))


def json_response(value, status: int = 200) -> Response:
    return Response(status, "application/json", json.dumps(value, ensure_ascii=False).encode("utf-8"))


def text_response(status: int, message: str) -> Response:
    return Response(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"))


def now_stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- faults

@dataclass
class Fault:
    """A queued fault: applies to the next ``count`` requests matching ``target``."""
    target: str
    kind: str
    count: int
    options: dict

    def matches(self, target: str, has_token: bool) -> bool:
        if self.target not in ("any", target):
            return False
        return has_token if self.kind in ("stale_token", "oai_error") else True


def billion_laughs() -> bytes:
    """An OAI response whose DOCTYPE nests internal entities (10^9 "lol"s when expanded)."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return (f'{XML_DECLARATION}\n<!DOCTYPE OAI-PMH [\n' + "\n".join(entities) + "\n]>\n"
            f"{OAI_ROOT_OPEN}\n<responseDate>&lol9;</responseDate>\n"
            f'<request verb="ListRecords">entities</request>\n<ListRecords>\n'
            f'<resumptionToken cursor="0" completeListSize="0"/>\n</ListRecords>\n</OAI-PMH>\n').encode()


def external_entity() -> bytes:
    """An OAI ListRecords response whose record title is an external entity (file:///etc/passwd)."""
    paper = {"id": "0000.00000", "title": "@@XXE@@", "authors": "Nobody", "categories": "cs.CR",
             "abstract": "External entity probe.", "versions": [{"version": "v1", "created": "Thu, 1 Jan 2026 00:00:00 GMT"}]}
    record = record_xml(paper, "2026-01-01", ("cs",), arxiv_raw_metadata(paper)).replace("@@XXE@@", "&xxe;")
    return (f'{XML_DECLARATION}\n<!DOCTYPE OAI-PMH [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
            f"{OAI_ROOT_OPEN}\n<responseDate>{now_stamp()}</responseDate>\n"
            f'<request verb="ListRecords" metadataPrefix="arXivRaw">external_entity</request>\n'
            f'<ListRecords>\n{record}\n<resumptionToken cursor="0" completeListSize="1"/>\n'
            f"</ListRecords>\n</OAI-PMH>\n").encode()


# --------------------------------------------------------------------------- the replay

class Replay:
    """The replay server and its state.

    Options:
      data_dir          the shared data folder (missing or None: start with no recorded data)
      page_size         OAI records per page (default 2)
      snapshot_records  also synthesize this many records from arxiv-cs/*.jsonl.gz (default 0)
      port              port to bind on 127.0.0.1 (default 0: any free port, bound once)
      hf_default_limit  HF page size when ``limit`` is absent (default 50)
      hf_max_limit      larger ``limit`` values are clamped to this (default 100)

    Library API (each also reachable over HTTP under /_control/):
      start(), stop(), base_url, oai_url, hf_url
      inject(target, kind, count=1, **options)   POST /_control/fault
      reset(requests=False, data=False)          POST /_control/reset
      requests()                                 GET  /_control/requests
      add_record(fields)                         POST /_control/record
      set_hf(date, items)                        POST /_control/hf
    """

    def __init__(self, data_dir=None, *, page_size: int = 2, snapshot_records: int = 0, port: int = 0,
                 hf_default_limit: int = 50, hf_max_limit: int = 100):
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.data_dir = pathlib.Path(data_dir) if data_dir else None
        self.page_size = page_size
        self.snapshot_records = snapshot_records
        self.port = port
        self.hf_default_limit = hf_default_limit
        self.hf_max_limit = hf_max_limit
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._faults: list[Fault] = []
        self._log: list[dict] = []
        self._tokens: dict[str, tuple] = {}
        self._token_serial = itertools.count(1)
        self._query_cache: dict[tuple, list[Record]] = {}
        self._hf_overrides: dict[str, list] = {}
        self._load_records()

    # ----------------------------------------------------------------- data

    def _load_records(self) -> None:
        """Recorded records per prefix, then the synthesized snapshot records."""
        oai = self.data_dir / "arxiv-api" / "oai" if self.data_dir else pathlib.Path("/nonexistent")
        self._records = {prefix: load_recorded(oai / prefix) for prefix in PREFIXES}
        self.recorded_counts = {prefix: len(records) for prefix, records in self._records.items()}
        snapshot = self.data_dir / "arxiv-cs" if self.data_dir else pathlib.Path("/nonexistent")
        for paper in snapshot_papers(snapshot, self.snapshot_records):
            for prefix, record in synthesize(paper).items():
                self._records[prefix].setdefault(record.identifier, record)
        self._loaded = {prefix: dict(records) for prefix, records in self._records.items()}

    def _put(self, by_prefix: dict[str, Record], replace: bool) -> None:
        """Adds records (one per prefix); existing identifiers are kept unless ``replace``."""
        with self._lock:
            for prefix, record in by_prefix.items():
                if replace or record.identifier not in self._records[prefix]:
                    self._records[prefix][record.identifier] = record
            self._query_cache.clear()

    def add_record(self, fields: dict) -> str:
        """Adds or replaces (by id) a paper, served in both formats; returns its OAI identifier.
        ``fields``: id, title, abstract, authors ("A, B"), categories ("cs.CL"), datestamp
        (YYYY-MM-DD, default today), version_dates (optional, ISO 8601 or RFC 1123)."""
        records = synthesize(paper_from_control(fields))
        for record in records.values():
            record.xml  # built now, so bad input fails here rather than mid-harvest
        self._put(records, replace=True)
        return records["arXivRaw"].identifier

    def set_hf(self, date: str, items: list) -> None:
        """Replaces the Hugging Face list of ``date`` with ``items``."""
        if not valid_day(date) or not isinstance(items, list):
            raise ValueError("hf needs a YYYY-MM-DD date and a list of items")
        with self._lock:
            self._hf_overrides[date] = items

    def matching(self, prefix: str, set_spec: str | None, start: str | None, until: str | None) -> list[Record]:
        """Records of ``prefix`` in the set and the inclusive date range, by (datestamp, identifier)."""
        key = (prefix, set_spec, start, until)
        with self._lock:
            if key not in self._query_cache:
                chosen = [r for r in self._records[prefix].values()
                          if (not set_spec or r.in_set(set_spec))
                          and (not start or r.datestamp >= start) and (not until or r.datestamp <= until)]
                self._query_cache[key] = sorted(chosen, key=lambda r: (r.datestamp, r.identifier))
            return self._query_cache[key]

    # ----------------------------------------------------------------- faults and log

    def inject(self, target: str = "any", kind: str = "status", count: int = 1, **options) -> None:
        """Queues ``kind`` for the next ``count`` requests to ``target`` ("oai", "hf" or "any").
        Options: skip (let that many matching requests through first); status, retry_after
        (status); seconds (hang); bytes (huge); code (oai_error: one of
        RECORDED_OAI_ERRORS, answered with that recorded error response as it is). stale_token and
        oai_error apply to requests that carry a resumption token (a listing's later pages) only."""
        if target not in FAULT_TARGETS:
            raise ValueError(f"target must be one of {sorted(FAULT_TARGETS)}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {sorted(FAULT_KINDS)}")
        if int(count) < 1:
            raise ValueError("count must be at least 1")
        if kind == "oai_error" and options.get("code") not in RECORDED_OAI_ERRORS:
            raise ValueError(f"oai_error needs a code, one of {sorted(RECORDED_OAI_ERRORS)}")
        with self._lock:
            self._faults.append(Fault(target, kind, int(count), options))

    def reset(self, requests: bool = False, data: bool = False) -> None:
        """Clears the queued faults; with ``requests`` also the request log, with ``data`` also
        the runtime records, HF lists and resumption tokens (back to the data loaded at start)."""
        with self._lock:
            self._faults.clear()
            if requests:
                self._log.clear()
            if data:
                self._hf_overrides.clear()
                self._tokens.clear()
                self._query_cache.clear()
                self._records = {prefix: dict(records) for prefix, records in self._loaded.items()}

    def requests(self) -> list[dict]:
        """Every non-control request so far: {time (monotonic), method, path (with query)}."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def _note(self, method: str, path: str) -> None:
        with self._lock:
            self._log.append({"time": time.monotonic(), "method": method, "path": path})

    def _take_fault(self, target: str, has_token: bool) -> Fault | None:
        """Pops one use of the first queued fault that applies to this request."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(target, has_token):
                    if int(fault.options.get("skip", 0)) > 0:  # let this many matching requests through first
                        fault.options["skip"] = int(fault.options["skip"]) - 1
                        return None
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        if not self._server:
            raise RuntimeError("the replay is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def oai_url(self) -> str:
        return self.base_url + OAI_PATH

    @property
    def hf_url(self) -> str:
        return self.base_url + HF_PATH

    def start(self) -> "Replay":
        """Binds 127.0.0.1:``port`` (once) and serves in a background thread."""
        if self._server:
            return self
        self._stopping.clear()
        self._server = QuietServer(("127.0.0.1", self.port), Handler)
        self._server.replay = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="harvest-replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving: ends hangs and streams in progress, then closes the socket."""
        self._stopping.set()
        server, self._server = self._server, None
        if server:
            server.shutdown()
            server.server_close()
            server.cut_connections()
        if self._thread:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> "Replay":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ----------------------------------------------------------------- OAI-PMH

    def oai(self, arguments: list[tuple[str, str]]) -> Response:
        """Answers an OAI-PMH request (its arguments in order) with XML, HTTP 200."""
        args = dict(arguments)
        echo = "".join(f' {k}="{text(v)}"' for k, v in arguments if k in
                       ("verb", "metadataPrefix", "from", "until", "set", "resumptionToken", "identifier"))
        try:
            if len(args) != len(arguments):
                raise OAIError("badArgument", "Repeated arguments are not allowed.", False)
            verb = args.get("verb")
            handlers = {"ListRecords": self._list_records, "ListIdentifiers": self._list_identifiers,
                        "GetRecord": self._get_record, "Identify": self._identify,
                        "ListMetadataFormats": self._list_metadata_formats, "ListSets": self._list_sets}
            if verb not in handlers:
                raise OAIError("badVerb", f"Bad verb. Verb '{verb}' not implemented." if verb
                               else "Bad verb. No verb given.", False)
            content = handlers[verb](args)
        except OAIError as error:
            request = f"<request{echo if error.echo_arguments else ''}>{self.oai_url}</request>"
            content = f'<error code="{error.code}">{text(error.message)}</error>'
            return xml_response(self._envelope(request, content))
        return xml_response(self._envelope(f"<request{echo}>{self.oai_url}</request>", content))

    def _envelope(self, request: str, content: str) -> str:
        return (f"{XML_DECLARATION}\n{OAI_ROOT_OPEN}\n<responseDate>{now_stamp()}</responseDate>\n"
                f"{request}\n{content}\n</OAI-PMH>\n")

    @staticmethod
    def _check_arguments(args: dict, allowed: set[str], required: set[str] = frozenset()) -> None:
        verb = args["verb"]
        for name in args:
            if name != "verb" and name not in allowed:
                raise OAIError("badArgument", f"Verb '{verb}', illegal argument '{name}'.", False)
        for name in required:
            if not args.get(name):
                raise OAIError("badArgument", f"Verb '{verb}', argument '{name}' is required.", False)

    def _list_query(self, args: dict) -> tuple[tuple, int]:
        """(query, offset) of a list request, from its arguments or its resumption token."""
        if "resumptionToken" in args:
            self._check_arguments(args, {"resumptionToken"})
            with self._lock:
                saved = self._tokens.get(args["resumptionToken"])
            if not saved or saved[0][0] != args["verb"]:
                raise OAIError("badResumptionToken", "The resumptionToken supplied is illegal for this repository")
            return saved
        self._check_arguments(args, {"metadataPrefix", "from", "until", "set"}, {"metadataPrefix"})
        start, until = args.get("from"), args.get("until")
        for name, value in (("from", start), ("until", until)):
            if value is not None and not valid_day(value):
                raise OAIError("badArgument", f"Illegal date '{value}' for argument '{name}'; use YYYY-MM-DD.", False)
        if start and until and start > until:
            raise OAIError("badArgument", f"The 'from' date {start} is after the 'until' date {until}.", False)
        if args["metadataPrefix"] not in PREFIXES:
            raise OAIError("cannotDisseminateFormat", f"Bad metadataPrefix '{args['metadataPrefix']}'; "
                           f"this repository serves {', '.join(PREFIXES)}.")
        return (args["verb"], args["metadataPrefix"], args.get("set"), start, until), 0

    def _page(self, args: dict, render) -> str:
        """One page of a ListRecords/ListIdentifiers answer with its resumptionToken element."""
        query, offset = self._list_query(args)
        records = self.matching(*query[1:])
        if not records:
            raise OAIError("noRecordsMatch", "The combination of the values of the from, until, set and "
                                             "metadataPrefix arguments results in an empty list.")
        page = records[offset:offset + self.page_size]
        if not page and "resumptionToken" in args:
            raise OAIError("badResumptionToken", "The resumptionToken supplied is no longer valid")
        after = offset + len(page)
        attributes = f'cursor="{offset}" completeListSize="{len(records)}"'
        if after < len(records):
            token = self._new_token(query, after)
            token_xml = f"<resumptionToken {attributes}>{text(token)}</resumptionToken>"
        else:
            token_xml = f"<resumptionToken {attributes}/>"
        return "\n".join([render(r) for r in page] + [token_xml])

    def _new_token(self, query: tuple, offset: int) -> str:
        with self._lock:
            token = f"{next(self._token_serial)}|{offset}"
            self._tokens[token] = (query, offset)
        return token

    def _list_records(self, args: dict) -> str:
        return f"<ListRecords>\n{self._page(args, lambda r: r.xml)}\n</ListRecords>"

    def _list_identifiers(self, args: dict) -> str:
        return f"<ListIdentifiers>\n{self._page(args, Record.header_xml)}\n</ListIdentifiers>"

    def _get_record(self, args: dict) -> str:
        self._check_arguments(args, {"identifier", "metadataPrefix"}, {"identifier", "metadataPrefix"})
        if args["metadataPrefix"] not in PREFIXES:
            raise OAIError("cannotDisseminateFormat", f"Bad metadataPrefix '{args['metadataPrefix']}'.")
        with self._lock:
            record = self._records[args["metadataPrefix"]].get(args["identifier"])
        if not record:
            raise OAIError("idDoesNotExist", f"Identifier '{args['identifier']}' does not correspond to an "
                                             "item in this repository")
        return f"<GetRecord>\n{record.xml}\n</GetRecord>"

    def _identify(self, args: dict) -> str:
        self._check_arguments(args, set())
        with self._lock:
            stamps = [r.datestamp for records in self._records.values() for r in records.values()]
        return (f"<Identify>\n<repositoryName>arXiv (local replay)</repositoryName>\n"
                f"<baseURL>{self.oai_url}</baseURL>\n<protocolVersion>2.0</protocolVersion>\n"
                f"<adminEmail>nobody@localhost</adminEmail>\n"
                f"<earliestDatestamp>{min(stamps, default='2007-05-23')}</earliestDatestamp>\n"
                f"<deletedRecord>persistent</deletedRecord>\n<granularity>YYYY-MM-DD</granularity>\n</Identify>")

    def _list_metadata_formats(self, args: dict) -> str:
        self._check_arguments(args, {"identifier"})
        formats = [("arXiv", "http://arxiv.org/OAI/arXiv.xsd", "http://arxiv.org/OAI/arXiv/"),
                   ("arXivRaw", "http://arxiv.org/OAI/arXivRaw.xsd", "http://arxiv.org/OAI/arXivRaw/")]
        return "<ListMetadataFormats>\n" + "\n".join(
            f"<metadataFormat><metadataPrefix>{p}</metadataPrefix><schema>{s}</schema>"
            f"<metadataNamespace>{n}</metadataNamespace></metadataFormat>" for p, s, n in formats
        ) + "\n</ListMetadataFormats>"

    def _list_sets(self, args: dict) -> str:
        self._check_arguments(args, set())
        with self._lock:
            specs = sorted({s for records in self._records.values() for r in records.values() for s in r.sets})
        return "<ListSets>\n" + "\n".join(
            f"<set><setSpec>{text(s)}</setSpec><setName>{text(s)}</setName></set>" for s in specs) + "\n</ListSets>"

    # ----------------------------------------------------------------- Hugging Face

    def hf(self, query: dict[str, list[str]]) -> Response:
        """Answers ``/api/daily_papers``: one page of a day's list, or a 400 JSON error."""
        date = (query.get("date") or [""])[-1]
        if not valid_day(date):
            return json_response({"error": f"date must be a day written YYYY-MM-DD, got {date!r}"}, 400)
        try:
            page = int((query.get("p") or ["0"])[-1])
            limit = int((query.get("limit") or [str(self.hf_default_limit)])[-1])
        except ValueError:
            return json_response({"error": "p and limit must be integers"}, 400)
        if page < 0 or limit < 1:
            return json_response({"error": "p must be >= 0 and limit >= 1"}, 400)
        limit = min(limit, self.hf_max_limit)
        items, raw = self._hf_day(date)
        if items is None:
            return Response(200, "application/json", raw)
        return json_response(items[page * limit:(page + 1) * limit])

    def _hf_day(self, date: str) -> tuple[list | None, bytes]:
        """(items, b"") for a well-shaped day; (None, recorded bytes) for a damaged file."""
        with self._lock:
            if date in self._hf_overrides:
                return self._hf_overrides[date], b""
        path = self.data_dir / "hf-daily" / f"{date}.json" if self.data_dir else None
        if not path or not path.is_file():
            return [], b""
        raw = path.read_bytes()
        try:
            items = json.loads(raw)
        except ValueError:
            return None, raw
        if isinstance(items, list) and all(isinstance(item, dict) for item in items):
            return items, b""
        return None, raw

    # ----------------------------------------------------------------- control

    def control(self, method: str, name: str, body: bytes) -> Response:
        """Answers ``/_control/<name>``."""
        try:
            fields = json.loads(body or b"{}") if method == "POST" else {}
            if not isinstance(fields, dict):
                raise ValueError("the body must be a JSON object")
            if method == "GET" and name == "requests":
                return json_response(self.requests())
            if method == "POST" and name == "fault":
                fields = dict(fields)
                self.inject(fields.pop("target", "any"), fields.pop("kind", "status"), fields.pop("count", 1), **fields)
                return json_response({"ok": True})
            if method == "POST" and name == "reset":
                self.reset(bool(fields.get("requests")), bool(fields.get("data")))
                return json_response({"ok": True})
            if method == "POST" and name == "record":
                return json_response({"ok": True, "identifier": self.add_record(fields)})
            if method == "POST" and name == "hf":
                self.set_hf(fields.get("date", ""), fields.get("items"))
                return json_response({"ok": True})
        except (ValueError, TypeError) as error:
            return json_response({"error": str(error)}, 400)
        return json_response({"error": f"no control endpoint {method} {name}"}, 404)


# --------------------------------------------------------------------------- HTTP plumbing

class QuietServer(http.server.ThreadingHTTPServer):
    """A threaded server that does not print tracebacks when clients go away and that can
    cut its open (keep-alive) connections when it stops."""
    daemon_threads = True
    allow_reuse_address = True
    replay: Replay

    def server_activate(self):
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().server_activate()

    def handle_error(self, request, client_address):
        pass

    def track(self, connection: socket.socket, is_open: bool) -> None:
        with self.connections_lock:
            (self.open_connections.add if is_open else self.open_connections.discard)(connection)

    def cut_connections(self) -> None:
        """Shuts down every open client connection, so idle keep-alive clients see the stop."""
        with self.connections_lock:
            connections = list(self.open_connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes requests to the Replay and applies queued faults to the answers."""
    protocol_version = "HTTP/1.1"
    server: QuietServer

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.server.track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self):
        self._handle(b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length) if length else b"")

    def do_HEAD(self):
        self._send(text_response(405, "HEAD is not supported"))

    def _handle(self, body: bytes) -> None:
        replay = self.server.replay
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith(CONTROL_PREFIX):
            self._send(replay.control(self.command, url.path[len(CONTROL_PREFIX):], body))
            return
        replay._note(self.command, self.path)
        query = url.query
        if self.command == "POST" and "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            query = body.decode("utf-8", "replace")
        arguments = urllib.parse.parse_qsl(query, keep_blank_values=True)
        target = {OAI_PATH: "oai", HF_PATH: "hf"}.get(url.path, "other")
        has_token = target == "oai" and any(k == "resumptionToken" for k, _ in arguments)
        fault = replay._take_fault(target, has_token)
        if fault and fault.kind in ("hang", "huge", "status", "entities", "external_entity", "stale_token", "oai_error"):
            self._fault_without_answer(fault, arguments)
            return
        answer = self._answer(url.path, arguments)
        if fault:
            self._fault_on_answer(fault, answer)
        else:
            self._send(answer)

    def _answer(self, path: str, arguments: list[tuple[str, str]]) -> Response:
        replay = self.server.replay
        if path == OAI_PATH:
            return replay.oai(arguments)
        if path == HF_PATH:
            query: dict[str, list[str]] = {}
            for key, value in arguments:
                query.setdefault(key, []).append(value)
            return replay.hf(query)
        return text_response(404, f"no such path {path}")

    # ----------------------------------------------------------------- sending

    def _send(self, answer: Response, declared_length: int | None = None, body: bytes | None = None) -> None:
        """Writes status, headers and body; ``declared_length``/``body`` override for faults."""
        payload = answer.body if body is None else body
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(payload) if declared_length is None else declared_length))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _fault_on_answer(self, fault: Fault, answer: Response) -> None:
        """drop, truncate and malformed: a damaged version of the real answer."""
        half = answer.body[:len(answer.body) // 2]
        if fault.kind == "drop":
            self._send(answer, declared_length=len(answer.body), body=half)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        elif fault.kind == "truncate":
            self._send(answer, body=half)
        else:  # malformed
            self._send(answer, body=MALFORMED_BODY)

    def _fault_without_answer(self, fault: Fault, arguments) -> None:
        """status, hang, huge, entities, external_entity, oai_error, stale_token."""
        replay, options = self.server.replay, fault.options
        if fault.kind == "status":
            status = int(options.get("status", 503))
            answer = text_response(status, f"injected fault: HTTP {status}")
            if options.get("retry_after") is not None:
                answer.headers["Retry-After"] = str(options["retry_after"])
            self._send(answer)
        elif fault.kind == "hang":
            replay._stopping.wait(float(options.get("seconds", 30)))
            self.close_connection = True
        elif fault.kind == "huge":
            self._stream_huge(int(options.get("bytes", 64 * 1024 * 1024)))
        elif fault.kind == "entities":
            self._send(Response(200, "text/xml; charset=utf-8", billion_laughs()))
        elif fault.kind == "external_entity":
            self._send(Response(200, "text/xml; charset=utf-8", external_entity()))
        elif fault.kind == "oai_error":
            recorded = replay.data_dir / "arxiv-api" / "oai" / "arXivRaw" / RECORDED_OAI_ERRORS[options["code"]]
            self._send(Response(200, "text/xml; charset=utf-8", recorded.read_bytes()))
        else:  # stale_token
            echo = "".join(f' {k}="{text(v)}"' for k, v in arguments)
            content = '<error code="badResumptionToken">The resumptionToken supplied is illegal for this repository</error>'
            self._send(xml_response(replay._envelope(f"<request{echo}>{replay.oai_url}</request>", content)))

    def _stream_huge(self, size: int) -> None:
        """A 200 answer of ``size`` bytes written in 64 KiB chunks (never held in memory)."""
        prefix = f"{XML_DECLARATION}\n{OAI_ROOT_OPEN}\n<ListRecords>\n".encode()[:size]
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b" " * 65536
        try:
            self.wfile.write(prefix)
            remaining = size - len(prefix)
            while remaining > 0 and not self.server.replay._stopping.is_set():
                piece = chunk[:remaining]
                self.wfile.write(piece)
                remaining -= len(piece)
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True


# --------------------------------------------------------------------------- script

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=pathlib.Path, default=default_data_dir(),
                        help="the shared data folder (default: $DAILYPAPERS_SHARED_DATA or ../shared/data)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default 0: any free port)")
    parser.add_argument("--snapshot-records", type=int, default=0,
                        help="also synthesize this many records from arxiv-cs/*.jsonl.gz")
    parser.add_argument("--page-size", type=int, default=2, help="OAI records per page (default 2)")
    options = parser.parse_args(argv)
    replay = Replay(options.data, page_size=options.page_size, snapshot_records=options.snapshot_records,
                    port=options.port).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # A parent that blocks these (a test runner) passes its mask on: unblock them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    print(f"listening on {replay.base_url}", flush=True)
    while not stop.wait(0.5):
        pass
    replay.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
