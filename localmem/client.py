"""Talk to the localmem daemon: ``RemoteMemory`` and ``RemoteAssistant`` have the same verbs and
return the same typed results as ``Memory`` and ``Assistant``; errors are the store's own
(``MemoryNotFoundError``, ``InvalidInputError``...), rebuilt from the daemon's JSON errors.

    from localmem.client import RemoteMemory, RemoteAssistant, daemon_running

    if daemon_running():
        mem = RemoteMemory()                      # the default socket; or RemoteMemory(socket=...)
        mem.add("I moved to Lyon", user_id="ana", infer=False)
        for piece in (s := RemoteAssistant(mem).chat("where do I live?", user_id="ana", stream=True)):
            print(piece, end="")
        s.reply

Only the standard library is used (``http.client`` over the Unix socket, or TCP to 127.0.0.1 with
the bearer token). ``add`` sends an idempotency key and retries once when the connection drops,
so a retried request never stores twice.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any

from localmem.store import errors as E
from localmem.types import HistoryEntry, MemoryEvent, MemoryItem, Message

_ERRORS = {"invalid_input": E.InvalidInputError, "invalid_request": E.InvalidInputError,
           "malformed_json": E.InvalidInputError, "not_found": E.MemoryNotFoundError,
           "unknown_user": E.UnknownUserError, "invalid_state": E.InvalidStateError,
           "import_conflict": E.ImportConflictError, "store_locked": E.StoreLockedError,
           "inference_unavailable": E.InferenceUnavailableError}


def _session_not_found(detail: str) -> Exception:
    from localmem.sessions import SessionNotFoundError

    return SessionNotFoundError(detail)


_ERRORS["session_not_found"] = _session_not_found


class DaemonUnavailable(ConnectionError):
    """No daemon answers on the socket (not running, or the socket is not ours)."""


class RemoteError(E.StoreError):
    """The daemon answered with an error that has no more specific class."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


class Client:
    """One HTTP/1.1 connection per call (threads may share a Client)."""

    def __init__(self, socket_path: str | Path | None = None, *, tcp_port: int | None = None,
                 token: str | None = None, timeout: float | None = 600.0):
        from localmem.server.lifecycle import default_socket

        self.socket = Path(socket_path) if socket_path else default_socket()
        self.tcp_port, self.token, self.timeout = tcp_port, token, timeout

    def _connection(self) -> http.client.HTTPConnection:
        if self.tcp_port:
            return http.client.HTTPConnection("127.0.0.1", self.tcp_port, timeout=self.timeout)
        return _UnixConnection(str(self.socket), self.timeout)

    def _open(self, method: str, path: str, body: Any = None):
        conn = self._connection()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        try:
            conn.request(method, path, body=data, headers=headers)
            return conn, conn.getresponse()
        except (FileNotFoundError, ConnectionRefusedError, ConnectionResetError, BrokenPipeError,
                http.client.RemoteDisconnected) as exc:
            conn.close()
            raise DaemonUnavailable(f"no localmem daemon answers on {self._where()}: {exc}") from None

    def _where(self) -> str:
        return f"127.0.0.1:{self.tcp_port}" if self.tcp_port else str(self.socket)

    def request(self, method: str, path: str, body: Any = None, *, retry: bool = False) -> Any:
        for attempt in range(2 if retry else 1):
            try:
                conn, resp = self._open(method, path, body)
                break
            except DaemonUnavailable:
                if attempt == 1 or not retry:
                    raise
        try:
            raw = resp.read()
        finally:
            conn.close()
        payload = json.loads(raw) if raw else None
        if resp.status >= 400:
            raise _error(resp.status, payload)
        return payload

    def stream(self, path: str, body: Any) -> Iterator[dict]:
        """POST and yield each NDJSON line as a dict."""
        conn, resp = self._open("POST", path, body)
        try:
            if resp.status >= 400:
                raw = resp.read()
                raise _error(resp.status, json.loads(raw) if raw else None)
            for line in resp:
                if line.strip():
                    yield json.loads(line)
        finally:
            conn.close()

    def ping(self) -> bool:
        try:
            return self.request("GET", "/health")["status"] == "ok"
        except (DaemonUnavailable, OSError):
            return False


def _error(status: int, payload: Any) -> Exception:
    kind = payload.get("error") if isinstance(payload, dict) else None
    detail = payload.get("detail") if isinstance(payload, dict) else payload
    cls = _ERRORS.get(kind, RemoteError)  # an exception class, or a function that builds one
    return cls(f"{detail}" if cls is not RemoteError else f"daemon answered {status} {kind}: {detail}")


