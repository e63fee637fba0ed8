"""Memory vectors: storage, the sqlite-vec binary index, an in-process code cache, and KNN.

Storage (all in the store's SQLite file):

- ``memory_vectors``: the float32 embedding of each memory (the record: used for exact scoring and
  rebuilding) and its binary code (one sign bit per dimension, 48 bytes for 384-d).
- ``memories_vec``: a sqlite-vec ``vec0`` index of the binary codes, partitioned by ``user_id`` with
  the memory's status as metadata (kept in step with ``memories`` by triggers).

Search (an exact scan is too slow: ~50 ms for vec0 floats at 100k, 0.5 s reading the float
blobs; see BENCHMARKS.md): the k nearest binary codes by Hamming distance, then exact cosine
rescoring of those candidates with their float vectors (k = max(200, 4 x depth, 0.5% of the
user's memories), at most 2,000; recall@10 against the exact scan 0.98-0.99 up to 1M). Candidates
come from the in-process ``CodeCache`` (numpy popcount over the user's codes, loaded once and kept
current by ``memory_vectors.version``) or, without a cache (one-shot CLI processes), from the
``memories_vec`` index, which needs no loading but whose KNN cost grows faster than k.

The cache also holds each vector quantised to int8 (one scale per vector, 384 bytes for 384-d):
candidates are pre-ranked in memory, and only the best few are read back as float32 from SQLite
for the exact score (reading 500 float blobs per query cost 4 ms of a 15 ms search at 100k).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import sqlite_utils

from localmem.store.errors import EmbeddingMismatchError

VEC_TABLE = "memories_vec"


def pack_code(vectors: np.ndarray) -> np.ndarray:
    """Sign bits of each row, packed (``dim / 8`` bytes per row)."""
    return np.packbits(np.asarray(vectors) > 0, axis=-1)


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 quantisation, one scale per row: ``vectors ~= q8 * scale[:, None]``."""
    peak = np.abs(vectors).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q8 = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)
    return q8, scale


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])


def stored_model(db: sqlite_utils.Database) -> tuple[str | None, int | None]:
    model, dim = get_meta(db, "embedding_model"), get_meta(db, "embedding_dim")
    return model, int(dim) if dim else None


def check_model(db: sqlite_utils.Database, model_id: str, dim: int, path) -> None:
    """Raise if the store's vectors come from another embedding model (read-only check)."""
    stored, stored_dim = stored_model(db)
    if stored is not None and (stored != model_id or stored_dim != dim):
        raise EmbeddingMismatchError(
            f"{path} holds vectors from embedding model {stored} ({stored_dim}-d) but the embedder in "
            f"use is {model_id} ({dim}-d). Run `localmem memories reembed` (Memory.reembed()) to "
            "re-embed every memory with the current model.")


def ensure_model(db: sqlite_utils.Database, model_id: str, dim: int, path) -> None:
    """Inside a write transaction: record the model on first use and create the vec0 index."""
    check_model(db, model_id, dim, path)
    if get_meta(db, "embedding_model") is None:
        create_index(db, model_id, dim)


def create_index(db: sqlite_utils.Database, model_id: str, dim: int) -> None:
    """(Re)create ``memories_vec`` for ``dim``-d codes and its triggers; record the model."""
    if dim % 8:
        raise ValueError(f"embedding dimension must be a multiple of 8, got {dim}")
    db.execute(f"DROP TABLE IF EXISTS {VEC_TABLE}")
    db.execute(f"CREATE VIRTUAL TABLE {VEC_TABLE} USING vec0("
               f"user_id text partition key, status text, code bit[{dim}])")
    db.execute("DROP TRIGGER IF EXISTS memories_vec_status")
    db.execute("DROP TRIGGER IF EXISTS memories_vec_delete")
    db.execute(f"""CREATE TRIGGER memories_vec_status AFTER UPDATE OF status ON memories BEGIN
                       UPDATE {VEC_TABLE} SET status = new.status WHERE rowid = new.seq;
                   END""")
    db.execute(f"""CREATE TRIGGER memories_vec_delete AFTER DELETE ON memories BEGIN
                       DELETE FROM {VEC_TABLE} WHERE rowid = old.seq;
                   END""")
    set_meta(db, "embedding_model", model_id)
    set_meta(db, "embedding_dim", str(dim))


def next_version(db: sqlite_utils.Database) -> int:
    current = int(get_meta(db, "vector_version") or 0) + 1
    set_meta(db, "vector_version", str(current))
    return current


