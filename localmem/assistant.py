"""``Assistant``: chat that remembers (search -> answer, then extraction of what the user said).

    from localmem import Assistant, Memory

    assistant = Assistant(memory=Memory(), model="fast")
    reply = assistant.chat("I just adopted a cat called Miso", user_id="ana")
    print(reply.text, [e.event for e in reply.wait_events()])

The user's message is logged before anything else. Its style signals update the user's preference
profile (``localmem.preferences``, PAMU; about 2 ms) before the reply is generated, so "shorter
please" already shapes this reply: the profile becomes a style line in the answer prompt and the
reply's ``max_tokens`` follows the length preference. ``edit_reply`` / ``comment_on_reply`` feed
feedback on a reply back into the profile. ``memory_mode="read-only"`` uses the profile without
updating it; ``"off"`` neither reads nor writes it. Memories are retrieved and the reply is
generated first; extraction of the user's message runs after the reply, in a background thread
(``extraction="background"``, the default) or before ``chat`` returns (``"blocking"``), so it never
delays the first token. One runtime serves both (its lock serialises them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict

from localmem.dates import DatesInWords
from localmem.llm import CallStats, ChatStream, Runtime
from localmem.ops import answer as answer_op
from localmem.pipeline import OperationSettings, Pipeline, PipelineResult
from localmem.preferences import render as style_render
from localmem.preferences.types import PreferenceProfile, ReplyFeedback
from localmem.store.scope import Scope
from localmem.types import MAX_MESSAGE_CHARS, MemoryEvent, MemoryItem

MemoryMode = Literal["on", "read-only", "off"]
HISTORY_TURNS = 6


class Reply(BaseModel):
    """The assistant's reply, the memories it was given, and what the user's message did to memory."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    text: str
    memories: list[MemoryItem]
    stats: CallStats | None = None
    extraction: Future | None = None  # resolves to a PipelineResult (None when memory is not written)
    message_id: str | None = None  # the logged reply (None when memory is not written)
    style: str = ""  # the style line the answer prompt carried (from the preference profile)
    max_tokens: int | None = None  # the generation limit used (None: the model's default)

    def wait_events(self, timeout: float | None = None) -> list[MemoryEvent]:
        """Block until extraction of the user's message finished; its memory events."""
        if self.extraction is None:
            return []
        result = self.extraction.result(timeout)
        return result.events if result is not None else []


class ReplyStream:
    """Iterate for text chunks; ``reply`` is complete once the iteration ends."""

    def __init__(self, assistant: Assistant, chunks: ChatStream, memories: list[MemoryItem], finish):
        self._chunks, self._finish = chunks, finish
        self.memories = memories
        self.reply: Reply | None = None

    def __iter__(self) -> Iterator[str]:
        parts: list[str] = []
        words = DatesInWords()  # "2023-05-07" copied from a memory reads "7 May 2023"
        try:
            for piece in self._chunks:
                piece = words.feed(piece)
                if piece:
                    parts.append(piece)
                    yield piece
            rest = words.flush()
            if rest:
                parts.append(rest)
                yield rest
        finally:
            parts.append(words.flush())  # closed early: keep what was held back too
            stats = self._chunks.result.stats if self._chunks.result else None
            self.reply = self._finish("".join(parts), self.memories, stats)

    def close(self) -> None:
        self._chunks.close()


