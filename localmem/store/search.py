"""Hybrid retrieval: vector similarity and BM25 full-text, fused into one ranking.

Both retrievers see only the scope's memories that pass the filters (active ones by default):
the vector side rescores candidates with the SQL filter applied, the text side joins the FTS5
matches with ``memories`` under the same WHERE clause (``localmem.store.scope.memory_where``).

Fusion (``SearchConfig.fusion``): ``convex`` (default) adds each retriever's score min-max
normalised over its top ``depth`` results; ``rrf`` is reciprocal rank fusion,
``sum(weight / (rrf_k + rank))`` (Cormack et al. 2009). On LoCoMo (BENCHMARKS.md) convex fusion
with BM25 weighted x2 beats RRF and both single retrievers; RRF is dragged down by the weaker
retriever's ranks (raw conversation turns favour exact words: names, places, rare nouns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import sqlite_utils

from localmem.store import vectors
from localmem.store.scope import Scope, has_narrowing_filters, memory_where, statuses
from localmem.types import SearchFilters, SearchMatch

Mode = Literal["hybrid", "vector", "text"]
VectorIndex = Literal["auto", "cache", "vec0", "exact"]

# English function words dropped from full-text queries: they carry no BM25 signal and make
# "what did I say about ..." match every memory (slow at 1M rows).
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves s t d ll m re ve tell know remember said say ever
""".split())

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchConfig:
    """Tunables of one search (defaults chosen by the LoCoMo and latency benchmarks)."""

    mode: Mode = "hybrid"
    vector_index: VectorIndex = "auto"
    depth: int = 20  # how many results each retriever contributes to the fusion (LoCoMo: 20 >= 50)
    fusion: Literal["rrf", "convex"] = "convex"
    rrf_k: float = 60.0
    vector_weight: float = 1.0
    text_weight: float = 2.0  # BM25 counts double: best of the weights measured on LoCoMo (int8 and fp32)
    min_candidates: int = 200  # binary-code candidates rescored exactly (at least)
    candidate_factor: int = 4  # ... or this many times ``depth``
    candidate_fraction: float = 0.005  # ... or this share of the user's memories (recall@10 0.99 at 100k)
    max_candidates: int = 2000  # ... but never more (the filter loop below still widens past it)
    rescore_factor: int = 2  # the cache's int8 pre-ranking keeps this many times ``depth`` for float rescoring
    prefilter_max: int = 4096  # narrowing filters matching fewer rows than this: exact scan of them


@dataclass(frozen=True)
class Hit:
    seq: int
    score: float
    match: SearchMatch


def content_words(text: str) -> list[str]:
    """The text's distinct content words (lower case, stopwords and single letters dropped), at most 32."""
    words, seen = [], set()
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS or word in seen or (len(word) < 2 and not word.isdigit()):
            continue
        seen.add(word)
        words.append(word)
    return words[:32]


def fts_query(text: str | list[str], operator: str = "OR") -> str | None:
    """An FTS5 query joining the text's content words with ``operator`` (each word quoted, so no
    FTS syntax leaks in); None when the text has no content words."""
    words = content_words(text) if isinstance(text, str) else text
    return f" {operator} ".join(f'"{word}"' for word in words) if words else None


def indexed_words(db: sqlite_utils.Database, words: list[str]) -> list[str]:
    """The words that occur in at least one memory (one index probe each, ~0.1 ms)."""
    return [w for w in words if db.conn.execute(
        "SELECT 1 FROM memories_fts WHERE memories_fts MATCH ? LIMIT 1", [f'"{w}"']).fetchone()]


def text_ranking(db: sqlite_utils.Database, query: str, scope: Scope, filters: SearchFilters | None,
                 n: int) -> list[tuple[int, float]]:
    """Up to ``n`` ``(seq, bm25)`` best first (bm25 sign flipped: higher is better).

    FTS5 computes BM25 for every document matching the query, so the cost follows the matching
    postings. Words that occur in no memory are dropped first (they score nothing; left in, they
    empty the all-words query: "does anyone I know do yoga?" found no memory containing "anyone").
    Memories containing all the remaining words are ranked first; only when there are fewer than
    ``n`` of them is the any-word query run (which they would have topped anyway: identical top 50
    on the benchmark queries, 2.5x less work at 100k memories).
    """
    words = content_words(query)
    if len(words) > 1:
        words = indexed_words(db, words)
    if not words:
        return []
    where, params = memory_where(scope, filters)
    if len(words) > 1:
        ranked = _bm25(db, fts_query(words, "AND"), where, params, n)
        if len(ranked) >= n:
            return ranked
    return _bm25(db, fts_query(words, "OR"), where, params, n)


