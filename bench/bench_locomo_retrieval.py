"""Retrieval quality on LoCoMo with infer=False (the raw-turn baseline).

Every turn of the 10 LoCoMo conversations is stored verbatim through ``Memory.add(infer=False)``
(one user per conversation, one ``add`` per session with the session's date as timestamp, the
turn's ``dia_id`` in metadata; text is ``"<speaker>: <text>"`` plus ``[shares a photo: <caption>]``
when the turn has an image). Every question is then searched in its conversation's scope, and
evidence recall@k is the share of the question's evidence dia_ids among the top k results.

Compared: vector only, BM25 only, hybrid with reciprocal rank fusion (k=60, weighted variants) and
with convex fusion of min-max-normalised scores (the default weights BM25 x2), and the exact vector
scan against
the default binary-code candidates + exact rescoring, for the int8 and fp32 ONNX exports of
all-MiniLM-L6-v2.

Categories as LoCoMo's own evaluation code numbers them: 1 multi-hop, 2 temporal,
3 open-domain, 4 single-hop, 5 adversarial.

Usage: python bench/bench_locomo_retrieval.py [--data PATH] [--variants int8,fp32] [--quick]
Writes bench/results/locomo_retrieval.json. The dataset is read in place (CC BY-NC 4.0; never
copied into the repository).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from memory_bench_common import PrecomputedEmbedder, table, write_result  # noqa: E402

from localmem.eval import locomo  # noqa: E402
from localmem.eval.locomo import CATEGORIES  # noqa: E402

KS = (5, 10)


def ingest(mem, conv: locomo.Conversation) -> int:
    """One ``add(infer=False)`` per session, dated, each turn with its dia_id in metadata."""
    for session in conv.sessions:
        mem.add(locomo.messages(session.turns), user_id=conv.sample_id, infer=False,
                metadata={"session": session.number}, timestamp=session.date)
    return conv.turns()


def questions(convs: list[locomo.Conversation]) -> list[dict]:
    return [{"user": c.sample_id, "question": q.question, "category": q.category, "evidence": set(q.evidence)}
            for c in convs for q in c.questions if q.evidence]


def evaluate(mem, qs: list[dict], mode: str, config) -> dict:
    per_cat: dict[int, list[list[float]]] = defaultdict(list)
    from dataclasses import replace

    cfg = replace(config, mode=mode)
    t0 = time.perf_counter()
    for q in qs:
        results = mem.store.search(q["question"], _scope(q["user"]), None, limit=max(KS), config=cfg)
        ids = [r.metadata.get("dia_id") for r in results]
        per_cat[q["category"]].append([len(q["evidence"] & set(ids[:k])) / len(q["evidence"]) for k in KS])
    elapsed = time.perf_counter() - t0
    row = {}
    for cat, values in sorted(per_cat.items()):
        for i, k in enumerate(KS):
            row[f"{CATEGORIES[cat]}@{k}"] = sum(v[i] for v in values) / len(values)
    everything = [v for values in per_cat.values() for v in values]
    for i, k in enumerate(KS):
        row[f"all@{k}"] = sum(v[i] for v in everything) / len(everything)
    row["ms_per_query"] = 1000 * elapsed / len(qs)
    return row


def _scope(user):
    from localmem.store import Scope

    return Scope(user)


def run_variant(variant: str, data: list, qs: list[dict], configs: dict) -> dict:
    from localmem import Memory
    from localmem.embed import Embedder

    real = Embedder.default(variant=variant, threads=1)
    emb = PrecomputedEmbedder(real)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        mem = Memory(Path(tmp) / "locomo.db", embedder=emb)
        t0 = time.perf_counter()
        turns = sum(ingest(mem, s) for s in data)
        ingest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        emb.embed([q["question"] for q in qs])  # queries embedded once, shared by every configuration
        query_embed_ms = 1000 * (time.perf_counter() - t0) / len(qs)
        for name, (mode, config) in configs.items():
            out[name] = evaluate(mem, qs, mode, config)
            print(f"  {variant} {name}: all@5={out[name]['all@5']:.3f} all@10={out[name]['all@10']:.3f}",
                  flush=True)
        mem.close()
    return {"turns": turns, "ingest_seconds": ingest_s, "turns_per_second": turns / ingest_s,
            "query_embed_ms": query_embed_ms, "configs": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=locomo.default_data_path())
    parser.add_argument("--variants", default="int8,fp32")
    parser.add_argument("--quick", action="store_true", help="first 2 conversations, main configs only")
    args = parser.parse_args()
    from localmem.store import SearchConfig

    data = locomo.load(args.data)
    if args.quick:
        data = data[:2]
    qs = questions(data)
    base = SearchConfig()
    configs = {
        "vector": ("vector", base),
        "bm25": ("text", base),
        "hybrid (default: convex, bm25 x2, depth 20)": ("hybrid", base),
        "hybrid RRF k=60": ("hybrid", SearchConfig(fusion="rrf", text_weight=1.0)),
    }
    if not args.quick:
        for w in (2.0, 3.0):
            configs[f"hybrid RRF k=60 bm25 x{w:g}"] = ("hybrid", SearchConfig(fusion="rrf", text_weight=w))
        configs["hybrid RRF k=10"] = ("hybrid", SearchConfig(fusion="rrf", rrf_k=10, text_weight=1.0))
        for w in (0.5, 1.0, 1.5, 3.0):
            configs[f"hybrid convex bm25 x{w:g}"] = ("hybrid", SearchConfig(fusion="convex", text_weight=w))
        configs["hybrid convex x2 depth 50"] = ("hybrid", SearchConfig(fusion="convex", depth=50))
        configs["vector (exact scan)"] = ("vector", SearchConfig(vector_index="exact"))
        configs["hybrid (exact vector scan)"] = ("hybrid", SearchConfig(vector_index="exact"))
    results = {}
    for variant in args.variants.split(","):
        print(f"{variant}: ingesting {len(data)} conversations, {len(qs)} questions", flush=True)
        results[variant] = run_variant(variant, data, qs, configs)

    cols = ["variant", "config"] + [f"{c}@{k}" for c in list(CATEGORIES.values()) + ["all"] for k in KS]
    rows = []
    for variant, res in results.items():
        for name, row in res["configs"].items():
            rows.append([variant, name] + [row.get(c, float("nan")) for c in cols[2:]])
    print()
    print(table(cols, rows))
    skipped = sum(len(c.questions) for c in data) - len(qs)
    path = write_result("locomo_retrieval", {
        "data": str(args.data), "questions": len(qs), "questions_without_evidence_skipped": skipped,
        "categories": CATEGORIES, "embedding_threads": 1, "results": results})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
