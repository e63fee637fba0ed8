"""Extract examples from two named friends catching up, in exactly the form the pipeline sends them.

    python -m localmem.adapters.synth.groupchat --data-dir D [--split train] [--max 400] [--passing P]
        [--detailed P] [--out F]

A conversation among named people is extracted once per speaker (``localmem.speakers``): the
speaker's turns of a batch are the new user turns, with the other's names taken out where they only
address them, and the other person's turns are context. The extract adapter was distilled on one
user telling an assistant about themselves in short turns; on friends chatting (LoCoMo) it wrote
half as many memories as the 0.5B's prompts, some of them about the wrong person or nothing at all
("Jon's kind words make a lot of sense"). These examples are that situation, with gold:

- the speaker's facts come from a persona's own turns of the data directory (their gold memories,
  no new labels), or, a third of the time, from what friends tell each other they went to, have
  been doing or are considering (``synth.facts_events``, "I went to a quiz night at the pub
  yesterday and I had the best time!");
- each turn is wrapped in chat: a greeting, a reaction to the friend's news (often their fact
  echoed back in the second person: "Wow, you speak Polish and Yoruba? I had no idea!"), feelings,
  a question back, a shared photo (``[shares a photo: ...]``, as the LoCoMo harness renders one);
  none of it is a memory. All of it is written from scratch: a test checks that no line shares a
  run of five words with LoCoMo's conversations;
- the friend's turns, in context, state the friend's own facts in the first person: never the
  speaker's memories;
- with ``--passing P`` (default 0: none), a fact turn is, with probability P, said in passing: the
  fact is not the turn's point but tucked into chat about something else: after "btw" or "oh and",
  in brackets or between dashes, or with chat and a question back after it ("Ha, I know that
  feeling. btw I moved to Austin, so that's been my week. You?"). The extract adapter misses details
  friends mention that way; the gold is the fact's memories all the same, the chat around it nothing;
- with ``--detailed P`` (default 0: none), a fact turn of the speaker is, with probability P, a
  detailed one (``facts_events.DETAILED``): one happening told with two or three specifics, and a
  short memory for each, the specific's own words kept ("So my dad and I baked a rhubarb and ginger
  crumble yesterday for my sister's birthday" -> what was baked, with whom, for what). On real chats
  the extract adapter wrote terse memories that dropped what exactly was made, started or given, its
  title or name, who it was with, what the speaker realized or wants something to be like, and why;
- a batch is four alternating turns (LoCoMo's default ``turns_per_add``), so the speaker has two of
  them; in 15% of batches both are chat only, and the target is ``[]``.

The rows are built by the pipeline's own functions (``speakers.extract_input``,
``extract.build_messages``), so what is trained on is what ``Memory.add`` sends. They are meant as
``train.py --extra-data`` beside the one-user examples.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from localmem.adapters.synth import facts_events
from localmem.adapters.synth.build import _write_jsonl, load_conversations, sample_rows
from localmem.adapters.synth.conversation import Synthetic
from localmem.adapters.synth.draft import Ctx, Piece
from localmem.adapters.synth.examples import _record, extracted, second_person
from localmem.ops import extract as extract_op
from localmem.speakers import extract_input
from localmem.types import SPEAKER_KEY, Message

OPENERS = ("Hey {other}!", "Hi {other}!", "Hey {other}, it's been ages!", "{other}!", "Ooh, {other}!",
           "Thanks, {other}!", "Hey!", "Oh nice!", "Aww, thanks {other}!", "Morning, {other}!", "Hiya {other}!",
           "Evening, {other}!")
REACTIONS = ("No way, that's brilliant!", "Ooh, that sounds lovely.", "Oh wow, well done you!", "That's fantastic news!",
             "Haha, classic you.", "Oh no, that sounds rough.", "Love the pics, keep them coming!",
             "You totally deserve it.", "Honestly, respect.", "Sounds like a riot!",
             "I'm impressed, seriously.", "Aw, that's really sweet of you.", "You'd be amazing at that.",
             "Your place looks so cosy!")
#: A reaction that echoes the friend's fact back ("{you}": it in the second person, no final stop;
#: only undated facts: "you broke up in 2025-04, that's so you" is no way to talk).
ECHOES = ("Wow, {you}? I had no idea!", "Wait, {you}? Since when?", "Oh nice, so {you}! Tell me everything.",
          "Haha {you}, that's so you!", "Hold on, {you}? Brilliant.")
FEELINGS = ("Honestly, this week has flown by.", "Anyway, enough about me!", "I'm so happy we're talking again.",
            "You always cheer me up, you know that?", "It's been a long week, not gonna lie.",
            "Ugh, I needed this chat.", "Fingers crossed it all works out!",
            "Can't believe how fast this year is going.", "Thanks for listening to me ramble.",
            "Wish we lived closer, honestly.", "Anyway, I'm rambling again haha.",
            "Things are finally calming down a bit.")
QUESTIONS = ("What's new in your world?", "How's your week been?", "How are things at your place?",
             "Are you still up for Saturday?", "Did it work out in the end?", "What are you up to tonight?",
             "How's everyone at home?", "Got any holidays planned?", "Watched anything good recently?",
             "So how did that go?", "What got you into that?", "Is that near where you live?")
#: What a shared photo shows (rendered "[shares a photo: a photo of <this>]", as the LoCoMo harness
#: renders an image's caption).
CAPTIONS = ("a red bicycle leaning on a wall", "a plate of dumplings", "a snowy street", "a kitchen table with a laptop",
            "a tram in the rain", "a sandcastle", "a vegetable patch", "a pile of board games",
            "a cat asleep on a windowsill", "a muddy pitch at dusk", "a market stall with lemons", "a lighthouse",
            "an empty train platform", "a hammock between two trees", "a bundle of balloons", "a foggy harbour")
#: A fact said in passing (``--passing``), "{fact}" mid-sentence (``mid_sentence``). Leads: the fact
#: ends the turn, with its own final punctuation (any fact fits).
PASSING_LEADS = ("Haha same here. Oh, and {fact}", "Ha, that reminds me, {fact}", "Random, but {fact}",
                 "Totally unrelated, but {fact}", "Sorry for the slow reply, mad week. btw {fact}",
                 "Oh before I forget, {fact}", "Lol fair enough. Speaking of which, {fact}",
                 "Ugh, same. In other news, {fact}")
#: Joins: chat goes on after the fact, its final stop taken off (``open_end``: a one-sentence fact,
#: not ending in a question or a smiley).
PASSING_JOINS = ("Oh nice! Not much new here, {fact}, but otherwise same old. How's your week going?",
                 "Ha, I know that feeling. btw {fact}, so that's been my week. You?",
                 "Right?! Speaking of which, {fact}, anyway, back to you!",
                 "Oh I meant to tell you, {fact}, but that can wait. What's up with you?",
                 "All good this end, {fact}, so yeah, busy busy. How about you?",
                 "Lol yes. Oh and {fact}, just so you know haha. Anyway, how was your weekend?",
                 "Aw, love that. Meanwhile {fact}, which is a whole other story. Tell me yours first though!",
                 "Haha I was up at silly o'clock anyway, {fact}, so coffee is keeping me going.")
#: Asides: a short one-clause fact in brackets or between dashes.
PASSING_ASIDES = ("Haha, busy as ever over here ({fact}), but I'm good! How are you doing?",
                  "Honestly not much to report (well, {fact}), what about you?",
                  "Same old here - {fact} - nothing too exciting. You?",
                  "Oh nice. Life here is calm - well, {fact} - but mostly calm haha.",
                  "Aw, thanks! Good week on my side (oh, {fact}), how was yours?",
                  "Ha, we should swap stories sometime - {fact} - but you first!")
#: What a turn opens with that cannot follow "btw" ("hey! ", "ok so ", "quick one: "): taken off a
#: fact said in passing; none of it is a fact.
_GREETING = re.compile(r"^(?:(?:hey|hi|hiya|morning|ok|okay|so|quick one|haha)[!,.:]*\s+)+", re.IGNORECASE)
#: First words lowered mid-sentence ("btw Lately I've been..." -> "btw lately I've been..."); any
#: other capital is kept: "I", "I'm", names, places, cuisines, weekdays can't be told from a word.
LOWERED = frozenset("""a an the my our we you it this that these those there still nothing no not is are was
    could can't please just also anyway got been new next last this yesterday lately honestly guess one two
    three work weekend summer update confession currently planning playing putting taking saving finished
    treated upped heads birdwatching gardening therapy traffic careful someday sober wfh big back""".split())
#: The speaker's two turns of a batch: which carry facts ("fact") and which are chat only.
PLANS = ((("fact", "chat"), 0.3), (("chat", "fact"), 0.3), (("fact", "fact"), 0.25), (("chat", "chat"), 0.15))
EVENT_SHARE = 1 / 3  # a fact turn from synth.facts_events instead of the persona's own turns


@dataclass
class Said:
    """One turn's fact part: what is said and the gold memories it carries."""

    text: str
    memories: list[extract_op.ExtractedMemory]


