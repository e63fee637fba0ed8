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

import re

from localmem.adapters.synth.draft import Ctx, Draft, Piece, at, cap
from localmem.adapters.synth.pools import PERSON_NAMES

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


def _their(text: str) -> str:
    """The speaker's "my" and "our" in a memory, as whole words only ("my dad" -> "their dad", "army"
    stays)."""
    return re.sub(r"\b(?:my|our)\b", "their", text)


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
    return Piece(say, [Draft(f"User has been {_their(what)}{reason}", "fact", category, 0.85)])


def considering(c: Ctx) -> Piece:
    what, category, reason_ = c.pick(CONSIDERINGS)
    why, reason = _because(c, reason_)
    say = c.pick([f"I'm thinking about {what}{why}.", f"I've been considering {what}{why}.",
                  f"Honestly I might end up {what}{why}.", f"I'm seriously considering {what}{why}!"])
    return Piece(say, [Draft(f"User is considering {_their(what)}{reason}", "preference", category, 0.75)])


TEMPLATES = (outing, outing, doing, considering)


# --- Detailed turns: one happening told with its specifics -------------------------------------
#
# On real chats between friends the extract adapter wrote terse memories that lost what exactly was
# made, started or given, its title or name, who it was with, what the speaker realized and what they
# want something to be like ("User cooked", "User did some exercise"). A detailed turn tells ONE
# happening with two or three such specifics, and its gold keeps each of them, verbatim, in a short
# memory of its own ("User baked a rhubarb and ginger crumble on 2026-03-02", "User baked the crumble
# with their dad on 2026-03-02"). The memories of a dated happening carry its date; what lasts (a
# title, a realization, what something means to them, the qualities wanted) is a fact or preference.
# Said frames are module constants ("{...}" where a table's words go in) so that the LoCoMo overlap
# test reads them with the tables.


def _then(say: str, more: str) -> str:
    """``more`` as a sentence of its own after ``say`` (a stop added where ``say`` has none)."""
    return f"{say} {cap(more)}." if say.endswith((".", "!", "?")) else f"{say}. {cap(more)}."


#: (verb, what was made, how later memories name it, category, (for what, as said; as the memory says it))
MADE = (
    ("baked", "a rhubarb and ginger crumble", "the crumble", "food",
     ("for my sister's birthday", "for their sister's birthday")),
    ("cooked", "a huge pot of lamb and apricot tagine", "the tagine", "food",
     ("for our housewarming", "for their housewarming")),
    ("built", "a raised vegetable bed out of old scaffolding boards", "the raised bed", "hobbies",
     ("so we can grow our own beans", "to grow their own beans")),
    ("made", "a batch of fig and walnut jam", "the fig jam", "food",
     ("for the church bring-and-buy sale", "for the church bring-and-buy sale")),
    ("put together", "a wooden go-kart with old pram wheels", "the go-kart", "hobbies",
     ("for the soapbox race in August", "for the soapbox race in August")),
    ("sewed", "a patchwork cushion from my old school shirts", "the patchwork cushion", "hobbies",
     ("as a leaving present for my form tutor", "as a leaving present for their form tutor")),
    ("made", "fresh pappardelle with a wild mushroom ragu", "the pappardelle", "food",
     ("for my parents' anniversary dinner", "for their parents' anniversary dinner")),
    ("built", "a hedgehog house from leftover bricks", "the hedgehog house", "hobbies",
     ("because one keeps visiting our garden", "because a hedgehog keeps visiting their garden")),
    ("painted", "a mural of a sleeping fox on the shed door", "the fox mural", "hobbies",
     ("to cheer up the back yard", "to cheer up the back yard")),
    ("cooked", "a Sri Lankan crab curry", "the crab curry", "food",
     ("for my grandad's eightieth", "for their grandad's eightieth")),
    ("made", "a stop-motion film with plasticine snails", "the stop-motion film", "media",
     ("for the school film night", "for the school film night")),
    ("baked", "a three-layer coconut and lime cake", "the coconut cake", "food",
     ("for my best mate's engagement party", "for their best mate's engagement party")),
    ("brewed", "a batch of elderflower cordial", "the elderflower cordial", "food",
     ("to give out at the street party", "to give out at the street party")),
    ("built", "a bookshelf out of an old wooden ladder", "the ladder bookshelf", "hobbies",
     ("for my daughter's new room", "for their daughter's new room")),
    ("folded", "about sixty pork and chive dumplings", "the dumplings", "food",
     ("for Lunar New Year", "for Lunar New Year")),
    ("carved", "a serving spoon out of cherry wood", "the cherry wood spoon", "hobbies",
     ("as a wedding gift for my cousin", "as a wedding gift for their cousin")),
)
#: Who it was made with ("{name}": a name from ``pools.PERSON_NAMES``), as said and as remembered.
MADE_WITH = (("my dad", "their dad"), ("my grandma", "their grandma"), ("my flatmate", "their flatmate"),
             ("my two boys", "their two boys"), ("my neighbour {name}", "their neighbour {name}"),
             ("my friend {name} from work", "their friend {name} from work"), ("my partner", "their partner"),
             ("my niece", "their niece"), ("my brother-in-law", "their brother-in-law"), ("my mum", "their mum"),
             ("my old schoolfriend {name}", "their old schoolfriend {name}"), ("my uncle", "their uncle"),
             ("my stepdaughter", "their stepdaughter"), ("my cousin {name}", "their cousin {name}"))
