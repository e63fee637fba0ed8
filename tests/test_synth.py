"""The synthetic conversation generator behind the memory adapters (localmem.adapters.synth)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from localmem.adapters.synth import build as build_mod
from localmem.adapters.synth.conversation import make_conversation, persona_name, split_of
from localmem.adapters.synth.examples import examples, second_person
from localmem.eval.devset import Decision, eval_persona_names, load_devset
from localmem.ops import extract as extract_op
from localmem.ops import update as update_op

SEED = 11
N = 120


@pytest.fixture(scope="module")
def synthetic():
    return [make_conversation(SEED, i) for i in range(N)]


def test_same_seed_same_data_other_seed_other_data():
    a = [json.dumps(make_conversation(SEED, i).to_json(), sort_keys=True) for i in range(5)]
    b = [json.dumps(make_conversation(SEED, i).to_json(), sort_keys=True) for i in range(5)]
    c = [json.dumps(make_conversation(SEED + 1, i).to_json(), sort_keys=True) for i in range(5)]
    assert a == b
    assert all(x != y for x, y in zip(a, c))


def test_splits_are_disjoint_by_persona_and_all_present(synthetic):
    by_split = defaultdict(set)
    for s in synthetic:
        by_split[s.split].add(s.conversation.persona.name)
    assert set(by_split) == {"train", "dev", "test"}
    names = [s.conversation.persona.name for s in synthetic]
    assert len(names) == len(set(names)), "persona names repeat"
    assert not by_split["train"] & by_split["dev"]
    assert not by_split["train"] & by_split["test"]
    assert not by_split["dev"] & by_split["test"]
    # the split depends on (seed, index) only, not on how many conversations are generated
    assert [split_of(SEED, i) for i in range(N)] == [s.split for s in synthetic]


def test_never_uses_evaluation_personas_or_sentences(synthetic):
    refused = eval_persona_names()
    assert not refused & {s.conversation.persona.name for s in synthetic}
    assert not refused & {persona_name(SEED, i) for i in range(2000)}
    dev_sentences = {t.content for c in load_devset().conversations for s in c.sessions for t in s.turns}
    ours = {t.content for s in synthetic for sess in s.conversation.sessions for t in sess.turns}
    assert not dev_sentences & ours


def test_gold_labels_are_consistent(synthetic):
    decisions = defaultdict(int)
    for s in synthetic:
        conv = s.conversation
        conv.replay()  # targets exist and are active when referred to (raises otherwise)
        for turn in conv.user_turns():
            for m in turn.gold:
                decisions[m.decision] += 1
                assert m.id in s.confidence and 0 < s.confidence[m.id] <= 1
                if m.valid_from:  # the resolved date is written into the user's words the model reads
                    said = extract_op.annotate_relative_dates(turn.content, turn.date)
                    assert m.valid_from in said, (turn.content, m)
                    if m.kind.value == "event":  # an event says when; a fact may only carry valid_from
                        assert m.valid_from in m.text
        ids = {m.id for m in conv.memories()}
        for p in conv.probes:
            assert set(p.evidence) <= ids
            if p.answerable:
                assert p.answer and p.answer.lower() in conv.memory(p.evidence[0]).text.lower()
    # every decision type is represented, ADD the most common
    assert all(decisions[d] > 0 for d in Decision)
    assert decisions[Decision.ADD] == max(decisions.values())


def test_extract_examples_are_the_pipeline_short_prompt_with_valid_targets(synthetic):
    s = synthetic[0]
    rows = examples(s, "extract")
    assert len(rows) == sum(1 for _ in s.conversation.user_turns())
    for row, turn in zip(rows, s.conversation.user_turns()):
        assert row["messages"][0] == {"role": "system", "content": extract_op.SHORT_SYSTEM}
        assert row["messages"][1]["content"].endswith("user: " + extract_op.annotate_relative_dates(turn.content, turn.date))
        # the compact form the adapter answers in: [[text, kind, category(, valid_from)], ...]
        target = extract_op.CompactExtraction.model_validate_json(row["target"]).expand()
        assert [(m.text, m.kind, m.category, m.valid_from) for m in target.memories] == \
            [(g.text, g.kind, g.category, g.valid_from) for g in turn.gold]
        assert row["target"] == extract_op.compact_json(target)


def test_generator_5_extract_targets_keep_the_full_form():
    """v6 changed only how extract targets are written; v5 data rebuild byte for byte."""
    s = make_conversation(SEED, 0, 5)
    turns = list(s.conversation.user_turns())
    for row, turn in zip(examples(s, "extract", version=5), turns):
        target = extract_op.Extraction.model_validate_json(row["target"])
        assert [m.text for m in target.memories] == [g.text for g in turn.gold]
        assert extract_op.parse_target(row["target"]) == target
    assert [r["messages"] for r in examples(s, "extract", version=5)] == [r["messages"] for r in examples(s, "extract")]
    # Probe.related (v7) is left out when empty, so conversations.jsonl of v1-v6 stays byte for byte
    assert '"related"' not in json.dumps(s.to_json())


def test_update_examples_point_at_the_gold_target(synthetic):
    seen = defaultdict(int)
    for s in synthetic[:40]:
        conv = s.conversation
        for row in examples(s, "update", SEED):
            gold = conv.memory(row["id"].split("/")[1])
            assert row["target"].startswith("[")  # the compact form (generator v9 on)
            decision = update_op.parse_target(row["target"])
            assert update_op.compact_json(decision) == row["target"]
            assert decision.event == gold.decision.value
            seen[decision.event] += 1
            shown = row["messages"][1]["content"].split("\n")
            assert row["messages"][0]["content"] == update_op.SHORT_SYSTEM
            assert shown[-1] == f"NEW: {gold.text}"
            if gold.decision is Decision.ADD:
                assert decision.id is None and decision.text is None
            else:
                line = shown[1 + decision.id]
                assert line.startswith(f"{decision.id}. {conv.memory(gold.target).text} (")
                assert (decision.text == gold.text) == (gold.decision is Decision.UPDATE)
    assert set(seen) == {"ADD", "UPDATE", "SUPERSEDE", "NONE"}


def test_update_examples_before_v9_keep_the_full_form(synthetic):
    s = synthetic[0]
    old, new = examples(s, "update", SEED, version=8), examples(s, "update", SEED)
    assert [r["messages"] for r in old] == [r["messages"] for r in new]
    for a, b in zip(old, new):
        assert a["target"].startswith("{") and json.loads(a["target"]).keys() == {"event", "id", "text"}
        assert update_op.parse_target(a["target"]) == update_op.parse_target(b["target"])


def test_answer_examples_use_evidence_or_abstain(synthetic):
    from localmem.eval.score import is_abstention

    for s in synthetic[:30]:
        for row, probe in zip(examples(s, "answer", SEED), s.conversation.probes):
            assert row["messages"][-1] == {"role": "user", "content": probe.question}
            assert is_abstention(row["target"]) == (not probe.answerable)
            if probe.answerable:
                assert probe.answer.lower() in row["target"].lower()
                assert s.conversation.memory(probe.evidence[0]).text in row["messages"][0]["content"]


def test_fact_turns_sometimes_end_with_a_question_and_moves_leave_the_old_city(synthetic):
    from localmem.adapters.synth import chatter
    from localmem.adapters.synth.conversation import LEFT_CITY

    tails = [q.lower() for q in chatter.QUESTIONS + chatter.SMALL_TALK]
    patterns = [re.escape(p.lower()).replace(re.escape("{old}"), r"[a-z' -]+") for p in LEFT_CITY]
    mixed = left = 0
    for s in synthetic:
        for turn in s.conversation.user_turns():
            text = turn.content.lower()
            if turn.gold and any(text.endswith(t) for t in tails):
                mixed += 1
            if any(re.search(p, text) for p in patterns):
                left += 1
                lives = [g for g in turn.gold if g.text.startswith("User lives in ")]
                assert lives and all(g.decision is Decision.SUPERSEDE for g in lives), text
                # the city said to be left is the one superseded, and nothing says the user is still there
                old = s.conversation.memory(lives[0].target).text.removeprefix("User lives in ").lower()
                assert old in text, text
                assert not any(old in g.text.lower() for g in turn.gold), text
    assert mixed >= 20 and left >= 3
    # generator version 1 (the extract adapter's first run) has neither
    v1 = [make_conversation(SEED, i, 1) for i in range(N)]
    assert not any(re.search(p, t.content.lower()) for s in v1 for t in s.conversation.user_turns() for p in patterns)
    v2 = [make_conversation(SEED, i, 2) for i in range(N)]
    assert [m.text for s in v1 for m in s.conversation.memories()] == \
        [m.text for s in v2 for m in s.conversation.memories()]  # same gold


def test_general_requests_are_distinct_and_never_about_the_user():
    from localmem.adapters.synth.general import IMPERATIVE_PREFIXES, QUESTION_PREFIXES, requests

    asks = requests(7)
    held = requests(7, "eval")
    assert len(asks) == len(set(asks)) > 45 and len(held) >= 8
    assert not {a.lower() for a in asks} & {h.lower() for h in held}
    assert requests(7) == asks and requests(8) != asks
    asks += held
    # worded like personal questions ("how do I ...", "what should I ...") but never asking for a fact
    # about the user's own past, which only memory could answer
    assert sum(" i " in f" {a.lower()} " for a in asks) > 30
    openers = tuple(p for p in IMPERATIVE_PREFIXES + QUESTION_PREFIXES if p)
    bare = [next((a[len(p):] for p in openers if a.lower().startswith(p)), a).lower() for a in asks]
    assert not any(b.startswith(("what is my", "what's my", "where do i", "who is my", "when is my", "how old",
                                 "which", "when did i", "where did i", "what did i", "do i ", "am i "))
                   for b in bare)


def test_teacher_inputs_and_filter(synthetic):
    import random

    from localmem.adapters import teacher

    syn = next(s for s in synthetic if s.split == "train")
    full, short = teacher.general_inputs(syn, "How do I make pancakes?", random.Random(1))
    assert full[-1] == short[-1] == {"role": "user", "content": "How do I make pancakes?"}
    assert "never invent" in full[0]["content"] and "never invent" not in short[0]["content"]
    memory_lines = [line for line in short[0]["content"].splitlines() if line.startswith("- [")]
    assert 2 <= len(memory_lines) <= 6 and all(line in full[0]["content"] for line in memory_lines)
    styles = set()
    for k in range(40):
        full, short = teacher.general_inputs(syn, "Hi", random.Random(k))
        line = short[0]["content"].splitlines()[-1]
        styles.add(line if line.startswith("Style:") else "")
        assert (line in full[0]["content"]) == line.startswith("Style:") or not line.startswith("Style:")
    assert "" in styles and len(styles) >= 4  # some examples carry a style line, most do not
    assert teacher.verdict("Whisk flour, eggs and milk.", "stop") is None
    assert teacher.verdict("Whisk flour", "length") == "cut off (length)"
    assert teacher.verdict("I don't know, you haven't told me.", "stop").startswith("refusal")
    assert teacher.verdict("  ", "stop") == "empty"


@pytest.mark.parametrize("text, expected", [
    ("User loves jazz", "You love jazz."),
    ("User's cat is named Fig", "Your cat is named Fig."),
    ("User is allergic to sesame", "You are allergic to sesame."),
    ("User watches anime", "You watch anime."),
    ("User has a dog named Moose", "You have a dog named Moose."),
    ("User does not like olives", "You do not like olives."),
    ("User saves £300 a month for the user's honeymoon", "You save £300 a month for your honeymoon."),
    ("User does padel regularly", "You do padel regularly."),
    ("User goes climbing on Fridays", "You go climbing on Fridays."),
])
def test_second_person(text, expected):
    assert second_person(text) == expected


def test_second_person_before_generator_11_keeps_its_slip():
    assert second_person("User does padel regularly", irregular=False) == "You doe padel regularly."


def test_unknown_operation_is_refused(synthetic):
    with pytest.raises(ValueError, match="unknown operation 'summarise'"):
        examples(synthetic[0], "summarise")


def test_build_writes_splits_and_a_card_with_hashes(tmp_path: Path):
    card = build_mod.build(30, SEED, tmp_path)
    for rel, digest in card["files"].items():
        assert hashlib.sha256((tmp_path / rel).read_bytes()).hexdigest() == digest
    assert sum(card["splits"][s]["conversations"] for s in ("train", "dev", "test")) == 30
    convs = build_mod.load_conversations(tmp_path, "test")
    assert len(convs) == card["splits"]["test"]["conversations"]
    rows = build_mod.read_jsonl(tmp_path / "train" / "extract.jsonl")
    assert {r["conversation"] for r in rows} <= {c.conversation.id for c in build_mod.load_conversations(tmp_path, "train")}
    again = build_mod.build(30, SEED, tmp_path / "again")
    assert again["files"] == card["files"]


def test_focus_selects_moves_and_thanks_from_the_training_split(tmp_path: Path):
    from localmem.adapters.synth import focus

    build_mod.build(250, SEED, tmp_path)
    rows = build_mod.read_jsonl(tmp_path / "train" / "extract.jsonl")
    moves, thanks = focus.select(rows, ["move"]), focus.select(rows, ["thanks"])
    assert moves and thanks
    for r in moves:
        texts = [m.text for m in extract_op.parse_target(r["target"]).memories]
        assert any(t.startswith("User lives in ") for t in texts), texts
        assert any(w in focus.new_user_text(r).lower() for w in ("moved", "relocated", "living in", "now"))
    for r in thanks:
        assert r["target"] == "[]"
        assert "thank" in focus.new_user_text(r).lower() or "thx" in focus.new_user_text(r).lower()
    more = focus.select(rows, ["move+"])
    assert more and all(r in moves and len(extract_op.parse_target(r["target"]).memories) > 2 for r in more)
    both = focus.select(rows, ["move", "thanks"])
    assert len(both) == len(moves) + len(thanks) and all(r in rows for r in both)
    out = tmp_path / "focus.jsonl"
    assert focus.main(["--data-dir", str(tmp_path), "--out", str(out)]) == 0
    assert build_mod.read_jsonl(out) == both
    idle = focus.select(rows, ["idle"])
    assert set(r["id"] for r in thanks) <= set(r["id"] for r in idle)
    assert all(r["target"] == "[]" for r in idle)
    with pytest.raises(ValueError, match="unknown focus"):
        focus.select(rows, ["moves"])


def test_focus_selects_turns_that_change_a_remembered_fact(tmp_path: Path):
    """``change``: the turns whose gold holds the new memory of a SUPERSEDE or UPDATE example of the
    same conversation (a new job, a diet change, a correction), found through update.jsonl."""
    from localmem.adapters.synth import focus

    build_mod.build(80, SEED, tmp_path)
    rows = build_mod.read_jsonl(tmp_path / "train" / "extract.jsonl")
    updates = build_mod.read_jsonl(tmp_path / "train" / "update.jsonl")
    changes = focus.select(rows, ["change"], update_rows=updates)
    assert 0 < len(changes) < len(rows) / 2
    changed = {(u["conversation"], u["messages"][-1]["content"].rsplit("NEW: ", 1)[1])
               for u in updates if json.loads(u["target"])[0] in ("SUPERSEDE", "UPDATE")}
    for r in rows:
        texts = [m.text for m in extract_op.parse_target(r["target"]).memories]
        assert (r in changes) == any((r["conversation"], t) in changed for t in texts)
    moves = focus.select(rows, ["move"])
    assert moves and {r["id"] for r in moves} <= {r["id"] for r in changes}  # a move supersedes the old city
    with pytest.raises(ValueError, match="needs the split's update examples"):
        focus.select(rows, ["change"])
    out = tmp_path / "change.jsonl"
    assert focus.main(["--data-dir", str(tmp_path), "--kinds", "change", "--max", "5", "--out", str(out)]) == 0
    picked = build_mod.read_jsonl(out)
    assert len(picked) == 5 and all(r in changes for r in picked)


def test_generator_3_fixes_the_gold_date_of_the_day_after_tomorrow():
    """Generators 1 and 2 (kept reproducible byte for byte) labelled "the day after tomorrow" with the
    day it was said; 3 labels it with the date the prompt shows."""
    def labels(version: int) -> list[tuple[str, str, str]]:
        out = []
        for i in range(300):
            for t in make_conversation(SEED, i, version).conversation.user_turns():
                if "the day after tomorrow" in t.content:
                    right = extract_op.annotate_relative_dates("the day after tomorrow", t.date)[-11:-1]
                    out += [(g.valid_from, right, t.date.isoformat()) for g in t.gold if g.kind.value == "event"]
        return out

    v2, v3 = labels(2), labels(3)
    assert any(got == said != right for got, right, said in v2)
    assert v3 and any(got == right for got, right, _ in v3)
    assert not any(got == said for got, _, said in v3)


def test_generator_3_gold_is_consistent_within_a_turn(synthetic):
    """v1/v2 could say "I moved to Belfast ... still in Rotterdam, yes" in one turn (a repeat of the
    memory the move supersedes, then labelled as new), move twice in one turn, or name a city never
    lived in as the one left (the new city of a change that was drawn and then rejected)."""
    for s in synthetic:
        for turn in s.conversation.user_turns():
            changed = [g.target for g in turn.gold if g.decision in (Decision.UPDATE, Decision.SUPERSEDE)]
            repeated = {g.target for g in turn.gold if g.decision is Decision.NONE}
            assert len(changed) == len(set(changed)) and not set(changed) & repeated, turn.content
            assert sum(g.text.startswith("User moved to ") for g in turn.gold) <= 1, turn.content
    v2 = [make_conversation(SEED, i, 2) for i in range(400)]
    assert any(sum(g.text.startswith("User moved to ") for g in t.gold) > 1
               for c in v2 for t in c.conversation.user_turns())  # what v3 fixes (v2 stays reproducible)



def test_generator_4_has_many_more_distinct_turns_with_nothing_to_remember():
    """v1-v3 drew idle turns from 42 fixed sentences; the extract adapter then turned unseen ones with
    content words ("ugh, rain all morning", "what's the Spanish word for ...") into memories."""
    def idle(version: int) -> list[str]:
        return [t.content.lower() for i in range(200) for t in make_conversation(SEED, i, version).conversation.user_turns()
                if not t.gold]

    v3, v4 = idle(3), idle(4)
    assert len(set(v4)) > 1.4 * len(set(v3))
    assert any("word for" in t or "how do you say" in t for t in v4)
    assert any(re.search(r"\d+% of", t) for t in v4)
    from localmem.adapters.synth import chatter
    import random

    rng = random.Random(5)
    samples = {chatter.everyday(rng) for _ in range(400)}
    assert len(samples) > 250 and not any(s.lower().startswith(("i ", "i'm", "my name")) for s in samples)


def test_generator_5_asks_in_many_phrasings_and_about_more_kinds_of_memory():
    """v1-v4 asked each memory type one fixed question, so the answer adapter abstained on "Where do I
    live now?" with "User lives in Didsbury" in its memory block; v5 rephrases and derives questions."""
    def probes(version: int):
        return [(s, p) for i in range(200) for s in [make_conversation(SEED, i, version)] for p in s.conversation.probes]

    v4, v5 = probes(4), probes(5)
    asked = lambda ps: {p.question for _, p in ps if p.answerable}  # noqa: E731
    assert len(asked(v5)) > 2.5 * len(asked(v4))  # 233 vs 79 over 200 conversations
    assert any(p.question == "Where do I live now?" for _, p in v5)
    assert any(p.question.startswith("When is my ") and p.answerable for _, p in v5)  # derived: an exam's date
    answerable = [p for _, p in v5 if p.answerable]
    assert 0.6 < len(answerable) / len(v5) < 0.8
    for s, p in v5:
        active = {m.id: m.text for m in s.conversation.active_memories()}
        if p.answerable:
            assert p.evidence[0] in active and p.answer.lower() in active[p.evidence[0]].lower()
        else:
            near = {"When is my exam?": " exam", "What book am I reading?": "reading", "Where do I work?": "User works"}
            assert not any(near.get(p.question, "\0") in t for t in active.values()), p.question
    for s in [s for s, _ in v5[:300]]:
        qs = [p.question.lower() for p in s.conversation.probes]
        assert len(qs) == len(set(qs))
    texts = [m.text for i in range(300) for m in make_conversation(SEED, i).conversation.active_memories()]
    assert not any(" a the " in t for t in texts)