def first_name(syn: Synthetic) -> str:
    return syn.conversation.persona.name.split()[0]


def fact_turns(syn: Synthetic) -> list[tuple[date, Said]]:
    """The persona's user turns with memories, except requests about how to answer (a friend is not
    the assistant they were said to)."""
    out = []
    for session in syn.conversation.sessions:
        for turn in session.turns:
            gold = list(turn.memories or ())
            if turn.role != "user" or not gold or any(m.category.value == "communication-style" for m in gold):
                continue
            out.append((session.date, Said(turn.content, extracted(gold, syn.confidence))))
    return out


def event_turn(rng: random.Random, day: date, first: str) -> Said:
    return _told(rng.choice(facts_events.TEMPLATES)(Ctx(rng, day, {}, persona_first=first)))


def detailed_turn(rng: random.Random, day: date, first: str) -> Said:
    """One happening told with its specifics, a memory for each (``facts_events.DETAILED``)."""
    return _told(rng.choice(facts_events.DETAILED)(Ctx(rng, day, {}, persona_first=first)))


def _told(piece: Piece) -> Said:
    return Said(piece.say, [extract_op.ExtractedMemory(text=d.text, kind=d.kind, category=d.category,
                                                       confidence=d.confidence, valid_from=d.valid_from)
                            for d in piece.memories])


