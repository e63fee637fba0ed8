"""Answer probes of generator v5: many phrasings of a question, and questions about more kinds of memory.

Generators 1-4 asked each memory type one fixed question ("Which city do I live in?"), about the 40
memory types whose templates carry an ``ask``; a question about any other memory was only ever
unanswerable. The answer adapter trained on them said "I don't know" to "Where do I live now?" with
"User lives in Didsbury" first in its memory block (hand-written dev set: 10 of its 16 wrong
abstentions had the answer in the store). v5 rephrases most questions (``rephrase``) and derives
questions from the text of memories that have no ``ask`` (``derived_ask``: when is the exam, which
language should replies be in, what am I reading, ...), with the short answer taken from the text.
"""

from __future__ import annotations

import random
import re

#: Other ways to ask the fixed questions of the fact templates (the fixed question stays one choice).
REPHRASE: dict[str, tuple[str, ...]] = {
    "Which city do I live in?": ("Where do I live?", "Where do I live now?", "what city am I in these days?",
                                 "Remind me, where do I live?", "Where am I based?"),
    "Where am I from?": ("Which country am I from originally?", "where am I originally from?",
                         "What's my home country?"),
    "How old am I?": ("What's my age?", "how old did I say I was?", "Do you know how old I am?"),
    "Which languages do I speak?": ("What languages do I speak?", "which languages can I speak?",
                                    "What languages do I know?"),
    "What do I do for a living?": ("What's my job?", "What do I work as?", "what's my profession?",
                                   "What is my job?"),
    "What is my new job?": ("What's my new job?", "What job am I starting?", "what am I going to work as?"),
    "What am I studying?": ("What do I study?", "What's my degree in?", "what course am I doing?"),
    "What am I learning?": ("What am I learning at the moment?", "What skill am I picking up?",
                            "what am I learning these days?"),
    "What am I learning at the moment?": ("What am I learning?", "What skill am I picking up?"),
    "What am I allergic to?": ("Do I have any allergies?", "What allergy do I have?", "what am I allergic to again?"),
    "How much do I save each month?": ("How much am I saving a month?", "What's my monthly saving?",
                                       "how much do I put aside every month?"),
    "Which sport do I do?": ("What sport do I play?", "What sport am I into?", "which sport do I do regularly?"),
    "Which team do I support?": ("What team do I support?", "Who do I support?", "which team am I a fan of?"),
    "What is my hobby?": ("What's my hobby?", "What do I do for fun?", "what hobby do I have?"),
    "Where am I travelling to?": ("Where am I going on my trip?", "Where am I travelling next?",
                                  "What's my next trip?"),
    "Where am I travelling to next?": ("Where am I going on my trip?", "What's my next trip?"),
    "What is my partner's name?": ("What's my partner called?", "Who am I with?", "what's my partner's name?"),
}

#: Rephrasings of the parametric questions ("What is my dog's name?"): pattern -> formats of its groups.
REPHRASE_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"^What is my (.+)'s name\?$", ("What's my {0}'s name?", "What's my {0} called?", "What is my {0} called?",
                                    "do you remember my {0}'s name?", "what's the name of my {0}?")),
    (r"^How old is (.+)\?$", ("What age is {0}?", "how old is {0} now?")),
    (r"^Where does my (.+) live\?$", ("Where is my {0} living?", "which city does my {0} live in?")),
    (r"^When do I have (.+)\?$", ("Which days do I have {0}?", "what days is {0} on?", "when is my {0}?")),
)

REPHRASE_SHARE = 0.75  # questions asked in another phrasing than the fixed one


def rephrase(question: str, rng: random.Random) -> str:
    """``question`` in one of its phrasings (itself included), drawn from ``rng``."""
    options: tuple[str, ...] = REPHRASE.get(question, ())
    for pattern, formats in REPHRASE_PATTERNS:
        m = re.match(pattern, question)
        if m:
            options = tuple(f.format(*m.groups()) for f in formats)
            break
    if not options or rng.random() >= REPHRASE_SHARE:
        return question
    return rng.choice(options)


#: Questions derived from a memory's text: pattern -> (phrasings, format of the short answer).
DERIVED: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (r"^User wants replies in (\w+)$", ("Which language should you answer me in?",
                                        "What language do I want replies in?", "which language do I like answers in?"),
     "{0}"),
    (r"^User has an? (.+) exam on (\d{4}-\d{2}-\d{2})$", ("When is my {0} exam?", "when's my {0} exam?",
                                                         "What date is my {0} exam?"), "{1}"),
    (r"^User moved to (.+) on (\d{4}-\d{2}(?:-\d{2})?)$", ("When did I move to {0}?", "when did I move to {0} again?"),
     "{1}"),
    (r"^User visited (.+) on (\d{4}-\d{2}-\d{2})$", ("When did I visit {0}?", "When was I in {0}?"), "{1}"),
    (r"^User is reading (.+)$", ("What book am I reading?", "What am I reading at the moment?",
                                 "which book am I reading?"), "{0}"),
    (r"^User drinks (.+) every day$", ("What do I drink every day?", "What's my daily drink?"), "{0}"),
    (r"^User works at (.+)$", ("Where do I work?", "Who do I work for?", "where do I work again?"), "{0}"),
    (r"^User grew up in (.+)$", ("Where did I grow up?", "where did I spend my childhood?"), "{0}"),
    (r"^User listens to (.+)$", ("What do I listen to?", "What kind of podcasts or music do I listen to?"), "{0}"),
    (r"^User (?:is|follows an?) (vegan|vegetarian|pescatarian)(?: diet)?$",
     ("What's my diet?", "Do I follow a particular diet?", "what diet am I on?"), "{0}"),
    (r"^User injured their (\w+)", ("What did I injure?", "Which part of me did I hurt?"), "{0}"),
    (r"^User is training for (?:a |an |the )?(.+?) on (\d{4}-\d{2}-\d{2})$",
     ("What am I training for?", "what race am I training for?"), "{0}"),
)

#: Unanswerable questions of the derived kinds, each asked only when no memory text matches its
#: pattern (anything near the subject, so that "Where do I work?" is not unanswerable next to
#: "User works from home 1 days a week").
UNANSWERABLE_DERIVED: dict[str, str] = {
    "When is my exam?": r"exam", "What book am I reading?": r"\bread", "What do I drink every day?": r"\bdrinks?\b",
    "Where do I work?": r"^User works|\bjob\b|employ", "Where did I grow up?": r"grew up|originally from|childhood",
    "What's my diet?": r"vegan|vegetarian|pescatarian|gluten|diet|\beats?\b", "What am I training for?": r"training",
}


def unanswerable_derived(texts: list[str]) -> list[str]:
    """The derived questions that none of the memory ``texts`` comes near to answering."""
    return [q for q, near in UNANSWERABLE_DERIVED.items() if not any(re.search(near, t, re.I) for t in texts)]


def derived_ask(text: str, rng: random.Random) -> tuple[str, str, str] | None:
    """(the question in its first phrasing, in one drawn from ``rng``, the short answer) for a
    memory text a derived question fits."""
    for pattern, phrasings, answer in DERIVED:
        m = re.match(pattern, text)
        if m:
            g = m.groups()
            return phrasings[0].format(*g), rng.choice(phrasings).format(*g), answer.format(*g)
    return None
