"""The chat_sessions table: a title, memory mode and model per chat (``session_id`` of messages).

Rows are written by ``localmem.sessions.ChatSessions``; the conversation itself stays in
``messages`` (scoped by ``session_id``), so a session's text is searched there.
"""

from __future__ import annotations

import sqlite_utils

_COLUMNS = "s.id, s.user_id, s.title, s.memory_mode, s.model, s.created_at, s.updated_at"


def insert(db: sqlite_utils.Database, *, id: str, user_id: str, title: str, memory_mode: str,
           model: str | None, at: str) -> None:
    db.execute("INSERT INTO chat_sessions (id, user_id, title, memory_mode, model, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)", [id, user_id, title, memory_mode, model, at, at])


def get(db: sqlite_utils.Database, session_id: str) -> tuple | None:
    return db.execute(f"SELECT {_COLUMNS}, (SELECT count(*) FROM messages m WHERE m.user_id = s.user_id "
                      "AND m.session_id = s.id) FROM chat_sessions s WHERE s.id = ?", [session_id]).fetchone()


def for_user(db: sqlite_utils.Database, user_id: str, *, query: str | None, limit: int) -> list[tuple]:
    """The user's sessions, most recently used first; ``query`` matches titles and message text."""
    sql = (f"SELECT {_COLUMNS}, (SELECT count(*) FROM messages m WHERE m.user_id = s.user_id "
           "AND m.session_id = s.id) FROM chat_sessions s WHERE s.user_id = ?")
    params: list = [user_id]
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql += (" AND (s.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m WHERE m.user_id = s.user_id "
                "AND m.session_id = s.id AND m.content LIKE ? ESCAPE '\\'))")
        params += [pattern, pattern]
    sql += " ORDER BY s.updated_at DESC, s.rowid DESC LIMIT ?"
    return db.execute(sql, [*params, limit]).fetchall()


def set_fields(db: sqlite_utils.Database, session_id: str, *, at: str, **fields: object) -> int:
    names = [k for k, v in fields.items() if v is not None]
    assignments = ", ".join(f"{k} = ?" for k in names)
    sql = f"UPDATE chat_sessions SET {assignments + ', ' if names else ''}updated_at = ? WHERE id = ?"
    return db.execute(sql, [*(fields[k] for k in names), at, session_id]).rowcount