def echo_of(text: str) -> str:
    """A memory's text as a friend says it back, in the second person ("you live in Porto")."""
    you = second_person(text).rstrip(".")
    return you[:1].lower() + you[1:]


def mid_sentence(text: str) -> str:
    """A fact turn as said after other words: its greeting taken off ("hey! i moved" -> "i moved"),
    its first letter lowered only where the first word is a plain one (``LOWERED``)."""
    text = _GREETING.sub("", text.strip(), count=1) or text.strip()
    word = text.split(maxsplit=1)[0].rstrip(",:;!.?").lower()
    if text[:1].isupper() and word in LOWERED:
        return text[:1].lower() + text[1:]
    return text


def open_end(text: str) -> str | None:
    """``text`` without its final stop, for chat to go on after it in the same sentence; None where it
    can't: it is more than one sentence or line ("...for me, yuck. anyway, ... Thanks, that's
    helpful, so that's been my week" is no way to talk), or ends in a question, a smiley or an emoji."""
    body = text.rstrip().rstrip(".!").rstrip()
    if re.search(r"[.!?]\s|\n", body) or not (body[-1:].isalnum() or body.endswith("'")):
        return None
    return body


def _aside(body: str | None) -> bool:
    """Short and one clause: fits in brackets or between dashes."""
    return body is not None and len(body) <= 80 and not re.search(r"[.!?;:()\-]", body)


def in_passing(rng: random.Random, fact: Said) -> str:
    """``fact`` tucked into chat about something else: after a lead-in, in brackets or dashes, or with
    chat and a question after it; never at the turn's start."""
    said = mid_sentence(fact.text)
    body = open_end(said)
    pool = PASSING_LEADS + (PASSING_JOINS if body else ()) + (PASSING_ASIDES if _aside(body) else ())
    template = rng.choice(pool)
    return template.format(fact=said if template in PASSING_LEADS else body)