MADE_SAYS = ("{When} I {verb} {thing} with {who}{purpose}! {Tail}.",
             "{verb} {thing} with {who} {when}{purpose}, {tail} lol",
             "So {who} and I {verb} {thing} {when}{purpose}. {Tail}.",
             "guess what, me and {who} {verb} {thing} {when}{purpose}. {tail} haha")
MADE_TAILS = ("it took us the whole afternoon", "honestly I'm weirdly proud of it", "it's a bit wonky but I love it",
              "what a mess we made", "we argued about the measurements the entire time",
              "it came out way better than I hoped", "we're already planning a second attempt")


def made_with(c: Ctx) -> Piece:
    verb, thing, short, category, (purpose, purpose_r) = c.pick(MADE)
    who, who_r = c.pick(MADE_WITH)
    if "{name}" in who:
        name = c.name(PERSON_NAMES)
        who, who_r = who.format(name=name), who_r.format(name=name)
    phrase, when = c.past()
    with_purpose = c.chance(0.7)
    tail = c.pick(MADE_TAILS)
    say = c.pick(MADE_SAYS).format(When=cap(phrase), when=phrase, verb=verb, thing=thing, who=who,
                                   purpose=f" {purpose}" if with_purpose else "", Tail=cap(tail), tail=tail)
    memories = [Draft(f"User {verb} {_their(thing)} {at(when)}", "event", category, 0.9, valid_from=when),
                Draft(f"User {verb} {short} with {who_r} {at(when)}", "event", "relationships", 0.9, valid_from=when)]
    if with_purpose:
        memories.append(Draft(f"User {verb} {short} {at(when)} {purpose_r}", "event", category, 0.85,
                              valid_from=when))
    return Piece(say, memories)


#: (what they did, as said after "finished"/"started"; what it is; its kind, as said; as remembered;
#: its title; category)
WORKS = (
    ("writing my first short story", "short story", "a ghost story set in a lighthouse",
     "a ghost story set in a lighthouse", "The Keeper's Lamp", "hobbies"),
    ("recording a song for my grandad", "song", "a slow folk song about his allotment",
     "a slow folk song about their grandad's allotment", "Onions in October", "media"),
    ("my dissertation", "dissertation", "a study of flood defences in small river towns",
     "a study of flood defences in small river towns", "Holding Back the Water", "education"),
    ("making a short film with my drama group", "short film", "a comedy about a lost wedding ring",
     "a comedy about a lost wedding ring", "Ring Road", "media"),
    ("designing a board game", "board game", "a cooperative game about rescuing bees",
     "a cooperative game about rescuing bees", "Hive Minded", "hobbies"),
    ("drawing a comic for my nephew", "comic", "a space adventure starring his hamster",
     "a space adventure starring their nephew's hamster", "Captain Nibbles", "hobbies"),
    ("putting together a cookbook of my nan's recipes", "cookbook", "forty Welsh family recipes",
     "forty Welsh family recipes", "Nan's Tin", "food"),
    ("writing a picture book for kids", "picture book", "a story about a cloud that's scared of heights",
     "a story about a cloud that's scared of heights", "Nimbus Won't Look Down", "hobbies"),
    ("building an app for splitting bills", "app", "a tool for flatmates to share bills",
     "a tool for flatmates to share bills", "Fair Share", "work"),
    ("recording a podcast with my cousin", "podcast", "a show about forgotten local football clubs",
     "a show about forgotten local football clubs", "Lost Grounds", "hobbies"),
    ("composing a piano piece for my daughter", "piano piece", "a lullaby in waltz time",
     "a lullaby in waltz time", "Little Lantern", "hobbies"),
    ("a series of paintings of the canal", "series of paintings", "five canvases of the towpath at night",
     "five canvases of the towpath at night", "Towpath Lights", "hobbies"),
    ("writing a play for the village hall", "play", "a farce about a dog show going wrong",
     "a farce about a dog show going wrong", "Best in Chaos", "hobbies"),
    ("making a zine about my neighbourhood", "zine", "a guide to the best benches in town",
     "a guide to the best benches in town", "Sit Here", "hobbies"),
    ("recording an EP with my band", "EP", "four punk songs about working in a call centre",
     "four punk songs about working in a call centre", "Please Hold", "media"),
)
#: "{done}": "finished" or "started"; "{q}": the quote mark around the title.
WORK_SAYS = ("I finally {done} {work} {when}! It's {kind}, called {q}{title}{q}.",
             "{done} {work} {when} 🎉 it's {kind} and it's called {q}{title}{q}!",
             "{When} I {done} {work}. It's {kind} - the title is {q}{title}{q}.",
             "ok so I {done} {work} {when}!! it's {kind}, I'm calling it {q}{title}{q} lol")


