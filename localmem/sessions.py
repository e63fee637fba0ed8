"""``ChatSessions``: named, resumable chats on top of a ``Memory`` (used by the terminal app).

    from localmem import Memory
    from localmem.sessions import ChatSessions

    sessions = ChatSessions(Memory())
    s = sessions.start(user_id="ana", title="Moving to Lyon")   # or title from the first message
    assistant.chat("...", user_id="ana", session_id=s.id)
    sessions.list(user_id="ana", query="lyon")                 # titles and message text
    sessions.rename(s.id, "Lyon flat hunt"); sessions.messages(s.id)

A session is a ``session_id`` on the logged messages plus a row with its title, memory mode and
model. Chats in memory mode ``off`` (a fresh start) and ``read-only`` log no messages, so the app
does not save them as sessions.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from localmem.store import sessions as rows
from localmem.store.errors import InvalidInputError
from localmem.store.scope import Scope
from localmem.store.values import check_id, clean_text, new_id, now, parse_ts, ts
from localmem.types import Message

MAX_TITLE_CHARS = 200
MODES = ("on", "read-only", "off")


class ChatSession(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    user_id: str
    title: str
    memory_mode: str
    model: str | None
    created_at: datetime
    updated_at: datetime
    message_count: int = 0


class SessionNotFoundError(InvalidInputError):
    """No chat session has this id."""


def title_from(text: str, width: int = 48) -> str:
    """A one-line title from a message: its first line, cut at a word near ``width``."""
    line = " ".join(text.split())
    if len(line) <= width:
        return line
    cut = line[:width].rsplit(" ", 1)[0]
    return (cut if len(cut) > width // 2 else line[:width]) + "…"


def _session(row: tuple) -> ChatSession:
    id_, user_id, title, mode, model, created, updated, count = row
    return ChatSession(id=id_, user_id=user_id, title=title, memory_mode=mode, model=model,
                       created_at=parse_ts(created), updated_at=parse_ts(updated), message_count=count)


def _mode(value: str) -> str:
    if value not in MODES:
        raise InvalidInputError(f"memory_mode must be one of {', '.join(MODES)}, got {value!r}")
    return value


class ChatSessions:
    def __init__(self, memory):
        self.memory = memory
        self.store = memory.store

    def start(self, *, user_id: str, title: str, memory_mode: str = "on", model: str | None = None) -> ChatSession:
        scope = Scope.of(user_id)
        title = title_from(clean_text(title, what="title", max_chars=MAX_TITLE_CHARS), MAX_TITLE_CHARS)
        session_id = new_id()
        with self.store.writing() as db:
            rows.insert(db, id=session_id, user_id=scope.user_id, title=title, memory_mode=_mode(memory_mode),
                        model=model, at=ts(now()))
        return self.get(session_id)

    def get(self, session_id: str) -> ChatSession:
        session_id = check_id(session_id, "session id")
        with self.store.reading() as db:
            row = rows.get(db, session_id)
        if row is None:
            raise SessionNotFoundError(f"no chat session with id {session_id}")
        return _session(row)

    def list(self, *, user_id: str, query: str | None = None, limit: int = 100) -> list[ChatSession]:
        """The user's sessions, most recently used first; ``query`` matches titles and message text."""
        scope = Scope.of(user_id)
        if query is not None:
            query = query.strip() or None
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InvalidInputError(f"limit must be an integer from 1 to 1000, got {limit!r}")
        with self.store.reading() as db:
            return [_session(r) for r in rows.for_user(db, scope.user_id, query=query, limit=limit)]

    def rename(self, session_id: str, title: str) -> ChatSession:
        title = clean_text(title, what="title", max_chars=MAX_TITLE_CHARS).strip()
        return self._set(session_id, title=" ".join(title.split()))

    def touch(self, session_id: str, *, memory_mode: str | None = None, model: str | None = None) -> ChatSession:
        """Mark the session used now (it moves to the top of the list), updating its mode/model."""
        return self._set(session_id, memory_mode=_mode(memory_mode) if memory_mode else None, model=model)

    def _set(self, session_id: str, **fields) -> ChatSession:
        session_id = check_id(session_id, "session id")
        with self.store.writing() as db:
            if not rows.set_fields(db, session_id, at=ts(now()), **fields):
                raise SessionNotFoundError(f"no chat session with id {session_id}")
        return self.get(session_id)

    def messages(self, session_id: str) -> list[Message]:
        """The session's logged conversation, oldest first."""
        session = self.get(session_id)
        return self.memory.messages(user_id=session.user_id, session_id=session.id)