def chat_turn(rng: random.Random, other: str, fact: Said | None, heard: Said | None, echo: float = 0.5,
              passing: float = 0.0) -> str:
    """A turn in a chat between friends: ``fact`` (if any) wrapped in a greeting, a reaction to what
    the other just said (``heard``; with probability ``echo`` one of its facts said back), feelings,
    a photo, a question back; with probability ``passing`` the fact is said in passing
    (``in_passing``). No random number is drawn for ``passing`` at 0, so that rows stay as they were."""
    parts = []
    if rng.random() < 0.5:
        parts.append(rng.choice(OPENERS).format(other=other))
    echoable = [m for m in heard.memories if m.valid_from is None] if heard is not None else []
    if heard is not None and rng.random() < 0.6:
        if echoable and rng.random() < echo:
            parts.append(rng.choice(ECHOES).format(you=echo_of(rng.choice(echoable).text)))
        else:
            parts.append(rng.choice(REACTIONS))
    if fact is not None and passing > 0 and rng.random() < passing:
        parts.append(in_passing(rng, fact))
    elif fact is not None:
        parts.append(fact.text[:1].upper() + fact.text[1:])
    if fact is None and rng.random() < 0.4 or rng.random() < 0.25:
        parts.append(rng.choice(FEELINGS))
    if rng.random() < 0.45 or not parts:
        parts.append(rng.choice(QUESTIONS))
    text = " ".join(parts)
    if rng.random() < 0.25:
        text += f" [shares a photo: a photo of {rng.choice(CAPTIONS)}]"
    return text


def _message(i: int, who: str, text: str, at: datetime) -> Message:
    return Message(id=f"m{i}", user_id="groupchat", role="user", content=text, created_at=at,
                   metadata={SPEAKER_KEY: who})


@dataclass
class Batch:
    """Four alternating turns between two friends, the turns before them, the speaker's gold and
    the friend's facts told in them (``friend_facts``: what an extractor that confuses who said what
    stores as the speaker's)."""

    speaker: str
    day: date
    earlier: list[Message]
    turns: list[Message]
    gold: list[extract_op.ExtractedMemory]
    friend_facts: list[extract_op.ExtractedMemory]

    def extract_input(self) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """(new turns, context) of the speaker's side, as the pipeline extracts it."""
        return extract_input(self.turns, self.speaker, self.earlier)

    def messages(self) -> list[dict[str, str]]:
        """What the pipeline sends the extract adapter for the speaker's side of the batch."""
        return extract_op.build_messages(*self.extract_input(), self.day, prompt="short")

    def target(self) -> str:
        return extract_op.compact_json(extract_op.Extraction(memories=self.gold))


def groupchat_batch(speaker: Synthetic, friend: Synthetic, rng: random.Random, echo: float = 0.5,
                    passing: float = 0.0, detailed: float = 0.0) -> Batch | None:
    """Four alternating turns between ``speaker`` and ``friend``, to extract from the speaker's side
    (None when either has no turn with facts to draw from); ``echo``: how often the speaker's
    reaction to the friend's news says one of its facts back ("so you live in Porto!"); ``passing``:
    how often the speaker's fact turn says it in passing (the friend's news, context, is as before);
    ``detailed``: how often a fact turn of the speaker is a detailed one (``detailed_turn``) instead of
    their own or a told event. No random number is drawn for ``detailed`` at 0: rows stay as they were."""
    own, theirs = fact_turns(speaker), fact_turns(friend)
    if not own or not theirs:
        return None
    me, other = first_name(speaker), first_name(friend)
    day, first_fact = rng.choice(own)
    same_day = [s for d, s in own if d == day and s is not first_fact]
    plan = rng.choices([p for p, _ in PLANS], weights=[w for _, w in PLANS])[0]
    facts: list[Said | None] = []
    for part in plan:
        if part == "chat":
            facts.append(None)
        elif detailed > 0 and rng.random() < detailed:
            facts.append(detailed_turn(rng, day, me))
        elif rng.random() < EVENT_SHARE:
            facts.append(event_turn(rng, day, me))
        else:
            facts.append(first_fact if first_fact not in facts else rng.choice(same_day) if same_day
                         else event_turn(rng, day, me))
    at = datetime(day.year, day.month, day.day, 18, 0, tzinfo=timezone.utc)
    earlier: list[Message] = []
    told_by_friend: list[Said] = []
    if rng.random() < 0.5:  # the end of the previous batch: chat, the friend's news
        told = rng.choice(theirs)[1] if rng.random() < 0.5 else None
        if told is not None:
            told_by_friend.append(told)
        earlier = [_message(0, other, chat_turn(rng, me, told, None), at - timedelta(minutes=2)),
                   _message(1, me, chat_turn(rng, other, None, told, echo), at - timedelta(minutes=1))]
    turns: list[Message] = []
    heard: Said | None = None
    mine = iter(facts)
    news = [s for _, s in rng.sample(theirs, min(2, len(theirs)))]
    friend_first = rng.random() < 0.5
    for i in range(4):
        if (i % 2 == 0) == friend_first:
            said = news.pop() if news and rng.random() < 0.7 else None
            if said is not None:
                told_by_friend.append(said)
            turns.append(_message(10 + i, other, chat_turn(rng, me, said, heard), at))
        else:
            said = next(mine)
            turns.append(_message(10 + i, me, chat_turn(rng, other, said, heard, echo, passing), at))
        heard = said
    return Batch(me, day, earlier, turns, [m for f in facts if f is not None for m in f.memories],
                 [m for s in told_by_friend for m in s.memories])


