"""Request bodies of the daemon's HTTP API (pydantic, strict types, unknown keys refused)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

Id = Field(None, max_length=200)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScopeBody(Body):
    user_id: StrictStr = Field(max_length=200)
    agent_id: StrictStr | None = Id
    session_id: StrictStr | None = Id


class AddBody(ScopeBody):
    messages: StrictStr | list[dict[str, Any]]
    infer: StrictBool = True
    metadata: dict[str, Any] | None = None
    timestamp: StrictStr | StrictInt | StrictFloat | None = None
    idempotency_key: StrictStr | None = Field(None, min_length=1, max_length=200)
    wait: StrictBool = True  # infer=True: wait for the extraction job (else 202 with the job)


class SearchBody(ScopeBody):
    query: StrictStr
    limit: StrictInt = 10
    filters: dict[str, Any] | None = None
    mode: Literal["hybrid", "vector", "text"] | None = None


class ListBody(ScopeBody):
    include_superseded: StrictBool = False
    filters: dict[str, Any] | None = None
    limit: StrictInt | None = None


class MessagesBody(ScopeBody):
    limit: StrictInt | None = None


class UpdateBody(Body):
    text: StrictStr
    metadata: dict[str, Any] | None = None


class UserBody(Body):
    user_id: StrictStr = Field(max_length=200)


class ObserveBody(Body):
    message: StrictStr
    user_id: StrictStr = Field(max_length=200)
    message_id: StrictStr | None = Id
    timestamp: StrictStr | StrictInt | StrictFloat | None = None


class FeedbackBody(Body):
    user_id: StrictStr = Field(max_length=200)
    original: StrictStr | None = None
    edited: StrictStr | None = None
    comment: StrictStr | None = None
    message_id: StrictStr | None = Id
    timestamp: StrictStr | StrictInt | StrictFloat | None = None


class ReprocessBody(Body):
    user_id: StrictStr | None = Id
    limit: StrictInt = Field(100, ge=1, le=100_000)


MemoryMode = Literal["on", "read-only", "off"]


class ChatBody(ScopeBody):
    message: StrictStr
    stream: StrictBool = True
    format: Literal["ndjson", "sse"] = "ndjson"
    memory_mode: MemoryMode = "on"
    now: StrictStr | None = None
    max_tokens: StrictInt | None = Field(None, ge=1, le=8192)  # None: follow the length preference


class SessionStartBody(Body):
    user_id: StrictStr = Field(max_length=200)
    title: StrictStr
    memory_mode: MemoryMode = "on"
    model: StrictStr | None = Id


class SessionListBody(Body):
    user_id: StrictStr = Field(max_length=200)
    query: StrictStr | None = None
    limit: StrictInt = 100


class SessionPatchBody(Body):
    """``title``: rename; ``memory_mode`` / ``model``: mark used now with these (both: rename, then touch)."""

    title: StrictStr | None = None
    memory_mode: MemoryMode | None = None
    model: StrictStr | None = Id


class ConsolidateBody(Body):
    wait: StrictBool = True
