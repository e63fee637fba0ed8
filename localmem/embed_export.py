"""One-time ONNX export of a sentence-transformers model (all-MiniLM-L6-v2) for onnxruntime.

This is the only module that imports torch / transformers / sentence-transformers, and only when an
export is actually needed (once per model version; the result is cached). ``localmem.embed`` runs
the exported graph with onnxruntime and never imports any of them.

Layout of an export directory (``<cache_dir>/onnx/<key>/``)::

    model.fp32.onnx    the transformer (token embeddings out; pooling is done in numpy)
    model.int8.onnx    the same with dynamic int8 quantisation (per-channel; MatMul and Gather)
    tokenizer.json     copied from the model directory
    meta.json          dimension, max sequence length, source, and the measured fp32/int8 agreement
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

# Sentences used to check an export against the sentence-transformers reference.
CHECK_SENTENCES = [
    "My sister Ana lives in Lyon and works as a nurse.",
    "I am allergic to peanuts.",
    "We went hiking in the Alps last summer; it rained every single day.",
    "Prefers short answers without emoji.",
    "The meeting with the landlord is on Tuesday at 9am.",
    "Caroline went to the LGBTQ support group yesterday and found it very powerful.",
    "ok",
    "Tu préfères le thé ou le café ? 我喜欢喝茶。",
]


def export_onnx(model_dir: Path, out_dir: Path, *, max_seq_length: int, opset: int = 17) -> dict:
    """Export ``model_dir`` to ``out_dir`` (fp32 and int8), verify both, and return the metadata.

    Quietly: this runs inside the first ``add`` or ``search`` of a fresh installation, where torch's
    tracer warnings, transformers' weight-loading progress bars and the quantizer's warning would
    land in the user's terminal with nothing for them to do."""
    import logging
    import warnings

    from transformers.utils import logging as hf_logging

    def not_onnxruntime(record: logging.LogRecord) -> bool:  # the quantizer warns on the root logger
        return "onnxruntime" not in record.pathname

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    root = logging.getLogger()
    root.addFilter(not_onnxruntime)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _export_onnx(model_dir, out_dir, max_seq_length=max_seq_length, opset=opset)
    finally:
        root.removeFilter(not_onnxruntime)
        if bars:
            hf_logging.enable_progress_bar()


def _export_onnx(model_dir: Path, out_dir: Path, *, max_seq_length: int, opset: int) -> dict:
    import numpy as np
    import torch
    from transformers import AutoModel

    out_dir.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(str(model_dir), dtype=torch.float32)
    model.eval()

    class Wrapper(torch.nn.Module):
        # torch.onnx.export passes positional arguments; BertModel wants keywords.
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    ids = torch.tensor([[101, 2026, 2171, 2003, 102]], dtype=torch.int64)
    fp32_path = out_dir / "model.fp32.onnx"
    with torch.no_grad():
        torch.onnx.export(
            Wrapper(model),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(fp32_path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["token_embeddings"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "token_type_ids": {0: "batch", 1: "sequence"},
                "token_embeddings": {0: "batch", 1: "sequence"},
            },
            opset_version=opset,
            dynamo=False,
        )

    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8_path = out_dir / "model.int8.onnx"
    # MatMul weights and the embedding tables (Gather): 23 MB instead of 90 MB, sessions start
    # ~4x faster than with MatMul-only quantisation, same agreement with fp32 (cosine ~0.99).
    quantize_dynamic(
        str(fp32_path),
        str(int8_path),
        per_channel=True,
        op_types_to_quantize=["MatMul", "Gather"],
        weight_type=QuantType.QInt8,
    )
    shutil.copyfile(model_dir / "tokenizer.json", out_dir / "tokenizer.json")

    # Verify against the reference implementation before anything uses the export.
    reference = _reference_vectors(model_dir, max_seq_length)
    from localmem.embed import Embedder

    agreement = {}
    for variant in ("fp32", "int8"):
        emb = Embedder(out_dir, variant=variant, threads=1, max_seq_length=max_seq_length)
        vectors = emb.embed(CHECK_SENTENCES)
        agreement[variant] = float(np.min(np.sum(vectors * reference, axis=1)))
    if agreement["fp32"] < 0.9999:
        raise RuntimeError(
            f"ONNX export of {model_dir} disagrees with sentence-transformers "
            f"(min cosine {agreement['fp32']:.6f}); refusing to use it"
        )
    return {
        "dimension": int(reference.shape[1]),
        "max_seq_length": max_seq_length,
        "source": str(model_dir),
        "opset": opset,
        "min_cosine_vs_sentence_transformers": agreement,
    }


def _reference_vectors(model_dir: Path, max_seq_length: int):
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu")
    st.max_seq_length = max_seq_length
    return st.encode(CHECK_SENTENCES, normalize_embeddings=True, convert_to_numpy=True)


def write_meta(out_dir: Path, meta: dict) -> None:
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
