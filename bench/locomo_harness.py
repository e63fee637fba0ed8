"""Running LoCoMo systems with a resumable cache (used by ``bench_locomo.py``).

Work is cut into units that are cached as soon as they finish, in the same SQLite cache as the
dev-set benchmark (``pipeline_harness.Cache``, its own folder): one unit per ``Memory.add`` call of
an ingest (``ingest/s<session>/b<batch>``) and one per question (``q<index>``). Keys carry the model,
the thread count and a version that hashes what the result depends on (``ingest_version``,
``answer_version``), so a changed prompt or setting recomputes only what it touches: changing the
answer settings keeps hours of extraction ingest.

A run interrupted inside an ``add(infer=True)`` leaves its messages logged and pending in the store
(the product's guarantee); on resume the pipeline finishes them as one batch (recorded as
``recovered``, without a latency) instead of adding them twice.
"""

from __future__ import annotations

import hashlib
import json
import resource
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pipeline_harness import Cache, code_version

import localmem
from localmem.eval import locomo
from localmem.eval.locomo import Conversation
from localmem.eval.locomo_systems import System

#: Bump when the way turns are fed or answers recorded changes (invalidates the cache).
HARNESS_VERSION = 2  # 2: turns name their speaker (Memory.add name), extraction per speaker
DEFAULT_CACHE_DIR = Path("~/.cache/localmem/bench/locomo").expanduser()


def _hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _sources(*names: str) -> str:
    root = Path(localmem.__file__).resolve().parent
    return _hash(*[(n, (root / n).read_text()) for n in names])


def ingest_version(model_spec: Any, infer: bool, turns_per_add: int | None, data_digest: str,
                   sessions: tuple[int, ...]) -> str:
    """What a store built from the conversation depends on: the pipeline's code and the adapters it
    runs for infer=True (not the answer adapter), and which sessions went in (a store of 4 sessions
    is not the store of 2)."""
    base = (code_version(model_spec, store_only=True) if infer
            else _sources("memory.py", "store/memories.py", "store/messages.py"))
    return _hash("ingest", HARNESS_VERSION, base, infer, turns_per_add if infer else None, data_digest,
                 _sources("eval/locomo.py"), list(sessions))


def answer_version(model_spec: Any, system: System, ingest: str | None, seed: int,
                   sessions: tuple[int, ...]) -> str:
    """What an answer depends on: the system's settings, its store (``ingest``) and, for a system
    that reads the transcript itself (full context), which sessions it may read."""
    shown = list(sessions) if system.reads_transcript else None
    return _hash("answer", HARNESS_VERSION, code_version(model_spec), system.name, system.recall, system.max_tokens,
                 ingest, seed, _sources("eval/locomo.py", "eval/locomo_systems.py"), *([shown] if shown else []))


def data_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def rss_mb() -> dict[str, float]:
    """Current and peak resident memory of this process (MB)."""
    out = {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss_mb"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


class Unit:
    """One piece of work: its cache key, what kind it is (for the time estimate) and how to run it."""

    def __init__(self, kind: str, label: str, part: str, run: Callable[[], dict[str, Any]] | None):
        self.kind, self.label, self.part, self.run = kind, label, part, run


def _logged_dia_ids(memory, user_id: str) -> set[str]:
    return {m.metadata.get("dia_id") for m in memory.messages(user_id=user_id)}


def _finish_pending(memory, user_id: str) -> None:
    """Run extraction on the messages an interrupted ``add(infer=True)`` logged but never finished,
    as one batch, as that ``add`` would have (``Memory.reprocess`` takes them one at a time)."""
    from localmem.pipeline import Pipeline
    from localmem.store.scope import Scope

    pending = memory.store.pending_messages(user_id=user_id, limit=1000)
    if pending:
        Pipeline(memory.store, memory.runtime).process(Scope.of(user_id), pending)


def ingest_units(conv: Conversation, system: System, memory_factory: Callable[[], Any], turns_per_add: int | None,
                 ) -> Iterator[Unit]:
    """The ``add`` calls that build ``system``'s store for ``conv`` (nothing for systems without one)."""
    if system.infer is None:
        return
    infer = bool(system.infer)
    kind = "ingest-extraction" if infer else "ingest-raw"
    checked: list[set[str]] = []

    for session, batch, turns in locomo.ingest_batches(conv, turns_per_add if infer else None):
        def run(session=session, batch=batch, turns=turns) -> dict[str, Any]:
            memory = memory_factory()
            if not checked:  # first uncached batch of this process: was it cut short last time?
                checked.append(_logged_dia_ids(memory, conv.sample_id))
            base = {"session": session.number, "batch": batch, "turns": [t.dia_id for t in turns]}
            if turns[0].dia_id in checked[0]:
                if infer:
                    _finish_pending(memory, conv.sample_id)
                return {**base, "recovered": True, "latency_s": None}
            t0 = time.perf_counter()
            events = memory.add(locomo.messages(turns), user_id=conv.sample_id, infer=infer,
                                timestamp=session.date, metadata={"session": session.number})
            wall = time.perf_counter() - t0
            res = memory.last_result if infer else None
            return {**base, "recovered": False, "latency_s": round(wall, 4),
                    "latency_per_turn_s": round(wall / len(turns), 4), "events": len(events),
                    "prompt_tokens": res.prompt_tokens if res else 0,
                    "completion_tokens": res.completion_tokens if res else 0,
                    "llm_calls": res.llm_calls if res else 0, "parked": bool(res.parked) if res else False,
                    **rss_mb()}

        yield Unit(kind, f"{conv.sample_id} s{session.number}/b{batch}", f"ingest/s{session.number}/b{batch}", run)


def answer_units(conv: Conversation, system: System, memory_factory: Callable[[], Any], seed: int) -> Iterator[Unit]:
    now = conv.sessions[-1].date
    for q in conv.questions:
        def run(q=q) -> dict[str, Any]:
            asked = locomo.ask(q, seed)
            ans = system.answer(memory_factory(), conv, asked, now)
            return {"key": q.key, "category": q.category, "message": asked.message, "options": asked.options,
                    "prediction": asked.choice(ans.text), **ans.record(), **rss_mb()}

        yield Unit(f"answer-{system.name}", f"{conv.sample_id} q{q.index} ({q.category_name})", f"q{q.index}", run)


class Job:
    """The units of one (model, system, conversation), keyed in the cache."""

    def __init__(self, cache: Cache, model: str, threads: int, system: System, conv: Conversation,
                 ingest_key: str | None, answer_key: str, units: list[Unit]):
        self.cache, self.model, self.threads, self.system, self.conv = cache, model, threads, system, conv
        self.ingest_key, self.answer_key, self.units = ingest_key, answer_key, units

    def version(self, unit: Unit) -> str:
        return self.ingest_key if unit.part.startswith("ingest/") else self.answer_key  # type: ignore[return-value]

    def cached(self, unit: Unit) -> dict | None:
        return self.cache.get(self.model, self.threads, self.version(unit), self.conv.sample_id, unit.part)

    def run(self, unit: Unit) -> dict[str, Any]:
        assert unit.run is not None
        record = unit.run()
        self.cache.put(self.model, self.threads, self.version(unit), self.conv.sample_id, unit.part, record)
        return record
