"""The daemon's HTTP routes: the ``Memory`` / ``Assistant`` API one to one, plus health, metrics,
jobs and an OpenAPI document (``GET /openapi.json``).

Errors are JSON ``{"error": <kind>, "detail": <message>}``: 400 bad input or malformed JSON, 401 a
TCP request without the token, 404 unknown memory or user, 409 wrong state or import conflict,
413 body too large, 422 wrong field types (with each field's path), 503 store locked.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse

from localmem.server import jobs as jobrows
from localmem.server.schemas import (AddBody, ChatBody, ConsolidateBody, FeedbackBody, ListBody, MessagesBody,
                                     ObserveBody, ReprocessBody, ScopeBody, SearchBody, SessionListBody,
                                     SessionPatchBody, SessionStartBody, UpdateBody, UserBody)
from localmem.sessions import ChatSessions, SessionNotFoundError
from localmem.store import errors as E

API = "/v1"

_STATUS = [
    (SessionNotFoundError, 404, "session_not_found"),  # an InvalidInputError: checked first
    (E.InvalidInputError, 400, "invalid_input"),
    (E.MemoryNotFoundError, 404, "not_found"),
    (E.UnknownUserError, 404, "unknown_user"),
    (E.InvalidStateError, 409, "invalid_state"),
    (E.ImportConflictError, 409, "import_conflict"),
    (E.StoreLockedError, 503, "store_locked"),
    (E.InferenceUnavailableError, 503, "inference_unavailable"),
    (E.StoreError, 500, "store_error"),
]


def _err(status: int, kind: str, detail: Any) -> JSONResponse:
    return JSONResponse({"error": kind, "detail": detail}, status_code=status)


def _json(value: Any) -> Response:
    """Serialise pydantic results with pydantic-core (FastAPI's generic encoder is several times slower)."""
    if hasattr(value, "model_dump_json"):
        body = value.model_dump_json().encode()
    elif isinstance(value, list) and all(hasattr(v, "model_dump_json") for v in value):
        body = b"[" + b",".join(v.model_dump_json().encode() for v in value) + b"]"
    else:
        body = json.dumps(_dump(value), ensure_ascii=False, default=str).encode()
    return Response(content=body, media_type="application/json")


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


class Guard:
    """ASGI middleware: body size limit (413), bearer token on TCP (401), request metrics."""

    def __init__(self, app, *, max_body: int, token: str | None, metrics):
        self.app, self.max_body, self.token, self.metrics = app, max_body, token, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        server = scope.get("server")
        over_tcp = bool(server) and isinstance(server[1], int)
        if over_tcp:
            auth = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            given = auth[7:] if auth.lower().startswith("bearer ") else ""
            if not self.token or not hmac.compare_digest(given.encode(), self.token.encode()):
                return await _send(send, _err(401, "unauthorized", "a TCP request needs 'Authorization: "
                                              "Bearer <token>' (the token is in <home>/server-token)"))
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await _send(send, _err(413, "too_large", f"request body over {self.max_body} bytes "
                                          "(raise max_body_bytes in the server config)"))
        # The body is read here, up to the limit, whatever the framing (Content-Length or chunked).
        body, more = [], True
        seen = 0
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                return await _send(send, _err(413, "too_large", f"request body over {self.max_body} bytes "
                                              "(raise max_body_bytes in the server config)"))
            body.append(message.get("body", b""))
            more = message.get("more_body", False)
        replayed = False

        async def limited():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(body), "more_body": False}
            return await receive()

        status = {"code": 500}

        async def tracking_send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, limited, tracking_send)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or "unmatched"  # never the raw path: bounded keys
            self.metrics.request(f"{scope.get('method')} {name}", time.perf_counter() - started, status["code"])


async def _send(send, response: JSONResponse) -> None:
    await send({"type": "http.response.start", "status": response.status_code,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(response.body)).encode())]})
    await send({"type": "http.response.body", "body": response.body})


