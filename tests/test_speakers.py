"""Conversations among named people (localmem.speakers): each speaker's side, vocatives, names."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from localmem.speakers import extract_input, named, said_by, seen_by, speakers, without_vocatives
from localmem.types import Message

AT = datetime(2023, 5, 8, tzinfo=timezone.utc)
NAMES = ["Caroline", "Melanie"]


def msg(role: str, content: str, who: str | None = None) -> Message:
    return Message(id=content[:8], user_id="conv", role=role, content=content, created_at=AT,
                   metadata={"speaker": who} if who else {})


@pytest.mark.parametrize("text, expected", [
    ("Hey Mel! Good to see you!", "Hey! Good to see you!"),
    ("Wow, that's cool, Caroline! What happened?", "Wow, that's cool! What happened?"),
    ("Thanks, Melanie! That's really sweet.", "Thanks! That's really sweet."),
    ("Totally agree, Mel. Relaxing is key", "Totally agree. Relaxing is key"),
    ("Hey Caroline, how are you?", "Hey, how are you?"),
    ("Melanie, look at this", "look at this"),
    # a name that is part of what is said stays
    ("Melanie and I went hiking", "Melanie and I went hiking"),
    ("I told Melanie about it.", "I told Melanie about it."),
    ("My cousin Melanie, a nurse, visited", "My cousin Melanie, a nurse, visited"),
    ("Melvin is my dog", "Melvin is my dog"),  # not a short form of either name
])
def test_without_vocatives(text, expected):
    assert without_vocatives(text, NAMES) == expected


def test_one_side_per_speaker_in_order():
    turns = [msg("user", "Hey Mel! I moved from Sweden.", "Caroline"), msg("user", "My husband is Tom.", "Melanie"),
             msg("user", "We hiked, Caroline!", "Melanie")]
    assert speakers(turns) == ["Caroline", "Melanie"]
    own, others = said_by(turns, "Caroline")
    assert own == [{"role": "user", "content": "Hey! I moved from Sweden."}]
    assert others == [{"role": "assistant", "content": "My husband is Tom."},
                      {"role": "assistant", "content": "We hiked, Caroline!"}]  # context is shown as said
    own, _ = said_by(turns, "Melanie")
    assert [m["content"] for m in own] == ["My husband is Tom.", "We hiked!"]


def test_extract_input_puts_earlier_turns_from_the_same_side_before_the_others_new_ones():
    earlier = [msg("user", "Morning!", "Melanie"), msg("user", "Hi Mel!", "Caroline")]
    turns = [msg("user", "I moved from Sweden, Mel.", "Caroline"), msg("user", "My husband is Tom.", "Melanie")]
    new, context = extract_input(turns, "Caroline", earlier)
    assert new == [{"role": "user", "content": "I moved from Sweden."}]
    assert context == [{"role": "assistant", "content": "Morning!"}, {"role": "user", "content": "Hi Mel!"},
                       {"role": "assistant", "content": "My husband is Tom."}]


def test_without_names_the_conversation_is_unchanged():
    turns = [msg("user", "Hey Mel, I live in Lyon."), msg("assistant", "Nice!")]
    assert speakers(turns) == [None]
    assert said_by(turns, None) == ([{"role": "user", "content": "Hey Mel, I live in Lyon."},
                                     {"role": "assistant", "content": "Nice!"}], [])
    assert seen_by(turns, None) == said_by(turns, None)[0]


def test_named_replaces_user_only_as_a_word():
    assert named("User's dog Rex likes Users' park", "Mel") == "Mel's dog Rex likes Users' park"
    assert named("User and Caroline went hiking", "Melanie") == "Melanie and Caroline went hiking"
    assert named("User lives in Lyon", None) == "User lives in Lyon"
