"""The hand-labelled development set for the memory pipeline: schema, loader and validator.

The data lives in ``bench/data/devset.json`` (see ``bench/data/README.md``). It is for
**evaluation only**: no training-data generator may reuse its conversations or its personas
(``eval_persona_names()`` lists them, so a generator can refuse them).

One file holds conversations, each with one persona (the user), 2-4 dated sessions of turns, and
gold labels on every user turn: the memories it should yield and, for each, the update decision
against the gold memories that came before it in the conversation:

- ``ADD``: nothing earlier covers it.
- ``UPDATE`` (``target``): same subject as an active earlier memory, richer or corrected; the
  target is replaced by this memory.
- ``SUPERSEDE`` (``target``): contradicts or replaces an active earlier memory (a change over
  time); the target stops being active.
- ``NONE`` (``target``): already known; nothing is stored and the target stays active.

Every target must be an earlier memory of the same conversation that is still active at that
point (``replay`` applies the decisions in order). Probe questions at the end carry a gold answer
and the memories that support it, or ``answerable: false`` (then no answer and no evidence).

Memory texts follow the extraction convention: third person, starting with "User", relative dates
resolved against the session date (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` as precise as said).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator

from localmem.types import Category, Kind

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "bench" / "data" / "devset.json"
DATE_PATTERN = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class DevSetError(ValueError):
    """The dev-set file is missing, is not JSON, or breaks the schema (the message says where)."""


class Decision(str, enum.Enum):
    ADD = "ADD"
    UPDATE = "UPDATE"
    SUPERSEDE = "SUPERSEDE"
    NONE = "NONE"


class Status(str, enum.Enum):
    """A gold memory's state while replaying a conversation."""

    ACTIVE = "active"
    UPDATED = "updated"          # replaced by a later UPDATE
    SUPERSEDED = "superseded"    # replaced by a later SUPERSEDE
    DUPLICATE = "duplicate"      # a NONE: never stored


