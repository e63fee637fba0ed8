"""The public ``Memory`` API: every verb on a real database file with the real embedder."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest

from localmem import Memory, MemoryEvent, MemoryItem
from localmem.memory import AsyncMemory, MemoryConfig
from localmem.sessions import ChatSessions
from localmem.store import InferenceUnavailableError, UnknownUserError
from localmem.types import EventType, HistoryAction, Status
from store_fixtures import db_path, embedder, file_bytes, mem  # noqa: F401

CONVERSATION = [
    {"role": "user", "content": "I just moved to Lyon with my partner Sam.", "metadata": {"dia_id": "D1:1"}},
    {"role": "assistant", "content": "Welcome to Lyon! How is the move going?"},
    {"role": "user", "content": "Good, but I'm allergic to cats and our flat had one.", "metadata": {"dia_id": "D1:3"}},
]


def test_add_stores_each_user_message_verbatim_with_metadata_and_provenance(mem):
    when = datetime(2024, 5, 2, 18, 0, tzinfo=timezone.utc)
    events = mem.add(CONVERSATION, user_id="ana", session_id="s1", infer=False,
                     metadata={"dialogue": "conv-1"}, timestamp=when)
    assert all(isinstance(e, MemoryEvent) and e.event is EventType.ADD for e in events)
    items = [e.memory for e in events]
    assert [i.text for i in items] == [CONVERSATION[0]["content"], CONVERSATION[2]["content"]]
    assert items[0].metadata == {"dialogue": "conv-1", "dia_id": "D1:1"}
    assert items[1].metadata == {"dialogue": "conv-1", "dia_id": "D1:3"}
    assert all(i.created_at == i.valid_from == when and i.session_id == "s1" for i in items)
    logged = mem.messages(user_id="ana")
    assert [m.role for m in logged] == ["user", "assistant", "user"]
    assert logged[1].metadata == {"dialogue": "conv-1"} and not any(m.pending_extraction for m in logged)
    assert [m.content for m in mem.sources(items[1].id)] == [CONVERSATION[2]["content"]]


def test_add_accepts_a_plain_string(mem):
    (event,) = mem.add("I prefer tea over coffee", user_id="ana", infer=False)
    assert event.memory.text == "I prefer tea over coffee" and event.memory.user_id == "ana"
    assert isinstance(event.memory, MemoryItem)


def test_assistant_only_messages_are_logged_but_store_no_memory(mem):
    assert mem.add([{"role": "assistant", "content": "Hello!"}], user_id="ana", infer=False) == []
    assert [m.content for m in mem.messages(user_id="ana")] == ["Hello!"]


def test_infer_without_a_model_raises_a_clear_error_and_writes_nothing(mem, tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALMEM_MODELS_DIR", str(tmp_path / "no-models"))
    with pytest.raises(InferenceUnavailableError, match="localmem models install fast"):
        mem.add("I live in Lyon", user_id="ana")
    with pytest.raises(InferenceUnavailableError, match="infer=False"):
        mem.add("I live in Lyon", user_id="ana", infer=True)
    assert mem.messages(user_id="ana") == [] and mem.get_all(user_id="ana") == []


def test_search_get_and_get_all(mem):
    mem.add(CONVERSATION, user_id="ana", infer=False)
    top = mem.search("which city does she live in?", user_id="ana", limit=1)[0]
    assert top.text == CONVERSATION[0]["content"] and top.score > 0
    assert mem.get(top.id).text == top.text and mem.get(top.id).score is None
    assert [i.text for i in mem.get_all(user_id="ana")] == [CONVERSATION[2]["content"], CONVERSATION[0]["content"]]
    assert [r.text for r in mem.search("cat allergy", user_id="ana", mode="text")][:1] == [CONVERSATION[2]["content"]]
    assert mem.search("anything", user_id="nobody") == [] and mem.get_all(user_id="nobody") == []


def test_update_delete_restore_and_history(mem):
    (event,) = mem.add("I work at a bakery", user_id="ana", infer=False)
    memory_id = event.memory.id
    updated = mem.update(memory_id, "I work at a library", metadata={"source": "correction"})
    assert updated.id == memory_id and updated.text == "I work at a library"
    assert updated.metadata == {"source": "correction"}
    assert mem.delete(memory_id).status is Status.DELETED
    assert mem.get_all(user_id="ana") == []
    assert mem.restore(memory_id).status is Status.ACTIVE
    steps = mem.history(memory_id)
    assert [h.action for h in steps] == [HistoryAction.ADD, HistoryAction.UPDATE, HistoryAction.DELETE,
                                         HistoryAction.RESTORE]
    assert (steps[1].old_text, steps[1].new_text) == ("I work at a bakery", "I work at a library")


def test_get_all_include_superseded(mem):
    (event,) = mem.add("I drive a Fiat", user_id="ana", infer=False)
    from localmem.store import NewMemory

    mem.store.supersede(event.memory.id, NewMemory(text="I drive a Tesla"))
    assert [i.text for i in mem.get_all(user_id="ana")] == ["I drive a Tesla"]
    assert {i.text for i in mem.get_all(user_id="ana", include_superseded=True)} == {"I drive a Fiat", "I drive a Tesla"}


def test_delete_all_is_scoped_and_soft(mem):
    mem.add("ana one", user_id="ana", infer=False)
    mem.add("ana two", user_id="ana", agent_id="coach", infer=False)
    mem.add("bob one", user_id="bob", infer=False)
    assert mem.delete_all(user_id="ana", agent_id="coach") == 1
    assert [i.text for i in mem.get_all(user_id="ana")] == ["ana one"]
    assert mem.delete_all(user_id="ana") == 1
    assert mem.get_all(user_id="ana") == [] and len(mem.get_all(user_id="bob")) == 1
    assert len(mem.get_all(user_id="ana", filters={"include_deleted": True})) == 2
    with pytest.raises(UnknownUserError, match="carol"):
        mem.delete_all(user_id="carol")


def _populate(mem: Memory) -> None:
    mem.add(CONVERSATION, user_id="ana", session_id="s1", infer=False, metadata={"dialogue": "c1"},
            timestamp="2024-05-02T18:00:00Z")
    (event,) = mem.add("My favourite film is Paprika", user_id="ana", infer=False)
    mem.update(event.memory.id, "My favourite film is Perfect Blue")
    (gone,) = mem.add("delete me", user_id="ana", infer=False)
    mem.delete(gone.memory.id)
    from localmem.store import NewMemory

    mem.store.supersede(event.memory.id, NewMemory(text="My favourite film is Tampopo", category="media"))
    mem.search("film", user_id="ana")  # access counts are part of the export
    mem.add("bob's memory", user_id="bob", infer=False)
    # preference tracking and chat sessions travel with the user's memories
    mem.observe_preferences("Could you please give me a detailed, thorough explanation?", user_id="ana")
    mem.observe_preferences("ok thx", user_id="ana")
    mem.record_feedback(user_id="ana", original="A long answer. " * 20, edited="Short answer.", comment="too long")
    mem.observe_preferences("bob's style", user_id="bob")

    ChatSessions(mem).start(user_id="ana", title="Films I like", memory_mode="read-only")
    ChatSessions(mem).start(user_id="bob", title="bob's chat")


def test_export_import_round_trips_exactly(mem, tmp_path, embedder):
    _populate(mem)
    exported = mem.export(user_id="ana")
    assert exported["format"] == "localmem-export" and exported["user_id"] == "ana"
    assert {m["user_id"] for m in exported["memories"]} == {"ana"}
    assert len(exported["memories"]) == 5 and len(exported["messages"]) == 5
    assert any(m["access_count"] for m in exported["memories"])
    tables = {name: len(rows) for name, rows in exported["tables"].items()}
    assert tables == {"preference_state": 1, "preference_signals": 3, "reply_feedback": 1, "chat_sessions": 1}
    text = json.dumps(exported)  # JSON-ready
    with Memory(tmp_path / "other.db", embedder=embedder) as other:
        assert other.import_(json.loads(text)) == {"memories": 5, "history": len(exported["history"]),
                                                   "messages": 5, **tables}
        again = other.export(user_id="ana")
        assert {k: v for k, v in again.items() if k != "exported_at"} == {
            k: v for k, v in exported.items() if k != "exported_at"}
        assert other.import_(exported) == {"memories": 0, "history": 0, "messages": 0,
                                           **{name: 0 for name in tables}}  # idempotent
        assert other.search("favourite movie", user_id="ana", limit=1)[0].text == "My favourite film is Tampopo"
        assert other.check() == []
        # the imported tracker carries on where the exported one stopped
        assert other.preferences(user_id="ana") == mem.preferences(user_id="ana")
        assert [s.title for s in ChatSessions(other).list(user_id="ana")] == ["Films I like"]
        assert other.observe_preferences("thanks", user_id="ana").turn == 4


def test_import_conflict_writes_nothing(mem, tmp_path, embedder):
    _populate(mem)
    exported = mem.export(user_id="ana")
    tampered = json.loads(json.dumps(exported))
    tampered["memories"][-1]["text"] = "tampered text"
    tampered["messages"].append({**tampered["messages"][0], "id": "01J0000000000000000000000Z"})
    from localmem.store import ImportConflictError

    with pytest.raises(ImportConflictError, match="different content"):
        mem.import_(tampered)
    assert mem.export(user_id="ana")["messages"] == exported["messages"]


def test_import_of_a_different_preference_history_conflicts_and_writes_nothing(mem, tmp_path, embedder):
    _populate(mem)
    exported = mem.export(user_id="ana")
    with Memory(tmp_path / "other.db", embedder=embedder) as other:
        other.observe_preferences("hello there, a different tracker", user_id="ana")
        before = other.export(user_id="ana")
        from localmem.store import ImportConflictError

        with pytest.raises(ImportConflictError, match="preference tracking state"):
            other.import_(exported)
        after = other.export(user_id="ana")
        assert {k: v for k, v in after.items() if k != "exported_at"} == {
            k: v for k, v in before.items() if k != "exported_at"}


def test_an_export_without_tables_still_imports(mem, tmp_path, embedder):
    _populate(mem)
    exported = mem.export(user_id="ana")
    del exported["tables"]  # as written before preferences and sessions were exported
    with Memory(tmp_path / "other.db", embedder=embedder) as other:
        assert other.import_(exported)["memories"] == 5


def test_forget_user_leaves_no_trace_in_the_file(mem, embedder):
    secret_text = "zanzibarquux is my childhood nickname"
    secret_message = "my bank pin is ninetyseventhreeqx"
    mem.add([{"role": "user", "content": secret_text}, {"role": "assistant", "content": secret_message}],
            user_id="user-qwertzsecret", agent_id="agent-qwertz", infer=False, metadata={"tag": "tagqwertz"})
    (event,) = mem.add("another trace wobblefrotz", user_id="user-qwertzsecret", infer=False)
    mem.update(event.memory.id, "updated trace grumblewick")
    mem.delete(event.memory.id)
    mem.add("bob stays", user_id="bob", infer=False)
    vector = embedder.embed_one(secret_text).tobytes()
    assert secret_text.encode() in file_bytes(mem.path)

    counts = mem.forget_user(user_id="user-qwertzsecret")
    assert counts["memories"] == 2 and counts["messages"] == 3 and counts["history"] == 4
    assert counts["vacuumed"] and counts["wal_truncated"]
    mem.close()
    data = file_bytes(mem.path)
    for needle in ("qwertz", "zanzibarquux", "ninetyseventhreeqx", "wobblefrotz", "grumblewick", "tagqwertz"):
        assert needle.encode() not in data, needle
    assert vector not in data and vector[:64] not in data
    with Memory(mem.path, embedder=embedder) as again:
        assert [i.text for i in again.get_all(user_id="bob")] == ["bob stays"]
        assert again.get_all(user_id="user-qwertzsecret") == []
        assert again.check() == []
        with pytest.raises(UnknownUserError):
            again.forget_user(user_id="user-qwertzsecret")


def test_export_of_an_unknown_user_is_an_error(mem):
    with pytest.raises(UnknownUserError, match="nobody"):
        mem.export(user_id="nobody")


def test_stats_users_check_reindex_and_reembed(mem):
    _populate(mem)
    stats = mem.stats()
    assert stats["memories"] == {"active": 4, "superseded": 1, "deleted": 1}
    assert stats["users"] == 2 and stats["embedding_dim"] == 384 and stats["schema_version"] >= 6
    assert [u["user_id"] for u in mem.users()] == ["ana", "bob"]
    before = [r.id for r in mem.search("film", user_id="ana")]
    assert mem.reindex() == {"fts_rows": 6, "vector_rows": 6}
    assert mem.reembed()["memories"] == 6
    assert [r.id for r in mem.search("film", user_id="ana")] == before
    assert mem.check() == []


def test_check_reports_a_missing_vector(mem):
    mem.add("vectorless soon", user_id="ana", infer=False)
    mem.store.db.execute("DELETE FROM memory_vectors")
    problems = mem.check()
    assert any("have no vector" in p for p in problems) and any("vector index" in p for p in problems)
    mem.reembed()
    assert mem.check() == []


def test_from_config(db_path):
    with Memory.from_config({"path": str(db_path), "search": {"depth": 20}}) as m:
        assert m.path == db_path and m.search_config.depth == 20
    from localmem.store import InvalidInputError

    with pytest.raises(InvalidInputError, match="invalid memory config"):
        Memory.from_config({"path": str(db_path), "colour": "blue"})
    assert MemoryConfig().vector_cache is True


def test_async_twin(db_path, embedder):
    async def main():
        amem = AsyncMemory(db_path, embedder=embedder)
        try:
            events = await amem.add("I play the oboe", user_id="ana", infer=False)
            results = await asyncio.gather(*(amem.search("instrument", user_id="ana") for _ in range(4)))
            assert all(r[0].id == events[0].memory.id for r in results)
            await amem.update(events[0].memory.id, "I play the bassoon")
            assert [h.action for h in await amem.history(events[0].memory.id)][-1] is HistoryAction.UPDATE
            assert (await amem.get(events[0].memory.id)).text == "I play the bassoon"
            assert len(await amem.get_all(user_id="ana")) == 1
        finally:
            amem.close()

    asyncio.run(main())


def test_changing_the_embedding_model_requires_reembed(db_path, embedder):
    from localmem.embed import Embedder
    from localmem.store import EmbeddingMismatchError

    with Memory(db_path, embedder=embedder) as mem:
        mem.add("I grow tomatoes on my balcony", user_id="ana", infer=False)
    other = Embedder(embedder.onnx_dir, variant="fp32")  # another model as far as the store knows
    with Memory(db_path, embedder=other) as mem:
        for call in (lambda: mem.search("gardening", user_id="ana"),
                     lambda: mem.add("I also grow basil", user_id="ana", infer=False)):
            with pytest.raises(EmbeddingMismatchError, match="reembed"):
                call()
        assert [i.text for i in mem.get_all(user_id="ana")] == ["I grow tomatoes on my balcony"]  # no vectors needed
        assert mem.reembed() == {"memories": 1, "embedding_model": other.model_id, "embedding_dim": 384}
        assert mem.search("gardening", user_id="ana")[0].text == "I grow tomatoes on my balcony"
        assert mem.stats()["embedding_model"] == other.model_id and mem.check() == []
    with Memory(db_path, embedder=embedder) as mem, pytest.raises(EmbeddingMismatchError):
        mem.search("gardening", user_id="ana")


def test_vacuum(mem):
    mem.add("x", user_id="ana", infer=False)
    assert mem.vacuum() == {"vacuumed": True, "wal_truncated": True}