def finished_work(c: Ctx) -> Piece:
    work, noun, kind, kind_r, title, category = c.pick(WORKS)
    done = c.pick(("finished", "finished", "started"))
    phrase, when = c.past()
    say = c.pick(WORK_SAYS).format(done=done, work=work, When=cap(phrase), when=phrase, kind=kind, title=title,
                                   q=c.pick(('"', '"', "'")))
    memories = [Draft(f"User {done} {_their(work)} {at(when)}", "event", category, 0.9, valid_from=when),
                Draft(f"User's {noun} is {kind_r}", "fact", category, 0.85)]
    memories.append(Draft(f'User\'s {noun} is called "{title}"', "fact", category, 0.9))
    return Piece(say, memories)


#: (how it changed hands: "got" from / "gave" to / "bought" for someone; the object; how later
#: memories name it; who, as said; as remembered; why it matters, as said; as remembered; category)
KEEPSAKES = (
    ("got", "a hand-carved chess set", "the chess set", "my uncle", "their uncle",
     "he carved it while he was off work with his back", "their uncle carved it while off work with his back",
     "hobbies"),
    ("got", "an old brass compass", "the compass", "my grandpa", "their grandpa",
     "he took it on every fishing trip for fifty years", "their grandpa took it on every fishing trip for fifty years",
     "relationships"),
    ("got", "a framed map of my home island", "the framed map", "my sister", "their sister",
     "I haven't been back there since I was six", "they have not been back to the island since they were six",
     "relationships"),
    ("got", "a cast-iron pan", "the cast-iron pan", "my mum", "their mum",
     "she cooked every Sunday breakfast of my childhood in it",
     "their mum cooked every Sunday breakfast of their childhood in it", "food"),
    ("got", "a signed copy of a book on bird calls", "the bird book", "my old biology teacher",
     "their old biology teacher", "she's the reason I got into birdwatching",
     "their old biology teacher is the reason they got into birdwatching", "hobbies"),
    ("gave", "a telescope", "the telescope", "my nephew", "their nephew",
     "he can name every planet and their moons", "their nephew can name every planet and their moons",
     "relationships"),
    ("gave", "a photo album of our first year together", "the photo album", "my wife", "their wife",
     "we never print our photos and I wanted something to hold",
     "they never print their photos and wanted something to hold",
     "relationships"),
    ("gave", "my old road bike", "the road bike", "my neighbour's son", "their neighbour's son",
     "he was walking an hour to his apprenticeship every day",
     "their neighbour's son was walking an hour to his apprenticeship every day", "other"),
    ("gave", "a pair of hiking boots", "the hiking boots", "my dad", "their dad",
     "he's walking the whole coast path when he retires", "their dad is walking the whole coast path when he retires",
     "relationships"),
    ("gave", "a sourdough starter in a jar", "the sourdough starter", "my colleague", "their colleague",
     "she kept asking about my bread at lunch", "their colleague kept asking about their bread", "work"),
    ("bought", "a second-hand cello", "the cello", "my daughter", "their daughter",
     "she's been begging for lessons since the school concert",
     "their daughter has wanted cello lessons since the school concert", "relationships"),
    ("bought", "a heated blanket", "the heated blanket", "my gran", "their gran",
     "her flat gets freezing and she won't put the heating on", "their gran's flat gets freezing", "relationships"),
    ("bought", "a proper chef's knife", "the chef's knife", "myself", "themselves",
     "I'm finally taking cooking seriously", "they are finally taking cooking seriously", "food"),
    ("bought", "a vintage typewriter", "the typewriter", "my partner", "their partner",
     "he writes poems and hates screens", "their partner writes poems and hates screens", "relationships"),
    ("bought", "a bird feeder with a camera in it", "the bird feeder", "my grandad", "their grandad",
     "he can't get out much anymore and loves watching the garden",
     "their grandad can't get out much and loves watching the garden", "relationships"),
)
#: "{told}": the object changing hands, "{why}": why it matters. Something they got ...
KEPT_SAYS = ("{Told} {when}, and honestly it's precious to me because {why}.",
             "{When} {told}. I'll treasure it forever, {why}.",
             "{told} {when}!! {why} so yeah, I got a bit emotional haha",
             "Ok so {told} {when} and I love it, because {why}.")
