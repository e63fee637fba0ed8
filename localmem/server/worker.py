"""The model worker: one thread runs the persisted job queue on the one loaded model.

Requests that need the model (chat, ``add(infer=True)``) are serialised on it by the runtime's
lock; reads (search, get, list, history...) never touch it and so never wait for it. Extraction
jobs reuse the pending-message mechanism: messages are logged ``pending_extraction=1`` in the same
transaction that queues their job, the job runs the pipeline on those still pending, and the
pipeline marks them extracted. A job interrupted by a crash is queued again at start-up and skips
messages already extracted; a memory stored before the crash comes back as an exact duplicate
(NONE), so each message takes effect once. Messages left pending without a job (a crash between
logging a chat message and queueing it) get a job at start-up.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from localmem.assistant import Assistant
from localmem.pipeline import MEMORY_OPERATIONS, Pipeline
from localmem.server import jobs
from localmem.server.config import ServerConfig
from localmem.server.metrics import Metrics
from localmem.store.scope import Scope

log = logging.getLogger("localmem.server")


class ModelHolder:
    """Loads the runtime once (a registry model, or the scripted stand-in for tests)."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self._runtime = None
        self._lock = threading.Lock()

    @property
    def runtime(self):
        with self._lock:
            if self._runtime is None:
                if self.config.scripted_delay is not None:
                    from localmem.server.scripted import ScriptedRuntime

                    self._runtime = ScriptedRuntime(self.config.scripted_delay,
                                                    kill_at_update=self.config.scripted_kill_at_update)
                else:
                    from localmem.llm import Runtime

                    self._runtime = Runtime.from_registry(self.config.model).load()
                log.info("model loaded: %s", getattr(self._runtime, "name", "?"))
            return self._runtime

    @property
    def loaded(self) -> bool:
        return self._runtime is not None

    def describe(self) -> dict:
        """For a client's status line: the model's name (the configured one until it is loaded),
        the memory operations that run with a LoRA adapter, the context size. Never loads."""
        rt = self._runtime
        if rt is None:
            if self.config.scripted_delay is not None:
                return {"model": "scripted", "adapters": [], "n_ctx": None}
            name = self.config.model
            if name is None:
                try:
                    from localmem.config import load_registry

                    name = load_registry().get(None).name
                except Exception:  # noqa: BLE001 - a broken registry is reported when the model loads
                    name = None
            return {"model": name, "adapters": [], "n_ctx": None}
        ops = [op for op in MEMORY_OPERATIONS if rt.adapter_for(op)]
        n_ctx = getattr(getattr(rt, "load_settings", None), "n_ctx", None)
        return {"model": getattr(rt, "name", None), "adapters": ops, "n_ctx": n_ctx}

    def close(self) -> None:
        if self._runtime is not None and hasattr(self._runtime, "close"):
            self._runtime.close()


class QueuedAssistant(Assistant):
    """The Assistant with extraction of each chat message sent through the persisted job queue."""

    def __init__(self, memory, worker: JobWorker, **kwargs: Any):
        self._queue = worker
        super().__init__(memory, runtime=worker.models.runtime, **kwargs)

    def _extract(self, scope: Scope, logged) -> Future:
        job = self._queue.enqueue_extract(scope, [m.id for m in logged], key=None)
        future = self._queue.future(job.id)
        future.job_id = job.id  # type: ignore[attr-defined]
        return future


