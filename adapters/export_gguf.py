"""Convert a peft LoRA adapter into a GGUF LoRA adapter that llama.cpp can hot-swap.

Input: a peft output directory (``adapter_config.json`` + ``adapter_model.safetensors``) trained
on the Hugging Face form of a base model, and that base model's GGUF file (used for its
architecture, its tensor shapes and its sha256). Output: a GGUF file with ``general.type=adapter``,
``adapter.type=lora``, ``adapter.lora.alpha`` and one ``<base tensor>.lora_a`` /
``<base tensor>.lora_b`` pair per adapted weight, plus an entry in the ``manifest.json`` beside it.

The layout follows llama.cpp's ``convert_lora_to_gguf.py`` (llama-cpp-python 0.3.36 vendors it):

* ``lora_a`` is peft's ``lora_A`` unchanged, numpy shape ``(r, n_in)``, i.e. ggml ``ne = [n_in, r]``;
* ``lora_b`` is peft's ``lora_B`` unchanged, numpy shape ``(n_out, r)``, i.e. ggml ``ne = [r, n_out]``;
* the base weight has ggml ``ne = [n_in, n_out]``, and llama.cpp checks exactly these relations;
* llama.cpp scales the product by ``alpha / r`` with ``r = lora_b.ne[0]`` (per tensor), which is
  peft's default scaling. Other peft scalings (rsLoRA) are folded into ``lora_b``.
* ``llama``-architecture GGUFs store q/k rows permuted for RoPE, so ``lora_b`` of q/k gets the same
  row permutation; qwen2/qwen3/gemma3 need none.

Run ``python -m localmem.adapters.export_gguf --help`` for the command line.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import mmap
import os
import re
import struct
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

MANIFEST_NAME = "manifest.json"
OutType = Literal["f16", "f32"]

# Hugging Face module name -> llama.cpp tensor base name (without "blk.N." and ".weight").
HF_TO_GGUF_MODULE: dict[str, str] = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}

# Architectures this exporter knows, and whether their GGUF q/k weights are row-permuted
# (llama.cpp's convert script applies LlamaModel.permute to q_proj/k_proj for "llama" only).
SUPPORTED_ARCHS: dict[str, bool] = {
    "qwen2": False,
    "qwen3": False,
    "gemma3": False,
    "llama": True,
}

_PEFT_KEY_RE = re.compile(
    r"^(?:base_model\.model\.)?model\.layers\.(?P<layer>\d+)\."
    r"(?:self_attn|mlp)\.(?P<module>[A-Za-z0-9_]+)\.lora_(?P<part>[AB])\.weight$"
)
_F16_MAX = float(np.finfo(np.float16).max)


# --------------------------------------------------------------------------------------------
# Tensor names
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class LoraKey:
    """One peft LoRA tensor: decoder layer, HF module name and part ("A" or "B")."""

    layer: int
    module: str
    part: Literal["A", "B"]


def parse_peft_key(key: str) -> LoraKey:
    """Parse a peft state-dict key such as
    ``base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight``.

    Raises ``ValueError`` naming the key for anything that is not a LoRA A/B matrix of a supported
    decoder-layer module (embeddings, lm_head, biases, DoRA magnitudes, unknown modules).
    """
    match = _PEFT_KEY_RE.match(key)
    if match is None:
        raise ValueError(
            f"unsupported tensor in peft adapter: {key!r} (only lora_A/lora_B of decoder-layer "
            f"modules {sorted(HF_TO_GGUF_MODULE)} can be exported; embeddings, lm_head and "
            "modules_to_save are not supported)"
        )
    module = match["module"]
    if module not in HF_TO_GGUF_MODULE:
        raise ValueError(
            f"unknown LoRA target module {module!r} in tensor {key!r}; "
            f"supported: {sorted(HF_TO_GGUF_MODULE)}"
        )
    part: Literal["A", "B"] = "A" if match["part"] == "A" else "B"
    return LoraKey(layer=int(match["layer"]), module=module, part=part)


def gguf_base_name(layer: int, module: str) -> str:
    """The llama.cpp name of the base weight a LoRA pair adapts, e.g. ``blk.3.attn_q.weight``."""
    try:
        return f"blk.{layer}.{HF_TO_GGUF_MODULE[module]}.weight"
    except KeyError:
        raise ValueError(
            f"unknown LoRA target module {module!r}; supported: {sorted(HF_TO_GGUF_MODULE)}"
        ) from None


def gguf_lora_name(key: LoraKey) -> str:
    """The GGUF tensor name for a peft LoRA tensor, e.g. ``blk.3.attn_q.weight.lora_a``."""
    return f"{gguf_base_name(key.layer, key.module)}.lora_{key.part.lower()}"


def map_peft_key(key: str) -> str:
    """Map a peft state-dict key straight to its GGUF LoRA tensor name."""
    return gguf_lora_name(parse_peft_key(key))


def permute_llama_rows(b: np.ndarray, n_head: int) -> np.ndarray:
    """Apply llama.cpp's RoPE row permutation (``LlamaModel.permute``) to a ``(n_out, r)`` lora_b.

    ``permute(B @ A) == permute(B) @ A`` because the permutation only reorders output rows.
    """
    n_out = b.shape[0]
    if n_out % (2 * n_head):
        raise ValueError(f"cannot permute {n_out} rows into {n_head} heads of two halves")
    return b.reshape(n_head, 2, n_out // n_head // 2, *b.shape[1:]).swapaxes(1, 2).reshape(b.shape)


# --------------------------------------------------------------------------------------------
# Base GGUF header (fast: skips the tokenizer arrays instead of decoding them)
# --------------------------------------------------------------------------------------------

_SCALAR_FORMATS: dict[int, str] = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d",
}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


@dataclass
class GGUFHeader:
    """Scalar metadata and tensor shapes (ggml order, ``ne``) of a GGUF file. Arrays are skipped."""

    fields: dict[str, Any] = field(default_factory=dict)
    tensors: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def architecture(self) -> str:
        arch = self.fields.get("general.architecture")
        if not isinstance(arch, str):
            raise ValueError("base GGUF has no general.architecture")
        return arch


class _Cursor:
    """Little-endian reader over a buffer."""

    def __init__(self, buf: Any) -> None:
        self.buf, self.pos = buf, 0

    def unpack(self, fmt: str) -> Any:
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        n = self.unpack("<Q")
        raw = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        self.pos += 8 + struct.unpack_from("<Q", self.buf, self.pos)[0]

    def value(self, vtype: int) -> Any:
        if vtype == _GGUF_STRING:
            return self.string()
        if vtype == _GGUF_ARRAY:
            self.skip_array()
            return None
        try:
            return self.unpack(_SCALAR_FORMATS[vtype])
        except KeyError:
            raise ValueError(f"unknown GGUF value type {vtype}") from None

    def skip_array(self) -> None:
        etype, count = self.unpack("<I"), self.unpack("<Q")
        if etype == _GGUF_STRING:
            for _ in range(count):
                self.skip_string()
        elif etype == _GGUF_ARRAY:
            for _ in range(count):
                self.skip_array()
        else:
            self.pos += count * struct.calcsize(_SCALAR_FORMATS[etype])


def read_gguf_header(path: str | os.PathLike[str]) -> GGUFHeader:
    """Read the scalar metadata and tensor shapes of a GGUF file (well under a second for 0.5B)."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        cur = _Cursor(buf)
        if bytes(buf[:4]) != b"GGUF":
            raise ValueError(f"not a GGUF file: {path}")
        cur.pos = 4
        version = cur.unpack("<I")
        if version < 2:
            raise ValueError(f"unsupported GGUF version {version}: {path}")
        n_tensors, n_kv = cur.unpack("<Q"), cur.unpack("<Q")
        header = GGUFHeader()
        for _ in range(n_kv):
            key = cur.string()
            value = cur.value(cur.unpack("<I"))
            if value is not None:
                header.fields[key] = value
        for _ in range(n_tensors):
            name = cur.string()
            n_dims = cur.unpack("<I")
            header.tensors[name] = tuple(cur.unpack("<Q") for _ in range(n_dims))
            cur.pos += 4 + 8  # ggml type, data offset
        return header


