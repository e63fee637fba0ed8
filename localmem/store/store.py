"""``Store``: one memory database file, and the write operations the rest of localmem builds on.

Every write runs in one ``BEGIN IMMEDIATE`` transaction holding the memory rows, their history
rows and their vectors together; embeddings are computed before the transaction starts, so the
write lock is held for milliseconds. The extraction pipeline uses these operations directly:

    store.add_memory(scope, NewMemory(...), actor="pipeline")
    store.update_memory(memory_id, text=..., actor="pipeline")       # same id, old text in history
    store.supersede(old_id, NewMemory(...), actor="pipeline")         # old: valid_to, superseded_by
    store.delete(memory_id) / store.restore(memory_id)
    store.log_messages(scope, turns, pending=True) ... store.mark_extracted(ids)

One ``Store`` may be shared by threads (calls are serialised); any number of processes may open
the same file (SQLite's locking; writers wait up to the busy timeout).
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from localmem.store import db as dbmod
from localmem.store import failures, history, memories, messages, migrations, search, vectors
from localmem.store.errors import InvalidInputError, StoreLockedError, UnknownUserError
from localmem.store.memories import NewMemory
from localmem.store.scope import Scope
from localmem.store.values import check_id, now, text_hash
from localmem.types import (Category, HistoryAction, HistoryEntry, Kind, MemoryItem, Message, SearchFilters,
                            Status)

ACCESS_FLUSH_SECONDS = 30.0


class Store:
    def __init__(self, path: Path | str | None = None, *, embedder=None,
                 busy_timeout: float = dbmod.DEFAULT_BUSY_TIMEOUT, vector_cache: bool = True):
        from localmem.paths import default_db_path

        if path is not None and not isinstance(path, (str, Path)):
            raise InvalidInputError(f"path must be a str or Path, got {type(path).__name__}")
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        self._embedder = embedder
        self._lock = threading.RLock()
        self.db = dbmod.connect(self.path, busy_timeout=busy_timeout)
        try:
            with dbmod.translate_errors(self.path):
                migrations.migrate(self.db, self.path)
        except BaseException:
            self.db.conn.close()
            raise
        self.cache = vectors.CodeCache() if vector_cache else None
        self.busy_timeout = busy_timeout
        self._access: dict[int, tuple[int, datetime]] = {}
        self._access_since = 0.0
        self._finalizer = weakref.finalize(self, _flush_and_close, self.db, self._access, self._lock)

    # -- plumbing -------------------------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None:
            from localmem.embed import Embedder

            self._embedder = Embedder.default()
        return self._embedder

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        with self._lock, dbmod.translate_errors(self.path):
            yield self.db

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Any]:
        """Several reads that see one consistent state of the file (a read transaction)."""
        with self._lock, dbmod.translate_errors(self.path):
            conn = self.db.conn
            conn.execute("BEGIN")
            try:
                yield self.db
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    @contextlib.contextmanager
    def writing(self) -> Iterator[Any]:
        with self._lock, dbmod.translate_errors(self.path), dbmod.write_transaction(self.db):
            _flush_access(self.db, self._access)
            self._access_since = 0.0
            yield self.db

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _embed(self, texts: Sequence[str]):
        emb = self.embedder
        return emb.embed(list(texts)), emb.model_id, emb.dimension

    def _put_vectors(self, rows: list[tuple[int, str, str]], vectors_, model_id: str, dim: int) -> None:
        vectors.ensure_model(self.db, model_id, dim, self.path)
        vectors.put(self.db, rows, vectors_)

    # -- writes ---------------------------------------------------------------------------------
    def add_memories(self, scope: Scope, new: Sequence[NewMemory], *, actor: str = "api",
                     at: datetime | None = None) -> list[MemoryItem]:
        """Insert memories (one transaction: all or none), each with its ADD history row and vector."""
        if not new:
            return []
        vecs, model_id, dim = self._embed([n.text for n in new])
        recorded = now()
        at = at or recorded
        with self.writing():
            out, rows = [], []
            for item in new:
                seq, stored = memories.insert(self.db, scope, item, at=at, actor=actor, recorded_at=recorded)
                out.append(stored)
                rows.append((seq, scope.user_id, Status.ACTIVE.value))
            self._put_vectors(rows, vecs, model_id, dim)
        return out

    def add_memory(self, scope: Scope, new: NewMemory, *, actor: str = "api",
                   at: datetime | None = None) -> MemoryItem:
        return self.add_memories(scope, [new], actor=actor, at=at)[0]

    def update_memory(self, memory_id: str, *, text: str | None = None, kind: Kind | None = None,
                      category: Category | None = None, confidence: float | None = None,
                      metadata: dict[str, Any] | None = None, valid_from: datetime | None = None,
                      actor: str = "api") -> tuple[MemoryItem, MemoryItem]:
        """Change an active memory in place (same id). Returns ``(before, after)``; the old text
        stays in its UPDATE history row. Nothing is written when nothing differs."""
        memory_id = check_id(memory_id)
        vec = self._embed([text]) if text is not None else None
        with self.writing():
            seq, before, after = memories.update(
                self.db, memory_id, at=now(), actor=actor, text=text, kind=kind, category=category,
                confidence=confidence, metadata=metadata, valid_from=valid_from)
            if vec is not None and after.text != before.text:
                self._put_vectors([(seq, after.user_id, after.status.value)], vec[0], vec[1], vec[2])
        return before, after

    def supersede(self, old_id: str, new: NewMemory, *, actor: str = "api",
                  at: datetime | None = None) -> tuple[MemoryItem, MemoryItem]:
        """Replace an active memory by a new one in the same scope: the old one keeps its text and
        gets ``valid_to``, ``superseded_by`` and status superseded. Returns ``(old, new)``."""
        old_id = check_id(old_id)
        vecs, model_id, dim = self._embed([new.text])
        recorded = now()
        at = at or recorded
        with self.writing():
            old = memories.get(self.db, old_id)
            scope = Scope(old.user_id, old.agent_id, old.session_id)
            seq, stored = memories.insert(self.db, scope, new, at=at, actor=actor, recorded_at=recorded,
                                          details={"supersedes": old_id})
            self._put_vectors([(seq, scope.user_id, Status.ACTIVE.value)], vecs, model_id, dim)
            old = memories.mark_superseded(self.db, old_id, stored, at=recorded, actor=actor)
        return old, stored

    def delete(self, memory_id: str, *, actor: str = "api") -> MemoryItem:
        """Soft delete (status=deleted, kept with its history; ``restore`` undoes it)."""
        memory_id = check_id(memory_id)
        with self.writing():
            return memories.set_status(self.db, memory_id, HistoryAction.DELETE, at=now(), actor=actor)

    def restore(self, memory_id: str, *, actor: str = "api") -> MemoryItem:
        memory_id = check_id(memory_id)
        with self.writing():
            return memories.set_status(self.db, memory_id, HistoryAction.RESTORE, at=now(), actor=actor)

    def delete_scope(self, scope: Scope, *, actor: str = "api") -> list[MemoryItem]:
        """Soft-delete every active or superseded memory in ``scope`` (one transaction)."""
        with self.writing():
            ids = memories.ids_in_scope(self.db, scope, [Status.ACTIVE, Status.SUPERSEDED])
            at = now()
            return [memories.set_status(self.db, i, HistoryAction.DELETE, at=at, actor=actor,
                                        details={"bulk": True}) for i in ids]

    def log_messages(self, scope: Scope, turns: Sequence[tuple[str, str, dict]], *, pending: bool,
                     at: datetime | None = None) -> list[Message]:
        """Append ``(role, content, metadata)`` turns to the conversation log."""
        with self.writing():
            return messages.insert(self.db, scope, turns, at=at or now(), pending=pending)

    def log_and_add(self, scope: Scope, turns: Sequence[tuple[str, str, dict]],
                    new: Sequence[tuple[int, NewMemory]], *, pending: bool, actor: str,
                    at: datetime | None = None, also=None) -> tuple[list[Message], list[MemoryItem]]:
        """Log turns and add memories drawn from them (``(turn index, memory)``) in one transaction;
        each memory's ``source.message_ids`` gets the id of its turn. ``also(db, logged, items)``
        runs inside the same transaction (the daemon records an idempotency key with it)."""
        vecs = self._embed([n.text for _, n in new]) if new else None
        recorded = now()
        at = at or recorded
        with self.writing():
            logged = messages.insert(self.db, scope, turns, at=at, pending=pending)
            out, rows = [], []
            for index, item in new:
                item.source = item.source.model_copy(update={"message_ids": [logged[index].id]})
                seq, stored = memories.insert(self.db, scope, item, at=at, actor=actor, recorded_at=recorded)
                out.append(stored)
                rows.append((seq, scope.user_id, Status.ACTIVE.value))
            if rows:
                self._put_vectors(rows, *vecs)
            if also is not None:
                also(self.db, logged, out)
        return logged, out

    def mark_extracted(self, message_ids: Sequence[str], *, pending: bool = False) -> int:
        """Clear (or with ``pending=True`` set again) the pending-extraction flag of messages."""
        ids = [check_id(i, "message id") for i in message_ids]
        with self.writing():
            at = now()
            if not pending:
                failures.resolve_for_messages(self.db, ids, at)
            return messages.set_pending(self.db, ids, pending=pending, at=at)

    def park_failure(self, scope: Scope, message_ids: Sequence[str], *, operation: str, error: str,
                     raw_outputs: Sequence[str]) -> failures.ExtractionFailure:
        """Keep a malformed model output for later; its messages stay pending extraction."""
        ids = [check_id(i, "message id") for i in message_ids]
        with self.writing():
            messages.set_pending(self.db, ids, pending=True, at=None)
            return failures.insert(self.db, scope.user_id, ids, operation=operation, error=error,
                                   raw_outputs=raw_outputs, at=now())

    def failures(self, *, user_id: str | None = None, include_resolved: bool = True) -> list[failures.ExtractionFailure]:
        with self.reading():
            return failures.list_for(self.db, user_id, include_resolved=include_resolved)

    # -- reads ----------------------------------------------------------------------------------
    def get(self, memory_id: str) -> MemoryItem:
        memory_id = check_id(memory_id)
        with self.reading():
            return memories.get(self.db, memory_id)

    def list(self, scope: Scope, filters: SearchFilters | None = None, *, limit: int | None = None,
             offset: int = 0) -> list[MemoryItem]:
        with self.reading():
            return memories.list_scope(self.db, scope, filters, limit=limit, offset=offset)

    def history(self, memory_id: str) -> list[HistoryEntry]:
        memory_id = check_id(memory_id)
        with self.reading():
            memories.get_row(self.db, memory_id)  # raises MemoryNotFoundError
            return history.for_memory(self.db, memory_id)

    def messages(self, scope: Scope, *, limit: int | None = None) -> list[Message]:
        with self.reading():
            return messages.for_scope(self.db, scope, limit=limit)

    def get_messages(self, ids: Sequence[str]) -> list[Message]:
        ids = [check_id(i, "message id") for i in ids]
        with self.reading():
            return messages.get_many(self.db, ids)

    def pending_messages(self, *, user_id: str | None = None, limit: int = 100) -> list[Message]:
        with self.reading():
            return messages.pending(self.db, user_id=user_id, limit=limit)

    def find_by_text(self, scope: Scope, text: str) -> list[MemoryItem]:
        """Active memories of ``scope`` whose normalised text equals ``text``'s (duplicate check)."""
        clauses, params = scope.where("m")
        with self.reading():
            rows = self.db.execute(
                f"SELECT {memories.COLUMNS} FROM memories m WHERE {' AND '.join(clauses)} "
                "AND m.hash = ? AND m.status = 'active' ORDER BY m.seq", [*params, text_hash(text)])
            return [memories.to_item(r) for r in rows]

    def known_user(self, user_id: str) -> bool:
        with self.reading():
            return memories.known_user(self.db, user_id)

    def require_user(self, user_id: str) -> None:
        if not self.known_user(user_id):
            raise UnknownUserError(f"no memories or messages are stored for user_id {user_id!r} in {self.path}")

    def search(self, query: str, scope: Scope, filters: SearchFilters | None = None, *, limit: int = 10,
               config: search.SearchConfig | None = None) -> list[MemoryItem]:
        """Hybrid search within ``scope``; results carry ``score`` and ``match``."""
        config = config or search.SearchConfig()
        qvec, model_id = None, None
        if config.mode != "text":
            qvec, model_id, dim = self._embed([query])
            qvec = qvec[0]
        with self.snapshot():
            if model_id is not None:
                vectors.check_model(self.db, model_id, dim, self.path)
            hits = search.search(self.db, query=query, query_vector=qvec, scope=scope, filters=filters,
                                 limit=limit, config=config, cache=self.cache, model_id=model_id)
            rows = memories.rows_in_scope(self.db, [h.seq for h in hits], scope, filters)
            at = now()
            for h in hits:
                count, _ = self._access.get(h.seq, (0, at))
                self._access[h.seq] = (count + 1, at)
            self._access_since = self._access_since or time.monotonic()
        self._maybe_flush()
        return [memories.to_item(rows[h.seq]).model_copy(update={"score": h.score, "match": h.match})
                for h in hits if h.seq in rows]

    def flush(self) -> None:
        """Write pending access counts now (otherwise written with the next write, at close, or
        every ``ACCESS_FLUSH_SECONDS`` of searching)."""
        if self._access:
            with self.writing():
                pass

    def _maybe_flush(self) -> None:
        """Write access counts from time to time, never making a search wait for another writer."""
        if not self._access or time.monotonic() - self._access_since < ACCESS_FLUSH_SECONDS:
            return
        with self._lock:
            conn = self.db.conn
            try:
                conn.execute("PRAGMA busy_timeout = 50")
                self.flush()
            except StoreLockedError:
                pass  # another process is writing: try again after a later search
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")


def _flush_access(db, access: dict[int, tuple[int, datetime]]) -> None:
    if access:
        memories.record_access(db, access)
        access.clear()


def _flush_and_close(db, access, lock) -> None:
    with lock:
        try:
            if access:
                with dbmod.write_transaction(db):
                    _flush_access(db, access)
        except Exception:  # pragma: no cover - best effort at exit (locked / closed elsewhere)
            pass
        finally:
            db.conn.close()
