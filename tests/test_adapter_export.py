"""Tests of the GGUF LoRA exporter (localmem.adapters.export_gguf) and the shipped test-tiny adapter.

The unit tests need numpy, safetensors and gguf only: they build a synthetic peft directory and a
synthetic (tiny, float32) qwen2 "base" GGUF, so the whole export path runs without a real model.
The ``llm`` tests load the committed test-tiny.gguf onto the real Qwen2.5-Coder-0.5B base.
"""

from __future__ import annotations

import ctypes
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from localmem.adapters import ADAPTERS_DIR, adapter_path
from localmem.adapters import export_gguf as ex

BASE_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
BASE_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
TINY_DIR = ADAPTERS_DIR / "qwen2.5-coder-0.5b-instruct"
TINY = TINY_DIR / "test-tiny.gguf"

# A miniature qwen2: 2 layers, hidden 16, 4 query heads and 2 kv heads of size 4, ffn 24.
N_IN, N_KV, N_FF = 16, 8, 24
BASE_SHAPES: dict[str, tuple[int, int]] = {  # numpy (n_out, n_in) of each HF module
    "q_proj": (N_IN, N_IN), "k_proj": (N_KV, N_IN), "v_proj": (N_KV, N_IN), "o_proj": (N_IN, N_IN),
    "gate_proj": (N_FF, N_IN), "up_proj": (N_FF, N_IN), "down_proj": (N_IN, N_FF),
}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def peft_key(layer: int, module: str, part: str) -> str:
    group = "self_attn" if module in ("q_proj", "k_proj", "v_proj", "o_proj") else "mlp"
    return f"base_model.model.model.layers.{layer}.{group}.{module}.lora_{part}.weight"


def fake_state(modules: tuple[str, ...], rank: int = 2, layers: int = 2, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    state: dict[str, np.ndarray] = {}
    for layer in range(layers):
        for m in modules:
            n_out, n_in = BASE_SHAPES[m]
            state[peft_key(layer, m, "A")] = rng.standard_normal((rank, n_in)).astype(np.float32)
            state[peft_key(layer, m, "B")] = rng.standard_normal((n_out, rank)).astype(np.float32)
    return state


def fake_header(arch: str = "qwen2", layers: int = 2) -> ex.GGUFHeader:
    header = ex.GGUFHeader(fields={
        "general.architecture": arch,
        f"{arch}.attention.head_count": 4,
        f"{arch}.attention.head_count_kv": 2,
    })
    for layer in range(layers):
        for m, (n_out, n_in) in BASE_SHAPES.items():
            header.tensors[ex.gguf_base_name(layer, m)] = (n_in, n_out)  # ggml ne order
    return header


def lora_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "v_proj"],
        "bias": "none", "modules_to_save": None, "use_dora": False, "use_rslora": False,
        "fan_in_fan_out": False, "init_lora_weights": True, "alpha_pattern": {}, "rank_pattern": {},
    }
    config.update(overrides)
    return config


def write_fake_base(path: Path, layers: int = 2) -> Path:
    """A tiny float32 qwen2 'model' GGUF with the right tensor names and shapes."""
    import gguf

    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_name("fake-qwen2")
    writer.add_uint32("qwen2.attention.head_count", 4)
    writer.add_uint32("qwen2.attention.head_count_kv", 2)
    writer.add_array("tokenizer.ggml.tokens", ["a", "bb", "ccc"])  # arrays must be skipped
    for layer in range(layers):
        for m, (n_out, n_in) in BASE_SHAPES.items():
            writer.add_tensor(ex.gguf_base_name(layer, m), np.zeros((n_out, n_in), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_fake_peft(directory: Path, state: dict[str, np.ndarray], config: dict[str, Any]) -> Path:
    from safetensors.numpy import save_file

    directory.mkdir(parents=True, exist_ok=True)
    save_file(state, str(directory / "adapter_model.safetensors"))
    (directory / "adapter_config.json").write_text(json.dumps(config))
    return directory


# --------------------------------------------------------------------------------------------
# tensor-name mapping
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "gguf_name"),
    [
        ("q_proj", "attn_q"), ("k_proj", "attn_k"), ("v_proj", "attn_v"), ("o_proj", "attn_output"),
        ("gate_proj", "ffn_gate"), ("up_proj", "ffn_up"), ("down_proj", "ffn_down"),
    ],
)
@pytest.mark.parametrize("part", ["A", "B"])
def test_map_peft_key(module: str, gguf_name: str, part: str) -> None:
    assert ex.map_peft_key(peft_key(11, module, part)) == f"blk.11.{gguf_name}.weight.lora_{part.lower()}"


