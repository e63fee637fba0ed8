"""Rows of the memories table, and the changes made to them (each with its history row).

These functions run inside a write transaction opened by the caller (``localmem.store.Store``),
which also keeps the vector index in step. Every function that changes a memory writes the
matching history row here, in the same transaction: there is no other way to change one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlite_utils

from localmem.store import history
from localmem.store.errors import InvalidInputError, InvalidStateError, MemoryNotFoundError
from localmem.store.scope import Scope, memory_where
from localmem.store.values import clean_text, coerce_time, dump_json, load_json, new_id, parse_ts, text_hash, ts
from localmem.types import (MAX_MEMORY_CHARS, Category, HistoryAction, Kind, MemoryItem, SearchFilters, Source,
                            Status)

COLUMNS = ("seq, id, user_id, agent_id, session_id, kind, category, text, hash, confidence, status, "
           "created_at, updated_at, valid_from, valid_to, superseded_by, metadata, source, "
           "access_count, last_accessed_at")


@dataclass
class NewMemory:
    """A memory to be written. Checked on creation: ``kind`` and ``category`` may be given as
    strings (e.g. straight from an LLM's JSON), and a bad value raises ``InvalidInputError``."""

    text: str
    kind: Kind = Kind.FACT
    category: Category = Category.OTHER
    confidence: float = 1.0
    metadata: dict[str, Any] = field(default_factory=dict)
    source: Source = field(default_factory=Source)
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def __post_init__(self) -> None:
        self.text = clean_text(self.text, what="memory text", max_chars=MAX_MEMORY_CHARS)
        self.kind = _enum(Kind, self.kind, "kind")
        self.category = _enum(Category, self.category, "category")
        if isinstance(self.confidence, bool) or not isinstance(self.confidence, (int, float)) \
                or not 0.0 <= self.confidence <= 1.0:
            raise InvalidInputError(f"confidence must be a number from 0 to 1, got {self.confidence!r}")
        self.confidence = float(self.confidence)
        self.metadata = self.metadata or {}
        dump_json(self.metadata, "metadata")
        if not isinstance(self.source, Source):
            raise InvalidInputError(f"source must be a Source, got {type(self.source).__name__}")
        self.valid_from = coerce_time(self.valid_from, "valid_from") if self.valid_from is not None else None
        self.valid_to = coerce_time(self.valid_to, "valid_to") if self.valid_to is not None else None


def _enum(enum_type, value: Any, what: str):
    try:
        return enum_type(value.value if isinstance(value, enum_type) else value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum_type)
        raise InvalidInputError(f"{what} must be one of {allowed}; got {value!r}") from None


def to_item(row: tuple) -> MemoryItem:
    (_seq, id_, user_id, agent_id, session_id, kind, category, text, hash_, confidence, status,
     created_at, updated_at, valid_from, valid_to, superseded_by, metadata, source, access_count,
     last_accessed_at) = row
    return MemoryItem(
        id=id_, user_id=user_id, agent_id=agent_id, session_id=session_id, text=text, kind=Kind(kind),
        category=Category(category), confidence=confidence, status=Status(status),
        created_at=parse_ts(created_at), updated_at=parse_ts(updated_at),
        valid_from=parse_ts(valid_from), valid_to=parse_ts(valid_to), superseded_by=superseded_by,
        metadata=load_json(metadata), source=Source(**load_json(source)), hash=hash_,
        access_count=access_count, last_accessed_at=parse_ts(last_accessed_at),
    )


def get_row(db: sqlite_utils.Database, memory_id: str) -> tuple:
    row = db.execute(f"SELECT {COLUMNS} FROM memories WHERE id = ?", [memory_id]).fetchone()
    if row is None:
        raise MemoryNotFoundError(f"no memory with id {memory_id}")
    return row


def get(db: sqlite_utils.Database, memory_id: str) -> MemoryItem:
    return to_item(get_row(db, memory_id))


def rows_in_scope(db: sqlite_utils.Database, seqs: Sequence[int], scope: Scope,
                  filters: SearchFilters | None) -> dict[int, tuple]:
    """The rows among ``seqs`` that belong to ``scope`` and pass ``filters``, by seq."""
    if not seqs:
        return {}
    where, params = memory_where(scope, filters)
    rows = db.execute(f"SELECT {COLUMNS} FROM memories m NOT INDEXED WHERE m.seq IN "
                      f"({', '.join('?' * len(seqs))}) AND {where}", [*seqs, *params])
    return {row[0]: row for row in rows}


def list_scope(db: sqlite_utils.Database, scope: Scope, filters: SearchFilters | None = None, *,
               limit: int | None = None, offset: int = 0) -> list[MemoryItem]:
    """The scope's memories passing ``filters``, newest first."""
    where, params = memory_where(scope, filters)
    sql = f"SELECT {COLUMNS} FROM memories m WHERE {where} ORDER BY m.created_at DESC, m.seq DESC"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [to_item(row) for row in db.execute(sql, params)]


def insert(db: sqlite_utils.Database, scope: Scope, new: NewMemory, *, at: datetime, actor: str,
           details: dict[str, Any] | None = None, recorded_at: datetime | None = None) -> tuple[int, MemoryItem]:
    """Insert an active memory and its ADD history row; returns ``(seq, item)``.

    ``at`` is when the memory was said (created_at, and valid_from unless given); the history row
    is stamped ``recorded_at`` (default: ``at``), the time of the write itself.
    """
    item = MemoryItem(
        id=new_id(), user_id=scope.user_id, agent_id=scope.agent_id, session_id=scope.session_id,
        text=new.text, kind=new.kind, category=new.category, confidence=new.confidence,
        status=Status.ACTIVE, created_at=at, updated_at=at, valid_from=new.valid_from or at,
        valid_to=new.valid_to, metadata=new.metadata, source=new.source, hash=text_hash(new.text),
    )
    seq = insert_raw(db, item)
    history.record(db, memory_id=item.id, user_id=item.user_id, action=HistoryAction.ADD, old_text=None,
                   new_text=item.text, old_status=None, new_status=Status.ACTIVE, actor=actor,
                   at=recorded_at or at, details=details)
    return seq, item


def insert_raw(db: sqlite_utils.Database, item: MemoryItem) -> int:
    """Insert ``item`` exactly as given (no history row: callers write it, or import brings its own)."""
    cursor = db.execute(
        f"INSERT INTO memories ({COLUMNS.removeprefix('seq, ')}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [item.id, item.user_id, item.agent_id, item.session_id, item.kind.value, item.category.value,
         item.text, item.hash, item.confidence, item.status.value, ts(item.created_at),
         ts(item.updated_at), ts(item.valid_from), ts(item.valid_to), item.superseded_by,
         dump_json(item.metadata, "metadata"), dump_json(item.source.model_dump(), "source"),
         item.access_count, ts(item.last_accessed_at)],
    )
    return cursor.lastrowid


