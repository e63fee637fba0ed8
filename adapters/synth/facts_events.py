"""Things people tell a friend they did, are doing or are thinking of doing, with their gold memories.

The one-user templates (``facts_life``, ``facts_taste``) are the facts a user tells an assistant
("I live in Lyon", "no emojis please"). Friends catching up mostly tell each other what they went
to, what they have been up to and what they are considering ("I went to a lantern festival
yesterday, I had the best time", "I've been taking Portuguese lessons"), in longer sentences with a
feeling or a reason attached, and questions about such a conversation ask for them (what did she go
to, what has he been learning, why), so a group-chat example draws them too (``synth.groupchat``).
The feelings are nothing to remember; the events, the activities and the reasons given are.

Written from scratch, not from any evaluation set: ``tests/test_synth_groupchat.py`` checks that no
line shares a run of five words with LoCoMo's conversations.
"""

from __future__ import annotations

from localmem.adapters.synth.draft import Ctx, Draft, Piece, at

#: (what the speaker says they went to, how the memory says it, category)
OUTINGS = (
    ("a chess tournament at the library", "a chess tournament at the library", "hobbies"),
    ("a lecture about black holes", "a lecture about black holes", "education"),
    ("a bread-baking workshop", "a bread-baking workshop", "food"),
    ("my cousin's wedding", "their cousin's wedding", "relationships"),
    ("a jazz concert", "a jazz concert", "media"),
    ("a job fair downtown", "a job fair", "work"),
    ("a quiz night at the pub", "a quiz night at the pub", "hobbies"),
    ("a model-railway fair", "a model-railway fair", "hobbies"),
    ("a hackathon", "a hackathon", "work"),
    ("a planetarium show", "a planetarium show", "media"),
    ("the farmers market", "the farmers market", "food"),
    ("an exhibition about ancient Egypt", "an exhibition about ancient Egypt", "media"),
    ("a parents' evening at my son's school", "a parents' evening at their son's school", "relationships"),
    ("a lantern festival", "a lantern festival", "other"),
    ("a conference on renewable energy", "a conference on renewable energy", "work"),
    ("a woodworking course", "a woodworking course", "hobbies"),
    ("a startup meetup", "a startup meetup", "work"),
    ("a street food festival", "a street food festival", "food"),
    ("my niece's graduation", "their niece's graduation", "relationships"),
    ("a bouldering gym", "a bouldering gym", "hobbies"),
    ("a cheese-making class", "a cheese-making class", "food"),
    ("a rugby match in the pouring rain", "a rugby match", "hobbies"),
)
#: (I've been ..., category, (why, as said; why, as the memory says it)): "my" becomes "their"
DOINGS = (
    ("learning to play the ukulele", "hobbies", ("my grandpa used to play", "because their grandpa used to play")),
    ("fixing up an old bike", "hobbies", ("I want to cycle to work", "to cycle to work")),
    ("mentoring two interns at work", "work", ("someone did the same for me", "because someone mentored them")),
    ("growing tomatoes on my balcony", "hobbies",
     ("store ones taste like nothing", "because store tomatoes are tasteless")),
    ("saving up for a road trip", "finance", ("I've never seen the coast", "because they have never seen the coast")),
    ("studying for a nursing exam", "education",
     ("I want to work in a children's hospital", "to work in a children's hospital")),
    ("coaching my daughter's football team", "relationships",
     ("nobody else volunteered", "because nobody else volunteered")),
    ("looking for a bigger apartment", "location", ("the baby is due in spring", "because a baby is due")),
    ("training my puppy to sit", "other", ("he keeps jumping on guests", "because the puppy jumps on guests")),
    ("taking Portuguese lessons", "education",
     ("my partner's family only speaks Portuguese", "because their partner's family speaks Portuguese")),
    ("knitting a blanket for my grandma", "hobbies", ("she turns ninety in May", "because their grandma turns 90")),
    ("doing physio for my knee", "health", ("I want to run again by summer", "to run again by summer")),
    ("repairing old radios", "hobbies", ("my dad taught me how", "because their dad taught them")),
    ("researching electric cars", "finance", ("our old car keeps breaking down", "because their car keeps breaking down")),
    ("learning to make sushi at home", "food", ("takeaway got too expensive", "because takeaway got too expensive")),
    ("restoring an old sailboat", "hobbies", ("I want to sail it around the islands", "to sail around the islands")),
)
#: (I'm thinking about ..., category, (why, as said; why, as the memory says it))
CONSIDERINGS = (
    ("opening a little bakery", "work", ("baking is the only thing I never get tired of",
                                        "because they never get tired of baking")),
    ("switching careers to nursing", "work", ("I'm done with sales", "because they are done with sales")),
    ("starting a podcast about local history", "hobbies", ("nobody tells those stories anymore",
                                                          "because nobody tells those stories anymore")),
    ("moving closer to my parents", "location", ("they're getting older", "because their parents are getting older")),
    ("getting a second dog", "other", ("our dog gets lonely", "because their dog gets lonely")),
    ("doing a cycling tour next summer", "travel", ("I want to see the Alps by bike", "to see the Alps by bike")),
    ("taking a sabbatical", "work", ("I'm completely burned out", "because they are burned out")),
    ("learning sign language", "education", ("my nephew is deaf", "because their nephew is deaf")),
    ("buying a small boat", "hobbies", ("I grew up by the sea", "because they grew up by the sea")),
    ("going part-time at work", "work", ("I want more time for my garden", "to have more time for their garden")),
)
FEELINGS = ("it was brilliant", "I had the best time", "it was way better than I expected", "I'm still smiling about it",
            "it was freezing but worth it", "my feet still hurt haha", "I'd go again tomorrow",
            "it was a bit chaotic but fun", "I didn't want it to end")


