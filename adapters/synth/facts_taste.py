"""Fact templates about tastes and plans: food, media, hobbies, travel, how to answer, and the like.

Preferences keep their polarity and strength ("loves", "likes", "dislikes", "hates", "does not
like"); requests about how to answer and constraints ("no recipes with nuts") become preferences.
"""

from __future__ import annotations

from localmem.adapters.synth import pools as P
from localmem.adapters.synth.draft import Ctx, Draft, Piece, at

LOVE = (("I love {x}", "loves"), ("{x} is my absolute favourite", "loves"), ("I'm obsessed with {x}", "loves"),
        ("I really like {x}", "likes"), ("I'm a big fan of {x}", "likes"), ("I enjoy {x}", "enjoys"),
        ("could eat {x} every day honestly", "loves"), ("{x}, yes please, always", "loves"))
HATE = (("I hate {x}", "hates"), ("I can't stand {x}", "strongly dislikes"), ("not a fan of {x}", "dislikes"),
        ("{x} is disgusting", "strongly dislikes"), ("I don't really like {x}", "does not like"),
        ("I'm not into {x} at all", "does not like"), ("please never {x} for me, yuck", "strongly dislikes"),
        ("{x}? no thanks", "dislikes"))


def _taste(c: Ctx, x: str, positive: bool, category: str, key: str | None = None) -> Piece:
    template, verb = c.pick(LOVE if positive else HATE)
    return Piece(template.format(x=x), [Draft(f"User {verb} {x}", "preference", category,
                                              0.9 if verb not in ("likes", "dislikes") else 0.8, key=key)])


def food_like(c: Ctx) -> Piece:
    return _taste(c, c.pick(P.FOODS_LIKED), True, "food")


def food_dislike(c: Ctx) -> Piece:
    return _taste(c, c.pick(P.FOODS_DISLIKED), False, "food")


def cuisine(c: Ctx) -> Piece:
    x = c.pick(P.CUISINES)
    say = c.pick([f"{x} food is my comfort food", f"we go out for {x} every friday", f"nothing beats {x} food"])
    return Piece(say, [Draft(f"User loves {x} food", "preference", "food", 0.85)])


def coffee(c: Ctx) -> Piece:
    drink = c.pick(("black coffee", "oat flat whites", "green tea", "espresso", "chai", "decaf", "mate"))
    say = c.pick([f"I run on {drink}", f"I only drink {drink}", f"{drink} every morning, non negotiable"])
    return Piece(say, [Draft(f"User drinks {drink} every day", "preference", "food", 0.8)])


def no_alcohol(c: Ctx) -> Piece:
    say = c.pick(["no cocktail ideas please, I don't drink", "I don't drink alcohol so skip the wine pairing",
                  "sober for a while now, so no bar suggestions pls"])
    return Piece(say, [Draft("User does not drink alcohol", "fact", "health", 0.9),
                       Draft("User wants no suggestions involving alcohol", "preference", "food", 0.85)])


def book_genre(c: Ctx) -> Piece:
    return _taste(c, c.pick(P.GENRES_BOOK), c.chance(0.7), "media")


def screen_genre(c: Ctx) -> Piece:
    return _taste(c, c.pick(P.GENRES_SCREEN), c.chance(0.6), "media")


def music(c: Ctx) -> Piece:
    return _taste(c, c.pick(P.MUSIC), c.chance(0.7), "media", key="music")


def podcast(c: Ctx) -> Piece:
    x = c.pick(P.PODCASTS)
    if c.chance(0.6):
        say = c.pick([f"I listen to {x} on my commute", f"{x} get me through the gym"])
        return Piece(say, [Draft(f"User listens to {x}", "preference", "media", 0.85)])
    return _taste(c, x, False, "media")


def game(c: Ctx) -> Piece:
    g = c.pick(P.GAMES)
    say = c.pick([f"I've sunk 200 hours into {g}", f"playing {g} every night this week", f"{g} is my favourite game"])
    return Piece(say, [Draft(f"User loves playing {g}", "preference", "media", 0.85)])