def _bm25(db: sqlite_utils.Database, match: str, where: str, params: list, n: int) -> list[tuple[int, float]]:
    # Ranked over the whole index first, then the best rows are checked against the scope and
    # filters by primary key. Only when most of them belong to other scopes does it fall back to
    # filtering every match (the per-match join costs more than the ranking itself at 100k rows).
    fetch = max(4 * n, 200)
    rows = db.conn.execute("SELECT rowid, bm25(memories_fts) AS score FROM memories_fts "
                           "WHERE memories_fts MATCH ? ORDER BY score, rowid LIMIT ?", [match, fetch]).fetchall()
    if rows:
        keep = _passing(db, [r[0] for r in rows], where, params)
        ranked = [(seq, -score) for seq, score in rows if seq in keep]
        if len(ranked) >= n or len(rows) < fetch:
            return ranked[:n]
    rows = db.conn.execute(
        # CROSS JOIN keeps the FTS match as the outer loop; otherwise SQLite may walk the scope's
        # memories and re-run the MATCH for each one (measured: 55 ms instead of 1 ms at 2k rows).
        "SELECT m.seq, bm25(memories_fts) AS score FROM memories_fts "
        "CROSS JOIN memories m ON m.seq = memories_fts.rowid "
        f"WHERE memories_fts MATCH ? AND {where} ORDER BY score, m.seq LIMIT ?",
        [match, *params, n]).fetchall()
    return [(seq, -score) for seq, score in rows]


def vector_ranking(db: sqlite_utils.Database, query: np.ndarray, scope: Scope,
                   filters: SearchFilters | None, n: int, config: SearchConfig,
                   cache: vectors.CodeCache | None, model_id: str) -> list[tuple[int, float]]:
    """Up to ``n`` ``(seq, cosine)`` best first: exact cosine over binary-code candidates."""
    where, params = memory_where(scope, filters)
    from_where = "FROM memories m JOIN memory_vectors v ON v.seq = m.seq WHERE " + where
    index = config.vector_index
    if index == "auto":
        index = "cache" if cache is not None else "vec0"
    if index == "exact":
        return vectors.rank(*vectors.float_rows(db, from_where, params), query, n)
    if has_narrowing_filters(filters) or scope.agent_id is not None or scope.session_id is not None:
        # A selective filter: score its few rows exactly instead of hoping candidates survive it.
        limit = config.prefilter_max
        count = db.conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM memories m WHERE {where} LIMIT ?)",
                                [*params, limit + 1]).fetchone()[0]
        if count <= limit:
            return vectors.rank(*vectors.float_rows(db, from_where, params), query, n)
    k = max(config.min_candidates, config.candidate_factor * n)
    if index == "cache":
        size = cache.size(db, scope.user_id, model_id)
    else:
        size = db.conn.execute("SELECT count(*) FROM memory_vectors WHERE user_id = ?", [scope.user_id]).fetchone()[0]
    k = min(max(k, int(size * config.candidate_fraction)), config.max_candidates)
    while True:
        if index == "cache":
            seqs, complete = cache.preranked(db, scope.user_id, query, k, model_id)
        else:
            seqs = vectors.index_candidates(db, scope.user_id, query, statuses(filters), k)
            complete = len(seqs) < k
        if not seqs:
            return []
        if index == "cache":
            # Pre-ranked in memory (int8): only the best that pass the filters are read as floats.
            kept = _passing_in_order(db, seqs, where, params, want=config.rescore_factor * n)
            found = vectors.float_rows(db, f"FROM memory_vectors v WHERE v.seq IN ({', '.join('?' * len(kept))})",
                                       kept) if kept else (kept, None)
        else:
            # Candidates first (CROSS JOIN fixes the loop order), then the scope/filter check per row.
            found = vectors.float_rows(
                db, f"FROM memory_vectors v CROSS JOIN memories m ON m.seq = v.seq "
                    f"WHERE v.seq IN ({', '.join('?' * len(seqs))}) AND {where}", [*seqs, *params])
        if len(found[0]) >= n or complete:
            return vectors.rank(*found, query, n) if len(found[0]) else []
        k *= 4  # too few candidates passed the filters: widen the net


