"""`dailypapers eval` on a collection small enough to work out by hand (BEIR's layout), and on
the real ones in ../shared/data/relevance (keyword mode: no model, a few seconds)."""
import json
import math
import re

from conftest import SHARED, needs_data, run


def table(output):
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"[0-9.]+", cells[2]):
            rows[(cells[0], cells[1])] = (float(cells[2]), float(cells[3]), int(cells[4]))
    return rows


def test_eval_measures_a_collection_worked_out_by_hand(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    docs = [{"_id": "d1", "title": "Rotating disc flow", "text": "Flow over a rotating disc."},
            {"_id": "d2", "title": "Boundary layers", "text": "Laminar boundary layers on flat plates."},
            {"_id": "d3", "title": "Shock waves", "text": "Shock waves in supersonic flow."}]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "rotating disc"}) + "\n"
                                          + json.dumps({"_id": "q2", "text": "supersonic shock flow"}) + "\n")
    # q1: only d1 has its words (nDCG 1). q2: d3 is judged 1 and d1 2; d3 (all three words)
    # ranks first, d1 (only "flow") second: DCG = 1 + 2/log2(3), ideal = 2 + 1/log2(3).
    (folder / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\nq2\td1\t2\n")
    result = run("eval", "--mode", "keyword", "--collection", str(folder))
    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    expected = (1 + (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))) / 2
    ndcg, recall, queries = rows[("tiny", "keyword")]
    assert abs(ndcg - expected) < 1e-4 and recall == 1.0 and queries == 2, result.stdout
    assert ("tiny", "hybrid") not in rows, "--mode keyword measures keyword only"


def test_eval_writes_the_hybrid_candidates(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    docs = [{"_id": "d1", "title": "Rotating disc flow", "text": "Flow over a rotating disc."},
            {"_id": "d2", "title": "Boundary layers", "text": "Laminar boundary layers on flat plates."}]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "rotating disc"}) + "\n")
    (folder / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    out = tmp_path / "candidates"
    # With keyword mode alone too: the candidates are hybrid's, so the documents are embedded.
    result = run("eval", "--mode", "keyword", "--collection", str(folder), "--candidates", str(tmp_path / "keyword"))
    assert result.returncode == 0, result.stderr
    assert [doc for doc, _ in json.loads((tmp_path / "keyword" / "tiny.json").read_text())["queries"][0]["semantic"]] == ["d1", "d2"]
    result = run("eval", "--mode", "hybrid", "--collection", str(folder), "--candidates", str(out))
    assert result.returncode == 0, result.stderr
    written = json.loads((out / "tiny.json").read_text())
    assert written["collection"] == "tiny"
    [query] = written["queries"]
    assert query["query"] == "q1" and query["leading"] == 0 and query["authored"] == []
    # Only d1 has the words; both documents have a cosine, d1's the higher (it is about them).
    assert [doc for doc, _ in query["keyword"]] == ["d1"] and query["keyword"][0][1] > 0
    assert [doc for doc, _ in query["semantic"]] == ["d1", "d2"]
    assert query["semantic"][0][1] > query["semantic"][1][1]
    assert table(result.stdout)[("tiny", "hybrid")][0] == 1.0


def test_eval_names_a_broken_collection(tmp_path):
    result = run("eval", "--mode", "keyword", "--collection", str(tmp_path))
    assert result.returncode != 0
    assert "corpus.jsonl: cannot read the file" in result.stderr


@needs_data
def test_eval_on_the_real_collections_reaches_bm25(tmp_path):
    """Keyword mode reaches a standard BM25's figures (bm25s, Snowball, Lucene stop words:
    cranfield 0.433, cacm 0.500, measured in Python) on both collections."""
    result = run("eval", "--mode", "keyword", "--collection", str(SHARED / "relevance" / "cranfield"),
                 "--collection", str(SHARED / "relevance" / "cacm"))
    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert rows[("cranfield", "keyword")][0] >= 0.433 and rows[("cacm", "keyword")][0] >= 0.500, result.stdout
