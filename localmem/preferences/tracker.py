"""The PAMU update: short-term and long-term preference estimates, their fusion, change detection.

Follows PAMU (Sun, Zhang, Zeng, "Preference-Aware Memory Update for Long-Term LLM Agents",
arXiv:2510.09720). Each user turn t gives a signal vector p_t (``PreferenceSignal``): for every
dimension with evidence this turn, a value (a number in [0, 1], or a probability vector for a
categorical dimension) and a weight w_t in (0, 1]. Per dimension, independently:

- Short term, the sliding-window mean over the last W observations:
      SW_t = Σ_{i in window} w_i·p_i / Σ_{i in window} w_i
- Long term, the exponential moving average, with the weight folded into the rate
  (w = 1 gives the paper's EMA_t = α·EMA_{t-1} + (1-α)·p_t):
      a_t = 1 - max((1-α)·w_t, w_t / E_t) ;   EMA_t = a_t·EMA_{t-1} + (1-a_t)·p_t
  where E_t = Σ_{i<=t} w_i is the evidence so far. The w_t / E_t term is the usual warm-up: while
  E_t < 1/(1-α) the EMA is the weighted mean of everything seen (EMA_1 = p_1), so a weak first hint
  does not pin the long-term estimate for the next ten turns.
- Fused, what replies are steered by:
      F_t = λ·SW_t + (1-λ)·EMA_t
- Change detection. d(x, y) is |x - y| for a number and the total-variation distance
  ½·Σ|x_k - y_k| for a probability vector. The recent variance σ²_t is an exponential average of
  the squared innovations r_t² = d(p_t, EMA_{t-1})², with rate ``variance_alpha``; an innovation
  is clipped at c·σ_{t-1} (c = ``variance_clip``) so that the jump being tested does not inflate
  its own yardstick (σ² measures the user's noise, not the change). Then
      Δ_t = d(SW_t, EMA_t) / sqrt(σ²_{t-1} + ε) A change
  fires when Δ_t > τ, the dimension has at least ``min_observations`` observations, and no change
  fired on it in the last ``cooldown`` observations. On a change the long-term estimate adapts
  faster: it is pulled to the short-term one, EMA_t ← γ·EMA_t + (1-γ)·SW_t (γ = ``change_alpha``),
  so that it does not take ~1/(1-α) turns to forget the old preference.

Dimensions without evidence in a turn are left as they were (their window does not advance).
Everything here is pure: ``update(state, signal)`` returns the new state and what happened; the
store keeps the state and the per-turn snapshots.

Defaults (W=3, α=0.85, λ=0.2, τ=1.5, γ=0) were chosen by ``bench/bench_pamu.py`` on simulated users
(stable, abrupt switch, slow drift, noisy; grid of 5,145 settings, objective fused MAE + 0.05·(1 -
change F1)) with tuning seeds separate from the reported ones; see BENCHMARKS.md. On the test seeds
the fusion beats SW alone and EMA alone; once a detected change pulls the EMA to the window mean,
the change-adapted EMA alone is about as good as the fusion (both reported there).
"""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from localmem.preferences.types import (CATEGORICAL, CONTINUOUS, DIMENSIONS, ChangePoint, DimensionState,
                                        PreferenceSignal, Value, prior)

MAX_CHANGE_POINTS = 50  # kept in the state (the full series is in the history table)


class TrackerConfig(BaseModel):
    """Parameters of the PAMU update (unknown keys are an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window: int = Field(3, ge=1, le=100, description="W: sliding-window length (observations)")
    alpha: float = Field(0.85, ge=0.0, lt=1.0, description="α: EMA retention per observation")
    fusion: float = Field(0.2, ge=0.0, le=1.0, description="λ: weight of the short-term estimate")
    threshold: float = Field(1.5, gt=0.0, description="τ: Δ above which a change fires")
    change_alpha: float = Field(0.0, ge=0.0, le=1.0,
                                description="γ: how much of the old EMA survives a detected change")
    variance_alpha: float = Field(0.95, ge=0.0, lt=1.0, description="retention of the recent-variance average")
    variance_floor: float = Field(0.0025, gt=0.0, description="ε added to σ² (no division by ~0)")
    variance_clip: float = Field(2.0, gt=0.0, description="c: innovations are clipped at c·σ in the variance")
    initial_variance: float = Field(0.02, gt=0.0, description="σ² before any innovation was seen")
    min_observations: int = Field(3, ge=1, description="no change is declared before this many observations")
    cooldown: int = Field(3, ge=0, description="observations after a change before another may fire")
    adapt_on_change: bool = True


class DimensionTrack(BaseModel):
    """The stored state of one dimension (vectors: [x] for a number, the label order for a category)."""

    model_config = ConfigDict(extra="forbid")

    window: list[tuple[list[float], float]] = Field(default_factory=list)  # (p_i, w_i), oldest first
    ema: list[float] | None = None
    variance: float | None = None
    observations: int = 0
    evidence: float = 0.0
    delta: float = 0.0
    since_change: int | None = None  # observations since the last change (None: never)
    last_change: ChangePoint | None = None


class TrackerState(BaseModel):
    """The stored state of one user's tracker."""

    model_config = ConfigDict(extra="forbid")

    turns: int = 0
    dims: dict[str, DimensionTrack] = Field(default_factory=dict)
    change_points: list[ChangePoint] = Field(default_factory=list)
    updated_at: datetime | None = None


