"""Group-chat extract examples (adapters/synth/groupchat.py): two named friends catching up, the
speaker's facts wrapped in chat, the friend's facts in context; rows exactly what Memory.add sends."""

from __future__ import annotations

import json
import random
import re
from datetime import date
from pathlib import Path

from localmem.adapters.synth import facts_events
from localmem.adapters.synth.conversation import make_conversation
from localmem.adapters.synth.draft import Ctx
from localmem.adapters.synth.groupchat import (
    Said,
    chat_turn,
    detailed_turn,
    event_turn,
    fact_turns,
    groupchat_batch,
    groupchat_examples,
    main,
    mid_sentence,
    open_end,
)
from localmem.memory import Memory
from localmem.ops import extract as extract_op
from localmem.speakers import speaker
from localmem.store.scope import Scope
from tests.test_pipeline import AdapterRuntime

SEED = 7


def _convs(n: int = 24):
    return [make_conversation(SEED, i) for i in range(n)]


def _batches(convs, rng):
    """(i, batch) for each persona of ``convs`` chatting with the next one (where both have facts)."""
    for i in range(len(convs) - 1):
        batch = groupchat_batch(convs[i], convs[i + 1], rng)
        if batch is not None:
            yield i, batch


def test_a_row_is_what_the_pipeline_sends_for_that_speaker(tmp_path: Path):
    """The batch's turns added with their speakers' names, after the turns before them: the extract
    call for the speaker is the row's messages, byte for byte."""
    convs, rng = _convs(6), random.Random(3)
    batches = [b for b in (groupchat_batch(convs[i], convs[i + 1], rng) for i in range(5)) if b is not None]
    batch = next(b for b in batches if b.earlier)
    rt = AdapterRuntime(["[]", "[]"])
    with Memory(tmp_path / "chat.db", llm=rt) as mem:
        for m in batch.earlier:  # said before, already extracted
            mem.store.log_messages(Scope.of("friends"), [("user", m.content, dict(m.metadata))], pending=False,
                                   at=m.created_at)
        mem.add([{"role": "user", "name": speaker(m), "content": m.content} for m in batch.turns],
                user_id="friends", timestamp=batch.turns[0].created_at)
    sent = [msgs for op, msgs in rt.calls if op == "extract"]
    assert len(sent) == 2  # one call per speaker
    assert batch.messages() in sent


def test_the_target_is_the_speakers_facts_only():
    convs, rng = _convs(), random.Random(5)
    empty = with_friend_facts = 0
    for i, batch in _batches(convs, rng):
        new = batch.messages()[-1]["content"].split("\nNEW:\n")[1]
        assert new.startswith("user: ") and "\nassistant: " not in new
        own = [m.content for m in batch.turns if speaker(m) == batch.speaker]
        friend = [m.content for m in batch.turns if speaker(m) != batch.speaker]
        assert len(own) == 2 and len(friend) == 2
        gold = extract_op.parse_target(batch.target()).memories
        assert [m.text for m in gold] == [m.text for m in batch.gold]
        assert all(m.text.startswith("User") for m in gold)
        empty += not gold
        # every memory is the speaker's: one of their own turns' or a told event, never the friend's
        own_facts = {m.text for _, s in fact_turns(convs[i]) for m in s.memories}
        assert all(m.text in own_facts or re.match(r"User (went to|has been|is considering) ", m.text) for m in gold)
        with_friend_facts += any(s.text[:1].upper() + s.text[1:] in " ".join(friend)
                                 for _, s in fact_turns(convs[i + 1]))
    assert 0 < empty < len(convs) / 2
    assert with_friend_facts > len(convs) / 3


def test_friend_facts_are_what_the_friend_told_in_the_batch():
    """``friend_facts``: the memories of the friend's news in the batch or just before it, each said in
    one of the friend's turns; the bench counts the speaker's memories that are one of them."""
    convs, rng = _convs(), random.Random(5)
    told = 0
    for i, batch in _batches(convs, rng):
        theirs: dict[str, list[str]] = {}  # a memory -> the friend's turns that say it
        for _, s in fact_turns(convs[i + 1]):
            for m in s.memories:
                theirs.setdefault(m.text, []).append(s.text[:1].upper() + s.text[1:])
        friend_said = " ".join(m.content for m in [*batch.earlier, *batch.turns] if speaker(m) != batch.speaker)
        for fact in batch.friend_facts:
            assert any(said in friend_said for said in theirs[fact.text])
        told += bool(batch.friend_facts)
    assert told > len(convs) / 3


