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
from localmem.store.memories import NewMemory
from localmem.store.scope import Scope
from localmem.store.search import SearchConfig
from localmem.store.store import Store

__all__ = [
    "EmbeddingMismatchError", "ImportConflictError", "InferenceUnavailableError", "InvalidInputError",
    "InvalidStateError", "MemoryNotFoundError", "NewMemory", "SchemaTooNewError", "Scope", "SearchConfig",
    "Store", "StoreCorruptError", "StoreError", "StoreLockedError", "UnknownUserError",
]
