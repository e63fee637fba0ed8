"""General requests for the answer adapter: questions that are not about the user's past.

The answer adapter replaces the long answer prompt with a one-line one, so it has to keep the base
model's ordinary helpfulness as well as learn to answer from memory and to abstain. Its training
set therefore mixes the probes of the synthetic conversations (gold replies) with general requests
answered by a teacher under the full product prompt (``localmem.adapters.teacher``). The requests
here are built from templates written for this generator; none comes from the dev set or LoCoMo.
"""

from __future__ import annotations

import hashlib
import random

TOPICS = (
    "photosynthesis", "compound interest", "how vaccines work", "black holes", "the water cycle", "inflation",
    "machine learning", "the French Revolution", "plate tectonics", "how a bicycle gear works", "DNS",
    "the greenhouse effect", "supply and demand", "recursion", "the immune system", "tides",
)
TASKS = (
    "write a short thank-you note to a colleague", "write a haiku about autumn", "suggest a name for a book club",
    "give me three tips for a job interview", "give me a packing list for a weekend trip",
    "suggest a quick vegetarian lunch", "write a two-line birthday message for a friend",
    "give me a simple stretching routine", "suggest three board games for four people",
    "write a polite email declining a meeting", "give me a 15-minute workout", "suggest a name for a houseplant",
    "write a limerick about coffee", "give me tips for sleeping better", "suggest a weekend project",
    "write a short toast for a wedding", "suggest a playlist theme for a road trip",
)
FACTS = (
    "how far is the moon from the earth?", "what is the boiling point of water at sea level?",
    "who wrote Pride and Prejudice?", "how many bones are in the human body?", "what is the largest ocean?",
    "what does HTTP stand for?", "how many minutes are in a day?", "what is the chemical symbol for gold?",
    "how many continents are there?", "what is the speed of light?", "who painted the Mona Lisa?",
    "what language is spoken in Brazil?", "how many legs does a spider have?", "what year did World War II end?",
)
HOWTO = (
    "how do I reverse a list in Python?", "how do I make a cup of green tea?", "how do I tie a bowline knot?",
    "how do I remove a coffee stain from a shirt?", "how do I start running as a beginner?",
    "how do I write a good commit message?", "how do I keep basil alive indoors?",
    "how do I calculate a 15% tip?", "how do I back up a phone?", "how do I make pancakes?",
    "how do I learn to touch type?", "how do I clean a cast iron pan?", "how do I plan a budget?",
)
#: Requests about the user's own life that still need no memory ("How do I ask for a raise?", "What
#: should I cook tonight?"): worded like the personal questions the adapter must abstain on, so it
#: learns that "I" alone is no reason to say it doesn't know (the first answer adapter refused 3 of 24
#: such requests, a continuation on generator-v5 probes 11 of 24).
PERSONAL = (
    "how do I ask for a raise?", "how do I get rid of hiccups?", "how do I change a lightbulb?",
    "how do I make cold brew coffee?", "how do I fix a flat bike tyre?", "how do I boil an egg?",
    "how do I stop procrastinating?", "how do I fall asleep faster?", "how do I say no to extra work politely?",
    "how do I unclog a sink?", "how do I prepare for a job interview?", "how do I save money on groceries?",
    "how do I get better at public speaking?", "how do I remove a splinter?", "how do I iron a shirt?",
    "how do I make my own pizza dough?", "how do I stay focused when I work from home?",
    "how do I write a cover letter?", "how do I start meditating?", "how do I defrost chicken safely?",
    "how do I keep my phone battery healthy?", "how do I apologise to a friend?", "how do I learn to juggle?",
    "how long should I steep green tea?", "how long should I rest between sets?", "how often should I water a cactus?",
    "how much water should I drink a day?", "how many hours of sleep do I need?", "how should I store fresh herbs?",
    "what should I cook tonight?", "what should I read next?", "what should I pack for a beach holiday?",
    "what should I do on a rainy Sunday?", "what should I name my new plant?", "what should I bring to a potluck?",
    "what should I look for when buying a used car?", "what should I say in a resignation letter?",
    "what can I make with eggs, spinach and cheese?", "what can I do about a sore neck from my desk?",
    "can I freeze cooked rice?", "can I use baking soda instead of baking powder?", "should I stretch before running?",
    "should I learn Python or JavaScript first?", "is it better to rent or buy a bike for a week?",
    "what's a good way to learn Spanish?", "what's a good gift for my neighbour?", "what's a good stretch for my back?",
    "suggest a name for my new podcast", "help me plan a picnic for six people", "help me write a text to cancel plans",
    "help me choose a houseplant for a dark room", "give me ideas for my friend's birthday party",
    "tell me a fun fact about octopuses", "tell me a joke about cats", "recommend a hobby I can do at home",
)
IMPERATIVE_PREFIXES = ("", "", "can you ", "please ", "could you ", "hey, ")
QUESTION_PREFIXES = ("", "", "quick question: ", "hey, ")


def held_out(request: str) -> bool:
    """About one request (or topic) in five is kept for evaluation only, by a hash of its text."""
    return hashlib.sha256(request.encode()).digest()[0] % 5 == 0


def requests(seed: int, split: str = "train") -> list[str]:
    """The general requests of ``split`` (``train`` or ``eval``), each once with a seeded opener, in a
    seeded order."""
    if split not in ("train", "eval"):
        raise ValueError(f"unknown split {split!r}: expected 'train' or 'eval'")
    pool = ([(t, f"explain {t} in simple terms") for t in TOPICS] + [(t, f"what is {t}?" if not t.startswith("how ") else t.replace("how ", "how do ", 1) + "?")
                                                          for t in TOPICS[:8]]
            + [(r, r) for r in TASKS + FACTS + HOWTO + PERSONAL])
    rng = random.Random(f"general:{seed}")
    out = []
    for key, base in rng.sample(pool, len(pool)):
        if held_out(key) != (split == "eval"):  # a topic is held out with both of its phrasings
            continue
        question = base.endswith("?")
        text = rng.choice(QUESTION_PREFIXES if question else IMPERATIVE_PREFIXES) + base
        out.append(text[:1].upper() + text[1:])
    return out