def create_app(state) -> FastAPI:
    """``state`` is a ``localmem.server.main.ServerState`` (memory, worker, models, metrics)."""
    app = FastAPI(title="localmem", version="1", docs_url=None, redoc_url=None,
                  description="localmem daemon: the Memory and Assistant API over a local socket.")
    mem = state.memory
    worker = state.worker

    @app.exception_handler(E.StoreError)
    async def store_error(request: Request, exc: E.StoreError):
        for cls, status, kind in _STATUS:
            if isinstance(exc, cls):
                return _err(status, kind, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _err(400, "malformed_json", "the request body is not valid JSON: "
                        + "; ".join(str(e.get("ctx", {}).get("error", e.get("msg"))) for e in errors))
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
                           for e in errors)
        return _err(422, "invalid_request", detail)

    # -- service --------------------------------------------------------------------------------
    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "db": str(mem.path), "model_loaded": state.models.loaded,
                "queue": worker.depth(), "pid": state.pid, **state.models.describe()}

    @app.get("/metrics")
    def metrics() -> dict:
        return {**state.metrics.snapshot(), "queue": worker.depth(), "current_job": worker.current}

    # -- memories -------------------------------------------------------------------------------
    @app.post(f"{API}/memories")
    def add(body: AddBody):
        from localmem.memory import _turns
        from localmem.store.scope import Scope
        from localmem.store.values import coerce_time, dump_json

        scope = Scope.of(body.user_id, body.agent_id, body.session_id)
        dump_json(body.metadata, "metadata")
        turns = _turns(body.messages, body.metadata or {})
        at = coerce_time(body.timestamp, "timestamp") if body.timestamp is not None else None
        if not body.infer:
            return _add_verbatim(body, scope, turns, at)
        state.models.runtime  # noqa: B018 - fail before anything is written if no model loads
        from localmem.store.values import now

        job, _ = worker.log_and_enqueue(scope, turns, at=at or now(), key=body.idempotency_key)
        if not body.wait:
            return JSONResponse({"events": None, "job": _dump(job)}, status_code=202)
        job = worker.wait(job.id, timeout=state.config.shutdown_grace * 20)
        if job.status not in ("done", "failed"):
            return JSONResponse({"events": None, "job": _dump(job)}, status_code=202)
        if job.status == "failed":
            return _err(500, "job_failed", job.error)
        return {"events": job.result["events"], "job": _dump(job)}

    def _add_verbatim(body: AddBody, scope, turns, at):
        from localmem.memory import verbatim_memories
        from localmem.types import EventType, MemoryEvent

        if body.idempotency_key:
            with mem.store.reading() as db:
                seen = jobrows.by_key(db, body.idempotency_key)
            if seen is not None:
                return {"events": seen.result["events"], "job": _dump(seen)}
        new = verbatim_memories(turns)
        recorded: dict = {}

        def record(db, logged, items):
            events = [MemoryEvent(event=EventType.ADD, memory=i).model_dump(mode="json") for i in items]
            recorded["events"] = events
            if body.idempotency_key:
                job = jobrows.insert(db, "add", {"message_ids": [m.id for m in logged]}, user_id=scope.user_id,
                                     key=body.idempotency_key)
                jobrows.finish(db, job.id, result={"events": events})
                recorded["job"] = jobrows.get(db, job.id)

        mem.store.log_and_add(scope, turns, new, pending=False, actor="api", at=at, also=record)
        return {"events": recorded["events"], "job": _dump(recorded.get("job"))}

    @app.post(f"{API}/memories/search")
    def search(body: SearchBody):
        return _json(mem.search(body.query, user_id=body.user_id, agent_id=body.agent_id,
                                session_id=body.session_id, limit=body.limit, filters=body.filters, mode=body.mode))

    @app.post(f"{API}/memories/list")
    def list_(body: ListBody):
        return _json(mem.get_all(user_id=body.user_id, agent_id=body.agent_id, session_id=body.session_id,
                                 include_superseded=body.include_superseded, filters=body.filters, limit=body.limit))

    @app.post(f"{API}/memories/delete-all")
    def delete_all(body: ScopeBody):
        return {"deleted": mem.delete_all(user_id=body.user_id, agent_id=body.agent_id, session_id=body.session_id)}

    @app.get(API + "/memories/{memory_id}")
    def get(memory_id: str):
        return _json(mem.get(memory_id))

    @app.patch(API + "/memories/{memory_id}")
    def update(memory_id: str, body: UpdateBody):
        return _json(mem.update(memory_id, body.text, metadata=body.metadata))

    @app.delete(API + "/memories/{memory_id}")
    def delete(memory_id: str):
        return _json(mem.delete(memory_id))

    @app.post(API + "/memories/{memory_id}/restore")
    def restore(memory_id: str):
        return _json(mem.restore(memory_id))

    @app.post(API + "/memories/{memory_id}/restore-version")
    def restore_version(memory_id: str):
        return _json(mem.restore_version(memory_id))

    @app.get(API + "/memories/{memory_id}/history")
    def history(memory_id: str):
        return _json(mem.history(memory_id))

    @app.get(API + "/memories/{memory_id}/sources")
    def sources(memory_id: str):
        return _json(mem.sources(memory_id))

    @app.post(f"{API}/messages/list")
    def messages(body: MessagesBody):
        return _json(mem.messages(user_id=body.user_id, agent_id=body.agent_id, session_id=body.session_id,
                                  limit=body.limit))

    @app.post(f"{API}/export")
    def export(body: UserBody):
        return mem.export(user_id=body.user_id)

    @app.post(f"{API}/import")
    def import_(data: dict[str, Any]):
        return mem.import_(data)

    @app.post(f"{API}/forget-user")
    def forget_user(body: UserBody):
        return mem.forget_user(user_id=body.user_id)

    @app.get(f"{API}/users")
    def users():
        return mem.users()

    @app.get(f"{API}/stats")
    def stats():
        return mem.stats()

    @app.get(f"{API}/failures")
    def failures(user_id: str | None = None, include_resolved: bool = False):
        return _json(mem.failures(user_id=user_id, include_resolved=include_resolved))

    @app.post(f"{API}/reprocess")
    def reprocess(body: ReprocessBody):
        job = worker.enqueue("reprocess", {"user_id": body.user_id, "limit": body.limit}, user_id=body.user_id)
        job = worker.wait(job.id)
        if job.status == "failed":
            return _err(500, "job_failed", job.error)
        return {"events": job.result["events"], "job": _dump(job)}

    # -- preferences ----------------------------------------------------------------------------
    @app.get(API + "/preferences/{user_id}")
    def preferences(user_id: str):
        return _json(mem.preferences(user_id=user_id))

    @app.get(API + "/preferences/{user_id}/history")
    def preference_history(user_id: str, limit: int | None = None):
        return _json(mem.preference_history(user_id=user_id, limit=limit))

    @app.post(f"{API}/preferences/observe")
    def observe(body: ObserveBody):
        return _json(mem.observe_preferences(body.message, user_id=body.user_id, message_id=body.message_id,
                                             timestamp=body.timestamp))

    @app.post(f"{API}/preferences/feedback")
    def feedback(body: FeedbackBody):
        return _json(mem.record_feedback(user_id=body.user_id, original=body.original, edited=body.edited,
                                         comment=body.comment, message_id=body.message_id,
                                         timestamp=body.timestamp))

    # -- chat sessions (the terminal app's saved chats) -----------------------------------------
    sessions = ChatSessions(mem)

    @app.post(f"{API}/sessions")
    def session_start(body: SessionStartBody):
        return _json(sessions.start(user_id=body.user_id, title=body.title, memory_mode=body.memory_mode,
                                    model=body.model))

    @app.post(f"{API}/sessions/list")
    def session_list(body: SessionListBody):
        return _json(sessions.list(user_id=body.user_id, query=body.query, limit=body.limit))

    @app.get(API + "/sessions/{session_id}")
    def session_get(session_id: str):
        return _json(sessions.get(session_id))

    @app.patch(API + "/sessions/{session_id}")
    def session_patch(session_id: str, body: SessionPatchBody):
        session = None
        if body.title is not None:
            session = sessions.rename(session_id, body.title)
        if session is None or body.memory_mode is not None or body.model is not None:
            session = sessions.touch(session_id, memory_mode=body.memory_mode, model=body.model)
        return _json(session)

    @app.get(API + "/sessions/{session_id}/messages")
    def session_messages(session_id: str):
        return _json(sessions.messages(session_id))

    # -- chat -----------------------------------------------------------------------------------
    streams: dict[str, threading.Event] = {}  # replies being streamed: stream id -> stop

    @app.post(f"{API}/chat")
    def chat(body: ChatBody):
        from localmem.store.values import coerce_time
        from localmem.server.worker import QueuedAssistant

        when = coerce_time(body.now, "now") if body.now else None
        assistant = QueuedAssistant(mem, worker, memory_mode=body.memory_mode, max_tokens=body.max_tokens)
        stream = assistant.chat(body.message, user_id=body.user_id, session_id=body.session_id,
                                agent_id=body.agent_id, stream=True, now=when)
        if not body.stream:
            for _ in stream:
                pass
            return _reply_json(stream.reply)
        media = "application/x-ndjson" if body.format == "ndjson" else "text/event-stream"
        stream_id, stop = uuid.uuid4().hex, threading.Event()
        streams[stream_id] = stop
        frames = _chunks(stream, body.format, stream_id, stop)
        return StreamingResponse(_in_one_thread(frames, stop, lambda: streams.pop(stream_id, None)),
                                 media_type=media)

    @app.post(API + "/chat/{stream_id}/stop")
    def chat_stop(stream_id: str):
        """Stop a streamed reply at its next chunk; the stream still ends with the ``reply`` line
        (the partial reply, logged as such): what a new prompt or Esc does in the app."""
        stop = streams.get(stream_id)
        if stop is None:
            return _err(404, "not_found", f"no reply is being streamed with id {stream_id!r} (it may have ended)")
        stop.set()
        return {"stopping": stream_id}

    def _reply_json(reply) -> dict:
        if reply.stats is not None:
            state.metrics.tokens(reply.stats.completion_tokens, reply.stats.generation_ms)
        out = reply.model_dump(mode="json", exclude={"extraction"})
        out["extraction_job"] = getattr(reply.extraction, "job_id", None)
        return out

    def _chunks(stream, fmt: str, stream_id: str, stop: threading.Event) -> Iterator[bytes]:
        """NDJSON (or SSE) frames: ``start`` (the stream's id, the memories recalled), ``chunk``...,
        then ``reply`` (or ``error``)."""
        def frame(kind: str, payload: dict) -> bytes:
            if fmt == "sse":
                return f"event: {kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()
            return (json.dumps({"type": kind, **payload}, ensure_ascii=False) + "\n").encode()

        try:
            yield frame("start", {"stream_id": stream_id,
                                  "memories": [m.model_dump(mode="json") for m in stream.memories]})
            for piece in stream:
                yield frame("chunk", {"text": piece})
                if stop.is_set():
                    stream.close()  # the model stops here; the loop ends and the partial reply is kept
            yield frame("reply", {"reply": _reply_json(stream.reply)})
        except Exception as exc:  # noqa: BLE001 - the status line is already sent: report in-band
            yield frame("error", {"error": type(exc).__name__, "detail": str(exc)})
        finally:
            stream.close()

    async def _in_one_thread(frames: Iterator[bytes], stop: threading.Event, ended) -> AsyncIterator[bytes]:
        """Run a reply's frames in one thread of its own and hand them to the event loop.

        The model's lock is an RLock, taken by the thread that starts the stream. Starlette runs a
        sync iterator on a threadpool, which may resume it on another thread, and a client that
        disconnected left the generator to be finalised wherever its last reference died: the lock
        was never released and every later chat waited forever. Here one thread owns the generator
        from start to close. A disconnect (this async generator cancelled or closed) sets ``stop``:
        the reply stops at its next chunk and the partial reply is logged, as in process."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        done = object()

        def put(item) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:
                pass  # the event loop is gone (shutdown): nobody reads any more

        def produce() -> None:
            try:
                for item in frames:
                    put(item)
            finally:
                frames.close()
                ended()
                put(done)

        threading.Thread(target=produce, name="localmem-chat-stream", daemon=True).start()
        try:
            while (item := await queue.get()) is not done:
                yield item
        finally:
            stop.set()

    # -- jobs -----------------------------------------------------------------------------------
    @app.get(API + "/jobs/{job_id}")
    def job(job_id: str):
        found = worker.get(job_id)
        if found is None:
            return _err(404, "not_found", f"no job has id {job_id!r}")
        return _json(found)

    @app.get(f"{API}/jobs")
    def job_list(status: str | None = None, limit: int = 100):
        with mem.store.reading() as db:
            return _json(jobrows.list_jobs(db, status=status, limit=min(max(limit, 1), 1000)))

    @app.post(f"{API}/consolidate")
    def consolidate(body: ConsolidateBody):
        job = worker.enqueue("consolidate", {})
        if body.wait:
            job = worker.wait(job.id)
        return _json(job)

    return app