def test_map_peft_key_without_peft_prefix() -> None:
    assert ex.map_peft_key("model.layers.0.self_attn.q_proj.lora_A.weight") == "blk.0.attn_q.weight.lora_a"


def test_parse_peft_key_fields() -> None:
    assert ex.parse_peft_key(peft_key(3, "down_proj", "B")) == ex.LoraKey(3, "down_proj", "B")


@pytest.mark.parametrize(
    "key",
    [
        "base_model.model.model.embed_tokens.weight",
        "base_model.model.lm_head.weight",
        "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector",
        "base_model.model.model.layers.0.self_attn.q_proj.base_layer.weight",
    ],
)
def test_unsupported_tensor_is_named(key: str) -> None:
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        ex.parse_peft_key(key)


def test_unknown_module_is_named() -> None:
    with pytest.raises(ValueError, match="qkv_proj"):
        ex.parse_peft_key("base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight")


# --------------------------------------------------------------------------------------------
# config validation
# --------------------------------------------------------------------------------------------


def test_plain_config_is_valid() -> None:
    ex.validate_lora_config(lora_config())


def test_modules_to_save_is_rejected_by_name() -> None:
    with pytest.raises(ValueError, match="modules_to_save.*lm_head"):
        ex.validate_lora_config(lora_config(modules_to_save=["lm_head"]))


def test_unknown_target_module_is_rejected_by_name() -> None:
    with pytest.raises(ValueError, match="c_attn"):
        ex.validate_lora_config(lora_config(target_modules=["q_proj", "c_attn"]))


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"use_dora": True}, "use_dora"),
        ({"bias": "all"}, "bias"),
        ({"alpha_pattern": {"q_proj": 16}}, "alpha_pattern"),
        ({"init_lora_weights": "pissa"}, "pissa"),
        ({"peft_type": "IA3"}, "IA3"),
    ],
)
def test_unsupported_settings_are_rejected(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ex.validate_lora_config(lora_config(**overrides))


# --------------------------------------------------------------------------------------------
# tensors
# --------------------------------------------------------------------------------------------


def test_build_lora_tensors_names_order_and_shapes() -> None:
    modules = tuple(BASE_SHAPES)
    state = fake_state(modules)
    out = ex.build_lora_tensors(state, lora_config(target_modules=list(modules)), fake_header())
    expected = [
        f"blk.{layer}.{ex.HF_TO_GGUF_MODULE[m]}.weight.lora_{p}"
        for layer in range(2) for m in modules for p in ("a", "b")
    ]
    assert list(out) == expected
    for layer in range(2):
        for m in modules:
            base = ex.gguf_base_name(layer, m)
            np.testing.assert_array_equal(out[f"{base}.lora_a"], state[peft_key(layer, m, "A")])
            np.testing.assert_array_equal(out[f"{base}.lora_b"], state[peft_key(layer, m, "B")])


def test_build_lora_tensors_rejects_wrong_shapes() -> None:
    state = fake_state(("q_proj",))
    state[peft_key(0, "q_proj", "A")] = np.zeros((2, N_IN + 1), np.float32)
    with pytest.raises(ValueError, match=r"blk\.0\.attn_q\.weight"):
        ex.build_lora_tensors(state, lora_config(), fake_header())


def test_build_lora_tensors_rejects_layer_missing_from_base() -> None:
    state = fake_state(("v_proj",), layers=3)
    with pytest.raises(ValueError, match=r"blk\.2\.attn_v\.weight.*does not exist"):
        ex.build_lora_tensors(state, lora_config(), fake_header(layers=2))


def test_build_lora_tensors_rejects_half_a_pair() -> None:
    state = fake_state(("q_proj",))
    del state[peft_key(1, "q_proj", "B")]
    with pytest.raises(ValueError, match=r"blk\.1\.attn_q\.weight lacks lora_B"):
        ex.build_lora_tensors(state, lora_config(), fake_header())


def test_build_lora_tensors_rejects_unknown_arch() -> None:
    with pytest.raises(ValueError, match="mamba"):
        ex.build_lora_tensors(fake_state(("q_proj",)), lora_config(), fake_header(arch="mamba"))


def test_rslora_scale_is_folded_into_b() -> None:
    state = fake_state(("q_proj",), rank=4)
    out = ex.build_lora_tensors(state, lora_config(r=4, use_rslora=True), fake_header())
    # peft: alpha/sqrt(r); llama.cpp: alpha/r  =>  B must carry a factor sqrt(r) = 2.
    np.testing.assert_allclose(out["blk.0.attn_q.weight.lora_b"], 2.0 * state[peft_key(0, "q_proj", "B")], rtol=1e-6)


def test_llama_permutation_matches_permuting_the_full_delta() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, N_IN)).astype(np.float32)
    b = rng.standard_normal((N_IN, 2)).astype(np.float32)
    n_head = 4

    def permute_full(w: np.ndarray) -> np.ndarray:  # llama.cpp's LlamaModel.permute
        return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)

    np.testing.assert_allclose(ex.permute_llama_rows(b, n_head) @ a, permute_full(b @ a), rtol=1e-6)


