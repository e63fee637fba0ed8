"""LoCoMo: loading the conversations and questions, stratified samples, and how questions are asked.

LoCoMo (snap-research, CC BY-NC 4.0) is read in place from a path the caller gives; it is never
copied into the repository. One sample is one conversation between two speakers over up to ~30
sessions, each with a date, and its QA items ``{question, answer | adversarial_answer, evidence,
category}``.

Category numbers as LoCoMo's own evaluation code uses them (checked against the questions: every
category-2 question is "When did ...", category 5 has no answer, category 4 is the largest):
1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop, 5 adversarial.

Questions are put to a system the way LoCoMo's evaluation scripts put them to a model: a short-answer
instruction, " Use DATE of CONVERSATION to answer with an approximate date." after temporal
questions, and adversarial questions as a two-option choice between "No information available" and
the adversarial answer, in a seeded random order (``ask``); ``Question.choice`` maps a reply of
"(a)" / "(b)" back to the option's text before scoring, as LoCoMo does.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

CATEGORIES: dict[int, str] = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
DIA_ID = re.compile(r"D(\d+):\d+")
NO_INFO = "No information available"

#: LoCoMo's short-answer instruction (task_eval), worded for an assistant that remembers conversations.
QA_INSTRUCTION = ("Based on the conversations you remember, write a short answer for the following question in a "
                  "few words. Do not write complete and lengthy sentences. Answer with exact words from the "
                  "conversations whenever possible.\n\nQuestion: {question}")
TEMPORAL_SUFFIX = " Use DATE of CONVERSATION to answer with an approximate date."
CHOICE = " (a) {a} (b) {b}. Select the correct answer by writing (a) or (b)."


class LocomoError(ValueError):
    """The data file or a selection is not what the harness needs."""


def default_data_path() -> Path:
    """``shared/bench/locomo/locomo10.json`` beside the repository (the project's layout)."""
    return Path(__file__).resolve().parents[3] / "shared/bench/locomo/locomo10.json"


@dataclass(frozen=True)
class Turn:
    speaker: str
    dia_id: str
    text: str
    caption: str | None = None

    def said(self) -> str:
        """The text, plus ``[shares a photo: <caption>]`` when the turn has an image."""
        return self.text + f" [shares a photo: {self.caption}]" if self.caption else self.text

    def render(self) -> str:
        """``"<speaker>: <text>"`` (and the photo's caption)."""
        return f"{self.speaker}: {self.said()}"


@dataclass(frozen=True)
class Session:
    number: int
    date: datetime  # UTC
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Question:
    sample_id: str
    index: int  # position in the sample's qa list (stable id)
    question: str
    answer: str  # for adversarial questions: NO_INFO
    category: int
    evidence: frozenset[str]
    adversarial_answer: str | None = None

    @property
    def key(self) -> str:
        return f"{self.sample_id}/q{self.index}"

    @property
    def category_name(self) -> str:
        return CATEGORIES[self.category]

    @property
    def sessions(self) -> set[int]:
        return {int(DIA_ID.match(e).group(1)) for e in self.evidence}  # type: ignore[union-attr]


@dataclass(frozen=True)
class Conversation:
    sample_id: str
    speakers: tuple[str, str]
    sessions: tuple[Session, ...]
    questions: tuple[Question, ...] = field(repr=False)

    def turns(self) -> int:
        return sum(len(s.turns) for s in self.sessions)


def session_time(text: str) -> datetime:
    """LoCoMo's ``"1:56 pm on 8 May, 2023"`` as a UTC datetime."""
    try:
        return datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y").replace(tzinfo=timezone.utc)
    except ValueError:
        raise LocomoError(f"unreadable session date {text!r}") from None


def parse_sample(sample: dict[str, Any]) -> Conversation:
    try:
        sid, conv = sample["sample_id"], sample["conversation"]
        numbers = sorted(int(k.split("_")[1]) for k in conv if re.fullmatch(r"session_\d+", k))
        sessions = []
        for n in numbers:
            turns = tuple(Turn(t["speaker"], t["dia_id"], t["text"], t.get("blip_caption"))
                          for t in conv[f"session_{n}"])
            if turns:
                sessions.append(Session(n, session_time(conv[f"session_{n}_date_time"]), turns))
        questions = []
        for i, qa in enumerate(sample["qa"]):
            cat = int(qa["category"])
            if cat not in CATEGORIES:
                raise LocomoError(f"{sid} qa {i}: unknown category {cat}")
            evidence = frozenset(m.group(0) for e in qa.get("evidence", []) for m in re.finditer(r"D\d+:\d+", e))
            answer = NO_INFO if cat == 5 else str(qa["answer"])
            questions.append(Question(sid, i, qa["question"], answer, cat, evidence, qa.get("adversarial_answer")))
        return Conversation(sid, (conv["speaker_a"], conv["speaker_b"]), tuple(sessions), tuple(questions))
    except KeyError as exc:
        raise LocomoError(f"LoCoMo sample {sample.get('sample_id', '?')}: missing key {exc}") from None


def load(path: str | Path | None = None) -> list[Conversation]:
    """All conversations of a LoCoMo JSON file (default: ``default_data_path()``)."""
    path = Path(path) if path is not None else default_data_path()
    if not path.is_file():
        raise LocomoError(f"LoCoMo data not found at {path} (give --data PATH; see shared/bench/locomo/SOURCE.md)")
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise LocomoError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, list):
        raise LocomoError(f"{path}: expected a list of samples")
    return [parse_sample(s) for s in data]


