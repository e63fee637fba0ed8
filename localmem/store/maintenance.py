"""Keeping a store healthy: statistics, integrity checks, re-embedding and index rebuilding.

- ``reembed``: after the embedding model changes, recompute every memory's vector with the
  current embedder and rebuild the vector index for the new model (and dimension).
- ``reindex``: rebuild the FTS5 index from ``memories`` and the sqlite-vec index from the stored
  vectors (no embedding needed), e.g. after a crash of an older version or a manual edit.
- ``check``: SQLite's integrity check, FTS5's, and the invariants between the tables.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from localmem.store import migrations, vectors


def stats(store) -> dict[str, Any]:
    with store.reading():
        db = store.db
        one = lambda sql, *p: db.execute(sql, list(p)).fetchone()[0]  # noqa: E731
        by_status = dict(db.execute("SELECT status, count(*) FROM memories GROUP BY status").fetchall())
        model, dim = vectors.stored_model(db)
        size = sum(p.stat().st_size for p in (store.path, store.path.with_name(store.path.name + "-wal"))
                   if p.exists())
        return {
            "path": str(store.path),
            "schema_version": migrations.schema_version(db),
            "users": one("SELECT count(DISTINCT user_id) FROM memories"),
            "memories": {s: by_status.get(s, 0) for s in ("active", "superseded", "deleted")},
            "history_rows": one("SELECT count(*) FROM history"),
            "messages": one("SELECT count(*) FROM messages"),
            "pending_extraction": one("SELECT count(*) FROM messages WHERE pending_extraction = 1"),
            "vectors": one("SELECT count(*) FROM memory_vectors"),
            "embedding_model": model,
            "embedding_dim": dim,
            "file_bytes": size,
        }


def check(store) -> list[str]:
    """Problems found (empty when the store is healthy)."""
    problems: list[str] = []
    with store.reading():
        db = store.db
        result = [r[0] for r in db.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            problems += [f"sqlite: {r}" for r in result]
        try:
            db.execute("INSERT INTO memories_fts (memories_fts, rank) VALUES ('integrity-check', 1)")
            db.conn.commit()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            db.conn.rollback()
            problems.append(f"full-text index: {exc} (run `localmem memories reindex`)")
        missing = db.execute("SELECT count(*) FROM memories m LEFT JOIN memory_vectors v ON v.seq = m.seq "
                             "WHERE v.seq IS NULL").fetchone()[0]
        if missing:
            problems.append(f"{missing} memories have no vector (run `localmem memories reembed`)")
        if vectors.get_meta(db, "embedding_model") is not None:
            indexed = db.execute(f"SELECT count(*) FROM {vectors.VEC_TABLE}").fetchone()[0]
            stored = db.execute("SELECT count(*) FROM memory_vectors").fetchone()[0]
            if indexed != stored:
                problems.append(f"vector index has {indexed} rows for {stored} vectors (run `localmem memories reindex`)")
        no_history = db.execute("SELECT count(*) FROM memories m WHERE NOT EXISTS "
                                "(SELECT 1 FROM history h WHERE h.memory_id = m.id)").fetchone()[0]
        if no_history:
            problems.append(f"{no_history} memories have no history row")
    return problems


def reindex(store) -> dict[str, int]:
    """Rebuild the FTS5 index and the sqlite-vec index from the stored rows and vectors."""
    with store.writing():
        db = store.db
        db.execute("INSERT INTO memories_fts (memories_fts) VALUES ('rebuild')")
        model, dim = vectors.stored_model(db)
        count = 0
        if model is not None:
            vectors.create_index(db, model, dim)
            rows = db.execute("SELECT v.seq, v.user_id, m.status, v.code FROM memory_vectors v "
                              "JOIN memories m ON m.seq = v.seq").fetchall()
            for seq, user_id, status, code in rows:
                db.conn.execute(f"INSERT INTO {vectors.VEC_TABLE} (rowid, user_id, status, code) "
                                "VALUES (?, ?, ?, vec_bit(?))", (seq, user_id, status, code))
            count = len(rows)
        fts = db.execute("SELECT count(*) FROM memories").fetchone()[0]
    return {"fts_rows": fts, "vector_rows": count}


def reembed(store, *, batch_size: int = 256, progress=None) -> dict[str, Any]:
    """Recompute every memory's vector with ``store.embedder`` and rebuild the vector index."""
    embedder = store.embedder
    with store.reading():
        snapshot = store.db.execute("SELECT seq, text FROM memories ORDER BY seq").fetchall()
    computed: dict[int, tuple[str, np.ndarray]] = {}
    for start in range(0, len(snapshot), batch_size):
        batch = snapshot[start:start + batch_size]
        for (seq, text), vec in zip(batch, embedder.embed([t for _, t in batch])):
            computed[seq] = (text, vec)
        if progress:
            progress(min(start + batch_size, len(snapshot)), len(snapshot))
    with store.writing():
        db = store.db
        current = db.execute("SELECT seq, user_id, status, text FROM memories ORDER BY seq").fetchall()
        # Rows written by another process while we were embedding: embed them now, under the lock.
        stale = [(seq, text) for seq, _, _, text in current if computed.get(seq, (None,))[0] != text]
        if stale:
            for (seq, text), vec in zip(stale, embedder.embed([t for _, t in stale])):
                computed[seq] = (text, vec)
        vectors.create_index(db, embedder.model_id, embedder.dimension)
        db.execute("DELETE FROM memory_vectors")
        if current:
            matrix = np.stack([computed[seq][1] for seq, *_ in current])
            vectors.put(db, [(seq, user_id, status) for seq, user_id, status, _ in current], matrix)
    if store.cache is not None:
        store.cache.drop()
    return {"memories": len(current), "embedding_model": embedder.model_id, "embedding_dim": embedder.dimension}

