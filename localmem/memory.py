"""``Memory``: the public Python API of localmem's memory (mem0's verbs, typed results).

    from localmem import Memory

    mem = Memory()                                   # the default store in the user's data dir
    mem.add("I moved to Lyon last spring", user_id="ana", infer=False)
    for item in mem.search("where does she live?", user_id="ana"):
        print(item.score, item.text)

Every verb that reads or writes memories takes ``user_id`` as a required keyword (plus optional
``agent_id`` / ``session_id``); nothing crosses users. Results are pydantic models
(``MemoryItem``, ``MemoryEvent``, ``HistoryEntry``, ``Message``). Errors are subclasses of
``localmem.store.StoreError`` (``InvalidInputError`` is also a ``ValueError``).

``AsyncMemory`` has the same verbs as coroutines (each runs in a worker thread).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from localmem.store.errors import InferenceUnavailableError, InvalidInputError
from localmem.store.memories import NewMemory
from localmem.store.scope import Scope
from localmem.store.search import Mode, SearchConfig
from localmem.store.store import Store
from localmem.store.values import clean_text, coerce_time, dump_json
from localmem.types import (
    MAX_MEMORY_CHARS,
    MAX_MESSAGE_CHARS,
    SPEAKER_KEY,
    EventType,
    HistoryEntry,
    MemoryEvent,
    MemoryItem,
    Message,
    SearchFilters,
    Source,
)

ROLES = ("user", "assistant", "system", "tool")
MAX_LIMIT = 1000


class MemoryConfig(BaseModel):
    """Settings for ``Memory.from_config`` (unknown keys are an error)."""

    model_config = ConfigDict(extra="forbid")

    path: Path | None = None
    busy_timeout: float = 10.0
    vector_cache: bool = True
    embedding_variant: str | None = None  # fp32 | int8 (default: int8)
    embedding_threads: int | None = None  # default 1
    search: dict[str, Any] = {}
    preferences: dict[str, Any] = {}  # localmem.preferences.TrackerConfig (W, alpha, fusion, threshold, ...)


class Memory:
    """A memory store for one or many users, backed by one SQLite file."""

    def __init__(self, path: str | Path | None = None, *, embedder=None, busy_timeout: float = 10.0,
                 vector_cache: bool = True, search_config: SearchConfig | None = None, llm: Any = None,
                 preference_config: Any = None):
        self.store = Store(path, embedder=embedder, busy_timeout=busy_timeout, vector_cache=vector_cache)
        self._preference_config = preference_config
        self._prefs = None
        self.search_config = search_config or SearchConfig()
        # infer=True runs the extraction pipeline on this model (a registry name or a loaded
        # localmem.llm.Runtime); it is loaded on first use.
        self._llm = llm
        self.last_result = None  # the PipelineResult of the last add(infer=True)

    @classmethod
    def from_config(cls, config: MemoryConfig | dict[str, Any] | None = None) -> "Memory":
        try:
            cfg = config if isinstance(config, MemoryConfig) else MemoryConfig.model_validate(config or {})
            search_config = SearchConfig(**cfg.search)
            from localmem.preferences import TrackerConfig

            preference_config = TrackerConfig(**cfg.preferences)
        except (ValidationError, TypeError) as exc:
            raise InvalidInputError(f"invalid memory config: {exc}") from None
        embedder = None
        if cfg.embedding_variant or cfg.embedding_threads:
            from localmem.embed import Embedder

            embedder = Embedder.default(variant=cfg.embedding_variant, threads=cfg.embedding_threads)
        return cls(cfg.path, embedder=embedder, busy_timeout=cfg.busy_timeout,
                   vector_cache=cfg.vector_cache, search_config=search_config, preference_config=preference_config)

    @property
    def path(self) -> Path:
        return self.store.path

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Memory":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing --------------------------------------------------------------------------------
    def add(self, messages: str | list[dict[str, Any]], *, user_id: str, agent_id: str | None = None,
            session_id: str | None = None, infer: bool = True, metadata: dict[str, Any] | None = None,
            timestamp: datetime | str | float | None = None) -> list[MemoryEvent]:
        """Log ``messages`` and remember what they say.

        ``messages`` is a string (one user message) or a list of ``{"role", "content"}`` dicts,
        each with optional ``metadata``, and for a conversation among several people an optional
        ``name`` on each user message (who said it, kept in its metadata as ``speaker``): memories
        are then about that person by name ("Caroline moved from Sweden"), not about "User". With
        ``infer=False`` every user message is stored verbatim as one memory (kind ``fact``,
        category ``other``); ``infer=True`` extracts memories with the local LLM. ``metadata`` is merged under each message's own and kept on the messages and
        memories; ``timestamp`` (default now) is when the conversation took place.
        """
        scope = Scope.of(user_id, agent_id, session_id)
        dump_json(metadata, "metadata")
        turns = _turns(messages, metadata or {})
        at = coerce_time(timestamp, "timestamp") if timestamp is not None else None
        if not isinstance(infer, bool):
            raise InvalidInputError(f"infer must be True or False, got {infer!r}")
        if infer:
            return self._infer(scope, turns, at)
        _, items = self.store.log_and_add(scope, turns, verbatim_memories(turns), pending=False, actor="api", at=at)
        return [MemoryEvent(event=EventType.ADD, memory=item) for item in items]

    @property
    def runtime(self):
        """The LLM runtime used by ``infer=True`` (loaded on first use)."""
        from localmem.config import RegistryError
        from localmem.llm import LLMError, Runtime
        from localmem.registry import ModelError

        if not hasattr(self._llm, "chat"):
            try:
                self._llm = Runtime.from_registry(self._llm).load()
            except (ModelError, RegistryError, LLMError) as exc:
                raise InferenceUnavailableError(
                    f"infer=True needs a local model: {exc}\n(or pass infer=False to store each user "
                    "message verbatim)") from None
        return self._llm

    def _infer(self, scope: Scope, turns, at) -> list[MemoryEvent]:
        """Log the turns (pending), then extract and apply decisions. If the model's output stays
        malformed the messages remain pending and the outputs are parked (``reprocess`` later)."""
        from localmem.pipeline import Pipeline

        runtime = self.runtime  # fails before anything is written if no model is available
        logged = self.store.log_messages(scope, turns, pending=True, at=at)
        result = Pipeline(self.store, runtime).process(scope, logged)
        self.last_result = result
        return result.events

    def reprocess(self, *, user_id: str | None = None, limit: int = 100) -> list[MemoryEvent]:
        """Run extraction again on messages still pending (after a crash or a parked failure)."""
        from localmem.pipeline import Pipeline

        pipeline = Pipeline(self.store, self.runtime)
        events: list[MemoryEvent] = []
        for m in self.store.pending_messages(user_id=user_id, limit=_limit(limit)):
            result = pipeline.process(Scope.of(m.user_id, m.agent_id, m.session_id), [m])
            events += result.events
        return events

    def failures(self, *, user_id: str | None = None, include_resolved: bool = False):
        """Model outputs that stayed malformed after retries, kept for later processing."""
        return self.store.failures(user_id=user_id, include_resolved=include_resolved)

    def update(self, memory_id: str, text: str, *, metadata: dict[str, Any] | None = None) -> MemoryItem:
        """Replace a memory's text (same id; the old text is kept in its history)."""
        text = clean_text(text, what="text", max_chars=MAX_MEMORY_CHARS)
        if metadata is not None:
            dump_json(metadata, "metadata")
        _, after = self.store.update_memory(memory_id, text=text, metadata=metadata)
        return after

    def delete(self, memory_id: str) -> MemoryItem:
        """Soft-delete a memory (it stays in ``get`` and ``history``; ``restore`` undoes it)."""
        return self.store.delete(memory_id)

    def restore(self, memory_id: str) -> MemoryItem:
        return self.store.restore(memory_id)

    def restore_version(self, memory_id: str) -> MemoryItem:
        """Bring back a superseded memory: the memory that replaced it (the current end of its
        chain) is superseded in turn by a new active copy of this one. Returns the new memory;
        nothing is deleted and every step is in the memories' history."""
        from localmem.store.errors import InvalidStateError

        old = self.get(memory_id)
        if old.status.value != "superseded":
            raise InvalidStateError(f"memory {old.id} is {old.status.value}; only a superseded memory has a "
                                    "newer version to replace")
        current, seen = old, {old.id}
        while current.superseded_by and current.status.value == "superseded":
            current = self.get(current.superseded_by)
            if current.id in seen:
                raise InvalidStateError(f"memory {old.id}: its superseded_by chain loops at {current.id}")
            seen.add(current.id)
        if current.status.value != "active":
            raise InvalidStateError(f"memory {old.id} was replaced by {current.id}, which is "
                                    f"{current.status.value}: restore that one first")
        copy = NewMemory(text=old.text, kind=old.kind, category=old.category, confidence=old.confidence,
                         metadata={**old.metadata, "restored_from": old.id}, source=old.source)
        _, stored = self.store.supersede(current.id, copy, actor="user")
        return stored

    def delete_all(self, *, user_id: str, agent_id: str | None = None, session_id: str | None = None) -> int:
        """Soft-delete all of a user's (or agent's / session's) memories; returns how many."""
        scope = Scope.of(user_id, agent_id, session_id)
        self.store.require_user(scope.user_id)
        return len(self.store.delete_scope(scope))

    def forget_user(self, *, user_id: str) -> dict[str, Any]:
        """Erase a user entirely: memories, history and messages, scrubbed from the file."""
        scope = Scope.of(user_id)
        from localmem.store import transfer

        return transfer.forget_user(self.store, scope.user_id)

    def import_(self, data: dict[str, Any]) -> dict[str, int]:
        """Load an ``export`` (idempotent; conflicting ids abort the whole import)."""
        from localmem.store import transfer

        return transfer.import_data(self.store, data)

    # -- reading --------------------------------------------------------------------------------
    def search(self, query: str, *, user_id: str, agent_id: str | None = None, session_id: str | None = None,
               limit: int = 10, filters: SearchFilters | dict[str, Any] | None = None,
               mode: Mode | None = None) -> list[MemoryItem]:
        """Memories relevant to ``query``, best first, each with its ``score``.

        Hybrid (vector + BM25, reciprocal rank fusion) by default; ``mode="vector"`` or
        ``"text"`` uses one retriever. Active memories only unless ``filters`` say otherwise.
        An unknown user has no memories: the result is empty.
        """
        scope = Scope.of(user_id, agent_id, session_id)
        query = clean_text(query, what="query", max_chars=MAX_MEMORY_CHARS)
        config = self.search_config
        if mode is not None:
            if mode not in ("hybrid", "vector", "text"):
                raise InvalidInputError(f"mode must be 'hybrid', 'vector' or 'text', got {mode!r}")
            config = dataclasses.replace(config, mode=mode)
        return self.store.search(query, scope, _filters(filters), limit=_limit(limit), config=config)

    def get(self, memory_id: str) -> MemoryItem:
        return self.store.get(memory_id)

    def get_all(self, *, user_id: str, agent_id: str | None = None, session_id: str | None = None,
                include_superseded: bool = False, filters: SearchFilters | dict[str, Any] | None = None,
                limit: int | None = None) -> list[MemoryItem]:
        """The user's memories, newest first (active only, plus superseded ones if asked)."""
        scope = Scope.of(user_id, agent_id, session_id)
        parsed = _filters(filters) or SearchFilters()
        if include_superseded:
            parsed = parsed.model_copy(update={"include_superseded": True})
        return self.store.list(scope, parsed, limit=_limit(limit) if limit is not None else None)

    def history(self, memory_id: str) -> list[HistoryEntry]:
        """Every change to a memory, oldest first."""
        return self.store.history(memory_id)

    def messages(self, *, user_id: str, agent_id: str | None = None, session_id: str | None = None,
                 limit: int | None = None) -> list[Message]:
        """The logged conversation, oldest first (with ``limit``: the most recent ``limit`` messages)."""
        scope = Scope.of(user_id, agent_id, session_id)
        return self.store.messages(scope, limit=_limit(limit) if limit is not None else None)

    def sources(self, memory_id: str) -> list[Message]:
        """The logged messages a memory was drawn from."""
        return self.store.get_messages(self.get(memory_id).source.message_ids)

    def export(self, *, user_id: str) -> dict[str, Any]:
        """All of a user's memories, history and messages as a JSON-ready dict."""
        from localmem.store import transfer

        return transfer.export_user(self.store, Scope.of(user_id).user_id)

    def users(self) -> list[dict[str, Any]]:
        from localmem.store import transfer

        return transfer.users(self.store)

    def stats(self) -> dict[str, Any]:
        from localmem.store import maintenance

        return maintenance.stats(self.store)

    def check(self) -> list[str]:
        from localmem.store import maintenance

        return maintenance.check(self.store)

    def reembed(self, *, progress=None) -> dict[str, Any]:
        from localmem.store import maintenance

        return maintenance.reembed(self.store, progress=progress)

    def vacuum(self) -> dict[str, bool]:
        """Rewrite the file without free pages and empty the WAL (``forget_user`` does this itself)."""
        from localmem.store import transfer

        return transfer.scrub(self.store)

    def reindex(self) -> dict[str, int]:
        from localmem.store import maintenance

        return maintenance.reindex(self.store)

    # -- preferences (PAMU style tracking, localmem.preferences) --------------------------------
    @property
    def prefs(self):
        """The ``PreferenceService`` behind the preference verbs (created on first use)."""
        if self._prefs is None:
            from pydantic import ValidationError as _VE

            from localmem.preferences import TrackerConfig
            from localmem.preferences.service import PreferenceService

            config = self._preference_config
            try:
                if isinstance(config, dict):
                    config = TrackerConfig(**config)
            except _VE as exc:
                raise InvalidInputError(f"invalid preference config: {exc}") from None
            self._prefs = PreferenceService(self.store, config)
        return self._prefs

    def preferences(self, *, user_id: str):
        """The user's ``PreferenceProfile``: fused, short-term and long-term value of every style
        dimension, the last change points, and the communication-style memories beside them.
        A user nothing was observed for gets the empty profile (``turns == 0``, neutral priors)."""
        return self.prefs.profile(user_id=user_id)

    def preference_history(self, *, user_id: str, limit: int | None = None):
        """``[PreferenceSnapshot]``, one per tracked turn, oldest first (signal, SW, EMA, fused, Δ,
        changes); ``[]`` for an unknown user."""
        return self.prefs.history(user_id=user_id, limit=limit)

    def observe_preferences(self, message: str, *, user_id: str, message_id: str | None = None,
                            timestamp: datetime | str | float | None = None):
        """Track one user message's style signals (the Assistant calls this for every message)."""
        return self.prefs.observe(message, user_id=user_id, message_id=message_id, timestamp=timestamp)

    def record_feedback(self, *, user_id: str, original: str | None = None, edited: str | None = None,
                        comment: str | None = None, message_id: str | None = None,
                        timestamp: datetime | str | float | None = None):
        """Feedback on a reply: ``edited`` (the user's edit of it; ``original`` or the logged
        reply's ``message_id`` gives what was edited) and/or a ``comment`` ("too long"). Stored
        as given (``ReplyFeedback``) and turned into a preference turn."""
        return self.prefs.feedback(user_id=user_id, original=original, edited=edited, comment=comment,
                                   message_id=message_id, timestamp=timestamp)