def daemon_running(socket_path: str | Path | None = None) -> bool:
    """True when a daemon answers on the socket (the default one unless given)."""
    from localmem.server.lifecycle import default_socket

    path = Path(socket_path) if socket_path else default_socket()
    return path.exists() and Client(path, timeout=5.0).ping()


def remote_for(db: str | Path | None = None) -> RemoteMemory | None:
    """A ``RemoteMemory`` when a daemon answers on the default socket and serves ``db`` (the
    default store when None); None otherwise or when ``$LOCALMEM_NO_DAEMON`` is set (the CLI then
    works in-process)."""
    from localmem.paths import daemon_may_serve, default_db_path, default_socket

    if not daemon_may_serve():
        return None
    sock = default_socket()
    try:
        health = Client(sock, timeout=5.0).request("GET", "/health")
    except (DaemonUnavailable, OSError, RemoteError):
        return None
    target = Path(db).expanduser() if db is not None else default_db_path()
    if target.resolve() != Path(health["db"]).resolve():
        return None
    return RemoteMemory(sock)


def _scope(user_id, agent_id, session_id) -> dict:
    return {"user_id": user_id, "agent_id": agent_id, "session_id": session_id}


def _time(value):
    return value.isoformat() if isinstance(value, datetime) else value


class RemoteMemory:
    """``Memory``'s verbs, served by the daemon."""

    def __init__(self, socket: str | Path | None = None, *, tcp_port: int | None = None, token: str | None = None,
                 timeout: float | None = 600.0):
        self.client = Client(socket, tcp_port=tcp_port, token=token, timeout=timeout)

    @property
    def path(self) -> Path:
        return Path(self.client.request("GET", "/health")["db"])

    def health(self) -> dict[str, Any]:
        """The daemon's ``/health``: db, pid, queue, and its model (name, adapters, n_ctx)."""
        return self.client.request("GET", "/health")

    def close(self) -> None:
        pass

    def __enter__(self) -> RemoteMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, messages, *, user_id: str, agent_id: str | None = None, session_id: str | None = None,
            infer: bool = True, metadata: dict | None = None, timestamp=None) -> list[MemoryEvent]:
        body = {"messages": messages, **_scope(user_id, agent_id, session_id), "infer": infer,
                "metadata": metadata, "timestamp": _time(timestamp), "idempotency_key": uuid.uuid4().hex}
        out = self.client.request("POST", "/v1/memories", body, retry=True)
        if out.get("events") is None:  # still queued: wait for the job
            out = self.wait_job(out["job"]["id"])
            return [MemoryEvent.model_validate(e) for e in out["result"]["events"]]
        return [MemoryEvent.model_validate(e) for e in out["events"]]

    def wait_job(self, job_id: str, poll: float = 0.2) -> dict:
        import time

        while True:
            job = self.client.request("GET", f"/v1/jobs/{job_id}")
            if job["status"] == "done":
                return job
            if job["status"] == "failed":
                raise RemoteError(f"job {job_id} failed: {job['error']}")
            time.sleep(poll)

    def search(self, query: str, *, user_id: str, agent_id: str | None = None, session_id: str | None = None,
               limit: int = 10, filters=None, mode=None) -> list[MemoryItem]:
        if hasattr(filters, "model_dump"):
            filters = filters.model_dump(mode="json", exclude_none=True)
        body = {"query": query, **_scope(user_id, agent_id, session_id), "limit": limit, "filters": filters,
                "mode": mode}
        return [MemoryItem.model_validate(i) for i in self.client.request("POST", "/v1/memories/search", body)]

    def get(self, memory_id: str) -> MemoryItem:
        return MemoryItem.model_validate(self.client.request("GET", f"/v1/memories/{_q(memory_id)}"))

    def get_all(self, *, user_id: str, agent_id: str | None = None, session_id: str | None = None,
                include_superseded: bool = False, filters=None, limit: int | None = None) -> list[MemoryItem]:
        if hasattr(filters, "model_dump"):
            filters = filters.model_dump(mode="json", exclude_none=True)
        body = {**_scope(user_id, agent_id, session_id), "include_superseded": include_superseded,
                "filters": filters, "limit": limit}
        return [MemoryItem.model_validate(i) for i in self.client.request("POST", "/v1/memories/list", body)]

    def update(self, memory_id: str, text: str, *, metadata: dict | None = None) -> MemoryItem:
        return MemoryItem.model_validate(self.client.request(
            "PATCH", f"/v1/memories/{_q(memory_id)}", {"text": text, "metadata": metadata}))

    def delete(self, memory_id: str) -> MemoryItem:
        return MemoryItem.model_validate(self.client.request("DELETE", f"/v1/memories/{_q(memory_id)}"))

    def restore(self, memory_id: str) -> MemoryItem:
        return MemoryItem.model_validate(self.client.request("POST", f"/v1/memories/{_q(memory_id)}/restore"))

    def restore_version(self, memory_id: str) -> MemoryItem:
        return MemoryItem.model_validate(
            self.client.request("POST", f"/v1/memories/{_q(memory_id)}/restore-version"))

    def delete_all(self, *, user_id: str, agent_id: str | None = None, session_id: str | None = None) -> int:
        return self.client.request("POST", "/v1/memories/delete-all", _scope(user_id, agent_id, session_id))["deleted"]

    def history(self, memory_id: str) -> list[HistoryEntry]:
        return [HistoryEntry.model_validate(h) for h in
                self.client.request("GET", f"/v1/memories/{_q(memory_id)}/history")]

    def sources(self, memory_id: str) -> list[Message]:
        return [Message.model_validate(m) for m in self.client.request("GET", f"/v1/memories/{_q(memory_id)}/sources")]

    def messages(self, *, user_id: str, agent_id: str | None = None, session_id: str | None = None,
                 limit: int | None = None) -> list[Message]:
        body = {**_scope(user_id, agent_id, session_id), "limit": limit}
        return [Message.model_validate(m) for m in self.client.request("POST", "/v1/messages/list", body)]

    def export(self, *, user_id: str) -> dict[str, Any]:
        return self.client.request("POST", "/v1/export", {"user_id": user_id})

    def import_(self, data: dict[str, Any]) -> dict[str, int]:
        return self.client.request("POST", "/v1/import", data)

    def forget_user(self, *, user_id: str) -> dict[str, Any]:
        return self.client.request("POST", "/v1/forget-user", {"user_id": user_id})

    def users(self) -> list[dict[str, Any]]:
        return self.client.request("GET", "/v1/users")

    def stats(self) -> dict[str, Any]:
        return self.client.request("GET", "/v1/stats")

    def failures(self, *, user_id: str | None = None, include_resolved: bool = False):
        from localmem.store.failures import ExtractionFailure

        query = f"?include_resolved={str(include_resolved).lower()}" + (f"&user_id={_q(user_id)}" if user_id else "")
        return [ExtractionFailure.model_validate(f) for f in self.client.request("GET", "/v1/failures" + query)]

    def reprocess(self, *, user_id: str | None = None, limit: int = 100) -> list[MemoryEvent]:
        out = self.client.request("POST", "/v1/reprocess", {"user_id": user_id, "limit": limit})
        return [MemoryEvent.model_validate(e) for e in out["events"]]

    def preferences(self, *, user_id: str):
        from localmem.preferences.types import PreferenceProfile

        return PreferenceProfile.model_validate(self.client.request("GET", f"/v1/preferences/{_q(user_id)}"))

    def preference_history(self, *, user_id: str, limit: int | None = None):
        from localmem.preferences.types import PreferenceSnapshot

        query = f"?limit={limit}" if limit is not None else ""
        return [PreferenceSnapshot.model_validate(s) for s in
                self.client.request("GET", f"/v1/preferences/{_q(user_id)}/history{query}")]

    def observe_preferences(self, message: str, *, user_id: str, message_id: str | None = None, timestamp=None):
        from localmem.preferences.types import PreferenceSnapshot

        return PreferenceSnapshot.model_validate(self.client.request("POST", "/v1/preferences/observe", {
            "message": message, "user_id": user_id, "message_id": message_id, "timestamp": _time(timestamp)}))

    def record_feedback(self, *, user_id: str, original: str | None = None, edited: str | None = None,
                        comment: str | None = None, message_id: str | None = None, timestamp=None):
        from localmem.preferences.types import ReplyFeedback

        return ReplyFeedback.model_validate(self.client.request("POST", "/v1/preferences/feedback", {
            "user_id": user_id, "original": original, "edited": edited, "comment": comment,
            "message_id": message_id, "timestamp": _time(timestamp)}))

    def consolidate(self) -> dict:
        """Run sleep-time consolidation now (merge duplicates, contradictions, forgetting curve)."""
        return self.client.request("POST", "/v1/consolidate", {"wait": True})["result"]


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(str(value), safe="")