class TurnResult(BaseModel):
    """What one update did: the estimates of every dimension after the turn, and the changes fired."""

    model_config = ConfigDict(extra="forbid")

    turn: int
    short_term: dict[str, Value]
    long_term: dict[str, Value]
    fused: dict[str, Value]
    delta: dict[str, float]
    changes: list[ChangePoint]


# -- vector helpers ---------------------------------------------------------------------------
def to_vector(dimension: str, value: Value) -> list[float]:
    if dimension in CATEGORICAL:
        return [float(value.get(label, 0.0)) for label in CATEGORICAL[dimension]]  # type: ignore[union-attr]
    return [float(value)]  # type: ignore[arg-type]


def from_vector(dimension: str, vector: list[float]) -> Value:
    if dimension in CATEGORICAL:
        return {label: round(v, 6) for label, v in zip(CATEGORICAL[dimension], vector)}
    return round(vector[0], 6)


def distance(a: list[float], b: list[float]) -> float:
    """|a - b| for one number, total-variation distance for probability vectors."""
    if len(a) == 1:
        return abs(a[0] - b[0])
    return 0.5 * sum(abs(x - y) for x, y in zip(a, b))


def _mix(a: list[float], b: list[float], keep: float) -> list[float]:
    return [keep * x + (1.0 - keep) * y for x, y in zip(a, b)]


def window_mean(window: list[tuple[list[float], float]]) -> list[float]:
    total = sum(w for _, w in window)
    size = len(window[0][0])
    return [sum(w * p[k] for p, w in window) / total for k in range(size)]


# -- the update -------------------------------------------------------------------------------
def estimates(track: DimensionTrack | None, dimension: str, config: TrackerConfig) -> tuple[Value, Value, Value]:
    """(short term, long term, fused) of one dimension (its prior when nothing was observed)."""
    if track is None or track.ema is None:
        p = prior(dimension)
        return p, p, p
    sw = window_mean(track.window[-config.window:])
    fused = _mix(sw, track.ema, config.fusion)
    return from_vector(dimension, sw), from_vector(dimension, track.ema), from_vector(dimension, fused)


def observe(track: DimensionTrack, dimension: str, value: Value, weight: float, config: TrackerConfig,
            *, turn: int, at: datetime) -> ChangePoint | None:
    """Fold one observation into ``track`` (in place); the change point if one fired."""
    p = to_vector(dimension, value)
    track.observations += 1
    track.evidence += weight
    track.window = (track.window + [(p, weight)])[-config.window:]
    if track.ema is None:
        track.ema = p
        track.variance = config.initial_variance
        track.delta = 0.0
        return None
    previous = track.ema
    a = 1.0 - max((1.0 - config.alpha) * weight, weight / track.evidence)
    track.ema = _mix(previous, p, a)
    sw = window_mean(track.window)
    sigma2 = track.variance if track.variance is not None else config.initial_variance
    track.delta = distance(sw, track.ema) / math.sqrt(sigma2 + config.variance_floor)
    innovation = min(distance(p, previous) ** 2, config.variance_clip ** 2 * sigma2)
    b = 1.0 - (1.0 - config.variance_alpha) * weight
    track.variance = b * sigma2 + (1.0 - b) * innovation
    if track.since_change is not None:
        track.since_change += 1
    fires = (track.delta > config.threshold and track.observations >= config.min_observations
             and (track.since_change is None or track.since_change > config.cooldown))
    if not fires:
        return None
    before = from_vector(dimension, _mix(sw, track.ema, config.fusion))
    if config.adapt_on_change:
        track.ema = _mix(track.ema, sw, config.change_alpha)
    after = from_vector(dimension, _mix(sw, track.ema, config.fusion))
    track.since_change = 0
    change = ChangePoint(turn=turn, at=at, dimension=dimension, delta=round(track.delta, 6),
                         before=before, after=after)
    track.last_change = change
    return change


def update(state: TrackerState, signal: PreferenceSignal, config: TrackerConfig, *, at: datetime) -> TurnResult:
    """Apply one turn's signal to ``state`` (in place) and report the estimates after it."""
    state.turns += 1
    changes: list[ChangePoint] = []
    for name, obs in signal.observations.items():
        track = state.dims.setdefault(name, DimensionTrack())
        change = observe(track, name, obs.value, obs.weight, config, turn=state.turns, at=at)
        if change is not None:
            changes.append(change)
    state.change_points = (state.change_points + changes)[-MAX_CHANGE_POINTS:]
    state.updated_at = at
    short, long_, fused, delta = {}, {}, {}, {}
    for name in DIMENSIONS:
        track = state.dims.get(name)
        short[name], long_[name], fused[name] = estimates(track, name, config)
        delta[name] = round(track.delta, 6) if track is not None else 0.0
    return TurnResult(turn=state.turns, short_term=short, long_term=long_, fused=fused, delta=delta,
                      changes=changes)


def dimension_states(state: TrackerState, config: TrackerConfig) -> dict[str, DimensionState]:
    out = {}
    for name in DIMENSIONS:
        track = state.dims.get(name)
        sw, ema, fused = estimates(track, name, config)
        out[name] = DimensionState(
            dimension=name, kind="categorical" if name in CATEGORICAL else "continuous",
            fused=fused, short_term=sw, long_term=ema,
            delta=round(track.delta, 6) if track else 0.0,
            observations=track.observations if track else 0,
            evidence=round(track.evidence, 6) if track else 0.0,
            last_change=track.last_change if track else None)
    return out


__all__ = ["CONTINUOUS", "TrackerConfig", "TrackerState", "TurnResult", "dimension_states", "distance",
           "estimates", "observe", "update"]
