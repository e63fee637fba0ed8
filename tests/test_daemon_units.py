"""The daemon's parts in-process: the persisted job queue, sleep-time consolidation, the socket
lock, log rotation (real SQLite file, real embedder)."""

from __future__ import annotations

import logging
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from localmem.memory import Memory
from localmem.server import jobs
from localmem.server.consolidate import ConsolidationConfig, consolidate, retention
from localmem.server.lifecycle import (ServerError, SocketLock, load_or_create_token, remove_logging, running_pid,
                                      setup_logging)
from localmem.store.scope import Scope
from localmem.store.values import now
from localmem.types import HistoryAction, Status


@pytest.fixture
def mem(tmp_path: Path):
    with Memory(tmp_path / "m.db") as m:
        yield m


def test_queue_claims_in_order_and_requeues_after_a_crash(mem: Memory):
    with mem.store.writing() as db:
        a = jobs.insert(db, "extract", {"message_ids": ["x"]}, user_id="ana", key="k1")
        b = jobs.insert(db, "extract", {"message_ids": ["y"]}, user_id="ana", key=None)
    with mem.store.writing() as db:
        claimed = jobs.claim(db)
    assert claimed.id == a.id and claimed.status == "running" and claimed.attempts == 1
    with mem.store.writing() as db:  # the process dies here; at the next start:
        assert jobs.requeue_running(db) == 1
        assert jobs.counts(db)["queued"] == 2
        assert jobs.claim(db).id == a.id  # still first, second attempt
        jobs.finish(db, a.id, result={"events": []})
        assert jobs.by_key(db, "k1").status == "done" and jobs.get(db, a.id).attempts == 2
        assert jobs.message_ids_in_open_jobs(db) == {"y"}
    with pytest.raises(Exception, match="UNIQUE"):
        with mem.store.writing() as db:
            jobs.insert(db, "extract", {}, user_id="ana", key="k1")
    assert b.status == "queued"
    with mem.store.writing() as db:
        assert jobs.prune(db, before=now() + timedelta(seconds=1)) == 1  # the done one; b is still queued
        assert jobs.get(db, b.id) is not None and jobs.get(db, a.id) is None


def test_forget_user_removes_their_jobs(mem: Memory):
    mem.add("I like tea", user_id="ana", infer=False)
    with mem.store.writing() as db:
        jobs.insert(db, "extract", {"message_ids": []}, user_id="ana", key="secret-ana")
    mem.forget_user(user_id="ana")
    with mem.store.reading() as db:
        assert jobs.by_key(db, "secret-ana") is None


def test_consolidation_merges_near_duplicates_with_history(mem: Memory):
    scope = Scope.of("ana")
    first = mem.add("User's cat is named Miso", user_id="ana", infer=False)[0].memory
    dup = mem.add("User's cat is named Miso.", user_id="ana", infer=False)[0].memory
    other = mem.add("User works as a nurse in Lyon", user_id="ana", infer=False)[0].memory
    report = consolidate(mem.store, None, ConsolidationConfig(merge_similarity=0.95))
    assert report["merged"] == 1
    merged = mem.get(dup.id)
    assert merged.status == Status.SUPERSEDED and merged.superseded_by == first.id
    last = mem.history(dup.id)[-1]
    assert last.action == HistoryAction.SUPERSEDE and last.actor == "consolidate:merge"
    assert {m.id for m in mem.store.list(scope)} == {first.id, other.id}