class RemoteSessions:
    """``ChatSessions``' verbs (the terminal app's saved chats), served by the daemon."""

    def __init__(self, memory: RemoteMemory):
        self.memory = memory
        self.client = memory.client

    def _session(self, data: dict):
        from localmem.sessions import ChatSession

        return ChatSession.model_validate(data)

    def start(self, *, user_id: str, title: str, memory_mode: str = "on", model: str | None = None):
        return self._session(self.client.request("POST", "/v1/sessions", {
            "user_id": user_id, "title": title, "memory_mode": memory_mode, "model": model}))

    def get(self, session_id: str):
        return self._session(self.client.request("GET", f"/v1/sessions/{_q(session_id)}"))

    def list(self, *, user_id: str, query: str | None = None, limit: int = 100):
        return [self._session(s) for s in self.client.request(
            "POST", "/v1/sessions/list", {"user_id": user_id, "query": query, "limit": limit})]

    def rename(self, session_id: str, title: str):
        return self._session(self.client.request("PATCH", f"/v1/sessions/{_q(session_id)}", {"title": title}))

    def touch(self, session_id: str, *, memory_mode: str | None = None, model: str | None = None):
        return self._session(self.client.request("PATCH", f"/v1/sessions/{_q(session_id)}",
                                                 {"memory_mode": memory_mode, "model": model}))

    def messages(self, session_id: str) -> list[Message]:
        return [Message.model_validate(m) for m in
                self.client.request("GET", f"/v1/sessions/{_q(session_id)}/messages")]


