"""The daemon's background work queue, persisted in the store's SQLite file (table ``jobs``).

A job is ``queued`` -> ``running`` -> ``done`` | ``failed``. Claiming a job and finishing it are each
one write transaction; a job found ``running`` when the daemon starts (it was killed mid-job) or
left by a clean shutdown is queued again, so every job runs at least once. Jobs are idempotent in
effect (an extraction job skips messages already marked extracted; exact duplicates never become
a second memory), which makes at-least-once exactly-once in effect. An ``idempotency_key`` (from
the client, unique) maps a retried request to the job it created the first time.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from localmem.store.values import new_id, now, parse_ts, ts

JobStatus = Literal["queued", "running", "done", "failed"]
_COLUMNS = "id, kind, idempotency_key, user_id, payload, status, attempts, result, error, created_at, updated_at"


class Job(BaseModel):
    id: str
    kind: str
    idempotency_key: str | None = None
    user_id: str | None = None
    payload: dict[str, Any] = {}
    status: JobStatus
    attempts: int = 0
    result: Any = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime


def _job(row: tuple) -> Job:
    (id_, kind, key, user_id, payload, status, attempts, result, error, created, updated) = row
    return Job(id=id_, kind=kind, idempotency_key=key, user_id=user_id, payload=json.loads(payload),
               status=status, attempts=attempts, result=json.loads(result) if result else None, error=error,
               created_at=parse_ts(created), updated_at=parse_ts(updated))


def insert(db, kind: str, payload: dict[str, Any], *, user_id: str | None, key: str | None) -> Job:
    """Queue a job (call inside a write transaction, with whatever it depends on)."""
    at = ts(now())
    job_id = new_id()
    db.execute(f"INSERT INTO jobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, 'queued', 0, NULL, NULL, ?, ?)",
               [job_id, kind, key, user_id, json.dumps(payload), at, at])
    return get(db, job_id)


def by_key(db, key: str) -> Job | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE idempotency_key = ?", [key]).fetchone()
    return _job(row) if row else None


def get(db, job_id: str) -> Job | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", [job_id]).fetchone()
    return _job(row) if row else None


def claim(db) -> Job | None:
    """Take the oldest queued job and mark it running (call inside a write transaction)."""
    row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1").fetchone()
    if row is None:
        return None
    job = _job(row)
    db.execute("UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ? WHERE id = ?",
               [ts(now()), job.id])
    return get(db, job.id)


def finish(db, job_id: str, *, result: Any = None, error: str | None = None,
           status: JobStatus = "done") -> None:
    db.execute("UPDATE jobs SET status = ?, result = ?, error = ?, updated_at = ? WHERE id = ?",
               [status, json.dumps(result) if result is not None else None, error, ts(now()), job_id])


def requeue_running(db) -> int:
    """Jobs left running by a crash or a shutdown go back to the queue; returns how many."""
    return db.execute("UPDATE jobs SET status = 'queued', updated_at = ? WHERE status = 'running'",
                      [ts(now())]).rowcount


def counts(db) -> dict[str, int]:
    out = {"queued": 0, "running": 0, "done": 0, "failed": 0}
    for status, n in db.execute("SELECT status, count(*) FROM jobs GROUP BY status"):
        out[status] = n
    return out


def list_jobs(db, *, status: str | None = None, limit: int = 100) -> list[Job]:
    sql, params = f"SELECT {_COLUMNS} FROM jobs", []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    sql += " ORDER BY seq DESC LIMIT ?"
    params.append(limit)
    return [_job(r) for r in db.execute(sql, params)]


def message_ids_in_open_jobs(db) -> set[str]:
    """Message ids some queued or running extraction job will process."""
    ids: set[str] = set()
    for (payload,) in db.execute("SELECT payload FROM jobs WHERE kind = 'extract' AND status IN ('queued', 'running')"):
        ids.update(json.loads(payload).get("message_ids", []))
    return ids


def prune(db, *, before: datetime) -> int:
    """Delete finished jobs last updated before ``before`` (their results are copies of what the
    store holds; the idempotency window for a retried request is shorter than this)."""
    return db.execute("DELETE FROM jobs WHERE status IN ('done', 'failed') AND updated_at < ?",
                      [ts(before)]).rowcount
