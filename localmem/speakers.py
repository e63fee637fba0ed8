"""Conversations among several named people (each user message's ``name``, kept as its speaker).

The extract adapter was distilled on one user talking to an assistant, so a group conversation is
extracted once per speaker, from that speaker's side: what they said are the new user turns, what
the others said is context, and "User" in what comes out becomes their name ("Caroline moved from
Sweden"). Two habits of a one-user model are undone on the way:

- a first-person line from someone else among the new turns reads as the user's own ("assistant:
  My husband Tom..." became "Caroline's husband is named Tom"): the others' turns go to context;
- a name the speaker calls someone by reads as a relative ("Thanks, Melanie!" became "Caroline's
  daughter Melanie loves painting"): names of the people in the conversation are taken out where
  they only address someone ("Hey Mel!", "..., Caroline!").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from localmem.llm import Message as LLMMessage
from localmem.types import SPEAKER_KEY, Message

#: Words a greeting or reaction starts with, before the name of the person addressed.
_OPENERS = ("hey", "hi", "hello", "hiya", "yo", "thanks", "thank you", "thx", "wow", "whoa", "yeah", "yep", "yes",
            "no", "oh", "ooh", "aw", "aww", "awww", "congrats", "congratulations", "sure", "ok", "okay", "haha",
            "lol", "agreed", "totally", "totally agree", "good to see you", "nice", "great", "sorry", "bye",
            "see you", "take care", "morning", "good morning", "evening", "good evening", "dear")
_SHORT = 3  # "Mel" for "Melanie": a name's first letters down to this many are the same name


def speaker(message: Message) -> str | None:
    value = message.metadata.get(SPEAKER_KEY)
    return value if isinstance(value, str) else None


def speakers(user_turns: Sequence[Message]) -> list[str | None]:
    """Whose facts the turns may hold, in order of appearance (None: the user, unnamed)."""
    return list(dict.fromkeys(speaker(m) for m in user_turns))


def seen_by(messages: Sequence[Message], who: str | None) -> list[LLMMessage]:
    """The conversation from ``who``'s side: their turns as the user's, every other turn (the
    assistant's, other people's) as the other party's."""
    return [{"role": "user" if m.role == "user" and speaker(m) == who else "assistant", "content": m.content}
            for m in messages if m.role in ("user", "assistant")]


def said_by(messages: Sequence[Message], who: str | None,
            context: Sequence[Message] = ()) -> tuple[list[LLMMessage], list[LLMMessage]]:
    """The new turns from ``who``'s side: (what they said, the user's turns; what everyone else
    said, context). Without names there is one side: the turns as they are."""
    seen = seen_by(messages, who)
    names = {speaker(m) for m in [*messages, *context]} - {None}
    if not names:
        return seen, []
    others = sorted(names - {who})
    own = [{"role": "user", "content": without_vocatives(m["content"], others)} for m in seen if m["role"] == "user"]
    return own, [m for m in seen if m["role"] != "user"]


def extract_input(messages: Sequence[Message], who: str | None,
                  context: Sequence[Message] = ()) -> tuple[list[LLMMessage], list[LLMMessage]]:
    """What extraction gets for ``who``'s side of new ``messages`` after earlier ``context``:
    (their new turns; the earlier turns from their side, then what the others just said)."""
    new, others = said_by(messages, who, context)
    return new, seen_by(context, who) + others


def _name_pattern(names: Iterable[str]) -> str:
    forms = set()
    for name in names:
        forms.add(re.escape(name))
        first = name.split()[0]
        forms.update(re.escape(first[:n]) for n in range(_SHORT, len(first) + 1))
    return "|".join(sorted(forms, key=len, reverse=True))


_OPENER = "|".join(re.escape(o) for o in sorted(_OPENERS, key=len, reverse=True))


@lru_cache(maxsize=64)
def _vocatives(names: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The three places a name only addresses someone, compiled once per set of names (a
    conversation's turns all share it)."""
    name = rf"(?:{_name_pattern(names)})\b"
    return (re.compile(rf"\b({_OPENER})(,?)\s+{name}(?=\s*[!?.,;:)]|\s*$)", re.I),
            re.compile(rf",\s*{name}(?=\s*[!?.;:)]|\s*$)"),
            re.compile(rf"^\s*{name}\s*[,!]\s*"))


def without_vocatives(text: str, names: Sequence[str]) -> str:
    """``text`` without the names of ``names`` where they only address that person: after a
    greeting or reaction ("Hey Mel!" -> "Hey!"), at the start before a comma ("Melanie, look"), or
    at the end of a clause after a comma ("That's cool, Caroline!"). A name that is part of what is
    said ("Melanie and I went hiking") stays."""
    if not names:
        return text
    after_opener, after_comma, at_start = _vocatives(tuple(names))
    text = after_opener.sub(r"\1", text)
    text = after_comma.sub("", text)
    return at_start.sub("", text)


_USER = re.compile(r"\bUser\b")


def named(text: str, who: str | None) -> str:
    """A memory extracted from ``who``'s side, about them by name ("User's dog" -> "Mel's dog")."""
    return text if who is None else _USER.sub(who, text)