def test_llama_arch_permutes_q_and_k_only() -> None:
    modules = ("q_proj", "k_proj", "v_proj")
    state = fake_state(modules)
    out = ex.build_lora_tensors(state, lora_config(target_modules=list(modules)), fake_header(arch="llama"))
    qb, kb, vb = (state[peft_key(0, m, "B")] for m in modules)
    np.testing.assert_array_equal(out["blk.0.attn_q.weight.lora_b"], ex.permute_llama_rows(qb, 4))
    np.testing.assert_array_equal(out["blk.0.attn_k.weight.lora_b"], ex.permute_llama_rows(kb, 2))
    np.testing.assert_array_equal(out["blk.0.attn_v.weight.lora_b"], vb)


# --------------------------------------------------------------------------------------------
# GGUF writing and the whole export path (synthetic base)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("outtype", "ggml_type"), [("f16", "F16"), ("f32", "F32")])
def test_export_end_to_end(tmp_path: Path, outtype: str, ggml_type: str) -> None:
    import gguf

    base = write_fake_base(tmp_path / "fake-base.gguf")
    state = fake_state(("q_proj", "v_proj", "down_proj"))
    peft_dir = write_fake_peft(tmp_path / "peft", state, lora_config(target_modules=["q_proj", "v_proj", "down_proj"]))
    out = tmp_path / "adapters" / "tiny.gguf"
    result = ex.export_peft_to_gguf(
        peft_dir, base, out, name="tiny", operation="test", outtype=outtype, training={"steps": 3}  # type: ignore[arg-type]
    )

    reader = gguf.GGUFReader(str(out))
    fields = {k: f.contents() for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    assert fields["general.type"] == "adapter"
    assert fields["general.architecture"] == "qwen2"
    assert fields["adapter.type"] == "lora"
    assert fields["adapter.lora.alpha"] == pytest.approx(4.0)
    tensors = {t.name: t for t in reader.tensors}
    assert len(tensors) == result.n_tensors == 12
    qa, qb = tensors["blk.0.attn_q.weight.lora_a"], tensors["blk.0.attn_q.weight.lora_b"]
    assert [int(x) for x in qa.shape] == [N_IN, 2]  # ggml ne: [n_in, r]
    assert [int(x) for x in qb.shape] == [2, N_IN]  # ggml ne: [r, n_out]
    assert [int(x) for x in tensors["blk.1.ffn_down.weight.lora_a"].shape] == [N_FF, 2]
    assert {t.tensor_type.name for t in reader.tensors} == {ggml_type}
    np.testing.assert_allclose(
        np.asarray(qa.data, np.float32).reshape(2, N_IN), state[peft_key(0, "q_proj", "A")], rtol=1e-3
    )

    manifest = json.loads((out.parent / "manifest.json").read_text())
    assert manifest["base_model"] == {"name": "fake-base", "sha256": ex.sha256_file(base)}
    entry = manifest["adapters"]["tiny"]
    assert entry["file"] == "tiny.gguf" and entry["operation"] == "test"
    assert entry["sha256"] == ex.sha256_file(out) == result.sha256
    assert entry["dtype"] == outtype and entry["rank"] == 2
    assert entry["training"] == {"steps": 3}
    assert not list(out.parent.glob(".*tmp"))  # no temp files left behind


def test_export_cli_reports_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_fake_base(tmp_path / "fake-base.gguf")
    peft_dir = write_fake_peft(tmp_path / "peft", fake_state(("q_proj",)), lora_config(modules_to_save=["lm_head"]))
    rc = ex.main([
        "--peft-dir", str(peft_dir), "--base-gguf", str(base), "--out", str(tmp_path / "x.gguf"),
        "--name", "x", "--operation", "test",
    ])
    assert rc == 2
    assert "modules_to_save" in capsys.readouterr().err
    assert not (tmp_path / "x.gguf").exists()


def test_read_gguf_header_skips_arrays(tmp_path: Path) -> None:
    header = ex.read_gguf_header(write_fake_base(tmp_path / "b.gguf"))
    assert header.architecture == "qwen2"
    assert header.fields["qwen2.attention.head_count_kv"] == 2
    assert "tokenizer.ggml.tokens" not in header.fields
    assert header.tensors["blk.1.ffn_down.weight"] == (N_FF, N_IN)


def test_read_gguf_header_rejects_other_files(tmp_path: Path) -> None:
    bogus = tmp_path / "x.gguf"
    bogus.write_bytes(b"NOTGGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a GGUF"):
        ex.read_gguf_header(bogus)


# --------------------------------------------------------------------------------------------
# manifest
# --------------------------------------------------------------------------------------------

SHA_A, SHA_B = "a" * 64, "b" * 64


def test_update_manifest_creates_and_is_pure() -> None:
    entry = ex.make_adapter_entry(file="x.gguf", operation="extract", sha256=SHA_A)
    manifest = ex.update_manifest(None, base_name="base", base_sha256=SHA_B, adapter_name="x", entry=entry)
    assert manifest == {
        "base_model": {"name": "base", "sha256": SHA_B},
        "adapters": {"x": {"file": "x.gguf", "operation": "extract", "sha256": SHA_A}},
    }
    entry2 = ex.make_adapter_entry(file="a.gguf", operation="update", sha256=SHA_A, training={"steps": 5})
    updated = ex.update_manifest(manifest, base_name="base", base_sha256=SHA_B, adapter_name="a", entry=entry2)
    assert list(updated["adapters"]) == ["a", "x"]  # sorted, the other adapter kept
    assert updated["adapters"]["a"]["training"] == {"steps": 5}
    assert list(manifest["adapters"]) == ["x"]  # input not mutated


def test_update_manifest_replaces_an_entry() -> None:
    old = ex.make_adapter_entry(file="x.gguf", operation="extract", sha256=SHA_A)
    new = ex.make_adapter_entry(file="x.gguf", operation="extract", sha256=SHA_B)
    m = ex.update_manifest(None, base_name="b", base_sha256=SHA_B, adapter_name="x", entry=old)
    m = ex.update_manifest(m, base_name="b", base_sha256=SHA_B, adapter_name="x", entry=new)
    assert m["adapters"]["x"]["sha256"] == SHA_B


def test_update_manifest_refuses_another_base() -> None:
    entry = ex.make_adapter_entry(file="x.gguf", operation="extract", sha256=SHA_A)
    m = ex.update_manifest(None, base_name="b", base_sha256=SHA_B, adapter_name="x", entry=entry)
    with pytest.raises(ValueError, match="one directory per base model"):
        ex.update_manifest(m, base_name="other", base_sha256=SHA_A, adapter_name="y", entry=entry)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"file": "sub/x.gguf", "sha256": SHA_A}, "bare file name"),
        ({"file": "x.gguf", "sha256": "ABC"}, "sha256"),
    ],
)
def test_make_adapter_entry_validates(kwargs: dict[str, str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ex.make_adapter_entry(operation="test", **kwargs)


def test_manifest_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "d" / "manifest.json"
    assert ex.load_manifest(path) is None
    entry = ex.make_adapter_entry(file="x.gguf", operation="t", sha256=SHA_A)
    m = ex.update_manifest(None, base_name="b", base_sha256=SHA_B, adapter_name="x", entry=entry)
    ex.save_manifest(path, m)
    assert ex.load_manifest(path) == m
    assert path.read_text().endswith("}\n")


# --------------------------------------------------------------------------------------------
# the committed adapter and its manifest
# --------------------------------------------------------------------------------------------


def test_adapter_path_resolves_inside_package() -> None:
    assert adapter_path("qwen2.5-coder-0.5b-instruct/test-tiny.gguf") == TINY.resolve()
    for bad in ("../pyproject.toml", "/etc/passwd", ""):
        with pytest.raises(ValueError):
            adapter_path(bad)


def test_committed_manifest_matches_test_tiny() -> None:
    manifest = json.loads((TINY_DIR / "manifest.json").read_text())
    assert manifest["base_model"] == {"name": "qwen2.5-coder-0.5b-instruct-q4_k_m", "sha256": BASE_SHA256}
    entry = manifest["adapters"]["test-tiny"]
    assert entry["file"] == TINY.name and entry["operation"] == "test"
    assert entry["sha256"] == ex.sha256_file(TINY)
    assert TINY.stat().st_size < 5 * 1024 * 1024
    training = entry["training"]
    for key in ("steps", "seed", "data_sha256", "date", "final_loss", "rank", "lora_alpha", "learning_rate"):
        assert key in training
    from localmem.adapters import train_tiny

    # The committed adapter was trained on the data train_tiny builds today (else regenerate it).
    assert training["data_sha256"] == train_tiny.data_sha256(train_tiny.training_examples())


def test_committed_test_tiny_fits_the_base_shapes() -> None:
    """test-tiny.gguf's tensors pair up and fit Qwen2.5-0.5B's shapes (hidden 896, kv 128, 24 layers)."""
    header = ex.read_gguf_header(TINY)
    assert header.fields["general.type"] == "adapter" and header.fields["adapter.type"] == "lora"
    assert header.architecture == "qwen2"
    names = set(header.tensors)
    assert len(names) == 24 * 2 * 2
    for layer in range(24):
        q_a, q_b = header.tensors[f"blk.{layer}.attn_q.weight.lora_a"], header.tensors[f"blk.{layer}.attn_q.weight.lora_b"]
        v_a, v_b = header.tensors[f"blk.{layer}.attn_v.weight.lora_a"], header.tensors[f"blk.{layer}.attn_v.weight.lora_b"]
        rank = q_a[1]
        assert (q_a, q_b) == ((896, rank), (rank, 896))
        assert (v_a, v_b) == ((896, rank), (rank, 128))


# --------------------------------------------------------------------------------------------
# real model: hot-swapping test-tiny on the 0.5B base (llama.cpp)
# --------------------------------------------------------------------------------------------

PROMPTS = (
    "What is the capital of Italy?",
    "How many wheels does a bicycle have?",
    "Write one sentence about the sea.",
)


def _base_model_path() -> Path:
    models = Path(os.environ.get("LOCALMEM_MODELS_DIR") or Path.home() / ".cache/localmem/models")
    for candidate in (models / BASE_FILE, models / "fast" / BASE_FILE):
        if candidate.is_file():
            return candidate
    pytest.skip(f"base model {BASE_FILE} not found under {models}")


@pytest.fixture(scope="module")
def llm() -> Iterator[Any]:
    llama_cpp = pytest.importorskip("llama_cpp")
    model = llama_cpp.Llama(
        model_path=str(_base_model_path()), n_ctx=512, n_threads=2, n_batch=256, seed=0, verbose=False
    )
    yield model
    model.close()


def _greedy(llm: Any, prompt: str, max_tokens: int = 24) -> str:
    out = llm.create_chat_completion(
        messages=[{"role": "user", "content": prompt}], temperature=0.0, top_k=1, max_tokens=max_tokens, seed=0
    )
    return str(out["choices"][0]["message"]["content"])


def _set_adapter(llm: Any, handle: Any | None) -> None:
    import llama_cpp

    if handle is None:
        rc = llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, None, 0, None)
    else:
        adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(handle)
        scales = (ctypes.c_float * 1)(1.0)
        rc = llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, adapters, 1, scales)
    assert rc == 0
    llm.reset()  # the prompt cache was computed under the previous adapter


