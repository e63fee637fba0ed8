"""Fact templates about the user's life: identity, home, work, studies, people, health, schedule, money.

Each template takes a ``Ctx`` and returns a ``Piece`` (what the user says + gold memories) or None
when it does not apply (e.g. a move when no city is known yet). ``CHANGES`` templates refer back to
a state key set earlier and carry UPDATE / SUPERSEDE decisions.
"""

from __future__ import annotations

from localmem.adapters.synth import pools as P
from localmem.adapters.synth.draft import Ctx, Draft, Piece, at


def name_age(c: Ctx) -> Piece:
    age = c.rng.randint(19, 71)
    c.state["age"] = age
    say = c.pick([f"I'm {age}", f"i'm {age} btw", f"I turned {age} this year", f"as a {age} year old",
                  f"I'm {age} years old", f"at {age} I should know better lol"])
    return Piece(say, [Draft(f"User is {age} years old", "fact", "identity", 0.95, key="age",
                             ask=("How old am I?", f"{age}"))])


def origin(c: Ctx) -> Piece:
    country = c.pick(P.COUNTRIES)
    c.state["origin"] = country
    say = c.pick([f"I'm originally from {country}", f"I grew up in {country}", f"born and raised in {country}",
                  f"back home in {country} we do it differently", f"I'm from {country} originally"])
    return Piece(say, [Draft(f"User is originally from {country}", "fact", "identity", 0.9, key="origin",
                             repeat_text=f"User grew up in {country}", repeat_say=f"as someone from {country}",
                             ask=("Where am I from?", country))])


def languages(c: Ctx) -> Piece:
    a, b = c.rng.sample(P.LANGUAGES, 2)
    say = c.pick([f"I speak {a} and {b}", f"I'm fluent in {a}, and my {b} is ok", f"{a} is my first language, "
                  f"{b} my second", f"I can get by in {a} and {b}"])
    return Piece(say, [Draft(f"User speaks {a} and {b}", "fact", "identity", 0.9, key="languages",
                             ask=("Which languages do I speak?", f"{a} and {b}"))])


def city(c: Ctx) -> Piece:
    city_ = c.fresh(P.CITIES, "city")
    c.state["city"] = city_
    explicit = c.chance(0.6)
    say = c.pick([f"I live in {city_}", f"I'm based in {city_}", f"we live in {city_}", f"I've lived in {city_} "
                  "for a few years now", f"living in {city_} these days"]) if explicit else c.pick([
                  f"the weather here in {city_} is awful today", f"rent in {city_} is killing me",
                  f"is there anything fun to do in {city_} on a rainy day? that's where I live",
                  f"traffic in {city_} this morning, unreal. every day the same on my way home"])
    return Piece(say, [Draft(f"User lives in {city_}", "fact", "location", 0.95 if explicit else 0.8, key="city",
                             repeat_text=f"User is based in {city_}", repeat_say=f"still in {city_}, yes",
                             ask=("Which city do I live in?", city_))])


def move(c: Ctx) -> Piece | None:
    if "city" not in c.state:
        return None
    new = c.fresh(P.CITIES, "city")
    phrase, when = c.past()
    old = c.state["city"]
    c.state["city"] = new
    say = c.pick([f"big news, I moved to {new} {phrase}", f"we finally relocated to {new} {phrase}",
                  f"so I moved {phrase}, I'm in {new} now", f"update: living in {new} since {phrase}"])
    return Piece(say, [
        Draft(f"User moved to {new} {at(when)}", "event", "location", 0.95, valid_from=when),
        Draft(f"User lives in {new}", "fact", "location", 0.95, decision="SUPERSEDE", target="city", key="city",
              valid_from=when, ask=("Which city do I live in?", new)),
    ], left=old)


def home(c: Ctx) -> Piece:
    place = c.pick(P.HOMES)
    if c.chance(0.4):
        say = c.pick([f"we bought {place}", f"I own {place}", f"we finally own {place}"])
        return Piece(say, [Draft(f"User owns {place}", "fact", "location", 0.85, key="home")])
    say = c.pick([f"I rent {place}", f"I'm renting {place}", f"my place is {place}, rented"])
    return Piece(say, [Draft(f"User rents {place}", "fact", "location", 0.85, key="home")])