class JobWorker:
    """The queue thread: claims jobs oldest first, runs them, records results; sleep-time work
    when the user is idle."""

    def __init__(self, memory, models: ModelHolder, config: ServerConfig, metrics: Metrics,
                 consolidate: Callable[[], dict] | None = None):
        self.memory = memory
        self.store = memory.store
        self.models = models
        self.config = config
        self.metrics = metrics
        self.consolidate = consolidate
        self._cond = threading.Condition()
        self._futures: dict[str, Future] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.current: str | None = None
        self.last_consolidation = time.monotonic() - config.consolidate_every  # first pass at the first idle spell

    # -- queueing -------------------------------------------------------------------------------
    def enqueue_extract(self, scope: Scope, message_ids: list[str], *, key: str | None) -> jobs.Job:
        with self.store.writing() as db:
            job = jobs.insert(db, "extract", {"message_ids": message_ids, "agent_id": scope.agent_id,
                                              "session_id": scope.session_id}, user_id=scope.user_id, key=key)
        self.wake()
        return job

    def log_and_enqueue(self, scope: Scope, turns, *, at, key: str | None) -> tuple[jobs.Job, bool]:
        """Log messages as pending and queue their extraction in one transaction. With a key that
        was seen before, nothing is logged: the first request's job is returned (``created=False``)."""
        from localmem.store import messages

        with self.store.writing() as db:
            if key is not None:
                existing = jobs.by_key(db, key)
                if existing is not None:
                    return existing, False
            logged = messages.insert(db, scope, turns, at=at, pending=True)
            job = jobs.insert(db, "extract", {"message_ids": [m.id for m in logged], "agent_id": scope.agent_id,
                                              "session_id": scope.session_id}, user_id=scope.user_id, key=key)
        self.wake()
        return job, True

    def enqueue(self, kind: str, payload: dict, *, key: str | None = None, user_id: str | None = None) -> jobs.Job:
        with self.store.writing() as db:
            if key is not None and (existing := jobs.by_key(db, key)) is not None:
                return existing
            job = jobs.insert(db, kind, payload, user_id=user_id, key=key)
        self.wake()
        return job

    def future(self, job_id: str) -> Future:
        with self._cond:
            fut = self._futures.get(job_id)
            if fut is None:
                fut = self._futures[job_id] = Future()
                job = self.get(job_id)
                if job is not None and job.status in ("done", "failed"):
                    self._resolve(job)
            return fut

    def get(self, job_id: str) -> jobs.Job | None:
        with self.store.reading() as db:
            return jobs.get(db, job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> jobs.Job | None:
        """Block until the job is done or failed (or ``timeout``); the job as stored."""
        fut = self.future(job_id)
        try:
            fut.result(timeout)
        except Exception:  # noqa: BLE001 - the stored job carries the error
            pass
        return self.get(job_id)

    def depth(self) -> dict[str, int]:
        with self.store.reading() as db:
            return jobs.counts(db)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        from datetime import timedelta

        from localmem.store.values import now

        with self.store.writing() as db:
            requeued = jobs.requeue_running(db)
            covered = jobs.message_ids_in_open_jobs(db)
            jobs.prune(db, before=now() - timedelta(days=self.config.keep_jobs_days))
        orphans = [m for m in self.store.pending_messages(limit=10_000) if m.id not in covered]
        from localmem.store.failures import list_for

        with self.store.reading() as db:
            parked = {i for f in list_for(db, None, include_resolved=False) for i in f.message_ids}
        groups: dict[tuple, list[str]] = {}
        for m in orphans:
            if m.id not in parked:  # parked failures wait for an explicit reprocess
                groups.setdefault((m.user_id, m.agent_id, m.session_id), []).append(m.id)
        for (user, agent, session), ids in groups.items():
            self.enqueue_extract(Scope.of(user, agent, session), ids, key=None)
        if requeued or groups:
            log.info("recovered %d interrupted job(s) and %d orphan message group(s)", requeued, len(groups))
        self._thread = threading.Thread(target=self._loop, name="localmem-jobs", daemon=True)
        self._thread.start()

    def stop(self, grace: float) -> bool:
        """Stop taking jobs; let the one in hand finish for up to ``grace`` s, else park it (queued
        again, picked up at the next start). True when nothing was interrupted."""
        self._stop.set()
        self.wake()
        finished = True
        if self._thread is not None:
            self._thread.join(grace)
            finished = not self._thread.is_alive()
        with self.store.writing() as db:
            parked = jobs.requeue_running(db)
        if parked:
            log.info("parked %d job(s) in hand at shutdown", parked)
        return finished and not parked

    # -- the loop -------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self.store.writing() as db:
                    job = jobs.claim(db)
            except Exception:  # noqa: BLE001 - e.g. the store briefly locked: try again
                log.exception("claiming a job failed")
                job = None
            if job is None:
                if self._idle_work_due():
                    self._run_consolidation()
                    continue
                with self._cond:
                    self._cond.wait(0.5)
                continue
            try:
                self._run(job)
            except Exception:  # noqa: BLE001 - never let the queue thread die; the job is retried at start-up
                log.exception("job %s could not be recorded", job.id)

    def _idle_work_due(self) -> bool:
        if self.consolidate is None or self.config.consolidate_every <= 0:
            return False
        now = time.monotonic()
        return (now - self.metrics.last_request >= self.config.idle_seconds
                and now - self.last_consolidation >= self.config.consolidate_every)

    def _run_consolidation(self) -> None:
        self.last_consolidation = time.monotonic()
        try:
            report = self.consolidate()
            log.info("sleep-time consolidation: %s", report)
        except Exception:  # noqa: BLE001
            log.exception("sleep-time consolidation failed")

    def _run(self, job: jobs.Job) -> None:
        self.current = job.id
        start = time.perf_counter()
        try:
            result = self._execute(job)
            status, error = "done", None
        except Exception as exc:  # noqa: BLE001 - recorded on the job
            log.error("job %s (%s) attempt %d failed: %s", job.id, job.kind, job.attempts,
                      traceback.format_exc())
            result, error = None, f"{type(exc).__name__}: {exc}"
            status = "failed" if job.attempts >= self.config.max_attempts else "queued"
        if self._stop.is_set() and status == "queued":
            pass  # parked by stop()
        with self.store.writing() as db:
            jobs.finish(db, job.id, result=result, error=error, status=status)
        self.metrics.job_finished(job.kind, time.perf_counter() - start, result)
        self.current = None
        if status != "queued":
            with self._cond:
                stored = jobs.Job(**{**job.model_dump(), "status": status, "result": result, "error": error})
                self._resolve(stored)

    def _resolve(self, job: jobs.Job) -> None:
        fut = self._futures.pop(job.id, None)
        if fut is None or fut.done():
            return
        if job.status == "failed":
            fut.set_exception(RuntimeError(job.error or "job failed"))
        else:
            from localmem.pipeline import PipelineResult

            fut.set_result(PipelineResult.model_validate(job.result) if job.kind == "extract" and job.result
                           else job.result)

    def _execute(self, job: jobs.Job) -> Any:
        if job.kind == "extract":
            return self._extract(job)
        if job.kind == "consolidate":
            return self.consolidate() if self.consolidate else {}
        if job.kind == "reprocess":
            ids = [m.id for m in self.store.pending_messages(user_id=job.payload.get("user_id"),
                                                             limit=job.payload.get("limit", 100))]
            return self._extract_ids(ids)
        raise ValueError(f"unknown job kind {job.kind!r}")

    def _extract(self, job: jobs.Job) -> dict:
        return self._extract_ids(job.payload.get("message_ids", []))

    def _extract_ids(self, ids: list[str]) -> dict:
        from localmem.pipeline import PipelineResult

        messages = [m for m in self.store.get_messages(ids) if m.pending_extraction]
        groups: dict[tuple, list] = {}
        for m in messages:
            groups.setdefault((m.user_id, m.agent_id, m.session_id), []).append(m)
        total = PipelineResult(events=[])
        pipeline = Pipeline(self.store, self.models.runtime)
        for (user, agent, session), group in groups.items():
            r = pipeline.process(Scope.of(user, agent, session), group)
            total.events += r.events
            total.candidates += r.candidates
            total.parked = total.parked or r.parked
            total.error = total.error or r.error
            total.prompt_tokens += r.prompt_tokens
            total.completion_tokens += r.completion_tokens
            total.llm_calls += r.llm_calls
        out = total.model_dump(mode="json")
        out["skipped"] = len(ids) - len(messages)
        return out
