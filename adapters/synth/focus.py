"""Training examples of an adapter's known failure modes, for oversampling in a continuation.

    python -m localmem.adapters.synth.focus            # -> <data dir>/focus/extract.jsonl
    python -m localmem.adapters.train --operation extract --extra-data <that file> --init-from ...
    python -m localmem.adapters.synth.focus --operation answer --kinds near --max 100 --out F

End-to-end tests with hand-written turns showed where the shipped extract adapter goes wrong while its
F1 on the synthetic dev split is high, because such turns are rare in a uniform sample:

- ``move``: a turn that says the user moved. The gold holds the move event *and* "User lives in
  <new city>" (the fact the update step supersedes the old city with); the adapter wrote the event only,
  and with "so I don't live in <old> any more" it wrote "User lives in <old>".
- ``thanks``: a thank-you with nothing about the user ("haha ok thanks, that's helpful"), which must
  yield nothing; the adapter turned it into "User likes helpful answers".
- ``idle``: any turn with nothing to remember; on the hand-written dev set the adapter stored 12 of
  19 such turns ("ugh it's grim out today, rained all morning" -> "User dislikes rain").
- ``years``: a number of years that is not an age (generator v10); the compact extract adapter
  turned "I've had the trattoria for 22 years" into "User is 22 years old".
- ``inlaw``: a relative of a relative (generator v10, "my wife's brother Marco"); the memory keeps
  both links.
- ``change``: a turn that changes or corrects something already remembered (a new job, diet, routine,
  a correction): one of its gold memories is the new memory of an update example that SUPERSEDEs or
  UPDATEs an existing one (the training split's ``update.jsonl``, same conversation). Continuations
  on group-chat turns kept LoCoMo's gains but lost "now" facts of the one-user assistant.

Answer (``--operation answer``):

- ``near``: an unanswerable question next to a memory on its subject (generator v7, probe ids
  ``n<k>``); end to end the answer adapter restated that memory instead of abstaining.
- ``pair``: a near miss together with the question the same memory does answer (generator v8,
  probe ``c1``), both or neither: trained on near misses alone, the adapter declined answerable
  questions about a remembered subject ("What breed is my dog?" next to "User has a corgi named
  Churro").

The rows are the training split's own examples (no new labels); ``train.py --extra-data`` makes them
up to half of a run.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from localmem.adapters.synth.build import _write_jsonl, default_data_dir, read_jsonl, sample_rows
from localmem.ops import extract as extract_op


def new_user_text(row: dict[str, Any]) -> str:
    """The user's new message of an extract example (the last ``user:`` line after ``NEW:``)."""
    prompt = row["messages"][-1]["content"]
    return prompt.split("NEW:\n", 1)[-1].rsplit("user: ", 1)[-1]


