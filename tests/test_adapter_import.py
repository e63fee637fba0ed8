"""Reading GGUF LoRA adapters back (adapters/import_gguf.py) and continuing training from one.

The round trip is checked on synthetic tensors (export then import), on the committed extract
adapter (its shape and its manifest history), and through a real peft model: a tiny random Qwen2
whose LoRA weights, set from a GGUF file by ``train._load_adapter_file``, equal the ones exported.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from localmem.adapters import ADAPTERS_DIR
from localmem.adapters import export_gguf as ex
from localmem.adapters import import_gguf as im

from tests.test_adapter_export import fake_state, lora_config, peft_key, write_fake_base, write_fake_peft

SHIPPED = ADAPTERS_DIR / "qwen2.5-coder-0.5b-instruct"


def export(tmp_path: Path, outtype: str = "f32", modules: tuple[str, ...] = ("q_proj", "v_proj", "down_proj"),
           training: dict[str, Any] | None = None) -> tuple[Path, dict[str, np.ndarray]]:
    base = write_fake_base(tmp_path / "fake-base.gguf")
    state = fake_state(modules)
    peft_dir = write_fake_peft(tmp_path / "peft", state, lora_config(target_modules=list(modules)))
    out = tmp_path / "adapters" / "tiny.gguf"
    ex.export_peft_to_gguf(peft_dir, base, out, name="tiny", operation="extract", outtype=outtype,  # type: ignore[arg-type]
                           training=training or {"steps": 3})
    return out, state


@pytest.mark.parametrize(("outtype", "rtol"), [("f32", 0.0), ("f16", 1e-3)])
def test_round_trip_gives_back_the_exported_tensors(tmp_path: Path, outtype: str, rtol: float) -> None:
    out, state = export(tmp_path, outtype)
    lora = im.read_lora_gguf(out)
    assert (lora.architecture, lora.alpha, lora.rank) == ("qwen2", 4.0, 2)
    assert lora.modules == ("q_proj", "v_proj", "down_proj") and lora.layers == (0, 1)
    assert set(lora.state) == set(state)
    for key, value in state.items():
        assert lora.state[key].shape == value.shape and lora.state[key].dtype == np.float32
        np.testing.assert_allclose(lora.state[key], value, rtol=rtol, atol=1e-3 if rtol else 0.0)


def test_a_model_file_is_not_an_adapter(tmp_path: Path) -> None:
    base = write_fake_base(tmp_path / "fake-base.gguf")
    with pytest.raises(ValueError, match="is not a LoRA adapter"):
        im.read_lora_gguf(base)


def test_other_files_are_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a gguf at all")
    with pytest.raises(ValueError, match="junk.gguf is not a GGUF file"):
        im.read_lora_gguf(junk)
    with pytest.raises(FileNotFoundError, match="adapter not found"):
        im.read_lora_gguf(tmp_path / "missing.gguf")


def test_shape_mismatch_names_each_difference(tmp_path: Path) -> None:
    out, _ = export(tmp_path)
    lora = im.read_lora_gguf(out)
    assert im.shape_mismatch(lora, rank=2, lora_alpha=4.0, target_modules=("down_proj", "q_proj", "v_proj"),
                             layers=(0, 1)) is None
    msg = im.shape_mismatch(lora, rank=16, lora_alpha=32.0, target_modules=("q_proj",), layers=(0, 1, 2))
    assert msg is not None
    for part in ("rank 2 vs 16", "lora_alpha 4 vs 32", "target_modules", "layers [0, 1] vs [0, 1, 2]"):
        assert part in msg


def test_history_comes_from_the_matching_manifest_entry(tmp_path: Path) -> None:
    chain = {"checkpoint_sha256": "ab" * 32, "step": 40, "init_from": None}
    training = {"operation": "extract", "rank": 2, "lora_alpha": 4.0, "steps": 60, "seed": 9,
                "data_sha256": "cd" * 32, "final_loss_avg10": 0.07, "init_from": chain, "losses": [1.0, 0.5]}
    out, _ = export(tmp_path, training=training)
    record = im.manifest_history(out)
    assert record["adapter_file"] == "tiny.gguf" and record["adapter_sha256"] == ex.sha256_file(out)
    assert record["step"] == 60 and record["data_sha256"] == "cd" * 32 and record["final_loss_avg10"] == 0.07
    assert record["config"] == {"operation": "extract", "rank": 2, "lora_alpha": 4.0, "steps": 60, "seed": 9}
    assert record["init_from"] == chain  # the whole earlier chain is carried over

    alone = tmp_path / "elsewhere" / "tiny.gguf"  # a copy without its manifest still loads
    alone.parent.mkdir()
    shutil.copy(out, alone)
    assert im.manifest_history(alone) == {"adapter_file": "tiny.gguf", "adapter_sha256": ex.sha256_file(out),
                                          "manifest": None}


def test_the_shipped_extract_adapter_reads_back_with_its_history() -> None:
    lora = im.read_lora_gguf(SHIPPED / "extract.gguf")
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    entry = manifest["adapters"]["extract"]
    assert (lora.rank, lora.alpha) == (entry["rank"], entry["lora_alpha"])
    assert set(lora.modules) == set(entry["target_modules"]) and lora.layers == tuple(range(24))
    assert len(lora.state) == 2 * 7 * 24
    assert all(np.isfinite(v).all() for v in lora.state.values())
    record = im.manifest_history(SHIPPED / "extract.gguf")
    assert record["step"] == entry["training"]["steps"] and record["init_from"] == entry["training"]["init_from"]
    depth, link = 0, record
    while link.get("init_from"):
        depth, link = depth + 1, link["init_from"]
    assert depth >= 7  # run 11 continued seven earlier runs; a later shipped run adds links


def test_training_continues_from_a_gguf_into_a_real_peft_model(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    peft = pytest.importorskip("peft")
    from localmem.adapters import train

    torch.manual_seed(0)
    config = transformers.Qwen2Config(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
    cfg = train.TrainConfig(operation="extract", rank=2, lora_alpha=4.0, target_modules=("q_proj", "down_proj"))

    def fresh_model() -> Any:
        lc = peft.LoraConfig(r=cfg.rank, lora_alpha=cfg.lora_alpha, target_modules=list(cfg.target_modules),
                             lora_dropout=0.0, bias="none", task_type="CAUSAL_LM")
        return peft.get_peft_model(transformers.Qwen2ForCausalLM(config), lc)

    trained = fresh_model()
    with torch.no_grad():
        for p in trained.parameters():
            if p.requires_grad:
                p.copy_(torch.randn_like(p))
    state = {k: v.detach().numpy().copy() for k, v in peft.get_peft_model_state_dict(trained).items()}
    assert set(state) == {peft_key(layer, m, part) for layer in (0, 1) for m in cfg.target_modules for part in "AB"}

    header = ex.GGUFHeader(fields={"general.architecture": "qwen2"})
    for name, shape in ((ex.gguf_base_name(layer, m), (16, 16) if m == "q_proj" else (32, 16))
                        for layer in (0, 1) for m in cfg.target_modules):
        header.tensors[name] = shape  # ggml ne: [n_in, n_out]
    out = tmp_path / "extract.gguf"
    ex.write_lora_gguf(out, ex.build_lora_tensors(state, lora_config(r=2, target_modules=list(cfg.target_modules)),
                                                  header), arch="qwen2", alpha=4.0, name="extract", outtype="f32")

    model = fresh_model()
    record = train._load_adapter_file(model, out, cfg)
    got = {k: v.detach().numpy() for k, v in peft.get_peft_model_state_dict(model).items()}
    for key, value in state.items():
        np.testing.assert_array_equal(got[key], value)
    assert record == {"adapter_file": "extract.gguf", "adapter_sha256": ex.sha256_file(out), "manifest": None}

    with pytest.raises(SystemExit, match="rank 2 vs 4"):
        train._load_adapter_file(fresh_model(), out, train.TrainConfig(operation="extract", rank=4, lora_alpha=4.0,
                                                                       target_modules=cfg.target_modules))