def job(c: Ctx) -> Piece:
    title, _ = c.pick(P.JOBS)
    c.state["job"] = title
    article = "an" if title[0] in "aeiouAEIOU" else "a"
    explicit = c.chance(0.7)
    say = c.pick([f"I work as {article} {title}", f"I'm {article} {title}", f"I'm {article} {title} by trade",
                  f"my job? {title}", f"been working as {article} {title} for years"]) if explicit else c.pick([
                  f"long day, being {article} {title} is exhausting", f"as {article} {title} I see this all the time",
                  f"typical {title} problems at work today"])
    return Piece(say, [Draft(f"User works as {article} {title}", "fact", "work", 0.95 if explicit else 0.8,
                             key="job", repeat_text=f"User's job is {title}",
                             repeat_say=f"still {article} {title}, still tired",
                             ask=("What do I do for a living?", f"{title}"))])


def employer(c: Ctx) -> Piece:
    comp = c.pick(P.COMPANIES)
    c.state["employer"] = comp
    say = c.pick([f"I work at {comp}", f"I've been at {comp} for two years", f"my employer is {comp}",
                  f"work is at {comp}, it's ok"])
    return Piece(say, [Draft(f"User works at {comp}", "fact", "work", 0.9, key="employer")])


def remote(c: Ctx) -> Piece:
    n = c.rng.randint(1, 4)
    say = c.pick([f"I work from home {n} days a week", f"I'm remote {n} days a week and in the office the rest",
                  f"wfh {n} days a week, which helps"])
    return Piece(say, [Draft(f"User works from home {n} days a week", "fact", "work", 0.9, key="remote")])


def new_job(c: Ctx) -> Piece | None:
    if "job" not in c.state:
        return None
    title, _ = c.pick([j for j in P.JOBS if j[0] != c.state["job"]])
    c.state["job"] = title
    article = "an" if title[0] in "aeiouAEIOU" else "a"
    phrase, when = c.future()
    if c.chance(0.5):
        say = c.pick([f"I quit my job! starting as {article} {title} {phrase}",
                      f"got a new job as {article} {title}, I start {phrase}"])
        return Piece(say, [Draft(f"User starts a new job as {article} {title} {at(when)}", "event", "work", 0.95,
                                 valid_from=when, decision="SUPERSEDE", target="job", key="job",
                                 ask=("What is my new job?", title))])
    say = c.pick([f"I changed careers, I'm {article} {title} now", f"so I'm working as {article} {title} now",
                  f"new job: {title}. loving it so far"])
    return Piece(say, [Draft(f"User works as {article} {title}", "fact", "work", 0.95, decision="SUPERSEDE",
                             target="job", key="job", ask=("What do I do for a living?", title))])


def promotion(c: Ctx) -> Piece | None:
    if "job" not in c.state or c.state["job"].startswith("senior"):
        return None
    title = "senior " + c.state["job"]
    c.state["job"] = title
    say = c.pick([f"I got promoted to {title}!!", f"guess who's a {title} now", f"promotion came through, {title}"])
    return Piece(say, [Draft(f"User was promoted to {title}", "fact", "work", 0.95, decision="UPDATE",
                             target="job", key="job")])


def studies(c: Ctx) -> Piece:
    field_, degree = c.pick(P.FIELDS), c.pick(P.DEGREES)
    c.state["studies"] = field_
    say = c.pick([f"I'm doing {degree} in {field_}", f"I'm studying {field_}, {degree}",
                  f"between work and my {degree} in {field_} I have no free time"])
    return Piece(say, [Draft(f"User is studying for {degree} in {field_}", "fact", "education", 0.9,
                             key="studies", ask=("What am I studying?", field_))])


def learning(c: Ctx) -> Piece:
    skill = c.fresh(P.SKILLS, "learning")
    c.state["learning"] = skill
    hedge = c.chance(0.3)
    say = (c.pick([f"I might start learning {skill}", f"thinking about picking up {skill}, not sure yet"]) if hedge
           else c.pick([f"I've started learning {skill}", f"I'm learning {skill}", f"taking lessons in {skill}",
                        f"my new thing is {skill}"]))
    text = f"User is considering learning {skill}" if hedge else f"User is learning {skill}"
    return Piece(say, [Draft(text, "fact", "education", 0.6 if hedge else 0.9, key="learning",
                             ask=("What am I learning?", skill.removeprefix("the ")))])