def test_generator_7_asks_near_misses_next_to_a_memory_on_the_same_subject():
    """The answer adapter restated "User works for a consultancy in Dubai" when asked the
    consultancy's name: v7 adds unanswerable probes about a detail of a remembered subject, and
    the training example shows that memory near the top of the block, as retrieval does."""
    import random

    from localmem.adapters.synth import near_miss
    from localmem.eval.score import is_abstention

    convs = [make_conversation(SEED, i) for i in range(150)]
    near = [(s, p) for s in convs for p in s.conversation.probes if p.related]
    assert len(near) > 60 and all(not p.answerable for _, p in near)
    assert len({p.question for _, p in near}) > 40
    for s, p in near:
        related = s.conversation.memory(p.related[0])
        assert related in s.conversation.active_memories()
        rows = {r["id"]: r for r in examples(s, "answer")}
        row = rows[f"{s.conversation.id}/{p.id}"]
        block = row["messages"][0]["content"]
        assert related.text in block and is_abstention(row["target"])
    # the same conversations as v6 (only the probes differ): extract and update data are unchanged
    for i in range(20):
        v6, v7 = make_conversation(SEED, i, 6), make_conversation(SEED, i, 7)
        assert v6.conversation.sessions == v7.conversation.sessions
        assert [p for p in v7.conversation.probes if not p.related] == list(v6.conversation.probes)
    rng = random.Random(1)
    texts = ["User visited Kyoto on 2023-04-02", "User's sister is named Ines", "User has a dog named Rex"]
    found = near_miss.near_misses(texts, rng)
    assert [i for _, i in found] == [0, 1] and "Kyoto" in found[0][0] and "Ines" in found[1][0]
    # a memory that could answer the question rules the near miss out
    assert near_miss.near_misses(["User visited Kyoto", "User stayed at the Hotel Kanra in Kyoto"], rng) == []


