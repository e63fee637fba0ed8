"""Teacher replies to general requests, for the answer adapter's training set.

The answer adapter must answer from memory and abstain when memory has nothing (learned from the
gold probes of ``synth``), and stay as helpful as the base on everything else. For the latter, a
teacher (a registry model under the full answer prompt: instructions plus memory block) answers the
general requests of ``synth.general``, each shown with memories of a training persona; the student
example is the same input under the short prompt with the teacher's reply as target. Replies are
filtered: cut off at the token limit, empty, or claiming not to know or remember (a general request
never needs that) are kept in the file with ``kept: false`` and a reason, and are not trained on.

Resumable: rows are appended one by one and a restart skips the ids already written.

    python -m localmem.adapters.teacher --n 120              # teacher = the 0.5B base (self-distillation)
    python -m localmem.adapters.teacher --model quality      # the 1.5B (about three times slower)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from localmem.adapters.synth.build import default_data_dir, load_conversations
from localmem.adapters.synth.conversation import Synthetic
from localmem.adapters.synth.examples import _shown_date
from localmem.adapters.synth.general import requests
from localmem.ops import answer as answer_op

# Style lines as localmem.preferences.render.style_line writes them from tracked preferences: in
# some examples, so the adapter keeps following them under the short prompt.
STYLES = ("Style: answer very briefly (one or two sentences).", "Style: answer briefly; casual, relaxed tone.",
          "Style: answer in detail, explaining fully.", "Style: use a bulleted or numbered list.",
          "Style: give a fairly complete answer; formal, polite tone.", "Style: plain words, no jargon.",
          "Style: write prose, no lists; be warm and friendly.")
STYLE_SHARE = 0.4

REFUSALS = ("don't know", "do not know", "don't remember", "do not remember", "haven't told", "no information",
            "haven't mentioned", "not mentioned", "as an ai")


def general_inputs(syn: Synthetic, request: str, rng: random.Random) -> tuple[list[dict[str, str]],
                                                                                list[dict[str, str]]]:
    """(teacher messages under the full prompt, student messages under the short prompt); some
    carry a style line."""
    conv = syn.conversation
    said = {m.id: s.date for s in conv.sessions for t in s.turns for m in (t.memories or ())}
    active = conv.active_memories()
    shown = rng.sample(active, min(len(active), rng.randint(2, 6)))
    lines = [answer_op.MemoryLine(text=m.text, when=date.fromisoformat(_shown_date(m, said[m.id])),
                                  kind=m.kind.value) for m in shown]
    today = conv.sessions[-1].date
    style = rng.choice(STYLES) if rng.random() < STYLE_SHARE else ""
    return (answer_op.build_messages(request, lines, today=today, style=style, prompt="full"),
            answer_op.build_messages(request, lines, today=today, style=style, prompt="short"))


def verdict(text: str, finish_reason: str | None) -> str | None:
    """Why a teacher reply is not trained on, or None when it is kept."""
    if finish_reason != "stop":
        return f"cut off ({finish_reason})"
    if not text.strip():
        return "empty"
    lowered = text.lower()
    hit = next((r for r in REFUSALS if r in lowered), None)
    return f"refusal ({hit!r})" if hit else None


def done_ids(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    return {json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()}


def run(data_dir: Path, model: str, n: int, seed: int, out: Path, max_tokens: int, threads: int | None) -> int:
    from localmem.llm import Runtime

    convs = load_conversations(data_dir, "train")
    rng = random.Random(f"teacher:{seed}")
    picked = rng.sample(convs, min(n, len(convs)))
    asks = requests(seed, "train")
    todo = []
    for i, syn in enumerate(picked):
        request = asks[i % len(asks)]
        teacher, student = general_inputs(syn, request, random.Random(f"teacher:{seed}:{syn.conversation.id}"))
        todo.append((f"{syn.conversation.id}/general", teacher, student))
    have = done_ids(out)
    todo = [t for t in todo if t[0] not in have]
    print(f"{len(have)} done, {len(todo)} to go; teacher {model}; writing {out}", flush=True)
    if not todo:
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"n_threads": threads} if threads else {}
    with Runtime.from_registry(model, **kwargs) as rt:
        rt.load()
        started = time.monotonic()
        for k, (row_id, teacher, student) in enumerate(todo, 1):
            result = rt.chat(teacher, temperature=0.0, max_tokens=max_tokens)
            why = verdict(result.text, result.finish_reason)
            row = {"id": row_id, "conversation": row_id.split("/")[0], "operation": "answer",
                   "messages": student, "target": result.text.strip(), "kept": why is None, "dropped": why,
                   "teacher": model, "completion_tokens": result.stats.completion_tokens}
            with out.open("a") as f:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
            per = (time.monotonic() - started) / k
            print(f"[{k}/{len(todo)}] {row_id} {'kept' if why is None else why} "
                  f"{result.stats.completion_tokens} tok; eta {per * (len(todo) - k) / 60:.1f} min", flush=True)
    return 0


def default_out(data_dir: Path, model: str) -> Path:
    return data_dir / "teacher" / f"answer-general-{model}.jsonl"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m localmem.adapters.teacher", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", type=Path, default=default_data_dir(7, 1500), help="output of synth.build")
    p.add_argument("--model", default="fast", help="registry name of the teacher (default: fast, the base itself)")
    p.add_argument("--n", type=int, default=120, help="number of examples (one training persona each)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--max-tokens", type=int, default=220, help="longer replies are dropped, not cut")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out", type=Path, help="default: <data-dir>/teacher/answer-general-<model>.jsonl")
    args = p.parse_args(argv)
    if not (args.data_dir / "conversations.jsonl").is_file():
        print(f"error: {args.data_dir} has no conversations.jsonl; run python -m localmem.adapters.synth.build",
              file=sys.stderr)
        return 2
    return run(args.data_dir, args.model, args.n, args.seed, args.out or default_out(args.data_dir, args.model),
               args.max_tokens, args.threads)


if __name__ == "__main__":
    raise SystemExit(main())