def learning_progress(c: Ctx) -> Piece | None:
    if "learning" not in c.state:
        return None
    skill = c.state["learning"]
    say = c.pick([f"{skill} is going well, I practise every day now",
                  f"update on {skill}: I can finally do the basics without help"])
    return Piece(say, [Draft(f"User is learning {skill} and practises every day" if "every day" in say else
                             f"User is learning {skill} and can do the basics", "fact", "education", 0.85,
                             decision="UPDATE", target="learning", key="learning")])


def exam(c: Ctx) -> Piece:
    subject = c.pick(P.FIELDS + ("driving", "my German B2", "the bar"))
    phrase, when = c.future()
    say = c.pick([f"I have my {subject} exam {phrase}", f"my {subject} exam is {phrase}, send help",
                  f"exam in {subject} {phrase} and I'm not ready"])
    subject = subject.replace("my ", "")
    if c.version >= 5:  # v1-v4 wrote "User has a the bar exam"
        subject = subject.removeprefix("the ")
    article = "an" if subject[0] in "aeiou" else "a"
    return Piece(say, [Draft(f"User has {article} {subject} exam {at(when)}", "event", "education", 0.9,
                             valid_from=when)])


def partner(c: Ctx) -> Piece:
    role, name = c.pick(P.PARTNER_ROLES), c.name(P.PERSON_NAMES)
    c.state["partner"] = (role, name)
    say = c.pick([f"my {role} {name} and I", f"me and my {role} {name}", f"{name} (my {role})",
                  f"my {role} is called {name}"])
    say += c.pick([" are cooking tonight", " just got back from a walk", " have been together 5 years", "",
                   " argue about the thermostat daily"]) if not say.endswith("called " + name) else ""
    return Piece(say, [Draft(f"User's {role} is named {name}", "fact", "relationships", 0.95, key="partner",
                             repeat_text=f"User has a {role} called {name}", repeat_say=f"{name} says hi",
                             ask=(f"What is my {role}'s name?", name))])


def breakup(c: Ctx) -> Piece | None:
    if "partner" not in c.state:
        return None
    role, name = c.state.pop("partner")
    phrase, when = c.past()
    say = c.pick([f"{name} and I broke up {phrase}", f"rough time, {name} and I split up {phrase}",
                  f"I'm single again, {name} and I ended things {phrase}"])
    return Piece(say, [Draft(f"User and {name} broke up {at(when)}", "event", "relationships", 0.95,
                             valid_from=when, decision="SUPERSEDE", target="partner")])


def child(c: Ctx) -> Piece:
    role, name, age = c.pick(P.CHILD_ROLES), c.name(P.PERSON_NAMES), c.rng.randint(2, 15)
    c.state.setdefault("children", []).append((role, name, age))
    pron = "he" if role == "son" else "she"
    thing = c.pick(P.KID_THINGS)
    memories = [Draft(f"User has a {role} named {name}, aged {age}", "fact", "relationships", 0.95,
                      key=f"child:{name}", ask=(f"How old is {name}?", str(age)))]
    if c.chance(0.5):  # an attribute given with a pronoun belongs to the child, never to the user
        say = f"my {role} {name} is {age}, {pron} {c.pick(['loves', 'is obsessed with', 'is really into'])} {thing}"
        memories.append(Draft(f"User's {role} {name} loves {thing}", "preference", "relationships", 0.85))
    else:
        say = c.pick([f"my {role} {name} is {age}", f"I have a {age} year old {role}, {name}",
                      f"{name}, my {role}, turns {age + 1} soon"])
    return Piece(say, memories)


def child_age(c: Ctx) -> Piece | None:
    kids = c.state.get("children")
    if not kids:
        return None
    role, name, age = c.pick(kids)
    kids.remove((role, name, age))
    kids.append((role, name, age + 1))
    say = c.pick([f"{name} turned {age + 1} last week, time flies", f"wait, {name} is {age + 1} now, not {age}",
                  f"can't believe {name} is already {age + 1}"])
    return Piece(say, [Draft(f"User's {role} {name} is {age + 1} years old", "fact", "relationships", 0.9,
                             decision="UPDATE", target=f"child:{name}", key=f"child:{name}",
                             ask=(f"How old is {name}?", str(age + 1)))])