def test_forgetting_curve_archives_stale_low_value_memories_only(mem: Memory):
    from localmem.store.memories import NewMemory
    from localmem.types import Kind

    scope = Scope.of("ana")
    weak = mem.store.add_memory(scope, NewMemory(text="User ate pasta on a Tuesday", confidence=0.5))
    recalled = mem.store.add_memory(scope, NewMemory(text="User's sister lives in Porto", confidence=0.5))
    sure = mem.store.add_memory(scope, NewMemory(text="User is allergic to peanuts", confidence=0.95))
    pref = mem.store.add_memory(scope, NewMemory(text="User prefers short answers", confidence=0.5,
                                                 kind=Kind.PREFERENCE))
    for _ in range(5):  # retrieved often: stronger (MemoryBank)
        assert mem.search("where does the sister live, Porto", user_id="ana", limit=1)[0].id == recalled.id
    mem.store.flush()
    later = now() + timedelta(days=120)
    cfg = ConsolidationConfig(strength_days=30, min_retention=0.05, keep_confidence=0.8)
    assert retention(mem.get(weak.id), later, 30) < 0.05 < retention(mem.get(recalled.id), later, 30)
    report = consolidate(mem.store, None, cfg, at=later)
    assert report["forgotten"] == 1
    archived = mem.get(weak.id)
    assert archived.status == Status.DELETED  # archived, not erased
    entry = mem.history(weak.id)[-1]
    assert entry.actor == "consolidate:forget" and entry.details["reason"] == "forgetting curve"
    for kept in (recalled, sure, pref):
        assert mem.get(kept.id).status == Status.ACTIVE
    assert mem.restore(weak.id).status == Status.ACTIVE  # and it can come back


def test_socket_lock_refuses_a_second_holder(tmp_path: Path):
    sock = tmp_path / "s.sock"
    first = SocketLock(sock)
    first.acquire()
    try:
        assert running_pid(sock) == os.getpid()
        with pytest.raises(ServerError, match="already serving"):
            SocketLock(sock).acquire()
    finally:
        first.release()
    assert running_pid(sock) is None


def test_token_is_created_once_and_private(tmp_path: Path):
    path = tmp_path / "token"
    token = load_or_create_token(path)
    assert len(token) >= 40 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_token(path) == token


def test_log_file_rotates(tmp_path: Path):
    handler = setup_logging(tmp_path / "logs" / "server.log", max_bytes=2048, backups=2)
    try:
        log = logging.getLogger("localmem.server")
        for i in range(200):
            log.info("line %d of the rotation test", i)
    finally:
        remove_logging(handler)
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["server.log", "server.log.1", "server.log.2"]
    assert all((tmp_path / "logs" / f).stat().st_size <= 2048 for f in files)


class _SupersedeRuntime:
    """The LLM boundary only: answers every update decision with SUPERSEDE of shown memory 0."""

    name = "fake"

    def __init__(self):
        self.calls = []

    def adapter_for(self, operation):
        return None

    def chat(self, messages, *, adapter=None, **params):
        from localmem.llm import CallStats, ChatResult

        self.calls.append(messages[-1]["content"])
        stats = CallStats(model="fake", adapter=None, prompt_tokens=1, cached_tokens=0, completion_tokens=1,
                          prompt_ms=0, generation_ms=0, total_ms=0)
        return ChatResult(text='{"event": "SUPERSEDE", "id": 0}', finish_reason="stop", stats=stats)


def test_contradiction_recheck_supersedes_the_older_memory(mem: Memory):
    old = mem.add("User lives in Bergen", user_id="ana", infer=False)[0].memory
    new = mem.add("User lives in Oslo", user_id="ana", infer=False)[0].memory
    unrelated = mem.add("User's favourite colour is green", user_id="ana", infer=False)[0].memory
    rt = _SupersedeRuntime()
    report = consolidate(mem.store, rt, ConsolidationConfig(contradiction_similarity=0.6))
    assert report["contradictions"] == 1 and report["model_checks"] == len(rt.calls) == 1
    assert "Oslo" in rt.calls[0] and "Bergen" in rt.calls[0]
    ended = mem.get(old.id)
    assert ended.status == Status.SUPERSEDED and ended.superseded_by == new.id
    assert mem.history(old.id)[-1].actor == "consolidate:contradiction"
    assert mem.get(unrelated.id).status == Status.ACTIVE
    again = consolidate(mem.store, rt)  # nothing new since the last pass: the model is not asked again
    assert again["model_checks"] == 0