def _mine(text: str) -> str:
    """The speaker's "my" in the memory ("my puppy" -> "their puppy")."""
    return text.replace("my ", "their ")


def outing(c: Ctx) -> Piece:
    said, remembered, category = c.pick(OUTINGS)
    phrase, when = c.past()
    feeling = c.pick(FEELINGS)
    say = c.pick([f"I went to {said} {phrase} and {feeling}!", f"{phrase} I went to {said}, {feeling}.",
                  f"So {phrase} I finally went to {said}. Honestly, {feeling}.",
                  f"guess what, I went to {said} {phrase}! {feeling[:1].upper() + feeling[1:]}."])
    return Piece(say, [Draft(f"User went to {remembered} {at(when)}", "event", category, 0.9, valid_from=when)])


def _because(c: Ctx, why: tuple[str, str]) -> tuple[str, str]:
    """The reason half the time: (what is said after the activity, what the memory adds)."""
    if c.chance(0.5):
        return "", ""
    said, remembered = why
    return f", {said}" if c.chance(0.5) else f" because {said}", f" {remembered}"


def doing(c: Ctx) -> Piece:
    what, category, reason_ = c.pick(DOINGS)
    why, reason = _because(c, reason_)
    say = c.pick([f"I've been {what} lately{why}.", f"Lately I've been {what}{why}.",
                  f"These days I'm {what}{why}.", f"I started {what} a while ago{why}."])
    return Piece(say, [Draft(f"User has been {_mine(what)}{reason}", "fact", category, 0.85)])


def considering(c: Ctx) -> Piece:
    what, category, reason_ = c.pick(CONSIDERINGS)
    why, reason = _because(c, reason_)
    say = c.pick([f"I'm thinking about {what}{why}.", f"I've been considering {what}{why}.",
                  f"Honestly I might end up {what}{why}.", f"I'm seriously considering {what}{why}!"])
    return Piece(say, [Draft(f"User is considering {_mine(what)}{reason}", "preference", category, 0.75)])


TEMPLATES = (outing, outing, doing, considering)
