"""The systems compared on LoCoMo: small strategy objects over one runtime and one memory store.

- ``no-memory``: the Assistant with memory off (the model alone).
- ``full-context``: no store; as much of the conversation as fits the context window, most recent
  first (kept in chronological order, oldest sessions dropped first, as LoCoMo's own baselines do),
  in the answer operation's system prompt in place of the memory block.
- ``raw-retrieval``: every turn stored verbatim (``Memory.add(infer=False)``); the Assistant
  (read-only) retrieves and answers.
- ``extraction``: the turns through the extraction pipeline (``Memory.add(infer=True)``); the
  Assistant (read-only) retrieves and answers.

Every system answers through the same answer operation (its prompt, the runtime's answer adapter
when models.toml gives one), so a difference between rows is a difference in what the model is shown.
Each answer records its text, tokens, latency and the dia_ids of what it was shown (for evidence
recall): a raw turn carries its dia_id, an extracted memory the dia_ids of the turns it came from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from localmem.eval.locomo import Asked, Conversation
from localmem.ops import answer as answer_op
from localmem.pipeline import OperationSettings

SYSTEM_NAMES = ("no-memory", "full-context", "raw-retrieval", "extraction")
#: Reserved in the context window besides the conversation: the reply and a safety margin.
CONTEXT_MARGIN = 32


@dataclass
class Answer:
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_s: float
    ttft_s: float | None
    shown: list[list[str]]  # per memory / context turn shown, in rank order: its source dia_ids

    def record(self) -> dict[str, Any]:
        return {"reply": self.text, "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "latency_s": round(self.latency_s, 4), "ttft_s": None if self.ttft_s is None else round(self.ttft_s, 4),
                "shown": self.shown}


def _timed_stream(chunks) -> tuple[str, float | None, float]:
    t0 = time.perf_counter()
    ttft = None
    parts = []
    for piece in chunks:
        if ttft is None:
            ttft = time.perf_counter() - t0
        parts.append(piece)
    return "".join(parts), ttft, time.perf_counter() - t0


class System:
    """One way of answering LoCoMo questions. ``infer`` says how the conversation is ingested:
    None (not stored), False (raw turns), True (extraction)."""

    name: ClassVar[str]
    infer: ClassVar[bool | None]
    reads_transcript: ClassVar[bool] = False  # shown the conversation itself (its sessions matter)

    def __init__(self, runtime, *, recall: int = 8, max_tokens: int = 64):
        """``runtime``: a loaded ``Runtime``, or a function returning it (called when first needed)."""
        self._runtime, self.recall, self.max_tokens = runtime, recall, max_tokens

    @property
    def runtime(self):
        if callable(self._runtime) and not hasattr(self._runtime, "stream"):
            self._runtime = self._runtime()
        return self._runtime

    def answer(self, memory, conv: Conversation, asked: Asked, now: datetime) -> Answer:
        raise NotImplementedError


class _AssistantSystem(System):
    memory_mode: ClassVar[str] = "read-only"

    def answer(self, memory, conv: Conversation, asked: Asked, now: datetime) -> Answer:
        from localmem.assistant import Assistant

        assistant = Assistant(memory, runtime=self.runtime, memory_mode=self.memory_mode,  # type: ignore[arg-type]
                              extraction="blocking", recall=self.recall, max_tokens=self.max_tokens)
        stream = assistant.chat(asked.message, user_id=conv.sample_id, stream=True, now=now)
        text, ttft, total = _timed_stream(stream)
        reply = stream.reply
        assert reply is not None
        stats = reply.stats
        return Answer(text, stats.prompt_tokens if stats else None, stats.completion_tokens if stats else None,
                      total, ttft, [self._dia_ids(memory, m) for m in reply.memories])

    @staticmethod
    def _dia_ids(memory, item) -> list[str]:
        if item.metadata.get("dia_id"):
            return [item.metadata["dia_id"]]
        return [m.metadata["dia_id"] for m in memory.sources(item.id) if m.metadata.get("dia_id")]


class NoMemory(_AssistantSystem):
    name, infer, memory_mode = "no-memory", None, "off"


class RawRetrieval(_AssistantSystem):
    name, infer = "raw-retrieval", False


class Extraction(_AssistantSystem):
    name, infer = "extraction", True


class FullContext(System):
    name, infer, reads_transcript = "full-context", None, True
    HEADER = "The conversations between {a} and {b} (most recent last; each starts with its date):"

    def context(self, conv: Conversation, question_messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        """The transcript block that fits beside ``question_messages``, and the dia_ids in it."""
        rt = self.runtime
        n_ctx = rt.load_settings.n_ctx
        fixed = sum(rt.count_tokens(m["content"]) + 8 for m in question_messages)
        header = self.HEADER.format(a=conv.speakers[0], b=conv.speakers[1])
        budget = n_ctx - self.max_tokens - CONTEXT_MARGIN - fixed - rt.count_tokens(header) - 4
        blocks: list[list[str]] = []
        ids: list[str] = []
        for session in reversed(conv.sessions):
            date_line = f"DATE: {session.date.strftime('%-I:%M %p on %-d %B, %Y')}"
            cost = rt.count_tokens(date_line) + 1
            if cost > budget:
                break
            budget -= cost
            lines: list[str] = []
            for turn in reversed(session.turns):
                line = turn.render()
                cost = rt.count_tokens(line) + 1
                if cost > budget:
                    budget = -1
                    break
                budget -= cost
                lines.append(line)
                ids.append(turn.dia_id)
            if lines:
                blocks.append([date_line, *reversed(lines)])
            if budget < 0:
                break
        text = "\n".join([header] + [line for block in reversed(blocks) for line in block])
        return text, ids

    def answer(self, memory, conv: Conversation, asked: Asked, now: datetime) -> Answer:
        settings = OperationSettings.for_runtime(self.runtime)
        adapter = settings.answer_adapter
        template = answer_op.SHORT_SYSTEM if adapter else answer_op.SYSTEM
        empty = template.format(today=now.date().isoformat(), memory_block="", style="")
        question = [{"role": "system", "content": empty}, {"role": "user", "content": asked.message}]
        block, ids = self.context(conv, question)
        prompt = [{"role": "system", "content": template.format(today=now.date().isoformat(), memory_block=block,
                                                                style="")},
                  {"role": "user", "content": asked.message}]
        stream = self.runtime.stream(prompt, adapter=adapter, max_tokens=self.max_tokens)
        text, ttft, total = _timed_stream(stream)
        stats = stream.result.stats if stream.result else None
        return Answer(text, stats.prompt_tokens if stats else None, stats.completion_tokens if stats else None,
                      total, ttft, [[i] for i in ids])


SYSTEMS: dict[str, type[System]] = {s.name: s for s in (NoMemory, FullContext, RawRetrieval, Extraction)}


def make(name: str, runtime, **kwargs: Any) -> System:
    try:
        return SYSTEMS[name](runtime, **kwargs)
    except KeyError:
        raise ValueError(f"unknown system {name!r}; known: {', '.join(SYSTEM_NAMES)}") from None