#: ... and something they gave or bought someone.
GIVEN_SAYS = ("{Told} {when}, because {why}.", "{When} {told}. Felt like the right thing, {why}.",
              "{told} {when}!! {why} so it was perfect haha", "Ok so {told} {when} - I picked it because {why}.")


def keepsake(c: Ctx) -> Piece:
    how, thing, short, who, who_r, why, why_r, category = c.pick(KEEPSAKES)
    phrase, when = c.past()
    told = {"got": f"{who} gave me {thing}", "gave": f"I gave {who} {thing}",
            "bought": f"I bought {thing} for {who}"}[how]
    say = c.pick(KEPT_SAYS if how == "got" else GIVEN_SAYS).format(Told=cap(told), told=told, When=cap(phrase),
                                                                   when=phrase, why=why)
    if how == "got":
        memories = [Draft(f"User got {_their(thing)} from {who_r} {at(when)}", "event", category, 0.9,
                          valid_from=when),
                    Draft(f"User treasures {short} because {why_r}", "fact", category, 0.85)]
    else:
        event = f"User gave {who_r} {_their(thing)}" if how == "gave" else f"User bought {thing} for {who_r}"
        memories = [Draft(f"{event} {at(when)}", "event", category, 0.9, valid_from=when),
                    Draft(f"User chose {short} because {why_r}", "fact", category, 0.8)]
    return Piece(say, memories)