def pet(c: Ctx) -> Piece:
    kind, name = c.pick(P.PETS), c.name(P.PET_NAMES)
    c.state.setdefault("pets", []).append((kind, name))
    say = c.pick([f"I have a {kind} named {name}", f"my {kind} {name} knocked my coffee over",
                  f"{name} (my {kind}) is sleeping on my keyboard", f"we adopted a {kind}, {name}",
                  f"just me and {name}, my {kind}"])
    return Piece(say, [Draft(f"User has a {kind} named {name}", "fact", "relationships", 0.95, key=f"pet:{name}",
                             repeat_text=f"User's {kind} is called {name}", repeat_say=f"{name} the {kind} says hi",
                             ask=(f"What is my {kind}'s name?", name))])


def relative(c: Ctx) -> Piece:
    rel = c.pick(P.RELATIVES)
    title, _ = c.pick(P.JOBS)
    where = c.pick(P.CITIES)
    if c.chance(0.5):  # unnamed relative: the memory must not invent a name
        say = c.pick([f"my {rel} is a {title}", f"my {rel} works as a {title} in {where}"])
        text = f"User's {rel} works as a {title}" + (f" in {where}" if "works as" in say else "")
        return Piece(say, [Draft(text, "fact", "relationships", 0.85)])
    name = c.name(P.PERSON_NAMES)
    say = c.pick([f"my {rel} {name} lives in {where}", f"my {rel} {name} just moved to {where}"])
    return Piece(say, [Draft(f"User's {rel} {name} lives in {where}", "fact", "relationships", 0.85,
                             ask=(f"Where does my {rel} live?", where))])


def friend(c: Ctx) -> Piece:
    name = c.name(P.PERSON_NAMES)
    like = c.pick(P.MUSIC + P.GENRES_SCREEN)
    say = c.pick([f"my best friend {name} is really into {like}", f"my friend {name} loves {like}, {name} "
                  "made me listen for hours", f"my oldest friend {name}, {c.pick(['she', 'he'])} is crazy about {like}"])
    return Piece(say, [Draft(f"User's friend {name} loves {like}", "preference", "relationships", 0.8)])


def diet(c: Ctx) -> Piece:
    name, text = c.pick(P.DIETS)
    c.state["diet"] = name
    say = c.pick([f"I'm {name}", f"keep in mind I'm {name}", f"oh I'm {name} btw", f"I've been {name} for years",
                  f"nothing with meat pls, I'm {name}" if name != "gluten-free" else f"I can only eat {name}"])
    return Piece(say, [Draft(text, "fact", "health", 0.95, key="diet", repeat_text=text.replace("is", "follows a")
                             + (" diet" if "is" in text else ""), repeat_say=f"still {name} of course")])


def diet_change(c: Ctx) -> Piece | None:
    if "diet" not in c.state:
        return None
    old = c.state.pop("diet")
    phrase, when = c.past()
    again = "bread and pasta" if old == "gluten-free" else "fish" if old == "pescatarian" else "meat"
    say = c.pick([f"I'm not {old} anymore, started eating {again} again {phrase}" if old != "pescatarian" else
                  f"I'm not {old} anymore, I eat meat again since {phrase}",
                  f"confession: I stopped being {old} {phrase}"])
    return Piece(say, [Draft(f"User is no longer {old} since {when}", "fact", "health", 0.9, valid_from=when,
                             decision="SUPERSEDE", target="diet")])


def allergy(c: Ctx) -> Piece:
    a = c.pick(P.ALLERGENS)
    hedge = c.chance(0.25)
    say = (c.pick([f"I think I might be allergic to {a}", f"pretty sure I react to {a}, not tested though"]) if hedge
           else c.pick([f"I'm allergic to {a}", f"I have a {a} allergy", f"can't have {a}, allergic",
                        f"careful, {a} allergy here"]))
    text = f"User might be allergic to {a}" if hedge else f"User is allergic to {a}"
    return Piece(say, [Draft(text, "fact", "health", 0.6 if hedge else 0.95, key=f"allergy:{a}",
                             ask=("What am I allergic to?", a))])


