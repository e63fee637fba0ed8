"""Typed values of the memory API (pydantic).

Categories (``Category``), the documented list a memory is filed under:

=====================  =============================================================
identity               name, age, pronouns, nationality, languages, personality
location               where the user lives, has lived, moves
work                   job, employer, colleagues, projects, career plans
education              studies, schools, courses, degrees, things being learned
relationships          family, partner, friends, pets, and the people in their lives
health                 conditions, allergies, diet restrictions, fitness, medication
food                   tastes, dishes, restaurants, cooking
travel                 trips taken or planned, places visited
media                  books, films, music, games, shows, podcasts
hobbies                sports, crafts, pastimes, collections
schedule               appointments, routines, deadlines, recurring events
finance                budget, purchases, money goals
communication-style    how the user wants to be answered (length, tone, format, language)
other                  anything that fits none of the above
=====================  =============================================================

Kinds (``Kind``): ``fact`` (true about the user until it changes), ``preference`` (a like,
dislike or wish about how things are done) and ``event`` (something that happened or will happen
at a time).

Timestamps are timezone-aware UTC datetimes. A naive datetime given to the API is taken as UTC.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Limits enforced on every write (clear errors instead of silently truncating).
MAX_MEMORY_CHARS = 8_000
MAX_MESSAGE_CHARS = 200_000
MAX_ID_CHARS = 256


class Kind(str, enum.Enum):
    FACT = "fact"
    PREFERENCE = "preference"
    EVENT = "event"


class Category(str, enum.Enum):
    IDENTITY = "identity"
    LOCATION = "location"
    WORK = "work"
    EDUCATION = "education"
    RELATIONSHIPS = "relationships"
    HEALTH = "health"
    FOOD = "food"
    TRAVEL = "travel"
    MEDIA = "media"
    HOBBIES = "hobbies"
    SCHEDULE = "schedule"
    FINANCE = "finance"
    COMMUNICATION_STYLE = "communication-style"
    OTHER = "other"


class Status(str, enum.Enum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    DELETED = "deleted"


class EventType(str, enum.Enum):
    """What ``Memory.add`` did with a candidate memory."""

    ADD = "ADD"
    UPDATE = "UPDATE"
    SUPERSEDE = "SUPERSEDE"
    DELETE = "DELETE"
    NONE = "NONE"


class HistoryAction(str, enum.Enum):
    """A change recorded in a memory's history."""

    ADD = "ADD"
    UPDATE = "UPDATE"
    SUPERSEDE = "SUPERSEDE"
    DELETE = "DELETE"
    RESTORE = "RESTORE"


Role = Literal["user", "assistant", "system", "tool"]


class _Model(BaseModel):
    # defer_build: schemas are built on first use, which keeps `import localmem.types` cheap.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Source(_Model):
    """Where a memory came from: the logged messages it was drawn from, and who wrote it
    (``api``, ``cli``, ``pipeline``, ...). The caller's metadata (a dialogue id, ...) is in
    ``MemoryItem.metadata``, where search filters can reach it."""

    message_ids: list[str] = Field(default_factory=list)
    actor: str = "api"


class SearchMatch(_Model):
    """How a search result was found (ranks start at 1; None when that retriever missed it)."""

    vector_rank: int | None = None
    vector_similarity: float | None = None
    text_rank: int | None = None
    bm25: float | None = None


class MemoryItem(_Model):
    id: str
    user_id: str
    agent_id: str | None = None
    session_id: str | None = None
    text: str
    kind: Kind
    category: Category
    confidence: float
    status: Status
    created_at: datetime
    updated_at: datetime
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    superseded_by: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    source: Source = Field(default_factory=Source)
    hash: str
    access_count: int = 0
    last_accessed_at: datetime | None = None
    #: Set on search results only: the fused relevance score (higher is better).
    score: float | None = None
    match: SearchMatch | None = None


class MemoryEvent(_Model):
    event: EventType
    memory: MemoryItem
    previous_text: str | None = None


class HistoryEntry(_Model):
    id: str
    memory_id: str
    user_id: str
    action: HistoryAction
    old_text: str | None = None
    new_text: str | None = None
    old_status: Status | None = None
    new_status: Status | None = None
    actor: str
    created_at: datetime
    details: dict[str, Any] = Field(default_factory=dict)


#: Message metadata key naming who said a user message (``Memory.add``'s ``name``, several people).
SPEAKER_KEY = "speaker"


class Message(_Model):
    id: str
    user_id: str
    agent_id: str | None = None
    session_id: str | None = None
    role: Role
    content: str
    created_at: datetime
    metadata: dict[str, Any] = Field(default_factory=dict)
    pending_extraction: bool = False
    extracted_at: datetime | None = None


class SearchFilters(_Model):
    """Optional restrictions on ``search`` and ``get_all`` (all given conditions must hold).

    The scope (user, agent, session) is not a filter: it is given as keyword arguments.

    ``metadata`` matches top-level keys of a memory's metadata by equality. ``created_*`` bound
    the time the memory was stored; ``valid_at`` keeps memories that were true at that instant.
    """

    kind: list[Kind] | None = None
    category: list[Category] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    valid_at: datetime | None = None
    metadata: dict[str, str | int | float | bool | None] | None = None
    include_superseded: bool = False
    include_deleted: bool = False

    @field_validator("kind", "category", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, (str, enum.Enum)):
            return [value]
        return value

    @field_validator("created_after", "created_before", "valid_at", mode="after")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return to_utc(value) if value is not None else None

    @field_validator("metadata", mode="after")
    @classmethod
    def _keys(cls, value: dict | None) -> dict | None:
        import re

        for key in value or {}:
            if not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", key):
                raise ValueError(f"metadata filter key {key!r} must be 1-64 letters, digits, '_' or '-'")
        return value


def to_utc(value: datetime) -> datetime:
    """Aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
