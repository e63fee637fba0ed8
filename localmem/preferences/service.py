"""``PreferenceService``: the preference verbs of ``Memory`` (validation, signals, store, profile).

    mem.observe_preferences("shorter please, and no jargon", user_id="ana")   # one user turn
    mem.record_feedback(user_id="ana", original=reply.text, edited=shorter_text)
    profile = mem.preferences(user_id="ana")          # PreferenceProfile
    mem.preference_history(user_id="ana")             # [PreferenceSnapshot], one per turn
"""

from __future__ import annotations

from datetime import datetime

from localmem.preferences import render, signals
from localmem.preferences import store as pstore
from localmem.preferences.tracker import TrackerConfig, TrackerState, dimension_states, estimates
from localmem.preferences.types import PreferenceProfile, PreferenceSignal, PreferenceSnapshot, ReplyFeedback
from localmem.store.errors import InvalidInputError
from localmem.store.scope import Scope
from localmem.store.values import check_id, clean_text, coerce_time, now
from localmem.types import MAX_MESSAGE_CHARS, Category, SearchFilters


class PreferenceService:
    def __init__(self, store, config: TrackerConfig | None = None):
        self.store = store
        self.config = config or TrackerConfig()

    # -- writing --------------------------------------------------------------------------------
    def observe(self, message: str, *, user_id: str, message_id: str | None = None,
                timestamp: datetime | str | float | None = None) -> PreferenceSnapshot:
        """One user turn: extract its signal and update the user's tracker."""
        user_id = Scope.of(user_id).user_id
        message = clean_text(message, what="message", max_chars=MAX_MESSAGE_CHARS)
        message_id = check_id(message_id, "message id") if message_id is not None else None
        at = coerce_time(timestamp, "timestamp") if timestamp is not None else now()
        signal = signals.from_message(message)
        snap, _ = pstore.apply(self.store, user_id, lambda _state: signal, self.config, source="message",
                               message_id=message_id, at=at)
        return snap

    def observe_signal(self, signal: PreferenceSignal, *, user_id: str, source: str = "message",
                       message_id: str | None = None, timestamp: datetime | str | float | None = None
                       ) -> PreferenceSnapshot:
        """Feed a ready-made signal (simulations, other extractors)."""
        user_id = Scope.of(user_id).user_id
        if not isinstance(signal, PreferenceSignal):
            raise InvalidInputError(f"signal must be a PreferenceSignal, got {type(signal).__name__}")
        if source not in ("message", "feedback", "edit"):
            raise InvalidInputError(f"source must be 'message', 'feedback' or 'edit', got {source!r}")
        at = coerce_time(timestamp, "timestamp") if timestamp is not None else now()
        snap, _ = pstore.apply(self.store, user_id, lambda _state: signal, self.config, source=source,
                               message_id=message_id, at=at)
        return snap

    def feedback(self, *, user_id: str, original: str | None = None, edited: str | None = None,
                 comment: str | None = None, message_id: str | None = None,
                 timestamp: datetime | str | float | None = None) -> ReplyFeedback:
        """Feedback on a reply: an edited version of it (``original`` -> ``edited``) and/or a
        ``comment`` ("too long"). Stored as given and turned into one preference turn."""
        user_id = Scope.of(user_id).user_id
        message_id = check_id(message_id, "message id") if message_id is not None else None
        at = coerce_time(timestamp, "timestamp") if timestamp is not None else now()
        if edited is None and comment is None:
            raise InvalidInputError("feedback needs an edited reply (edited=...) or a comment (comment=...)")
        if edited is not None:
            edited = clean_text(edited, what="edited", max_chars=MAX_MESSAGE_CHARS)
            if original is None and message_id is not None:
                found = self.store.get_messages([message_id])
                if not found:
                    raise InvalidInputError(f"message id {message_id} is not a logged message")
                if found[0].user_id != user_id:
                    raise InvalidInputError(f"message {message_id} belongs to another user")
                original = found[0].content
            if original is None:
                raise InvalidInputError("an edit needs the original reply (original=...) or its message_id")
        if original is not None:
            original = clean_text(original, what="original", max_chars=MAX_MESSAGE_CHARS)
        if comment is not None:
            comment = clean_text(comment, what="comment", max_chars=MAX_MESSAGE_CHARS)

        def make_signal(state: TrackerState) -> PreferenceSignal:
            obs = {}
            if edited is not None and original is not None:
                length = float(estimates(state.dims.get("length"), "length", self.config)[2])
                formality = float(estimates(state.dims.get("formality"), "formality", self.config)[2])
                obs.update(signals.from_edit(original, edited, length=length, formality=formality).observations)
            if comment is not None:
                obs.update(signals.from_comment(comment).observations)  # an explicit remark wins
            return PreferenceSignal(observations=obs)

        def store_feedback(db, snap: PreferenceSnapshot) -> ReplyFeedback:
            return pstore.insert_feedback(db, user_id, message_id=message_id, original=original, edited=edited,
                                          comment=comment, at=at, turn=snap.turn)

        _, fb = pstore.apply(self.store, user_id, make_signal, self.config,
                             source="edit" if edited is not None else "feedback", message_id=message_id,
                             at=at, after=store_feedback)
        return fb  # type: ignore[return-value]

    # -- reading --------------------------------------------------------------------------------
    def profile(self, *, user_id: str, explicit: bool = True) -> PreferenceProfile:
        """The current profile. An unknown user gets the empty profile (``turns == 0``, priors)."""
        user_id = Scope.of(user_id).user_id
        state = pstore.load_state(self.store, user_id)
        stated = []
        if explicit:
            stated = self.store.list(Scope(user_id), SearchFilters(category=[Category.COMMUNICATION_STYLE]))
        return PreferenceProfile(user_id=user_id, turns=state.turns, dimensions=dimension_states(state, self.config),
                                 change_points=state.change_points[-10:], explicit=stated,
                                 updated_at=state.updated_at)

    def history(self, *, user_id: str, limit: int | None = None) -> list[PreferenceSnapshot]:
        user_id = Scope.of(user_id).user_id
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise InvalidInputError(f"limit must be a positive integer, got {limit!r}")
        return pstore.history(self.store, user_id, limit=limit)

    def feedback_log(self, *, user_id: str) -> list[ReplyFeedback]:
        return pstore.feedback(self.store, Scope.of(user_id).user_id)

    def style(self, profile: PreferenceProfile) -> tuple[str, int | None]:
        return render.style_line(profile), render.max_tokens(profile)