def condition(c: Ctx) -> Piece:
    cond = c.pick(P.CONDITIONS)
    say = c.pick([f"I have {cond}", f"I live with {cond}", f"with my {cond.removeprefix('a ')} I have to be careful",
                  f"diagnosed with {cond} a while back"])
    return Piece(say, [Draft(f"User has {cond}", "fact", "health", 0.9)])


def injury(c: Ctx) -> Piece:
    part = c.pick(("ankle", "wrist", "shoulder", "knee", "back", "toe"))
    phrase, when = c.past()
    say = c.pick([f"I hurt my {part} {phrase}", f"sprained my {part} {phrase} so no sport for me",
                  f"{phrase} I fell and injured my {part}"])
    return Piece(say, [Draft(f"User injured their {part} {at(when)}", "event", "health", 0.9, valid_from=when)])


def routine(c: Ctx) -> Piece:
    act = c.pick(P.SPORTS + ("choir practice", "therapy", "Spanish class", "band rehearsal"))
    days = sorted(c.rng.sample(range(7), c.rng.choice([1, 2])))
    names = " and ".join(P.WEEKDAYS[d] + "s" for d in days)
    c.state["routine"] = act
    say = c.pick([f"I have {act} on {names.lower()}", f"{act} every {names.replace('s and', ' and')[:-1]}",
                  f"{names} are {act} days for me"])
    return Piece(say, [Draft(f"User has {act} on {names}", "fact", "schedule", 0.9, key="routine",
                             ask=(f"When do I have {act}?", names))])


def routine_change(c: Ctx) -> Piece | None:
    if "routine" not in c.state:
        return None
    act = c.state["routine"]
    day = c.pick(P.WEEKDAYS)
    say = c.pick([f"{act} moved to {day.lower()}s now", f"heads up, {act} is on {day}s from now on"])
    return Piece(say, [Draft(f"User has {act} on {day}s", "fact", "schedule", 0.9, decision="SUPERSEDE",
                             target="routine", key="routine", ask=(f"When do I have {act}?", day + "s"))])


def appointment(c: Ctx) -> Piece:
    what = c.pick(P.APPOINTMENTS)
    phrase, when = c.future()
    say = c.pick([f"I have {what} {phrase}", f"remind me, {what} {phrase}", f"{phrase} I've got {what}, ugh"])
    return Piece(say, [Draft(f"User has {what.replace('my ', 'a ')} {at(when)}", "event", "schedule", 0.9,
                             valid_from=when)])


def shifts(c: Ctx) -> Piece:
    what = c.pick(("night shifts", "early shifts", "weekend shifts", "a 4-day week", "12-hour shifts"))
    say = c.pick([f"I work {what}", f"on {what} this month again", f"{what} are my life"])
    return Piece(say, [Draft(f"User works {what}", "fact", "schedule", 0.85)])


def saving(c: Ctx) -> Piece:
    goal, cur, amount = c.pick(P.GOALS), c.pick(P.CURRENCIES), c.rng.choice(range(100, 1500, 50))
    c.state["saving"] = (goal, cur, amount)
    say = c.pick([f"I'm saving {cur}{amount} a month for {goal}", f"putting {cur}{amount} aside monthly for {goal}",
                  f"saving for {goal}, {cur}{amount} each month"])
    goal_txt = goal.replace("our ", "the user's ")
    return Piece(say, [Draft(f"User saves {cur}{amount} a month for {goal_txt}", "fact", "finance", 0.9, key="saving",
                             ask=("How much do I save each month?", f"{cur}{amount}"))])


def saving_change(c: Ctx) -> Piece | None:
    if "saving" not in c.state:
        return None
    goal, cur, amount = c.state["saving"]
    new = amount + c.rng.choice(range(50, 400, 50))
    c.state["saving"] = (goal, cur, new)
    say = c.pick([f"got a raise so I'm saving {cur}{new} a month now", f"upped my savings to {cur}{new} monthly"])
    return Piece(say, [Draft(f"User saves {cur}{new} a month", "fact", "finance", 0.9, decision="SUPERSEDE",
                             target="saving", key="saving", ask=("How much do I save each month?", f"{cur}{new}"))])


