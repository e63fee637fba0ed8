"""Daemon reliability: concurrent clients, kill -9 mid-extraction, SIGTERM with a job in hand.

Bounded by counts (clients, requests, polls), never by wall-clock asserts.
"""

from __future__ import annotations

import threading
import time

from daemon_helpers import Daemon
from localmem.client import Client
from localmem.memory import Memory

CLIENTS = 8
PER_CLIENT = 15
POLLS = 3000  # x 0.1 s


def _poll(predicate) -> None:
    for _ in range(POLLS):
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition never held")


def test_eight_concurrent_clients_lose_no_write(tmp_path):
    d = Daemon(tmp_path / "h").start()
    errors: list[BaseException] = []
    found: dict[int, int] = {}

    def client(n: int) -> None:
        mem = d.memory()
        try:
            for i in range(PER_CLIENT):
                mem.add(f"client {n} fact {i} about kayaking", user_id=f"u{n % 2}", infer=False)
                hits = mem.search(f"client {n} fact {i}", user_id=f"u{n % 2}", limit=5)
                assert hits, "a write just acknowledged must be searchable"
            found[n] = len([m for m in mem.get_all(user_id=f"u{n % 2}") if m.text.startswith(f"client {n} ")])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []  # no "database is locked" (or anything else) reached a client
        assert found == {n: PER_CLIENT for n in range(CLIENTS)}
        metrics = Client(d.socket).request("GET", "/metrics")
        assert metrics["routes"]["POST /v1/memories"]["count"] == CLIENTS * PER_CLIENT
        assert metrics["routes"]["POST /v1/memories"]["errors"] == 0
    finally:
        assert d.stop() == 0
    with Memory(d.db) as mem:
        assert len(mem.get_all(user_id="u0")) + len(mem.get_all(user_id="u1")) == CLIENTS * PER_CLIENT


def test_kill_9_mid_extraction_then_restart_processes_each_message_once(tmp_path):
    n = 12
    d = Daemon(tmp_path / "h", scripted_delay=0.4).start()
    client = Client(d.socket)
    jobs = [client.request("POST", "/v1/memories", {"messages": f"message number {i} mentions zebra {i}",
                                                    "user_id": "ana", "wait": False,
                                                    "idempotency_key": f"m{i}"})["job"]["id"] for i in range(n)]

    def done_count() -> int:
        return Client(d.socket).request("GET", "/health")["queue"]["done"]

    _poll(lambda: done_count() >= 2)
    d.kill9()  # mid-queue: some jobs done, one probably in hand, the rest queued
    with Memory(d.db) as mem:
        assert len(mem.store.pending_messages(user_id="ana")) > 0  # there was work left to recover

    d2 = Daemon(d.home, runtime_dir=d.runtime_dir, db=d.db, scripted_delay=0.0).start()
    c2 = Client(d2.socket)
    # a client retrying its request after the crash (same key) gets the same job, logs nothing new
    again = c2.request("POST", "/v1/memories", {"messages": "message number 0 mentions zebra 0", "user_id": "ana",
                                                "wait": False, "idempotency_key": "m0"})
    assert again["job"]["id"] == jobs[0]
    _poll(lambda: all(c2.request("GET", f"/v1/jobs/{j}")["status"] == "done" for j in jobs))
    assert d2.stop() == 0
    with Memory(d.db) as mem:
        assert mem.store.pending_messages(user_id="ana") == []
        messages = mem.messages(user_id="ana")
        assert len(messages) == n
        active = [m.text for m in mem.get_all(user_id="ana")]
        assert sorted(active) == sorted(f"User said: message number {i} mentions zebra {i}" for i in range(n))


def test_sigterm_finishes_or_parks_the_job_in_hand(tmp_path):
    d = Daemon(tmp_path / "h", scripted_delay=0.5).start()
    client = Client(d.socket)
    ids = [client.request("POST", "/v1/memories", {"messages": f"fact {i} about otters", "user_id": "bo",
                                                   "wait": False})["job"]["id"] for i in range(6)]
    _poll(lambda: Client(d.socket).request("GET", "/metrics")["current_job"] is not None)
    assert d.stop() == 0  # SIGTERM: clean exit
    assert not d.socket.exists()
    with Memory(d.db) as mem:
        from localmem.server import jobs

        with mem.store.reading() as db:
            states = [jobs.get(db, j).status for j in ids]
        assert "running" not in states  # the job in hand finished or went back to the queue
        assert states.count("done") >= 1
        done_msgs = [m for m in mem.messages(user_id="bo") if not m.pending_extraction]
        assert len(mem.get_all(user_id="bo")) == len(done_msgs)
    d2 = Daemon(d.home, runtime_dir=d.runtime_dir, db=d.db, scripted_delay=0.0).start()
    c2 = Client(d2.socket)
    _poll(lambda: all(c2.request("GET", f"/v1/jobs/{j}")["status"] == "done" for j in ids))
    assert d2.stop() == 0
    with Memory(d.db) as mem:
        assert len(mem.get_all(user_id="bo")) == 6 and mem.store.pending_messages(user_id="bo") == []