#: (what they did, as said; as remembered; where the realization came, as the memory places it;
#: category; what it made them realize, as said; as remembered; what they will do about it, as
#: said; as remembered)
REALIZATIONS = (
    ("volunteered at the food bank", "volunteered at the food bank", "at the food bank", "other",
     "a lot of families in my area skip meals", "a lot of families in their area skip meals",
     "I've signed up for every other Saturday", "User volunteers at the food bank every other Saturday"),
    ("spent a night in A&E with my son", "spent a night in A&E with their son", "in A&E with their son", "health",
     "I really need to learn first aid", "they really need to learn first aid",
     "I've booked a first aid course for March", "User booked a first aid course for March"),
    ("went on a three-day silent retreat", "went on a three-day silent retreat", "on a silent retreat", "health",
     "I'm on my phone way too much", "they are on their phone way too much",
     "my phone now stays in a drawer after nine", "User keeps their phone in a drawer after nine in the evening"),
    ("helped my dad clear out his garage", "helped their dad clear out his garage",
     "while clearing out their dad's garage", "relationships",
     "I barely know what his life was like before I was born",
     "they barely know what their dad's life was like before they were born",
     "we're going to record him telling old stories", "User plans to record their dad telling old stories"),
    ("did a week of wild camping in the Highlands", "did a week of wild camping in the Highlands",
     "while wild camping in the Highlands", "travel", "I need way less stuff than I think",
     "they need way less stuff than they think",
     "I'm giving half my wardrobe to charity", "User is giving half their wardrobe to charity"),
    ("sat in on my daughter's science class", "sat in on their daughter's science class",
     "in their daughter's science class", "relationships",
     "teachers don't get paid nearly enough", "teachers don't get paid nearly enough",
     "I'm joining the parents' committee", "User is joining the parents' committee at their daughter's school"),
    ("ran my first half marathon", "ran their first half marathon", "after running their first half marathon",
     "health",
     "I'm a lot tougher than I thought", "they are a lot tougher than they thought",
     "I've already entered a full one in the autumn", "User entered a full marathon in the autumn"),
    ("covered a Saturday shift at my friend's cafe", "covered a Saturday shift at their friend's cafe",
     "while working at their friend's cafe", "work",
     "I'd love to run a small business one day", "they would love to run a small business one day",
     "I'm doing a bookkeeping evening class", "User is taking a bookkeeping evening class"),
    ("read through my old diaries from school", "read through their old diaries from school",
     "after reading their old school diaries", "other",
     "I've wanted to write for as long as I can remember",
     "they have wanted to write for as long as they can remember",
     "I'm going to write every morning before work", "User plans to write every morning before work"),
    ("looked after my twin nephews for a whole weekend", "looked after their twin nephews for a whole weekend",
     "after looking after their twin nephews", "relationships", "I'm not ready for kids yet",
     "they are not ready for kids yet", "we're putting that conversation off for a couple of years",
     "User is putting off having kids for a couple of years"),
    ("got lost on a hike with no phone signal", "got lost on a hike with no phone signal",
     "after getting lost on a hike", "travel", "I should always carry a paper map",
     "they should always carry a paper map",
     "I bought a compass on the way home", "User bought a compass after getting lost on a hike"),
    ("gave a talk at a careers day at my old school", "gave a talk at a careers day at their old school",
     "after giving a talk at a careers day", "work", "I actually enjoy public speaking",
     "they actually enjoy public speaking",
     "I've put my name down to give talks at work", "User volunteered to give talks at work"),
    ("cooked for forty people at the night shelter", "cooked for forty people at the night shelter",
     "while cooking at the night shelter", "food", "cooking for a crowd is what I love most",
     "cooking for a crowd is what they love most",
     "I'm thinking of training as a chef", "User is thinking of training as a chef"),
    ("visited the village where my grandparents grew up", "visited the village where their grandparents grew up",
     "while visiting their grandparents' village", "travel", "I never asked them enough about their childhood",
     "they never asked their grandparents enough about their childhood",
     "I'm making a family tree with my aunt", "User is making a family tree with their aunt"),
    ("tried going without a car for a month", "tried going without a car for a month",
     "after going without a car for a month", "other", "I don't actually need one", "they don't actually need a car",
     "we're selling it in the spring", "User is selling their car in the spring"),
)
#: "{did}": what they did, "{what}": what it made them realize ("{realize}": realize or realise; the
#: memory says "realized", or "learned" where the frame does).
REALIZE_SAYS = ("I {did} {when} and it made me {realize} that {what}.",
                "{When} I {did}. Made me {realize} {what}, honestly.",
                "so {when} I {did}... really made me {realize} that {what} tbh",
                "I {did} {when}, and I learned that {what}.")


def realized(c: Ctx) -> Piece:
    did, did_r, where, category, what, what_r, resolve, resolve_r = c.pick(REALIZATIONS)
    phrase, when = c.past()
    frame = c.pick(REALIZE_SAYS)
    say = frame.format(did=did, When=cap(phrase), when=phrase, realize=c.pick(("realize", "realise")), what=what)
    learned = "learned" if "learned" in frame else "realized"
    memories = [Draft(f"User {did_r} {at(when)}", "event", category, 0.9, valid_from=when),
                Draft(f"User {learned} {where} that {what_r}", "fact", category, 0.8)]
    if c.chance(0.5):
        say = _then(say, resolve)
        memories.append(Draft(resolve_r, "fact", category, 0.8))
    return Piece(say, memories)


