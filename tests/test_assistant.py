"""Assistant: recall -> streamed answer -> extraction after the reply (scripted model, real store)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from localmem.assistant import Assistant
from localmem.llm import CallStats, ChatResult
from localmem.memory import Memory
from localmem.types import EventType

STATS = CallStats(model="scripted", adapter=None, prompt_tokens=10, cached_tokens=0, completion_tokens=3,
                  prompt_ms=1, generation_ms=1, total_ms=2)


class FakeStream:
    def __init__(self, owner, pieces):
        self.owner, self.pieces, self.result = owner, pieces, None

    def __iter__(self):
        with self.owner.lock:
            self.owner.events.append("answer-start")
            yield from self.pieces
            self.result = ChatResult(text="", finish_reason="stop", stats=STATS)
            self.owner.events.append("answer-end")

    def close(self):
        pass


class ScriptedRuntime:
    name = "scripted"

    def __init__(self, answers, extractions):
        self.answers, self.extractions = list(answers), list(extractions)
        self.prompts: list[list[dict]] = []
        self.events: list[str] = []
        self.lock = threading.RLock()

    def stream(self, messages, *, adapter=None, **params):
        self.prompts.append(messages)
        return FakeStream(self, self.answers.pop(0))

    def chat(self, messages, *, adapter=None, **params):
        with self.lock:
            self.events.append("extract")
            return ChatResult(text=self.extractions.pop(0), finish_reason="stop", stats=STATS)

    def adapter_for(self, operation):
        return None


def facts(*texts):
    return json.dumps({"memories": [{"text": t, "kind": "fact", "category": "other", "confidence": 0.9,
                                     "valid_from": None} for t in texts]})


@pytest.fixture
def mem(tmp_path: Path):
    with Memory(tmp_path / "a.db") as m:
        yield m


def test_reply_first_then_extraction(mem: Memory):
    rt = ScriptedRuntime([["Nice ", "to meet ", "Miso!"]], [facts("User's cat is named Miso")])
    assistant = Assistant(mem, runtime=rt, extraction="blocking")
    reply = assistant.chat("My cat is called Miso", user_id="ana")
    assert reply.text == "Nice to meet Miso!"
    assert rt.events == ["answer-start", "answer-end", "extract"]  # the reply never waits for extraction
    assert [e.event for e in reply.wait_events()] == [EventType.ADD]
    roles = [m.role for m in mem.messages(user_id="ana")]
    assert sorted(roles) == ["assistant", "user"]


def test_background_extraction_and_recall_in_a_later_session(mem: Memory):
    rt = ScriptedRuntime([["Noted."], ["Your cat is Miso."]], [facts("User's cat is named Miso"), '{"memories": []}'])
    assistant = Assistant(mem, runtime=rt)
    first = assistant.chat("My cat is called Miso", user_id="ana", session_id="s1")
    first.wait_events(timeout=30)
    stream = assistant.chat("What is my cat called?", user_id="ana", session_id="s2", stream=True)
    assert "".join(stream) == "Your cat is Miso."
    assert [m.text for m in stream.reply.memories][:1] == ["User's cat is named Miso"]
    system = rt.prompts[1][0]["content"]
    assert "User's cat is named Miso" in system and "don't know" in system
    stream.reply.wait_events(timeout=30)


def test_memory_off_neither_reads_nor_writes(mem: Memory):
    mem.add("I live in Lyon", user_id="ana", infer=False)
    rt = ScriptedRuntime([["Hello."]], [])
    reply = Assistant(mem, runtime=rt, memory_mode="off").chat("Where do I live?", user_id="ana")
    assert reply.memories == [] and reply.extraction is None
    assert "remember nothing" in rt.prompts[0][0]["content"]
    assert len(mem.messages(user_id="ana")) == 1  # only the earlier add


def test_read_only_recalls_but_writes_nothing(mem: Memory):
    mem.add("I live in Lyon", user_id="ana", infer=False)
    rt = ScriptedRuntime([["In Lyon."]], [])
    reply = Assistant(mem, runtime=rt, memory_mode="read-only").chat("Where do I live?", user_id="ana")
    assert [m.text for m in reply.memories] == ["I live in Lyon"]
    assert reply.extraction is None and len(mem.messages(user_id="ana")) == 1


def test_failed_extraction_keeps_the_message_pending(mem: Memory):
    rt = ScriptedRuntime([["ok"]], ["garbage", "still garbage"])
    reply = Assistant(mem, runtime=rt, extraction="blocking").chat("My sister is Ines", user_id="ana")
    assert reply.wait_events() == []
    assert [m.content for m in mem.store.pending_messages(user_id="ana")] == ["My sister is Ines"]


def test_empty_message_is_refused(mem: Memory):
    with pytest.raises(ValueError, match="message"):
        Assistant(mem, runtime=ScriptedRuntime([], [])).chat("   ", user_id="ana")


def test_replayed_conversation_uses_its_own_date(mem: Memory):
    from datetime import datetime, timezone

    rt = ScriptedRuntime([["ok"]], ['{"memories": []}'])
    when = datetime(2023, 5, 8, 12, tzinfo=timezone.utc)
    Assistant(mem, runtime=rt, extraction="blocking").chat("hello", user_id="ana", now=when)
    assert "Today is 2023-05-08" in rt.prompts[0][0]["content"]
    assert {m.created_at for m in mem.messages(user_id="ana")} == {when}


def test_reply_writes_dates_in_words_as_it_streams(mem: Memory):
    """The model copies "2023-05-07" from a memory; the user reads "7 May 2023", in the stream, the
    reply and the logged message, even when the date arrives split over several tokens."""
    rt = ScriptedRuntime([["You hurt it on 20", "23-05", "-07, ", "a Sunday."]], ['{"memories": []}'])
    stream = Assistant(mem, runtime=rt, extraction="blocking").chat("When did I hurt my finger?", user_id="ana",
                                                                     stream=True)
    pieces = list(stream)
    assert "".join(pieces) == stream.reply.text == "You hurt it on 7 May 2023, a Sunday."
    assert pieces[0] == "You hurt it on "  # only the digits that may be a date are held back
    assert [m.content for m in mem.messages(user_id="ana") if m.role == "assistant"] == [stream.reply.text]