def test_daemon_logs_to_its_file(tmp_path):
    d = Daemon(tmp_path / "h").start()
    assert d.stop() == 0
    text = (tmp_path / "h" / "logs" / "server.log").read_text()
    assert "serving" in text and "stopped (clean)" in text


def test_reads_do_not_wait_for_the_model(tmp_path):
    d = Daemon(tmp_path / "h", scripted_delay=8.0).start()
    client = Client(d.socket)
    client.request("POST", "/v1/memories", {"messages": "I keep bees", "user_id": "cy", "infer": False})
    job = client.request("POST", "/v1/memories", {"messages": "I also keep goats", "user_id": "cy",
                                                  "wait": False})["job"]["id"]
    _poll(lambda: client.request("GET", "/metrics")["current_job"] == job)
    for _ in range(5):  # the model is busy with the job; reads are answered meanwhile
        assert [h.text for h in d.memory().search("bees", user_id="cy")][:1] == ["I keep bees"]
    assert client.request("GET", f"/v1/jobs/{job}")["status"] == "running"
    assert d.stop() == 0


def test_idle_daemon_consolidates_on_its_own(tmp_path):
    home = tmp_path / "h"
    home.mkdir()
    with Memory(home / "memory.db") as mem:
        keep = mem.add("Ida's bike is a green Gazelle", user_id="ida", infer=False)[0].memory
        dup = mem.add("Ida's bike is a green Gazelle.", user_id="ida", infer=False)[0].memory
    d = Daemon(home, args=["--idle-seconds", "0"]).start()
    try:
        remote = d.memory()
        _poll(lambda: remote.get(dup.id).status.value == "superseded")
        assert remote.get(dup.id).superseded_by == keep.id
        assert remote.get(keep.id).status.value == "active"
    finally:
        assert d.stop() == 0


def test_killed_between_storing_a_memory_and_marking_the_message_extracted(tmp_path):
    """The worst moment: the first memory of a two-fact message is committed, the second is being
    decided, the message is still pending. After a restart it takes effect once: no duplicate."""
    d = Daemon(tmp_path / "h", args=["--scripted-kill-at-update", "2"])
    d.start()
    client = Client(d.socket)
    # an earlier memory for both candidates to be decided against (memories extracted from the same
    # messages are not shown to the update step, so without it no decision would reach the model)
    client.request("POST", "/v1/memories", {"messages": "I have a vegetable garden", "user_id": "zoe", "wait": True})
    msg = [{"role": "user", "content": "I grow tomatoes in my garden"},
           {"role": "user", "content": "I grow tomatoes and basil in my garden"}]
    job = client.request("POST", "/v1/memories", {"messages": msg, "user_id": "zoe", "wait": False})["job"]["id"]
    d.proc.wait()  # the scripted model killed the server on the second candidate's update decision
    assert d.proc.returncode == -9
    with Memory(d.db) as mem:
        assert sorted(m.text for m in mem.get_all(user_id="zoe")) == [
            "User said: I grow tomatoes in my garden", "User said: I have a vegetable garden"]
        assert len(mem.store.pending_messages(user_id="zoe")) == 2
    d2 = Daemon(d.home, runtime_dir=d.runtime_dir, db=d.db).start()
    c2 = Client(d2.socket)
    _poll(lambda: c2.request("GET", f"/v1/jobs/{job}")["status"] == "done")
    result = c2.request("GET", f"/v1/jobs/{job}")
    assert result["attempts"] == 2
    assert [e["event"] for e in result["result"]["events"]] == ["NONE", "ADD"]
    assert d2.stop() == 0
    with Memory(d.db) as mem:
        assert sorted(m.text for m in mem.get_all(user_id="zoe")) == [
            "User said: I grow tomatoes and basil in my garden", "User said: I grow tomatoes in my garden",
            "User said: I have a vegetable garden"]
        assert mem.store.pending_messages(user_id="zoe") == []


def test_daemon_stop_and_logs_commands(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from localmem.cli import main

    d = Daemon(tmp_path / "h").start()
    monkeypatch.setenv("LOCALMEM_RUNTIME_DIR", str(d.runtime_dir))
    monkeypatch.setenv("LOCALMEM_HOME", str(d.home))
    out = CliRunner().invoke(main, ["daemon", "status"])
    assert out.exit_code == 0 and f"pid {d.proc.pid}" in out.output
    out = CliRunner().invoke(main, ["daemon", "stop"])
    assert out.exit_code == 0 and "stopped" in out.output
    assert d.proc.wait() == 0 and not d.socket.exists()
    out = CliRunner().invoke(main, ["daemon", "logs", "-n", "5"])
    assert out.exit_code == 0 and "stopped (clean)" in out.output