def put(db: sqlite_utils.Database, rows: Sequence[tuple[int, str, str]], vectors: np.ndarray) -> None:
    """Store (or replace) the vectors of memories ``(seq, user_id, status)``, inside a write transaction."""
    if not len(rows):
        return
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    codes = pack_code(vectors)
    version = next_version(db)
    conn = db.conn
    for (seq, user_id, status), vector, code in zip(rows, vectors, codes):
        code_bytes = code.tobytes()
        conn.execute("INSERT OR REPLACE INTO memory_vectors (seq, user_id, embedding, code, version) "
                     "VALUES (?, ?, ?, ?, ?)", (seq, user_id, vector.tobytes(), code_bytes, version))
        conn.execute(f"DELETE FROM {VEC_TABLE} WHERE rowid = ?", (seq,))
        conn.execute(f"INSERT INTO {VEC_TABLE} (rowid, user_id, status, code) VALUES (?, ?, ?, vec_bit(?))",
                     (seq, user_id, status, code_bytes))


def index_candidates(db: sqlite_utils.Database, user_id: str, query: np.ndarray, statuses: Sequence[str],
                     k: int) -> list[int]:
    """Up to ``k`` seqs nearest to ``query`` by Hamming distance, from the vec0 index."""
    if get_meta(db, "embedding_model") is None:
        return []
    code = pack_code(query).tobytes()
    rows = db.conn.execute(
        f"SELECT rowid FROM {VEC_TABLE} WHERE code MATCH vec_bit(?) AND k = ? AND user_id = ? "
        f"AND status IN ({', '.join('?' * len(statuses))})", (code, k, user_id, *statuses))
    return [r[0] for r in rows]


