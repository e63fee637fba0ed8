"""Update: decide what a candidate memory does to the user's existing memories.

The model sees the nearest existing memories under small integer ids (0, 1, 2, ...) and answers
ADD, UPDATE (same subject, richer or corrected text), SUPERSEDE (contradiction or change over
time) or NONE (already known). With an adapter (``prompt="short"``) it answers in a compact array
(``["ADD"]``, ``["SUPERSEDE",0]``, ``["UPDATE",1,"merged text"]``): the full form's keys and nulls
were three quarters of the generated tokens of most calls. Ids are mapped back in code; an id the
model invents is rejected and the candidate is added instead, so a fact is never lost on a model
error. Exact duplicates never reach the model (normalised-hash check), and with no neighbour close
enough the candidate is added without a model call.

Small models often answer NONE or UPDATE for memories that merely look alike ("lives in Bergen" vs
"lives in Oslo"; an UPDATE whose merged text drops one of the two facts). Two checks in code keep
such answers from losing a fact: NONE needs the candidate to be nearly the same memory (cosine
>= ``NONE_MIN_SIMILARITY``, or all its content words in the existing text), and an UPDATE's merged
text must keep most of the candidate's content words (the old text stays in the history: a
correction may drop it). A failed check adds the candidate instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints

from localmem.llm import Message, Runtime
from localmem.structured import JsonResult, chat_json, chat_json_compact, parse_either


class UpdateDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: Literal["ADD", "UPDATE", "SUPERSEDE", "NONE"]
    id: int | None = Field(None, ge=0, le=99, description="the existing memory it refers to")
    text: str | None = Field(None, max_length=300, description="UPDATE: the merged text")


ShownId = Annotated[int, Field(ge=0, le=99)]
MergedText = Annotated[str, StringConstraints(max_length=300)]


class CompactUpdate(RootModel[tuple[Literal["ADD"]] | tuple[Literal["NONE", "SUPERSEDE"], ShownId]
                              | tuple[Literal["UPDATE"], ShownId, MergedText]]):
    """What an update adapter outputs: ``[event]``, ``[event, id]`` or ``["UPDATE", id, merged text]``."""

    def expand(self) -> UpdateDecision:
        event, *rest = self.root
        return UpdateDecision(event=event, id=rest[0] if rest else None, text=rest[1] if len(rest) > 1 else None)


def compact_json(decision: UpdateDecision) -> str:
    """``decision`` as an adapter writes it (no spaces, no nulls)."""
    items: list[Any] = [decision.event]
    if decision.event != "ADD":
        items.append(decision.id)
    if decision.event == "UPDATE":
        items.append(decision.text or "")
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def parse_target(text: str) -> UpdateDecision:
    """An update reply or training target in either form (full object or compact array)."""
    return parse_either(text, UpdateDecision, CompactUpdate)


class Neighbour(BaseModel):
    """An existing memory shown to the model."""

    memory_id: str
    text: str
    date: str | None = None
    similarity: float = 0.0


class Resolved(BaseModel):
    """A decision with the model's small id mapped back to a real memory id."""

    event: Literal["ADD", "UPDATE", "SUPERSEDE", "NONE"]
    target_id: str | None = None
    text: str
    reason: str = ""
    used_model: bool = True


SYSTEM = """You maintain a user's memory. Compare the NEW memory with the EXISTING ones and decide:
- ADD: new information not covered by any existing memory.
- UPDATE: same subject as existing memory id, adding or correcting detail; give the merged text.
- SUPERSEDE: the new memory contradicts or replaces existing memory id (a change over time, e.g. a new city, job or partner).
- NONE: the new memory is already known (same meaning as an existing one).
Output JSON: {"event": ..., "id": existing id or null, "text": merged text or null}."""

SHORT_SYSTEM = "Update memory."

#: Below this cosine to every existing memory a candidate is added without a model call. On the
#: synthetic dev split 0.40 loses no gold UPDATE / SUPERSEDE / NONE target that 0.35 kept (6 of 337
#: are below either) and makes 20% fewer update calls (bench/bench_update_floor.py; 0.45: 37% fewer,
#: 3 more targets lost).
MIN_SIMILARITY = 0.40
NONE_MIN_SIMILARITY = 0.8  # "likes hiking" / "enjoys hiking" 0.95, "peanut allergy" / "allergic to peanuts" 0.89, Bergen / Oslo 0.69
MERGE_MIN_COVERAGE = 0.75  # share of the candidate's content words an UPDATE's merged text must keep
_FILLER = frozenset("user user's users is are was has have had the a an of to in on at and or for with as".split())


def normalise(text: str) -> str:
    """The form used for exact-duplicate checks: lower case, single spaces, no trailing punctuation."""
    return re.sub(r"\s+", " ", text.lower()).strip().rstrip(".!")


