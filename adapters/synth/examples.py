"""Training examples for each memory operation, in exactly the form the pipeline sends with an adapter.

Every example is ``{"id", "conversation", "operation", "messages", "target"}`` where ``messages`` is
what ``localmem.ops.<op>.build_messages(..., prompt="short")`` returns for that input and
``target`` is the assistant reply to learn: the JSON of the op's pydantic output model (keys in
declaration order, as the grammar fixes them; for extract from generator v6 on and update from v9
on, the compact arrays ``extract_op.compact_json`` / ``update_op.compact_json`` write) or, for
``answer``, the reply text.

- extract: one per user turn; the new turns are the assistant turn just before it (if any) and the
  user turn, the context is up to ``CONTEXT_TURNS`` earlier turns of the session (as
  ``localmem.pipeline`` reads them from the store); the gold memories with their confidences.
- update: one per gold memory that has similar earlier active memories (the pipeline asks the model
  only then): for ADD, at least one active memory of the same category; for UPDATE / SUPERSEDE /
  NONE, the target. Neighbours are the target plus other active memories, same category first (what
  a similarity search would return), in a seeded order, shown with their dates.
- answer: one per probe; the evidence memory among other active memories (from generator v11 on,
  the ``RECALLED`` a search would rank first: many on the asked subject); the reply is the
  evidence turned into the second person, or an abstention for unanswerable probes (a near miss
  shows the memory on its subject that does not answer it near the top).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from localmem.adapters.synth.conversation import Synthetic
from localmem.adapters.synth.draft import GENERATOR_VERSION
from localmem.eval.devset import Conversation, Decision, GoldMemory
from localmem.ops import answer as answer_op
from localmem.ops import extract as extract_op
from localmem.ops import update as update_op
from localmem.pipeline import CONTEXT_TURNS, NEIGHBOURS
from localmem.store.search import content_words

OPERATIONS = ("extract", "update", "answer")


def _record(conv: Conversation, op: str, key: str, messages: list[dict[str, str]], target: str) -> dict[str, Any]:
    return {"id": f"{conv.id}/{key}", "conversation": conv.id, "operation": op, "messages": messages,
            "target": target}


def extracted(gold: Sequence[GoldMemory], confidence: dict[str, float]) -> list[extract_op.ExtractedMemory]:
    """Gold memories as the extract step outputs them (the conversation's confidence, else 0.9)."""
    return [extract_op.ExtractedMemory(text=m.text, kind=m.kind, category=m.category,
                                       confidence=confidence.get(m.id, 0.9), valid_from=m.valid_from)
            for m in gold]


def extraction_target(gold: Sequence[GoldMemory], confidence: dict[str, float], compact: bool = True) -> str:
    value = extract_op.Extraction(memories=extracted(gold, confidence))
    if compact:
        return extract_op.compact_json(value)
    return json.dumps(value.model_dump(mode="json"), ensure_ascii=False)


def turn_inputs(session: Any, ti: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(new, context) for the user turn ``ti`` of a session, as ``Memory.add`` + the pipeline see them:
    the assistant turn just before it is logged with it; up to ``CONTEXT_TURNS`` earlier turns are context."""
    start = ti - 1 if ti > 0 and session.turns[ti - 1].role == "assistant" else ti
    new = [{"role": t.role, "content": t.content} for t in session.turns[start:ti + 1]]
    context = [{"role": t.role, "content": t.content} for t in session.turns[:start]][-CONTEXT_TURNS:]
    return new, context


def extract_examples(syn: Synthetic, version: int = GENERATOR_VERSION) -> list[dict[str, Any]]:
    conv, out = syn.conversation, []
    for si, session in enumerate(conv.sessions):
        for ti, turn in enumerate(session.turns):
            if turn.role != "user":
                continue
            new, context = turn_inputs(session, ti)
            messages = extract_op.build_messages(new, context, session.date, prompt="short")
            out.append(_record(conv, "extract", f"s{si}/t{ti}", messages,
                               extraction_target(turn.memories or (), syn.confidence, compact=version >= 6)))
    return out


def _shown_date(m: GoldMemory, said: date) -> str:
    """The date the pipeline shows next to a stored memory: valid_from (as a day) or when it was said."""
    if m.valid_from:
        parts = m.valid_from.split("-") + ["01", "01"]
        return "-".join(parts[:3])
    return said.isoformat()


def update_examples(syn: Synthetic, seed: int = 0, version: int = GENERATOR_VERSION) -> list[dict[str, Any]]:
    conv, out = syn.conversation, []
    rng = random.Random(f"update:{seed}:{conv.id}")
    active: dict[str, tuple[GoldMemory, date]] = {}
    for session in conv.sessions:
        for turn in session.turns:
            for m in turn.memories or ():
                others = [v for k, v in active.items() if k != m.target]
                same = [v for v in others if v[0].category == m.category]
                if m.decision is Decision.ADD and not same:
                    # nothing similar: the pipeline adds it without asking the model
                    active[m.id] = (m, session.date)
                    continue
                rest = [v for v in others if v[0].category != m.category]
                rng.shuffle(same)
                rng.shuffle(rest)
                k = rng.randint(1, NEIGHBOURS) - (m.target is not None)
                shown = (same + rest)[: max(k, 0 if m.target else 1)]
                if m.target is not None:
                    shown.insert(rng.randint(0, len(shown)), active[m.target])
                neighbours = [update_op.Neighbour(memory_id=g.id, text=g.text, date=_shown_date(g, d))
                              for g, d in shown]
                if any(update_op.normalise(n.text) == update_op.normalise(m.text) for n in neighbours):
                    pass  # an exact duplicate never reaches the model
                else:
                    idx = next((i for i, n in enumerate(neighbours) if n.memory_id == m.target), None)
                    decision = update_op.UpdateDecision(
                        event=m.decision.value, id=idx,
                        text=m.text if m.decision is Decision.UPDATE else None)
                    target = (update_op.compact_json(decision) if version >= 9
                              else json.dumps(decision.model_dump(mode="json"), ensure_ascii=False))
                    out.append(_record(conv, "update", m.id, update_op.build_messages(m.text, neighbours, "short"),
                                       target))
                if m.decision in (Decision.UPDATE, Decision.SUPERSEDE):
                    active.pop(m.target, None)  # type: ignore[arg-type]
                if m.decision is not Decision.NONE:
                    active[m.id] = (m, session.date)
    return out


_SECOND_PERSON = (
    (r"^User's ", "Your "), (r"^User is ", "You are "), (r"^User was ", "You were "), (r"^User has ", "You have "),
    (r"^User does not ", "You do not "), (r"^User ", "You "),
)
ABSTAIN = ("I don't know, you haven't told me that.", "I don't remember you telling me that.",
           "I don't have any information about that yet.", "I don't know. You haven't mentioned it to me.")


_IRREGULAR = {"does": "do", "goes": "go"}


def second_person(text: str, irregular: bool = True) -> str:
    """'User loves jazz' -> 'You love jazz.'; 'User's cat is named Fig' -> 'Your cat is named Fig.'

    ``irregular=False``: generators 1-10, which wrote "User does padel" as "You doe padel"."""
    for pattern, repl in _SECOND_PERSON:
        if re.match(pattern, text):
            out = re.sub(pattern, repl, text, count=1)
            break
    else:
        out = text
    if repl == "You ":
        m = re.match(r"^You (\w+)\b", out)
        if m and irregular and m.group(1) in _IRREGULAR:
            out = f"You {_IRREGULAR[m.group(1)]}" + out[len("You ") + len(m.group(1)):]
        elif m and m.group(1).endswith("s") and not m.group(1).endswith("ss"):
            verb = m.group(1)
            base = verb[:-2] if verb.endswith(("ches", "shes", "sses", "xes")) else verb[:-1]
            base = base[:-1] + "y" if verb.endswith("ies") else base
            out = f"You {base}" + out[len("You ") + len(verb):]
    out = out.replace(" the user's ", " your ").replace(" their ", " your ")
    return out.rstrip(".") + "."


#: How many memories the assistant retrieves for a question (``Assistant.recall``).
RECALLED = 8


def _ranked_like_search(question: str, first: list[GoldMemory], others: list[GoldMemory],
                        rng: random.Random) -> list[GoldMemory]:
    """Generator v11: the lines a search would return beside the evidence: the memories sharing
    most content words with the question, then those of the evidence's category, ties in a seeded
    order; the pipeline shows several memories on the asked subject, not one among strangers."""
    asked = set(content_words(question))
    categories = {m.category for m in first}
    ties = {m.id: rng.random() for m in others}
    ranked = sorted(others, key=lambda m: (-len(asked & set(content_words(m.text))),
                                           m.category not in categories, ties[m.id]))
    return ranked[: max(RECALLED - len(first), 0)]


def answer_examples(syn: Synthetic, seed: int = 0, version: int = GENERATOR_VERSION) -> list[dict[str, Any]]:
    conv, out = syn.conversation, []
    rng = random.Random(f"answer:{seed}:{conv.id}")
    active = conv.active_memories()
    said = {m.id: s.date for s in conv.sessions for t in s.turns for m in (t.memories or ())}
    today = conv.sessions[-1].date
    for p in conv.probes:
        evidence = [m for m in active if m.id in p.evidence]
        first = evidence + [m for m in active if m.id in p.related]  # near the top, as retrieval shows them
        others = [m for m in active if m not in first]
        if version >= 11:
            shown = _ranked_like_search(p.question, first, others, rng)
        else:
            rng.shuffle(others)
            shown = others[: rng.randint(2, 6)]
        for m in first:
            shown.insert(rng.randint(0, min(2, len(shown))), m)
        lines = [answer_op.MemoryLine(text=m.text, when=date.fromisoformat(_shown_date(m, said[m.id])),
                                      kind=m.kind.value) for m in shown]
        messages = answer_op.build_messages(p.question, lines, today=today, prompt="short")
        reply = (second_person(evidence[0].text, irregular=version >= 11) if p.answerable and evidence
                 else rng.choice(ABSTAIN))
        out.append(_record(conv, "answer", p.id, messages, reply))
    return out


def examples(syn: Synthetic, operation: str, seed: int = 0, version: int = GENERATOR_VERSION) -> list[dict[str, Any]]:
    if operation == "extract":
        return extract_examples(syn, version)
    if operation == "update":
        return update_examples(syn, seed, version)
    if operation == "answer":
        return answer_examples(syn, seed, version)
    raise ValueError(f"unknown operation {operation!r}: expected one of {', '.join(OPERATIONS)}")
