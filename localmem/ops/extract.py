"""Extract: new conversation turns -> candidate memories (grammar-constrained JSON).

Facts come out atomic, self-contained and in the third person about the user ("User's cat is named
Miso"); preferences keep polarity and strength; small talk yields nothing. Relative dates are
resolved in code (``localmem.dates``) before the model sees the text, so it only copies them.

With a distilled adapter (``prompt="short"``) the instructions live in the adapter and the prompt
is just the conversation, which cuts prompt tokens several-fold. The adapter also answers in a
compact form, one JSON array per memory (``[["User is vegetarian","fact","food"]]``, a fourth
item only for a date): the keys and the confidence of the full form were about 60% of the
generated tokens, and generation is most of an ``add``'s time on a CPU.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints

from localmem.dates import annotate_relative_dates
from localmem.llm import Message, Runtime
from localmem.structured import JsonResult, chat_json, chat_json_compact, parse_either
from localmem.types import Category, Kind

DATE_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"


class ExtractedMemory(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=3, max_length=300)
    kind: Kind
    category: Category
    confidence: float = Field(ge=0.0, le=1.0)
    valid_from: str | None = Field(None, pattern=DATE_PATTERN)


class Extraction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    memories: list[ExtractedMemory] = Field(max_length=8)


Text = Annotated[str, StringConstraints(min_length=3, max_length=300)]
Date = Annotated[str, StringConstraints(pattern=DATE_PATTERN)]
#: The confidence a memory from the compact form gets (the full form's default; the synthetic gold
#: used 0.9 for 48 of 63 templates, and nothing reads it but consolidation's 0.8 floor).
COMPACT_CONFIDENCE = 0.9


class CompactExtraction(RootModel[Annotated[list[tuple[Text, Kind, Category] | tuple[Text, Kind, Category, Date]],
                                            Field(max_length=8)]]):
    """What an extract adapter outputs: ``[[text, kind, category(, valid_from)], ...]``."""

    def expand(self) -> Extraction:
        return Extraction(memories=[
            ExtractedMemory(text=item[0], kind=item[1], category=item[2], confidence=COMPACT_CONFIDENCE,
                            valid_from=item[3] if len(item) == 4 else None)
            for item in self.root])


def compact_json(extraction: Extraction) -> str:
    """``extraction`` as an adapter writes it (no spaces: every separator is one token fewer)."""
    items = [[m.text, m.kind.value, m.category.value] + ([m.valid_from] if m.valid_from else [])
             for m in extraction.memories]
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def parse_target(text: str) -> Extraction:
    """An extract reply or training target in either form (full object or compact arrays)."""
    return parse_either(text, Extraction, CompactExtraction)


CATEGORIES = ", ".join(c.value for c in Category)

SYSTEM = f"""You extract long-term memories about the user from the NEW messages of a conversation.
Output JSON: {{"memories": [{{"text", "kind", "category", "confidence", "valid_from"}}]}}.
Rules:
- One atomic memory per item, in the third person, starting with "User".
- Make each text self-contained: name who or what it is about, never "he", "she" or "it".
- kind: "fact" (true until it changes), "preference" (likes, dislikes, wishes; keep the polarity and strength), "event" (happened or will happen at a time).
- category: one of {CATEGORIES}.
- Dates in parentheses are already resolved: copy them into the text and into valid_from (YYYY-MM-DD).
- Only what the user says about themselves and their life. Ignore greetings, small talk, questions, and the assistant's words.
- Requests about how to answer ("keep it short", "no recipes with nuts") are preferences, category communication-style or the topic's category.
- Nothing worth remembering: {{"memories": []}}."""

FEW_SHOT: list[tuple[str, dict[str, Any]]] = [
    (
        "Date: 2023-05-08 (Monday)\nNEW:\nuser: Hey! So I finally moved to Lyon last month (2023-04) with my "
        "husband Tom. I'm a nurse, and honestly I can't stand horror movies.",
        {"memories": [
            {"text": "User moved to Lyon in 2023-04", "kind": "event", "category": "location",
             "confidence": 0.95, "valid_from": "2023-04"},
            {"text": "User lives in Lyon", "kind": "fact", "category": "location", "confidence": 0.9,
             "valid_from": "2023-04"},
            {"text": "User's husband is named Tom", "kind": "fact", "category": "relationships",
             "confidence": 0.95, "valid_from": None},
            {"text": "User works as a nurse", "kind": "fact", "category": "work", "confidence": 0.95,
             "valid_from": None},
            {"text": "User strongly dislikes horror movies", "kind": "preference", "category": "media",
             "confidence": 0.9, "valid_from": None},
        ]},
    ),
    (
        "Date: 2023-06-01 (Thursday)\nEARLIER:\nassistant: How was your day?\nNEW:\nuser: haha fine, "
        "thanks. what's the weather like usually in spring?",
        {"memories": []},
    ),
]

SHORT_SYSTEM = "Extract memories."


def render_turns(new: Sequence[Message], context: Sequence[Message], today: date) -> str:
    """The conversation as the model sees it: date, earlier turns, new turns (dates annotated)."""
    lines = [f"Date: {today.isoformat()} ({today.strftime('%A')})"]
    if context:
        lines.append("EARLIER:")
        lines += [f"{m['role']}: {m['content']}" for m in context]
    lines.append("NEW:")
    lines += [f"{m['role']}: {annotate_relative_dates(m['content'], today)}" for m in new]
    return "\n".join(lines)


def build_messages(new: Sequence[Message], context: Sequence[Message], today: date,
                   prompt: Literal["full", "short"] = "full") -> list[Message]:
    convo = render_turns(new, context, today)
    if prompt == "short":
        return [{"role": "system", "content": SHORT_SYSTEM}, {"role": "user", "content": convo}]
    messages: list[Message] = [{"role": "system", "content": SYSTEM}]
    for example, answer in FEW_SHOT:
        messages.append({"role": "user", "content": example})
        messages.append({"role": "assistant", "content": json.dumps(answer)})
    messages.append({"role": "user", "content": convo})
    return messages


def extract(runtime: Runtime, new: Sequence[Message], *, today: date, context: Sequence[Message] = (),
            adapter: str | None = None, prompt: Literal["full", "short"] = "full",
            retries: int = 1, **sampling: Any) -> JsonResult[Extraction]:
    """Candidate memories from ``new`` turns (``context``: a few earlier turns, not extracted)."""
    if not any(m["role"] == "user" and m["content"].strip() for m in new):
        return JsonResult[Extraction](ok=True, value=Extraction(memories=[]), attempts=[])
    params = {"temperature": 0.0, "max_tokens": 400, **sampling}
    messages = build_messages(new, context, today, prompt)
    if prompt == "short":
        result = chat_json_compact(runtime, messages, CompactExtraction, Extraction, adapter=adapter,
                                   retries=retries, **params)
    else:
        result = chat_json(runtime, messages, Extraction, adapter=adapter, retries=retries, **params)
    if result.ok and result.value is not None:
        result.value.memories[:] = _clean(result.value.memories)
    return result


def _clean(memories: list[ExtractedMemory]) -> list[ExtractedMemory]:
    """Drop exact repeats within one reply (small models sometimes loop)."""
    seen: set[str] = set()
    kept = []
    for m in memories:
        key = " ".join(m.text.lower().split())
        if key not in seen:
            seen.add(key)
            kept.append(m)
    return kept
