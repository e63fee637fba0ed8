"""The LLM runtime on a real model: streaming, counters, prefix cache, JSON output, adapter hot-swap.

Integration tests run the default model (Qwen2.5-Coder-0.5B-Instruct Q4_K_M), which is the base of
the memory adapters; `make test` installs it. Greedy decoding (temperature 0) makes outputs exact.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from localmem.config import load_registry
from localmem.llm import LLMError, Runtime
from localmem.registry import ModelError, verify
from localmem.structured import chat_json, grammar_for

pytestmark = pytest.mark.llm

GREEDY = {"temperature": 0.0, "seed": 1}
QUESTION = [{"role": "user", "content": "Name three colours of the rainbow."}]


def _model_or_skip(name: str) -> None:
    try:
        verify(load_registry().get(name))
    except ModelError as exc:  # `make test` installs it; a bare pytest run may not have it
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def runtime():
    _model_or_skip("fast")
    rt = Runtime.from_registry("fast", n_ctx=2048)
    rt.load()
    yield rt
    rt.close()


def test_stream_yields_chunks_and_counts_tokens(runtime: Runtime):
    stream = runtime.stream(QUESTION, max_tokens=24, **GREEDY)
    chunks = list(stream)
    assert len(chunks) > 3
    stats = stream.result.stats
    assert stats.prompt_tokens > 5
    assert stats.completion_tokens >= len(chunks) - 1
    assert stats.completion_tokens <= 24
    assert stats.prompt_ms > 0 and stats.generation_ms > 0 and stats.total_ms > 0
    assert stats.generation_tps > 0
    # The same request, not streamed, gives the same reply under greedy decoding, up to near-ties:
    # the repeated prompt is served from llama.cpp's prefix cache, and logits computed from a cached
    # state differ in the last bits from a full prompt evaluation (seen in CI: "colours" vs "colors").
    import difflib

    again = runtime.chat(QUESTION, max_tokens=24, **GREEDY).text
    assert difflib.SequenceMatcher(None, again, "".join(chunks)).ratio() > 0.8, (again, chunks)


def test_fixed_system_prompt_is_served_from_the_prefix_cache(runtime: Runtime):
    system = {"role": "system", "content": "You are a terse assistant. " * 20}
    runtime.chat([system, {"role": "user", "content": "Hi"}], max_tokens=4, **GREEDY)
    second = runtime.chat([system, {"role": "user", "content": "Hello there"}], max_tokens=4, **GREEDY)
    assert second.stats.cached_tokens >= 100
    assert second.stats.cached_tokens < second.stats.prompt_tokens


class City(BaseModel):
    person: str = Field(description="the person's first name")
    city: str
    years: int = Field(ge=0)


def test_json_output_is_grammar_constrained_and_validated(runtime: Runtime):
    msgs = [{"role": "system", "content": "Extract the fields as JSON."},
            {"role": "user", "content": "Ana has lived in Lyon for 6 years."}]
    result = chat_json(runtime, msgs, City, max_tokens=60, **GREEDY)
    assert result.ok, result.error
    assert result.value.city == "Lyon"
    assert result.value.person == "Ana"
    assert result.value.years == 6
    assert json.loads(result.raw)["city"] == "Lyon"


def test_json_failure_is_an_explicit_error_with_every_attempt(runtime: Runtime):
    msgs = [{"role": "user", "content": "Ana has lived in Lyon for 6 years."}]
    result = chat_json(runtime, msgs, City, max_tokens=3, retries=1, **GREEDY)
    assert not result.ok
    assert result.value is None
    assert "cut off at max_tokens=3" in result.error
    assert len(result.attempts) == 2 and all(a.raw for a in result.attempts)
    with pytest.raises(LLMError, match="structured output failed after 2 attempt"):
        result.unwrap()


def test_grammar_admits_only_schema_json(runtime: Runtime):
    out = runtime.chat([{"role": "user", "content": "Write a poem about the sea."}],
                       grammar=grammar_for(City), max_tokens=80, **GREEDY)
    City.model_validate_json(out.text)  # even an off-task prompt yields schema-valid JSON


def test_adapter_changes_output_and_switching_back_restores_base_exactly(runtime: Runtime):
    assert "test-tiny" in runtime.adapters
    ask = [{"role": "user", "content": "What is the capital of France?"}]
    base = runtime.chat(ask, max_tokens=20, **GREEDY).text
    tuned = runtime.chat(ask, adapter="test-tiny", max_tokens=20, **GREEDY)
    assert tuned.stats.adapter == "test-tiny"
    assert tuned.text != base
    again = runtime.chat(ask, max_tokens=20, **GREEDY)
    assert again.stats.adapter is None
    assert again.text == base
    # and the adapter's output is itself reproducible after switching away and back
    assert runtime.chat(ask, adapter="test-tiny", max_tokens=20, **GREEDY).text == tuned.text


def test_switch_never_reuses_a_state_computed_under_other_weights(runtime: Runtime):
    ask = [{"role": "system", "content": "Be brief. " * 30}, {"role": "user", "content": "Hi"}]
    runtime.chat(ask, max_tokens=2, **GREEDY)
    prefix = runtime.chat(ask, max_tokens=2, **GREEDY).stats.cached_tokens
    assert prefix > 100
    switched = runtime.chat(ask, adapter="test-tiny", max_tokens=2, **GREEDY)
    assert switched.stats.cached_tokens < prefix // 4  # at most the chat template's first tokens


def test_each_adapter_keeps_its_own_prompt_states(runtime: Runtime):
    """Alternating operations (base / adapter) re-evaluate only what follows their own cached prefix,
    and a restored state gives exactly the output of a fresh evaluation."""
    system = {"role": "system", "content": "Answer in one word. " * 25}
    base_first = runtime.chat([system, {"role": "user", "content": "Colour of grass?"}], max_tokens=6, **GREEDY)
    tuned_first = runtime.chat([system, {"role": "user", "content": "Colour of grass?"}], adapter="test-tiny",
                               max_tokens=6, **GREEDY)
    base_again = runtime.chat([system, {"role": "user", "content": "Colour of grass?"}], max_tokens=6, **GREEDY)
    assert base_again.stats.cached_tokens >= base_first.stats.prompt_tokens - 1
    assert base_again.text == base_first.text
    tuned_again = runtime.chat([system, {"role": "user", "content": "Colour of snow?"}], adapter="test-tiny",
                               max_tokens=6, **GREEDY)
    assert tuned_again.stats.cached_tokens > 100
    assert tuned_again.stats.cached_tokens < tuned_again.stats.prompt_tokens
    fresh = Runtime.from_registry("fast", n_ctx=2048, prompt_cache_mb=0)
    try:
        reference = fresh.chat([system, {"role": "user", "content": "Colour of snow?"}], adapter="test-tiny",
                               max_tokens=6, **GREEDY)
    finally:
        fresh.close()
    assert tuned_again.text == reference.text
    assert tuned_first.stats.adapter == "test-tiny"
    # cached states carry no logits buffer (llama-cpp-python copies n_batch x n_vocab floats, 311 MB
    # here, into every state outside the cache's budget): one row each
    states = [st for cache in runtime._prompt_caches.values() for st in cache.cache_state.values()]
    assert len(states) >= 3 and all(st.scores.shape[0] == 1 for st in states)


def test_adapter_scale_zero_equals_base(runtime: Runtime):
    ask = [{"role": "user", "content": "What is 2 + 2?"}]
    base = runtime.chat(ask, max_tokens=12, **GREEDY).text
    assert runtime.chat(ask, adapter="test-tiny", scale=0.0, max_tokens=12, **GREEDY).text == base


def test_unknown_adapter_and_settings_are_refused(runtime: Runtime):
    with pytest.raises(LLMError, match="no adapter 'nope'"):
        runtime.chat(QUESTION, adapter="nope")
    with pytest.raises(LLMError, match="unknown sampling setting"):
        runtime.chat(QUESTION, temprature=0.1)
    with pytest.raises(LLMError, match="unknown load setting"):
        Runtime.from_registry("fast", n_ctxx=10)
    with pytest.raises(LLMError, match="messages\\[0\\]"):
        runtime.chat([{"role": "wizard", "content": "hi"}])


def test_concurrent_callers_are_serialised(runtime: Runtime):
    prompts = [[{"role": "user", "content": f"Count from {i} to {i + 3}."}] for i in range(3)]
    expected = [runtime.chat(p, max_tokens=16, **GREEDY).text for p in prompts]
    got: dict[int, str] = {}

    def worker(i: int) -> None:
        got[i] = runtime.chat(prompts[i], max_tokens=16, **GREEDY).text

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[i] for i in range(3)] == expected


def test_adapter_for_another_base_fails_clearly(tmp_path: Path):
    _model_or_skip("fast")
    import shutil

    reg = load_registry()
    spec = reg.get("fast")
    src = Runtime(spec)  # only to find the committed adapter
    from localmem.llm import adapters_dir

    adapter = adapters_dir() / spec.adapter("test-tiny").path
    shutil.copy(adapter, tmp_path / "a.gguf")
    (tmp_path / "manifest.json").write_text(json.dumps({"base_model": {"name": "other", "sha256": "f" * 64}}))
    other = spec.model_copy(update={"adapters": [spec.adapter("test-tiny").model_copy(
        update={"path": tmp_path / "a.gguf"})]})
    with pytest.raises(LLMError, match="was trained for base model 'other'"):
        Runtime(other, n_ctx=512).load()
    del src


def test_base_model_without_template_completes_but_refuses_chat():
    _model_or_skip("tiny")
    with Runtime.from_registry("tiny", n_ctx=512) as rt:
        with pytest.raises(LLMError, match="no chat template"):
            rt.chat(QUESTION)
        out = rt.complete("The capital of France is", max_tokens=5, **GREEDY)
        assert out.text.strip()
        assert out.stats.completion_tokens > 0