def test_names_that_only_address_the_friend_are_taken_out():
    convs, rng = _convs(), random.Random(11)
    seen = 0
    for i, batch in _batches(convs, rng):
        friend = next(speaker(m) for m in batch.turns if speaker(m) != batch.speaker)
        new = batch.messages()[-1]["content"].split("\nNEW:\n")[1]
        own = " ".join(m.content for m in batch.turns if speaker(m) == batch.speaker)
        if re.search(rf"(Hey|Hi|Thanks,|Wow,) {friend}\b", own):
            seen += 1
            assert not re.search(rf"(Hey|Hi|Thanks,|Wow,) {friend}\b", new)
    assert seen > 0


def test_requests_to_an_assistant_are_not_chat_between_friends():
    for syn in _convs():
        for _, said in fact_turns(syn):
            assert all(m.category.value != "communication-style" for m in said.memories)


def test_events_say_when_and_keep_the_speakers_own_words():
    rng = random.Random(1)
    for _ in range(60):
        template = rng.choice(facts_events.TEMPLATES)
        piece = template(Ctx(rng, date(2023, 5, 8), {}, persona_first="Ana"))
        (memory,) = piece.memories
        assert memory.text.startswith("User ") and " my " not in memory.text
        if template is facts_events.outing:
            assert memory.valid_from and memory.valid_from in memory.text
            assert memory.valid_from <= "2023-05-08"  # something they went to ("this morning" at the latest)


