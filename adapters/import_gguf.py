"""Read a GGUF LoRA adapter back into peft's tensor names (the inverse of ``export_gguf``).

A training run continues from an earlier run's weights (``train.py --init-from``). The earlier
run's ``checkpoint.pt`` lives in a cache that a fresh machine does not have, but the adapter file
it was exported to is committed: ``--init-from adapters/<base>/<operation>.gguf`` starts from that
file instead, and takes the run's history (the whole ``init_from`` chain) from the manifest entry
whose sha256 matches the file. The weights are the exported ones: float16 where the file is f16
(a relative rounding of about 1e-3, well below what one training step changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .export_gguf import HF_TO_GGUF_MODULE, MANIFEST_NAME, SUPPORTED_ARCHS, load_manifest, sha256_file

_GGUF_TO_HF = {v: k for k, v in HF_TO_GGUF_MODULE.items()}
_ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")


@dataclass(frozen=True)
class GGUFLora:
    """A LoRA adapter read from GGUF: peft-named float32 tensors and the shape they define."""

    path: Path
    architecture: str
    alpha: float
    rank: int
    modules: tuple[str, ...]  # Hugging Face module names, in HF_TO_GGUF_MODULE order
    layers: tuple[int, ...]  # decoder layers that carry LoRA, sorted
    state: dict[str, np.ndarray]  # peft state-dict keys -> float32 arrays (lora_A (r, n_in), lora_B (n_out, r))


def peft_key(layer: int, module: str, part: str) -> str:
    """peft's state-dict key for one LoRA matrix, as ``get_peft_model_state_dict`` names it."""
    group = "self_attn" if module in _ATTENTION else "mlp"
    return f"base_model.model.model.layers.{layer}.{group}.{module}.lora_{part}.weight"


def _parse_gguf_name(name: str) -> tuple[int, str, str]:
    """``blk.3.attn_q.weight.lora_a`` -> (3, "q_proj", "A"); ValueError naming anything else."""
    parts = name.split(".")
    if (len(parts) != 5 or parts[0] != "blk" or not parts[1].isdigit() or parts[3] != "weight"
            or parts[4] not in ("lora_a", "lora_b") or parts[2] not in _GGUF_TO_HF):
        raise ValueError(f"unexpected tensor {name!r} in a LoRA adapter (expected blk.N.<module>.weight.lora_a|b "
                         f"for modules {sorted(_GGUF_TO_HF)})")
    return int(parts[1]), _GGUF_TO_HF[parts[2]], parts[4][-1].upper()


