"""Things people tell a friend they did, are doing or are thinking of doing, with their gold memories.

The one-user templates (``facts_life``, ``facts_taste``) are the facts a user tells an assistant
("I live in Lyon", "no emojis please"). Friends catching up mostly tell each other what they went
to, what they have been up to and what they are considering ("I went to a support group yesterday
and it was so powerful", "I've been researching adoption agencies"), in longer sentences with a
feeling attached. Those are what questions about a conversation among friends ask for ("What did
Caroline research?", "When did Melanie run a charity race?"), so a group-chat example draws them too
(``synth.groupchat``). The feelings are nothing to remember; the events and activities are.
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
#: (I've been ..., User has been ..., category)
DOINGS = (
    ("volunteering at a homeless shelter", "hobbies"), ("taking salsa lessons", "hobbies"),
    ("writing poems in the evenings", "hobbies"), ("researching adoption agencies", "relationships"),
    ("looking for a bigger apartment", "location"), ("training my puppy to sit", "other"),
    ("learning to play the ukulele", "hobbies"), ("fixing up an old bike", "hobbies"),
    ("mentoring two interns at work", "work"), ("growing tomatoes on my balcony", "hobbies"),
    ("saving up for a road trip", "finance"), ("studying for a nursing exam", "education"),
    ("going to therapy every week", "health"), ("running a small online shop", "work"),
    ("coaching my daughter's football team", "relationships"), ("painting landscapes", "hobbies"),
)
#: (I'm thinking about ..., User is considering ..., category)
CONSIDERINGS = (
    ("going back to school for counseling", "education"), ("opening a little bakery", "work"),
    ("adopting a child", "relationships"), ("switching careers to nursing", "work"),
    ("starting a podcast about local history", "hobbies"), ("moving closer to my parents", "location"),
    ("getting a second dog", "other"), ("doing a cycling tour next summer", "travel"),
    ("taking a sabbatical", "work"), ("learning sign language", "education"),
)
FEELINGS = ("it was so powerful", "it was honestly amazing", "I loved every minute", "it was a lot of fun",
            "it was so inspiring", "I'm still buzzing", "it was exhausting but worth it",
            "it really made my week", "I didn't expect to enjoy it that much")
WHY = ("it means a lot to me", "I feel like it's what I'm meant to do", "it's been on my mind for a while",
       "it's scary but exciting", "it just feels right", "I want to give back")


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


def doing(c: Ctx) -> Piece:
    what, category = c.pick(DOINGS)
    say = c.pick([f"I've been {what} lately, {c.pick(WHY)}.", f"Lately I've been {what}.",
                  f"These days I'm {what}, {c.pick(WHY)}.", f"I started {what} a while ago and I love it."])
    return Piece(say, [Draft(f"User has been {_mine(what)}", "fact", category, 0.85)])


def considering(c: Ctx) -> Piece:
    what, category = c.pick(CONSIDERINGS)
    why = c.pick(WHY)
    say = c.pick([f"I'm thinking about {what}, {why}.", f"I've been considering {what}.",
                  f"Honestly I might end up {what}. {why[:1].upper() + why[1:]}.",
                  f"I'm seriously considering {what}!"])
    return Piece(say, [Draft(f"User is considering {_mine(what)}", "preference", category, 0.75)])


TEMPLATES = (outing, outing, doing, considering)