def purchase(c: Ctx) -> Piece:
    item = c.pick(P.PURCHASES)
    phrase, when = c.past()
    say = c.pick([f"I bought {item} {phrase}", f"treated myself to {item} {phrase}", f"{phrase} I finally got {item}"])
    return Piece(say, [Draft(f"User bought {item} {at(when)}", "event", "finance", 0.9, valid_from=when)])


def budget(c: Ctx) -> Piece:
    cur, amount = c.pick(P.CURRENCIES), c.rng.choice(range(40, 200, 10))
    what = c.pick(("groceries", "eating out", "clothes", "hobbies"))
    say = c.pick([f"my budget for {what} is {cur}{amount} a week", f"I try to keep {what} under {cur}{amount} a week"])
    return Piece(say, [Draft(f"User's weekly budget for {what} is {cur}{amount}", "fact", "finance", 0.85)])


BUSINESSES = ("bakery", "café", "bookshop", "trattoria", "garage", "flower shop", "bike repair shop", "food truck")


def tenure(c: Ctx) -> Piece:
    """A number of years that is not an age (v10): "I've had the trattoria for 22 years"."""
    n = c.rng.randint(2, 35)
    which = c.rng.randrange(4)
    if which == 0:
        biz = c.pick(BUSINESSES)
        say = c.pick([f"I've had the {biz} for {n} years", f"I've been running my {biz} for {n} years now",
                      f"{n} years I've had this {biz}, can you believe it"])
        return Piece(say, [Draft(f"User has run a {biz} for {n} years", "fact", "work", 0.9)])
    if which == 1:
        title, _ = c.pick(P.JOBS)
        a = "an" if title[0] in "aeiouAEIOU" else "a"
        say = c.pick([f"I've been {a} {title} for {n} years", f"{n} years as {a} {title} and counting",
                      f"been doing this {title} thing for {n} years"])
        return Piece(say, [Draft(f"User has worked as {a} {title} for {n} years", "fact", "work", 0.9)])
    if which == 2:
        say = c.pick([f"we've been married for {n} years", f"{n} years married this spring",
                      f"married {n} years and still arguing about the dishes"])
        return Piece(say, [Draft(f"User has been married for {n} years", "fact", "relationships", 0.9)])
    skill = c.pick(P.SKILLS)
    say = c.pick([f"I've been doing {skill} for {n} years", f"{n} years of {skill} and I'm still learning"])
    return Piece(say, [Draft(f"User has been doing {skill} for {n} years", "fact", "hobbies", 0.85)])


def in_law(c: Ctx) -> Piece:
    """A relative of a relative (v10): the memory keeps both links ("User's wife's brother")."""
    first = c.pick(P.PARTNER_ROLES[:3] + P.CHILD_ROLES + ("mum", "dad", "sister", "brother"))
    if first in P.CHILD_ROLES:
        seconds: tuple[str, ...] = ("teacher", "best friend", "football coach")
    elif first in ("mum", "dad"):
        seconds = ("brother", "sister", "best friend")
    elif first in ("sister", "brother"):
        seconds = ("husband", "wife", "son", "daughter", "best friend")
    else:
        seconds = ("brother", "sister", "mum", "dad", "best friend")
    second = c.pick(seconds)
    name = c.name(P.PERSON_NAMES)
    if c.chance(0.5):
        where = c.pick(P.CITIES)
        say = c.pick([f"my {first}'s {second} {name} lives in {where}",
                      f"{name}, my {first}'s {second}, is moving to {where}"])
        return Piece(say, [Draft(f"User's {first}'s {second} {name} lives in {where}", "fact", "relationships", 0.85)])
    say = c.pick([f"my {first}'s {second} {name} is staying with us this week",
                  f"we're having dinner with {name}, my {first}'s {second}"])
    return Piece(say, [Draft(f"User's {first}'s {second} is named {name}", "fact", "relationships", 0.85)])


INTRO = (name_age, origin, languages, city, home, job, employer, remote, studies, learning, exam, partner, child,
         pet, relative, friend, diet, allergy, condition, injury, routine, appointment, shifts, saving, purchase,
         budget)
#: Added in generator v10 (drawn only from v10 on, so that older versions rebuild byte for byte).
INTRO_V10 = (tenure, in_law)
CHANGES = (move, new_job, promotion, learning_progress, breakup, child_age, diet_change, routine_change,
           saving_change)
