"""Property-based tests (hypothesis) of the Memory API against a simple model of what it should hold."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from localmem import Memory
from localmem.store import InvalidInputError, NewMemory
from localmem.types import MAX_MEMORY_CHARS, HistoryAction, Status
from store_fixtures import embedder  # noqa: F401

# Valid memory text: any Unicode except surrogates and NUL, with something other than whitespace.
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                min_size=1, max_size=300).filter(lambda t: t.strip())
user_ids = st.sampled_from(["ana", "bob", "user with spaces", "ユーザー", "a" * 256])
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(text=texts, user_id=user_ids)
def test_stored_text_comes_back_exactly(embedder, text, user_id):
    with tempfile.TemporaryDirectory() as tmp, Memory(Path(tmp) / "m.db", embedder=embedder) as mem:
        (event,) = mem.add(text, user_id=user_id, infer=False)
        assert mem.get(event.memory.id).text == text
        assert [i.text for i in mem.get_all(user_id=user_id)] == [text]
        results = mem.search(text, user_id=user_id)
        assert [r.id for r in results] == [event.memory.id]


@SETTINGS
@given(value=st.one_of(st.integers(), st.floats(), st.binary(), st.lists(st.text()), st.dictionaries(st.text(), st.text()),
                       st.none(), st.booleans()))
def test_non_string_user_ids_are_rejected(embedder, value):
    with tempfile.TemporaryDirectory() as tmp, Memory(Path(tmp) / "m.db", embedder=embedder) as mem:
        with pytest.raises(InvalidInputError, match="user_id"):
            mem.add("hello", user_id=value, infer=False)
        with pytest.raises(InvalidInputError, match="user_id"):
            mem.search("hello", user_id=value)
        assert mem.stats()["history_rows"] == 0


@SETTINGS
@given(text=st.builds(lambda piece, extra: piece * (MAX_MEMORY_CHARS // len(piece) + 1) + extra, texts, texts))
def test_oversized_text_is_rejected_whole(embedder, text):
    assert len(text) > MAX_MEMORY_CHARS
    with tempfile.TemporaryDirectory() as tmp, Memory(Path(tmp) / "m.db", embedder=embedder) as mem:
        with pytest.raises(InvalidInputError, match="too long"):
            mem.add(text, user_id="ana", infer=False)
        assert mem.messages(user_id="ana") == []


class MemoryModel(RuleBasedStateMachine):
    """Random sequences of verbs; after each step the store must agree with a dict-based model."""

    memories = Bundle("memories")

    def __init__(self):
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.mem = Memory(Path(self.tmp.name) / "m.db", embedder=EMBEDDER[0])
        self.model: dict[str, dict] = {}  # id -> {user, text, status, changes}

    def teardown(self):
        self.mem.close()
        self.tmp.cleanup()

    @rule(target=memories, text=texts, user=st.sampled_from(["ana", "bob"]))
    def add(self, text, user):
        (event,) = self.mem.add(text, user_id=user, infer=False)
        self.model[event.memory.id] = {"user": user, "text": text, "status": Status.ACTIVE, "changes": 1}
        return event.memory.id

    @rule(memory_id=memories, text=texts)
    def update(self, memory_id, text):
        entry = self.model[memory_id]
        if entry["status"] is not Status.ACTIVE:
            with pytest.raises(Exception, match="only active memories can be updated"):
                self.mem.update(memory_id, text)
            return
        self.mem.update(memory_id, text)
        if text != entry["text"]:
            entry.update(text=text, changes=entry["changes"] + 1)

    @rule(memory_id=memories)
    def delete(self, memory_id):
        entry = self.model[memory_id]
        if entry["status"] is Status.DELETED:
            with pytest.raises(Exception, match="already deleted"):
                self.mem.delete(memory_id)
            return
        self.mem.delete(memory_id)
        entry.update(before_delete=entry["status"], status=Status.DELETED, changes=entry["changes"] + 1)

    @rule(memory_id=memories)
    def restore(self, memory_id):
        entry = self.model[memory_id]
        if entry["status"] is not Status.DELETED:
            return
        self.mem.restore(memory_id)
        entry.update(status=entry["before_delete"], changes=entry["changes"] + 1)

    @rule(target=memories, memory_id=consumes(memories), text=texts)
    def supersede(self, memory_id, text):
        entry = self.model[memory_id]
        assume(entry["status"] is Status.ACTIVE)
        old, new = self.mem.store.supersede(memory_id, NewMemory(text=text))
        assert old.superseded_by == new.id
        entry.update(status=Status.SUPERSEDED, changes=entry["changes"] + 1)
        self.model[new.id] = {"user": entry["user"], "text": text, "status": Status.ACTIVE, "changes": 1}
        return new.id

    @invariant()
    def store_matches_model(self):
        for user in ("ana", "bob"):
            want = {i for i, e in self.model.items() if e["user"] == user and e["status"] is Status.ACTIVE}
            assert {m.id for m in self.mem.get_all(user_id=user)} == want

    @invariant()
    def every_change_has_a_history_row(self):
        for memory_id, entry in self.model.items():
            item = self.mem.get(memory_id)
            assert (item.text, item.status) == (entry["text"], entry["status"])
            steps = self.mem.history(memory_id)
            assert len(steps) == entry["changes"] and steps[0].action is HistoryAction.ADD

    @invariant()
    def search_stays_in_scope(self):
        ids = {r.id for r in self.mem.search("anything", user_id="ana", limit=50,
                                             filters={"include_superseded": True, "include_deleted": True})}
        assert all(self.model[i]["user"] == "ana" for i in ids)

    @rule()  # a rule, not an invariant: checked at random points, which keeps the test fast
    def export_import_round_trips(self):
        if not any(e["user"] == "ana" for e in self.model.values()):
            return
        exported = self.mem.export(user_id="ana")
        with tempfile.TemporaryDirectory() as tmp, Memory(Path(tmp) / "copy.db", embedder=EMBEDDER[0]) as copy:
            copy.import_(exported)
            again = copy.export(user_id="ana")
        assert {k: v for k, v in again.items() if k != "exported_at"} == {
            k: v for k, v in exported.items() if k != "exported_at"}


EMBEDDER: list = []


def test_random_sequences_of_verbs_agree_with_the_model(embedder):
    EMBEDDER[:] = [embedder]
    MemoryModel.TestCase.settings = settings(max_examples=10, stateful_step_count=12, deadline=None)
    MemoryModel.TestCase("runTest").runTest()
