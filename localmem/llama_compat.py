"""A thin layer over llama-cpp-python's low-level names that changed between releases.

LoRA adapter functions were renamed in 0.3.17 (``llama_lora_adapter_*`` became
``llama_adapter_lora_*``) and again later (``llama_set_adapter_lora`` became
``llama_set_adapters_lora``, which takes an array). Everything else in localmem calls these
wrappers, never the raw names.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

import llama_cpp

GGML_TYPES = {
    "f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q5_0": 6, "q5_1": 7, "q8_0": 8, "iq4_nl": 20, "bf16": 30,
}


class AdapterError(RuntimeError):
    """A LoRA adapter could not be loaded or applied."""


def _fn(*names: str) -> Any:
    for name in names:
        fn = getattr(llama_cpp, name, None)
        if fn is not None:
            return fn
    return None


_init = _fn("llama_adapter_lora_init", "llama_lora_adapter_init")
_free = _fn("llama_adapter_lora_free", "llama_lora_adapter_free")
_set_many = _fn("llama_set_adapters_lora")
_set_one = _fn("llama_set_adapter_lora", "llama_lora_adapter_set")
_clear = _fn("llama_clear_adapter_lora", "llama_lora_adapter_clear")
_adapter_ptr = getattr(llama_cpp, "llama_adapter_lora_p_ctypes", None)


def adapter_init(model_ptr: Any, path: Path) -> Any:
    """Load an adapter file onto a model; returns an opaque handle."""
    if _init is None:
        raise AdapterError(f"llama-cpp-python {llama_cpp.__version__} has no LoRA adapter API")
    handle = _init(model_ptr, str(path).encode())
    if not handle:
        raise AdapterError(
            f"llama.cpp could not load the LoRA adapter {path} (wrong base model or not a GGUF LoRA file?)"
        )
    return handle


def adapter_free(handle: Any) -> None:
    if _free is not None and handle:
        _free(handle)


def set_adapters(ctx_ptr: Any, handles: list[Any], scales: list[float]) -> None:
    """Make exactly ``handles`` (with ``scales``) active on the context; empty list clears."""
    if _set_many is not None and _adapter_ptr is not None:
        if handles:
            arr = (_adapter_ptr * len(handles))(*handles)
            sc = (ctypes.c_float * len(scales))(*scales)
            rc = _set_many(ctx_ptr, arr, len(handles), sc)
        else:
            rc = _set_many(ctx_ptr, None, 0, None)
    else:  # older releases: clear, then set one by one
        if _clear is None or _set_one is None:
            raise AdapterError(f"llama-cpp-python {llama_cpp.__version__} has no LoRA adapter API")
        _clear(ctx_ptr)
        rc = 0
        for handle, scale in zip(handles, scales, strict=True):
            rc = rc or _set_one(ctx_ptr, handle, scale)
    if rc != 0:
        raise AdapterError(f"llama.cpp refused to set the LoRA adapters (error {rc})")


def ggml_type(name: str) -> int:
    try:
        return GGML_TYPES[name]
    except KeyError:
        raise ValueError(f"unknown KV cache type {name!r}; use one of {', '.join(GGML_TYPES)}") from None


class PerfSnapshot:
    """llama.cpp's own prompt / generation counters for one context."""

    __slots__ = ("prompt_ms", "eval_ms", "prompt_tokens", "eval_tokens")

    def __init__(self, ctx_ptr: Any):
        data = llama_cpp.llama_perf_context(ctx_ptr)
        self.prompt_ms = data.t_p_eval_ms
        self.eval_ms = data.t_eval_ms
        self.prompt_tokens = data.n_p_eval
        self.eval_tokens = data.n_eval