def _passing(db: sqlite_utils.Database, seqs: list[int], where: str, params: list) -> set[int]:
    """Which of ``seqs`` pass ``where`` (NOT INDEXED: looked up by primary key, never by walking the
    scope's index)."""
    marks = ", ".join("?" * len(seqs))
    return {r[0] for r in db.conn.execute(
        f"SELECT m.seq FROM memories m NOT INDEXED WHERE m.seq IN ({marks}) AND {where}", [*seqs, *params])}


def _passing_in_order(db: sqlite_utils.Database, seqs: list[int], where: str, params: list,
                      want: int) -> list[int]:
    """The first ``want`` of ``seqs`` (in order) whose rows pass ``where``, checked by primary key in
    batches."""
    kept: list[int] = []
    batch = max(2 * want, 64)
    for start in range(0, len(seqs), batch):
        chunk = seqs[start:start + batch]
        ok = _passing(db, chunk, where, params)
        kept += [seq for seq in chunk if seq in ok]
        if len(kept) >= want:
            return kept[:want]
    return kept


def fuse(rankings: list[tuple[str, float, list[tuple[int, float]]]], rrf_k: float,
         method: str = "rrf", limit: int | None = None) -> list[Hit]:
    """Fusion of ``(name, weight, [(seq, raw score), ...])`` rankings (best first).

    ``rrf``: sum of ``weight / (rrf_k + rank)``. ``convex``: sum of ``weight * s`` where ``s`` is the
    raw score min-max normalised within its ranking (a retriever that missed a memory adds 0).
    """
    scores: dict[int, float] = {}
    for _name, weight, ranking in rankings:
        hi, lo = (ranking[0][1], ranking[-1][1]) if ranking else (0.0, 0.0)
        for rank, (seq, raw) in enumerate(ranking, start=1):
            if method == "rrf":
                part = weight / (rrf_k + rank)
            else:  # all equal (e.g. a single hit): each counts fully
                part = weight * ((raw - lo) / (hi - lo) if hi > lo else 1.0)
            scores[seq] = scores.get(seq, 0.0) + part
    order = sorted(scores, key=lambda seq: (-scores[seq], seq))[:limit]
    details: dict[int, dict] = {seq: {} for seq in order}
    for name, _weight, ranking in rankings:
        for rank, (seq, raw) in enumerate(ranking, start=1):
            if seq in details:
                if name == "vector":
                    details[seq].update(vector_rank=rank, vector_similarity=raw)
                else:
                    details[seq].update(text_rank=rank, bm25=raw)
    return [Hit(seq, scores[seq], SearchMatch(**details[seq])) for seq in order]


def search(db: sqlite_utils.Database, *, query: str, query_vector: np.ndarray | None, scope: Scope,
           filters: SearchFilters | None, limit: int, config: SearchConfig,
           cache: vectors.CodeCache | None, model_id: str | None) -> list[Hit]:
    """The ``limit`` best hits for ``query`` in ``scope`` (``query_vector`` needed unless mode='text')."""
    depth = max(limit, config.depth)
    rankings = []
    if config.mode in ("hybrid", "vector"):
        ranking = vector_ranking(db, query_vector, scope, filters, depth, config, cache, model_id)
        if config.mode == "vector":
            return [Hit(seq, sim, SearchMatch(vector_rank=i, vector_similarity=sim))
                    for i, (seq, sim) in enumerate(ranking[:limit], start=1)]
        rankings.append(("vector", config.vector_weight, ranking))
    text = text_ranking(db, query, scope, filters, depth)
    if config.mode == "text":
        return [Hit(seq, bm25, SearchMatch(text_rank=i, bm25=bm25))
                for i, (seq, bm25) in enumerate(text[:limit], start=1)]
    rankings.append(("text", config.text_weight, text))
    return fuse(rankings, config.rrf_k, config.fusion, limit)
