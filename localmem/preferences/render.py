"""From a tracked profile to generation settings: a compact style line for the answer prompt, and
``max_tokens`` following the length preference.

Only what the evidence supports is said: a dimension is rendered when it has at least
``MIN_EVIDENCE`` of observed weight and its fused value is clearly off neutral, so a new user gets
no style line at all (and the model's defaults).
"""

from __future__ import annotations

import math

from localmem.preferences.types import PreferenceProfile

MIN_EVIDENCE = 0.9
MARGIN = 0.15  # |value - 0.5| below this is "no preference"
MIN_TOKENS, MAX_TOKENS = 96, 1024  # max_tokens at length 0 and 1 (geometric in between)
CATEGORY_MIN = 0.45  # probability a tone / emotion needs before it is mentioned


def _level(profile: PreferenceProfile, name: str) -> float | None:
    state = profile.dimensions.get(name)
    if state is None or state.evidence < MIN_EVIDENCE:
        return None
    value = float(state.fused)  # type: ignore[arg-type]
    return value if abs(value - 0.5) >= MARGIN else None


def _top(profile: PreferenceProfile, name: str) -> str | None:
    state = profile.dimensions.get(name)
    if state is None or state.evidence < MIN_EVIDENCE or not isinstance(state.fused, dict):
        return None
    label = state.top
    return label if label != "neutral" and state.fused[label] >= CATEGORY_MIN else None


def style_line(profile: PreferenceProfile | None) -> str:
    """E.g. "Style: answer briefly (a few sentences at most); casual tone; plain words, no jargon."
    (empty when nothing is known well enough)."""
    if profile is None:
        return ""
    parts: list[str] = []
    length = _level(profile, "length")
    if length is not None:
        if length < 0.3:
            parts.append("answer very briefly (one or two sentences)")
        elif length < 0.5:
            parts.append("answer briefly")
        elif length > 0.7:
            parts.append("answer in detail, explaining fully")
        else:
            parts.append("give a fairly complete answer")
    formality = _level(profile, "formality")
    tone = _top(profile, "tone")
    if formality is not None:
        parts.append("formal, polite tone" if formality > 0.5 else "casual, relaxed tone")
    elif tone in ("formal", "casual"):
        parts.append(f"{tone} tone")
    if tone == "friendly":
        parts.append("be warm and friendly")
    depth = _level(profile, "depth")
    if depth is not None:
        parts.append("technical and precise, expert level" if depth > 0.5 else "plain words, no jargon")
    structure = _level(profile, "structure")
    if structure is not None:
        parts.append("use a bulleted or numbered list" if structure > 0.5 else "write prose, no lists")
    emotion = _top(profile, "emotion")
    if emotion in ("sadness", "fear"):
        parts.append("the user seems " + ("sad" if emotion == "sadness" else "worried") + ": be gentle and reassuring")
    elif emotion == "anger":
        parts.append("the user seems frustrated: be calm and get straight to a fix")
    elif emotion == "joy":
        parts.append("the user is in a good mood")
    if not parts:
        return ""
    return "Style: " + "; ".join(parts) + "."


def max_tokens(profile: PreferenceProfile | None, default: int | None = None) -> int | None:
    """The generation limit for the fused length preference (``default`` when nothing is known).

    Geometric between ``MIN_TOKENS`` (length 0) and ``MAX_TOKENS`` (length 1): 0.5 gives ~310."""
    if profile is None:
        return default
    state = profile.dimensions.get("length")
    if state is None or state.evidence < MIN_EVIDENCE:
        return default
    value = min(1.0, max(0.0, float(state.fused)))  # type: ignore[arg-type]
    return int(round(math.exp(math.log(MIN_TOKENS) + value * (math.log(MAX_TOKENS) - math.log(MIN_TOKENS)))))
