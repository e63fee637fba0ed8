"""The update step's similarity floor: how many model calls each floor saves, and what it loses.

With no existing memory at or above the floor (cosine of all-MiniLM-L6-v2 embeddings) a candidate
is added without asking the update model (``localmem.ops.update.decide``). A higher floor saves
calls; a gold UPDATE / SUPERSEDE / NONE whose target is below it becomes an ADD (both memories
kept: no fact is lost, but the old one is not superseded). Measured on the synthetic dev split
(never trained on, never the hand-written evaluation set): each gold memory against the memories
active when it was said, as the pipeline's store would hold them.

Usage: python bench/bench_update_floor.py [--data-dir DIR] [--split dev]
Writes bench/results/update_floor.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from localmem.adapters.synth.build import default_data_dir, load_conversations  # noqa: E402
from localmem.embed import Embedder  # noqa: E402
from localmem.ops.update import MIN_SIMILARITY  # noqa: E402

FLOORS = (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60)
RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results"


def gold_neighbours(convs, embed) -> list[dict]:
    """Per gold memory said while others were active: its decision, the highest similarity to an
    active memory, and the similarity to its gold target (UPDATE / SUPERSEDE / NONE)."""
    rows = []
    for s in convs:
        memories = s.conversation.memories()
        vectors = dict(zip((m.id for m in memories), embed([m.text for m in memories]))) if memories else {}
        active: list = []
        for m in memories:  # in the order they were said
            if active:
                sims = {a.id: float(vectors[a.id] @ vectors[m.id]) for a in active}
                rows.append({"decision": m.decision.value, "max": max(sims.values()), "target": sims.get(m.target)})
            if m.decision.value in ("UPDATE", "SUPERSEDE"):
                active = [a for a in active if a.id != m.target]
            if m.decision.value != "NONE":
                active.append(m)
    return rows


def table(rows: list[dict]) -> list[dict]:
    non_add = [r for r in rows if r["decision"] != "ADD"]
    out = []
    for floor in FLOORS:
        out.append({"floor": floor, "model_calls": sum(r["max"] >= floor for r in rows), "candidates": len(rows),
                    "non_add_gold": len(non_add),
                    "non_add_below_floor": sum(r["target"] is None or r["target"] < floor for r in non_add)})
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", type=Path, default=default_data_dir(7, 1500))
    p.add_argument("--split", default="dev", choices=("dev", "test"))
    p.add_argument("--out", type=Path, default=RESULTS / "update_floor.json")
    args = p.parse_args(argv)
    convs = load_conversations(args.data_dir, args.split)
    rows = gold_neighbours(convs, Embedder.default().embed)
    result = table(rows)
    print(f"{len(convs)} {args.split} conversations; the shipped floor is {MIN_SIMILARITY}")
    print("| floor | update-model calls | gold UPDATE/SUPERSEDE/NONE with the target below the floor |")
    print("|---:|---:|---:|")
    for r in result:
        print(f"| {r['floor']:.2f} | {r['model_calls']} / {r['candidates']} | {r['non_add_below_floor']} / {r['non_add_gold']} |")
    args.out.write_text(json.dumps({
        "benchmark": "update_floor", "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data_dir": str(args.data_dir).replace(str(Path.home()), "~"), "split": args.split,
        "conversations": len(convs), "shipped_floor": MIN_SIMILARITY, "floors": result}, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
