"""The memory store: one SQLite file holding memories, their history, the conversation log,
full-text and vector indexes. See ``localmem.store.store.Store`` for the write operations."""

from localmem.store.errors import (
    EmbeddingMismatchError,
    ImportConflictError,
    InferenceUnavailableError,
    InvalidInputError,
    InvalidStateError,
    MemoryNotFoundError,
    SchemaTooNewError,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    UnknownUserError,
)
# The error classes are cheap and imported eagerly. Store, NewMemory, Scope and SearchConfig pull
# in sqlite-utils, numpy and the pydantic result types (~0.25 s): they load on first access, so a
# process that only needs an error class (the CLI talking to the daemon) does not pay for them.
_LAZY = {
    "NewMemory": "localmem.store.memories",
    "Scope": "localmem.store.scope",
    "SearchConfig": "localmem.store.search",
    "Store": "localmem.store.store",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'localmem.store' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "EmbeddingMismatchError", "ImportConflictError", "InferenceUnavailableError", "InvalidInputError",
    "InvalidStateError", "MemoryNotFoundError", "NewMemory", "SchemaTooNewError", "Scope", "SearchConfig",
    "Store", "StoreCorruptError", "StoreError", "StoreLockedError", "UnknownUserError",
]
