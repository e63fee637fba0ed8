"""Sleep-time work, run by the daemon when the user is idle (or on ``POST /v1/consolidate``).

Three passes over each user's active memories, every change recorded in history:

- **merge near-duplicates**: two active memories of the same kind whose vectors are nearly the same
  (cosine >= ``merge_similarity``): the newer one is marked superseded by the older (kept) one,
  actor ``consolidate:merge``. Its text stays in the store and its history.
- **re-check contradictions**: pairs that look alike but are not duplicates (cosine in
  [``contradiction_similarity``, ``merge_similarity``)), with at least one memory added since the last
  pass, go to the update operation (the model) as "newer vs older"; a SUPERSEDE answer ends the
  older one (actor ``consolidate:contradiction``). At most ``max_model_checks`` per pass.
- **forgetting curve** (MemoryBank, Zhong et al. 2023): retention ``R = exp(-t / S)``, ``t`` the days
  since the memory was last retrieved (or stored), strength ``S = strength_days * (1 + access_count)``
  (each retrieval makes it stronger). A memory with ``R < min_retention`` and ``confidence <
  keep_confidence`` (preferences are never forgotten) is archived: soft-deleted with actor
  ``consolidate:forget`` and its retention in the history row; ``restore`` brings it back.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from localmem.store import memories as memrows
from localmem.store.scope import Scope
from localmem.store.values import now, parse_ts, ts
from localmem.types import HistoryAction, Kind, MemoryItem

META_KEY = "consolidated_at"


class ConsolidationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merge_similarity: float = Field(0.95, ge=0.5, le=1.0)
    contradiction_similarity: float = Field(0.6, ge=0.0, le=1.0)
    max_model_checks: int = Field(20, ge=0)
    strength_days: float = Field(30.0, gt=0)
    min_retention: float = Field(0.05, ge=0.0, le=1.0)
    keep_confidence: float = Field(0.8, ge=0.0, le=1.0)
    max_memories_per_user: int = Field(2000, ge=1)


def retention(item: MemoryItem, at: datetime, strength_days: float) -> float:
    last = item.last_accessed_at or item.created_at
    days = max((at - last).total_seconds() / 86400, 0.0)
    return math.exp(-days / (strength_days * (1 + item.access_count)))


def consolidate(store, runtime=None, config: ConsolidationConfig | None = None, *,
                at: datetime | None = None) -> dict:
    """One pass over every user; returns counts. ``runtime`` None skips the contradiction pass."""
    config = config or ConsolidationConfig()
    at = at or now()
    store.flush()  # retrievals counted in memory reach access_count first
    with store.reading() as db:
        users = [r[0] for r in db.execute("SELECT DISTINCT user_id FROM memories WHERE status = 'active'")]
        row = db.execute("SELECT value FROM meta WHERE key = ?", [META_KEY]).fetchone()
    since = parse_ts(row[0]) if row else None
    report = {"users": len(users), "merged": 0, "contradictions": 0, "model_checks": 0, "forgotten": 0}
    for user in users:
        _user_pass(store, runtime, config, user, at, since, report)
    with store.writing() as db:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [META_KEY, ts(at)])
    return report


def _user_pass(store, runtime, config, user: str, at: datetime, since, report: dict) -> None:
    items = store.list(Scope.of(user), limit=config.max_memories_per_user)
    if len(items) >= 2:
        vecs = np.asarray(store.embedder.embed([m.text for m in items]), dtype=np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-12
        sims = vecs @ vecs.T
        order = sorted(range(len(items)), key=lambda i: items[i].created_at)  # oldest first
        ended: set[str] = set()
        for a_pos, i in enumerate(order):
            for j in order[a_pos + 1:]:
                old, new = items[i], items[j]
                if old.id in ended or new.id in ended or old.kind != new.kind or old.agent_id != new.agent_id:
                    continue
                if sims[i, j] >= config.merge_similarity:
                    with store.writing() as db:
                        memrows.mark_superseded(db, new.id, old, at=at, actor="consolidate:merge")
                    ended.add(new.id)
                    report["merged"] += 1
                elif (runtime is not None and sims[i, j] >= config.contradiction_similarity
                      and report["model_checks"] < config.max_model_checks
                      and (since is None or new.created_at >= since)):
                    if _contradicts(runtime, store, old, new, float(sims[i, j]), report):
                        with store.writing() as db:
                            memrows.mark_superseded(db, old.id, new, at=at, actor="consolidate:contradiction")
                        ended.add(old.id)
                        report["contradictions"] += 1
    for item in store.list(Scope.of(user), limit=config.max_memories_per_user):
        if item.kind == Kind.PREFERENCE or item.confidence >= config.keep_confidence:
            continue
        r = retention(item, at, config.strength_days)
        if r < config.min_retention:
            with store.writing() as db:
                memrows.set_status(db, item.id, HistoryAction.DELETE, at=at, actor="consolidate:forget",
                                   details={"reason": "forgetting curve", "retention": round(r, 4),
                                            "access_count": item.access_count})
            report["forgotten"] += 1


def _contradicts(runtime, store, old: MemoryItem, new: MemoryItem, similarity: float, report: dict) -> bool:
    from localmem.ops import update as update_op

    report["model_checks"] += 1
    neighbour = update_op.Neighbour(memory_id=old.id, text=old.text,
                                    date=(old.valid_from or old.created_at).date().isoformat(),
                                    similarity=similarity)
    resolved, _ = update_op.decide(runtime, new.text, [neighbour], min_similarity=0.0)
    return resolved.event == "SUPERSEDE" and resolved.target_id == old.id