def _gold(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json") for m in extract_op.parse_target(row["target"]).memories]


def is_move(row: dict[str, Any]) -> bool:
    gold = _gold(row)
    return any(m["text"].startswith("User moved to ") for m in gold) and \
        any(m["text"].startswith("User lives in ") for m in gold)


def is_move_and_more(row: dict[str, Any]) -> bool:
    """A move said together with other facts: all of them must come out (a run on ``move`` alone
    learned to stop after the move event and the new city)."""
    return is_move(row) and len(_gold(row)) > 2


def is_thanks(row: dict[str, Any]) -> bool:
    text = new_user_text(row).lower()
    return not _gold(row) and ("thank" in text or "thx" in text)


def is_idle(row: dict[str, Any]) -> bool:
    """Any turn with nothing to remember (generator v4 adds everyday ones with content words)."""
    return not _gold(row)


def is_years(row: dict[str, Any]) -> bool:
    return any(re.search(r"\bfor \d+ years\b", m["text"]) for m in _gold(row))


def is_in_law(row: dict[str, Any]) -> bool:
    return any(re.match(r"User's [\w ]+'s ", m["text"]) for m in _gold(row))


def changed_memories(update_rows: Sequence[dict[str, Any]]) -> set[tuple[str, str]]:
    """(conversation, new memory) of every update example whose gold SUPERSEDEs or UPDATEs an
    existing memory."""
    out = set()
    for r in update_rows:
        if json.loads(r["target"])[0] in ("SUPERSEDE", "UPDATE"):
            new = r["messages"][-1]["content"].rsplit("\nNEW: ", 1)[1].strip()
            out.add((r["conversation"], new))
    return out


def change_selector(update_rows: Sequence[dict[str, Any]]) -> Callable[[dict[str, Any]], bool]:
    """``change``: an extract example one of whose gold memories changes an existing one."""
    changed = changed_memories(update_rows)

    def is_change(row: dict[str, Any]) -> bool:
        return any((row["conversation"], m["text"]) in changed for m in _gold(row))
    return is_change


def is_near_miss(row: dict[str, Any]) -> bool:
    return row["id"].rsplit("/", 1)[-1].startswith("n")


def is_pair(row: dict[str, Any]) -> bool:
    """A near miss or its answerable contrast; ``select`` keeps only conversations with both."""
    return row["id"].rsplit("/", 1)[-1] in ("n1", "c1")


SELECTORS: dict[str, Callable[[dict[str, Any]], bool]] = {"move": is_move, "move+": is_move_and_more,
                                                          "thanks": is_thanks, "idle": is_idle,
                                                          "years": is_years, "inlaw": is_in_law}
ANSWER_SELECTORS: dict[str, Callable[[dict[str, Any]], bool]] = {"near": is_near_miss, "pair": is_pair}


def selectors_for(operation: str, kinds: Sequence[str], update_rows: Sequence[dict[str, Any]] | None = None
                  ) -> dict[str, Callable[[dict[str, Any]], bool]]:
    """The selectors of ``operation``; with ``change`` among ``kinds`` (extract), built from the
    split's ``update_rows``."""
    if operation == "answer":
        return ANSWER_SELECTORS
    selectors = dict(SELECTORS)
    if "change" in kinds:
        if update_rows is None:
            raise ValueError("focus 'change' needs the split's update examples (update_rows)")
        selectors["change"] = change_selector(update_rows)
    return selectors


def select(rows: Sequence[dict[str, Any]], kinds: Sequence[str], operation: str = "extract",
           limit: int | None = None, update_rows: Sequence[dict[str, Any]] | None = None,
           selectors: dict[str, Callable[[dict[str, Any]], bool]] | None = None) -> list[dict[str, Any]]:
    """The rows any of the named selectors picks, each once, in their original order (a seeded
    sample of ``limit`` of them, still in order, when there are more). ``change`` needs the same
    split's ``update_rows`` (or ``selectors`` from ``selectors_for``)."""
    selectors = selectors if selectors is not None else selectors_for(operation, kinds, update_rows)
    unknown = [k for k in kinds if k not in selectors]
    if unknown:
        raise ValueError(f"unknown focus {unknown} for {operation}; expected some of {sorted(selectors)}")
    picked = [r for r in rows if any(selectors[k](r) for k in kinds)]
    groups = [[r] for r in picked]
    if "pair" in kinds:  # both halves of a pair or neither; a pair counts once for ``limit``
        if len(kinds) > 1:
            raise ValueError("focus 'pair' is selected on its own")
        by_conv: dict[str, list[dict[str, Any]]] = {}
        for r in picked:
            by_conv.setdefault(r["conversation"], []).append(r)
        groups = [g for g in by_conv.values() if len(g) == 2]
    groups = sample_rows(groups, limit, "focus")
    chosen = {id(r) for g in groups for r in g}
    return [r for r in picked if id(r) in chosen]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m localmem.adapters.synth.focus", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", type=Path, default=default_data_dir(7, 1500), help="output of synth.build")
    p.add_argument("--operation", choices=("extract", "answer"), default="extract")
    p.add_argument("--kinds", default="move,thanks",
                   help=f"comma-separated, of {sorted([*SELECTORS, 'change'])} (extract) or "
                        f"{sorted(ANSWER_SELECTORS)} (answer)")
    p.add_argument("--max", type=int, help="a seeded sample of at most this many rows (pairs, for pair)")
    p.add_argument("--out", type=Path, help="default: <data dir>/focus/<operation>.jsonl")
    args = p.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    updates = read_jsonl(args.data_dir / "train" / "update.jsonl") if "change" in kinds else None
    selectors = selectors_for(args.operation, kinds, updates)
    rows = select(read_jsonl(args.data_dir / "train" / f"{args.operation}.jsonl"), kinds, args.operation, args.max,
                  selectors=selectors)
    out = args.out or args.data_dir / "focus" / f"{args.operation}.jsonl"
    _write_jsonl(out, rows)
    counts = {k: sum(1 for r in rows if selectors[k](r)) for k in kinds}
    print(f"{len(rows)} examples {counts} -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
