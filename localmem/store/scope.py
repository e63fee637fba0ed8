"""The scoping rule, in one place.

Every memory and message belongs to a ``user_id`` (required) and optionally to an ``agent_id`` and a
``session_id``. Reading with a scope returns the user's rows, narrowed to the given agent and/or
session when those are given (a memory stored without an agent matches only when no agent is asked
for). Writing with a scope stamps all three on the row. Nothing reads or writes across users.
"""

from __future__ import annotations

from dataclasses import dataclass

from localmem.store.values import clean_name, ts
from localmem.types import SearchFilters, Status


@dataclass(frozen=True)
class Scope:
    user_id: str
    agent_id: str | None = None
    session_id: str | None = None

    @classmethod
    def of(cls, user_id: object = None, agent_id: object = None, session_id: object = None) -> "Scope":
        """Validated scope: raises ``InvalidInputError`` for a missing or malformed id."""
        return cls(
            user_id=clean_name(user_id, "user_id", required=True),
            agent_id=clean_name(agent_id, "agent_id", required=False),
            session_id=clean_name(session_id, "session_id", required=False),
        )

    def where(self, alias: str) -> tuple[list[str], list]:
        """SQL conditions (joined by AND by the caller) restricting ``alias`` to this scope."""
        clauses, params = [f"{alias}.user_id = ?"], [self.user_id]
        if self.agent_id is not None:
            clauses.append(f"{alias}.agent_id = ?")
            params.append(self.agent_id)
        if self.session_id is not None:
            clauses.append(f"{alias}.session_id = ?")
            params.append(self.session_id)
        return clauses, params


def statuses(filters: SearchFilters | None) -> list[str]:
    filters = filters or SearchFilters()
    wanted = [Status.ACTIVE.value]
    if filters.include_superseded:
        wanted.append(Status.SUPERSEDED.value)
    if filters.include_deleted:
        wanted.append(Status.DELETED.value)
    return wanted


def memory_where(scope: Scope, filters: SearchFilters | None, alias: str = "m") -> tuple[str, list]:
    """The WHERE clause (without the keyword) selecting ``scope``'s memories that pass ``filters``."""
    filters = filters or SearchFilters()
    clauses, params = scope.where(alias)
    wanted = statuses(filters)
    clauses.append(f"{alias}.status IN ({', '.join('?' * len(wanted))})")
    params += wanted
    if filters.kind:
        clauses.append(f"{alias}.kind IN ({', '.join('?' * len(filters.kind))})")
        params += [k.value for k in filters.kind]
    if filters.category:
        clauses.append(f"{alias}.category IN ({', '.join('?' * len(filters.category))})")
        params += [c.value for c in filters.category]
    if filters.created_after is not None:
        clauses.append(f"{alias}.created_at >= ?")
        params.append(ts(filters.created_after))
    if filters.created_before is not None:
        clauses.append(f"{alias}.created_at < ?")
        params.append(ts(filters.created_before))
    if filters.valid_at is not None:
        at = ts(filters.valid_at)
        clauses.append(f"({alias}.valid_from IS NULL OR {alias}.valid_from <= ?)"
                       f" AND ({alias}.valid_to IS NULL OR {alias}.valid_to > ?)")
        params += [at, at]
    for key, value in (filters.metadata or {}).items():
        path = f'$."{key}"'  # keys are validated to [A-Za-z0-9_-] by SearchFilters
        if value is None:
            clauses.append(f"json_extract({alias}.metadata, ?) IS NULL")
            params.append(path)
        else:
            clauses.append(f"json_extract({alias}.metadata, ?) = ?")
            params += [path, int(value) if isinstance(value, bool) else value]
    return " AND ".join(clauses), params


def has_narrowing_filters(filters: SearchFilters | None) -> bool:
    """True when ``filters`` restrict more than the status (the vector indexes only know the status)."""
    if filters is None:
        return False
    return bool(filters.kind or filters.category or filters.created_after or filters.created_before
                or filters.valid_at or filters.metadata)