def groupchat_examples(convs: Sequence[Synthetic], seed: int = 0, per_persona: int = 2,
                       echo: float = 0.5, passing: float = 0.0, detailed: float = 0.0) -> list[dict[str, Any]]:
    """``per_persona`` batches for each persona, each with a friend drawn from the other personas."""
    rng = random.Random(f"groupchat:{seed}")
    out = []
    for i, speaker in enumerate(convs):
        for k in range(per_persona):
            friend = convs[(i + 1 + rng.randrange(len(convs) - 1)) % len(convs)]
            if first_name(friend) == first_name(speaker):
                continue
            batch = groupchat_batch(speaker, friend, rng, echo, passing, detailed)
            if batch is not None:
                out.append(_record(speaker.conversation, "extract", f"groupchat-{k}", batch.messages(),
                                   batch.target()))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m localmem.adapters.synth.groupchat",
                                description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", type=Path, required=True, help="output of synth.build")
    p.add_argument("--split", default="train")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--per-persona", type=int, default=2)
    p.add_argument("--echo", type=float, default=0.5,
                   help="how often the speaker's reaction to the friend's news says one of its facts back")
    p.add_argument("--passing", type=float, default=0.0,
                   help="how often a fact turn of the speaker says it in passing, tucked into chat about "
                        "something else (0: never, the rows of earlier versions)")
    p.add_argument("--detailed", type=float, default=0.0,
                   help="how often a fact turn of the speaker tells one happening with its specifics, a "
                        "memory for each (0: never, the rows of earlier versions)")
    p.add_argument("--max", type=int, help="a seeded sample of at most this many rows")
    p.add_argument("--out", type=Path, help="default: <data dir>/focus/extract-groupchat-<split>.jsonl")
    args = p.parse_args(argv)
    if not 0.0 <= args.passing <= 1.0:
        p.error(f"--passing is a probability, not {args.passing}")
    if not 0.0 <= args.detailed <= 1.0:
        p.error(f"--detailed is a probability, not {args.detailed}")
    convs = load_conversations(args.data_dir, args.split)
    if len(convs) < 2:
        p.error(f"{args.data_dir} has {len(convs)} {args.split} conversation(s): a chat needs two personas")
    rows = groupchat_examples(convs, args.seed, args.per_persona, args.echo, args.passing, args.detailed)
    rows = sample_rows(rows, args.max, "groupchat")
    out = args.out or args.data_dir / "focus" / f"extract-groupchat-{args.split}.jsonl"
    _write_jsonl(out, rows)
    empty = sum(1 for r in rows if r["target"] == "[]")
    print(f"{len(rows)} examples ({empty} with nothing to remember) -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