# --------------------------------------------------------------------------------------------
# peft config and tensors
# --------------------------------------------------------------------------------------------


# LoRA variants whose forward pass is not plain W x + (alpha/r) B A x.
_UNSUPPORTED_FLAGS = (
    "use_dora", "fan_in_fan_out", "lora_bias", "use_qalora", "use_bdlora", "alora_invocation_tokens",
)
# Settings this exporter does not translate (they are empty/None in a plain LoRA).
_UNSUPPORTED_SETTINGS = (
    "alpha_pattern", "target_parameters", "trainable_token_indices", "layer_replication",
    "loftq_config", "arrow_config", "monteclora_config", "velora_config", "kasa_config",
)
# Initialisations that leave the base weights untouched (so the adapter fits the original base).
_SAFE_INITS = (True, False, "gaussian", "eva")


def validate_lora_config(config: Mapping[str, Any]) -> None:
    """Reject peft configs whose adapters llama.cpp cannot represent, naming the offending setting."""
    peft_type = config.get("peft_type", "LORA")
    if str(peft_type).upper() != "LORA":
        raise ValueError(f"peft_type must be LORA, got {peft_type!r}")
    if config.get("modules_to_save"):
        raise ValueError(
            f"modules_to_save is not supported in GGUF LoRA adapters: {config['modules_to_save']!r} "
            "(train with modules_to_save=None)"
        )
    for key in _UNSUPPORTED_FLAGS:
        if config.get(key):
            raise ValueError(f"{key}={config[key]!r} is not supported by llama.cpp LoRA adapters")
    if config.get("bias", "none") != "none":
        raise ValueError(f"bias={config['bias']!r} is not supported (use bias='none')")
    for key in _UNSUPPORTED_SETTINGS:
        if config.get(key):
            raise ValueError(f"{key} is not supported by this exporter: {config[key]!r}")
    init = config.get("init_lora_weights", True)
    if init not in _SAFE_INITS:
        raise ValueError(
            f"init_lora_weights={init!r} is not supported: only {sorted(map(str, _SAFE_INITS))} "
            "leave the base weights untouched (PiSSA/OLoRA/LoftQ/CorDA-style inits change them)"
        )
    targets = config.get("target_modules")
    if isinstance(targets, (list, tuple, set)):
        unknown = sorted(set(targets) - set(HF_TO_GGUF_MODULE))
        if unknown:
            raise ValueError(
                f"unknown LoRA target module(s) {unknown}; supported: {sorted(HF_TO_GGUF_MODULE)}"
            )
    if "lora_alpha" not in config or "r" not in config:
        raise ValueError("adapter_config.json lacks lora_alpha or r")