def truncate(conv: Conversation, sessions: int | None) -> Conversation:
    """The first ``sessions`` sessions, and only the questions whose evidence lies within them
    (questions without evidence are kept only for the whole conversation)."""
    if sessions is None or sessions >= len(conv.sessions):
        return conv
    if sessions < 1:
        raise LocomoError("sessions must be at least 1")
    kept = conv.sessions[:sessions]
    numbers = {s.number for s in kept}
    qs = tuple(q for q in conv.questions if q.evidence and q.sessions <= numbers)
    return Conversation(conv.sample_id, conv.speakers, kept, qs)


def select(convs: Sequence[Conversation], *, conversations: str | int | None = None, sessions: int | None = None,
           per_category: int | None = None, seed: int = 0) -> list[Conversation]:
    """A stratified sample: which conversations (a count from the start, or ids "conv-26,conv-30"),
    the first ``sessions`` of each, and at most ``per_category`` questions per category per
    conversation, drawn with ``seed`` (kept in their original order)."""
    chosen = list(convs)
    if isinstance(conversations, int) or (isinstance(conversations, str) and conversations.isdigit()):
        chosen = chosen[: int(conversations)]
    elif conversations:
        by_id = {c.sample_id: c for c in convs}
        wanted = [c.strip() for c in conversations.split(",") if c.strip()]
        unknown = [w for w in wanted if w not in by_id]
        if unknown:
            raise LocomoError(f"unknown conversation id(s) {unknown}; known: {', '.join(by_id)}")
        chosen = [by_id[w] for w in wanted]
    out = []
    for conv in chosen:
        conv = truncate(conv, sessions)
        if per_category is not None:
            rng = random.Random(f"{seed}/{conv.sample_id}")
            by_cat: dict[int, list[Question]] = defaultdict(list)
            for q in conv.questions:
                by_cat[q.category].append(q)
            keep = {q.index for cat in sorted(by_cat) for q in rng.sample(by_cat[cat], min(per_category,
                                                                                       len(by_cat[cat])))}
            conv = Conversation(conv.sample_id, conv.speakers, conv.sessions,
                                tuple(q for q in conv.questions if q.index in keep))
        out.append(conv)
    return out


@dataclass(frozen=True)
class Asked:
    """The message sent for a question, and for adversarial questions which option is which."""

    message: str
    options: dict[str, str] = field(default_factory=dict)  # "a" / "b" -> option text

    def choice(self, reply: str) -> str:
        """The reply as LoCoMo scores it: "(a)" / "(b)" (or a lone letter) becomes that option's text."""
        if not self.options:
            return reply
        text = reply.strip().lower()
        m = re.match(r"^\(?([ab])\)?(?:[\s.:,)]|$)", text)
        return self.options[m.group(1)] if m else reply


def ask(q: Question, seed: int = 0) -> Asked:
    """The message LoCoMo's protocol sends for ``q`` (the option order of adversarial questions is
    drawn per question from ``seed``, so every system sees the same order)."""
    text = q.question
    options: dict[str, str] = {}
    if q.category == 2:
        text += TEMPORAL_SUFFIX
    elif q.category == 5:
        wrong = q.adversarial_answer or "Yes"
        if random.Random(f"{seed}/{q.key}").random() < 0.5:
            options = {"a": NO_INFO, "b": wrong}
        else:
            options = {"a": wrong, "b": NO_INFO}
        text += CHOICE.format(a=options["a"], b=options["b"])
    return Asked(QA_INSTRUCTION.format(question=text), options)


def ingest_batches(conv: Conversation, turns_per_add: int | None) -> Iterable[tuple[Session, int, tuple[Turn, ...]]]:
    """(session, batch index, turns): each session in order, split into ``turns_per_add`` turns
    (None: the whole session in one ``add``)."""
    for s in conv.sessions:
        size = turns_per_add or len(s.turns)
        for i in range(0, len(s.turns), size):
            yield s, i // size, s.turns[i:i + size]


def messages(turns: Sequence[Turn]) -> list[dict[str, Any]]:
    """Turns as ``Memory.add`` messages: every speaker's turn is a user message whose ``name`` is the
    speaker (so extraction writes "Caroline moved from Sweden", not "User moved ..."), with its
    ``dia_id`` in the message metadata (memories keep it as their source)."""
    return [{"role": "user", "name": t.speaker, "content": t.said(), "metadata": {"dia_id": t.dia_id}}
            for t in turns]
