"""Answer examples about people by name, as a conversation among several people stores them.

    python -m localmem.adapters.synth.named --data-dir D [--split train] [--max 600] [--out F]

``Memory.add`` with named speakers (``localmem.speakers``) writes "Caroline is allergic to wheat",
not "User is allergic to wheat", and the questions are about that person ("What is Caroline allergic
to?"). The answer adapter was distilled on the one-user form only: asked about a person it answered
"You are researching adoption agencies" or picked whichever memory was on the subject, whoever it
was about. These examples are the same probes in the named form:

- the persona's memories are about them by their first name; about half of the other lines shown
  are about a second person (the other speaker);
- the question is put in the third person about the persona ("Where do I live?" -> "Where does
  Abena live?"), and the reply is the evidence memory as stored ("Abena lives in Porto.");
- 15% of the answerable probes are asked about the second person instead, whom nothing shown
  answers for: the reply abstains (a memory on the subject about someone else is not an answer);
- 40% of the questions come with a request for a short answer ("In a few words: ..."), answered
  with the probe's short answer ("vegetarian") instead of the memory restated;
- half of the unanswerable probes abstain as in the one-user form (the other half are left out, so
  that abstentions stay the one-user data's share, ~29%: a candidate trained with more abstained
  on answerable questions end to end).

The rows are built from the data directory's own conversations (no new labels) and are meant as
``train.py --extra-data`` beside the one-user examples.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from localmem.adapters.synth.build import _write_jsonl, load_conversations, sample_rows
from localmem.adapters.synth.conversation import Synthetic
from localmem.adapters.synth.examples import _record, _shown_date
from localmem.adapters.synth.pools import FIRST_NAMES
from localmem.ops import answer as answer_op
from localmem.speakers import named

#: Abstentions about a named person. Two say "has not mentioned", the words LoCoMo's metric counts
#: as an abstention ("not mentioned", besides "no information available"): a right refusal in
#: another wording ("hasn't mentioned") scores 0 there.
ABSTAIN = ("I don't know, {name} has not mentioned that.", "There is no information about that.",
           "I don't know; nothing I remember says that about {name}.", "{name} has not mentioned that.")
#: Requests for a short answer around the question, and how often one is made: the reply is then
#: the probe's short answer ("vegetarian", "2025-02-08"), not the memory restated. The adapter
#: wrote a full sentence whatever it was asked ("Caroline is researching adoption agencies." for
#: "in a few words").
_ABSTAIN_RE = re.compile("|".join(re.escape(a).replace(re.escape("{name}"), r"\S+") for a in ABSTAIN))


def is_abstain_target(text: str) -> bool:
    """``text`` is one of the ``ABSTAIN`` replies (for any name)."""
    return _ABSTAIN_RE.fullmatch(text) is not None


BRIEF = ("{q} Answer in a few words.", "In a few words: {q}", "{q} Just the short answer, please.",
         "Short answer: {q}", "{q} (a few words only)", "Briefly: {q}", "Answer with just the key words. {q}")
BRIEF_SHARE = 0.4
SWAPPED = 0.15  # share of answerable probes asked about the other person
UNANSWERABLE_KEPT = 0.5  # share of unanswerable probes kept: abstentions stay ~29%, as in the one-user data

#: First person -> third person about ``{n}``, in order (auxiliaries first, then the bare pronouns).
_THIRD_PERSON = (
    (r"\bdo I\b", "does {n}"), (r"\bam I\b", "is {n}"), (r"\bhave I\b", "has {n}"), (r"\bwas I\b", "was {n}"),
    (r"\bI'm\b", "{n} is"), (r"\bI am\b", "{n} is"), (r"\bI've\b", "{n} has"), (r"\bI have\b", "{n} has"),
    (r"\bI was\b", "{n} was"), (r"\bmyself\b", "themselves"), (r"\bmy\b", "{n}'s"), (r"\bmine\b", "{n}'s"),
    (r"\bme\b", "{n}"), (r"\bI\b", "{n}"),
)
_ABOUT_ASSISTANT = re.compile(r"\byou\b(?! remember\b| recall\b)", re.I)


def third_person(question: str, name: str) -> str | None:
    """'Where do I live?' -> 'Where does Abena live?'; None for a question about the assistant's own
    behaviour ("Which language should you answer me in?"), which has no third-person form."""
    if _ABOUT_ASSISTANT.search(question):
        return None
    out = question
    for pattern, repl in _THIRD_PERSON:
        out = re.sub(pattern, repl.format(n=name), out, flags=re.I)
    return out if out != question else None


def named_answer_examples(syn: Synthetic, seed: int = 0) -> list[dict[str, Any]]:
    conv, out = syn.conversation, []
    rng = random.Random(f"named:{seed}:{conv.id}")
    first = conv.persona.name.split()[0]
    other = rng.choice([n for n in FIRST_NAMES if n != first])
    active = conv.active_memories()
    said = {m.id: s.date for s in conv.sessions for t in s.turns for m in (t.memories or ())}
    today = conv.sessions[-1].date
    for p in conv.probes:
        if not p.answerable and rng.random() >= UNANSWERABLE_KEPT:
            continue
        swapped = p.answerable and rng.random() < SWAPPED
        asked = third_person(p.question, other if swapped else first)
        if asked is None:
            continue
        evidence = [m for m in active if m.id in p.evidence]
        top = evidence + [m for m in active if m.id in p.related]
        others = [m for m in active if m not in top]
        rng.shuffle(others)
        shown = [(m, rng.random() < 0.5) for m in others[: rng.randint(2, 6)]]  # (memory, about the other)
        for m in top:
            shown.insert(rng.randint(0, min(2, len(shown))), (m, False))
        lines = [answer_op.MemoryLine(text=named(m.text, other if theirs else first),
                                      when=date.fromisoformat(_shown_date(m, said[m.id])), kind=m.kind.value)
                 for m, theirs in shown]
        brief = rng.random() < BRIEF_SHARE
        if brief:
            asked = rng.choice(BRIEF).format(q=asked)
        messages = answer_op.build_messages(asked, lines, today=today, prompt="short")
        if p.answerable and evidence and not swapped:
            reply = p.answer if brief and p.answer else named(evidence[0].text, first).rstrip(".") + "."
        else:
            reply = rng.choice(ABSTAIN).format(name=other if swapped else first)
        out.append(_record(conv, "answer", f"{p.id}-named", messages, reply))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m localmem.adapters.synth.named", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", type=Path, required=True, help="output of synth.build")
    p.add_argument("--split", default="train")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--max", type=int, help="a seeded sample of at most this many rows")
    p.add_argument("--out", type=Path, help="default: <data dir>/focus/answer-named-<split>.jsonl")
    args = p.parse_args(argv)
    rows = [r for s in load_conversations(args.data_dir, args.split) for r in named_answer_examples(s, args.seed)]
    rows = sample_rows(rows, args.max, "named")
    out = args.out or args.data_dir / "focus" / f"answer-named-{args.split}.jsonl"
    _write_jsonl(out, rows)
    abstain = sum(1 for r in rows if is_abstain_target(r["target"]))
    print(f"{len(rows)} examples ({abstain} abstain) -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
