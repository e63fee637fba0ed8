"""LoRA adapters shipped with localmem (the package ``localmem.adapters``).

Layout: one directory per base model, e.g. ``qwen2.5-coder-0.5b-instruct/``, holding GGUF LoRA
adapters (``<name>.gguf``) and a ``manifest.json`` that records the base model's sha256 and how each
adapter was made. See ``README.md`` beside this file.

This module stays import-light: no torch, transformers or gguf at import time. The exporter
(``localmem.adapters.export_gguf``) and the trainer (``localmem.adapters.train_tiny``) import their
heavy dependencies themselves.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ADAPTERS_DIR", "MANIFEST_NAME", "adapter_path"]

ADAPTERS_DIR: Path = Path(__file__).parent
"""The directory holding the shipped adapters (this package's directory)."""

MANIFEST_NAME = "manifest.json"
"""File name of the per-base-model manifest that sits beside the adapters."""


def adapter_path(relative: str) -> Path:
    """Resolve an adapter path given relative to :data:`ADAPTERS_DIR`.

    ``relative`` is the form used in ``models.toml``, e.g.
    ``"qwen2.5-coder-0.5b-instruct/test-tiny.gguf"``. Absolute paths and paths that escape the
    adapters directory (``..``) are rejected with ``ValueError``; a missing file is not an error
    here (callers decide), so the result may not exist.
    """
    rel = Path(relative)
    if not relative or rel.is_absolute():
        raise ValueError(f"adapter path must be relative to {ADAPTERS_DIR}: {relative!r}")
    resolved = (ADAPTERS_DIR / rel).resolve()
    root = ADAPTERS_DIR.resolve()
    if resolved != root and root not in resolved.parents:
        raise ValueError(f"adapter path escapes the adapters directory: {relative!r}")
    return resolved
