"""Turns that must yield no memory, assistant replies, and the surface style of a persona's writing."""

from __future__ import annotations

import random
import re

from localmem.adapters.synth import pools as P
from localmem.adapters.synth.draft import Ctx, Piece

SMALL_TALK = (
    "hi!", "hey, how's it going", "good morning :)", "thanks, that's helpful", "haha fair enough", "ok cool",
    "ugh it's raining again", "lol", "perfect, thank you!", "hmm let me think about it", "anyway",
    "sorry, got distracted", "that's wild", "nice one", "you're a lifesaver", "what a day", "brb",
    "makes sense", "oh interesting", "cheers", "good night!", "I'm back", "wow, ok", "sounds good to me",
)
QUESTIONS = (
    "what's the capital of australia?", "how many grams in a cup of flour?", "can you explain what an API is?",
    "what's a good synonym for 'important'?", "how long do I boil an egg for?", "why is the sky blue?",
    "what time zone is Tokyo in?", "how do I convert celsius to fahrenheit?", "can you recommend a podcast?",
    "what's the difference between affect and effect?", "how do you make a sourdough starter?",
    "is it better to stretch before or after running?", "what should I read next?",
    "can you summarise the plot of Hamlet?", "how do I center a div?", "any ideas for a rainy sunday?",
    "what's a healthy breakfast?", "how do I get red wine out of a carpet?",
)


def other_person(c: Ctx) -> Piece:
    """A passing remark about someone who is not family or a close friend: nothing to remember."""
    who = c.pick(P.OTHERS)
    name = c.name(P.PERSON_NAMES)
    thing = c.pick(P.MUSIC + P.SPORTS + P.GENRES_SCREEN + P.CRAFTS)
    place = c.pick(P.PLACES)
    say = c.pick([f"my {who} {name} won't stop talking about {thing}",
                  f"my {who} just got back from {place}, {c.pick(['she', 'he'])} says it was great",
                  f"my {who} is obsessed with {thing}, it's a lot",
                  f"{name} from work is moving to {c.pick(P.CITIES)} next month",
                  f"my {who}'s dog barked all night", f"my {who} {name} loves {thing}, not my thing though",
                  f"a {who} of mine keeps recommending {thing}"])
    return Piece(say, [])


# Generator v4: everyday turns with content words, numbers and names that are still nothing to
# remember (the v1-v3 pools above are 42 fixed sentences; on hand-written conversations the extract
# adapter turned such turns into memories: "ugh, rain all morning" -> "User dislikes rain").
_PRODUCTS = ("winter coat", "pair of running shoes", "laptop bag", "rice cooker", "desk chair", "phone case",
             "kettle", "backpack", "pair of headphones", "standing desk", "air fryer", "umbrella")
_WORDS = ("mittens", "the bill please", "good luck", "see you tomorrow", "umbrella", "cheers", "excuse me",
          "I'm lost", "how much is it", "happy birthday", "the train station", "a table for two")
_WEATHER = ("rain", "drizzle", "wind", "fog", "snow", "grey skies", "hail", "heat")
_DAYPARTS = ("morning", "day", "afternoon", "week", "night")
_HOLIDAYS = ("christmas", "new year", "easter", "eid", "diwali", "halloween", "lunar new year", "holidays")
_CHORES = ("taxes", "laundry", "ironing", "expense report", "spring cleaning", "meal prep", "inbox")
_NICKS = ("buddy", "mate", "friend", "chief", "boss", "beta", "pal", "legend")
_BRANDS = ("Canon", "Nikon", "Apple", "Lego", "Ikea", "Nintendo", "Tesla", "Dyson")
_FIXES = ("get over jet lag", "fall asleep", "stop hiccups", "warm up cold hands", "get rid of a headache",
          "unclog a sink", "remove a stripped screw", "cool down a hot room")


