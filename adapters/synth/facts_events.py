"""Things people tell a friend they did, are doing or are thinking of doing, with their gold memories.

The one-user templates (``facts_life``, ``facts_taste``) are the facts a user tells an assistant
("I live in Lyon", "no emojis please"). Friends catching up mostly tell each other what they went
to, what they have been up to and what they are considering ("I went to a support group yesterday
and it was so powerful", "I've been researching adoption agencies"), in longer sentences with a
feeling or a reason attached. Those are what questions about a conversation among friends ask for
("What did Caroline research?", "When did Melanie run a charity race?", "Why did Jon start his
dance studio?"), so a group-chat example draws them too (``synth.groupchat``). The feelings are
nothing to remember; the events, the activities and the reasons given for them are.
"""

from __future__ import annotations

from localmem.adapters.synth.draft import Ctx, Draft, Piece, at

#: (what the speaker says they went to, how the memory says it, category)
OUTINGS = (
    ("a pottery class", "a pottery class", "hobbies"),
    ("a support group meeting", "a support group meeting", "health"),
    ("a charity run for mental health", "a charity run for mental health", "hobbies"),
    ("my book club", "their book club", "hobbies"),
    ("a jazz concert", "a jazz concert", "media"),
    ("a watercolour workshop", "a watercolour workshop", "hobbies"),
    ("a job fair downtown", "a job fair", "work"),
    ("a beach cleanup", "a beach cleanup", "other"),
    ("a yoga retreat", "a yoga retreat", "health"),
    ("my cousin's wedding", "their cousin's wedding", "relationships"),
    ("a cooking class on Thai food", "a cooking class on Thai food", "food"),
    ("a hackathon", "a hackathon", "work"),
    ("a poetry reading", "a poetry reading", "media"),
    ("the farmers market", "the farmers market", "food"),
    ("an exhibition about ancient Egypt", "an exhibition about ancient Egypt", "media"),
    ("a parents' evening at my son's school", "a parents' evening at their son's school", "relationships"),
    ("an open mic night", "an open mic night", "hobbies"),
    ("a pride parade", "a pride parade", "other"),
    ("a conference on renewable energy", "a conference on renewable energy", "work"),
    ("a salsa social", "a salsa social", "hobbies"),
    ("a startup meetup", "a startup meetup", "work"),
    ("a food festival", "a food festival", "food"),
    ("my niece's graduation", "their niece's graduation", "relationships"),
    ("a climbing gym for the first time", "a climbing gym for the first time", "hobbies"),
)
#: (I've been ..., category, (why, as said; why, as the memory says it)): "my" becomes "their"
DOINGS = (
    ("volunteering at a homeless shelter", "hobbies", ("I want to give back", "to give back")),
    ("taking salsa lessons", "hobbies", ("it helps me relax after work", "because it helps them relax")),
    ("writing poems in the evenings", "hobbies",
     ("I need something creative in my life", "because they need something creative in their life")),
    ("researching adoption agencies", "relationships",
     ("I want to give a kid a loving home", "because they want to give a kid a loving home")),
    ("looking for a bigger apartment", "location", ("the baby is coming in the spring", "because a baby is coming")),
    ("training my puppy to sit", "other", ("he keeps jumping on guests", "because the puppy jumps on guests")),
    ("learning to play the ukulele", "hobbies", ("my grandpa used to play", "because their grandpa used to play")),
    ("fixing up an old bike", "hobbies", ("I want to cycle to work", "to cycle to work")),
    ("mentoring two interns at work", "work", ("someone did the same for me", "because someone mentored them")),
    ("growing tomatoes on my balcony", "hobbies", ("store ones taste like nothing", "because store tomatoes are tasteless")),
    ("saving up for a road trip", "finance", ("I've never seen the coast", "because they have never seen the coast")),
    ("studying for a nursing exam", "education", ("I want to work in a children's hospital",
                                                 "to work in a children's hospital")),
    ("going to therapy every week", "health", ("it helps me deal with stress", "because it helps with stress")),
    ("running a small online shop", "work", ("I always wanted my own business", "because they wanted their own business")),
    ("coaching my daughter's football team", "relationships",
     ("nobody else volunteered", "because nobody else volunteered")),
    ("painting landscapes", "hobbies", ("it's how I express myself", "as a way to express themselves")),
)
#: (I'm thinking about ..., category, (why, as said; why, as the memory says it))
CONSIDERINGS = (
    ("going back to school for counseling", "education",
     ("I want to help people who went through what I did", "to help people who went through what they did")),
    ("opening a little bakery", "work", ("baking is the only thing I never get tired of",
                                        "because they never get tired of baking")),
    ("adopting a child", "relationships", ("I want to build a family", "to build a family")),
    ("switching careers to nursing", "work", ("I want a job that helps people", "to have a job that helps people")),
    ("starting a podcast about local history", "hobbies", ("nobody tells those stories anymore",
                                                          "because nobody tells those stories anymore")),
    ("moving closer to my parents", "location", ("they're getting older", "because their parents are getting older")),
    ("getting a second dog", "other", ("our dog gets lonely", "because their dog gets lonely")),
    ("doing a cycling tour next summer", "travel", ("I want to see the Alps by bike", "to see the Alps by bike")),
    ("taking a sabbatical", "work", ("I'm completely burned out", "because they are burned out")),
    ("learning sign language", "education", ("my nephew is deaf", "because their nephew is deaf")),
)
FEELINGS = ("it was so powerful", "it was honestly amazing", "I loved every minute", "it was a lot of fun",
            "it was so inspiring", "I'm still buzzing", "it was exhausting but worth it",
            "it really made my week", "I didn't expect to enjoy it that much")
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
