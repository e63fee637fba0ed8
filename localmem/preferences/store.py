"""Persistence of preference tracking in the memory store's SQLite file (tables from m008).

- ``preference_state``: one row per user, the tracker state (windows, EMAs, variances), so that an
  update reads and writes one small row.
- ``preference_signals``: one row per turn, the full time series (signal, estimates, Δ, changes).
- ``reply_feedback``: edited replies and comments, kept exactly as given.

Every update is one ``BEGIN IMMEDIATE`` transaction: the state is read under the write lock, so two
processes feeding the same user serialise instead of losing a turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from localmem.preferences import tracker
from localmem.preferences.types import PreferenceSignal, PreferenceSnapshot, ReplyFeedback, SignalSource
from localmem.store.values import new_id, parse_ts, ts


def _dump(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)


def read_state(db, user_id: str) -> tracker.TrackerState:
    row = db.execute("SELECT state FROM preference_state WHERE user_id = ?", [user_id]).fetchone()
    return tracker.TrackerState.model_validate_json(row[0]) if row else tracker.TrackerState()


def _write_state(db, user_id: str, state: tracker.TrackerState, at: datetime) -> None:
    db.execute(
        "INSERT INTO preference_state (user_id, turns, state, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET turns = excluded.turns, state = excluded.state, "
        "updated_at = excluded.updated_at",
        [user_id, state.turns, state.model_dump_json(), ts(at)])


def _insert_snapshot(db, user_id: str, result: tracker.TurnResult, signal: PreferenceSignal, *,
                     source: SignalSource, message_id: str | None, at: datetime) -> PreferenceSnapshot:
    snap = PreferenceSnapshot(turn=result.turn, at=at, source=source, message_id=message_id, signal=signal,
                              short_term=result.short_term, long_term=result.long_term, fused=result.fused,
                              delta=result.delta, changed=[c.dimension for c in result.changes])
    db.execute(
        "INSERT INTO preference_signals (id, user_id, turn, created_at, source, message_id, signal, short_term, "
        "long_term, fused, delta, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [new_id(), user_id, snap.turn, ts(at), source, message_id, signal.model_dump_json(),
         _dump(snap.short_term), _dump(snap.long_term), _dump(snap.fused), _dump(snap.delta), _dump(snap.changed)])
    return snap


def apply(store, user_id: str, make_signal: Callable[[tracker.TrackerState], PreferenceSignal],
          config: tracker.TrackerConfig, *, source: SignalSource, message_id: str | None, at: datetime,
          after: Callable[[object, PreferenceSnapshot], object] | None = None) -> tuple[PreferenceSnapshot, object]:
    """Update ``user_id``'s tracker with the signal ``make_signal(state)`` (computed under the write
    lock, from the state it will be applied to) and record the turn; ``after(db, snapshot)`` runs in
    the same transaction (e.g. to store the feedback the signal came from)."""
    with store.writing() as db:
        state = read_state(db, user_id)
        signal = make_signal(state)
        result = tracker.update(state, signal, config, at=at)
        _write_state(db, user_id, state, at)
        snap = _insert_snapshot(db, user_id, result, signal, source=source, message_id=message_id, at=at)
        extra = after(db, snap) if after is not None else None
    return snap, extra


def insert_feedback(db, user_id: str, *, message_id: str | None, original: str | None, edited: str | None,
                    comment: str | None, at: datetime, turn: int) -> ReplyFeedback:
    fb = ReplyFeedback(id=new_id(), user_id=user_id, message_id=message_id, original=original, edited=edited,
                       comment=comment, created_at=at, turn=turn)
    db.execute("INSERT INTO reply_feedback (id, user_id, message_id, original, edited, comment, created_at, turn) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               [fb.id, user_id, message_id, original, edited, comment, ts(at), turn])
    return fb


def load_state(store, user_id: str) -> tracker.TrackerState:
    with store.reading() as db:
        return read_state(db, user_id)


def history(store, user_id: str, *, limit: int | None = None) -> list[PreferenceSnapshot]:
    """The user's turns, oldest first (with ``limit``: the most recent ``limit``)."""
    sql = ("SELECT turn, created_at, source, message_id, signal, short_term, long_term, fused, delta, changed "
           "FROM preference_signals WHERE user_id = ?")
    with store.reading() as db:
        if limit is None:
            rows = db.execute(sql + " ORDER BY turn", [user_id]).fetchall()
        else:
            rows = list(reversed(db.execute(sql + " ORDER BY turn DESC LIMIT ?", [user_id, limit]).fetchall()))
    return [PreferenceSnapshot(turn=r[0], at=parse_ts(r[1]), source=r[2], message_id=r[3],
                               signal=PreferenceSignal.model_validate_json(r[4]), short_term=json.loads(r[5]),
                               long_term=json.loads(r[6]), fused=json.loads(r[7]), delta=json.loads(r[8]),
                               changed=json.loads(r[9])) for r in rows]


def feedback(store, user_id: str) -> list[ReplyFeedback]:
    with store.reading() as db:
        rows = db.execute("SELECT id, user_id, message_id, original, edited, comment, created_at, turn "
                          "FROM reply_feedback WHERE user_id = ? ORDER BY seq", [user_id]).fetchall()
    return [ReplyFeedback(id=r[0], user_id=r[1], message_id=r[2], original=r[3], edited=r[4], comment=r[5],
                          created_at=parse_ts(r[6]), turn=r[7]) for r in rows]


def forget(db, user_id: str) -> dict[str, int]:
    """Delete every preference row of ``user_id`` (inside the caller's write transaction)."""
    counts = {}
    for table in ("preference_signals", "reply_feedback", "preference_state"):
        counts[table] = db.execute(f"DELETE FROM {table} WHERE user_id = ?", [user_id]).rowcount
    return counts
