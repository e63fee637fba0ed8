"""localmem: memory for a private, on-device assistant.

The public API is imported lazily so that ``import localmem`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Memory": "localmem.memory",
    "MemoryItem": "localmem.types",
    "MemoryEvent": "localmem.types",
    "Runtime": "localmem.llm",
    "load_registry": "localmem.config",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from localmem.config import load_registry
    from localmem.llm import Runtime
    from localmem.memory import Memory
    from localmem.types import MemoryEvent, MemoryItem


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'localmem' has no attribute {name!r}")