def everyday(rng: random.Random) -> str:
    """A v4 turn with nothing to remember about the user, drawn from ``rng``."""
    pick = lambda seq: seq[rng.randrange(len(seq))]  # noqa: E731
    cur, n = pick(P.CURRENCIES), rng.choice((5, 10, 12, 15, 20, 25))
    forms = (
        lambda: f"what's the {pick(P.LANGUAGES)} word for '{pick(_WORDS)}'?",
        lambda: f"how do you say '{pick(_WORDS)}' in {pick(P.LANGUAGES)}?",
        lambda: f"how much is {n}% of {cur}{rng.randrange(120, 990)}?",
        lambda: f"how much would a {n}% deposit on a {cur}{rng.randrange(150, 650)}k house be?",
        lambda: f"can you recommend a {pick(_PRODUCTS)} under {cur}{rng.choice((50, 80, 100, 150, 200, 300))}?",
        lambda: f"what should I look for in a {pick(_PRODUCTS)}?",
        lambda: f"ugh, {pick(_WEATHER)} all {pick(_DAYPARTS)}",
        lambda: f"so much {pick(_WEATHER)} today, unreal",
        lambda: f"{rng.randrange(2, 30)} days to go!!",
        lambda: f"happy {pick(_HOLIDAYS)} in advance!",
        lambda: f"doing the {pick(_CHORES)} tonight, living the dream",
        lambda: f"it worked! thank you {pick(_NICKS)}",
        lambda: f"thanks {pick(_NICKS)}, that fixed it",
        lambda: f"any idea how to {pick(_FIXES)} faster?",
        lambda: f"my {pick(P.OTHERS)} {pick(P.PERSON_NAMES)} swears by {pick(_BRANDS)}, she's such a fan",
        lambda: f"{pick(P.PERSON_NAMES)} at work keeps talking about {pick(P.PLACES)}",
        lambda: f"is {pick(P.PLACES)} nice in {pick(('spring', 'summer', 'autumn', 'winter'))}?",
        lambda: f"what's a good {pick(P.CUISINES)} dish to try first?",
        lambda: f"how long does it take to fly to {pick(P.PLACES)}?",
        lambda: f"who won the {pick(('match', 'game', 'final', 'race'))} last night?",
    )
    return pick(forms)()


def empty(c: Ctx) -> Piece:
    if c.version >= 4 and c.rng.random() < 0.6:
        return Piece(everyday(c.rng))
    roll = c.rng.random()
    if roll < 0.4:
        return Piece(c.pick(SMALL_TALK))
    if roll < 0.75:
        return Piece(c.pick(QUESTIONS))
    return other_person(c)


ASSISTANT = (
    "That sounds great! Tell me more.", "Got it.", "Thanks for sharing that.", "How can I help today?",
    "Noted. Anything else?", "That's a lot going on! How are you feeling about it?",
    "Sure, here's a quick answer: it depends, but usually yes.", "Interesting! How long has that been the case?",
    "Sorry to hear that. Is there anything I can do?", "Congratulations!", "Good to know.",
    "Here are a few ideas: start small, keep it simple, and plan ahead.", "Happy to help with that.",
    "Do you have any pets?", "What do you do for work?", "Where are you based?", "What are your plans this week?",
)

CONNECTORS = (". ", ", and ", ". oh and ", ". also ", "! ", " - ", ". btw ", ", plus ", "... ", ". anyway, ")
OPENERS = ("", "", "", "hey! ", "hi, ", "so ", "ok so ", "quick one: ", "morning! ", "haha ", "update: ")
ENDINGS = ("", "", "", "", " lol", "!", " :)", ".", " haha", " 😅", "!!", "?")

# Common words only (never a slot value, never part of a relative date phrase such as "the day
# before yesterday" or "next weekend", which must still be resolved in code), so gold stays exact.
TYPOS = {
    "really": "realy", "because": "becuase", "definitely": "definately", "going": "goin", "probably": "probly", "though": "tho", "please": "pls", "you": "u",
    "favourite": "favorite", "with": "wiht", "about": "abt", "just": "jsut", "thing": "thng",
    "thanks": "thx", "people": "ppl", "something": "smth", "I'm": "im", "don't": "dont", "can't": "cant",
}


def style_text(c: Ctx, text: str, style: str) -> str:
    """Apply a persona's writing style: ``plain``, ``lower`` (casual), ``typos`` or ``shouty``."""
    if style == "plain":
        return text[:1].upper() + text[1:]
    if style == "lower":
        return text.lower() if c.chance(0.7) else text
    if style == "typos":
        words = text.split(" ")
        out = []
        for w in words:
            core = re.sub(r"[^\w']", "", w)
            if core in TYPOS and c.chance(0.45):
                w = w.replace(core, TYPOS[core])
            out.append(w)
        return " ".join(out)
    if style == "shouty":
        return text + c.pick(["!!", "!!!", " 🎉", ""])
    return text


STYLES = ("plain", "lower", "typos", "shouty")
