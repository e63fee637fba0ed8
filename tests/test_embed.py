"""The onnxruntime embedder: export, agreement with sentence-transformers, and runtime hygiene."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from localmem.embed import (
    EmbeddingModelError,
    Embedder,
    default_model_dir,
    export_key,
    onnx_dir_for,
    prepare_embedding_model,
)
from store_fixtures import SHARED_CACHE, embedder  # noqa: F401

SENTENCES = ["My sister Ana lives in Lyon.", "I'm allergic to peanuts", "ok",
             "We hiked in the Alps last summer and it rained every day."]


@pytest.fixture
def shared_cache(monkeypatch):
    monkeypatch.setenv("LOCALMEM_CACHE", str(SHARED_CACHE))


def test_vectors_are_unit_length_384_d_and_deterministic(embedder):
    a = embedder.embed(SENTENCES)
    b = embedder.embed(SENTENCES)
    assert a.shape == (4, 384) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a, b)


def test_batching_keeps_order_and_matches_single_embeddings(embedder):
    batch = embedder.embed(SENTENCES)
    singles = np.stack([embedder.embed_one(s) for s in SENTENCES])
    np.testing.assert_allclose(batch, singles, atol=1e-5)


def test_similar_sentences_are_closer_than_unrelated(embedder):
    q, near, far = embedder.embed(["Where does my sister live?", "My sister Ana lives in Lyon.",
                                   "I'm allergic to peanuts"])
    assert q @ near > q @ far + 0.2


def test_long_text_is_truncated_not_rejected(embedder):
    vec = embedder.embed_one("word " * 5000)
    assert vec.shape == (384,) and np.isfinite(vec).all()


def test_empty_list_and_wrong_types(embedder):
    assert embedder.embed([]).shape == (0, 384)
    with pytest.raises(TypeError, match="list of strings"):
        embedder.embed("a single string")


def test_fp32_export_matches_sentence_transformers_and_int8_stays_close(shared_cache, embedder):
    from sentence_transformers import SentenceTransformer

    model_dir = default_model_dir()
    onnx_dir = prepare_embedding_model(model_dir)
    reference = SentenceTransformer(str(model_dir), device="cpu").encode(SENTENCES, normalize_embeddings=True)
    fp32 = Embedder(onnx_dir, variant="fp32").embed(SENTENCES)
    int8 = Embedder(onnx_dir, variant="int8").embed(SENTENCES)
    assert np.min(np.sum(fp32 * reference, axis=1)) > 0.9999
    assert np.min(np.sum(int8 * fp32, axis=1)) > 0.95
    assert np.mean(np.sum(int8 * fp32, axis=1)) > 0.98


def test_prepare_is_idempotent_and_keyed_by_model_files(shared_cache, tmp_path):
    model_dir = default_model_dir()
    first = prepare_embedding_model(model_dir)
    stamp = (first / "model.int8.onnx").stat().st_mtime_ns
    assert prepare_embedding_model(model_dir) == first
    assert (first / "model.int8.onnx").stat().st_mtime_ns == stamp
    meta = json.loads((first / "meta.json").read_text())
    assert meta["dimension"] == 384 and meta["key"] == first.name == export_key(model_dir)
    assert first == onnx_dir_for(model_dir)
    # A changed model (here: a different config) gets another key, so no stale export is reused.
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("config.json", "tokenizer.json"):
        (copy / name).write_bytes((model_dir / name).read_bytes())
    (copy / "config.json").write_text((model_dir / "config.json").read_text().replace("384", "384 "))
    assert export_key(copy) != export_key(model_dir)


def test_model_id_names_the_export_and_variant(embedder):
    assert embedder.model_id.endswith("-int8")
    assert embedder.model_id.startswith(embedder.onnx_dir.name)


def test_bad_model_directory_and_arguments(tmp_path, embedder):
    with pytest.raises(EmbeddingModelError, match="not a sentence-transformers model"):
        prepare_embedding_model(tmp_path)
    with pytest.raises(EmbeddingModelError, match="does not exist"):
        Embedder(tmp_path)
    with pytest.raises(ValueError, match="unknown embedding variant"):
        Embedder(embedder.onnx_dir, variant="fp16")
    with pytest.raises(ValueError, match="threads"):
        Embedder(embedder.onnx_dir, threads=0)


def test_runtime_never_imports_torch_or_sentence_transformers(shared_cache, embedder):
    code = (
        "import sys\n"
        "from localmem.embed import Embedder\n"
        "v = Embedder.default().embed(['hello'])\n"
        "bad = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
        "print(v.shape, bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "(1, 384) []"


def test_a_fresh_export_prints_nothing_and_leaves_logging_as_it_was(tmp_path, capfd):
    """The export runs inside a user's first add or search: torch's tracer warnings, transformers'
    weight-loading bars and the quantizer's root-logger warning used to land in their terminal."""
    import logging

    from transformers.utils import logging as hf_logging

    from localmem import embed_export

    model_dir = default_model_dir()
    filters, bars = list(logging.getLogger().filters), hf_logging.is_progress_bar_enabled()
    meta = embed_export.export_onnx(model_dir, tmp_path / "export", max_seq_length=256)
    assert meta["min_cosine_vs_sentence_transformers"]["fp32"] > 0.9999
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert logging.getLogger().filters == filters and hf_logging.is_progress_bar_enabled() == bars
