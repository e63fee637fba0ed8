"""The messages table: the raw conversation log.

Messages are logged before anything is extracted from them, so nothing said is lost if extraction
fails, and any memory can be traced back (``Source.message_ids``) and re-extracted later.
``pending_extraction`` marks messages the extraction pipeline has not processed yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from localmem.store.scope import Scope
from localmem.store.values import dump_json, load_json, new_id, parse_ts, ts
from localmem.types import Message

_COLUMNS = ("id, user_id, agent_id, session_id, role, content, created_at, metadata, "
            "pending_extraction, extracted_at")


def insert(db: sqlite_utils.Database, scope: Scope, turns: Sequence[tuple[str, str, dict[str, Any]]],
           *, at: datetime, pending: bool) -> list[Message]:
    """Log ``(role, content, metadata)`` turns (already validated) and return them as stored."""
    out = []
    for role, content, metadata in turns:
        message = Message(id=new_id(), user_id=scope.user_id, agent_id=scope.agent_id,
                          session_id=scope.session_id, role=role, content=content, created_at=at,
                          metadata=metadata, pending_extraction=pending)
        insert_raw(db, message)
        out.append(message)
    return out


def insert_raw(db: sqlite_utils.Database, m: Message) -> None:
    db.execute(
        f"INSERT INTO messages ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [m.id, m.user_id, m.agent_id, m.session_id, m.role, m.content, ts(m.created_at),
         dump_json(m.metadata, "message metadata"), int(m.pending_extraction), ts(m.extracted_at)],
    )


def _message(row: tuple) -> Message:
    (id_, user_id, agent_id, session_id, role, content, created_at, metadata, pending, extracted_at) = row
    return Message(id=id_, user_id=user_id, agent_id=agent_id, session_id=session_id, role=role,
                   content=content, created_at=parse_ts(created_at), metadata=load_json(metadata),
                   pending_extraction=bool(pending), extracted_at=parse_ts(extracted_at))


def get_many(db: sqlite_utils.Database, ids: Sequence[str]) -> list[Message]:
    if not ids:
        return []
    rows = db.execute(f"SELECT {_COLUMNS} FROM messages WHERE id IN ({', '.join('?' * len(ids))}) "
                      "ORDER BY seq", list(ids))
    return [_message(row) for row in rows]


def for_scope(db: sqlite_utils.Database, scope: Scope, *, limit: int | None = None) -> list[Message]:
    """The scope's messages in the order they were logged; with ``limit``, the most recent ones."""
    clauses, params = scope.where("m")
    sql = f"SELECT {_COLUMNS} FROM messages m WHERE {' AND '.join(clauses)}"
    if limit is None:
        return [_message(row) for row in db.execute(sql + " ORDER BY seq", params)]
    rows = db.execute(sql + " ORDER BY seq DESC LIMIT ?", [*params, limit]).fetchall()
    return [_message(row) for row in reversed(rows)]


def pending(db: sqlite_utils.Database, *, user_id: str | None = None, limit: int = 100) -> list[Message]:
    """Messages still waiting for extraction, oldest first."""
    sql = f"SELECT {_COLUMNS} FROM messages WHERE pending_extraction = 1"
    params: list = []
    if user_id is not None:
        sql += " AND user_id = ?"
        params.append(user_id)
    sql += " ORDER BY seq LIMIT ?"
    params.append(limit)
    return [_message(row) for row in db.execute(sql, params)]


def set_pending(db: sqlite_utils.Database, ids: Sequence[str], *, pending: bool, at: datetime | None) -> int:
    """Mark messages as extracted (``pending=False``, stamped ``at``) or queue them again."""
    if not ids:
        return 0
    cursor = db.execute(
        f"UPDATE messages SET pending_extraction = ?, extracted_at = ? WHERE id IN ({', '.join('?' * len(ids))})",
        [int(pending), None if pending else ts(at), *ids])
    return cursor.rowcount
