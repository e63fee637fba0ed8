"""Unanswerable probes of generator v7 that sit next to a memory on the same subject.

Generators 1-6 asked unanswerable questions about subjects nothing in the store mentions, so the
answer adapter's memory block for them held only unrelated memories. The pipeline's retrieval puts
the nearest memories first, and for "What's the name of the consultancy I joined?" that is "User
works for a consultancy in Dubai": the adapter restated it (hand-written dev set, end to end: 14 of
21 unanswerable questions answered, all but one by restating a memory on the same subject). A near
miss asks for a detail of a remembered subject that the generator never states (the time of an
exam, the price of a purchase, the hotel of a trip, a relative's job), with that memory shown
among the first, as retrieval would show it; the reply is an abstention.
"""

from __future__ import annotations

import random
import re

#: (memory text pattern, questions about a detail it lacks ({0}, {1}: the pattern's groups), the
#: pattern of any memory text that could answer them: the probe is asked only when none matches).
NEAR_MISS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (r"^User has an? (.+?) exam on ", ("What time is my {0} exam?", "Where do I sit my {0} exam?",
                                        "Which room is my {0} exam in?"), r"\bexam at\b|\broom\b|o'clock"),
    (r"^User bought an? (.+?) (?:on|in) ", ("How much did I pay for the {0}?", "Where did I buy my {0}?",
                                             "What brand is my {0}?"), r"\bpaid\b|\bcost\b|\bbrand\b|€|\$|£"),
    (r"^User is going on a trip to (.+?) (?:on|in) ", ("Which hotel am I staying at in {0}?",
                                                        "Who am I travelling to {0} with?",
                                                        "How long is my trip to {0}?"), r"\bhotel\b|\bwith my\b"),
    (r"^User (?:visited|went on a trip to) (.+?)(?: on| in| and|$)", ("Which hotel did I stay at in {0}?",
                                                                  "Who did I go to {0} with?"), r"\bhotel\b"),
    (r"^User works at (.+)", ("Who is my manager at {0}?", "What's my boss's name?",
                              "How long is my commute to work?"), r"\bmanager\b|\bboss\b|\bcommute\b"),
    (r"^User works as an? (.+)", ("Where do I work as a {0}?", "Who is my manager?",
                                  "How much do I earn as a {0}?"),
     r"^User works at|\bmanager\b|\bsalary\b|\bearns?\b|\bcompany\b"),
    (r"^User is reading (.+)", ("What page am I on in {0}?", "Who gave me {0}?"), r"\bpage\b|\bgave\b"),
    (r"^User is a fan of (?:the )?(.+)", ("Who is my favourite {0} player?",
                                          "Which {0} game did I last go to?"), r"\bplayer\b|\bgame\b"),
    (r"^User is allergic to (.+)", ("When did I find out I'm allergic to {0}?",
                                    "What happens when I eat {0}?"), r"\bfound out\b|\breaction\b"),
    (r"^User injured their (\w+)", ("How did I hurt my {0}?", "Which doctor did I see about my {0}?"),
     r"\bwhile\b|\bdoctor\b|\bfell\b"),
    (r"^User's (wife|husband|partner|fiancée?|girlfriend|boyfriend) is named (\w+)",
     ("What does {1} do for a living?", "How old is my {0}?", "Where did I meet {1}?"),
     r"\b(?:works?|job|years old|met)\b.*\b(?:wife|husband|partner|fianc|girlfriend|boyfriend)|"
     r"\b(?:wife|husband|partner|fianc|girlfriend|boyfriend)\b.*\b(?:works?|job|years old|met)\b"),
    (r"^User's (sister|brother|mum|dad|mother|father|grandma|grandpa|friend|cousin|aunt|uncle) is named (\w+)",
     ("What does {1} do for a living?", "Where does my {0} {1} live?"),
     r"\b(?:sister|brother|mum|dad|mother|father|grandma|grandpa|friend|cousin|aunt|uncle)\b.*\b(?:works?|lives?)\b"),
    (r"^User's (sister|brother|mum|dad|grandma|grandpa|cousin|aunt|uncle) (?:works|lives)",
     ("What's my {0}'s name?",), r"\bnamed\b|\bcalled\b"),
    (r"^User loves (\w+) food", ("What's my favourite {0} restaurant?", "Which {0} dish do I cook most?"),
     r"\brestaurant\b|\bdish\b|\bcooks?\b"),
    (r"^User (?:finished|ran) (?:the |an? )(.+?) in \d", ("What place did I finish in the {0}?",
                                                         "Who did I do the {0} with?"), r"\bplace\b|\bposition\b"),
    (r"^User is training for an? (.+?)(?: on| in|$)", ("What's my target time for the {0}?",
                                                     "Who is coaching me for the {0}?"), r"\btarget\b|\bcoach"),
    (r"^User does (\w+) regularly", ("Which club do I do {0} with?", "How long have I been doing {0}?"),
     r"\bclub\b|\bsince\b|\byears\b"),
    (r"^User has (tinnitus|ADHD|migraines|eczema|asthma|coeliac disease|type \d diabetes)",
     ("What medication do I take for my {0}?", "When was my {0} diagnosed?"),
     r"\bmedication\b|\btakes\b|\bdiagnosed\b|\bprescri"),
    (r"^User is learning (?:to play )?(?:the )?(\w+)", ("Who teaches me {0}?", "How long have I been learning {0}?"),
     r"\bteacher\b|\btutor\b|\bteaches\b|\bsince\b"),
    (r"^User drinks (.+?) every day", ("How many cups of {0} do I have a day?", "Where do I buy my {0}?"),
     r"\bcups?\b|\bbuys?\b"),
    (r"^User (?:lives in|rents|owns) (.+)", ("What's my street address?", "What's my postcode?",
                                              "How much is my rent?"), r"\bstreet\b|\bpostcode\b|\brent is\b|\bpays?\b"),
    (r"^User's hobby is (.+)", ("When did I get into {0}?", "Who got me into {0}?"), r"\bsince\b|\bgot into\b"),
)


def near_misses(texts: list[str], rng: random.Random) -> list[tuple[str, int]]:
    """(question, index of the memory it sits next to) for every memory text a near miss fits
    and no memory answers; one question drawn from ``rng`` per memory."""
    out = []
    for i, text in enumerate(texts):
        for pattern, questions, answers in NEAR_MISS:
            m = re.match(pattern, text)
            if m:
                if not any(re.search(answers, t, re.I) for t in texts):
                    out.append((rng.choice(questions).format(*m.groups()), i))
                break
    return out
