"""Preference tracking through ``Memory``: persistence across reopen, history, feedback, bad input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from localmem.memory import Memory
from localmem.preferences import TrackerConfig
from localmem.preferences.tracker import TrackerState, update
from localmem.preferences.signals import from_message
from localmem.store.errors import InvalidInputError, UnknownUserError
from localmem.store.memories import NewMemory
from localmem.store.scope import Scope
from localmem.types import Category, Kind

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
MESSAGES = ["hey can u help me with stuff lol", "shorter please, just the answer",
            "Could you kindly explain the proof in detail?", "keep it brief", "thx, too long tho"]


def test_unknown_user_has_an_empty_profile_and_no_history(tmp_path: Path):
    with Memory(tmp_path / "a.db") as mem:
        profile = mem.preferences(user_id="nobody")
        assert profile.turns == 0 and profile.updated_at is None and profile.change_points == []
        assert profile.dimensions["length"].fused == 0.5 and profile.dimensions["length"].observations == 0
        assert profile.dimensions["emotion"].top == "neutral"
        assert mem.preference_history(user_id="nobody") == []


def test_state_and_series_survive_a_restart_and_continue_exactly(tmp_path: Path):
    path = tmp_path / "a.db"
    with Memory(path) as mem:
        for i, text in enumerate(MESSAGES[:3]):
            mem.observe_preferences(text, user_id="ana", timestamp=T0 + timedelta(minutes=i))
        before = mem.preferences(user_id="ana")
    with Memory(path) as mem:
        assert mem.preferences(user_id="ana") == before
        for i, text in enumerate(MESSAGES[3:], start=3):
            mem.observe_preferences(text, user_id="ana", timestamp=T0 + timedelta(minutes=i))
        after = mem.preferences(user_id="ana")
        history = mem.preference_history(user_id="ana")
    # The same turns fed to one tracker in memory give the same state.
    state, config = TrackerState(), TrackerConfig()
    for i, text in enumerate(MESSAGES):
        result = update(state, from_message(text), config, at=T0 + timedelta(minutes=i))
    assert after.turns == 5 and after.updated_at == T0 + timedelta(minutes=4)
    assert {k: v.fused for k, v in after.dimensions.items()} == result.fused
    assert [h.turn for h in history] == [1, 2, 3, 4, 5]
    assert history[-1].fused == result.fused and history[1].signal == from_message(MESSAGES[1])
    assert history[1].signal.observations["length"].value == pytest.approx(0.1)
    assert after.dimensions["length"].fused < 0.4 < before.dimensions["length"].fused + 0.2
    with Memory(path) as mem:
        assert [h.turn for h in mem.preference_history(user_id="ana", limit=2)] == [4, 5]


def test_profiles_are_per_user(tmp_path: Path):
    with Memory(tmp_path / "a.db") as mem:
        mem.observe_preferences("explain in detail please", user_id="ana")
        assert mem.preferences(user_id="bob").turns == 0
        assert mem.preference_history(user_id="bob") == []


def test_explicit_preference_memories_sit_beside_the_tracked_profile(tmp_path: Path):
    with Memory(tmp_path / "a.db") as mem:
        stated = mem.store.add_memory(Scope("ana"), NewMemory(text="User prefers short answers",
                                                              kind=Kind.PREFERENCE,
                                                              category=Category.COMMUNICATION_STYLE))
        mem.store.add_memory(Scope("ana"), NewMemory(text="User lives in Lyon"))
        mem.observe_preferences("tl;dr please", user_id="ana")
        profile = mem.preferences(user_id="ana")
        assert [m.id for m in profile.explicit] == [stated.id]
        assert profile.turns == 1


def test_an_edited_reply_is_stored_and_moves_the_length_preference(tmp_path: Path):
    with Memory(tmp_path / "a.db") as mem:
        logged = mem.store.log_messages(Scope("ana"), [("assistant", "word " * 80, {})], pending=False)
        fb = mem.record_feedback(user_id="ana", edited="word " * 20, message_id=logged[0].id)
        assert fb.original == "word " * 80 and fb.edited == "word " * 20 and fb.turn == 1
        (snap,) = mem.preference_history(user_id="ana")
        assert snap.source == "edit" and snap.message_id == logged[0].id
        # log2(20/80) = -2 -> 0.5 + 0.2·(-2) = 0.1
        assert snap.signal.observations["length"].value == pytest.approx(0.1)
        comment = mem.record_feedback(user_id="ana", comment="too technical for me")
        assert comment.comment == "too technical for me"
        assert mem.preference_history(user_id="ana")[-1].signal.observations["depth"].value == pytest.approx(0.1)
        assert [f.id for f in mem.prefs.feedback_log(user_id="ana")] == [fb.id, comment.id]


def test_bad_input_fails_clearly_and_stores_nothing(tmp_path: Path):
    with Memory(tmp_path / "a.db") as mem:
        with pytest.raises(InvalidInputError, match="message is empty"):
            mem.observe_preferences("   ", user_id="ana")
        with pytest.raises(InvalidInputError, match="message must be a string"):
            mem.observe_preferences(None, user_id="ana")  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="user_id is required"):
            mem.preferences(user_id=None)  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="user_id is empty"):
            mem.preference_history(user_id="")
        with pytest.raises(InvalidInputError, match="edited reply .* or a comment"):
            mem.record_feedback(user_id="ana")
        with pytest.raises(InvalidInputError, match="needs the original reply"):
            mem.record_feedback(user_id="ana", edited="shorter")
        with pytest.raises(InvalidInputError, match="message id"):
            mem.record_feedback(user_id="ana", edited="x", message_id="nope")
        with pytest.raises(InvalidInputError, match="limit"):
            mem.preference_history(user_id="ana", limit=0)
        assert mem.preferences(user_id="ana").turns == 0 and mem.prefs.feedback_log(user_id="ana") == []


def test_preference_config_comes_from_memory_config(tmp_path: Path):
    mem = Memory.from_config({"path": tmp_path / "a.db", "preferences": {"window": 7, "fusion": 0.3}})
    with mem:
        assert mem.prefs.config.window == 7 and mem.prefs.config.fusion == 0.3
    with pytest.raises(InvalidInputError, match="windw"):
        Memory.from_config({"path": tmp_path / "b.db", "preferences": {"windw": 7}})


def test_forget_user_erases_the_preference_series(tmp_path: Path):
    with Memory(tmp_path / "a.db") as mem:
        mem.observe_preferences("shorter please", user_id="ana")
        mem.record_feedback(user_id="ana", comment="too long")
        mem.observe_preferences("more detail", user_id="bob")
        counts = mem.forget_user(user_id="ana")
        assert counts["preferences"] == 2
        assert mem.preferences(user_id="ana").turns == 0 and mem.preference_history(user_id="ana") == []
        assert mem.prefs.feedback_log(user_id="ana") == []
        assert mem.preferences(user_id="bob").turns == 1
        with pytest.raises(UnknownUserError):
            mem.forget_user(user_id="ana")