def _check_partial_date(value: str | None) -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, and a real calendar date."""
    if value is None:
        return None
    if not DATE_PATTERN.match(value):
        raise ValueError(f"{value!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        date(parts[0], parts[1], parts[2])
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real date: {exc}") from None
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("turns", "sessions", "conversations", mode="after", check_fields=False)
    @classmethod
    def _not_empty(cls, value: tuple, info: Any) -> tuple:
        # An after-validator (not min_length) so that it stays quiet when the items themselves fail.
        if not value:
            raise ValueError(f"'{info.field_name}' must not be empty")
        return value


class GoldMemory(_Model):
    id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=6, max_length=300)
    kind: Kind
    category: Category
    valid_from: str | None = None
    decision: Decision = Decision.ADD
    target: str | None = Field(None, pattern=ID_PATTERN)

    @field_validator("text")
    @classmethod
    def _third_person(cls, value: str) -> str:
        if not value.startswith("User"):
            raise ValueError(f"memory text must be in the third person and start with 'User': {value!r}")
        if value != value.strip():
            raise ValueError(f"memory text has leading or trailing whitespace: {value!r}")
        return value

    @field_validator("valid_from")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        return _check_partial_date(value)

    @model_validator(mode="after")
    def _target_matches_decision(self) -> "GoldMemory":
        if self.decision is Decision.ADD and self.target is not None:
            raise ValueError(f"memory {self.id}: decision ADD must not have a target (got {self.target!r})")
        if self.decision is not Decision.ADD and self.target is None:
            raise ValueError(f"memory {self.id}: decision {self.decision.value} needs a target memory id")
        return self


class Turn(_Model):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)
    #: Gold memories of a user turn (required there, may be empty); absent on assistant turns.
    memories: tuple[GoldMemory, ...] | None = None

    @model_validator(mode="after")
    def _labels_on_user_turns_only(self) -> "Turn":
        if self.role == "user" and self.memories is None:
            raise ValueError(f"user turn {self.content[:40]!r} has no 'memories' label "
                             "(write [] when it yields nothing)")
        if self.role == "assistant" and self.memories is not None:
            raise ValueError(f"assistant turn {self.content[:40]!r} must not carry 'memories'")
        return self


class Session(_Model):
    date: date
    turns: tuple[Turn, ...]

    @field_validator("date", mode="before")
    @classmethod
    def _iso_day(cls, value: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(f"session date must be an ISO day string YYYY-MM-DD, got {value!r}")
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"session date {value!r} is not a real date: {exc}") from None


class Probe(_Model):
    id: str = Field(pattern=ID_PATTERN)
    question: str = Field(min_length=3)
    answerable: StrictBool
    answer: str | None = None
    #: Other acceptable phrasings of the answer (scored as the best of all).
    alternatives: tuple[str, ...] = ()
    #: Ids of the gold memories the answer comes from.
    evidence: tuple[str, ...] = ()
    #: Unanswerable only: ids of memories on the question's subject that do not answer it (a near
    #: miss: "Which hotel did I stay at in Kyoto?" next to "User visited Kyoto"). Left out of the JSON
    #: when empty, so that data written before the field existed serialises byte for byte.
    related: tuple[str, ...] = Field((), exclude_if=lambda v: not v)

    @model_validator(mode="after")
    def _answer_matches_answerable(self) -> "Probe":
        if self.answerable and not (self.answer and self.answer.strip()):
            raise ValueError(f"probe {self.id}: an answerable probe needs a gold answer")
        if self.answerable and not self.evidence:
            raise ValueError(f"probe {self.id}: an answerable probe needs evidence memory ids")
        if not self.answerable and (self.answer is not None or self.alternatives or self.evidence):
            raise ValueError(f"probe {self.id}: an unanswerable probe has no answer, alternatives or evidence")
        if self.answerable and self.related:
            raise ValueError(f"probe {self.id}: related memories are for unanswerable probes (near misses)")
        return self


class Persona(_Model):
    name: str = Field(min_length=2)
    summary: str = Field(min_length=10)


@dataclass(frozen=True)
class LabelledTurn:
    """One user turn with what came before it in its session and its gold memories."""

    key: str                      # "<conversation>/s<session>/t<turn>", e.g. "c01/s0/t2"
    conversation_id: str
    session_index: int
    turn_index: int
    date: date
    content: str
    context: tuple[dict[str, str], ...]   # earlier turns of the same session, oldest first
    gold: tuple[GoldMemory, ...]


class Conversation(_Model):
    id: str = Field(pattern=ID_PATTERN)
    persona: Persona
    sessions: tuple[Session, ...]
    probes: tuple[Probe, ...] = ()

    def memories(self) -> list[GoldMemory]:
        """Every gold memory, in conversation order."""
        return [m for s in self.sessions for t in s.turns for m in (t.memories or ())]

    def memory(self, memory_id: str) -> GoldMemory:
        for m in self.memories():
            if m.id == memory_id:
                return m
        raise KeyError(f"conversation {self.id} has no memory {memory_id!r}")

    def user_turns(self) -> Iterator[LabelledTurn]:
        for si, session in enumerate(self.sessions):
            for ti, turn in enumerate(session.turns):
                if turn.role != "user":
                    continue
                context = tuple({"role": t.role, "content": t.content} for t in session.turns[:ti])
                yield LabelledTurn(f"{self.id}/s{si}/t{ti}", self.id, si, ti, session.date,
                                   turn.content, context, turn.memories or ())

    def replay(self) -> dict[str, Status]:
        """Apply the gold decisions in order; the final status of every memory id."""
        status: dict[str, Status] = {}
        for m in self.memories():
            if m.id in status:
                raise ValueError(f"conversation {self.id}: memory id {m.id!r} is used twice")
            if m.target is not None:
                if m.target not in status:
                    raise ValueError(f"conversation {self.id}: memory {m.id} ({m.decision.value}) targets "
                                     f"{m.target!r}, which is not an earlier memory of this conversation")
                if status[m.target] is not Status.ACTIVE:
                    raise ValueError(f"conversation {self.id}: memory {m.id} ({m.decision.value}) targets "
                                     f"{m.target!r}, which is already {status[m.target].value} at that point")
            if m.decision is Decision.UPDATE:
                status[m.target] = Status.UPDATED  # type: ignore[index]
            elif m.decision is Decision.SUPERSEDE:
                status[m.target] = Status.SUPERSEDED  # type: ignore[index]
            status[m.id] = Status.DUPLICATE if m.decision is Decision.NONE else Status.ACTIVE
        return status

    def active_memories(self) -> list[GoldMemory]:
        """The gold memories active at the end of the conversation (what the store should hold)."""
        status = self.replay()
        return [m for m in self.memories() if status[m.id] is Status.ACTIVE]

    @model_validator(mode="after")
    def _consistent(self) -> "Conversation":
        days = [s.date for s in self.sessions]
        if days != sorted(days):
            raise ValueError(f"conversation {self.id}: session dates are not in order: "
                             f"{[d.isoformat() for d in days]}")
        self.replay()  # raises on duplicate ids and bad targets
        ids = {m.id for m in self.memories()}
        probe_ids = [p.id for p in self.probes]
        if len(probe_ids) != len(set(probe_ids)):
            raise ValueError(f"conversation {self.id}: probe ids repeat: {probe_ids}")
        for p in self.probes:
            unknown = [e for e in (*p.evidence, *p.related) if e not in ids]
            if unknown:
                raise ValueError(f"conversation {self.id}: probe {p.id} cites unknown memories {unknown}")
        return self


class DevSet(_Model):
    version: Literal[1]
    note: str
    #: Every persona name used, so that training-data generators can keep away from them.
    personas: tuple[str, ...]
    conversations: tuple[Conversation, ...]

    @model_validator(mode="after")
    def _unique(self) -> "DevSet":
        ids = [c.id for c in self.conversations]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"conversation ids repeat: {dupes}")
        names = [c.persona.name for c in self.conversations]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"personas must be distinct; used more than once: {dupes}")
        if len(set(self.personas)) != len(self.personas):
            raise ValueError("the 'personas' list has repeated names")
        if set(self.personas) != set(names):
            raise ValueError(f"the 'personas' list must name exactly the conversations' personas; "
                             f"missing {sorted(set(names) - set(self.personas))}, "
                             f"extra {sorted(set(self.personas) - set(names))}")
        return self

    def user_turns(self) -> Iterator[LabelledTurn]:
        for c in self.conversations:
            yield from c.user_turns()

    def conversation(self, conversation_id: str) -> Conversation:
        for c in self.conversations:
            if c.id == conversation_id:
                return c
        raise KeyError(f"no conversation {conversation_id!r} in the dev set")


def memory_key(conversation_id: str, memory_id: str) -> str:
    """A memory's id across the whole set: ``"<conversation>/<memory>"``."""
    return f"{conversation_id}/{memory_id}"


