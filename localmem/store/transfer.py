"""Export, import and forgetting of one user's data.

An export is a JSON-ready dict holding every memory (all statuses, with ids, times and access
counts), every history row and every logged message of the user, and the rows of the user's
preference tracking (tracker state, per-turn signals, reply feedback) and chat sessions, as stored
(``tables``; exports written before these were included simply lack them). Importing it into any store
recreates exactly those rows (vectors are recomputed with the store's embedder), so
``export -> import -> export`` gives the same data. Importing the same export twice is a no-op;
an id that exists with different content is a conflict and nothing is written.

``forget_user`` hard-deletes the user's memories, history and messages, then rewrites the file
(secure_delete, FTS5 secure-delete, VACUUM, WAL truncation) so that no trace is left on disk.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from localmem.store import history, memories, messages, vectors
from localmem.store.db import sqlite3, translate_errors
from localmem.store.errors import ImportConflictError, InvalidInputError, StoreLockedError
from localmem.store.scope import Scope
from localmem.store.values import now
from localmem.types import HistoryEntry, MemoryItem, Message

FORMAT = "localmem-export"
VERSION = 1


# Per-user tables exported row for row (column -> value as stored) beside memories, history and
# messages: (table, key column, columns). JSON text columns stay text, so the round trip is exact.
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "preference_state": ("user_id", ("user_id", "turns", "state", "updated_at")),
    "preference_signals": ("id", ("id", "user_id", "turn", "created_at", "source", "message_id", "signal",
                                  "short_term", "long_term", "fused", "delta", "changed")),
    "reply_feedback": ("id", ("id", "user_id", "message_id", "original", "edited", "comment", "created_at",
                              "turn")),
    "chat_sessions": ("id", ("id", "user_id", "title", "memory_mode", "model", "created_at", "updated_at")),
}
Cell = str | int | float | None


class ExportData(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    format: Literal["localmem-export"]
    version: Literal[1]
    user_id: str
    exported_at: str | None = None
    memories: list[MemoryItem]
    history: list[HistoryEntry]
    messages: list[Message]
    tables: dict[str, list[dict[str, Cell]]] = {}


def _table_rows(db, user_id: str) -> dict[str, list[dict[str, Cell]]]:
    out = {}
    for table, (_, columns) in TABLES.items():
        order = "seq" if table in ("preference_signals", "reply_feedback") else columns[0]
        rows = db.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE user_id = ? ORDER BY {order}", [user_id])
        out[table] = [dict(zip(columns, r)) for r in rows]
    return out


def export_user(store, user_id: str) -> dict[str, Any]:
    store.require_user(user_id)
    store.flush()
    with store.snapshot():
        db = store.db
        rows = db.execute(f"SELECT {memories.COLUMNS} FROM memories WHERE user_id = ? ORDER BY seq", [user_id])
        items = [memories.to_item(r).model_dump(mode="json", exclude={"score", "match"}) for r in rows]
        entries = [e.model_dump(mode="json") for e in history.for_user(db, user_id)]
        logged = [m.model_dump(mode="json") for m in messages.for_scope(db, Scope(user_id))]
        tables = _table_rows(db, user_id)
    return {"format": FORMAT, "version": VERSION, "user_id": user_id,
            "exported_at": now().isoformat().replace("+00:00", "Z"),
            "memories": items, "history": entries, "messages": logged, "tables": tables}


def parse_export(data: Any) -> ExportData:
    if not isinstance(data, dict):
        raise InvalidInputError(f"import data must be a dict (an export), got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise InvalidInputError(f"not a localmem export (format is {data.get('format')!r}, expected {FORMAT!r})")
    if data.get("version") != VERSION:
        raise InvalidInputError(f"unsupported export version {data.get('version')!r} (this localmem reads {VERSION})")
    try:
        parsed = ExportData.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(f"invalid export: {exc}") from None
    for table, rows in parsed.tables.items():
        if table not in TABLES:
            raise InvalidInputError(f"invalid export: unknown table {table!r} (expected {', '.join(TABLES)})")
        columns = set(TABLES[table][1])
        for row in rows:
            if set(row) != columns:
                raise InvalidInputError(f"invalid export: a {table} row has columns {sorted(row)}, "
                                        f"expected {sorted(columns)}")
            bad = [c for c in ("turn", "turns") if c in row and (type(row[c]) is not int or row[c] < 0)]
            if bad or not isinstance(row[TABLES[table][0]], str):
                raise InvalidInputError(f"invalid export: a {table} row has a bad "
                                        f"{bad[0] if bad else TABLES[table][0]}: {row.get(bad[0] if bad else TABLES[table][0])!r}")
    users = {m.user_id for m in parsed.memories} | {h.user_id for h in parsed.history} | {
        m.user_id for m in parsed.messages} | {r["user_id"] for rows in parsed.tables.values() for r in rows}
    if users - {parsed.user_id}:
        raise InvalidInputError(f"export for {parsed.user_id!r} contains rows of other users: {sorted(users - {parsed.user_id})}")
    ids = {m.id for m in parsed.memories}
    orphans = {h.memory_id for h in parsed.history} - ids
    if orphans:
        raise InvalidInputError(f"export has history for memories it does not contain: {sorted(orphans)[:5]}")
    return parsed


def _existing(db, table: str, columns: str, ids: list[str], key: str = "id") -> dict[str, tuple]:
    """Stored rows whose ``key`` is among ``ids`` (in chunks of 500), by key."""
    found: dict[str, tuple] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        sql = f"SELECT {columns} FROM {table} WHERE {key} IN ({', '.join('?' * len(chunk))})"
        for row in db.execute(sql, chunk):
            found[row[1] if table == "memories" else row[0]] = row
    return found


def import_data(store, data: Any, *, actor: str = "import") -> dict[str, int]:
    """Insert the export's rows that are not already stored; returns counts of rows added."""
    parsed = parse_export(data)
    to_embed = parsed.memories
    vecs = store._embed([m.text for m in to_embed]) if to_embed else None
    added = {"memories": 0, "history": 0, "messages": 0}
    with store.writing():
        db = store.db
        db.execute("PRAGMA defer_foreign_keys = ON")  # superseded_by may point forward in the list
        have = _existing(db, "memories", memories.COLUMNS, [m.id for m in parsed.memories])
        rows, row_vecs = [], []
        for i, item in enumerate(parsed.memories):
            if item.id in have:
                if memories.to_item(have[item.id]) != item:
                    raise ImportConflictError(f"memory {item.id} already exists with different content; "
                                              "nothing was imported")
                continue
            seq = memories.insert_raw(db, item)
            rows.append((seq, item.user_id, item.status.value))
            row_vecs.append(i)
            added["memories"] += 1
        if rows:
            vectors.ensure_model(db, vecs[1], vecs[2], store.path)
            vectors.put(db, rows, vecs[0][row_vecs])
        have_h = {r[0]: r for r in db.execute(
            "SELECT id FROM history WHERE user_id = ?", [parsed.user_id])}
        for entry in parsed.history:
            if entry.id not in have_h:
                history.insert_raw(db, entry)
                added["history"] += 1
        have_m = _existing(db, "messages", "id, content", [m.id for m in parsed.messages])
        for message in parsed.messages:
            if message.id in have_m:
                if have_m[message.id][1] != message.content:
                    raise ImportConflictError(f"message {message.id} already exists with different "
                                              "content; nothing was imported")
                continue
            messages.insert_raw(db, message)
            added["messages"] += 1
        for table, rows in parsed.tables.items():
            added[table] = _import_rows(db, table, rows)
    return added


