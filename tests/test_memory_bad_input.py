"""Bad input to the public API: each case gets a clear error, and nothing stored is changed."""

from __future__ import annotations

import hashlib

import pytest

from localmem.store import InvalidInputError, MemoryNotFoundError, StoreError
from localmem.types import MAX_MEMORY_CHARS, MAX_MESSAGE_CHARS
from store_fixtures import db_path, embedder, file_bytes, mem  # noqa: F401

MISSING_ID = "01HZZZZZZZZZZZZZZZZZZZZZZZ"


@pytest.fixture
def seeded(mem):
    mem.add("a memory that must survive every bad call", user_id="ana", infer=False)
    return mem


def snapshot(mem):
    mem.store.flush()
    rows = mem.store.db.execute("SELECT id, text, status, updated_at FROM memories ORDER BY seq").fetchall()
    counts = [mem.store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("history", "messages", "memory_vectors")]
    return rows, counts


@pytest.mark.parametrize("messages, message", [
    ("", "message 0 content is empty"),
    ("   \n\t ", "message 0 content is empty"),
    ([], "messages is empty"),
    ("x" * (MAX_MEMORY_CHARS + 1), "too long: 8,001 characters"),
    ([{"role": "assistant", "content": "y" * (MAX_MESSAGE_CHARS + 1)}], "too long"),
    (b"caf\xe9", "not valid UTF-8"),
    ("lone surrogate \udcff here", "not valid UTF-8"),
    ("nul \x00 byte", "NUL character"),
    (42, "must be a string or a list"),
    ({"role": "user", "content": "hi"}, "must be a string or a list"),
    (["just a string in a list"], "message 0 must be a dict"),
    ([{"role": "robot", "content": "hi"}], "role must be one of user, assistant"),
    ([{"role": "user"}], "must be a string, got NoneType"),
    ([{"role": "user", "content": 3.5}], "must be a string, got float"),
    ([{"role": "user", "content": "hi", "nick": "x"}], "unknown keys \\['nick'\\]"),
    ([{"role": "assistant", "content": "hi", "name": "Bo"}], "only user messages name who said them"),
    ([{"role": "user", "content": "hi", "name": ""}], "name must be a person's name"),
    ([{"role": "user", "content": "hi", "name": 7}], "name must be a person's name"),
    ([{"role": "user", "content": "hi", "name": "3 Bo"}], "name must be a person's name"),
    ([{"role": "user", "content": "hi", "name": "Bo", "metadata": {"speaker": "Al"}}], "disagrees"),
    ([{"role": "user", "content": "hi", "metadata": {"when": object()}}], "not JSON-serialisable"),
    ([{"role": "user", "content": "hi", "metadata": "not a dict"}], "must be a dict"),
])
def test_bad_messages(seeded, messages, message):
    before = snapshot(seeded)
    with pytest.raises(InvalidInputError, match=message):
        seeded.add(messages, user_id="ana", infer=False)
    assert snapshot(seeded) == before


@pytest.mark.parametrize("kwargs, message", [
    ({"user_id": None}, "user_id is required"),
    ({"user_id": ""}, "user_id is empty"),
    ({"user_id": 7}, "user_id must be a string, got int"),
    ({"user_id": " ana"}, "no leading or trailing whitespace"),
    ({"user_id": "a\nb"}, "no control characters"),
    ({"user_id": "u" * 300}, "at most 256 characters"),
    ({"user_id": "ana", "agent_id": 5}, "agent_id must be a string"),
    ({"user_id": "ana", "session_id": ""}, "session_id is empty"),
    ({"user_id": "ana", "metadata": ["x"]}, "metadata must be a dict"),
    ({"user_id": "ana", "metadata": {"n": float("nan")}}, "not JSON-serialisable"),
    ({"user_id": "ana", "timestamp": "yesterday"}, "not an ISO-8601"),
    ({"user_id": "ana", "timestamp": True}, "got bool"),
    ({"user_id": "ana", "timestamp": float("inf")}, "not a finite number"),
    ({"user_id": "ana", "infer": "no"}, "infer must be True or False"),
])
def test_bad_add_arguments(seeded, kwargs, message):
    before = snapshot(seeded)
    with pytest.raises(InvalidInputError, match=message):
        seeded.add("hello", **{"infer": False, **kwargs})
    assert snapshot(seeded) == before


def test_user_id_must_be_a_keyword(seeded):
    with pytest.raises(TypeError):
        seeded.search("hello", "ana")
    with pytest.raises(TypeError):
        seeded.get_all("ana")
    with pytest.raises(TypeError):
        seeded.forget_user("ana")
    with pytest.raises(TypeError):
        seeded.add("hello")