class Assistant:
    def __init__(self, memory, model: str | None = None, *, runtime: Runtime | None = None,
                 memory_mode: MemoryMode = "on", extraction: Literal["background", "blocking"] = "background",
                 recall: int = 8, max_tokens: int | None = None, track_preferences: bool = True):
        self.memory = memory
        self.runtime = runtime or Runtime.from_registry(model)
        self.memory_mode = memory_mode
        self.extraction = extraction
        self.recall = recall
        self.max_tokens = max_tokens  # fixed limit; None: follow the user's length preference
        self.track_preferences = track_preferences
        self.settings = OperationSettings.for_runtime(self.runtime)
        self._worker_lock = threading.Lock()

    @property
    def store(self):
        return self.memory.store

    def _pipeline(self) -> Pipeline:
        return Pipeline(self.store, self.runtime, self.settings)

    def recall_memories(self, message: str, scope: Scope) -> list[MemoryItem]:
        if self.memory_mode == "off":
            return []
        user_scope = Scope.of(scope.user_id, scope.agent_id, None)
        return self.store.search(message, user_scope, limit=self.recall)

    def _history(self, scope: Scope, exclude: set[str]) -> list[dict[str, str]]:
        if scope.session_id is None:
            return []
        turns = [m for m in self.store.messages(scope, limit=HISTORY_TURNS + len(exclude)) if m.id not in exclude]
        turns = sorted(turns, key=lambda m: m.created_at)[-HISTORY_TURNS:]
        return [{"role": m.role, "content": m.content} for m in turns if m.role in ("user", "assistant")]

    @property
    def preferences(self):
        """The memory's ``PreferenceService``."""
        return self.memory.prefs

    def style_for(self, scope: Scope, message: str, message_id: str | None, now: datetime
                  ) -> PreferenceProfile | None:
        """Update the user's profile with ``message`` (memory on) and return it (None when off)."""
        if self.memory_mode == "off" or not self.track_preferences:
            return None
        if self.memory_mode == "on":
            self.preferences.observe(message, user_id=scope.user_id, message_id=message_id, timestamp=now)
        return self.preferences.profile(user_id=scope.user_id, explicit=False)

    def edit_reply(self, reply: Reply | str, edited: str, *, user_id: str) -> ReplyFeedback:
        """The user edited a reply (a ``Reply`` or its ``message_id``): keep the edit and learn
        from it (a shorter edit moves the length preference down, and so on)."""
        self._require_writes("edit_reply")
        if isinstance(reply, Reply):
            return self.preferences.feedback(user_id=user_id, original=reply.text, edited=edited,
                                             message_id=reply.message_id)
        return self.preferences.feedback(user_id=user_id, edited=edited, message_id=reply)

    def comment_on_reply(self, comment: str, *, user_id: str, reply: Reply | str | None = None) -> ReplyFeedback:
        """A remark about a reply ("too long", "too technical"), kept and learnt from."""
        self._require_writes("comment_on_reply")
        message_id = reply.message_id if isinstance(reply, Reply) else reply
        original = reply.text if isinstance(reply, Reply) else None
        return self.preferences.feedback(user_id=user_id, comment=comment, original=original, message_id=message_id)

    def _require_writes(self, what: str) -> None:
        if self.memory_mode != "on":
            from localmem.store.errors import InvalidStateError

            raise InvalidStateError(f"{what} stores feedback, but memory_mode is {self.memory_mode!r} (needs 'on')")

    def chat(self, message: str, *, user_id: str, session_id: str | None = None, agent_id: str | None = None,
             stream: bool = False, now: datetime | None = None) -> Reply | ReplyStream:
        """Answer ``message`` using what is remembered about ``user_id``; then remember what it says.

        ``now`` (default: the clock) is when the conversation happens: the reply's "today" and the
        logged messages' timestamp (replaying a past conversation, evaluations)."""
        from localmem.store.values import clean_text

        message = clean_text(message, what="message", max_chars=MAX_MESSAGE_CHARS)
        scope = Scope.of(user_id, agent_id, session_id)
        write = self.memory_mode == "on"
        now = now or datetime.now(timezone.utc)
        logged = self.store.log_messages(scope, [("user", message, {})], pending=write, at=now) if write else []
        profile = self.style_for(scope, message, logged[0].id if logged else None, now)
        style = style_render.style_line(profile)
        max_tokens = self.max_tokens if self.max_tokens is not None else style_render.max_tokens(profile)
        memories = self.recall_memories(message, scope)
        lines = [answer_op.MemoryLine(text=m.text, when=m.valid_from or m.created_at, kind=m.kind.value)
                 for m in memories]
        prompt = answer_op.build_messages(
            message, lines, today=now.date(), history=self._history(scope, {m.id for m in logged}),
            prompt=self.settings.prompt(self.settings.answer_adapter), style=style)
        chunks = self.runtime.stream(prompt, adapter=self.settings.answer_adapter, max_tokens=max_tokens)

        def finish(text: str, used: list[MemoryItem], stats: CallStats | None) -> Reply:
            reply_id = None
            if write:
                reply_id = self.store.log_messages(scope, [("assistant", text, {})], pending=False, at=now)[0].id
            future = self._extract(scope, logged) if write else None
            return Reply(text=text, memories=used, stats=stats, extraction=future, message_id=reply_id,
                         style=style, max_tokens=max_tokens)

        rs = ReplyStream(self, chunks, memories, finish)
        if stream:
            return rs
        for _ in rs:
            pass
        assert rs.reply is not None
        return rs.reply

    def _extract(self, scope: Scope, logged) -> Future:
        future: Future = Future()

        def run() -> None:
            try:
                with self._worker_lock:
                    future.set_result(self._pipeline().process(scope, logged))
            except BaseException as exc:  # surfaced through the future; messages stay pending
                future.set_exception(exc)

        if self.extraction == "blocking":
            run()
        else:
            threading.Thread(target=run, name="localmem-extract", daemon=True).start()
        return future

    def reprocess(self, *, user_id: str | None = None, limit: int = 100) -> list[PipelineResult]:
        """Run extraction on messages still pending (after a crash or a parked failure)."""
        pending = self.store.pending_messages(user_id=user_id, limit=limit)
        results = []
        for m in pending:
            scope = Scope.of(m.user_id, m.agent_id, m.session_id)
            with self._worker_lock:
                results.append(self._pipeline().process(scope, [m]))
        return results
