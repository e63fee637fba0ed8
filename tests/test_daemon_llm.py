"""The daemon on a real model (SmolLM2-135M, the fastest chat model): a streamed chat reply, and the
extraction job of the user's message run by the queue on the same loaded model."""

from __future__ import annotations

import pytest

from daemon_helpers import Daemon
from localmem.client import RemoteAssistant
from localmem.config import load_registry
from localmem.registry import ModelError, verify


@pytest.mark.llm
def test_chat_and_extraction_through_the_daemon_on_a_real_model(tmp_path):
    try:
        verify(load_registry().get("smol"))
    except ModelError as exc:
        pytest.skip(str(exc))
    d = Daemon(tmp_path / "h", args=["-m", "smol"], scripted_delay=None).start()
    try:
        mem = d.memory()
        assistant = RemoteAssistant(mem)
        stream = assistant.chat("Hello! My name is Ana and I live in Lyon.", user_id="ana", stream=True)
        text = "".join(stream)
        reply = stream.reply
        assert text == reply.text and text.strip()
        assert reply.stats is not None and reply.stats.model != "scripted" and reply.stats.completion_tokens > 0
        assert reply.extraction_job is not None
        reply.wait_events()  # the queue ran extraction (whatever the 135M model made of it)
        job = mem.client.request("GET", f"/v1/jobs/{reply.extraction_job}")
        assert job["status"] == "done" and job["result"]["llm_calls"] >= 1
        messages = mem.messages(user_id="ana")
        assert [m.role for m in messages] == ["user", "assistant"]
        user_msg = messages[0]
        # extracted, or parked as a failure with its raw output kept: never lost
        assert (not user_msg.pending_extraction) or mem.failures(user_id="ana")
        metrics = mem.client.request("GET", "/metrics")
        assert metrics["completion_tokens"] > 0 and metrics["generation_tokens_per_s"] > 0
    finally:
        assert d.stop() == 0