def peft_scale(config: Mapping[str, Any], rank: int) -> float:
    """The factor peft multiplies ``B @ A`` by for a module of rank ``rank``."""
    alpha = float(config["lora_alpha"])
    return alpha / (rank**0.5) if config.get("use_rslora") else alpha / rank


def build_lora_tensors(
    state: Mapping[str, np.ndarray],
    config: Mapping[str, Any],
    header: GGUFHeader,
) -> dict[str, np.ndarray]:
    """Turn a peft state dict into ordered, shape-checked GGUF LoRA tensors (float32).

    Every pair is checked against the base tensor shapes in ``header`` the way llama.cpp checks
    them at load time; a mismatch raises ``ValueError`` naming the tensor.
    """
    arch = header.architecture
    if arch not in SUPPORTED_ARCHS:
        raise ValueError(f"unsupported base architecture {arch!r}; supported: {sorted(SUPPORTED_ARCHS)}")
    pairs: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    for key, value in state.items():
        lk = parse_peft_key(key)
        pairs.setdefault((lk.layer, lk.module), {})[lk.part] = np.asarray(value, dtype=np.float32)
    if not pairs:
        raise ValueError("the peft adapter holds no LoRA tensors")

    alpha = float(config["lora_alpha"])
    out: dict[str, np.ndarray] = {}
    for layer, module in sorted(pairs, key=lambda lm: (lm[0], list(HF_TO_GGUF_MODULE).index(lm[1]))):
        parts = pairs[(layer, module)]
        base = gguf_base_name(layer, module)
        if set(parts) != {"A", "B"}:
            raise ValueError(f"LoRA pair for {base} lacks lora_{'B' if 'A' in parts else 'A'}")
        a, b = parts["A"], _fold_scale(parts["B"], config, alpha, base)
        if SUPPORTED_ARCHS[arch] and module in ("q_proj", "k_proj"):
            b = permute_llama_rows(b, _llama_heads(header, arch, module))
        _check_shapes(base, a, b, header)
        out[f"{base}.lora_a"] = np.ascontiguousarray(a)
        out[f"{base}.lora_b"] = np.ascontiguousarray(b)
    return out


def _fold_scale(b: np.ndarray, config: Mapping[str, Any], alpha: float, base: str) -> np.ndarray:
    """Fold any difference between peft's scaling and llama.cpp's ``alpha / r`` into lora_b."""
    if b.ndim != 2:
        raise ValueError(f"lora_B for {base} must be 2-D, got shape {b.shape}")
    rank = b.shape[1]
    factor = peft_scale(config, rank) / (alpha / rank)
    return b if factor == 1.0 else b * np.float32(factor)


