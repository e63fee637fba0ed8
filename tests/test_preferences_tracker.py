"""The PAMU update, checked against hand-computed sequences (see localmem/preferences/tracker.py)."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from localmem.preferences.tracker import TrackerConfig, TrackerState, update
from localmem.preferences.types import Observation, PreferenceSignal

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def sig(**values) -> PreferenceSignal:
    obs = {}
    for name, v in values.items():
        value, weight = v if isinstance(v, tuple) else (v, 1.0)
        obs[name] = Observation(value=value, weight=weight)
    return PreferenceSignal(observations=obs)


def run(config: TrackerConfig, signals: list[PreferenceSignal]):
    state = TrackerState()
    return state, [update(state, s, config, at=AT) for s in signals]


def test_window_ema_and_fusion_by_hand():
    # W=2, α=0.5, λ=0.5; p = 0.2, 0.4, 0.8 (weight 1).
    # t1: EMA = p1 = 0.2.  t2: a = 1 - max(0.5, 1/2) = 0.5 -> EMA 0.3; SW (0.2+0.4)/2 = 0.3.
    # t3: a = 1 - max(0.5, 1/3) = 0.5 -> EMA 0.55; SW (0.4+0.8)/2 = 0.6; fused 0.575.
    config = TrackerConfig(window=2, alpha=0.5, fusion=0.5, variance_alpha=0.9, variance_floor=0.01,
                           variance_clip=10)
    state, results = run(config, [sig(length=0.2), sig(length=0.4), sig(length=0.8)])
    assert [r.long_term["length"] for r in results] == pytest.approx([0.2, 0.3, 0.55])
    assert [r.short_term["length"] for r in results] == pytest.approx([0.2, 0.3, 0.6])
    assert [r.fused["length"] for r in results] == pytest.approx([0.2, 0.3, 0.575])
    # Δ_3 = |0.6 - 0.55| / sqrt(σ²_2 + ε): σ²_2 = 0.9·0.02 + 0.1·(0.4-0.2)² = 0.022, ε = 0.01.
    assert results[2].delta["length"] == pytest.approx(0.05 / math.sqrt(0.032), abs=1e-5)
    # σ²_3 = 0.9·0.022 + 0.1·(0.8 - 0.3)² = 0.0448
    assert state.dims["length"].variance == pytest.approx(0.0448)
    assert state.turns == 3 and not any(r.changes for r in results)


def test_paper_ema_once_warm_up_is_over():
    # After the warm-up (E_t > 1/(1-α)), EMA_t = α·EMA_{t-1} + (1-α)·p_t exactly.
    config = TrackerConfig(window=3, alpha=0.5, threshold=100)
    _, results = run(config, [sig(formality=0.0)] * 3 + [sig(formality=1.0)])
    assert results[2].long_term["formality"] == 0.0
    assert results[3].long_term["formality"] == pytest.approx(0.5)   # 0.5·0 + 0.5·1


def test_weights_scale_the_update():
    # W=3, α=0.8: p1 = 0 (w 1), p2 = 1 (w 0.5). E_2 = 1.5, a = 1 - max(0.2·0.5, 0.5/1.5) = 2/3.
    config = TrackerConfig(window=3, alpha=0.8)
    _, results = run(config, [sig(depth=0.0), sig(depth=(1.0, 0.5))])
    assert results[1].long_term["depth"] == pytest.approx(1 / 3)
    assert results[1].short_term["depth"] == pytest.approx(0.5 / 1.5)


def test_unobserved_dimensions_keep_their_prior_and_do_not_advance():
    config = TrackerConfig(window=2)
    state, results = run(config, [sig(length=0.9), sig(formality=0.1)])
    assert results[1].fused["length"] == pytest.approx(0.9)
    assert results[1].fused["depth"] == 0.5
    assert results[1].fused["tone"] == {"neutral": 1.0, "friendly": 0.0, "formal": 0.0, "casual": 0.0}
    assert state.dims["length"].observations == 1 and "depth" not in state.dims


def test_abrupt_switch_fires_a_change_and_the_long_term_estimate_catches_up():
    # W=2, α=0.9, τ=1, γ=0 (EMA snaps to SW on a change), six turns at 0.2 then 0.8.
    # σ² decays 0.02·0.9^5 = 0.0118098 over the flat turns; t7: a = 1 - max(0.1, 1/7),
    # EMA = 0.2 + 0.6/7 = 0.285714, SW = 0.5, Δ = 0.214286 / sqrt(0.0118098 + 0.01) = 1.45100.
    config = TrackerConfig(window=2, alpha=0.9, threshold=1.0, change_alpha=0.0, cooldown=0, min_observations=3, fusion=0.5,
                           variance_alpha=0.9, variance_floor=0.01)
    state, results = run(config, [sig(length=0.2)] * 6 + [sig(length=0.8)])
    assert [r.changes for r in results[:6]] == [[]] * 6
    (change,) = results[6].changes
    assert change.dimension == "length" and change.turn == 7
    assert change.delta == pytest.approx(1.45100, abs=1e-4)
    assert change.before == pytest.approx(0.5 * 0.5 + 0.5 * (0.2 + 0.6 / 7))
    assert change.after == pytest.approx(0.5)
    assert results[6].long_term["length"] == pytest.approx(0.5)
    assert state.change_points == [change] and state.dims["length"].last_change == change


def test_a_jump_is_clipped_in_the_variance():
    # σ²_1 = 0.02; t2 innovation (1.0 - 0.0)² = 1 is clipped at c²·σ² = 4·0.02 = 0.08:
    # σ²_2 = 0.95·0.02 + 0.05·0.08 = 0.023 (unclipped it would be 0.069).
    state, _ = run(TrackerConfig(), [sig(length=0.0), sig(length=1.0)])
    assert state.dims["length"].variance == pytest.approx(0.023)


def test_no_change_without_adaptation_keeps_the_plain_ema():
    config = TrackerConfig(window=2, alpha=0.9, threshold=1.0, adapt_on_change=False, cooldown=0,
                           variance_alpha=0.9, variance_floor=0.01)
    _, results = run(config, [sig(length=0.2)] * 6 + [sig(length=0.8)])
    assert results[6].changes and results[6].long_term["length"] == pytest.approx(0.2 + 0.6 / 7)


def test_stable_noisy_user_fires_no_change_with_defaults():
    import random

    rng = random.Random(7)
    _, results = run(TrackerConfig(), [sig(length=min(1, max(0, 0.3 + rng.gauss(0, 0.08)))) for _ in range(60)])
    assert sum(len(r.changes) for r in results) <= 1


def test_categorical_dimensions_use_probability_vectors():
    config = TrackerConfig(window=2, alpha=0.5, threshold=100, fusion=0.5)
    neutral = {"neutral": 1.0, "friendly": 0.0, "formal": 0.0, "casual": 0.0}
    casual = {"neutral": 0.0, "friendly": 0.0, "formal": 0.0, "casual": 1.0}
    _, results = run(config, [sig(tone=neutral), sig(tone=casual), sig(tone=casual)])
    assert results[1].long_term["tone"] == pytest.approx({"neutral": 0.5, "friendly": 0, "formal": 0, "casual": 0.5})
    # t3: EMA = 0.5·(.5, .5) + 0.5·(0, 1) = (.25, .75); SW = (0, 1); fused (.125, .875)
    assert results[2].fused["tone"]["casual"] == pytest.approx(0.875)
    assert sum(results[2].fused["tone"].values()) == pytest.approx(1.0)


def test_bad_signals_and_config_are_refused_with_the_reason():
    with pytest.raises(ValidationError, match="length must be a number in"):
        sig(length=1.5)
    with pytest.raises(ValidationError, match="sum to 1"):
        sig(tone={"neutral": 0.5})
    with pytest.raises(ValidationError, match="unknown labels"):
        sig(emotion={"bored": 1.0})
    with pytest.raises(ValidationError, match="unknown preference dimension"):
        sig(verbosity=0.5)
    with pytest.raises(ValidationError):
        Observation(value=0.5, weight=0.0)
    with pytest.raises(ValidationError, match="windw"):
        TrackerConfig(windw=3)
    with pytest.raises(ValidationError):
        TrackerConfig(alpha=1.0)