class RemoteReply:
    """What ``RemoteAssistant.chat`` returns: ``Reply``'s fields; ``wait_events`` waits for the
    daemon's extraction job of the user's message."""

    def __init__(self, data: dict, memory: RemoteMemory):
        from localmem.llm import CallStats

        self.text: str = data["text"]
        self.memories = [MemoryItem.model_validate(m) for m in data["memories"]]
        self.stats = CallStats.model_validate(data["stats"]) if data.get("stats") else None
        self.message_id: str | None = data.get("message_id")
        self.style: str = data.get("style", "")
        self.max_tokens: int | None = data.get("max_tokens")
        self.extraction_job: str | None = data.get("extraction_job")
        self._memory = memory
        self._lock = threading.Lock()
        self._future: Future | None = None

    def wait_events(self, timeout: float | None = None) -> list[MemoryEvent]:
        """Block until the daemon extracted the user's message (or ``timeout`` s); its memory events."""
        future = self.extraction
        if future is None:
            return []
        result = future.result(timeout)
        return result.events if result is not None else []

    @property
    def extraction(self):
        """Like ``Reply.extraction``: a ``Future`` of the extraction's ``PipelineResult``, resolved by
        a daemon thread that waits for the daemon's job (started on first use; quitting never waits)."""
        if self.extraction_job is None:
            return None
        with self._lock:
            if self._future is None:
                self._future = Future()
                threading.Thread(target=self._wait_job, args=(self._future,), daemon=True,
                                 name="localmem-remote-extraction").start()
            return self._future

    def _wait_job(self, future: Future) -> None:
        from localmem.pipeline import PipelineResult

        try:
            job = self._memory.wait_job(self.extraction_job)
            result = PipelineResult.model_validate(job["result"]) if job.get("result") else None
        except BaseException as exc:  # noqa: BLE001 - the daemon went away, the job failed
            future.set_exception(exc)
            return
        future.set_result(result)


class _DaemonRuntime:
    """Stands where ``Assistant.runtime`` is read (name, last call's stats); the model is the daemon's.
    ``lock`` serialises this client's own replies (the daemon serialises everyone's on its model)."""

    def __init__(self, socket: Path):
        self.name = f"the daemon ({socket})"
        self.last_stats = None
        self.lock = threading.RLock()

    def close(self) -> None:
        pass


