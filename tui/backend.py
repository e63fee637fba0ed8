"""What the app does to models and memory, through the library API (``Memory``, ``Assistant``).

When a daemon (``localmem serve``) serves the same store, the app goes through it instead
(``RemoteMemory``, ``RemoteAssistant``, ``RemoteSessions``: the same verbs over the Unix socket)
and loads no model of its own; ``$LOCALMEM_NO_DAEMON`` forces in-process. The daemon owns its
model: switching the model or the adapters is refused with a note, everything else behaves alike.

Every method here may block (model loads, generation, SQLite, embeddings, the socket): screens call
them from thread workers only, never from the event loop. Widgets never see this object.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from localmem.assistant import Assistant, MemoryMode, ReplyStream
from localmem.memory import Memory
from localmem.pipeline import MEMORY_OPERATIONS, OperationSettings
from localmem.sessions import ChatSession, ChatSessions, title_from
from localmem.store.errors import UnknownUserError
from localmem.types import HistoryEntry, MemoryItem, Message

IN_PROCESS, VIA_DAEMON = "in-process", "via daemon"


class DaemonOwnsModel(ValueError):
    """Switching the model or the adapters while the daemon serves the store (its model, its choice)."""


class ModelChoice(BaseModel):
    name: str
    description: str
    current: bool = False


class ChatStatus(BaseModel):
    """What the status line shows."""

    model: str
    memory_mode: str
    adapters: str  # "on: extract, update" | "off" | "none"
    tokens_per_s: float | None = None
    context_used: int | None = None
    context_size: int | None = None
    where: str = IN_PROCESS  # IN_PROCESS | VIA_DAEMON


class MemoryDetail(BaseModel):
    item: MemoryItem
    history: list[HistoryEntry]
    sources: list[Message]
    successor: MemoryItem | None = None


def load_runtime(name: str | None):
    """The real model from the registry (loaded now, so a worker pays for it, not the first reply)."""
    from localmem.llm import Runtime

    return Runtime.from_registry(name).load()


class Backend:
    def __init__(self, memory: Memory | None = None, *, user_id: str, db_path: str | None = None,
                 model: str | None = None, memory_mode: MemoryMode = "on", max_tokens: int | None = None,
                 runtime_factory: Callable[[str | None], Any] = load_runtime, daemon: bool = True):
        """``memory``: a ``Memory`` (in-process) or a ``RemoteMemory`` (via its daemon) to use; else
        the store at ``db_path`` is opened on first use, through the daemon that serves it when one
        runs and ``daemon`` is true (``$LOCALMEM_NO_DAEMON`` set: never), in-process otherwise."""
        self._memory = memory
        self._owns_memory = memory is None  # a Memory handed in is the caller's to close
        self._db_path = db_path
        self._use_daemon = daemon
        self._daemon: dict[str, Any] = {}  # the daemon's /health (its model) when via daemon
        self._sessions: ChatSessions | None = None
        self.user_id = user_id
        self.model_name = model
        self.memory_mode: MemoryMode = memory_mode
        self.max_tokens = max_tokens
        self.adapters_enabled = True
        self.session: ChatSession | None = None
        self.assistant: Assistant | None = None
        self._factory = runtime_factory
        self._lock = threading.RLock()

    @property
    def memory(self) -> Memory:
        """The memory store, opened on first use (from a worker: opening runs migrations): the
        daemon's when one serves it, else in this process."""
        with self._lock:
            if self._memory is None:
                remote = None
                if self._use_daemon:
                    from localmem.client import remote_for

                    remote = remote_for(self._db_path)
                self._memory = remote if remote is not None else Memory(self._db_path)
            return self._memory

    @property
    def via_daemon(self) -> bool:
        """True when the store (and the model) are the daemon's. Known once the store is open."""
        from localmem.client import RemoteMemory

        return isinstance(self._memory, RemoteMemory)

    @property
    def where(self) -> str:
        return VIA_DAEMON if self.via_daemon else IN_PROCESS

    @property
    def sessions(self) -> ChatSessions:
        with self._lock:
            if self._sessions is None:
                memory = self.memory
                if self.via_daemon:
                    from localmem.client import RemoteSessions

                    self._sessions = RemoteSessions(memory)  # type: ignore[assignment]
                else:
                    self._sessions = ChatSessions(memory)
            return self._sessions

    def start(self) -> ChatStatus:
        """Open the store (or reach the daemon that serves it) and load the chat model (the app's
        first worker)."""
        memory = self.memory
        if self.via_daemon:
            self._daemon = memory.health()  # type: ignore[attr-defined]
        else:
            memory.store.embedder.embed(["warm up"])  # load the embedding model now, not on the first search
        return self.ensure_model()

    def ensure_model(self) -> ChatStatus:
        with self._lock:
            if self.assistant is None:
                self.load_model()
        return self.status()

    def _refresh_daemon(self) -> None:
        """The daemon loads its model in the background: ask again until it says it is loaded."""
        if self.via_daemon and not self._daemon.get("model_loaded"):
            try:
                self._daemon = self.memory.health()  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - the status line keeps what it knew; a request says why
                pass

    # -- model -----------------------------------------------------------------------------------
    def load_model(self, name: str | None = None) -> ChatStatus:
        """Load ``name`` (default: the current or the registry's default) and make it the chat model.
        Via the daemon: its model is the chat model, and another one is refused."""
        self.memory  # noqa: B018 - open the store (or find the daemon that serves it) first
        if self.via_daemon:
            return self._remote_model(name)
        with self._lock:
            runtime = self._factory(name if name is not None else self.model_name)
            old = self.assistant
            self.assistant = Assistant(self.memory, runtime=runtime, memory_mode=self.memory_mode,
                                       max_tokens=self.max_tokens)
            self.model_name = runtime.name
            self._apply_adapters()
        if old is not None and old.runtime is not runtime and hasattr(old.runtime, "close"):
            with old.runtime.lock:  # a running extraction finishes first
                old.runtime.close()
        return self.status()

    def _remote_model(self, name: str | None) -> ChatStatus:
        from localmem.client import RemoteAssistant

        with self._lock:
            if not self._daemon:
                self._daemon = self.memory.health()  # type: ignore[attr-defined]
            daemon_model = self._daemon.get("model")
            if self.assistant is not None and name is not None and name != daemon_model:
                raise DaemonOwnsModel(f"the model is owned by the daemon ({daemon_model or 'its default'}); "
                                      f"to chat with {name}, restart it with `localmem serve -m {name}`")
            if self.assistant is None:
                self.assistant = RemoteAssistant(self.memory, memory_mode=self.memory_mode,  # type: ignore[arg-type]
                                                 max_tokens=self.max_tokens)
            self.model_name = daemon_model or "the daemon's model"
        return self.status()

    def models(self) -> list[ModelChoice]:
        """The registry's chat models (those with a chat template)."""
        from localmem.config import load_registry

        registry = load_registry()
        return [ModelChoice(name=name, description=spec.description, current=name == self.model_name)
                for name, spec in registry.models.items()
                if spec.kind == "chat" and spec.chat_template != "none"]

    def _apply_adapters(self) -> None:
        if self.assistant is None or self.via_daemon:
            return
        rt = self.assistant.runtime
        self.assistant.settings = (OperationSettings.for_runtime(rt) if self.adapters_enabled
                                   else OperationSettings())

    def set_adapters(self, enabled: bool) -> ChatStatus:
        if self.via_daemon:
            raise DaemonOwnsModel("the adapters are the daemon's: it runs every memory operation with its "
                                  "model's adapters")
        self.adapters_enabled = enabled
        self._apply_adapters()
        return self.status()

    def adapter_state(self) -> str:
        if self.via_daemon:
            ops = [op for op in MEMORY_OPERATIONS if op in self._daemon.get("adapters", [])]
            return "on: " + ", ".join(ops) if ops else "none"
        if self.assistant is None:
            return "none"
        rt = self.assistant.runtime
        names = [op for op in MEMORY_OPERATIONS if rt.adapter_for(op)]
        if not names:
            return "none"
        return "on: " + ", ".join(names) if self.adapters_enabled else "off"

    def status(self) -> ChatStatus:
        rt = self.assistant.runtime if self.assistant else None
        stats = getattr(rt, "last_stats", None)
        n_ctx = getattr(getattr(rt, "load_settings", None), "n_ctx", None)
        if self.via_daemon:
            self._refresh_daemon()
            self.model_name = self._daemon.get("model") or self.model_name
            n_ctx = self._daemon.get("n_ctx")
        return ChatStatus(
            model=self.model_name or "(loading)", memory_mode=self.memory_mode, adapters=self.adapter_state(),
            tokens_per_s=stats.generation_tps if stats else None,
            context_used=(stats.prompt_tokens + stats.completion_tokens) if stats else None,
            context_size=n_ctx, where=self.where)

    def close(self) -> None:
        """Release the model and the store, without waiting for a running extraction: its
        message was logged as pending first and is remembered at the next start (``catch_up``)."""
        runtime = self.assistant.runtime if self.assistant is not None else None
        if runtime is not None and not runtime.lock.acquire(blocking=False):
            return  # busy: the process exit frees everything, SQLite's WAL keeps what was committed
        try:
            if runtime is not None and hasattr(runtime, "close"):
                runtime.close()
            if self._memory is not None and self._owns_memory:
                self._memory.close()
        finally:
            if runtime is not None:
                runtime.lock.release()

    def pending(self) -> int:
        """How many of this user's messages still wait for extraction (e.g. the app quit early).
        Via the daemon: none for the app to do (the daemon queues messages left pending itself)."""
        if self.via_daemon:
            return 0
        return len(self.memory.store.pending_messages(user_id=self.user_id, limit=1000))

    def catch_up(self) -> list:
        """Remember messages left pending (a quit during extraction, a parked model failure)."""
        if self.via_daemon:
            return []
        self.ensure_model()
        assert self.assistant is not None
        results = self.assistant.reprocess(user_id=self.user_id)
        return [e for r in results for e in r.events]

    # -- chat --------------------------------------------------------------------------------------
    def set_memory_mode(self, mode: MemoryMode) -> ChatStatus:
        if mode not in ("on", "read-only", "off"):
            raise ValueError(f"memory mode must be on, read-only or off, got {mode!r}")
        self.memory_mode = mode
        if self.assistant is not None:
            self.assistant.memory_mode = mode
        if self.session is not None:
            self.session = self.sessions.touch(self.session.id, memory_mode=mode)
        return self.status()

    def reply(self, text: str) -> ReplyStream:
        """Start answering ``text`` (a stream of chunks); a chat with memory on is saved as a session."""
        self.ensure_model()
        assert self.assistant is not None
        if self.memory_mode == "on":
            if self.session is None:
                self.session = self.sessions.start(user_id=self.user_id, title=title_from(text),
                                                   memory_mode=self.memory_mode, model=self.model_name)
            else:
                self.session = self.sessions.touch(self.session.id, memory_mode=self.memory_mode,
                                                   model=self.model_name)
        session_id = self.session.id if self.session is not None else None
        return self.assistant.chat(text, user_id=self.user_id, session_id=session_id, stream=True)

    def new_chat(self) -> None:
        self.session = None

    def resume(self, session_id: str) -> tuple[ChatSession, list[Message]]:
        session = self.sessions.get(session_id)
        if session.user_id != self.user_id:
            raise ValueError(f"session {session_id} belongs to another user")
        self.session = session
        self.set_memory_mode(session.memory_mode)  # type: ignore[arg-type]
        return session, self.sessions.messages(session.id)

    def list_sessions(self, query: str | None = None) -> list[ChatSession]:
        return self.sessions.list(user_id=self.user_id, query=query)

    def rename_session(self, session_id: str, title: str) -> ChatSession:
        renamed = self.sessions.rename(session_id, title)
        if self.session is not None and self.session.id == session_id:
            self.session = renamed
        return renamed

    # -- preferences (PAMU) -----------------------------------------------------------------------
    def preferences(self, limit: int = 60):
        """The user's preference profile and the last ``limit`` turns of its history."""
        return (self.memory.preferences(user_id=self.user_id),
                self.memory.preference_history(user_id=self.user_id, limit=limit))

    def edit_reply(self, message_id: str | None, original: str, edited: str) -> dict[str, tuple[float, float]]:
        """Keep the user's edit of a reply and learn from it; returns what moved in the profile
        (dimension -> (before, after) fused value, continuous dimensions only)."""
        if self.memory_mode != "on":
            raise ValueError(f"edits are kept and learnt from with memory on (this chat's memory is {self.memory_mode})")
        before = self.memory.preferences(user_id=self.user_id)
        self.memory.record_feedback(user_id=self.user_id, original=original, edited=edited, message_id=message_id)
        after = self.memory.preferences(user_id=self.user_id)
        moved = {}
        for name, state in after.dimensions.items():
            old = before.dimensions[name].fused
            if not isinstance(state.fused, dict) and abs(float(state.fused) - float(old)) >= 0.005:
                moved[name] = (float(old), float(state.fused))
        return moved

    # -- memory browser ---------------------------------------------------------------------------
    def browse(self, query: str = "", *, kind: str | None = None, category: str | None = None,
               show: str = "active", limit: int = 200) -> list[MemoryItem]:
        """Memories for the browser: search results for ``query``, else the newest first.
        ``show``: active, all (with superseded and deleted)."""
        filters: dict[str, Any] = {}
        if kind:
            filters["kind"] = kind
        if category:
            filters["category"] = category
        if show == "all":
            filters.update(include_superseded=True, include_deleted=True)
        try:  # a user with nothing stored yet is an error to the store, an empty list here
            if query.strip():
                return self.memory.search(query, user_id=self.user_id, filters=filters, limit=min(limit, 100))
            return self.memory.get_all(user_id=self.user_id, filters=filters, limit=limit)
        except UnknownUserError:
            return []

    def detail(self, memory_id: str) -> MemoryDetail:
        item = self.memory.get(memory_id)
        successor = self.memory.get(item.superseded_by) if item.superseded_by else None
        return MemoryDetail(item=item, history=self.memory.history(memory_id),
                            sources=self.memory.sources(memory_id), successor=successor)

    def edit_memory(self, memory_id: str, text: str) -> MemoryItem:
        return self.memory.update(memory_id, text)

    def delete_memory(self, memory_id: str) -> MemoryItem:
        return self.memory.delete(memory_id)

    def undelete_memory(self, memory_id: str) -> MemoryItem:
        return self.memory.restore(memory_id)

    def restore_version(self, memory_id: str) -> MemoryItem:
        return self.memory.restore_version(memory_id)

    def export(self, path) -> int:
        """Write the user's memories, history and messages as JSON to ``path``; how many memories."""
        import json
        from pathlib import Path

        data = self.memory.export(user_id=self.user_id)
        target = Path(path).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False))
        tmp.replace(target)
        return len(data.get("memories", []))