def _llama_heads(header: GGUFHeader, arch: str, module: str) -> int:
    key = f"{arch}.attention.head_count" + ("_kv" if module == "k_proj" else "")
    n_head = header.fields.get(key) or header.fields.get(f"{arch}.attention.head_count")
    if not isinstance(n_head, int):
        raise ValueError(f"base GGUF lacks {key}")
    return n_head


def _check_shapes(base: str, a: np.ndarray, b: np.ndarray, header: GGUFHeader) -> None:
    """Check a pair the way llama.cpp does (ggml ne: base [n_in, n_out], a [n_in, r], b [r, n_out])."""
    if base not in header.tensors:
        raise ValueError(f"LoRA tensor {base!r} does not exist in the base model (wrong base GGUF?)")
    ne = header.tensors[base]
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"LoRA tensors for {base} must be 2-D, got {a.shape} and {b.shape}")
    n_in, n_out = ne[0], ne[1]
    if a.shape[1] != n_in or b.shape[0] != n_out or a.shape[0] != b.shape[1]:
        raise ValueError(
            f"LoRA shapes for {base} do not fit the base weight (ggml ne {list(ne)}): "
            f"lora_A {a.shape} must be (r, {n_in}) and lora_B {b.shape} must be ({n_out}, r)"
        )


def load_peft_dir(peft_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Load ``adapter_config.json`` and ``adapter_model.safetensors`` from a peft directory."""
    from safetensors.numpy import load_file

    peft_dir = Path(peft_dir)
    config_path, weights_path = peft_dir / "adapter_config.json", peft_dir / "adapter_model.safetensors"
    for p in (config_path, weights_path):
        if not p.is_file():
            raise FileNotFoundError(f"peft directory lacks {p.name}: {peft_dir}")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    return config, load_file(str(weights_path))


# --------------------------------------------------------------------------------------------
# GGUF writing
# --------------------------------------------------------------------------------------------


def write_lora_gguf(
    path: str | os.PathLike[str],
    tensors: Mapping[str, np.ndarray],
    *,
    arch: str,
    alpha: float,
    name: str,
    outtype: OutType = "f16",
) -> None:
    """Write LoRA tensors as a GGUF adapter (atomically: temp file, then rename)."""
    import gguf

    if outtype not in ("f16", "f32"):
        raise ValueError(f"outtype must be 'f16' or 'f32', got {outtype!r}")
    dtype = np.float16 if outtype == "f16" else np.float32
    ftype = gguf.LlamaFileType.MOSTLY_F16 if outtype == "f16" else gguf.LlamaFileType.ALL_F32
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        writer = gguf.GGUFWriter(tmp, arch)
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
        writer.add_name(name)
        writer.add_file_type(int(ftype))
        for tname, data in tensors.items():
            if dtype is np.float16 and np.abs(data).max(initial=0.0) > _F16_MAX:
                raise ValueError(f"{tname} overflows float16; export with outtype='f32'")
            writer.add_tensor(tname, np.ascontiguousarray(data, dtype=dtype))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the adapter is a shipped, readable file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Manifest
# --------------------------------------------------------------------------------------------


def make_adapter_entry(
    *,
    file: str,
    operation: str,
    sha256: str,
    extra: Mapping[str, Any] | None = None,
    training: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One ``adapters.<name>`` manifest entry."""
    if not file or "/" in file or "\\" in file:
        raise ValueError(f"adapter file must be a bare file name beside the manifest: {file!r}")
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"sha256 must be 64 lowercase hex digits: {sha256!r}")
    entry: dict[str, Any] = {"file": file, "operation": operation, "sha256": sha256}
    entry.update(extra or {})
    if training is not None:
        entry["training"] = dict(training)
    return entry


def update_manifest(
    manifest: Mapping[str, Any] | None,
    *,
    base_name: str,
    base_sha256: str,
    adapter_name: str,
    entry: Mapping[str, Any],
) -> dict[str, Any]:
    """Return a new manifest with ``entry`` set under ``adapters[adapter_name]`` (pure function).

    A manifest belongs to exactly one base model: adding an adapter for a base with another
    sha256 raises ``ValueError``. Other adapters are kept; adapters are kept sorted by name.
    """
    if not adapter_name:
        raise ValueError("adapter name must not be empty")
    current: dict[str, Any] = json.loads(json.dumps(manifest)) if manifest else {}
    base = current.get("base_model")
    if base and base.get("sha256") != base_sha256:
        raise ValueError(
            f"manifest is for base model {base.get('name')!r} (sha256 {base.get('sha256')}), "
            f"not {base_name!r} (sha256 {base_sha256}); keep one directory per base model"
        )
    adapters = dict(current.get("adapters") or {})
    adapters[adapter_name] = dict(entry)
    return {
        **current,
        "base_model": {"name": base_name, "sha256": base_sha256},
        "adapters": {k: adapters[k] for k in sorted(adapters)},
    }