def update(db: sqlite_utils.Database, memory_id: str, *, at: datetime, actor: str,
           text: str | None = None, kind: Kind | None = None, category: Category | None = None,
           confidence: float | None = None, metadata: dict[str, Any] | None = None,
           valid_from: datetime | None = None) -> tuple[int, MemoryItem, MemoryItem]:
    """Change an active memory in place (same id) with an UPDATE history row holding the old text.

    Returns ``(seq, before, after)``; when nothing differs, nothing is written and before == after.
    """
    row = get_row(db, memory_id)
    before = to_item(row)
    if before.status is not Status.ACTIVE:
        raise InvalidStateError(f"memory {memory_id} is {before.status.value}; only active memories "
                                "can be updated (restore a deleted one first)")
    changes: dict[str, Any] = {}
    if text is not None and text != before.text:
        changes.update(text=text, hash=text_hash(text))
    if kind is not None and kind is not before.kind:
        changes["kind"] = kind.value
    if category is not None and category is not before.category:
        changes["category"] = category.value
    if confidence is not None and confidence != before.confidence:
        changes["confidence"] = confidence
    if metadata is not None and metadata != before.metadata:
        changes["metadata"] = dump_json(metadata, "metadata")
    if valid_from is not None and valid_from != before.valid_from:
        changes["valid_from"] = ts(valid_from)
    if not changes:
        return row[0], before, before
    changed_fields = sorted(changes.keys() - {"hash"})
    changes["updated_at"] = ts(at)
    assignments = ", ".join(f"{name} = ?" for name in changes)
    db.execute(f"UPDATE memories SET {assignments} WHERE seq = ?", [*changes.values(), row[0]])
    history.record(db, memory_id=memory_id, user_id=before.user_id, action=HistoryAction.UPDATE,
                   old_text=before.text, new_text=changes.get("text", before.text),
                   old_status=Status.ACTIVE, new_status=Status.ACTIVE, actor=actor, at=at,
                   details={"fields": changed_fields})
    return row[0], before, get(db, memory_id)