def read_lora_gguf(path: str | Path) -> GGUFLora:
    """Read a GGUF LoRA adapter written by ``export_gguf`` (or llama.cpp's converter).

    Raises ``ValueError`` naming what is wrong: not an adapter, an architecture whose q/k rows
    llama.cpp permutes (the inverse is not implemented), half a pair, mixed ranks.
    """
    import gguf

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"adapter not found: {path}")
    try:
        reader = gguf.GGUFReader(str(path))
    except Exception as exc:  # gguf raises bare ValueErrors/struct errors on other files
        raise ValueError(f"{path} is not a GGUF file: {exc}") from None
    fields = {k: f.contents() for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    if fields.get("general.type") != "adapter" or fields.get("adapter.type") != "lora":
        raise ValueError(f"{path} is not a LoRA adapter (general.type={fields.get('general.type')!r}, "
                         f"adapter.type={fields.get('adapter.type')!r})")
    arch = fields.get("general.architecture")
    if arch not in SUPPORTED_ARCHS:
        raise ValueError(f"{path}: unsupported architecture {arch!r}; supported: {sorted(SUPPORTED_ARCHS)}")
    if SUPPORTED_ARCHS[arch]:
        raise ValueError(f"{path}: {arch} adapters carry row-permuted q/k weights; reading them back is not supported")
    if not isinstance(fields.get("adapter.lora.alpha"), (int, float)):
        raise ValueError(f"{path} lacks adapter.lora.alpha")
    alpha = float(fields["adapter.lora.alpha"])

    pairs: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    for t in reader.tensors:
        layer, module, part = _parse_gguf_name(t.name)
        ne = [int(x) for x in t.shape]  # ggml order: a [n_in, r], b [r, n_out]
        pairs.setdefault((layer, module), {})[part] = np.array(t.data, dtype=np.float32).reshape(ne[::-1])
    if not pairs:
        raise ValueError(f"{path} holds no LoRA tensors")
    state: dict[str, np.ndarray] = {}
    ranks: set[int] = set()
    for (layer, module), parts in sorted(pairs.items()):
        if set(parts) != {"A", "B"}:
            raise ValueError(f"{path}: the LoRA pair for layer {layer} {module} lacks lora_{'B' if 'A' in parts else 'A'}")
        a, b = parts["A"], parts["B"]
        if a.shape[0] != b.shape[1]:
            raise ValueError(f"{path}: layer {layer} {module} has lora_a rank {a.shape[0]} but lora_b rank {b.shape[1]}")
        ranks.add(a.shape[0])
        state[peft_key(layer, module, "A")] = np.ascontiguousarray(a)
        state[peft_key(layer, module, "B")] = np.ascontiguousarray(b)
    if len(ranks) != 1:
        raise ValueError(f"{path}: mixed LoRA ranks {sorted(ranks)}")
    present = {m for _, m in pairs}
    return GGUFLora(path=path, architecture=arch, alpha=alpha, rank=ranks.pop(),
                    modules=tuple(m for m in HF_TO_GGUF_MODULE if m in present),
                    layers=tuple(sorted({layer for layer, _ in pairs})), state=state)


def shape_mismatch(lora: GGUFLora, *, rank: int, lora_alpha: float, target_modules: tuple[str, ...],
                   layers: tuple[int, ...]) -> str | None:
    """What differs between the adapter's LoRA shape and a run's (None when they agree).

    ``layers`` is the run's explicit layer list; the caller expands "all layers" first.
    """
    diff = []
    if lora.rank != rank:
        diff.append(f"rank {lora.rank} vs {rank}")
    if abs(lora.alpha - lora_alpha) > 1e-6:
        diff.append(f"lora_alpha {lora.alpha:g} vs {lora_alpha:g}")
    if set(lora.modules) != set(target_modules):
        diff.append(f"target_modules {list(lora.modules)} vs {list(target_modules)}")
    if lora.layers != tuple(layers):
        diff.append(f"layers {list(lora.layers)} vs {list(layers)}")
    return ("made with other LoRA settings: " + "; ".join(diff)) if diff else None


def manifest_history(path: str | Path) -> dict[str, Any]:
    """The ``init_from`` record for a run that starts from this adapter file.

    Finds the entry of the manifest beside the file whose sha256 matches it and carries over its
    training record (steps, data hash, settings, and its own ``init_from`` chain), so a run
    continued from a shipped file keeps the same history as one continued from its checkpoint.
    An adapter with no matching entry is still usable; the record then says so.
    """
    path = Path(path)
    digest = sha256_file(path)
    record: dict[str, Any] = {"adapter_file": path.name, "adapter_sha256": digest}
    manifest = load_manifest(path.parent / MANIFEST_NAME)
    entries: Mapping[str, Any] = (manifest or {}).get("adapters", {})
    entry = next((e for e in entries.values() if e.get("sha256") == digest), None)
    if entry is None or not isinstance(entry.get("training"), dict):
        record["manifest"] = None
        return record
    training = entry["training"]
    config_keys = ("operation", "rank", "lora_alpha", "target_modules", "layers", "learning_rate", "warmup_steps",
                   "batch_size", "steps", "max_tokens", "seed", "threads", "weight_decay", "precision")
    record.update({
        "step": training.get("steps"),
        "data_sha256": training.get("data_sha256"),
        "config": {k: training[k] for k in config_keys if k in training},
        "final_loss_avg10": training.get("final_loss_avg10"),
        "init_from": training.get("init_from"),
    })
    return record
