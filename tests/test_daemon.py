"""The daemon through its client: every verb, chat streams, errors, auth, socket permissions.

Real ``localmem serve`` processes on a Unix socket in a tmp dir, a real SQLite file and the real
embedder; the model is the scripted stand-in (``--scripted-delay``), the LLM boundary only.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from daemon_helpers import Daemon
from localmem.client import Client, RemoteAssistant, RemoteMemory
from localmem.store.errors import InvalidInputError, InvalidStateError, MemoryNotFoundError, UnknownUserError
from localmem.types import EventType


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    home = tmp_path_factory.mktemp("daemon-home")
    d = Daemon(home).start()
    yield d
    assert d.stop() == 0


@pytest.fixture
def mem(daemon) -> RemoteMemory:
    return daemon.memory()


def _raw(sock: Path, data: bytes) -> tuple[int, dict]:
    """Send raw bytes (a hand-written HTTP request) and parse the status and JSON body."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(sock))
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered (413) before reading everything
    chunks = []
    try:
        while chunk := s.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    s.close()
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body) if body else {}


def _post(path: str, body: bytes, content_type: str = "application/json") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


def test_memory_verbs_round_trip(mem: RemoteMemory):
    [event] = mem.add("I live in Lyon", user_id="ana", infer=False, metadata={"src": "t"})
    assert event.event == EventType.ADD and event.memory.text == "I live in Lyon"
    mid = event.memory.id
    assert mem.get(mid).metadata == {"src": "t"}
    assert [i.id for i in mem.search("where does ana live", user_id="ana")] == [mid]
    assert mem.update(mid, "I live in Osaka").text == "I live in Osaka"
    assert mem.delete(mid).status.value == "deleted"
    assert mem.restore(mid).status.value == "active"
    assert [h.action.value for h in mem.history(mid)] == ["ADD", "UPDATE", "DELETE", "RESTORE"]
    assert [m.content for m in mem.sources(mid)] == ["I live in Lyon"]
    assert [i.text for i in mem.get_all(user_id="ana")] == ["I live in Osaka"]
    data = mem.export(user_id="ana")
    assert len(data["memories"]) == 1
    assert mem.forget_user(user_id="ana")["memories"] == 1
    assert mem.search("Osaka", user_id="ana") == []
    assert mem.import_(data)["memories"] == 1
    assert mem.get(mid).text == "I live in Osaka"
    with pytest.raises(MemoryNotFoundError):
        mem.get("01M00000000000000000000000")
    with pytest.raises(UnknownUserError):
        mem.export(user_id="nobody-here")
    with pytest.raises(InvalidStateError):
        mem.restore(mid)
    with pytest.raises(InvalidInputError):
        mem.add("   ", user_id="ana", infer=False)


def test_named_messages_over_the_socket(mem: RemoteMemory):
    """A message's ``name`` goes through the daemon as through the library: kept as its speaker,
    and a verbatim memory says who said it."""
    [event] = mem.add([{"role": "user", "name": "Caroline", "content": "I moved from Sweden"}], user_id="grp",
                      infer=False)
    assert event.memory.text == "Caroline: I moved from Sweden"
    assert [m.metadata["speaker"] for m in mem.messages(user_id="grp")] == ["Caroline"]
    with pytest.raises(InvalidInputError, match="only user messages name"):
        mem.add([{"role": "assistant", "name": "Bo", "content": "hi"}], user_id="grp", infer=False)


def test_infer_add_runs_through_the_queue(mem: RemoteMemory):
    events = mem.add("My cat is called Miso", user_id="ben")
    assert [e.memory.text for e in events] == ["User said: My cat is called Miso"]
    again = mem.add("My cat is called Miso", user_id="ben")  # a second message saying the same
    assert [e.event for e in again] == [EventType.NONE]
    assert all(not m.pending_extraction for m in mem.messages(user_id="ben"))


def test_idempotency_key_stores_once(daemon, mem: RemoteMemory):
    client = Client(daemon.socket)
    body = {"messages": "I play the cello", "user_id": "cat", "infer": False, "idempotency_key": "k-1"}
    first = client.request("POST", "/v1/memories", body)
    second = client.request("POST", "/v1/memories", body)
    assert first["events"] == second["events"]
    body = {"messages": "I play the flute", "user_id": "cat", "infer": True, "idempotency_key": "k-2"}
    first, second = client.request("POST", "/v1/memories", body), client.request("POST", "/v1/memories", body)
    assert first["job"]["id"] == second["job"]["id"]
    assert sorted(i.text for i in mem.get_all(user_id="cat")) == ["I play the cello", "User said: I play the flute"]
    assert len(mem.messages(user_id="cat")) == 2