def test_focus_selects_near_misses_for_the_answer_adapter(tmp_path: Path):
    from localmem.adapters.synth import focus
    from localmem.eval.score import is_abstention

    build_mod.build(120, SEED, tmp_path)
    rows = build_mod.read_jsonl(tmp_path / "train" / "answer.jsonl")
    near = focus.select(rows, ["near"], "answer")
    assert near and all(r["id"].endswith("/n1") and is_abstention(r["target"]) for r in near)
    some = focus.select(rows, ["near"], "answer", limit=5)
    assert len(some) == 5 and all(r in near for r in some) and some == focus.select(rows, ["near"], "answer", limit=5)
    out = tmp_path / "near.jsonl"
    assert focus.main(["--data-dir", str(tmp_path), "--operation", "answer", "--kinds", "near", "--out", str(out)]) == 0
    assert build_mod.read_jsonl(out) == near
    with pytest.raises(ValueError, match="unknown focus \\['move'\\] for answer"):
        focus.select(rows, ["move"], "answer")


def test_generator_8_pairs_a_near_miss_with_the_question_its_memory_answers(tmp_path: Path):
    """Trained on near misses alone the adapter declined "What breed is my dog?" next to "User has a
    corgi named Churro": v8 asks, where it can, what the same memory does answer (probe c1)."""
    from localmem.adapters.synth import focus

    convs = [make_conversation(SEED, i) for i in range(150)]
    pairs = 0
    for s in convs:
        probes = {p.id: p for p in s.conversation.probes}
        if "c1" in probes:
            pairs += 1
            near, contrast = probes["n1"], probes["c1"]
            assert contrast.answerable and contrast.evidence == near.related
            assert len([p for p in probes.values() if p.evidence == near.related]) == 1
    assert pairs > 40
    build_mod.build(120, SEED, tmp_path)
    rows = build_mod.read_jsonl(tmp_path / "train" / "answer.jsonl")
    chosen = focus.select(rows, ["pair"], "answer")
    ends = sorted(r["id"].rsplit("/", 1)[1] for r in chosen)
    assert chosen and ends == sorted(["c1", "n1"] * (len(chosen) // 2))
    assert len(focus.select(rows, ["pair"], "answer", limit=3)) == 6
    with pytest.raises(ValueError, match="on its own"):
        focus.select(rows, ["pair", "near"], "answer")


def test_generator_10_says_years_that_are_not_ages_and_relatives_of_relatives(tmp_path: Path):
    """The compact extract adapter turned "I've had the trattoria for 22 years" into "User is 22
    years old": v10 says such years (and "my wife's brother Marco") among the introductions."""
    from localmem.adapters.synth import focus

    def memories(version: int) -> list[tuple[str, str]]:
        convs = [make_conversation(SEED, i, version).conversation for i in range(150)]
        return [(t.content, m.text) for conv in convs for t in conv.user_turns() for m in t.gold]

    new = memories(10)
    years = [(say, text) for say, text in new if re.search(r"\bfor \d+ years\b", text)]
    in_law = [(say, text) for say, text in new if re.match(r"User's \w+'s ", text)]
    assert len(years) > 10 and len(in_law) > 10
    for say, text in years:
        n = re.search(r"(\d+) years", text).group(1)
        assert f"{n} years" in say and f"User is {n} years old" not in [t for s, t in new if s == say]
    for say, text in in_law:
        first, second = re.match(r"User's (\w+)'s ([\w ]+?) (?:is named|\w+ lives)", text).groups()
        assert f"my {first}'s {second}" in say.lower()
    old = {text for _, text in memories(9)}
    assert not any(re.match(r"User's \w+'s ", t) or re.search(r"\bfor \d+ years\b", t) for t in old)
    build_mod.build(120, SEED, tmp_path)
    rows = build_mod.read_jsonl(tmp_path / "train" / "extract.jsonl")
    picked = focus.select(rows, ["years", "inlaw"])
    assert picked and all(re.search(r"for \d+ years|User's \w+'s ", r["target"]) for r in picked)


def test_generator_11_answer_blocks_rank_memories_like_a_search(synthetic):
    """End to end the answer adapter sees eight retrieved memories, many on the asked subject; v11
    blocks are the memories sharing most content words with the question, then the evidence's
    category; v10 and earlier keep their few random ones."""
    from localmem.adapters.synth.examples import RECALLED
    from localmem.store.search import content_words

    checked = 0
    for s in synthetic[:60]:
        active = s.conversation.active_memories()
        old, new = examples(s, "answer", SEED, version=10), examples(s, "answer", SEED)
        assert [r["messages"][-1] for r in old] == [r["messages"][-1] for r in new]
        for row, probe in zip(new, s.conversation.probes):
            lines = [line.split("] ", 1)[1] for line in row["messages"][0]["content"].splitlines()[2:]]
            assert len(lines) == min(RECALLED, len(active))
            first = [m.text for m in active if m.id in probe.evidence or m.id in probe.related]
            assert all(t in lines[:len(first) + 2] for t in first)
            asked = set(content_words(probe.question))
            overlap = [len(asked & set(content_words(t))) for t in lines if t not in first]
            assert overlap == sorted(overlap, reverse=True)
            checked += 1
    assert checked > 100