#: (the plan, as said after "I'm"/"we're"; as remembered after "User is"; how the wish names it;
#: category; qualities they may name (two are said); a specific, as said; as remembered)
PROJECTS = (
    ("redoing the back garden", "redoing their back garden", "their back garden", "hobbies",
     ("wild", "low-maintenance", "full of colour", "good for bees"),
     "It has to have a little pond for frogs", "User wants a little pond for frogs in their back garden"),
    ("opening a tiny cafe by the station", "opening a tiny cafe by the station", "their cafe", "work",
     ("cosy", "bright", "dog-friendly", "quiet enough to read in"),
     "I'm calling it The Slow Kettle", 'User\'s cafe will be called "The Slow Kettle"'),
    ("planning our wedding", "planning their wedding", "their wedding", "relationships",
     ("small", "relaxed", "outdoors", "cheap"),
     "We're doing it in my aunt's orchard", "User's wedding is in their aunt's orchard"),
    ("doing up a campervan", "doing up a campervan", "their campervan", "travel",
     ("simple", "warm in winter", "light inside", "easy to clean"),
     "It's an old yellow van we've named Marigold", "User's campervan is an old yellow van named Marigold"),
    ("building a website for my dog-walking business", "building a website for their dog-walking business",
     "their website", "work", ("clean", "fast", "playful", "easy to update"),
     "The business is called Muddy Paws Walks", 'User\'s dog-walking business is called "Muddy Paws Walks"'),
    ("setting up a board game night at the library", "setting up a board game night at the library",
     "the board game night", "hobbies", ("casual", "free", "welcoming to beginners", "screen-free"),
     "It'll be the first Tuesday of every month", "User's board game night is on the first Tuesday of every month"),
    ("redecorating my daughter's bedroom", "redecorating their daughter's bedroom", "their daughter's bedroom",
     "relationships", ("calm", "green", "playful", "easy to grow into"),
     "She wants a jungle theme with a hammock", "User's daughter wants a jungle theme with a hammock in her bedroom"),
    ("starting a running group at work", "starting a running group at work", "the running group", "work",
     ("friendly", "beginner-friendly", "not competitive", "sociable"),
     "We're calling it the Lunchtime Plodders", 'User\'s running group is called "the Lunchtime Plodders"'),
    ("building a treehouse for the kids", "building a treehouse for their kids", "the treehouse", "relationships",
     ("sturdy", "hidden", "big enough for sleepovers", "cosy"),
     "It's going in the old oak at the bottom of the garden",
     "User is building the treehouse in the old oak at the bottom of their garden"),
    ("planning a trip to Japan", "planning a trip to Japan", "their trip to Japan", "travel",
     ("slow", "cheap", "off the tourist trail", "all about the food"),
     "We're going in cherry blossom season", "User is going to Japan in cherry blossom season"),
    ("turning the loft into an office", "turning their loft into an office", "their loft office", "work",
     ("bright", "quiet", "minimal", "warm"),
     "It'll have a skylight right over the desk", "User's loft office will have a skylight right over the desk"),
    ("organising a street party for the summer", "organising a street party for the summer", "the street party",
     "other", ("loud", "free", "family-friendly", "fun for the older neighbours too"),
     "We've got a steel band from down the road",
     "User got a steel band from down the road for the street party"),
    ("opening a bike repair stall at the market", "opening a bike repair stall at the market",
     "their bike repair stall", "work", ("cheap", "friendly", "quick", "no-nonsense"),
     "It's going to be called Spoke and Mend", 'User\'s bike repair stall will be called "Spoke and Mend"'),
    ("writing the best man's speech for my brother's wedding",
     "writing the best man's speech for their brother's wedding", "the speech", "relationships",
     ("short", "funny", "a bit emotional", "honest"),
     "The wedding's in Galway in June", "User's brother's wedding is in Galway in June"),
)
#: "{plan}": the project after "I'm"/"we're" ("{who}"), "{a}", "{b}": two of its qualities.
PROJECT_SAYS = ("{Who} {plan}, and I'm hoping it ends up {a} and {b}.",
                "{Who} {plan}! The dream is for it to be {a} and {b}.",
                "so {who} {plan} - I really want it {a} and {b} haha",
                "Big project: {who} {plan}. It needs to be {a} and {b}, that's all I ask lol")


def wants_like(c: Ctx) -> Piece:
    plan, plan_r, ref, category, qualities, extra, extra_r = c.pick(PROJECTS)
    a, b = c.rng.sample(qualities, 2)
    who = "we're" if c.chance(0.3) and "my " not in plan else "I'm"
    say = c.pick(PROJECT_SAYS).format(Who=cap(who), who=who, plan=plan, a=a, b=b)
    memories = [Draft(f"User is {plan_r}", "fact", category, 0.85),
                Draft(f"User wants {ref} to be {a} and {b}", "preference", category, 0.8)]
    if c.chance(0.7):
        say = _then(say, extra)
        memories.append(Draft(extra_r, "fact", category, 0.85))
    return Piece(say, memories)