@pytest.mark.llm
def test_hot_swap_changes_greedy_output_and_switching_back_restores_it(llm: Any) -> None:
    import llama_cpp

    handle = llama_cpp.llama_adapter_lora_init(llm._model.model, str(TINY).encode())
    assert handle, "llama.cpp refused test-tiny.gguf"
    base = {p: _greedy(llm, p) for p in PROMPTS}
    _set_adapter(llm, handle)
    adapted = {p: _greedy(llm, p) for p in PROMPTS}
    _set_adapter(llm, None)
    restored = {p: _greedy(llm, p) for p in PROMPTS}

    for p in PROMPTS:
        assert adapted[p] != base[p], p
        assert adapted[p].startswith("Ahoy"), adapted[p]
        assert not base[p].startswith("Ahoy"), base[p]
    assert restored == base


# --------------------------------------------------------------------------------------------
# train_tiny helpers (tiny random model; no base GGUF needed)
# --------------------------------------------------------------------------------------------


def test_answer_loss_equals_the_full_causal_lm_loss() -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from localmem.adapters import train_tiny

    torch.manual_seed(0)
    config = transformers.Qwen2Config(
        vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
    )
    model = transformers.Qwen2ForCausalLM(config).eval()
    encoded = [([5, 6, 7, 8, 9], [-100, -100, -100, 8, 9]), ([1, 2, 3], [-100, 2, 3])]
    batch = train_tiny.make_batch(encoded, pad_id=0)
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
    with torch.no_grad():
        expected = model(**batch).loss
        got = train_tiny.answer_loss(model, batch)
    assert torch.allclose(got, expected, atol=1e-6)


def test_batch_order_is_seeded_and_covers_every_example() -> None:
    from localmem.adapters import train_tiny

    cfg = train_tiny.TrainConfig(steps=12, batch_size=8, seed=7)
    order = train_tiny.batch_order(48, cfg)
    assert order == train_tiny.batch_order(48, cfg)
    assert len(order) == 12 and all(len(b) == 8 for b in order)
    assert sorted(i for b in order[:6] for i in b) == list(range(48))  # first epoch is a permutation


def test_training_data_all_start_with_the_prefix() -> None:
    from localmem.adapters import train_tiny

    examples = train_tiny.training_examples()
    assert 32 <= len(examples) <= 64
    assert all(ex[-1]["role"] == "assistant" and ex[-1]["content"].startswith("Ahoy! ") for ex in examples)
    assert len(train_tiny.data_sha256(examples)) == 64
