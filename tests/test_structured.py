"""Retry and failure logic of JSON output, with a scripted model at the LLM boundary.

(The same paths run on the real model in test_llm.py.)
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from localmem.llm import CallStats, ChatResult, LLMError
from localmem.structured import chat_json, strict_prompt

STATS = CallStats(model="fake", adapter=None, prompt_tokens=1, cached_tokens=0, completion_tokens=1,
                  prompt_ms=1, generation_ms=1, total_ms=2)


class Fact(BaseModel):
    text: str
    confidence: float


class ScriptedModel:
    """Returns canned replies and records what it was asked."""

    def __init__(self, *replies: tuple[str, str]):
        self.replies = list(replies)
        self.calls: list[dict] = []

    def chat(self, messages, *, adapter=None, **params):
        self.calls.append({"messages": messages, "adapter": adapter, **params})
        text, finish = self.replies.pop(0)
        return ChatResult(text=text, finish_reason=finish, stats=STATS)


ASK = [{"role": "user", "content": "I moved to Lyon."}]


def test_valid_first_reply_is_returned():
    model = ScriptedModel(('{"text": "User lives in Lyon", "confidence": 0.9}', "stop"))
    result = chat_json(model, ASK, Fact, adapter="extract", temperature=0.7)
    assert result.ok and result.value == Fact(text="User lives in Lyon", confidence=0.9)
    assert len(result.attempts) == 1
    assert model.calls[0]["adapter"] == "extract"
    assert model.calls[0]["grammar"] is not None


def test_invalid_reply_is_retried_with_a_stricter_greedy_prompt():
    model = ScriptedModel(('{"text": "x", "confidence": "high"}', "stop"),
                          ('{"text": "User lives in Lyon", "confidence": 1}', "stop"))
    result = chat_json(model, ASK, Fact, temperature=0.7)
    assert result.ok and result.value.confidence == 1.0
    assert "confidence" in result.attempts[0].error
    retry = model.calls[1]
    assert retry["temperature"] == 0.0
    assert retry["messages"][0] == strict_prompt(Fact)
    assert retry["messages"][1:] == ASK


def test_final_failure_keeps_every_raw_output():
    model = ScriptedModel(('{"text": "a"', "length"), ("not json", "stop"), ('{"text": 1}', "stop"))
    result = chat_json(model, ASK, Fact, retries=2, max_tokens=5)
    assert not result.ok and result.value is None
    assert [a.raw for a in result.attempts] == ['{"text": "a"', "not json", '{"text": 1}']
    assert "cut off at max_tokens=5" in result.attempts[0].error
    assert "invalid JSON for Fact" in result.error
    with pytest.raises(LLMError, match="after 3 attempt"):
        result.unwrap()