def _where(data: Any, loc: tuple[Any, ...]) -> str:
    """A readable location: ``conversations[3] (id=c04) > sessions[1] > turns[2] > memories[0] (id=m7)``."""
    parts, node = [], data
    for step in loc:
        if isinstance(step, int):
            label = f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                label += f" (id={node['id']})"
            parts[-1] = parts[-1] + label if parts else label
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return " > ".join(parts) or "<top level>"


def parse_devset(data: Any, *, source: str = "<data>") -> DevSet:
    """Validate already-parsed JSON; raises ``DevSetError`` naming each problem and where it is."""
    try:
        return DevSet.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  {_where(data, tuple(err['loc']))}: {msg}")
        raise DevSetError(f"{source}: {exc.error_count()} problem(s) in the dev set:\n" + "\n".join(lines)) from None


def load_devset(path: Path | str | None = None) -> DevSet:
    """Load and validate the dev set (``bench/data/devset.json`` in the repository by default)."""
    path = Path(path) if path is not None else DEFAULT_PATH
    if not path.exists():
        raise DevSetError(f"dev-set file {path} does not exist (it ships with the repository, not the wheel; "
                          "pass its path)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DevSetError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    return parse_devset(data, source=str(path))


def eval_persona_names(path: Path | str | None = None) -> frozenset[str]:
    """The persona names reserved for evaluation: training-data generators must not use them."""
    return frozenset(load_devset(path).personas)