def float_rows(db: sqlite_utils.Database, sql_from_where: str, params: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """``(seqs, vectors)`` of ``SELECT v.seq, v.embedding <sql_from_where>``."""
    rows = db.conn.execute(f"SELECT v.seq, v.embedding {sql_from_where}", list(params)).fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    seqs = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
    return seqs, matrix


def rank(seqs: np.ndarray, matrix: np.ndarray, query: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The ``n`` best ``(seq, cosine)`` by exact dot product (vectors are unit length)."""
    if not len(seqs):
        return []
    sims = matrix @ query.astype(np.float32)
    if len(sims) > n:
        top = np.argpartition(-sims, n - 1)[:n]
    else:
        top = np.arange(len(sims))
    top = top[np.lexsort((seqs[top], -sims[top]))]
    return [(int(seqs[i]), float(sims[i])) for i in top]


class CodeCache:
    """Per-user binary codes in memory, synced incrementally from ``memory_vectors.version``.

    Holds every vector of the user whatever its status (filters are applied when rescoring), so
    only vector writes (new memory, new text, re-embedding) need syncing. Rows deleted by
    ``forget_user`` in another process linger until ``drop``; they match nothing when rescored.
    """

    def __init__(self) -> None:
        self._users: dict[str, _UserCodes] = {}
        self._lock = threading.Lock()
        self.model_id: str | None = None

    def drop(self, user_id: str | None = None) -> None:
        with self._lock:
            if user_id is None:
                self._users.clear()
            else:
                self._users.pop(user_id, None)

    def _synced(self, db: sqlite_utils.Database, user_id: str, model_id: str) -> "_UserCodes":
        if model_id != self.model_id:
            self._users.clear()
            self.model_id = model_id
        codes = self._users.setdefault(user_id, _UserCodes())
        codes.sync(db, user_id)
        return codes

    def size(self, db: sqlite_utils.Database, user_id: str, model_id: str) -> int:
        """How many vectors the user has (after catching up with the file)."""
        with self._lock:
            return self._synced(db, user_id, model_id).n

    def preranked(self, db: sqlite_utils.Database, user_id: str, query: np.ndarray, k: int,
                  model_id: str) -> tuple[list[int], bool]:
        """Up to ``k`` seqs nearest by Hamming distance, ordered by their int8 cosine with ``query``
        (best first), and whether that covers all the user's vectors."""
        with self._lock:
            codes = self._synced(db, user_id, model_id)
            seqs, complete = codes.nearest(pack_code(query), k)
            return codes.order(seqs, query), complete


class _UserCodes:
    """One user's codes, column-major: ``words[w, i]`` is 64-bit word ``w`` of vector ``i``, so the
    Hamming distance is a few passes over contiguous arrays (5x faster than row-major at 1M)."""

    CHUNK = 65_536
    LOAD_BATCH = 16_384

    def __init__(self) -> None:
        self.n = 0
        self.version = 0
        self.seqs = np.zeros(0, dtype=np.int64)
        self.words = np.zeros((0, 0), dtype=np.uint64)
        self.q8 = np.zeros((0, 0), dtype=np.int8)  # row i: vector i quantised, times scale[i]
        self.scale = np.zeros(0, dtype=np.float32)
        self.pos: dict[int, int] = {}

    def sync(self, db: sqlite_utils.Database, user_id: str) -> None:
        cursor = db.conn.execute("SELECT seq, code, version, embedding FROM memory_vectors "
                                 "WHERE user_id = ? AND version > ?", (user_id, self.version))
        version = self.version
        while rows := cursor.fetchmany(self.LOAD_BATCH):  # bounded memory while loading 1M vectors
            version = max(version, max(r[2] for r in rows))
            self._append(rows)
        self.version = version

    def _append(self, rows: list[tuple]) -> None:
        width = len(rows[0][1])
        pad = b"\0" * ((-width) % 8)
        raw = np.frombuffer(b"".join(r[1] + pad for r in rows), dtype=np.uint8)
        words = raw.view(np.uint64).reshape(len(rows), -1).T  # (words per code, rows)
        floats = np.frombuffer(b"".join(r[3] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        q8, scale = quantize(floats)
        if self.words.shape[0] != words.shape[0] or self.q8.shape[1] != q8.shape[1]:
            # First load, or the dimension changed (re-embedded with another model): start over.
            self.__init__()
            self.words = np.zeros((words.shape[0], 0), dtype=np.uint64)
            self.q8 = np.zeros((0, q8.shape[1]), dtype=np.int8)
        seqs = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        if self.pos:
            known = np.fromiter((self.pos.get(int(q), -1) for q in seqs), dtype=np.int64, count=len(seqs))
            changed = known >= 0
            # re-embedded memories: new codes and vectors in place
            self.words[:, known[changed]] = words[:, changed]
            self.q8[known[changed]] = q8[changed]
            self.scale[known[changed]] = scale[changed]
            seqs, words, q8, scale = seqs[~changed], words[:, ~changed], q8[~changed], scale[~changed]
        if not len(seqs):
            return
        need = self.n + len(seqs)
        if need > len(self.seqs):
            capacity = max(need, 2 * len(self.seqs), 1024)
            grown_seqs = np.zeros(capacity, dtype=np.int64)
            grown_words = np.zeros((words.shape[0], capacity), dtype=np.uint64)
            grown_q8 = np.zeros((capacity, q8.shape[1]), dtype=np.int8)
            grown_scale = np.zeros(capacity, dtype=np.float32)
            grown_seqs[:self.n] = self.seqs[:self.n]
            grown_words[:, :self.n] = self.words[:, :self.n]
            grown_q8[:self.n] = self.q8[:self.n]
            grown_scale[:self.n] = self.scale[:self.n]
            self.seqs, self.words, self.q8, self.scale = grown_seqs, grown_words, grown_q8, grown_scale
        self.seqs[self.n:need] = seqs
        self.words[:, self.n:need] = words
        self.q8[self.n:need] = q8
        self.scale[self.n:need] = scale
        self.pos.update(zip(seqs.tolist(), range(self.n, need)))
        self.n = need

    def order(self, seqs: list[int], query: np.ndarray) -> list[int]:
        """``seqs`` sorted by int8-approximated cosine with ``query``, best first."""
        if not seqs:
            return []
        rows = np.fromiter((self.pos[s] for s in seqs), dtype=np.int64, count=len(seqs))
        sims = (self.q8[rows].astype(np.float32) @ query.astype(np.float32)) * self.scale[rows]
        order = np.lexsort((self.seqs[rows], -sims))
        return self.seqs[rows[order]].tolist()

    def nearest(self, code: np.ndarray, k: int) -> tuple[list[int], bool]:
        if self.n == 0:
            return [], True
        if k >= self.n:
            return self.seqs[:self.n].tolist(), True
        pad = (-len(code)) % 8
        query = np.frombuffer(code.tobytes() + b"\0" * pad, dtype=np.uint64)
        distance = np.zeros(self.n, dtype=np.uint16)
        xor = np.empty(min(self.n, self.CHUNK), dtype=np.uint64)
        bits = np.empty(min(self.n, self.CHUNK), dtype=np.uint8)
        for start in range(0, self.n, self.CHUNK):  # chunks stay in cache
            end = min(self.n, start + self.CHUNK)
            m, d = end - start, distance[start:end]
            for w, q in enumerate(query):
                np.bitwise_xor(self.words[w, start:end], q, out=xor[:m])
                np.bitwise_count(xor[:m], out=bits[:m])
                np.add(d, bits[:m], out=d)
        # The k smallest: the distance threshold from a histogram, then trim the ties.
        cumulative = np.cumsum(np.bincount(distance))
        threshold = int(np.searchsorted(cumulative, k))
        top = np.flatnonzero(distance <= threshold)
        if len(top) > k:
            top = top[np.argpartition(distance[top], k - 1)[:k]]
        return self.seqs[top].tolist(), False
