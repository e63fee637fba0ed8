"""LoCoMo, crossed: one system's stored memories answered by another answer setup.

``bench_locomo.py`` compares whole systems (extraction + answering). To tell which half makes a
difference, this answers the same sample from a store another run built (a cache directory under
``~/.cache/localmem/bench/locomo/stores/``) with the model's answer adapter, another adapter file,
or none (the full answer prompt), and scores it with LoCoMo's metric, per category.

    python bench/locomo_cross.py --store fast+prompts-t2-f08db12fda60 --answer adapter \\
        --conversations conv-26,conv-30 --sessions 4 --questions-per-category 10 --out bench/results/x.json

The store is copied first: answering never writes to the cached store (the Assistant is read-only
anyway). Answers are not cached; a sample of ~60 questions takes 2-3 minutes on 2 threads.
``--baseline RESULTS.json:ROW`` pairs the answers question by question with a row of a
``bench_locomo.py`` results file (per category and overall, bootstrap 95% interval), e.g. the row
whose store and answers these are crossed with.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from locomo_harness import DEFAULT_CACHE_DIR  # noqa: E402
from locomo_report import comparisons  # noqa: E402

from localmem.config import AdapterSpec  # noqa: E402
from localmem.eval import locomo, locomo_metric  # noqa: E402
from localmem.eval.locomo_systems import Extraction  # noqa: E402
from localmem.llm import Runtime  # noqa: E402
from localmem.memory import Memory  # noqa: E402
from localmem.registry import load_registry  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def runtime(model: str, answer: str, threads: int) -> Runtime:
    """``model`` with its extract / update adapters and, for answering: its own answer adapter
    (``adapter``), none (``none``: the full prompt) or an adapter file (a path)."""
    spec = load_registry().get(model)
    if answer != "adapter":
        kept = [a for a in spec.adapters if a.operation != "answer"]
        if answer != "none":
            path = Path(answer).expanduser().resolve()
            if not path.is_file():
                raise SystemExit(f"--answer: no adapter file {path}")
            kept.append(AdapterSpec(name="answer", path=path, operation="answer"))
        spec = spec.model_copy(update={"adapters": kept})
    return Runtime(spec, n_threads=threads).load()


def baseline_answers(spec: str) -> tuple[str, list[dict]]:
    """``FILE:ROW`` -> (row, its per-question records) from a ``bench_locomo.py`` results file."""
    file, sep, row = spec.rpartition(":")
    if not sep or not file:
        raise SystemExit(f"--baseline {spec!r}: give RESULTS.json:ROW")
    path = Path(file)
    if not path.is_file():
        raise SystemExit(f"--baseline: no results file {path}")
    records = json.loads(path.read_text()).get("records", {})
    if row not in records:
        raise SystemExit(f"--baseline: {path} has no row {row!r}; its rows are {', '.join(records) or 'none'}")
    return row, records[row]["answers"]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, help="a store directory name under the cache's stores/")
    ap.add_argument("--answer", default="adapter", help="adapter | none | PATH to an answer .gguf")
    ap.add_argument("--model", default="fast")
    ap.add_argument("--conversations", default="conv-26")
    ap.add_argument("--sessions", type=int, default=None)
    ap.add_argument("--questions-per-category", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--recall", type=int, default=8)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    ap.add_argument("--baseline", default=None, help="RESULTS.json:ROW, a bench_locomo row to pair the answers with")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    stores = args.cache_dir / "stores" / args.store
    if not stores.is_dir():
        raise SystemExit(f"--store: no store directory {stores}")
    baseline = baseline_answers(args.baseline) if args.baseline else None  # checked before any model runs
    rt = runtime(args.model, args.answer, args.threads)
    convs = locomo.select(locomo.load(), conversations=args.conversations, sessions=args.sessions,
                          per_category=args.questions_per_category, seed=args.seed)
    system = Extraction(rt, recall=args.recall, max_tokens=64)
    records, by_cat = [], defaultdict(list)
    for conv in convs:
        src = stores / f"{conv.sample_id}.db"
        if not src.is_file():
            raise SystemExit(f"--store: {src} not found (was {conv.sample_id} ingested in that run?)")
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "store.db"
            shutil.copyfile(src, copy)
            with Memory(copy, llm=rt) as mem:
                for q in conv.questions:
                    asked = locomo.ask(q, args.seed)
                    ans = system.answer(mem, conv, asked, conv.sessions[-1].date)
                    prediction = asked.choice(ans.text)
                    score = locomo_metric.score(q.category, prediction, q.answer)
                    by_cat[q.category].append(score)
                    records.append({"key": q.key, "category": q.category,  # no question / gold: LoCoMo's text
                                    "prediction": prediction, "score": score})
    rt.close()
    f1 = {locomo.CATEGORIES[c]: round(100 * statistics.mean(v), 1) for c, v in sorted(by_cat.items())}
    overall = round(100 * statistics.mean(r["score"] for r in records), 1) if records else None
    out = {"benchmark": "LoCoMo, a cached store answered by another answer setup", "store": args.store,
           "answer": args.answer, "model": args.model, "threads": args.threads,
           "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "sample": {"conversations": args.conversations, "sessions": args.sessions,
                      "questions_per_category": args.questions_per_category, "seed": args.seed,
                      "questions": len(records)},
           "f1_x100": f1, "overall_x100": overall, "records": records}
    if baseline is not None:
        row, answers = baseline
        crossed = f"{args.store} answered by {args.answer}"
        out["paired"] = comparisons({row: {"answers": answers}, crossed: {"answers": records}}, baseline=row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print("| store | answer | " + " | ".join(f1) + " | overall |")
    print("|---|---|" + "---:|" * (len(f1) + 1))
    print(f"| {args.store} | {args.answer} | " + " | ".join(str(v) for v in f1.values()) + f" | {overall} |")
    for name, cats in out.get("paired", {}).items():
        print(f"\n{name}, crossed minus baseline (F1 x100, 95% interval):")
        for cat, p in cats.items():
            if p["n"]:
                # ``diff`` is the baseline minus the crossed run: negated, with the interval flipped
                print(f"  {cat:12} n={p['n']:3d} {-100 * p['diff']:+6.1f} "
                      f"[{-100 * p['high']:+.1f}, {-100 * p['low']:+.1f}]")
    return out


if __name__ == "__main__":
    main()