def _turns(messages: Any, base_metadata: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    if isinstance(messages, (str, bytes, bytearray)):
        messages = [{"role": "user", "content": messages}]
    if not isinstance(messages, list):
        raise InvalidInputError(f"messages must be a string or a list of {{'role', 'content'}} dicts, "
                                f"got {type(messages).__name__}")
    if not messages:
        raise InvalidInputError("messages is empty")
    turns = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise InvalidInputError(f"message {index} must be a dict with 'role' and 'content', "
                                    f"got {type(message).__name__}")
        extra = set(message) - {"role", "content", "metadata", "name"}
        if extra:
            raise InvalidInputError(f"message {index} has unknown keys {sorted(extra)} "
                                    "(allowed: role, content, metadata, name)")
        role = message.get("role")
        if role not in ROLES:
            raise InvalidInputError(f"message {index} role must be one of {', '.join(ROLES)}, got {role!r}")
        content = clean_text(message.get("content"), what=f"message {index} content", max_chars=MAX_MESSAGE_CHARS)
        own = message.get("metadata") or {}
        dump_json(own, f"message {index} metadata")
        meta = {**base_metadata, **own}
        if "name" in message:
            meta[SPEAKER_KEY] = _speaker(message["name"], role, meta.get(SPEAKER_KEY), index)
        turns.append((role, content, meta))
    return turns


_NAME = re.compile(r"^[^\W\d_][\w .'-]{0,63}$")


def verbatim_memories(turns: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[int, NewMemory]]:
    """What ``infer=False`` stores (the library's and the daemon's): one memory per user message,
    with the message's index; its text after its speaker's name when it has one ("Caroline: I moved
    from Sweden")."""
    new = []
    for index, (role, content, meta) in enumerate(turns):
        if role == "user":
            said = f"{meta[SPEAKER_KEY]}: {content}" if SPEAKER_KEY in meta else content
            text = clean_text(said, what=f"message {index} content", max_chars=MAX_MEMORY_CHARS)
            new.append((index, NewMemory(text=text, metadata=meta, source=Source(actor="api"))))
    return new


def _speaker(name: Any, role: str, already: Any, index: int) -> str:
    """A message's ``name``: which person said a user message in a conversation among several."""
    if role != "user":
        raise InvalidInputError(f"message {index} has a name, but only user messages name who said them "
                                f"(role is {role!r})")
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        raise InvalidInputError(f"message {index} name must be a person's name (a letter, then up to 63 letters, "
                                f"digits, spaces, . ' - or _), got {name!r}")
    name = name.strip()
    if already is not None and already != name:
        raise InvalidInputError(f"message {index} name {name!r} disagrees with its metadata {SPEAKER_KEY!r} "
                                f"{already!r}")
    return name


def _filters(filters: Any) -> SearchFilters | None:
    if filters is None or isinstance(filters, SearchFilters):
        return filters
    if not isinstance(filters, dict):
        raise InvalidInputError(f"filters must be a SearchFilters or a dict, got {type(filters).__name__}")
    try:
        return SearchFilters.model_validate(filters)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(part) for part in e['loc']) or 'filters'}: {e['msg']} (got {e['input']!r})"
                             for e in exc.errors())
        raise InvalidInputError(f"invalid filters: {problems}") from None


