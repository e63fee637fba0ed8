"""Running the memory pipeline over the dev set, one conversation at a time, with a resumable cache.

Used by ``bench_pipeline.py``. For one conversation and one loaded runtime:

- ``ingest``: a fresh ``Memory`` on a new SQLite file; every user turn (with the assistant turn just
  before it, as the product logs them) goes through ``Memory.add(..., infer=True)`` in order, timed.
  The extractor's candidates are recorded with ``CandidateTap`` (``PipelineResult`` only carries the
  events, and a NONE event carries the existing memory, not the candidate's text).
- ``ask_probes``: each probe question through ``Assistant(..., memory_mode="read-only")`` in its own
  session, streamed, with the time to the first chunk.
- extra answer samples (``sample`` >= 1): the same probes again, each with a sampling seed fixed by
  its key and the sample's number (``probe_seed``). The assistant samples its replies (temperature
  0.7), and without a seed each reply's randomness follows from every call before it: one changed
  memory upstream re-rolls every later answer. Fixed seeds make a sample independent of the calls
  before it, and two adapters compared on the same store questions meet the same seeds.

Results are plain JSON-ready dicts, cached per (model, threads, code version, conversation, part) in
SQLite, so an interrupted run resumes at the first conversation without a cached result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

import localmem
from localmem.assistant import Assistant
from localmem.eval.devset import Conversation
from localmem.memory import Memory
from localmem.ops import extract as extract_op
from localmem.pipeline import MEMORY_OPERATIONS
from localmem.types import EventType, Status

#: Bump when the way the harness feeds turns or records results changes (invalidates the cache).
HARNESS_VERSION = 1
#: Sources whose change alters what the pipeline or the assistant does with the same model.
VERSIONED_SOURCES = ("ops/extract.py", "ops/update.py", "ops/answer.py", "pipeline.py", "structured.py",
                     "dates.py", "assistant.py", "memory.py", "speakers.py")
#: Retrieval code: changes here move the neighbours the update step sees, but are too frequent to
#: invalidate hours of results; recorded with each result instead (``store_version``).
STORE_SOURCES = ("store/search.py", "store/vectors.py", "store/memories.py", "embed.py")
DEFAULT_CACHE_DIR = Path("~/.cache/localmem/bench/pipeline").expanduser()


def _source_hash(names: tuple[str, ...]) -> str:
    root = Path(localmem.__file__).resolve().parent
    h = hashlib.sha256()
    for name in names:
        h.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    return h.hexdigest()[:12]


#: What building a store runs: the answer operation and the assistant only read the store.
STORE_BUILD_SOURCES = tuple(s for s in VERSIONED_SOURCES if s not in ("ops/answer.py", "assistant.py"))
STORE_BUILD_OPERATIONS = tuple(op for op in MEMORY_OPERATIONS if op != "answer")


def code_version(model_spec: Any = None, *, store_only: bool = False) -> str:
    """The cache version: the pipeline's source, the harness version and the model's settings.

    ``store_only``: the version of a store built by ``Memory.add``, which depends on neither the
    answer code nor the answer adapter, so that an answer-adapter candidate re-asks the questions on
    the stores already built instead of rebuilding them (hours on a CPU for LoCoMo)."""
    sources = STORE_BUILD_SOURCES if store_only else VERSIONED_SOURCES
    h = hashlib.sha256(f"harness-{HARNESS_VERSION}-{_source_hash(sources)}".encode())
    if model_spec is not None:
        adapters = [a for a in model_spec.adapters if not store_only or a.operation in STORE_BUILD_OPERATIONS]
        spec = model_spec.model_dump(mode="json", include={"sha256", "load", "sampling"})
        spec["adapters"] = [a.model_dump(mode="json") for a in adapters]
        h.update(json.dumps(spec, sort_keys=True, default=str).encode())
        from localmem.llm import adapters_dir

        for adapter in adapters:  # a retrained adapter keeps its path: hash the file
            path = adapters_dir() / adapter.path
            h.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"missing")
    return h.hexdigest()[:12]


class Versions(NamedTuple):
    """The cache keys of one model: ``store`` for the ingest and the SQLite store it builds,
    ``answers`` for the answers asked on that store. An answer-adapter candidate has the store
    version of the adapters that built the store, so it is asked on that store, not re-ingested."""

    store: str
    answers: str


def versions_of(model_spec: Any) -> Versions:
    return Versions(code_version(model_spec, store_only=True), code_version(model_spec))


def model_spec(registry: Any, name: str) -> Any:
    """A registry model; ``NAME+prompts`` is that model without its memory adapters (the operations'
    full prompts), so the same run compares the 0.5B with and without adapters."""
    base, plus, variant = name.partition("+")
    spec = registry.get(base)
    if plus and variant != "prompts":
        raise SystemExit(f"unknown model variant {name!r}: only NAME+prompts (no memory adapters) exists")
    if variant == "prompts":
        spec = spec.model_copy(update={"adapters": [a for a in spec.adapters if a.operation not in MEMORY_OPERATIONS]})
    return spec


_STORE_VERSION = _source_hash(STORE_SOURCES)  # at import: the retrieval code this process runs


def store_version() -> str:
    return _STORE_VERSION


class Cache:
    """Finished results by (model, threads, version, conversation, part), in one SQLite file."""

    def __init__(self, root: Path = DEFAULT_CACHE_DIR):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.root / "results.sqlite", timeout=30)
        self.conn.execute("CREATE TABLE IF NOT EXISTS results (model TEXT, threads INTEGER, version TEXT, "
                          "conversation TEXT, part TEXT, payload TEXT NOT NULL, created_at TEXT NOT NULL, "
                          "PRIMARY KEY (model, threads, version, conversation, part))")
        self.conn.commit()

    def get(self, model: str, threads: int, version: str, conversation: str, part: str) -> dict | None:
        row = self.conn.execute("SELECT payload FROM results WHERE model=? AND threads=? AND version=? AND "
                                "conversation=? AND part=?", (model, threads, version, conversation, part)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, model: str, threads: int, version: str, conversation: str, part: str, payload: dict) -> None:
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (model, threads, version, conversation, part, json.dumps(payload),
                               datetime.now(timezone.utc).isoformat(timespec="seconds")))

    def versions(self, model: str, threads: int) -> list[tuple[str, int, str]]:
        """(version, conversations with an ingest result, newest result time), newest first."""
        return self.conn.execute("SELECT version, SUM(part='ingest'), MAX(created_at) FROM results "
                                 "WHERE model=? AND threads=? GROUP BY version ORDER BY 3 DESC",
                                 (model, threads)).fetchall()

    def store_path(self, model: str, threads: int, version: str, conversation: str) -> Path:
        """Where the conversation's memory store is kept (the probes read it after ingest)."""
        folder = self.root / "stores" / f"{model}-t{threads}-{version}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{conversation}.db"

    def close(self) -> None:
        self.conn.close()