@pytest.mark.parametrize("kwargs, message", [
    ({"limit": 0}, "limit must be an integer from 1 to 1000"),
    ({"limit": 5000}, "limit must be an integer"),
    ({"limit": "10"}, "limit must be an integer"),
    ({"limit": True}, "limit must be an integer"),
    ({"filters": "kind=fact"}, "filters must be a SearchFilters or a dict"),
    ({"filters": {"kind": "opinion"}}, "invalid filters: kind.*'fact', 'preference' or 'event' \\(got 'opinion'\\)"),
    ({"filters": {"colour": "red"}}, "invalid filters: colour: Extra inputs are not permitted \\(got 'red'\\)$"),
    ({"filters": {"metadata": {"a.b": 1}}}, "metadata filter key"),
    ({"filters": {"created_after": "not a date"}}, "invalid filters: created_after: .* \\(got 'not a date'\\)"),
    ({"mode": "fuzzy"}, "mode must be"),
])
def test_bad_search_arguments(seeded, kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        seeded.search("hello", user_id="ana", **kwargs)


@pytest.mark.parametrize("query, message", [("", "query is empty"), (None, "query must be a string"),
                                            ("q" * (MAX_MEMORY_CHARS + 1), "query is too long")])
def test_bad_queries(seeded, query, message):
    with pytest.raises(InvalidInputError, match=message):
        seeded.search(query, user_id="ana")


@pytest.mark.parametrize("memory_id, error, message", [
    ("not-an-id", InvalidInputError, "is not a valid id"),
    ("", InvalidInputError, "is not a valid id"),
    (12345, InvalidInputError, "must be a string, got int"),
    (None, InvalidInputError, "must be a string, got NoneType"),
    ("01HZZZZZZZZZZZZZZZZZZZZZZU", InvalidInputError, "is not a valid id"),  # U is not Crockford base32
    (MISSING_ID, MemoryNotFoundError, "no memory with id"),
])
def test_bad_memory_ids_for_every_verb(seeded, memory_id, error, message):
    before = snapshot(seeded)
    for call in (seeded.get, seeded.delete, seeded.restore, seeded.history,
                 lambda i: seeded.update(i, "new text")):
        with pytest.raises(error, match=message):
            call(memory_id)
    assert snapshot(seeded) == before


def test_ids_are_case_insensitive(seeded):
    item = seeded.get_all(user_id="ana")[0]
    assert seeded.get(item.id.lower()) == item


@pytest.mark.parametrize("text, message", [("", "text is empty"), (b"\xff\xfe", "not valid UTF-8"),
                                           ("t" * (MAX_MEMORY_CHARS + 1), "too long"), (None, "must be a string")])
def test_bad_update_text(seeded, text, message):
    before = snapshot(seeded)
    memory_id = seeded.get_all(user_id="ana")[0].id
    with pytest.raises(InvalidInputError, match=message):
        seeded.update(memory_id, text)
    assert snapshot(seeded) == before


EMPTY_EXPORT = {"format": "localmem-export", "version": 1, "user_id": "x", "memories": [], "messages": [],
                "history": []}


@pytest.mark.parametrize("data, message", [
    ("a string", "must be a dict"),
    ({"format": "mem0"}, "not a localmem export"),
    ({"format": "localmem-export", "version": 99}, "unsupported export version 99"),
    ({"format": "localmem-export", "version": 1, "user_id": "x"}, "invalid export"),
    ({"format": "localmem-export", "version": 1, "user_id": "x", "memories": [], "messages": [],
      "history": [{"id": "01HZZZZZZZZZZZZZZZZZZZZZZA", "memory_id": MISSING_ID, "user_id": "x", "action": "ADD",
                   "actor": "api", "created_at": "2024-01-01T00:00:00Z"}]}, "history for memories it does not contain"),
    ({**EMPTY_EXPORT, "tables": {"passwords": []}}, "unknown table 'passwords'"),
    ({**EMPTY_EXPORT, "tables": {"chat_sessions": [{"id": "s1", "user_id": "x"}]}}, "a chat_sessions row has columns"),
    ({**EMPTY_EXPORT, "tables": {"preference_state": [{"user_id": "x", "turns": "3", "state": "{}",
                                                       "updated_at": "2024-01-01T00:00:00Z"}]}}, "bad turns: '3'"),
    ({**EMPTY_EXPORT, "tables": {"chat_sessions": [{"id": "s1", "user_id": "x", "title": "t", "memory_mode": "loud",
                                                    "model": None, "created_at": "2024-01-01T00:00:00Z",
                                                    "updated_at": "2024-01-01T00:00:00Z"}]}}, "CHECK constraint"),
])
def test_bad_imports_write_nothing(seeded, data, message):
    before = snapshot(seeded)
    with pytest.raises(InvalidInputError, match=message):
        seeded.import_(data)
    assert snapshot(seeded) == before


def test_import_refuses_rows_of_another_user(seeded, mem):
    exported = seeded.export(user_id="ana")
    exported["memories"][0]["user_id"] = "mallory"
    with pytest.raises(InvalidInputError, match="rows of other users"):
        seeded.import_(exported)


def test_path_must_be_a_path(embedder):
    from localmem import Memory

    with pytest.raises(InvalidInputError, match="path must be a str or Path"):
        Memory(123, embedder=embedder)


def test_all_errors_share_a_base_class():
    for error in (InvalidInputError, MemoryNotFoundError):
        assert issubclass(error, StoreError)
    assert issubclass(InvalidInputError, ValueError)


def test_the_file_is_unchanged_by_a_rejected_call(seeded):
    seeded.store.flush()
    seeded.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    digest = hashlib.sha256(file_bytes(seeded.path)).hexdigest()
    for bad in ("", b"\xff", [{"role": "x", "content": "y"}]):
        with pytest.raises(InvalidInputError):
            seeded.add(bad, user_id="ana", infer=False)
    assert hashlib.sha256(file_bytes(seeded.path)).hexdigest() == digest

