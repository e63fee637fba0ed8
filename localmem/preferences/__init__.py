"""PAMU preference tracking: how each user likes to be answered, short and long term.

- ``signals``: per-turn signal vectors from messages, edits and comments (lexical, no model).
- ``tracker``: the PAMU update (sliding window + EMA, fusion, change detection), pure math.
- ``store``: persistence in the memory store's SQLite file (migration m008).
- ``render``: the style line for the answer prompt and ``max_tokens`` from the length preference.
- ``service``: the verbs ``Memory`` exposes (``preferences``, ``preference_history``,
  ``observe_preferences``, ``record_feedback``).
"""

from localmem.preferences.tracker import TrackerConfig
from localmem.preferences.types import (CATEGORICAL, CONTINUOUS, DIMENSIONS, ChangePoint, DimensionState,
                                        Observation, PreferenceProfile, PreferenceSignal, PreferenceSnapshot,
                                        ReplyFeedback)

__all__ = ["CATEGORICAL", "CONTINUOUS", "DIMENSIONS", "ChangePoint", "DimensionState", "Observation",
           "PreferenceProfile", "PreferenceSignal", "PreferenceSnapshot", "ReplyFeedback", "TrackerConfig"]
