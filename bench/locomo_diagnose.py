"""Where a LoCoMo row loses its points: in the store, in what the search shows, or in the answer.

For each named row of a ``bench_locomo.py`` results file (and the store directory its ingest built,
under ``~/.cache/localmem/bench/locomo/stores/``), per category and overall:

- **stored**: the share of the gold answer's words (LoCoMo's normalisation) found in the best memory
  drawn from one of the question's evidence turns - what the store could answer from the right turn
  (``stored_anywhere``: the best memory of the whole store). A memory's turns are the ``dia_id`` of
  the messages it was drawn from (and of its own metadata, for raw turns). Needs the store.
- **shown**: where the first evidence memory was among the memories the answer was shown (rank 1-3,
  rank 4 on, not shown) and the row's F1 in each of those buckets.
- **answered**: F1, and the answer's word precision and recall against the gold answer and its
  length in words (short answers lose recall; long ones precision).

    python bench/locomo_diagnose.py --results bench/results/locomo_s17.json \\
        --row fast@s17/extraction=fast-t2-d29b3111d196 --row fast+prompts@s17/extraction=fast+prompts-t2-11338539e821

Stores are opened read-only. The questions are re-read from ``../shared`` for the results file's
sample; the output (``--out``, JSON) keeps numbers only, no LoCoMo text.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from locomo_harness import DEFAULT_CACHE_DIR  # noqa: E402
from memory_bench_common import rounded, table  # noqa: E402

from localmem.eval import locomo  # noqa: E402
from localmem.eval.locomo import CATEGORIES, Question  # noqa: E402
from localmem.eval.locomo_metric import precision_recall, tokens  # noqa: E402

#: Ranks (1-based) counted as "near the top" of what the answer was shown.
TOP = 3


def store_memories(db_path: Path, user_id: str | None = None) -> list[tuple[str, frozenset[str]]]:
    """The active memories of a store (of ``user_id`` if given) with the dia_ids they were drawn from."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        turn = {mid: json.loads(meta or "{}").get("dia_id") for mid, meta in
                conn.execute("SELECT id, metadata FROM messages")}
        where, args = ("status = 'active'", ()) if user_id is None else ("status = 'active' AND user_id = ?",
                                                                        (user_id,))
        out = []
        for text, source, meta in conn.execute(f"SELECT text, source, metadata FROM memories WHERE {where}", args):
            ids = {turn.get(m) for m in json.loads(source or "{}").get("message_ids", [])}
            ids.add(json.loads(meta or "{}").get("dia_id"))
            out.append((text, frozenset(i for i in ids if i)))
        return out
    finally:
        conn.close()


def evidence_rank(shown: Sequence[Sequence[str]], evidence: Iterable[str]) -> int | None:
    """1-based rank of the first shown memory drawn from an evidence turn (None: none was shown)."""
    wanted = set(evidence)
    return next((i + 1 for i, ids in enumerate(shown) if wanted & set(ids)), None)


def _mean(xs: list[float]) -> float | None:
    return rounded(statistics.fmean(xs)) if xs else None