class CandidateTap:
    """Records what ``localmem.ops.extract.extract`` returned for each call, while active.

    The pipeline calls the extract op through its module attribute, so wrapping that attribute
    sees exactly the candidates the update step received (after the op's own clean-up).
    """

    def __init__(self) -> None:
        self.calls: list[list[dict[str, Any]] | None] = []

    @contextlib.contextmanager
    def active(self) -> Iterator[CandidateTap]:
        original = extract_op.extract

        def tapped(*args: Any, **kwargs: Any):
            result = original(*args, **kwargs)
            value = result.value if result.ok else None
            self.calls.append(None if value is None else [m.model_dump(mode="json") for m in value.memories])
            return result

        extract_op.extract = tapped
        try:
            yield self
        finally:
            extract_op.extract = original

    def take(self) -> list[dict[str, Any]] | None:
        """The candidates of the one extract call since the last ``take`` (None: no call, or failed)."""
        calls, self.calls = self.calls, []
        if len(calls) > 1:
            raise RuntimeError(f"expected one extract call per add(), saw {len(calls)}")
        return calls[0] if calls else None


def conversation_hash(conv: Conversation) -> str:
    """Changes when the conversation's turns, labels or probes are edited (its cached results go)."""
    return hashlib.sha256(conv.model_dump_json().encode()).hexdigest()[:12]