def test_chat_streams_ndjson_and_sse(daemon, mem: RemoteMemory):
    assistant = RemoteAssistant(mem)
    stream = assistant.chat("I adopted a dog named Rex", user_id="dan", session_id="s1", stream=True)
    pieces = list(stream)
    assert "".join(pieces) == "You said: I adopted a dog named Rex" and len(pieces) > 1
    assert [e.memory.text for e in stream.reply.wait_events()] == ["User said: I adopted a dog named Rex"]
    reply = assistant.chat("what is my dog called?", user_id="dan", session_id="s1")
    assert [m.text for m in reply.memories][:1] == ["User said: I adopted a dog named Rex"]
    assert reply.message_id and reply.stats.completion_tokens > 0
    status, _ = 200, None
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(daemon.socket))
    s.sendall(_post("/v1/chat", json.dumps({"message": "hi", "user_id": "dan", "format": "sse",
                                             "memory_mode": "off"}).encode()))
    raw = b""
    while chunk := s.recv(65536):
        raw += chunk
    s.close()
    assert b"text/event-stream" in raw and b"event: chunk" in raw and b"event: reply" in raw
    assert status == 200


def test_preferences_through_the_daemon(mem: RemoteMemory):
    snap = mem.observe_preferences("shorter please, no jargon", user_id="eve")
    assert snap.turn == 1
    profile = mem.preferences(user_id="eve")
    assert profile.turns == 1 and profile.dimensions["length"].fused < 0.5
    assert len(mem.preference_history(user_id="eve")) == 1
    fb = mem.record_feedback(user_id="eve", original="a long answer " * 10, edited="short")
    assert fb.edited == "short"