#: (what they took part in, as said after "I"; as remembered after "User"; category; results, as
#: said (one or two are said); as remembered)
TOOK_PART = (
    ("ran the canal 10k", "ran the canal 10k", "health",
     (("came fourth in my age group", "User came fourth in their age group in the canal 10k"),
      ("raised £340 for the hospice that looked after my grandad",
       "User raised £340 for the hospice that looked after their grandad"))),
    ("entered my onions in the village show", "entered their onions in the village show", "hobbies",
     (("won second prize", "User's onions won second prize at the village show"),
      ("finally beat my neighbour after six years of trying",
       "User finally beat their neighbour at the village show after six years of trying"))),
    ("auditioned for the community theatre panto", "auditioned for the community theatre panto", "hobbies",
     (("got cast as the Wicked Stepmother", "User got cast as the Wicked Stepmother in the community theatre panto"),
      ("rehearsals are every Wednesday night", "User has panto rehearsals every Wednesday night"))),
    ("did a sponsored swim", "did a sponsored swim", "health",
     (("swam 80 lengths without stopping", "User swam 80 lengths in the sponsored swim"),
      ("raised £410 for the air ambulance", "User raised £410 for the air ambulance with the sponsored swim"))),
    ("played in a five-a-side tournament with my work team",
     "played in a five-a-side tournament with their work team", "hobbies",
     (("we got knocked out in the semis",
       "User's work team got knocked out in the semi-finals of the five-a-side tournament"),
      ("I scored twice in the first game", "User scored twice in the five-a-side tournament"))),
    ("entered a chili cook-off", "entered a chili cook-off", "food",
     (("my smoky black bean chili won the people's vote",
       "User's smoky black bean chili won the people's vote at the cook-off"),
      ("the money went to the youth club", "User's chili cook-off raised money for the youth club"))),
    ("sang with my choir at a regional competition", "sang with their choir at a regional competition", "media",
     (("we placed third out of twelve choirs", "User's choir placed third out of twelve at the regional competition"),
      ("I had a solo in the second song", "User had a solo at the regional choir competition"))),
    ("ran a bake sale at work", "ran a bake sale at work", "work",
     (("we raised £260 for the animal shelter", "User's bake sale raised £260 for the animal shelter"),
      ("my lemon drizzle sold out first", "User's lemon drizzle sold out first at the bake sale"))),
    ("did my first judo grading", "did their first judo grading", "health",
     (("got my orange belt", "User got their orange belt in judo"),
      ("threw a guy twice my size", "User threw an opponent twice their size at the judo grading"))),
    ("entered a photography competition at the library", "entered a photography competition at the library",
     "media", (("my photo of the frozen canal got highly commended",
                 "User's photo of the frozen canal was highly commended in the library competition"),
               ("my photo's on display in the foyer till May",
                "User's photo is on display in the library foyer until May"))),
    ("rode a 100-mile charity bike ride", "rode a 100-mile charity bike ride", "health",
     (("finished in just under seven hours", "User finished the 100-mile charity ride in just under seven hours"),
      ("raised £900 for the children's ward", "User raised £900 for the children's ward with the charity ride"))),
    ("joined a beach clean with the surf club", "joined a beach clean with the surf club", "other",
     (("we filled 40 bags of rubbish", "User's beach clean group filled 40 bags of rubbish"),
      ("I found a message in a bottle from 1998", "User found a message in a bottle from 1998 at the beach clean"))),
    ("played in a rapid chess tournament", "played in a rapid chess tournament", "hobbies",
     (("won four of my six games", "User won four of their six games at the rapid chess tournament"),
      ("beat a player rated 300 points above me", "User beat a chess player rated 300 points above them"))),
    ("sat my grade 5 piano exam", "sat their grade 5 piano exam", "education",
     (("passed with merit", "User passed their grade 5 piano exam with merit"),
      ("the examiner loved my Bach minuet", "User's piano examiner loved their Bach minuet"))),
)
#: "{did}": what they took part in, "{result}": what came of it.
TOOK_PART_SAYS = ("I {did} {when} and {result}!", "{When} I {did}, {result}. Still buzzing!",
                  "so I {did} {when}... {result} haha", "Update: I {did} {when} - {result}. Not bad, right?")


def took_part(c: Ctx) -> Piece:
    did, did_r, category, results = c.pick(TOOK_PART)
    phrase, when = c.past()
    chosen = list(results) if c.chance(0.5) else [c.pick(results)]
    result = " and ".join(said for said, _ in chosen)
    say = c.pick(TOOK_PART_SAYS).format(did=did, When=cap(phrase), when=phrase, result=result)
    return Piece(say, [Draft(f"User {did_r} {at(when)}", "event", category, 0.9, valid_from=when),
                       *(Draft(remembered, "fact", category, 0.85) for _, remembered in chosen)])