def render(candidate: str, neighbours: Sequence[Neighbour]) -> str:
    lines = ["EXISTING:"]
    lines += [f"{i}. {n.text}" + (f" ({n.date})" if n.date else "") for i, n in enumerate(neighbours)]
    lines.append(f"NEW: {candidate}")
    return "\n".join(lines)


def build_messages(candidate: str, neighbours: Sequence[Neighbour],
                   prompt: Literal["full", "short"] = "full") -> list[Message]:
    system = SHORT_SYSTEM if prompt == "short" else SYSTEM
    return [{"role": "system", "content": system}, {"role": "user", "content": render(candidate, neighbours)}]


def _strip_shown_date(text: str, shown: str | None) -> str:
    """Drop the " (date)" the model copied from how the existing memory was shown to it."""
    if shown and text.endswith(f"({shown})"):
        return text[: -len(f"({shown})")].rstrip()
    return text


def _coverage_words(text: str) -> set[str]:
    """Lower-case words that carry the meaning (no filler, a plural "s" dropped). Not the search's
    ``content_words``: that one keeps order and plurals for BM25 and drops question words."""
    words = re.findall(r"[\w']+", text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w not in _FILLER}


def coverage(part: str, whole: str) -> float:
    """The share of ``part``'s content words that occur in ``whole`` (1.0 when it has none)."""
    words = _coverage_words(part)
    return len(words & _coverage_words(whole)) / len(words) if words else 1.0


def resolve(decision: UpdateDecision, candidate: str, neighbours: Sequence[Neighbour]) -> Resolved:
    """Map the model's answer back to real ids; reject invented ids and lossy answers (the
    candidate is added instead)."""
    if decision.event == "ADD":
        return Resolved(event="ADD", text=candidate)
    if decision.id is None or decision.id >= len(neighbours):
        return Resolved(event="ADD", text=candidate,
                        reason=f"model answered {decision.event} with id {decision.id}, which it was not shown")
    target = neighbours[decision.id]
    if decision.event == "NONE":
        if target.similarity < NONE_MIN_SIMILARITY and coverage(candidate, target.text) < 1.0:
            return Resolved(event="ADD", text=candidate,
                            reason=f"model answered NONE for memory {decision.id}, which says something else "
                                   f"(similarity {target.similarity:.2f})")
        return Resolved(event="NONE", target_id=target.memory_id, text=target.text)
    if decision.event == "UPDATE":
        merged = _strip_shown_date((decision.text or "").strip(), target.date) or candidate
        if coverage(candidate, merged) < MERGE_MIN_COVERAGE:
            return Resolved(event="ADD", text=candidate,
                            reason=f"model's UPDATE of memory {decision.id} dropped facts ({merged!r})")
        return Resolved(event="UPDATE", target_id=target.memory_id, text=merged)
    return Resolved(event="SUPERSEDE", target_id=target.memory_id, text=candidate)


def ask(runtime: Runtime, messages: list[Message], *, adapter: str | None = None, compact: bool = False,
        retries: int = 1, **sampling: Any) -> JsonResult[UpdateDecision]:
    """One update call: the model's decision, from the compact form when ``compact`` (an adapter's)."""
    params = {"temperature": 0.0, "max_tokens": 120, **sampling}
    if not compact:
        return chat_json(runtime, messages, UpdateDecision, adapter=adapter, retries=retries, **params)
    return chat_json_compact(runtime, messages, CompactUpdate, UpdateDecision, adapter=adapter, retries=retries,
                             **params)


def decide(runtime: Runtime, candidate: str, neighbours: Sequence[Neighbour], *, min_similarity: float = MIN_SIMILARITY,
           adapter: str | None = None, prompt: Literal["full", "short"] = "full", retries: int = 1,
           hidden: Collection[str] = (), **sampling: Any) -> tuple[Resolved, JsonResult[UpdateDecision] | None]:
    """Decide without the model where the answer is certain; otherwise ask it and map ids back.

    ``hidden``: ids of neighbours that count as exact duplicates but are never shown to the model
    (the pipeline's memories extracted from the same messages: never an older state of the candidate)."""
    key = normalise(candidate)
    for n in neighbours:
        if normalise(n.text) == key:
            return Resolved(event="NONE", target_id=n.memory_id, text=n.text, reason="exact duplicate",
                            used_model=False), None
    close = [n for n in neighbours if n.similarity >= min_similarity and n.memory_id not in hidden]
    if not close:
        return Resolved(event="ADD", text=candidate, reason="no similar memory", used_model=False), None
    result = ask(runtime, build_messages(candidate, close, prompt), adapter=adapter, compact=prompt == "short",
                 retries=retries, **sampling)
    if not result.ok or result.value is None:
        return Resolved(event="ADD", text=candidate, reason=f"model failed: {result.error}"), result
    return resolve(result.value, candidate, close), result
