"""Parked model failures: malformed outputs kept for later processing, never dropped."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import sqlite_utils
from pydantic import BaseModel

from localmem.store.values import new_id, ts


class ExtractionFailure(BaseModel):
    id: str
    user_id: str
    message_ids: list[str]
    operation: str
    error: str
    raw_outputs: list[str]
    created_at: datetime
    resolved_at: datetime | None = None


def insert(db: sqlite_utils.Database, user_id: str, message_ids: Sequence[str], *, operation: str, error: str,
           raw_outputs: Sequence[str], at: datetime) -> ExtractionFailure:
    failure = ExtractionFailure(id=new_id(), user_id=user_id, message_ids=list(message_ids),
                                operation=operation, error=error, raw_outputs=list(raw_outputs), created_at=at)
    db.execute(
        "INSERT INTO extraction_failures (id, user_id, message_ids, operation, error, raw_outputs, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [failure.id, user_id, json.dumps(failure.message_ids), operation, error, json.dumps(failure.raw_outputs),
         ts(at)])
    return failure


def resolve_for_messages(db: sqlite_utils.Database, message_ids: Sequence[str], at: datetime) -> int:
    """Mark unresolved failures of these messages resolved (a later run processed them)."""
    count = 0
    wanted = set(message_ids)
    for fid, ids in db.execute("SELECT id, message_ids FROM extraction_failures WHERE resolved_at IS NULL").fetchall():
        if wanted & set(json.loads(ids)):
            db.execute("UPDATE extraction_failures SET resolved_at = ? WHERE id = ?", [ts(at), fid])
            count += 1
    return count


def list_for(db: sqlite_utils.Database, user_id: str | None, *, include_resolved: bool) -> list[ExtractionFailure]:
    sql = "SELECT id, user_id, message_ids, operation, error, raw_outputs, created_at, resolved_at " \
          "FROM extraction_failures WHERE 1 = 1"
    args: list = []
    if user_id is not None:
        sql += " AND user_id = ?"
        args.append(user_id)
    if not include_resolved:
        sql += " AND resolved_at IS NULL"
    rows = db.execute(sql + " ORDER BY seq", args).fetchall()
    return [ExtractionFailure(id=r[0], user_id=r[1], message_ids=json.loads(r[2]), operation=r[3], error=r[4],
                              raw_outputs=json.loads(r[5]), created_at=r[6], resolved_at=r[7]) for r in rows]
