"""Messages the app's workers and widgets post to screens (screens do the work, widgets only show)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class ReplyStarted(Message):
    """The reply began: the memories it was given (recall happened)."""

    reply_id: int
    recalled: list[Any]


@dataclass
class ReplyChunk(Message):
    reply_id: int
    text: str


@dataclass
class ReplyFinished(Message):
    """The reply ended (complete, stopped by a newer prompt, or failed)."""

    reply_id: int
    text: str
    status: Any
    stopped: bool = False
    error: str | None = None
    message_id: str | None = None  # the logged reply (memory on)


@dataclass
class MemoryEventsReady(Message):
    """Background extraction of a message finished: what it did to memory."""

    reply_id: int
    events: list[Any] = field(default_factory=list)
    error: str | None = None
    parked: bool = False


@dataclass
class CatchUp(Message):
    """Messages left pending last time are being remembered (``events`` None) or were (a list)."""

    events: list[Any] | None


@dataclass
class ReplyEdited(Message):
    """The user's edit of a reply was kept; ``moved``: dimension -> (before, after)."""

    view: Any
    text: str
    moved: dict[str, tuple[float, float]]


@dataclass
class StatusChanged(Message):
    status: Any


@dataclass
class Notice(Message):
    """Something went wrong in a worker: shown to the user, nothing stored is lost."""

    text: str
    severity: str = "error"