def test_bad_requests_get_4xx_and_the_server_keeps_serving(daemon, mem: RemoteMemory):
    sock = daemon.socket
    status, body = _raw(sock, _post("/v1/memories", b"{not json"))
    assert status == 400 and body["error"] == "malformed_json"
    status, body = _raw(sock, _post("/v1/memories", json.dumps({"messages": "x", "user_id": 42}).encode()))
    assert status == 422 and "user_id" in body["detail"]
    status, body = _raw(sock, _post("/v1/memories/search", json.dumps({"query": "x", "user_id": "a",
                                                                         "limit": "ten"}).encode()))
    assert status == 422 and "limit" in body["detail"]
    status, body = _raw(sock, _post("/v1/memories", json.dumps({"messages": "x", "user_id": "a", "bogus": 1}).encode()))
    assert status == 422 and "bogus" in body["detail"]
    status, body = _raw(sock, _post("/v1/memories/search", json.dumps({"query": "x", "user_id": "a",
                                                                         "limit": 0}).encode()))
    assert status == 400 and "limit" in body["detail"]
    big = json.dumps({"messages": "x" * (3 * 1024 * 1024), "user_id": "a"}).encode()
    status, body = _raw(sock, _post("/v1/memories", big))
    assert status == 413 and "too_large" == body["error"]
    status, body = _raw(sock, b"POST /v1/memories HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                              b"Connection: close\r\n\r\n" + b"".join(
                                  f"{0x100000:x}\r\n".encode() + b"a" * 0x100000 + b"\r\n" for _ in range(3))
                        + b"0\r\n\r\n")
    assert status == 413
    status, body = _raw(sock, b"GET /v1/memories/not-an-id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status in (400, 404) and body["detail"]
    assert mem.client.ping()
    metrics = mem.client.request("GET", "/metrics")
    assert metrics["routes"]["POST /v1/memories"]["errors"] >= 3


def test_openapi_lists_the_api(daemon):
    doc = Client(daemon.socket).request("GET", "/openapi.json")
    paths = set(doc["paths"])
    for p in ("/v1/memories", "/v1/memories/search", "/v1/memories/{memory_id}", "/v1/chat", "/health",
              "/metrics", "/v1/forget-user", "/v1/preferences/{user_id}", "/v1/jobs/{job_id}"):
        assert p in paths


def test_socket_is_private(daemon):
    assert stat.S_IMODE(daemon.socket.stat().st_mode) == 0o600
    assert stat.S_IMODE(daemon.socket.parent.stat().st_mode) == 0o700
    lock = daemon.socket.with_name("localmem.sock.lock")
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    if os.getuid() != 0:
        return
    import pwd

    nobody = pwd.getpwnam("nobody").pw_uid
    pid = os.fork()
    if pid == 0:  # child: become another user, try to connect
        code = 3
        try:
            os.setgid(nobody)
            os.setuid(nobody)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(str(daemon.socket))
                code = 1  # connected: permission model broken
            except PermissionError:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_second_server_on_the_same_socket_is_refused(daemon):
    second = Daemon(daemon.home, runtime_dir=daemon.runtime_dir)
    out = subprocess.run(second.command(), env=second.env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "already serving" in out.stderr and str(daemon.proc.pid) in out.stderr
    assert Client(daemon.socket).ping()  # the first one is untouched


def test_tcp_needs_the_token(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d = Daemon(tmp_path / "h", args=["--tcp-port", str(port)]).start()
    try:
        token_file = tmp_path / "h" / "server-token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text().strip()
        from localmem.client import RemoteError

        with pytest.raises(RemoteError, match="401"):
            Client(tcp_port=port).request("GET", "/health")
        with pytest.raises(RemoteError, match="401"):
            Client(tcp_port=port, token="wrong").request("GET", "/health")
        assert Client(tcp_port=port, token=token).request("GET", "/health")["status"] == "ok"
        tcp = RemoteMemory(tcp_port=port, token=token)
        tcp.add("over tcp", user_id="t", infer=False)
        assert [i.text for i in d.memory().get_all(user_id="t")] == ["over tcp"]  # the socket needs no token
    finally:
        assert d.stop() == 0
    assert not d.socket.exists()


def test_cli_uses_the_daemon_when_it_runs(daemon, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from localmem.cli import main

    monkeypatch.setenv("LOCALMEM_RUNTIME_DIR", str(daemon.runtime_dir))
    runner = CliRunner()
    out = runner.invoke(main, ["memories", "--db", str(daemon.db), "add", "-u", "fay", "I", "like", "tea"])
    assert out.exit_code == 0, out.output
    assert [i.text for i in daemon.memory().get_all(user_id="fay")] == ["I like tea"]
    out = runner.invoke(main, ["memories", "--db", str(daemon.db), "search", "-u", "fay", "tea", "--json"])
    assert json.loads(out.output)[0]["text"] == "I like tea"
    # another store: in-process, the daemon's store is untouched
    other = tmp_path / "other.db"
    out = runner.invoke(main, ["memories", "--db", str(other), "add", "-u", "fay", "coffee"])
    assert out.exit_code == 0 and len(daemon.memory().get_all(user_id="fay")) == 1
    out = runner.invoke(main, ["daemon", "status", "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["pid"] == daemon.proc.pid


def test_consolidation_through_the_queue(mem: RemoteMemory):
    keep = mem.add("Gus's favourite tea is oolong", user_id="gus", infer=False)[0].memory
    dup = mem.add("Gus's favourite tea is oolong!", user_id="gus", infer=False)[0].memory
    report = mem.consolidate()
    assert report["merged"] >= 1
    assert mem.get(dup.id).superseded_by == keep.id
    assert mem.history(dup.id)[-1].actor == "consolidate:merge"
    assert [m.id for m in mem.get_all(user_id="gus")] == [keep.id]


def test_remote_classes_have_the_in_process_verbs():
    import inspect

    from localmem.assistant import Assistant
    from localmem.memory import Memory

    local_only = {"check", "vacuum", "reembed", "reindex",  # file maintenance: run in-process
                  "store", "runtime", "prefs", "from_config", "last_result", "search_config"}
    verbs = {n for n, _ in inspect.getmembers(Memory) if not n.startswith("_")} - local_only
    assert verbs - set(dir(RemoteMemory)) == set()
    for name in verbs & {n for n, f in inspect.getmembers(Memory, inspect.isfunction)}:
        local = set(inspect.signature(getattr(Memory, name)).parameters)
        remote = set(inspect.signature(getattr(RemoteMemory, name)).parameters)
        assert local == remote, name
    for name in ("chat", "edit_reply", "comment_on_reply", "reprocess"):
        local = set(inspect.signature(getattr(Assistant, name)).parameters)
        assert local == set(inspect.signature(getattr(RemoteAssistant, name)).parameters), name


def test_ask_and_chat_use_the_daemon_model(daemon, monkeypatch):
    from click.testing import CliRunner

    from localmem.cli import main

    monkeypatch.setenv("LOCALMEM_RUNTIME_DIR", str(daemon.runtime_dir))
    out = CliRunner().invoke(main, ["ask", "--db", str(daemon.db), "-u", "hal", "--json", "I sail on Sundays"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["text"] == "You said: I sail on Sundays"  # the daemon's (scripted) model answered
    assert [e["memory"]["text"] for e in data["events"]] == ["User said: I sail on Sundays"]
    out = CliRunner().invoke(main, ["chat", "--db", str(daemon.db), "-u", "hal"], input="hello there\n/exit\n")
    assert out.exit_code == 0, out.output
    assert "You said: hello there" in out.output and "the daemon" in out.output


def test_restore_version_reaches_the_library_through_the_daemon(mem: RemoteMemory):
    item = mem.add("I play the oboe", user_id="rv", infer=False)[0].memory
    with pytest.raises(Exception, match="only a superseded memory"):
        mem.restore_version(item.id)
    assert mem.get(item.id).text == item.text  # nothing changed by the refused call


def test_max_tokens_reaches_the_daemon_and_ask_with_it_uses_the_daemon(daemon, mem: RemoteMemory, monkeypatch):
    from click.testing import CliRunner

    from localmem.cli import main

    assert RemoteAssistant(mem, max_tokens=5).chat("hi", user_id="mtk").max_tokens == 5
    monkeypatch.setenv("LOCALMEM_RUNTIME_DIR", str(daemon.runtime_dir))
    out = CliRunner().invoke(main, ["ask", "--db", str(daemon.db), "-u", "mtk", "--max-tokens", "7", "--json", "hello"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["text"] == "You said: hello"  # the daemon's (scripted) model answered
