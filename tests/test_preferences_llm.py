"""The tracked profile steers a real model (Qwen2.5-Coder-0.5B, greedy): brief vs detailed users."""

from __future__ import annotations

from pathlib import Path

import pytest

from localmem.assistant import Assistant
from localmem.config import load_registry
from localmem.llm import Runtime
from localmem.memory import Memory
from localmem.registry import ModelError, verify

pytestmark = pytest.mark.llm

QUESTION = "What is a black hole?"


@pytest.fixture(scope="module")
def runtime():
    try:
        verify(load_registry().get("fast"))
    except ModelError as exc:
        pytest.skip(str(exc))
    rt = Runtime.from_registry("fast", n_ctx=4096)
    rt.spec = rt.spec.model_copy(update={"sampling": rt.spec.sampling.model_copy(update={"temperature": 0.0})})
    rt.load()
    yield rt
    rt.close()


def test_brief_and_detailed_users_get_replies_of_the_intended_length(tmp_path: Path, runtime: Runtime):
    with Memory(tmp_path / "p.db") as mem:
        for text in ["Keep it short please, just the answer.", "too long, tl;dr"]:
            mem.observe_preferences(text, user_id="brief")
        for text in ["Please explain in detail.", "Tell me more, go deeper."]:
            mem.observe_preferences(text, user_id="detailed")
        assistant = Assistant(mem, runtime=runtime, memory_mode="read-only")
        brief = assistant.chat(QUESTION, user_id="brief")
        # The detailed reply is bounded to keep the test short; the brief one follows its profile.
        detailed = Assistant(mem, runtime=runtime, memory_mode="read-only", max_tokens=200).chat(
            QUESTION, user_id="detailed")
    assert "briefly" in brief.style and "in detail" in detailed.style
    assert brief.max_tokens is not None and brief.max_tokens < 200
    assert brief.stats.completion_tokens < brief.max_tokens, "the brief reply should end by itself"
    assert len(brief.text.split()) < len(detailed.text.split())
