"""The shipped memory adapters (adapters/qwen2.5-coder-0.5b-instruct/<operation>.gguf) and their manifest.

Unit tests check the files against the manifest and that an adapter refuses a different base. The
``llm`` test runs the extract adapter on the real Qwen2.5-Coder-0.5B with the pipeline's short
prompt, on a held-out synthetic turn and on hand-written messages.
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
MEMORY_OPS = ("extract", "update", "answer")
SHIPPED = {name: e for name, e in MANIFEST["adapters"].items() if e["operation"] in MEMORY_OPS}


def test_the_extract_adapter_ships():
    assert "extract" in SHIPPED, "adapters/qwen2.5-coder-0.5b-instruct/extract.gguf is not in the manifest"


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
    assert training["data"]["train_file"] == f"train/{entry['operation']}.jsonl"


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
@pytest.mark.xfail(strict=True, reason="the first-cycle extract adapter (step 28 of 64) answers "
                   "{\"memories\": []} to almost everything; see BENCHMARKS.md 'Memory adapters'")
def test_extract_adapter_extracts_with_the_short_prompt():
    from localmem.llm import Runtime
    from localmem.ops import extract as extract_op

    registry = load_registry()
    spec = registry.get("fast").model_copy(update={"adapters": [
        AdapterSpec(name="extract", path=Path("qwen2.5-coder-0.5b-instruct/extract.gguf"), operation="extract")]})
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