class RemoteReplyStream:
    """Like ``ReplyStream``: iterate for text chunks; ``memories`` (those recalled for the reply)
    is known when ``chat`` returns (the daemon's first line), ``reply`` once the iteration ends.

    ``close`` before the end stops the reply as in process: once text is flowing, the daemon is
    asked to stop at its next chunk and the rest of the stream is read, so ``reply`` is the partial
    reply as logged (with its ``message_id``); before the first chunk (the daemon's model is still
    busy) the connection is dropped, and the daemon stops the reply at its first chunk."""

    def __init__(self, lines: Iterator[dict], memory: RemoteMemory, runtime=None):
        self._lines, self._memory, self._runtime = lines, memory, runtime
        self.reply: RemoteReply | None = None
        self.memories: list[MemoryItem] = []
        self.stream_id: str | None = None
        self._ahead: list[dict] = []
        self._chunks = 0
        self._ended = False
        first = next(self._lines, None)
        if first is not None and first["type"] == "start":
            self.stream_id = first.get("stream_id")
            self.memories = [MemoryItem.model_validate(m) for m in first["memories"]]
        elif first is not None:
            self._ahead.append(first)  # a daemon that sends no start line

    def _all_lines(self) -> Iterator[dict]:
        while self._ahead:
            yield self._ahead.pop(0)
        yield from self._lines

    def _take(self, line: dict) -> str | None:
        if line["type"] == "chunk":
            self._chunks += 1
            return line["text"]
        if line["type"] == "reply":
            self._ended = True
            self.reply = RemoteReply(line["reply"], self._memory)
            if self._runtime is not None:
                self._runtime.last_stats = self.reply.stats
        elif line["type"] == "error":
            self._ended = True
            raise RemoteError(f"{line['error']}: {line['detail']}")
        return None

    def __iter__(self) -> Iterator[str]:
        for line in self._all_lines():
            piece = self._take(line)
            if piece is not None:
                yield piece
        self._ended = True

    def close(self) -> None:
        if not self._ended and self._chunks and self.stream_id:
            try:
                self._memory.client.request("POST", f"/v1/chat/{_q(self.stream_id)}/stop")
            except E.StoreError:
                pass  # not_found: the reply ended meanwhile; its last lines are still to read
            except Exception:  # noqa: BLE001 - the daemon went away: drop the connection below
                self._ended = True
            try:
                while not self._ended:
                    line = next(self._lines, None)
                    if line is None:
                        break
                    self._take(line)
            except Exception:  # noqa: BLE001 - stopping must not fail: keep what arrived
                pass
        self._ended = True
        close = getattr(self._lines, "close", None)
        if close:
            close()


class RemoteAssistant:
    """``Assistant.chat`` served by the daemon (the model and extraction live there)."""

    def __init__(self, memory: RemoteMemory | None = None, *, memory_mode: str = "on", max_tokens: int | None = None):
        self.memory = memory or RemoteMemory()
        self.memory_mode = memory_mode
        self.max_tokens = max_tokens  # fixed limit; None: the daemon follows the user's length preference
        self.runtime = _DaemonRuntime(self.memory.client.socket)

    def chat(self, message: str, *, user_id: str, session_id: str | None = None, agent_id: str | None = None,
             stream: bool = False, now: datetime | None = None):
        body = {"message": message, **_scope(user_id, agent_id, session_id), "stream": stream,
                "memory_mode": self.memory_mode, "now": _time(now), "max_tokens": self.max_tokens}
        if not stream:
            reply = RemoteReply(self.memory.client.request("POST", "/v1/chat", body), self.memory)
            self.runtime.last_stats = reply.stats
            return reply
        return RemoteReplyStream(self.memory.client.stream("/v1/chat", body), self.memory, self.runtime)

    def edit_reply(self, reply, edited: str, *, user_id: str):
        if isinstance(reply, RemoteReply):
            return self.memory.record_feedback(user_id=user_id, original=reply.text, edited=edited,
                                               message_id=reply.message_id)
        return self.memory.record_feedback(user_id=user_id, edited=edited, message_id=reply)

    def comment_on_reply(self, comment: str, *, user_id: str, reply=None):
        message_id = reply.message_id if isinstance(reply, RemoteReply) else reply
        original = reply.text if isinstance(reply, RemoteReply) else None
        return self.memory.record_feedback(user_id=user_id, comment=comment, original=original, message_id=message_id)

    def reprocess(self, *, user_id: str | None = None, limit: int = 100):
        return self.memory.reprocess(user_id=user_id, limit=limit)


__all__ = ["Client", "DaemonUnavailable", "RemoteAssistant", "RemoteError", "RemoteMemory", "RemoteReply",
           "RemoteSessions", "daemon_running", "remote_for"]