def load_manifest(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Read a manifest, or ``None`` when the file does not exist."""
    path = Path(path)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"manifest is not a JSON object: {path}")
    return data


def save_manifest(path: str | os.PathLike[str], manifest: Mapping[str, Any]) -> None:
    """Write a manifest atomically (indented, trailing newline, stable key order)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_peft_to_gguf` wrote."""

    path: Path
    manifest_path: Path
    sha256: str
    size: int
    n_tensors: int
    entry: dict[str, Any]


def export_peft_to_gguf(
    peft_dir: str | os.PathLike[str],
    base_gguf: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    name: str,
    operation: str,
    outtype: OutType = "f16",
    base_name: str | None = None,
    base_sha256: str | None = None,
    training: Mapping[str, Any] | None = None,
    write_manifest: bool = True,
) -> ExportResult:
    """Export a peft LoRA directory to a GGUF adapter and record it in ``manifest.json`` beside it.

    ``base_name`` defaults to the base GGUF's file stem; ``base_sha256`` is computed when not
    given (pass it when already known: hashing 0.5 GB takes a couple of seconds).
    """
    config, state = load_peft_dir(peft_dir)
    validate_lora_config(config)
    header = read_gguf_header(base_gguf)
    tensors = build_lora_tensors(state, config, header)
    out = Path(out)
    write_lora_gguf(out, tensors, arch=header.architecture, alpha=float(config["lora_alpha"]),
                    name=name, outtype=outtype)
    digest = sha256_file(out)
    ranks = sorted({t.shape[0] for n, t in tensors.items() if n.endswith(".lora_a")})
    entry = make_adapter_entry(
        file=out.name,
        operation=operation,
        sha256=digest,
        extra={
            "size": out.stat().st_size,
            "dtype": outtype,
            "architecture": header.architecture,
            "rank": ranks[0] if len(ranks) == 1 else ranks,
            "lora_alpha": float(config["lora_alpha"]),
            "target_modules": sorted({m for m in _modules(tensors)}),
            "exported": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        training=training,
    )
    manifest_path = out.parent / MANIFEST_NAME
    if write_manifest:
        manifest = update_manifest(
            load_manifest(manifest_path),
            base_name=base_name or Path(base_gguf).stem,
            base_sha256=base_sha256 or sha256_file(base_gguf),
            adapter_name=name,
            entry=entry,
        )
        save_manifest(manifest_path, manifest)
    return ExportResult(out, manifest_path, digest, out.stat().st_size, len(tensors), entry)


def _modules(tensors: Mapping[str, np.ndarray]) -> set[str]:
    gguf_to_hf = {v: k for k, v in HF_TO_GGUF_MODULE.items()}
    return {gguf_to_hf[n.split(".")[2]] for n in tensors}


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m localmem.adapters.export_gguf",
        description="Convert a peft LoRA adapter to a GGUF LoRA adapter for llama.cpp.",
    )
    p.add_argument("--peft-dir", required=True, type=Path, help="peft output directory")
    p.add_argument("--base-gguf", required=True, type=Path, help="the base model's GGUF file")
    p.add_argument("--out", required=True, type=Path, help="output .gguf path")
    p.add_argument("--name", required=True, help="adapter name (manifest key)")
    p.add_argument("--operation", required=True, help="memory operation the adapter serves")
    p.add_argument("--outtype", choices=["f16", "f32"], default="f16", help="tensor type (default f16)")
    p.add_argument("--base-name", help="base model name for the manifest (default: GGUF file stem)")
    p.add_argument("--training-json", type=Path, help="JSON file with training details for the manifest")
    p.add_argument("--no-manifest", action="store_true", help="do not write manifest.json")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    args = _parse_args(argv)
    training = None
    if args.training_json:
        training = json.loads(args.training_json.read_text(encoding="utf-8"))
    try:
        result = export_peft_to_gguf(
            args.peft_dir, args.base_gguf, args.out, name=args.name, operation=args.operation,
            outtype=args.outtype, base_name=args.base_name, training=training,
            write_manifest=not args.no_manifest,
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {result.path} ({result.size} bytes, {result.n_tensors} tensors, sha256 {result.sha256})")
    if not args.no_manifest:
        print(f"updated {result.manifest_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
