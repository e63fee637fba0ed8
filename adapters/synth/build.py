"""Write the synthetic data set: conversations and per-operation examples, split by persona.

    python -m localmem.adapters.synth.build --n 1500 --seed 7        # ~/.cache/localmem/memlora/data-s7-n1500/

Layout of the output directory::

    conversations.jsonl            one ``Synthetic.to_json()`` per line (all splits)
    <split>/<operation>.jsonl      training examples (``localmem.adapters.synth.examples``)
    card.json                      counts and sha256 of every file

The card is also written to ``--card`` (default: ``adapters/synth/data_card.json``, committed) so
the repository records exactly which data an adapter was trained on without shipping the data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from localmem.adapters.synth.conversation import SPLITS, Synthetic, make_conversation
from localmem.adapters.synth.draft import GENERATOR_VERSION
from localmem.adapters.synth.examples import OPERATIONS, examples
from localmem.eval.devset import eval_persona_names

T = TypeVar("T")

DEFAULT_CARD = Path(__file__).resolve().parent / "data_card.json"


def default_data_dir(seed: int, n: int, version: int = GENERATOR_VERSION) -> Path:
    cache = os.environ.get("LOCALMEM_CACHE") or Path.home() / ".cache/localmem"
    return Path(cache) / "memlora" / f"data-v{version}-s{seed}-n{n}"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    tmp.replace(path)


def sample_rows(rows: Sequence[T], limit: int | None, salt: str) -> list[T]:
    """A seeded sample of at most ``limit`` of ``rows``, in their order (the seed is
    ``f"{salt}:{limit}"``, so each CLI's samples stay what they were)."""
    if limit is None or len(rows) <= limit:
        return list(rows)
    keep = set(random.Random(f"{salt}:{limit}").sample(range(len(rows)), limit))
    return [r for i, r in enumerate(rows) if i in keep]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_conversations(data_dir: Path, split: str | None = None) -> list[Synthetic]:
    rows = read_jsonl(data_dir / "conversations.jsonl")
    return [Synthetic.from_json(r) for r in rows if split is None or r["split"] == split]


def build(n: int, seed: int, out: Path, version: int = GENERATOR_VERSION) -> dict[str, Any]:
    """Generate ``n`` conversations and their examples into ``out``; return the data card."""
    synthetic = [make_conversation(seed, i, version) for i in range(n)]
    refused = eval_persona_names()
    clash = refused & {s.conversation.persona.name for s in synthetic}
    if clash:  # make_conversation never picks them; this guards future changes
        raise RuntimeError(f"generated personas overlap the evaluation set: {sorted(clash)}")
    _write_jsonl(out / "conversations.jsonl", [s.to_json() for s in synthetic])
    card: dict[str, Any] = {"generator_version": version, "seed": seed, "n_conversations": n,
                            "splits": {}, "files": {}}
    for split in SPLITS:
        part = [s for s in synthetic if s.split == split]
        memories = [m for s in part for m in s.conversation.memories()]
        turns = [t for s in part for t in s.conversation.user_turns()]
        info: dict[str, Any] = {
            "conversations": len(part), "user_turns": len(turns),
            "empty_turns": sum(1 for t in turns if not t.gold), "memories": len(memories),
            "decisions": dict(sorted(Counter(m.decision.value for m in memories).items())),
            "kinds": dict(sorted(Counter(m.kind.value for m in memories).items())),
            "categories": dict(sorted(Counter(m.category.value for m in memories).items())),
            "dated": sum(1 for m in memories if m.valid_from), "examples": {},
        }
        for op in OPERATIONS:
            rows = [e for s in part for e in examples(s, op, seed, version)]
            path = out / split / f"{op}.jsonl"
            _write_jsonl(path, rows)
            info["examples"][op] = len(rows)
            card["files"][f"{split}/{op}.jsonl"] = sha256_file(path)
        card["splits"][split] = info
    card["files"]["conversations.jsonl"] = sha256_file(out / "conversations.jsonl")
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m localmem.adapters.synth.build", description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1500, help="number of conversations (one persona each)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, help="output directory (default: under $LOCALMEM_CACHE/memlora)")
    p.add_argument("--generator-version", type=int, choices=range(1, GENERATOR_VERSION + 1),
                   default=GENERATOR_VERSION,
                   help=f"1 to {GENERATOR_VERSION - 1} reproduce the data of the adapters' earlier runs")
    p.add_argument("--card", type=Path, default=DEFAULT_CARD, help="where to copy the data card")
    args = p.parse_args(argv)
    out = args.out or default_data_dir(args.seed, args.n, args.generator_version)
    card = build(args.n, args.seed, out, args.generator_version)
    card_out = {**card, "data_dir": str(out).replace(str(Path.home()), "~")}
    args.card.write_text(json.dumps(card_out, indent=2) + "\n")
    for split, info in card["splits"].items():
        print(f"{split:5s} conversations {info['conversations']:5d}  user turns {info['user_turns']:6d}  "
              f"memories {info['memories']:6d}  examples {info['examples']}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