def turn_time(day, turn_index: int) -> datetime:
    """When a turn is logged: the session day at noon UTC, one minute per turn."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc) + timedelta(minutes=turn_index)


def _event(e) -> dict[str, Any]:
    """A pipeline event as recorded: the event, the stored text, and the existing memory it acted on."""
    if e.event in (EventType.UPDATE, EventType.SUPERSEDE):
        target = e.previous_text
    elif e.event is EventType.NONE:
        target = e.memory.text
    else:
        target = None
    return {"event": e.event.value, "text": e.memory.text, "target_text": target}


def ingest(conv: Conversation, runtime: Any, db_path: Path, progress=None) -> dict[str, Any]:
    """Feed the conversation's user turns through ``Memory.add(infer=True)``; per-turn records and
    the final store. ``progress(turn_key, record)`` is called after each turn."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    tap = CandidateTap()
    turns: list[dict[str, Any]] = []
    with Memory(db_path, llm=runtime) as mem, tap.active():
        for si, session in enumerate(conv.sessions):
            for ti, turn in enumerate(session.turns):
                if turn.role != "user":
                    continue
                messages = [{"role": "user", "content": turn.content}]
                if ti > 0 and session.turns[ti - 1].role == "assistant":
                    messages.insert(0, {"role": "assistant", "content": session.turns[ti - 1].content})
                t0 = time.perf_counter()
                events = mem.add(messages, user_id=conv.id, session_id=f"{conv.id}-s{si}",
                                 timestamp=turn_time(session.date, ti), infer=True)
                wall = time.perf_counter() - t0
                result = mem.last_result
                candidates = tap.take()
                if candidates is not None and len(candidates) != len(events):
                    raise RuntimeError(f"{conv.id}/s{si}/t{ti}: {len(candidates)} candidates, {len(events)} events")
                record = {
                    "key": f"{conv.id}/s{si}/t{ti}", "latency_s": round(wall, 4),
                    "prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens,
                    "llm_calls": result.llm_calls, "parked": result.parked, "error": result.error,
                    "candidates": candidates or [], "events": [_event(e) for e in events],
                }
                turns.append(record)
                if progress is not None:
                    progress(record["key"], record)
        stored = [{"text": m.text, "active": m.status is Status.ACTIVE, "status": m.status.value,
                   "kind": m.kind.value, "category": m.category.value}
                  for m in mem.get_all(user_id=conv.id, include_superseded=True)]
    return {"conversation": conv.id, "turns": turns, "store": stored, "store_version": store_version(),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def probe_seed(key: str, sample: int) -> int:
    """The sampling seed of answer sample ``sample`` (>= 1) of probe ``key`` ("c01/p1")."""
    return zlib.crc32(f"{key}#{sample}".encode())


class SeededRuntime:
    """A runtime whose chat streams all use ``seed`` (set before each probe); all else is the runtime's."""

    def __init__(self, runtime: Any, seed: int = 0):
        self._runtime, self.seed = runtime, seed

    def stream(self, messages: Any, **kwargs: Any) -> Any:
        return self._runtime.stream(messages, seed=self.seed, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runtime, name)


def probes_part(sample: int) -> str:
    """The cache part of answer sample ``sample``: 0 is the first pass (no fixed seed)."""
    return "probes" if sample == 0 else f"probes-s{sample}"


def ask_probes(conv: Conversation, runtime: Any, db_path: Path, progress=None, sample: int = 0) -> dict[str, Any]:
    """Ask each probe in a fresh session, read-only; reply, time to first chunk and token counts.
    ``sample`` >= 1: each probe with its own fixed seed (``probe_seed``)."""
    out = []
    seeded = SeededRuntime(runtime) if sample else None
    with Memory(db_path, llm=runtime) as mem:
        assistant = Assistant(mem, runtime=seeded or runtime, extraction="blocking", memory_mode="read-only")
        for probe in conv.probes:
            if seeded is not None:
                seeded.seed = probe_seed(f"{conv.id}/{probe.id}", sample)
            t0 = time.perf_counter()
            stream = assistant.chat(probe.question, user_id=conv.id, session_id=f"{conv.id}-probe-{probe.id}",
                                    stream=True)
            ttft = None
            for _ in stream:
                if ttft is None:
                    ttft = time.perf_counter() - t0
            total = time.perf_counter() - t0
            reply = stream.reply
            stats = reply.stats if reply is not None else None
            record = {
                "key": f"{conv.id}/{probe.id}", "question": probe.question,
                "reply": reply.text if reply is not None else "",
                "ttft_s": round(ttft, 4) if ttft is not None else None, "total_s": round(total, 4),
                "prompt_tokens": stats.prompt_tokens if stats else None,
                "completion_tokens": stats.completion_tokens if stats else None,
                "memories_recalled": len(reply.memories) if reply is not None else 0,
            }
            out.append(record)
            if progress is not None:
                progress(record["key"] + (f"#{sample}" if sample else ""), record)
    return {"conversation": conv.id, "probes": out, "sample": sample,
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def lookup(cache: Cache, conv: Conversation, part: str, *, model: str, threads: int, version: str) -> dict | None:
    """A cached result for this exact conversation (an edited conversation misses)."""
    hit = cache.get(model, threads, version, conv.id, part)
    return hit if hit is not None and hit.get("conversation_hash") == conversation_hash(conv) else None


def run_conversation(conv: Conversation, get_runtime: Callable[[], Any], cache: Cache, *, model: str, threads: int,
                     version: Versions, probes: bool = True, progress=None,
                     samples: int = 0) -> tuple[dict, dict | None]:
    """Ingest (and probe) one conversation, or take the results from the cache. ``get_runtime`` is
    only called when something has to run. ``samples``: that many more answer samples with fixed
    seeds (cached as ``probes-s1`` ...), after the first."""
    db_path = cache.store_path(model, threads, version.store, conv.id)
    digest = conversation_hash(conv)
    key = {"model": model, "threads": threads}
    done = lookup(cache, conv, "ingest", **key, version=version.store)
    asked = lookup(cache, conv, "probes", **key, version=version.answers) if probes else None
    if probes and asked is None and done is not None and not db_path.exists():
        done = None  # the store the probes need is gone: ingest again
    if done is None:
        done = {**ingest(conv, get_runtime(), db_path, progress), "conversation_hash": digest}
        cache.put(model, threads, version.store, conv.id, "ingest", done)
    if probes and asked is None:
        asked = {**ask_probes(conv, get_runtime(), db_path, progress), "conversation_hash": digest}
        cache.put(model, threads, version.answers, conv.id, "probes", asked)
    for k in range(1, samples + 1) if probes else ():
        if lookup(cache, conv, probes_part(k), **key, version=version.answers) is None:
            if not db_path.exists():
                raise FileNotFoundError(f"{conv.id}: answer sample {k} needs the store {db_path}, which is gone; "
                                        "run with a fresh --cache-dir to ingest again")
            again = {**ask_probes(conv, get_runtime(), db_path, progress, sample=k), "conversation_hash": digest}
            cache.put(model, threads, version.answers, conv.id, probes_part(k), again)
    return done, asked