def mark_superseded(db: sqlite_utils.Database, old_id: str, new: MemoryItem, *, at: datetime,
                    actor: str) -> MemoryItem:
    """End an active memory because ``new`` replaces it: valid_to, superseded_by, SUPERSEDE row."""
    before = get(db, old_id)
    if before.status is not Status.ACTIVE:
        raise InvalidStateError(f"memory {old_id} is {before.status.value}; only an active memory can be superseded")
    if before.user_id != new.user_id:
        raise InvalidStateError(f"memory {old_id} belongs to another user; a memory can only be "
                                "superseded within its own user's scope")
    valid_to = new.valid_from or at
    db.execute("UPDATE memories SET status = 'superseded', valid_to = ?, superseded_by = ?, updated_at = ? "
               "WHERE id = ?", [ts(valid_to), new.id, ts(at), old_id])
    history.record(db, memory_id=old_id, user_id=before.user_id, action=HistoryAction.SUPERSEDE,
                   old_text=before.text, new_text=new.text, old_status=Status.ACTIVE,
                   new_status=Status.SUPERSEDED, actor=actor, at=at, details={"superseded_by": new.id})
    return get(db, old_id)


def set_status(db: sqlite_utils.Database, memory_id: str, action: HistoryAction, *, at: datetime,
               actor: str, details: dict[str, Any] | None = None) -> MemoryItem:
    """DELETE (soft: status=deleted) or RESTORE (back to the status it had before its deletion)."""
    before = get(db, memory_id)
    if action is HistoryAction.DELETE:
        if before.status is Status.DELETED:
            raise InvalidStateError(f"memory {memory_id} is already deleted")
        target = Status.DELETED
    elif action is HistoryAction.RESTORE:
        if before.status is not Status.DELETED:
            raise InvalidStateError(f"memory {memory_id} is {before.status.value}; only a deleted memory can be restored")
        target = history.last_status_before_delete(db, memory_id)
    else:  # pragma: no cover - programming error
        raise ValueError(f"set_status does not handle {action}")
    db.execute("UPDATE memories SET status = ?, updated_at = ? WHERE id = ?", [target.value, ts(at), memory_id])
    history.record(db, memory_id=memory_id, user_id=before.user_id, action=action, old_text=before.text,
                   new_text=before.text, old_status=before.status, new_status=target, actor=actor, at=at,
                   details=details)
    return get(db, memory_id)


def ids_in_scope(db: sqlite_utils.Database, scope: Scope, statuses: Sequence[Status]) -> list[str]:
    clauses, params = scope.where("m")
    clauses.append(f"m.status IN ({', '.join('?' * len(statuses))})")
    params += [s.value for s in statuses]
    return [r[0] for r in db.execute(f"SELECT id FROM memories m WHERE {' AND '.join(clauses)} ORDER BY seq", params)]


def record_access(db: sqlite_utils.Database, counts: dict[int, tuple[int, datetime]]) -> None:
    """Add search hits to access_count / last_accessed_at (not a content change: no history row)."""
    for seq, (count, at) in counts.items():
        db.execute("UPDATE memories SET access_count = access_count + ?, "
                   "last_accessed_at = max(coalesce(last_accessed_at, ''), ?) WHERE seq = ?",
                   [count, ts(at), seq])


def known_user(db: sqlite_utils.Database, user_id: str) -> bool:
    for table in ("memories", "messages", "preference_state"):
        if db.execute(f"SELECT 1 FROM {table} WHERE user_id = ? LIMIT 1", [user_id]).fetchone():
            return True
    return False