def reading_now(c: Ctx) -> Piece:
    title = c.pick(("Dune", "Middlemarch", "The Overstory", "Piranesi", "Beloved", "Educated", "The Dispossessed",
                    "Pachinko", "Circe", "Project Hail Mary"))
    say = c.pick([f"currently reading {title}", f"I'm halfway through {title}", f"just started {title}"])
    return Piece(say, [Draft(f"User is reading {title}", "fact", "media", 0.85)])


def sport(c: Ctx) -> Piece:
    s = c.pick(P.SPORTS)
    c.state["sport"] = s
    say = c.pick([f"I do {s} three times a week", f"{s} is my thing", f"I got into {s} last year and love it",
                  f"I play {s} with friends on weekends" if s in ("tennis", "badminton", "football", "basketball",
                                                                  "volleyball", "padel", "table tennis")
                  else f"I go {s} most weekends"])
    return Piece(say, [Draft(f"User does {s} regularly", "fact", "hobbies", 0.85, key="sport",
                             repeat_text=f"User regularly does {s}", repeat_say=f"did {s} again today",
                             ask=("Which sport do I do?", s))])


def team(c: Ctx) -> Piece:
    t = c.pick(P.TEAMS)
    say = c.pick([f"I support {t}", f"lifelong {t} fan here", f"{t} lost again, I'm devastated",
                  f"come on {t}!!! big game tonight"])
    return Piece(say, [Draft(f"User is a fan of {t}", "fact", "hobbies", 0.85, key="team",
                             repeat_text=f"User supports {t}", repeat_say=f"{t} won!!",
                             ask=("Which team do I support?", t))])


def craft(c: Ctx) -> Piece:
    x = c.pick(P.CRAFTS)
    say = c.pick([f"my hobby is {x}", f"I spend my weekends on {x}", f"{x} keeps me sane",
                  f"I've been doing {x} for ages"])
    return Piece(say, [Draft(f"User's hobby is {x}", "fact", "hobbies", 0.85,
                             ask=("What is my hobby?", x))])


def race(c: Ctx) -> Piece:
    r = c.pick(P.RACES)
    phrase, when = c.future()
    c.state["race"] = (r, when)
    say = c.pick([f"I'm training for {r}, it's {phrase}", f"signed up for {r} {phrase}, nervous",
                  f"{r} is {phrase} and I've barely trained"])
    return Piece(say, [Draft(f"User is training for {r} {at(when)}", "event", "hobbies", 0.9, valid_from=when,
                             key="race")])


def race_done(c: Ctx) -> Piece | None:
    if "race" not in c.state:
        return None
    r, _ = c.state.pop("race")
    t = f"{c.rng.randint(1, 4)}:{c.rng.randint(0, 59):02d}"
    say = c.pick([f"finished {r} in {t}!!", f"done! {r} in {t}, legs are dead"])
    return Piece(say, [Draft(f"User finished {r} in {t}", "event", "hobbies", 0.9, decision="UPDATE", target="race")])


def trip_plan(c: Ctx) -> Piece:
    place = c.fresh(P.PLACES, "trip")
    phrase, when = c.future()
    c.state["trip"] = (place, when)
    say = c.pick([f"we're going to {place} {phrase}", f"booked a trip to {place} for {phrase}",
                  f"off to {place} {phrase}, can't wait", f"planning a trip to {place} {phrase}"])
    return Piece(say, [Draft(f"User is going on a trip to {place} {at(when)}", "event", "travel", 0.9,
                             valid_from=when, key="trip", ask=("Where am I travelling to?", place))])


def trip_change(c: Ctx) -> Piece | None:
    if "trip" not in c.state:
        return None
    old, when = c.state["trip"]
    new = c.fresh(P.PLACES, "trip")
    c.state["trip"] = (new, when)
    say = c.pick([f"change of plans, not {old} anymore, we're going to {new} instead",
                  f"we cancelled {old} and booked {new}"])
    return Piece(say, [Draft(f"User is going on a trip to {new} instead of {old}", "event", "travel", 0.9,
                             decision="SUPERSEDE", target="trip", key="trip", ask=("Where am I travelling to?", new))])


