"""The Assistant steers replies by the tracked profile (scripted model at the LLM boundary, real store)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from localmem.assistant import Assistant
from localmem.llm import CallStats, ChatResult
from localmem.memory import Memory
from localmem.store.errors import InvalidStateError

STATS = CallStats(model="scripted", adapter=None, prompt_tokens=10, cached_tokens=0, completion_tokens=3,
                  prompt_ms=1, generation_ms=1, total_ms=2)


class Stream:
    def __init__(self, text):
        self.text, self.result = text, None

    def __iter__(self):
        yield self.text
        self.result = ChatResult(text=self.text, finish_reason="stop", stats=STATS)

    def close(self):
        pass


class CapturingRuntime:
    """Records every answer prompt and its sampling settings; extraction returns no memories."""

    name = "scripted"

    def __init__(self):
        self.calls: list[tuple[list[dict], dict]] = []
        self.lock = threading.RLock()

    def stream(self, messages, *, adapter=None, **params):
        self.calls.append((messages, params))
        return Stream("ok")

    def chat(self, messages, *, adapter=None, **params):
        return ChatResult(text='{"memories": []}', finish_reason="stop", stats=STATS)

    def adapter_for(self, operation):
        return None

    @property
    def system(self) -> str:
        return self.calls[-1][0][0]["content"]

    @property
    def max_tokens(self):
        return self.calls[-1][1]["max_tokens"]


@pytest.fixture
def mem(tmp_path: Path):
    with Memory(tmp_path / "a.db") as m:
        yield m


def test_a_new_user_gets_no_style_line_and_the_model_default(mem: Memory):
    rt = CapturingRuntime()
    reply = Assistant(mem, runtime=rt, extraction="blocking").chat("What is a prime number?", user_id="ana")
    assert "Style:" not in rt.system and rt.max_tokens is None
    assert reply.style == "" and reply.max_tokens is None
    assert mem.preferences(user_id="ana").turns == 1  # observed, but not enough evidence to steer


def test_a_request_for_brevity_shapes_the_same_reply(mem: Memory):
    rt = CapturingRuntime()
    reply = Assistant(mem, runtime=rt, extraction="blocking").chat(
        "Keep it short: what is a prime number?", user_id="ana")
    assert "Style: answer" in rt.system and "briefly" in rt.system
    assert rt.max_tokens is not None and rt.max_tokens < 200
    assert reply.style in rt.system and reply.max_tokens == rt.max_tokens
    (snap,) = mem.preference_history(user_id="ana")
    assert snap.message_id == mem.messages(user_id="ana")[0].id


def test_opposite_profiles_get_opposite_instructions(mem: Memory):
    brief, detailed = CapturingRuntime(), CapturingRuntime()
    a = Assistant(mem, runtime=brief, extraction="blocking")
    b = Assistant(mem, runtime=detailed, extraction="blocking")
    for text in ["hey, short answers pls lol", "just the answer, no need to explain", "ok cool so what's DNS dude?"]:
        a.chat(text, user_id="kim")
    for text in ["Could you kindly explain this in detail?", "I would appreciate a thorough answer.",
                 "What is DNS?"]:
        b.chat(text, user_id="lee")
    assert "briefly" in brief.system and "casual" in brief.system
    assert "in detail" in detailed.system and "formal" in detailed.system
    assert brief.max_tokens < 200 < 600 < detailed.max_tokens
    assert Assistant(mem, runtime=brief).max_tokens is None  # no fixed limit unless given


def test_a_fixed_max_tokens_wins_over_the_profile(mem: Memory):
    rt = CapturingRuntime()
    Assistant(mem, runtime=rt, extraction="blocking", max_tokens=50).chat("explain in detail: DNS", user_id="ana")
    assert rt.max_tokens == 50 and "in detail" in rt.system


def test_read_only_uses_the_profile_without_updating_it_and_off_ignores_it(mem: Memory):
    rt = CapturingRuntime()
    Assistant(mem, runtime=rt, extraction="blocking").chat("Keep it short please. Hi!", user_id="ana")
    turns = mem.preferences(user_id="ana").turns
    Assistant(mem, runtime=rt, memory_mode="read-only").chat("explain everything in detail", user_id="ana")
    assert "briefly" in rt.system and mem.preferences(user_id="ana").turns == turns
    Assistant(mem, runtime=rt, memory_mode="off").chat("hello", user_id="ana")
    assert "Style:" not in rt.system and rt.max_tokens is None
    assert mem.preferences(user_id="ana").turns == turns


def test_editing_a_reply_is_kept_and_shortens_later_replies(mem: Memory):
    rt = CapturingRuntime()
    assistant = Assistant(mem, runtime=rt, extraction="blocking")
    reply = assistant.chat("What is DNS?", user_id="ana")
    assert reply.message_id == mem.messages(user_id="ana")[-1].id
    long_text = "DNS " + "translates names to addresses " * 20
    for _ in range(2):
        fb = assistant.edit_reply(reply.model_copy(update={"text": long_text}), "DNS maps names to IPs.",
                                  user_id="ana")
    assert fb.edited == "DNS maps names to IPs." and fb.original == long_text and fb.message_id == reply.message_id
    assistant.chat("And what is DHCP?", user_id="ana")
    assert "briefly" in rt.system and rt.max_tokens < 200
    history = mem.preference_history(user_id="ana")
    assert [h.source for h in history] == ["message", "edit", "edit", "message"]
    with pytest.raises(InvalidStateError, match="memory_mode"):
        Assistant(mem, runtime=rt, memory_mode="read-only").edit_reply(reply, "x", user_id="ana")


def test_a_comment_on_a_reply_is_feedback(mem: Memory):
    rt = CapturingRuntime()
    assistant = Assistant(mem, runtime=rt, extraction="blocking")
    reply = assistant.chat("How do vaccines work?", user_id="ana")
    fb = assistant.comment_on_reply("too technical, use simple words", user_id="ana", reply=reply)
    assert fb.comment.startswith("too technical") and fb.message_id == reply.message_id
    assert mem.preference_history(user_id="ana")[-1].signal.observations["depth"].value == pytest.approx(0.1)
