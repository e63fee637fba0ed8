"""The shipped memory adapters (adapters/qwen2.5-coder-0.5b-instruct/<operation>.gguf) and their manifest.

Unit tests check the files against the manifest and that an adapter refuses a different base. The
``llm`` tests run each adapter on the real Qwen2.5-Coder-0.5B with the pipeline's short prompt, on
hand-written messages. They take the adapter the registry maps to the operation (the shipped file,
unless ``LOCALMEM_MODELS_TOML`` names a candidate: adapters/README.md, "Replacing a shipped adapter").
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from localmem.adapters import ADAPTERS_DIR
from localmem.config import AdapterSpec
from localmem.llm import LLMError, check_adapter_base
from localmem.registry import load_registry

BASE_DIR = ADAPTERS_DIR / "qwen2.5-coder-0.5b-instruct"
MANIFEST = json.loads((BASE_DIR / "manifest.json").read_text())
MEMORY_OPS = ("extract", "extract-group", "update", "answer")
SHIPPED = {name: e for name, e in MANIFEST["adapters"].items() if e["operation"] in MEMORY_OPS}


def fast_with(operation: str):
    """The ``fast`` model with only the adapter models.toml (merged with any overlay) maps to
    ``operation``, named after the operation."""
    fast = load_registry().get("fast")
    adapter = fast.adapter_for(operation)
    assert adapter is not None, f"models.toml maps no adapter to {operation!r} for the fast model"
    return fast.model_copy(update={"adapters": [adapter.model_copy(update={"name": operation})]})


@pytest.mark.parametrize("operation", MEMORY_OPS)
def test_the_memory_adapters_ship(operation: str):
    assert operation in SHIPPED, f"adapters/qwen2.5-coder-0.5b-instruct/{operation}.gguf is not in the manifest"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_adapter_file_matches_manifest_and_is_small(name: str):
    entry = SHIPPED[name]
    path = BASE_DIR / entry["file"]
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert len(data) == entry["size"] <= 25 * 2**20
    assert entry["dtype"] == "f16" and entry["architecture"] == "qwen2"
    training = entry["training"]
    for key in ("data_sha256", "rank", "lora_alpha", "learning_rate", "batch_size", "steps", "losses", "data"):
        assert key in training, f"manifest entry {name} lacks training.{key}"
    assert training["data"]["train_file"] == f"train/{training['operation']}.jsonl"


def test_the_group_extract_adapter_is_an_extract_adapter_trained_further_on_group_chats():
    """``extract-group`` (the pipeline's adapter for turns that name their speaker) was trained as
    an extract adapter, continued from the one-user file's lineage with group-chat batches."""
    entry = SHIPPED["extract-group"]
    training = entry["training"]
    assert training["operation"] == "extract" and entry["operation"] == "extract-group"
    assert any(name.startswith("extract-groupchat") for name in training["data"]["extra_files"])
    assert entry["sha256"] != SHIPPED["extract"]["sha256"]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_adapter_refuses_another_base_model(name: str):
    registry = load_registry()
    entry = SHIPPED[name]
    spec = AdapterSpec(name=name, path=Path("qwen2.5-coder-0.5b-instruct") / entry["file"], operation=entry["operation"])
    check_adapter_base(spec, BASE_DIR / entry["file"], registry.get("fast"))  # its own base: accepted
    with pytest.raises(LLMError, match="was trained for base model 'qwen2.5-coder-0.5b-instruct-q4_k_m'"):
        check_adapter_base(spec, BASE_DIR / entry["file"], registry.get("quality"))


def test_registry_maps_operations_to_shipped_adapters():
    fast = load_registry().get("fast")
    for adapter in fast.adapters:
        if adapter.operation in MEMORY_OPS:
            assert (ADAPTERS_DIR / adapter.path).is_file()
            assert adapter.name in SHIPPED and SHIPPED[adapter.name]["operation"] == adapter.operation


@pytest.mark.llm
def test_extract_adapter_extracts_with_the_short_prompt():
    """A move said together with a pet keeps all three facts (the extract adapters before the
    seventh run dropped the pet: 'I moved to Lyon last month and my dog is called Pretzel')."""
    from localmem.llm import Runtime
    from localmem.ops import extract as extract_op

    spec = fast_with("extract")
    with Runtime(spec, n_threads=2).load() as rt:
        res = extract_op.extract(rt, [{"role": "user", "content": "I moved to Lyon last month and my dog is called "
                                       "Pretzel. what's a good name for a goldfish?"}],
                                 today=date(2024, 5, 8), adapter="extract", prompt="short")
        assert res.ok, res.error
        texts = " | ".join(m.text for m in res.value.memories)
        assert "Lyon" in texts and "Pretzel" in texts, texts
        assert all(m.text.startswith("User") for m in res.value.memories), texts
        assert res.attempts[0].stats.prompt_tokens < 80  # the short prompt: no instructions, no examples

        small_talk = extract_op.extract(rt, [{"role": "user", "content": "haha ok thanks, that's helpful"}],
                                        today=date(2024, 5, 8), adapter="extract", prompt="short")
        assert small_talk.ok and small_talk.value.memories == []


@pytest.mark.llm
def test_group_extract_adapter_keeps_the_details_a_friend_tells():
    """What the group adapter is for: a happening told to a friend keeps what was made (the one-user
    file, run 11, wrote "User went to the pottery workshop on 2024-05-07" | "User's hobby is pottery",
    without the bowl; the shipped group file, run 15f, adds "User's children made a bowl of pottery"
    and still drops the blue fish, which run 16f kept)."""
    from localmem.llm import Runtime
    from localmem.ops import extract as extract_op

    spec = fast_with("extract-group")
    with Runtime(spec, n_threads=2).load() as rt:
        res = extract_op.extract(rt, [{"role": "user", "content": "Yesterday I took my kids to the pottery workshop "
                                       "downtown, we each made a bowl and mine has little blue fish painted on it."}],
                                 today=date(2024, 5, 8), context=[{"role": "assistant", "content": "How was your week?"}],
                                 adapter="extract-group", prompt="short")
        assert res.ok, res.error
        texts = " | ".join(m.text for m in res.value.memories)
        assert "pottery" in texts and "bowl" in texts, texts
        assert all(m.text.startswith("User") for m in res.value.memories), texts


@pytest.mark.llm
def test_update_adapter_decides_with_the_short_prompt():
    from localmem.llm import Runtime
    from localmem.ops import update as update_op

    spec = fast_with("update")

    def decide(rt, candidate: str, existing: list[str]) -> update_op.UpdateDecision:
        shown = [update_op.Neighbour(memory_id=f"m{i}", text=t, date="2024-05-01") for i, t in enumerate(existing)]
        res = update_op.ask(rt, update_op.build_messages(candidate, shown, "short"), adapter="update", compact=True)
        assert res.ok, res.error
        assert res.attempts[0].stats.prompt_tokens < 120  # no instructions in the prompt
        assert res.attempts[0].raw.startswith("[")  # the compact form
        assert res.attempts[0].stats.completion_tokens <= 8
        return res.value

    with Runtime(spec, n_threads=2).load() as rt:
        moved = decide(rt, "User lives in Berlin", ["User lives in Lyon", "User has a cat named Miso"])
        assert (moved.event, moved.id) == ("SUPERSEDE", 0), moved
        known = decide(rt, "User's cat is named Miso", ["User has a cat named Miso", "User lives in Lyon"])
        assert (known.event, known.id) == ("NONE", 0), known
        new = decide(rt, "User's sister is named Ana", ["User has a brother named Tom", "User lives in Lyon"])
        assert new.event == "ADD", new


@pytest.mark.llm
def test_answer_adapter_answers_from_memory_abstains_and_still_helps():
    from localmem.adapters.teacher import verdict
    from localmem.llm import Runtime
    from localmem.ops import answer as answer_op

    spec = fast_with("answer")  # a missing file fails at load, with its path
    memories = [answer_op.MemoryLine(text="User's dog is a beagle named Rex", when=date(2024, 4, 2)),
                answer_op.MemoryLine(text="User takes the dog to the park every morning", when=date(2024, 4, 2)),
                answer_op.MemoryLine(text="User works as a nurse in Lyon", when=date(2024, 3, 11))]

    def reply(rt, question: str) -> tuple[str, str | None, int]:
        messages = answer_op.build_messages(question, memories, today=date(2024, 5, 8), prompt="short")
        res = rt.chat(messages, adapter="answer", temperature=0.0, max_tokens=220)
        return res.text, res.finish_reason, res.stats.prompt_tokens

    with Runtime(spec, n_threads=2).load() as rt:
        text, _, prompt_tokens = reply(rt, "What's my dog called?")
        assert "Rex" in text, text
        assert prompt_tokens < 120  # the short prompt: memories and question, no instructions
        # wordings the synthetic probes of generators 1-4 never used (the adapter trained on them abstained)
        text, _, _ = reply(rt, "What breed is my dog?")
        assert "beagle" in text.lower(), text
        text, _, _ = reply(rt, "what do I do for work again?")
        assert "nurse" in text, text
        text, _, _ = reply(rt, "What is my mother's maiden name?")
        lowered = text.lower()
        assert any(p in lowered for p in ("don't know", "don't remember", "haven't", "no information",
                                          "not mentioned", "don't have")), text
        text, finish, _ = reply(rt, "How do I make pancakes?")
        assert verdict(text, finish) is None and len(text.split()) >= 15, text  # helpful, not a refusal