def _limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}")
    return limit


class AsyncMemory:
    """``Memory`` with coroutine verbs (each call runs in a worker thread; calls are serialised)."""

    def __init__(self, path: str | Path | None = None, **kwargs: Any):
        self.sync = Memory(path, **kwargs)

    async def _run(self, fn, *args, **kwargs):
        import asyncio

        return await asyncio.to_thread(fn, *args, **kwargs)

    async def add(self, messages, **kwargs) -> list[MemoryEvent]:
        return await self._run(self.sync.add, messages, **kwargs)

    async def search(self, query: str, **kwargs) -> list[MemoryItem]:
        return await self._run(self.sync.search, query, **kwargs)

    async def get(self, memory_id: str) -> MemoryItem:
        return await self._run(self.sync.get, memory_id)

    async def get_all(self, **kwargs) -> list[MemoryItem]:
        return await self._run(self.sync.get_all, **kwargs)

    async def update(self, memory_id: str, text: str, **kwargs) -> MemoryItem:
        return await self._run(self.sync.update, memory_id, text, **kwargs)

    async def delete(self, memory_id: str) -> MemoryItem:
        return await self._run(self.sync.delete, memory_id)

    async def restore(self, memory_id: str) -> MemoryItem:
        return await self._run(self.sync.restore, memory_id)

    async def delete_all(self, **kwargs) -> int:
        return await self._run(self.sync.delete_all, **kwargs)

    async def history(self, memory_id: str) -> list[HistoryEntry]:
        return await self._run(self.sync.history, memory_id)

    async def export(self, **kwargs) -> dict[str, Any]:
        return await self._run(self.sync.export, **kwargs)

    async def import_(self, data: dict[str, Any]) -> dict[str, int]:
        return await self._run(self.sync.import_, data)

    async def forget_user(self, **kwargs) -> dict[str, Any]:
        return await self._run(self.sync.forget_user, **kwargs)

    def close(self) -> None:
        self.sync.close()


__all__ = ["AsyncMemory", "Memory", "MemoryConfig"]
