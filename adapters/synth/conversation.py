"""Personas and dated multi-session conversations, as validated ``localmem.eval.devset.Conversation``s.

``make_conversation(seed, index)`` is deterministic: the same seed and index give the same
conversation on any machine. Persona names come from a seeded permutation of first x last names, so
they are unique across indexes, and the evaluation set's persona names are refused.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from localmem.adapters.synth import asks, chatter, facts_life, facts_taste, near_miss
from localmem.adapters.synth import pools as P
from localmem.adapters.synth.draft import GENERATOR_VERSION, Ctx, Draft, Piece
from localmem.eval.devset import Conversation, eval_persona_names

INTRO = facts_life.INTRO + facts_taste.INTRO
INTRO_V10 = INTRO + facts_life.INTRO_V10
CHANGES = facts_life.CHANGES + facts_taste.CHANGES
#: Templates that may be used more than once in one conversation (they draw a new subject each time).
REUSABLE = {"child", "pet", "relative", "friend", "food_like", "food_dislike", "appointment", "purchase",
            "trip_past", "in_law", "book_genre", "screen_genre", "allergy", "constraint", "style"}
SPLITS = ("train", "dev", "test")
FIRST_DAY = date(2022, 1, 3)


@dataclass
class Synthetic:
    """A generated conversation, the split its persona belongs to, and per-memory confidences."""

    conversation: Conversation
    split: str
    confidence: dict[str, float] = field(default_factory=dict)
    style: str = "plain"

    def to_json(self) -> dict[str, Any]:
        return {"split": self.split, "style": self.style, "confidence": self.confidence,
                "conversation": self.conversation.model_dump(mode="json", exclude_defaults=False)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Synthetic:
        return cls(Conversation.model_validate(data["conversation"]), data["split"], data["confidence"],
                   data.get("style", "plain"))


def split_of(seed: int, index: int, dev: float = 0.1, test: float = 0.1) -> str:
    """The persona's split, from a hash of (seed, index): stable, and independent of how many are made."""
    u = int(hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if u < test else "dev" if u < test + dev else "train"


@lru_cache(maxsize=4)
def _names(seed: int) -> tuple[str, ...]:
    combos = [f"{f} {l}" for f, l in itertools.product(P.FIRST_NAMES, P.LAST_NAMES)]
    random.Random(f"names:{seed}").shuffle(combos)
    refused = eval_persona_names()
    return tuple(n for n in combos if n not in refused)


def persona_name(seed: int, index: int) -> str:
    names = _names(seed)
    if index >= len(names):
        raise ValueError(f"persona index {index} out of range: at most {len(names)} distinct personas")
    return names[index]


class _Builder:
    """Accumulates sessions, assigns memory ids and resolves decision targets."""

    def __init__(self, rng: random.Random, name: str):
        self.rng = rng
        self.first = name.split()[0]
        self.state: dict[str, Any] = {}
        self.key_to_id: dict[str, str] = {}
        self.active: dict[str, Draft] = {}      # memory id -> draft, for memories still active
        self.drafts: dict[str, Draft] = {}
        self.texts: set[str] = set()
        self.used: set[str] = set()
        self.confidence: dict[str, float] = {}
        self.version = GENERATOR_VERSION
        self.turn_changes: set[str] = set()  # subjects changed by the turn being written
        self.aug: random.Random | None = None  # generator v2's own stream (make_conversation seeds it)
        self.n = 0

    def ctx(self, day: date) -> Ctx:
        return Ctx(self.rng, day, self.state, self.first, version=self.version)

    def _intro(self, c: Ctx) -> Piece | None:
        for _ in range(6):
            fn = c.pick(INTRO_V10 if self.version >= 10 else INTRO)
            if fn.__name__ in self.used and fn.__name__ not in REUSABLE:
                continue
            piece = fn(c)
            if any(d.text in self.texts for d in piece.memories):
                continue
            self.used.add(fn.__name__)
            return piece
        return None

    def _change(self, c: Ctx) -> Piece | None:
        for fn in self.rng.sample(CHANGES, len(CHANGES)):
            saved = copy.deepcopy(self.state) if self.version >= 3 else None
            piece = fn(c)
            targets = {d.target for d in piece.memories if d.target} if piece is not None else set()
            if piece is not None and all(t in self.key_to_id for t in targets) and not (
                    self.version >= 3 and targets & self.turn_changes):  # v3: one change per subject per turn
                self.turn_changes |= targets
                return piece
            if saved is not None:  # v3: a rejected change leaves no trace (v1/v2 kept e.g. its new city)
                self.state.clear()
                self.state.update(saved)
        return None

    def _repeat(self, c: Ctx) -> Piece | None:
        options = [(mid, d) for mid, d in self.active.items() if d.repeat_say and d.repeat_text]
        if not options:
            return None
        mid, d = c.pick(options)
        return Piece(d.repeat_say, [Draft(d.repeat_text, d.kind, d.category, d.confidence,  # type: ignore[arg-type]
                                          decision="NONE", target="id:" + mid)])

    def without_stale_repeats(self, pieces: list[Piece]) -> list[Piece]:
        """v3: drop a repeat of a memory that another piece of the same turn changes ("I moved to
        Belfast ... still in Rotterdam, yes"): v1/v2 kept both, and labelled the repeat as new."""
        changed = {d.target for p in pieces for d in p.memories
                   if d.decision in ("UPDATE", "SUPERSEDE") and d.target and not d.target.startswith("id:")}
        holders = {self.key_to_id[k] for k in changed if k in self.key_to_id}
        return [p for p in pieces if not any(d.decision == "NONE" and d.target and d.target[3:] in holders
                                             for d in p.memories)]

    def piece(self, c: Ctx, first_session: bool) -> Piece | None:
        roll = self.rng.random()
        if first_session or roll < 0.5:
            return self._intro(c)
        if roll < 0.8:
            return self._change(c) or self._intro(c)
        return self._repeat(c) or self._intro(c)

    def gold(self, drafts: list[Draft]) -> list[dict[str, Any]]:
        out = []
        for d in drafts:
            self.n += 1
            mid = f"m{self.n}"
            target = None
            decision = d.decision
            if d.target and d.target.startswith("id:"):
                target = d.target[3:]
            elif d.target:
                target = self.key_to_id.get(d.target)
            if decision != "ADD" and (target is None or target not in self.active):
                decision, target = "ADD", None
            if decision in ("UPDATE", "SUPERSEDE") and target:
                self.active.pop(target, None)
                for k, v in list(self.key_to_id.items()):
                    if v == target:
                        del self.key_to_id[k]
            if d.key and decision != "NONE":
                self.key_to_id[d.key] = mid
            if decision != "NONE":
                self.active[mid] = d
            self.drafts[mid] = d
            self.texts.add(d.text)
            self.confidence[mid] = d.confidence
            out.append({"id": mid, "text": d.text, "kind": d.kind, "category": d.category,
                        "valid_from": d.valid_from, "decision": decision, "target": target})
        return out


def _user_turn(b: _Builder, c: Ctx, style: str, first_session: bool) -> tuple[str, list[Draft], str | None]:
    """One user turn: (text, gold drafts, an assistant question asked just before it, if any)."""
    rng = b.rng
    if rng.random() < (0.12 if first_session else 0.22):
        return chatter.style_text(c, chatter.empty(c).say, style), [], None
    n = rng.choice((1, 1, 2, 2, 2, 3))
    b.turn_changes = set()
    pieces = [p for p in (b.piece(c, first_session) for _ in range(n)) if p is not None]
    if b.version >= 3:
        pieces = b.without_stale_repeats(pieces)
    if not pieces:
        return chatter.style_text(c, chatter.empty(c).say, style), [], None
    if rng.random() < 0.15:  # a remark about someone else, mixed in: still nothing about the user
        pieces.insert(rng.randrange(len(pieces) + 1), chatter.other_person(c))
    # v2: a move sometimes says the old city is left behind
    if b.aug is not None:
        pieces = [replace(p, say=p.say + b.aug.choice(LEFT_CITY).format(old=p.left))
                  if p.left and b.aug.random() < 0.4 else p for p in pieces]
    text = pieces[0].say
    for p in pieces[1:]:
        text += c.pick(chatter.CONNECTORS) + p.say
    text = c.pick(chatter.OPENERS) + text + c.pick(chatter.ENDINGS)
    drafts = [d for p in pieces for d in p.memories]
    text = chatter.style_text(c, text, style)
    return (_mix_in(b.aug, text, drafts, style, b.version) if b.aug is not None else text), drafts, None


LEFT_CITY = (", so I don't live in {old} any more", " - no more {old} for me", ", I'm not in {old} anymore",
             ". said goodbye to {old}", ", {old} is behind me now")
MIXED_SHARE = 0.2  # fact turns that end with a question or small talk


def _mix_in(aug: random.Random, text: str, drafts: list[Draft], style: str, version: int) -> str:
    """Generator v2: a fact turn sometimes ends with a question or small talk, which must not make
    the model drop the facts (the gold memories are unchanged). Drawn from ``aug``, a stream of its
    own, like the "not in <old city> any more" of a move (a negation that must not become "User
    lives in <old city>")."""
    if drafts and aug.random() < MIXED_SHARE:
        extra = aug.choice(chatter.QUESTIONS + chatter.SMALL_TALK)
        if version >= 4 and aug.random() < 0.5:
            extra = chatter.everyday(aug)
        extra = extra.lower() if style in ("lower", "typos") else extra[:1].upper() + extra[1:]
        text = text.rstrip() + aug.choice((". ", "! ", " - ", ". btw ", ". oh and ", "\n")) + extra
    return text


def make_conversation(seed: int, index: int, version: int = GENERATOR_VERSION) -> Synthetic:
    """The ``index``-th synthetic conversation of ``seed`` (deterministic) as generator ``version``
    makes it (1: without the mixed-in questions and left-behind cities of 2; 1 and 2: with the
    wrong gold date of "the day after tomorrow" that 3 fixes; 4: everyday turns with content words
    that are still nothing to remember, ``chatter.everyday``; 5: answer probes in many phrasings and
    about more kinds of memory, ``asks``, and no "a the bar exam")."""
    rng = random.Random(f"conv:{seed}:{index}")
    name = persona_name(seed, index)
    b = _Builder(rng, name)
    b.aug = random.Random(f"aug:{seed}:{index}") if version >= 2 else None
    b.version = version
    style = rng.choice(chatter.STYLES)
    day = FIRST_DAY + timedelta(days=rng.randrange(0, 1200))
    sessions = []
    for si in range(rng.choice((2, 3, 3, 4))):
        if si:
            day += timedelta(days=rng.randrange(4, 75))
        c = b.ctx(day)
        turns: list[dict[str, Any]] = []
        for ti in range(rng.choice((2, 3, 3, 4))):
            if ti:
                turns.append({"role": "assistant", "content": c.pick(chatter.ASSISTANT)})
            text, drafts, _ = _user_turn(b, c, style, si == 0)
            turns.append({"role": "user", "content": text, "memories": b.gold(drafts)})
        sessions.append({"date": day.isoformat(), "turns": turns})
    summary = f"synthetic persona #{index} ({style} writing), {len(b.drafts)} memories over {len(sessions)} sessions"
    data = {"id": f"syn{index:05d}", "persona": {"name": name, "summary": summary}, "sessions": sessions,
            "probes": _probes(b, rng, random.Random(f"ask:{seed}:{index}"))}
    return Synthetic(Conversation.model_validate(data), split_of(seed, index), b.confidence, style)


UNANSWERABLE = (
    ("pets", "What is my dog's name?"), ("partner", "What is my partner's name?"),
    ("city", "Which city do I live in?"), ("job", "What do I do for a living?"),
    ("trip", "Where am I travelling to next?"), ("sport", "Which sport do I do?"),
    ("team", "Which team do I support?"), ("saving", "How much do I save each month?"),
    ("age", "How old am I?"), ("origin", "Where am I from?"), ("learning", "What am I learning at the moment?"),
)


def _unasked(b: _Builder) -> list[str]:
    """The fixed unanswerable questions that nothing in the persona's state or memories answers."""
    return [q for key, q in UNANSWERABLE if key not in b.state and not any(
        d.ask and d.ask[0] == q for d in b.active.values())]


def _probes(b: _Builder, rng: random.Random, ask_rng: random.Random) -> list[dict[str, Any]]:
    """Answer probes; from generator v5 on, their wording is drawn from ``ask_rng``, a stream of its own."""
    if b.version >= 5:
        return _probes_v5(b, rng, ask_rng)
    probes = []
    asks = [(mid, d) for mid, d in b.active.items() if d.ask]
    for i, (mid, d) in enumerate(rng.sample(asks, min(3, len(asks)))):
        question, answer = d.ask  # type: ignore[misc]
        probes.append({"id": f"p{i + 1}", "question": question, "answerable": True, "answer": answer,
                       "evidence": [mid]})
    unknown = _unasked(b)
    for j, q in enumerate(rng.sample(unknown, min(rng.choice((1, 2)), len(unknown)))):
        probes.append({"id": f"u{j + 1}", "question": q, "answerable": False})
    return probes


def _probes_v5(b: _Builder, rng: random.Random, ask_rng: random.Random) -> list[dict[str, Any]]:
    """Generator v5: up to four answerable probes, also about memories without a fixed question
    (``asks.derived_ask``), most asked in another phrasing (``asks.rephrase``)."""
    options: list[tuple[str, str, str, str]] = []  # (memory id, question, question asked, answer)
    for mid, d in b.active.items():
        if d.ask:
            options.append((mid, d.ask[0], asks.rephrase(d.ask[0], ask_rng), d.ask[1]))
        elif derived := asks.derived_ask(d.text, ask_rng):
            options.append((mid, *derived))
    counts = Counter(o[1].lower() for o in options)
    options = [o for o in options if counts[o[1].lower()] == 1]  # one memory answers each question
    probes = [{"id": f"p{i + 1}", "question": asked, "answerable": True, "answer": a, "evidence": [mid]}
              for i, (mid, _, asked, a) in enumerate(rng.sample(options, min(4, len(options))))]
    unknown = _unasked(b) + asks.unanswerable_derived([d.text for d in b.active.values()])
    for j, q in enumerate(rng.sample(unknown, min(rng.choice((1, 2)), len(unknown)))):
        probes.append({"id": f"u{j + 1}", "question": asks.rephrase(q, ask_rng), "answerable": False})
    if b.version >= 7:  # a near miss: a detail of a remembered subject that nothing states
        ids, texts = list(b.active), [d.text for d in b.active.values()]
        near = near_miss.near_misses(texts, ask_rng)
        if near and ask_rng.random() < 0.75:
            question, i = ask_rng.choice(near)
            probes.append({"id": "n1", "question": question, "answerable": False, "related": [ids[i]]})
            if b.version >= 8:
                # v8: and the question that memory does answer (probe "c1"), so that the subject alone
                # never means "abstain" (trained on near misses alone, the adapter declined "What breed
                # is my dog?" next to "User has a corgi named Churro")
                asked_already = [p for p in probes if p.get("evidence") == [ids[i]]]
                pair = [o for o in options if o[0] == ids[i]]
                if asked_already:
                    asked_already[0]["id"] = "c1"
                elif pair:
                    mid, _, asked, answer = pair[0]
                    probes.append({"id": "c1", "question": asked, "answerable": True, "answer": answer,
                                   "evidence": [mid]})
    return probes