def test_examples_are_deterministic_and_cli_writes_them(tmp_path):
    from localmem.adapters.synth.build import build

    convs = _convs(10)
    assert groupchat_examples(convs, SEED) == groupchat_examples(convs, SEED)
    build(20, SEED, tmp_path / "data")
    out = tmp_path / "gc.jsonl"
    assert main(["--data-dir", str(tmp_path / "data"), "--out", str(out), "--max", "15"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert 0 < len(rows) <= 15 and len({r["id"] for r in rows}) == len(rows)
    assert all(r["operation"] == "extract" and r["messages"][0]["content"] == "Extract memories." for r in rows)
    passing = tmp_path / "gc-passing.jsonl"
    assert main(["--data-dir", str(tmp_path / "data"), "--out", str(passing), "--max", "15", "--passing", "1.0"]) == 0
    assert passing.read_text() != out.read_text() and len(passing.read_text().splitlines()) == len(rows)


def test_echo_sets_how_often_the_speaker_says_the_friends_facts_back():
    from localmem.adapters.synth.groupchat import ECHOES

    said_back = re.compile("|".join(re.escape(e).replace(re.escape("{you}"), "(?:you|your) [^?!.]+") for e in ECHOES))

    def echoes(echo: float) -> int:
        rng, convs, n = random.Random(2), _convs(), 0
        for i in range(len(convs) - 1):
            batch = groupchat_batch(convs[i], convs[i + 1], rng, echo)
            if batch is not None:
                n += sum(len(said_back.findall(m.content)) for m in batch.turns if speaker(m) == batch.speaker)
        return n

    assert echoes(0.0) == 0 < echoes(0.5) < echoes(1.0)


#: groupchat_examples(_convs(8), SEED) as generator rows were before ``passing`` (a change to the
#: persona conversations themselves changes it too: then re-pin it from the commit before).
ROWS_SHA256 = "2fa921321d4a55f0e15da1617f07da08fff5564cbd4ea0e1946316e1711f3624"


def test_passing_zero_leaves_the_rows_as_they_were():
    """No random number is drawn for ``passing`` at 0: rows built before the option rebuild byte for byte."""
    import hashlib

    convs = _convs(8)
    rows = groupchat_examples(convs, SEED)
    assert groupchat_examples(convs, SEED, passing=0.0) == rows
    assert hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest() == ROWS_SHA256
    assert groupchat_examples(convs, SEED, passing=0.5) != rows


def _spoken(said: Said) -> str:
    """What of a fact turn a turn that says it in passing holds whatever the chat around it: its
    greeting taken off, its final stop too."""
    text = mid_sentence(said.text)
    return open_end(text) or text.rstrip().rstrip(".!").rstrip()


def test_mid_sentence_lowers_only_plain_first_words():
    assert mid_sentence("hey! big news, I moved to Adelaide") == "big news, I moved to Adelaide"
    assert mid_sentence("Ok so My sister lives in Oslo.") == "my sister lives in Oslo."
    assert mid_sentence("Lately I've been fixing up an old bike.") == "lately I've been fixing up an old bike."
    assert mid_sentence("Quick one: I speak Swedish") == "I speak Swedish"
    assert mid_sentence("I'm thinking about opening a little bakery.") == "I'm thinking about opening a little bakery."
    assert mid_sentence("Clementine the gecko says hi") == "Clementine the gecko says hi"
    assert mid_sentence("Greek food is my comfort food!") == "Greek food is my comfort food!"
    assert mid_sentence("sober for a while now") == "sober for a while now"
    assert mid_sentence("so") == "so"
    assert open_end("I went to a jazz concert yesterday and I had the best time!") == (
        "I went to a jazz concert yesterday and I had the best time")
    assert open_end("I hate raisins 😅") is None and open_end("did tennis again today?") is None
    assert open_end("I speak Swedish. btw I love jazz") is None


def test_a_fact_said_in_passing_sits_inside_a_longer_turn():
    rng, n = random.Random(4), 0
    saids = [s for syn in _convs(12) for _, s in fact_turns(syn)]
    saids += [event_turn(rng, date(2023, 5, 8), "Ana") for _ in range(40)]
    saids += [detailed_turn(rng, date(2023, 5, 8), "Ana") for _ in range(40)]
    for said in saids:
        for heard in (None, said):
            turn = chat_turn(rng, "Sam", said, heard, passing=1.0)
            core = _spoken(said)
            assert core in turn and turn.index(core) > 0, (said.text, turn)
            assert len(turn) > len(core) + 10
            n += turn.index(core) > len(turn) - len(core) - 5  # the fact at the turn's end
    assert 0 < n < len(saids) * 2  # some end the turn, the others have chat after them


def test_passing_keeps_the_gold_and_tucks_the_speakers_facts_into_chat():
    """With ``passing`` 1 every fact turn of the speaker says its fact after other words; the target is
    still the facts' memories (the speaker's own, or a told event), nothing of the chat around them."""
    convs, rng = _convs(), random.Random(5)
    tucked = 0
    for i in range(len(convs) - 1):
        batch = groupchat_batch(convs[i], convs[i + 1], rng, passing=1.0)
        if batch is None:
            continue
        gold = extract_op.parse_target(batch.target()).memories
        assert [m.text for m in gold] == [m.text for m in batch.gold]
        own = {s.text: s for _, s in fact_turns(convs[i])}
        own_facts = {m.text for s in own.values() for m in s.memories}
        assert all(m.text in own_facts or re.match(r"User (went to|has been|is considering) ", m.text) for m in gold)
        turns = [m.content for m in batch.turns if speaker(m) == batch.speaker]
        for text, said in own.items():
            if all(m.text in {g.text for g in gold} for m in said.memories):
                core = _spoken(said)
                holding = [t for t in turns if core in t]
                if holding:  # the turn with that fact (a fact of the persona's may be in no turn)
                    assert all(t.index(core) > 0 for t in holding), (core, holding)
                    tucked += 1
    assert tucked > len(convs) / 3


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def _strings(value) -> list[str]:
    """The strings of a table, however deeply its tuples nest."""
    if isinstance(value, str):
        return [value]
    return [x for v in value for x in _strings(v)] if isinstance(value, tuple) else []


def test_no_line_comes_from_locomo():
    """The generator never trains on the evaluation set: no chat line, event or caption shares a run
    of five words with LoCoMo's conversations (turns and image captions)."""
    import pytest

    from localmem.adapters.synth import groupchat
    from localmem.eval import locomo

    try:
        convs = locomo.load()
    except FileNotFoundError:
        pytest.skip("LoCoMo data not found (../shared/bench/locomo)")
    words = _words(" ".join(f"{t.text} {t.caption or ''}" for c in convs for s in c.sessions for t in s.turns))
    locomo_runs = {tuple(words[i:i + 5]) for i in range(len(words) - 4)}
    lines = [*groupchat.OPENERS, *groupchat.REACTIONS, *groupchat.ECHOES, *groupchat.FEELINGS, *groupchat.QUESTIONS,
             *groupchat.CAPTIONS, *groupchat.PASSING_LEADS, *groupchat.PASSING_JOINS, *groupchat.PASSING_ASIDES,
             # every table and said frame of facts_events (outings, doings, the detailed turns' ...)
             *(x for name, value in vars(facts_events).items() if name.isupper() for x in _strings(value))]
    assert all(x in lines for x in (facts_events.OUTINGS[0][0], facts_events.MADE_SAYS[0], facts_events.SHOPS[0][1]))
    found = []  # every line that shares a run, so that one run of the test names them all
    for line in lines:
        for part in re.split(r"\{\w+\}", line):  # no run goes across what fills one in
            w = _words(part)
            shared = [" ".join(w[i:i + 5]) for i in range(len(w) - 4) if tuple(w[i:i + 5]) in locomo_runs]
            if shared:
                found.append((line, shared))
    assert not found


#: Words a memory may have that its turn does not say ("User went to ...", "their", "because").
_MEMORY_WORDS = {"user", "user's", "their", "they", "them", "that", "with", "from", "will", "were", "have", "because",
                 "after", "while"}


def _said_words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9£]+(?:'[a-z]+)?", text.lower()))


def test_detailed_turns_keep_each_specific_in_a_memory_of_its_own():
    """A detailed turn tells one happening with its specifics; its gold is two or three short memories,
    each in the speaker's own words (most of its words said in the turn, a title word for word), the
    dated ones with the date in the text and in valid_from."""
    categories = {c for *_, c in facts_events.OUTINGS}
    categories |= {c for _, c, _ in facts_events.DOINGS + facts_events.CONSIDERINGS}
    rng, seen = random.Random(6), set()
    for _ in range(400):
        template = rng.choice(facts_events.DETAILED)
        seen.add(template)
        piece = template(Ctx(rng, date(2023, 5, 8), {}, persona_first="Ana"))
        assert 2 <= len(piece.memories) <= 3 and len({m.text for m in piece.memories}) == len(piece.memories)
        said = _said_words(piece.say)
        for m in piece.memories:
            assert re.match(r"User('s)? ", m.text) and not re.search(r"\b(my|our|me|I|I'm)\b", m.text), m.text
            assert m.kind in ("event", "fact", "preference") and m.category in categories
            if m.valid_from:
                assert m.valid_from in m.text and m.valid_from <= "2023-05-08"
            else:
                assert not re.search(r"\b\d{4}-\d\d", m.text)
            words = [w for w in _said_words(re.sub(r"\b\d{4}(-\d\d){0,2}\b", "", m.text))
                     if len(w) > 3 and w not in _MEMORY_WORDS]
            assert words and sum(w in said for w in words) >= len(words) / 2, (m.text, piece.say)
            for title in re.findall(r'"([^"]+)"', m.text):
                assert title in piece.say
        assert any(m.valid_from for m in piece.memories) or template is facts_events.wants_like
    assert seen == set(facts_events.DETAILED)
    assert len(facts_events.DETAILED) >= 6
    assert facts_events.TEMPLATES == (facts_events.outing, facts_events.outing, facts_events.doing,
                                      facts_events.considering)


def test_detailed_turns_replace_the_speakers_fact_turns(monkeypatch):
    """With ``detailed`` 1 every fact turn of the speaker is a detailed one: the gold is their memories,
    in order, each turn said in one of the speaker's turns."""
    from localmem.adapters.synth import groupchat

    told: list[Said] = []

    def recorded(*args):
        told.append(detailed_turn(*args))
        return told[-1]

    monkeypatch.setattr(groupchat, "detailed_turn", recorded)
    convs, rng, n = _convs(), random.Random(5), 0
    for i in range(len(convs) - 1):
        told.clear()
        batch = groupchat_batch(convs[i], convs[i + 1], rng, detailed=1.0)
        if batch is None:
            continue
        assert [m.text for m in batch.gold] == [m.text for s in told for m in s.memories]
        assert [m.text for m in extract_op.parse_target(batch.target()).memories] == [m.text for m in batch.gold]
        own = " ".join(m.content for m in batch.turns if speaker(m) == batch.speaker)
        assert all(s.text[:1].upper() + s.text[1:] in own for s in told)
        n += len(told)
    assert n > len(convs)


#: The detailed turns are drawn only where ``detailed`` > 0: the rows stay as they were
#: (``ROWS_SHA256``), whatever ``passing`` is.
def test_detailed_zero_leaves_the_rows_as_they_were():
    import hashlib

    convs = _convs(8)
    rows = groupchat_examples(convs, SEED, detailed=0.0)
    assert hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest() == ROWS_SHA256
    assert groupchat_examples(convs, SEED, passing=0.5, detailed=0.0) == groupchat_examples(convs, SEED, passing=0.5)
    assert groupchat_examples(convs, SEED, detailed=0.5) != rows


def test_cli_detailed_writes_detailed_rows_and_refuses_a_non_probability(tmp_path, capsys):
    import pytest

    from localmem.adapters.synth.build import build

    build(20, SEED, tmp_path / "data")
    plain, detailed = tmp_path / "gc.jsonl", tmp_path / "gc-detailed.jsonl"
    assert main(["--data-dir", str(tmp_path / "data"), "--out", str(plain), "--max", "15"]) == 0
    assert main(["--data-dir", str(tmp_path / "data"), "--out", str(detailed), "--max", "15", "--detailed", "1"]) == 0
    rows = [json.loads(line) for line in detailed.read_text().splitlines()]
    assert detailed.read_text() != plain.read_text() and len(rows) == len(plain.read_text().splitlines())
    makes = {t[0] for t in facts_events.MADE} | {"finished", "started", "got", "gave", "bought", "realized",
                                                  "learned", "wants", "went"}
    said = 0
    for row in rows:
        gold = json.loads(row["target"])
        said += any(re.match(r"User('s)? (\w+)", m[0]).group(2) in makes or '"' in m[0] for m in gold)
    assert said > len(rows) / 3
    for bad in ("1.5", "-0.1"):
        with pytest.raises(SystemExit):
            main(["--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "x.jsonl"), "--detailed", bad])
        assert f"--detailed is a probability, not {float(bad)}" in capsys.readouterr().err