def _import_rows(db, table: str, rows: list[dict[str, Cell]]) -> int:
    """Insert the rows whose key is not stored yet; a stored row that differs is a conflict (the
    caller's transaction is rolled back, so nothing of the import is written)."""
    key, columns = TABLES[table]  # the key is the first column
    have = _existing(db, table, ", ".join(columns), [row[key] for row in rows], key=key)
    added = 0
    for row in rows:
        stored = have.get(row[key])
        if stored is not None:
            if dict(zip(columns, stored)) != row:
                what = "preference tracking state" if table == "preference_state" else f"{table} row {row[key]}"
                raise ImportConflictError(f"{what} already exists with different content; nothing was imported")
            continue
        try:
            db.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                       [row[c] for c in columns])
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" not in str(exc):
                raise InvalidInputError(f"invalid export: {table} row {row[key]}: {exc}") from None
            raise ImportConflictError(f"{table} row {row[key]} clashes with a stored row ({exc}); "
                                      "nothing was imported") from None
        added += 1
    return added


def forget_user(store, user_id: str) -> dict[str, Any]:
    """Hard-delete everything of ``user_id`` and scrub the file. Returns counts removed."""
    store.require_user(user_id)
    with store.writing():
        db = store.db
        counts = {
            "memories": db.execute("SELECT count(*) FROM memories WHERE user_id = ?", [user_id]).fetchone()[0],
            "history": db.execute("SELECT count(*) FROM history WHERE user_id = ?", [user_id]).fetchone()[0],
            "messages": db.execute("SELECT count(*) FROM messages WHERE user_id = ?", [user_id]).fetchone()[0],
        }
        db.execute("DELETE FROM history WHERE user_id = ?", [user_id])
        # memories: FTS rows, vec0 rows (triggers) and memory_vectors (cascade) go with them.
        db.execute("UPDATE memories SET superseded_by = NULL WHERE user_id = ? AND superseded_by IS NOT NULL",
                   [user_id])
        db.execute("DELETE FROM memories WHERE user_id = ?", [user_id])
        db.execute("DELETE FROM messages WHERE user_id = ?", [user_id])
        db.execute("DELETE FROM extraction_failures WHERE user_id = ?", [user_id])
        db.execute("DELETE FROM chat_sessions WHERE user_id = ?", [user_id])  # titles quote the user
        db.execute("DELETE FROM jobs WHERE user_id = ?", [user_id])  # the daemon's queue (results hold text)
        from localmem.preferences.store import forget as forget_preferences

        counts["preferences"] = forget_preferences(db, user_id)["preference_signals"]
    if store.cache is not None:
        store.cache.drop(user_id)
    counts.update(scrub(store))
    return counts


def scrub(store) -> dict[str, bool]:
    """Rewrite the file without free pages, then empty the WAL.

    The deletion is already committed (and secure_delete has zeroed the freed space); this removes
    what lingers in free pages and in the WAL. It reports False where another process kept the
    file busy (run ``localmem memories vacuum`` later to finish)."""
    done = {"vacuumed": False, "wal_truncated": False}
    with store._lock:
        conn = store.db.conn
        try:
            with translate_errors(store.path):
                conn.execute("INSERT INTO memories_fts (memories_fts) VALUES ('optimize')")
                conn.commit()
                conn.execute("VACUUM")
                done["vacuumed"] = True
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                done["wal_truncated"] = busy == 0
        except StoreLockedError:
            if conn.in_transaction:
                conn.rollback()
    return done


def users(store) -> list[dict[str, Any]]:
    with store.reading():
        rows = store.db.execute("""
            SELECT user_id, sum(status = 'active'), sum(status = 'superseded'), sum(status = 'deleted'),
                   max(updated_at) FROM memories GROUP BY user_id ORDER BY user_id""").fetchall()
    return [{"user_id": r[0], "active": r[1], "superseded": r[2], "deleted": r[3], "last_change": r[4]}
            for r in rows]

