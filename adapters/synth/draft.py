"""The small types fact templates work with, and the per-conversation context they draw from."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from localmem.dates import resolve_relative_date

#: The generator's newest version, the default everywhere (older ones rebuild byte for byte).
#: 2: mixed fact + question turns, moves that leave the old city; 3: right date for "the day after
#: tomorrow" (1 and 2 labelled it with the day it was said), consistent gold within a turn;
#: 4: everyday turns with content words (chatter.everyday) that are still nothing to remember;
#: 5: answer probes rephrased and about more kinds of memory (synth/asks.py); 6: the same
#: conversations, extract targets in the compact form an extract adapter answers in
#: (``localmem.ops.extract.compact_json``); 7: unanswerable probes next to a memory on the same
#: subject (synth/near_miss.py), the rest as 6; 8: each near miss with the question that memory does
#: answer, when it has one (probe id ``c1``); 9: the same conversations, update targets in the
#: compact form an update adapter answers in (``localmem.ops.update.compact_json``); 10: years that
#: are not ages ("I've had the trattoria for 22 years") and relatives of relatives ("my wife's
#: brother Marco"), both drawn among the introductions (``facts_life.INTRO_V10``); 11: the same
#: conversations, answer blocks of the memories a search would rank first (``examples.RECALLED``,
#: many on the asked subject) instead of a few random ones, and answers "You do padel" where 1-10
#: wrote "You doe padel".
GENERATOR_VERSION = 11

T = TypeVar("T")

#: Relative phrases for past and future times, all resolved by ``localmem.dates``.
PAST_PHRASES = ("yesterday", "last week", "last month", "two weeks ago", "three days ago", "a few weeks ago",
                "last saturday", "last Sunday", "last friday", "the day before yesterday", "a couple of months ago",
                "last year", "this morning", "last weekend", "a month ago", "2 weeks ago")
FUTURE_PHRASES = ("tomorrow", "next week", "next month", "next friday", "next Monday", "next saturday",
                  "next Thursday", "next year", "this weekend", "the day after tomorrow", "next weekend")


@dataclass
class Draft:
    """A gold memory before it gets an id: text and labels, plus how later turns may refer to it."""

    text: str
    kind: str
    category: str
    confidence: float = 0.9
    valid_from: str | None = None
    decision: str = "ADD"          # ADD | UPDATE | SUPERSEDE | NONE
    target: str | None = None      # the state key of the memory this one updates / supersedes / repeats
    key: str | None = None         # the state key this memory becomes the current holder of
    repeat_text: str | None = None  # a paraphrase of ``text`` (gold of a later NONE repeat)
    repeat_say: str | None = None   # how the user may mention it again later
    ask: tuple[str, str] | None = None  # (question, short answer) for answer probes


@dataclass
class Piece:
    """Part of one user turn: what is said, and what should be remembered from it."""

    say: str
    memories: list[Draft] = field(default_factory=list)
    left: str | None = None  # a place this piece leaves behind (a move's old city)


@dataclass
class Ctx:
    """What a fact template may use: seeded randomness, the session day, the persona's state."""

    rng: random.Random
    day: date
    state: dict[str, Any]
    persona_first: str = ""
    version: int = GENERATOR_VERSION  # the generator version (what a template may draw differs between versions)

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.rng.randrange(len(seq))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def past(self) -> tuple[str, str]:
        """A relative past phrase and its resolved date (YYYY, YYYY-MM or YYYY-MM-DD)."""
        return self._dated(self.pick(PAST_PHRASES))

    def future(self) -> tuple[str, str]:
        return self._dated(self.pick(FUTURE_PHRASES))

    def _dated(self, phrase: str) -> tuple[str, str]:
        if self.version < 3 and phrase == "the day after tomorrow":
            # generators 1 and 2 labelled it with the day it was said (the date resolver did not
            # match the phrase with its article); kept so that they rebuild byte for byte
            return phrase, self.day.isoformat()
        resolved = resolve_relative_date(phrase, self.day)
        if resolved is None:  # every phrase above resolves (tests/test_synth.py); a new one must too
            raise ValueError(f"the date resolver does not know {phrase!r}")
        return phrase, resolved

    def name(self, pool: Sequence[str]) -> str:
        """A name not used yet in this conversation (people and pets stay distinguishable)."""
        used = self.state.setdefault("_names", set())
        options = [n for n in pool if n not in used and n != self.persona_first]
        value = self.pick(options or list(pool))
        used.add(value)
        return value

    def fresh(self, pool: Sequence[T], key: str) -> T:
        """A value of ``pool`` this persona has not had for ``key`` (for changes over time)."""
        used = self.state.setdefault("_used:" + key, set())
        options = [v for v in pool if v not in used]
        value = self.pick(options or list(pool))
        used.add(value)
        return value


def at(value: str) -> str:
    """How a resolved date is written inside a memory text: "on 2023-05-02", "in 2023-05", "in 2023"."""
    return f"on {value}" if len(value) == 10 else f"in {value}"


def cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