def diagnose(questions: dict[str, Question], answers: list[dict[str, Any]],
             memories: dict[str, list[tuple[str, frozenset[str]]]] | None = None) -> dict[str, dict[str, Any]]:
    """Per category (and ``overall``) for one row: ``answers`` are its records (key, category,
    prediction, score, shown); ``memories``: conversation id -> ``store_memories``."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in answers:
        q = questions[a["key"]]
        precision, recall = precision_recall(a["prediction"], q.answer)
        rank = evidence_rank(a.get("shown") or [], q.evidence)
        item = {"score": a["score"], "precision": precision, "recall": recall,
                "words": len(tokens(a["prediction"])), "gold_words": len(tokens(q.answer)),
                "shown": "top" if rank is not None and rank <= TOP else ("lower" if rank else "not shown")}
        if memories is not None and q.sample_id in memories:
            mems = memories[q.sample_id]
            item["stored"] = max((precision_recall(t, q.answer)[1] for t, ids in mems if ids & q.evidence), default=0.0)
            item["stored_anywhere"] = max((precision_recall(t, q.answer)[1] for t, _ in mems), default=0.0)
        groups[CATEGORIES[q.category]].append(item)
        groups["overall"].append(item)
    out = {}
    for name in [*CATEGORIES.values(), "overall"]:
        items = groups.get(name, [])
        if not items:
            continue
        row: dict[str, Any] = {"n": len(items), "f1": _mean([i["score"] for i in items]),
                               "precision": _mean([i["precision"] for i in items]),
                               "recall": _mean([i["recall"] for i in items]),
                               "words": _mean([i["words"] for i in items]),
                               "gold_words": _mean([i["gold_words"] for i in items])}
        for bucket in ("top", "lower", "not shown"):
            inside = [i["score"] for i in items if i["shown"] == bucket]
            row[f"shown {bucket}"] = {"n": len(inside), "f1": _mean(inside)}
        if all("stored" in i for i in items):
            row["stored"] = _mean([i["stored"] for i in items])
            row["stored_anywhere"] = _mean([i["stored_anywhere"] for i in items])
        out[name] = row
    return out


def questions_of(results: dict[str, Any], data: Path | None = None) -> dict[str, Question]:
    """The questions of a results file's sample, by key (re-read from the LoCoMo file)."""
    s = results["sample"]
    convs = locomo.select(locomo.load(data or locomo.default_data_path()), conversations=",".join(s["conversations"]),
                          sessions=s["sessions"], per_category=s["questions_per_category"], seed=s["seed"])
    return {q.key: q for c in convs for q in c.questions}


def print_row(name: str, diag: dict[str, dict[str, Any]]) -> None:
    headers = ["category", "n", "F1", "prec", "recall", "words", "gold words", "top: n / F1", "lower: n / F1",
               "not shown: n / F1", "stored", "anywhere"]
    rows = [[cat, r["n"], r["f1"], r["precision"], r["recall"], r["words"], r["gold_words"],
             *(f"{r[f'shown {b}']['n']} / {r[f'shown {b}']['f1']}" for b in ("top", "lower", "not shown")),
             r.get("stored", "-"), r.get("stored_anywhere", "-")] for cat, r in diag.items()]
    print(f"\n{name}\n{table(headers, rows)}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=Path, required=True, help="a bench_locomo.py results file")
    ap.add_argument("--row", action="append", required=True,
                    help="ROW or ROW=STORE_DIR (a directory name under the cache's stores/, or a path)")
    ap.add_argument("--data", type=Path, default=None, help="locomo10.json (default: shared/bench/locomo/)")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    ap.add_argument("--out", type=Path, default=None, help="write the numbers as JSON")
    args = ap.parse_args(argv)
    results = json.loads(args.results.read_text())
    records = results.get("records", {})
    wanted = []
    for spec in args.row:
        row, _, store = spec.partition("=")
        if row not in records:
            raise SystemExit(f"--row {row!r}: not in {args.results}; its rows are {', '.join(records) or 'none'}")
        folder = None
        if store:
            folder = Path(store).expanduser()
            folder = folder if folder.is_dir() else args.cache_dir / "stores" / store
            if not folder.is_dir():
                raise SystemExit(f"--row {row!r}: no store directory {store!r} (nor {folder})")
        wanted.append((row, folder))
    questions = questions_of(results, args.data)
    out: dict[str, Any] = {"benchmark": "locomo diagnosis", "results": str(args.results),
                           "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           "sample": results["sample"], "rows": {}}
    for row, folder in wanted:
        memories = None
        if folder is not None:
            memories = {}
            for conv in results["sample"]["conversations"]:
                db = folder / f"{conv}.db"
                if not db.is_file():
                    raise SystemExit(f"--row {row!r}: {db} not found (was {conv} ingested in that run?)")
                memories[conv] = store_memories(db, conv)
        diag = diagnose(questions, records[row]["answers"], memories)
        out["rows"][row] = {"store": str(folder) if folder else None, "by_category": diag}
        print_row(row, diag)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    main()
