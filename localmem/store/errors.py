"""Errors raised by the memory store. Each message names what was wrong and what to do."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error the memory store raises on purpose."""


class InvalidInputError(StoreError, ValueError):
    """An argument has the wrong type or value (empty text, bad id, non-UTF-8, ...)."""


class MemoryNotFoundError(StoreError, LookupError):
    """No memory has this id."""


class UnknownUserError(StoreError, LookupError):
    """The store holds nothing for this user_id."""


class InvalidStateError(StoreError):
    """The operation does not apply to the memory in its current status (e.g. editing a deleted one)."""


class StoreCorruptError(StoreError):
    """The database file is damaged or is not a localmem database."""


class StoreLockedError(StoreError):
    """Another process held the write lock for longer than the busy timeout."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer localmem whose migrations this version does not know."""


class EmbeddingMismatchError(StoreError):
    """The store's vectors were made by a different embedding model than the one in use."""


class ImportConflictError(StoreError):
    """Imported data clashes with what is stored (same id, different content)."""


class InferenceUnavailableError(StoreError, NotImplementedError):
    """``infer=True`` needs the extraction pipeline, which is not available in this build."""