def trip_back(c: Ctx) -> Piece | None:
    if "trip" not in c.state:
        return None
    place, when = c.state.pop("trip")
    good = c.chance(0.7)
    say = (c.pick([f"back from {place}! it was amazing", f"just got home from {place}, loved every minute"]) if good
           else c.pick([f"back from {place}, honestly it was a bit disappointing", f"{place} was too crowded for me"]))
    text = f"User went on a trip to {place} and {'loved it' if good else 'found it disappointing'}"
    return Piece(say, [Draft(text, "event", "travel", 0.9, decision="UPDATE", target="trip")])


def trip_past(c: Ctx) -> Piece:
    place = c.pick(P.PLACES)
    phrase, when = c.past()
    say = c.pick([f"I visited {place} {phrase}", f"I was in {place} {phrase}", f"{phrase} I got back from {place}"])
    return Piece(say, [Draft(f"User visited {place} {at(when)}", "event", "travel", 0.9, valid_from=when)])


STYLES = (
    ("keep answers short please", "User prefers short answers"),
    ("bullet points pls, I skim", "User prefers answers in bullet points"),
    ("explain it like I'm a beginner, I'm not technical", "User wants explanations for beginners"),
    ("no emojis in your replies please", "User does not want emojis in replies"),
    ("can you be more direct? skip the pleasantries", "User prefers direct answers without pleasantries"),
    ("give me the long detailed version, I like details", "User prefers long, detailed answers"),
    ("always show code examples when you explain stuff", "User wants code examples in explanations"),
    ("use metric units please", "User prefers metric units"),
)


def style(c: Ctx) -> Piece:
    say, text = c.pick(STYLES)
    return Piece(say, [Draft(text, "preference", "communication-style", 0.9, repeat_text=text.replace("prefers", "likes"),
                             repeat_say=say.split(",")[0] + " again")])


def answer_language(c: Ctx) -> Piece:
    lang = c.pick(P.LANGUAGES)
    say = c.pick([f"can you answer in {lang} from now on?", f"reply in {lang} please, it's easier for me"])
    return Piece(say, [Draft(f"User wants replies in {lang}", "preference", "communication-style", 0.9)])


CONSTRAINTS = (
    ("recipes need to be under 30 minutes, I have no time", "User wants recipes that take under 30 minutes", "food"),
    ("suggestions have to be wheelchair accessible, my knees are bad", "User needs suggestions that are "
     "wheelchair accessible", "travel"),
    ("nothing too spicy please, my stomach can't take it", "User wants food that is not too spicy", "food"),
    ("workouts need to be doable at home, no gym", "User wants workouts that can be done at home", "hobbies"),
    ("budget options only please, money is tight", "User wants budget options", "finance"),
    ("no horror recommendations, they give me nightmares", "User wants no horror recommendations", "media"),
    ("trips need to be reachable by train, I don't fly", "User does not fly and wants trips reachable by train",
     "travel"),
    ("keep it kid friendly, my kids read over my shoulder", "User wants kid-friendly content", "communication-style"),
)


def constraint(c: Ctx) -> Piece:
    say, text, cat = c.pick(CONSTRAINTS)
    return Piece(say, [Draft(text, "preference", cat, 0.85)])


def weather(c: Ctx) -> Piece:
    hot = c.chance(0.5)
    say = (c.pick(["I hate the heat, anything above 25 and I melt", "summer is the worst season for me"]) if hot
           else c.pick(["I can't stand cold weather", "winter makes me miserable, I hate the cold"]))
    text = "User dislikes hot weather" if hot else "User dislikes cold weather"
    return Piece(say, [Draft(text, "preference", "other", 0.85)])


def plan_wish(c: Ctx) -> Piece:
    what = c.pick(("run a marathon one day", "learn to sail", "open a small café", "write a novel",
                   "move to the countryside", "adopt a dog", "go back to university", "visit every national park"))
    say = c.pick([f"my dream is to {what}", f"one day I want to {what}", f"someday I'd love to {what}"])
    return Piece(say, [Draft(f"User wants to {what}", "preference", "other", 0.75)])


INTRO = (food_like, food_dislike, cuisine, coffee, no_alcohol, book_genre, screen_genre, music, podcast, game,
         reading_now, sport, team, craft, race, trip_plan, trip_past, style, answer_language, constraint, weather,
         plan_wish)
CHANGES = (race_done, trip_change, trip_back)
