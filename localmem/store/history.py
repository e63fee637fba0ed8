"""The history table: one append-only row per change to a memory.

``record`` is called by every write in ``localmem.store.memories``, inside the same transaction as
the change it describes, so a memory never changes without its history row.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from localmem.store.values import dump_json, load_json, new_id, parse_ts, ts
from localmem.types import HistoryAction, HistoryEntry, Status

_COLUMNS = ("id, memory_id, user_id, action, old_text, new_text, old_status, new_status, actor, "
            "created_at, details")


def record(db: sqlite_utils.Database, *, memory_id: str, user_id: str, action: HistoryAction,
           old_text: str | None, new_text: str | None, old_status: Status | None,
           new_status: Status | None, actor: str, at, details: dict[str, Any] | None = None) -> str:
    entry_id = new_id()
    db.execute(
        f"INSERT INTO history ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [entry_id, memory_id, user_id, action.value, old_text, new_text,
         old_status.value if old_status else None, new_status.value if new_status else None,
         actor, ts(at), dump_json(details, "history details")],
    )
    return entry_id


def insert_raw(db: sqlite_utils.Database, entry: HistoryEntry) -> None:
    """Insert an existing entry as it is (used by import, which must round-trip exactly)."""
    db.execute(
        f"INSERT INTO history ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [entry.id, entry.memory_id, entry.user_id, entry.action.value, entry.old_text, entry.new_text,
         entry.old_status.value if entry.old_status else None,
         entry.new_status.value if entry.new_status else None,
         entry.actor, ts(entry.created_at), dump_json(entry.details, "history details")],
    )


def _entry(row: tuple) -> HistoryEntry:
    (id_, memory_id, user_id, action, old_text, new_text, old_status, new_status, actor, created_at,
     details) = row
    return HistoryEntry(
        id=id_, memory_id=memory_id, user_id=user_id, action=HistoryAction(action),
        old_text=old_text, new_text=new_text,
        old_status=Status(old_status) if old_status else None,
        new_status=Status(new_status) if new_status else None,
        actor=actor, created_at=parse_ts(created_at), details=load_json(details),
    )


def for_memory(db: sqlite_utils.Database, memory_id: str) -> list[HistoryEntry]:
    """The memory's changes, oldest first."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM history WHERE memory_id = ? ORDER BY seq", [memory_id])
    return [_entry(row) for row in rows]


def for_user(db: sqlite_utils.Database, user_id: str) -> list[HistoryEntry]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM history WHERE user_id = ? ORDER BY seq", [user_id])
    return [_entry(row) for row in rows]


def last_status_before_delete(db: sqlite_utils.Database, memory_id: str) -> Status:
    """The status a deleted memory had before its most recent DELETE (what RESTORE returns it to)."""
    row = db.execute(
        "SELECT old_status FROM history WHERE memory_id = ? AND action = 'DELETE' ORDER BY seq DESC LIMIT 1",
        [memory_id]).fetchone()
    return Status(row[0]) if row and row[0] else Status.ACTIVE
