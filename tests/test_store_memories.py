"""The store's write operations (what the extraction pipeline builds on), each with its history."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from localmem.store import InvalidInputError, InvalidStateError, MemoryNotFoundError, NewMemory, Scope
from localmem.types import Category, HistoryAction, Kind, Source, Status
from store_fixtures import db_path, embedder, store  # noqa: F401

ANA = Scope("ana")


def actions(store, memory_id):
    return [h.action for h in store.history(memory_id)]


def test_add_memory_stores_every_field_with_an_add_history_row(store):
    said = datetime(2024, 3, 1, 12, 30, tzinfo=timezone.utc)
    item = store.add_memory(
        Scope("ana", "coach", "s1"),
        NewMemory(text="Ana is vegetarian", kind=Kind.PREFERENCE, category=Category.FOOD, confidence=0.8,
                  metadata={"dialogue": "d1"}, source=Source(message_ids=[], actor="pipeline")),
        actor="pipeline", at=said)
    assert store.get(item.id) == item
    assert (item.user_id, item.agent_id, item.session_id) == ("ana", "coach", "s1")
    assert (item.kind, item.category, item.confidence, item.status) == (Kind.PREFERENCE, Category.FOOD, 0.8,
                                                                        Status.ACTIVE)
    assert item.created_at == item.valid_from == said and item.valid_to is None
    (entry,) = store.history(item.id)
    assert (entry.action, entry.old_text, entry.new_text, entry.actor) == (HistoryAction.ADD, None,
                                                                          "Ana is vegetarian", "pipeline")
    assert entry.created_at > said  # history records when the write happened


def test_update_keeps_the_id_moves_the_old_text_to_history_and_reembeds(store):
    item = store.add_memory(ANA, NewMemory(text="Ana lives in Lyon"))
    before, after = store.update_memory(item.id, text="Ana lives in Osaka", category=Category.LOCATION,
                                        actor="pipeline")
    assert before == item and after.id == item.id
    assert (after.text, after.category) == ("Ana lives in Osaka", Category.LOCATION)
    assert after.updated_at > item.updated_at and after.hash != item.hash
    last = store.history(item.id)[-1]
    assert (last.action, last.old_text, last.new_text) == (HistoryAction.UPDATE, "Ana lives in Lyon",
                                                          "Ana lives in Osaka")
    assert last.details == {"fields": ["category", "text"]}
    top = store.search("Which city in Japan?", ANA, limit=1)[0]
    assert top.id == item.id and top.text == "Ana lives in Osaka"


def test_update_without_a_change_writes_nothing(store):
    item = store.add_memory(ANA, NewMemory(text="Ana has a cat"))
    before, after = store.update_memory(item.id, text="Ana has a cat")
    assert before == after == item
    assert actions(store, item.id) == [HistoryAction.ADD]


def test_supersede_ends_the_old_memory_and_links_the_new_one(store):
    moved = datetime(2025, 1, 10, tzinfo=timezone.utc)
    old = store.add_memory(ANA, NewMemory(text="Ana lives in Lyon", category=Category.LOCATION),
                           at=moved - timedelta(days=400))
    old_after, new = store.supersede(old.id, NewMemory(text="Ana lives in Osaka", category=Category.LOCATION),
                                     actor="pipeline", at=moved)
    assert old_after.status is Status.SUPERSEDED
    assert old_after.superseded_by == new.id and old_after.valid_to == new.valid_from == moved
    assert old_after.text == "Ana lives in Lyon"
    assert new.status is Status.ACTIVE and new.user_id == "ana"
    sup = store.history(old.id)[-1]
    assert (sup.action, sup.old_text, sup.new_text, sup.new_status) == (
        HistoryAction.SUPERSEDE, "Ana lives in Lyon", "Ana lives in Osaka", Status.SUPERSEDED)
    assert sup.details == {"superseded_by": new.id}
    assert store.history(new.id)[0].details == {"supersedes": old.id}
    assert [m.id for m in store.list(ANA)] == [new.id]  # active only by default
    with pytest.raises(InvalidStateError, match="only an active memory can be superseded"):
        store.supersede(old.id, NewMemory(text="again"))


def test_supersede_keeps_the_old_memorys_scope(store):
    old = store.add_memory(Scope("ana", "coach", "s1"), NewMemory(text="Training for a 10k"))
    _, new = store.supersede(old.id, NewMemory(text="Training for a half marathon"))
    assert (new.user_id, new.agent_id, new.session_id) == ("ana", "coach", "s1")


def test_delete_and_restore_return_the_memory_to_its_previous_status(store):
    old = store.add_memory(ANA, NewMemory(text="Ana works at a bakery"))
    old, _ = store.supersede(old.id, NewMemory(text="Ana works at a library"))
    deleted = store.delete(old.id)
    assert deleted.status is Status.DELETED
    with pytest.raises(InvalidStateError, match="already deleted"):
        store.delete(old.id)
    with pytest.raises(InvalidStateError, match="only active memories can be updated"):
        store.update_memory(old.id, text="anything")
    restored = store.restore(old.id)
    assert restored.status is Status.SUPERSEDED  # what it was before the deletion
    with pytest.raises(InvalidStateError, match="only a deleted memory can be restored"):
        store.restore(old.id)
    assert actions(store, old.id) == [HistoryAction.ADD, HistoryAction.SUPERSEDE, HistoryAction.DELETE,
                                      HistoryAction.RESTORE]


def test_deleted_memories_leave_search_but_stay_readable(store):
    item = store.add_memory(ANA, NewMemory(text="Ana plays the cello"))
    store.delete(item.id)
    assert store.search("cello", ANA) == []
    assert store.get(item.id).status is Status.DELETED


def test_delete_scope_soft_deletes_only_that_scope(store):
    a = store.add_memory(Scope("ana", "coach"), NewMemory(text="coach memory"))
    b = store.add_memory(Scope("ana", "chef"), NewMemory(text="chef memory"))
    c = store.add_memory(Scope("bob"), NewMemory(text="bob memory"))
    gone = store.delete_scope(Scope("ana", "coach"))
    assert [m.id for m in gone] == [a.id]
    assert store.get(b.id).status is store.get(c.id).status is Status.ACTIVE
    assert store.history(a.id)[-1].details == {"bulk": True}


def test_unknown_ids_raise_not_found(store):
    missing = "01HZZZZZZZZZZZZZZZZZZZZZZZ"
    for call in (store.get, store.delete, store.restore, store.history):
        with pytest.raises(MemoryNotFoundError, match=missing):
            call(missing)
    with pytest.raises(MemoryNotFoundError):
        store.update_memory(missing, text="x")


def test_messages_are_logged_with_a_pending_flag_and_traced_from_memories(store):
    turns = [("user", "I adopted a dog named Rex", {"dia_id": "D1:1"}), ("assistant", "Congrats!", {})]
    logged, items = store.log_and_add(ANA, turns, [(0, NewMemory(text="Ana adopted a dog named Rex"))],
                                      pending=True, actor="pipeline")
    assert [m.role for m in logged] == ["user", "assistant"] and all(m.pending_extraction for m in logged)
    assert items[0].source.message_ids == [logged[0].id]
    assert store.get_messages(items[0].source.message_ids)[0].content == "I adopted a dog named Rex"
    assert [m.id for m in store.pending_messages(user_id="ana")] == [m.id for m in logged]
    assert store.mark_extracted([logged[0].id]) == 1
    assert [m.id for m in store.pending_messages()] == [logged[1].id]
    done = store.get_messages([logged[0].id])[0]
    assert not done.pending_extraction and done.extracted_at is not None
    store.mark_extracted([logged[0].id], pending=True)  # queue for re-extraction
    assert len(store.pending_messages()) == 2
    assert [m.content for m in store.messages(ANA)] == ["I adopted a dog named Rex", "Congrats!"]
    store.log_messages(ANA, [("user", "Rex chewed my shoes", {})], pending=False)
    assert [m.content for m in store.messages(ANA, limit=2)] == ["Congrats!", "Rex chewed my shoes"]


def test_find_by_text_matches_normalised_text_of_active_memories(store):
    item = store.add_memory(ANA, NewMemory(text="Ana  loves   JAZZ"))
    assert [m.id for m in store.find_by_text(ANA, "ana loves jazz")] == [item.id]
    assert store.find_by_text(Scope("bob"), "ana loves jazz") == []
    store.delete(item.id)
    assert store.find_by_text(ANA, "ana loves jazz") == []


def test_history_rows_cannot_be_edited(store):
    item = store.add_memory(ANA, NewMemory(text="audited"))
    with pytest.raises(Exception, match="history rows cannot be modified"):
        store.db.execute("UPDATE history SET new_text = 'forged' WHERE memory_id = ?", [item.id])
    assert store.history(item.id)[0].new_text == "audited"


def test_new_memory_checks_its_fields():
    m = NewMemory(text="from an LLM", kind="preference", category="communication-style", confidence=1)
    assert (m.kind, m.category, m.confidence) == (Kind.PREFERENCE, Category.COMMUNICATION_STYLE, 1.0)
    with pytest.raises(InvalidInputError, match="category must be one of identity, location"):
        NewMemory(text="x", category="gossip")
    with pytest.raises(InvalidInputError, match="kind must be one of fact, preference, event"):
        NewMemory(text="x", kind="opinion")
    with pytest.raises(InvalidInputError, match="confidence must be a number from 0 to 1"):
        NewMemory(text="x", confidence=7.0)
    with pytest.raises(InvalidInputError, match="memory text is empty"):
        NewMemory(text="   ")


def test_a_failed_batch_writes_nothing(store, monkeypatch):
    from localmem.store import vectors

    store.add_memory(ANA, NewMemory(text="already here"))
    real_put = vectors.put

    def put_then_fail(db, rows, vecs):  # the failure happens after the rows were inserted
        real_put(db, rows, vecs)
        raise OSError("disk full")

    monkeypatch.setattr(vectors, "put", put_then_fail)
    with pytest.raises(OSError, match="disk full"):
        store.add_memories(ANA, [NewMemory(text="first of batch"), NewMemory(text="second of batch")])
    assert [m.text for m in store.list(ANA)] == ["already here"]
    assert store.db.execute("SELECT count(*) FROM history").fetchone()[0] == 1
    assert store.db.execute("SELECT count(*) FROM memory_vectors").fetchone()[0] == 1
