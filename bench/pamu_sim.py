"""Simulated users with known preference trajectories, and a vectorised copy of the PAMU update.

The vectorised tracker runs one continuous dimension for many users at once (every observation
with weight 1), so that a grid of (W, α, τ, γ) can be searched in seconds; ``check_against_library``
asserts that it matches ``localmem.preferences.tracker`` turn by turn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("stable", "abrupt", "drift", "noisy")
TURNS = 60
NOISE, HIGH_NOISE = 0.08, 0.2
DETECT_WITHIN = 8  # a change fired within this many turns of a true switch counts as found


@dataclass
class Users:
    kind: np.ndarray      # [N] index into KINDS
    truth: np.ndarray     # [N, T] the preference the user really has at each turn
    obs: np.ndarray       # [N, T] the signal p_t (truth + noise, clipped to [0, 1])
    switch: np.ndarray    # [N] turn (1-based) of the abrupt switch, 0 when none


def simulate(per_kind: int, seed: int, turns: int = TURNS) -> Users:
    rng = np.random.default_rng(seed)
    kinds, truths, obs, switches = [], [], [], []
    for k, kind in enumerate(KINDS):
        for _ in range(per_kind):
            t = np.arange(turns)
            a = rng.uniform(0.1, 0.9)
            switch = 0
            if kind in ("stable", "noisy"):
                x = np.full(turns, a)
            elif kind == "abrupt":
                b = rng.uniform(0.1, 0.9)
                while abs(b - a) < 0.35:
                    b = rng.uniform(0.1, 0.9)
                switch = int(rng.integers(20, 41))  # turn index (1-based) of the first new value
                x = np.where(t + 1 >= switch, b, a)
            else:  # drift: a slow linear change over the whole conversation
                b = rng.uniform(0.1, 0.9)
                while abs(b - a) < 0.4:
                    b = rng.uniform(0.1, 0.9)
                x = a + (b - a) * t / (turns - 1)
            sigma = HIGH_NOISE if kind == "noisy" else NOISE
            kinds.append(k)
            truths.append(x)
            obs.append(np.clip(x + rng.normal(0, sigma, turns), 0, 1))
            switches.append(switch)
    return Users(np.array(kinds), np.array(truths), np.array(obs), np.array(switches))


@dataclass
class Run:
    sw: np.ndarray     # [N, T]
    ema: np.ndarray    # [N, T]
    fires: np.ndarray  # [N, T] bool


def track(obs: np.ndarray, *, window: int, alpha: float, threshold: float, change_alpha: float,
          adapt: bool = True, variance_alpha: float = 0.95, variance_floor: float = 0.0025, variance_clip: float = 2.0,
          initial_variance: float = 0.02, min_observations: int = 3, cooldown: int = 3) -> Run:
    n, turns = obs.shape
    sw_out, ema_out, fires_out = np.empty((n, turns)), np.empty((n, turns)), np.zeros((n, turns), bool)
    ema = obs[:, 0].copy()
    var = np.full(n, initial_variance)
    since = np.full(n, -1)
    for t in range(turns):  # t is 0-based; the library's observation count is t + 1
        p = obs[:, t]
        sw = obs[:, max(0, t + 1 - window):t + 1].mean(axis=1)
        if t == 0:
            ema = p.copy()
        else:
            a = 1.0 - max(1.0 - alpha, 1.0 / (t + 1))
            previous = ema
            ema = a * previous + (1 - a) * p
            delta = np.abs(sw - ema) / np.sqrt(var + variance_floor)
            innovation = np.minimum((p - previous) ** 2, variance_clip ** 2 * var)
            var = variance_alpha * var + (1 - variance_alpha) * innovation
            since = np.where(since >= 0, since + 1, since)
            fire = (delta > threshold) & (t + 1 >= min_observations) & ((since < 0) | (since > cooldown))
            if adapt:
                ema = np.where(fire, change_alpha * ema + (1 - change_alpha) * sw, ema)
            since = np.where(fire, 0, since)
            fires_out[:, t] = fire
        sw_out[:, t], ema_out[:, t] = sw, ema
    return Run(sw_out, ema_out, fires_out)


def mae(estimate: np.ndarray, users: Users, mask: np.ndarray | None = None) -> float:
    err = np.abs(estimate - users.truth).mean(axis=1)
    return float(err[mask].mean() if mask is not None else err.mean())


def detection(run: Run, users: Users) -> dict[str, float]:
    """Precision / recall / mean delay of change detection (drift users left out: no true point)."""
    tp = fp = 0
    delays = []
    drift_fires = 0
    for i in range(len(users.kind)):
        fired = np.nonzero(run.fires[i])[0] + 1  # 1-based turns
        if KINDS[users.kind[i]] == "drift":
            drift_fires += len(fired)
            continue
        s = users.switch[i]
        matched = False
        for turn in fired:
            if s and not matched and s <= turn <= s + DETECT_WITHIN:
                matched = True
                tp += 1
                delays.append(turn - s)
            else:
                fp += 1
    positives = int((users.switch > 0).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    drift_users = int((users.kind == KINDS.index("drift")).sum())
    return {"precision": precision, "recall": recall, "f1": f1,
            "mean_delay": float(np.mean(delays)) if delays else float("nan"),
            "false_alarms_per_100_turns": 100 * fp / ((len(users.kind) - drift_users) * users.obs.shape[1]),
            "drift_fires_per_user": drift_fires / max(1, drift_users)}


def check_against_library(users: Users, config, count: int = 6) -> float:
    """Largest difference between this simulator and the library tracker (fused values)."""
    from datetime import datetime, timezone

    from localmem.preferences.tracker import TrackerState, update
    from localmem.preferences.types import Observation, PreferenceSignal

    run = track(users.obs[:count], window=config.window, alpha=config.alpha, threshold=config.threshold,
                change_alpha=config.change_alpha, variance_alpha=config.variance_alpha,
                variance_floor=config.variance_floor, variance_clip=config.variance_clip,
                initial_variance=config.initial_variance,
                min_observations=config.min_observations, cooldown=config.cooldown)
    fused = config.fusion * run.sw + (1 - config.fusion) * run.ema
    worst = 0.0
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(count):
        state = TrackerState()
        for t in range(users.obs.shape[1]):
            signal = PreferenceSignal(observations={"length": Observation(value=float(users.obs[i, t]))})
            result = update(state, signal, config, at=at)
            worst = max(worst, abs(result.fused["length"] - fused[i, t]))
            assert bool(result.changes) == bool(run.fires[i, t]), (i, t)
    return worst