#: (the kind of shop, its name, where, as said; as remembered; what they bought there, as said; as
#: remembered; what they like about it, as said; as remembered; category)
SHOPS = (
    ("a tiny bookshop", "Paper Moth", "behind the bus station", "behind the bus station",
     "a guide to foraging mushrooms", "a guide to foraging mushrooms",
     "there's a cat asleep in the window", "User likes that Paper Moth has a cat asleep in the window", "media"),
    ("a Turkish bakery", "Bereket", "on my street", "on their street", "a tray of pistachio baklava",
     "a tray of pistachio baklava", "they bake simit fresh every morning",
     "User likes that Bereket bakes simit fresh every morning", "food"),
    ("a vintage clothes shop", "Second Act", "near the old cinema", "near the old cinema",
     "a green corduroy jacket", "a green corduroy jacket",
     "everything is sorted by decade", "User likes that Second Act sorts everything by decade", "other"),
    ("a hardware shop", "Pickering and Sons", "on the high street", "on the high street",
     "a proper wood plane", "a wood plane",
     "the old man there knows everything about tools",
     "User likes that the old man at Pickering and Sons knows everything about tools",
     "hobbies"),
    ("a plant shop", "Fernhouse", "by the canal", "by the canal", "a string-of-pearls plant",
     "a string-of-pearls plant", "they do free repotting", "User likes that Fernhouse does free repotting",
     "hobbies"),
    ("a record shop", "Groove Cellar", "under the railway arches", "under the railway arches",
     "a second-hand Cape Verdean funk LP", "a Cape Verdean funk LP",
     "you can listen before you buy", "User likes that Groove Cellar lets you listen before you buy", "media"),
    ("a board game cafe", "Dice and Slice", "near the uni", "near the uni",
     "a copy of a dungeon-crawler card game", "a dungeon-crawler card game",
     "the pizza is actually amazing", "User likes the pizza at Dice and Slice", "hobbies"),
    ("a fishmonger", "Harbour and Hook", "at the end of the pier road", "at the end of the pier road",
     "fresh mackerel for the barbecue", "fresh mackerel for a barbecue",
     "they'll fillet anything for you", "User likes that Harbour and Hook will fillet anything", "food"),
    ("a yarn shop", "Tangled Sheep", "in the old arcade", "in the old arcade",
     "merino wool for a baby blanket", "merino wool for a baby blanket",
     "they run a knitting circle on Thursdays", "User likes that Tangled Sheep runs a knitting circle on Thursdays",
     "hobbies"),
    ("a Korean grocery", "Seoul Pantry", "next to my gym", "next to their gym", "a huge tub of gochujang",
     "a tub of gochujang", "they sell homemade kimchi by the jar",
     "User likes the homemade kimchi at Seoul Pantry", "food"),
    ("a cheese shop", "The Rind", "in the covered market", "in the covered market",
     "a wedge of smoked Lancashire", "smoked Lancashire cheese",
     "they let you taste everything first", "User likes that The Rind lets you taste everything", "food"),
    ("a bike shop", "Freewheel Fix", "near my office", "near their office", "a new saddle", "a new saddle",
     "they do free safety checks", "User likes that Freewheel Fix does free safety checks", "hobbies"),
    ("a stationery shop", "Ink and Ledger", "off the main square", "off the main square",
     "a leather notebook for journaling", "a leather notebook for journaling",
     "they'll emboss your name on anything", "User likes that Ink and Ledger will emboss names on anything",
     "hobbies"),
    ("a charity shop", "Second Helpings", "opposite the library", "opposite the library",
     "an old film camera for a fiver", "an old film camera for a fiver",
     "all the money goes to the local hospice", "User likes that Second Helpings gives its money to the local hospice",
     "other"),
)
#: "{shop}": the kind of shop, "{name}" its name, "{where}" where, "{bought}" what they bought.
SHOP_SAYS = ("I found {shop} called {name} {where} {when}, got {bought} there!",
             "{When} I stumbled on {shop} {where}, it's called {name}. Picked up {bought}.",
             "omg have you been to {name}? it's {shop} {where}, went {when} and got {bought} haha",
             "New favourite place: {name}, {shop} {where}. I went {when} and came home with {bought}.")


def found_shop(c: Ctx) -> Piece:
    shop, name, where, where_r, bought, bought_r, like, like_r, category = c.pick(SHOPS)
    phrase, when = c.past()
    say = c.pick(SHOP_SAYS).format(shop=shop, name=name, where=where, When=cap(phrase), when=phrase, bought=bought)
    memories = [Draft(f'User went to {shop} called "{name}" {where_r} {at(when)}', "event", category, 0.9,
                      valid_from=when),
                Draft(f"User bought {bought_r} at {name} {at(when)}", "event", category, 0.85, valid_from=when)]
    if c.chance(0.5):
        say = _then(say, like)
        memories.append(Draft(like_r, "preference", category, 0.8))
    return Piece(say, memories)


DETAILED = (made_with, finished_work, keepsake, realized, wants_like, took_part, found_shop)
