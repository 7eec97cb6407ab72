#!/usr/bin/env python3
"""How hybrid search's fusion behaves around its chosen settings, on relevance collections.

    .build/release/dailypapers eval --collection ../shared/data/relevance/cranfield \\
        --collection ../shared/data/relevance/cacm --mode hybrid --candidates /tmp/candidates
    python3 bench/fusion.py /tmp/candidates ../shared/data/relevance

`eval --candidates` writes, per query, what hybrid search combines (the first 1,000 papers by
BM25 and by cosine, with their scores). This script ranks them again with reciprocal rank
fusion (k 60, the first 100 of each, what search used before) and with the convex combination
search uses now (BM25 / its best, cosine min-max over the candidates) at other depths and
weights, and prints nDCG@10 and recall@100 (trec_eval's linear gains, as `dailypapers eval`).
The row "depth 1000, weight 0.5" is the production setting and matches eval's hybrid figure.
"""
import json
import math
import pathlib
import sys


def qrels(path):
    judged = {}
    for i, line in enumerate(path.read_text().splitlines()):
        fields = line.split("\t")
        if i == 0 and fields[0] == "query-id":
            continue
        judged.setdefault(fields[0], {})[fields[1]] = int(fields[2])
    return judged


def ndcg(ranked, judgments, k=10):
    gains = sorted((g for g in judgments.values() if g > 0), reverse=True)
    dcg = lambda rels: sum(r / math.log2(i + 2) for i, r in enumerate(rels[:k]))
    return dcg([max(0, judgments.get(d, 0)) for d in ranked]) / dcg(gains) if gains else 0.0


def recall(ranked, judgments, k=100):
    relevant = {d for d, g in judgments.items() if g > 0}
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def rrf(query, depth=100, k=60):
    scores = {}
    for ranking in (query["keyword"][:depth], query["semantic"][:depth]):
        for i, (doc, _) in enumerate(ranking):
            scores[doc] = scores.get(doc, 0) + 1 / (k + i + 1)
    return sorted(scores, key=lambda d: (-scores[d], d))


def convex(query, depth=1000, weight=0.5):
    keyword, semantic = query["keyword"][:depth], query["semantic"][:depth]
    combined, cosine = {}, {}
    best = max((s for _, s in keyword), default=0)
    for doc, score in keyword:
        if best > 0:
            combined[doc] = weight * score / best
    if semantic:
        high, low = max(s for _, s in semantic), min(s for _, s in semantic)
        for doc, score in semantic:
            combined[doc] = combined.get(doc, 0) + (1 - weight) * ((score - low) / (high - low) if high > low else 1)
            cosine[doc] = score
    return sorted(combined, key=lambda d: (-combined[d], -cosine.get(d, -math.inf), d))


def with_leading(query, ranked):
    """Near-title matches, then an author's papers, first: as the search path does."""
    first = [doc for doc, _ in query["keyword"][:query["leading"]]]
    ranked = first + [d for d in ranked if d not in set(first)]
    authored = query["authored"]
    return authored + [d for d in ranked if d not in set(authored)] if authored else ranked


def main():
    folder, collections = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    runs = {"RRF, k 60, first 100 of each": lambda q: rrf(q)}
    for depth in (100, 200, 500, 1000):
        for weight in (0.4, 0.5, 0.6):
            runs[f"convex, depth {depth}, keyword weight {weight}"] = lambda q, d=depth, w=weight: convex(q, d, w)
    names = sorted(p.stem for p in folder.glob("*.json"))
    print("| fusion | " + " | ".join(f"{n} nDCG@10 | {n} recall@100" for n in names) + " |")
    print("| --- |" + " --- | --- |" * len(names))
    data = {n: json.loads((folder / f"{n}.json").read_text())["queries"] for n in names}
    judged = {n: qrels(collections / n / "qrels.tsv") for n in names}
    for label, rank in runs.items():
        cells = []
        for n in names:
            queries = [q for q in data[n] if any(g > 0 for g in judged[n].get(q["query"], {}).values())]
            ranked = [with_leading(q, rank(q)) for q in queries]
            cells.append(f"{sum(ndcg(r, judged[n][q['query']]) for r, q in zip(ranked, queries)) / len(queries):.4f}")
            cells.append(f"{sum(recall(r, judged[n][q['query']]) for r, q in zip(ranked, queries)) / len(queries):.4f}")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
