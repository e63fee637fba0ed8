"""Typed values of the preference tracker (pydantic): signals, per-dimension state, profiles, history.

Dimensions (``CONTINUOUS`` and ``CATEGORICAL``):

===========  ===========  ==================================================================
length       continuous   preferred reply length: 0 = one line, 0.5 = a paragraph, 1 = long
formality    continuous   0 = casual, 1 = formal
depth        continuous   information density / technical depth: 0 = plain words, 1 = expert
structure    continuous   0 = flowing prose, 1 = lists and steps
tone         categorical  neutral / friendly / formal / casual (how the user talks)
emotion      categorical  neutral / joy / sadness / anger / fear (how the user feels now)
===========  ===========  ==================================================================

A continuous value is a float in [0, 1]; a categorical one is a probability vector (a dict over
its labels summing to 1). A dimension nothing has been observed for keeps its prior (0.5, or all
mass on ``neutral``) and has ``observations == 0``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from localmem.types import MemoryItem

CONTINUOUS: tuple[str, ...] = ("length", "formality", "depth", "structure")
CATEGORICAL: dict[str, tuple[str, ...]] = {
    "tone": ("neutral", "friendly", "formal", "casual"),
    "emotion": ("neutral", "joy", "sadness", "anger", "fear"),
}
DIMENSIONS: tuple[str, ...] = CONTINUOUS + tuple(CATEGORICAL)

SignalSource = Literal["message", "feedback", "edit"]
Value = float | dict[str, float]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def prior(dimension: str) -> Value:
    """The value of a dimension before anything was observed."""
    if dimension in CATEGORICAL:
        return {label: (1.0 if label == "neutral" else 0.0) for label in CATEGORICAL[dimension]}
    return 0.5


class Observation(_Model):
    """One piece of evidence about one dimension in one turn.

    ``weight`` in (0, 1] is how much it counts (1 = an explicit request such as "shorter please";
    small = a weak hint such as the length of the user's own message). ``evidence`` says what it
    was drawn from, so that a profile can be explained."""

    value: Value
    weight: float = Field(1.0, gt=0.0, le=1.0)
    evidence: str = ""


class PreferenceSignal(_Model):
    """The signal vector p_t of one turn: an observation for each dimension there was evidence for."""

    observations: dict[str, Observation] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> "PreferenceSignal":
        for name, obs in self.observations.items():
            check_value(name, obs.value)
        return self

    @property
    def empty(self) -> bool:
        return not self.observations


def check_value(name: str, value: Any) -> None:
    """Raise ``ValueError`` naming the problem if ``value`` is not valid for dimension ``name``."""
    if name in CATEGORICAL:
        labels = CATEGORICAL[name]
        if not isinstance(value, dict):
            raise ValueError(f"{name} must be a probability dict over {', '.join(labels)}")
        unknown = set(value) - set(labels)
        if unknown:
            raise ValueError(f"{name} has unknown labels {sorted(unknown)} (allowed: {', '.join(labels)})")
        if any(not math.isfinite(v) or v < 0 for v in value.values()):
            raise ValueError(f"{name} probabilities must be finite and >= 0")
        total = sum(value.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"{name} probabilities must sum to 1, got {total:.4f}")
    elif name in CONTINUOUS:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    else:
        raise ValueError(f"unknown preference dimension {name!r} (known: {', '.join(DIMENSIONS)})")


class ChangePoint(_Model):
    """A detected change of preference: Δ (the normalised gap between short and long term) passed τ."""

    turn: int
    at: datetime
    dimension: str
    delta: float
    before: Value  # fused value just before the change was acted on
    after: Value   # fused value after the long-term estimate caught up


class DimensionState(_Model):
    """One dimension's current estimates."""

    dimension: str
    kind: Literal["continuous", "categorical"]
    fused: Value          # λ·short_term + (1-λ)·long_term: what replies are steered by
    short_term: Value     # sliding-window mean over the last W observations
    long_term: Value      # exponential moving average
    delta: float = 0.0    # last Δ_t (normalised |SW - EMA|)
    observations: int = 0
    evidence: float = 0.0  # sum of the weights observed so far
    last_change: ChangePoint | None = None

    @property
    def top(self) -> str | None:
        """The most likely label of a categorical dimension."""
        if isinstance(self.fused, dict):
            return max(self.fused, key=self.fused.__getitem__)
        return None


class PreferenceProfile(_Model):
    """How a user likes to be answered: the tracked style and, beside it, the preferences they stated."""

    user_id: str
    turns: int = 0
    dimensions: dict[str, DimensionState]
    change_points: list[ChangePoint] = Field(default_factory=list)  # most recent last
    explicit: list[MemoryItem] = Field(default_factory=list)  # communication-style memories
    updated_at: datetime | None = None

    def value(self, dimension: str) -> Value:
        return self.dimensions[dimension].fused


class PreferenceSnapshot(_Model):
    """One turn of a user's preference time series (``Memory.preference_history``)."""

    turn: int
    at: datetime
    source: SignalSource
    message_id: str | None = None
    signal: PreferenceSignal
    short_term: dict[str, Value]
    long_term: dict[str, Value]
    fused: dict[str, Value]
    delta: dict[str, float]
    changed: list[str] = Field(default_factory=list)

    @property
    def change(self) -> bool:
        return bool(self.changed)


class ReplyFeedback(_Model):
    """Feedback on one assistant reply: an edited version of it and/or a comment ("too long")."""

    id: str
    user_id: str
    message_id: str | None = None  # the logged assistant message the feedback is about
    original: str | None = None
    edited: str | None = None
    comment: str | None = None
    created_at: datetime
    turn: int  # the preference turn the feedback became

    @field_validator("created_at", mode="after")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        from localmem.types import to_utc

        return to_utc(value)
