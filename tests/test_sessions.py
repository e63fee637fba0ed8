"""Chat sessions (``localmem.sessions``): named, listed, searched, renamed; forgotten with the user."""

from __future__ import annotations

from pathlib import Path

import pytest

from localmem.memory import Memory
from localmem.sessions import ChatSessions, SessionNotFoundError, title_from
from localmem.store.errors import InvalidInputError
from localmem.store.scope import Scope


@pytest.fixture
def mem(tmp_path: Path):
    with Memory(tmp_path / "s.db") as m:
        yield m


def test_start_list_search_rename_and_messages(mem: Memory):
    sessions = ChatSessions(mem)
    lyon = sessions.start(user_id="ana", title="Moving to Lyon", model="fast")
    bread = sessions.start(user_id="ana", title="Sourdough")
    sessions.start(user_id="bob", title="Bob's chat")
    mem.store.log_messages(Scope.of("ana", session_id=lyon.id), [("user", "Which arrondissement is quiet?", {}),
                                                                ("assistant", "The 5th.", {})], pending=False)
    sessions.touch(lyon.id)
    listed = sessions.list(user_id="ana")
    assert [s.title for s in listed] == ["Moving to Lyon", "Sourdough"]  # most recently used first
    assert listed[0].message_count == 2 and listed[0].model == "fast" and listed[0].memory_mode == "on"
    assert [s.id for s in sessions.list(user_id="ana", query="arrondissement")] == [lyon.id]  # message text
    assert [s.id for s in sessions.list(user_id="ana", query="sour")] == [bread.id]  # title
    assert sessions.list(user_id="ana", query="100%_") == []  # LIKE wildcards are literal
    renamed = sessions.rename(bread.id, "  Bread   baking ")
    assert renamed.title == "Bread baking" and renamed.created_at == bread.created_at
    assert [m.content for m in sessions.messages(lyon.id)] == ["Which arrondissement is quiet?", "The 5th."]
    assert sessions.touch(lyon.id, memory_mode="read-only").memory_mode == "read-only"


def test_bad_input_is_refused_and_nothing_changes(mem: Memory):
    sessions = ChatSessions(mem)
    s = sessions.start(user_id="ana", title="Keep me")
    with pytest.raises(InvalidInputError, match="title is empty"):
        sessions.rename(s.id, "   ")
    with pytest.raises(InvalidInputError, match="memory_mode must be one of"):
        sessions.touch(s.id, memory_mode="sometimes")
    with pytest.raises(InvalidInputError, match="not a valid id"):
        sessions.get("nope")
    with pytest.raises(SessionNotFoundError, match="no chat session"):
        sessions.rename("01ARZ3NDEKTSV4RRFFQ69G5FAV", "x")
    with pytest.raises(InvalidInputError, match="user_id"):
        sessions.start(user_id="", title="x")
    assert sessions.get(s.id).title == "Keep me" and sessions.get(s.id).memory_mode == "on"


def test_titles_from_a_first_message():
    assert title_from("  Hello\nthere  ") == "Hello there"
    long = title_from("I would like to plan a two week trip through the north of Portugal in May")
    assert long.endswith("…") and len(long) <= 49 and not long[:-1].endswith(" ")


def test_forget_user_removes_their_sessions(mem: Memory):
    sessions = ChatSessions(mem)
    s = sessions.start(user_id="ana", title="My secret plans")
    mem.store.log_messages(Scope.of("ana", session_id=s.id), [("user", "hi", {})], pending=False)
    sessions.start(user_id="bob", title="Bob")
    mem.forget_user(user_id="ana")
    assert sessions.list(user_id="ana") == []
    assert [x.title for x in sessions.list(user_id="bob")] == ["Bob"]
    assert b"My secret plans" not in mem.path.read_bytes()
