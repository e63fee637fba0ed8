"""The hand-labelled dev set: it loads, its labels are consistent, and bad files fail clearly."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from localmem.eval.devset import (
    DEFAULT_PATH,
    Decision,
    DevSetError,
    Status,
    eval_persona_names,
    load_devset,
    parse_devset,
)
from localmem.types import Category, Kind

DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@pytest.fixture(scope="module")
def devset():
    return load_devset()


def test_default_path_is_the_repository_file():
    assert DEFAULT_PATH == Path(__file__).resolve().parents[1] / "bench" / "data" / "devset.json"


def test_size_matches_the_brief(devset):
    convs = devset.conversations
    turns = list(devset.user_turns())
    memories = [m for c in convs for m in c.memories()]
    probes = [p for c in convs for p in c.probes]
    decisions = Counter(m.decision for m in memories)
    assert len(convs) >= 24
    assert all(2 <= len(c.sessions) <= 4 for c in convs)
    assert len(turns) >= 140
    assert len(memories) >= 190
    assert decisions[Decision.UPDATE] + decisions[Decision.SUPERSEDE] + decisions[Decision.NONE] >= 25
    assert min(decisions[d] for d in Decision) >= 5, decisions
    assert len(probes) >= 50
    assert sum(not p.answerable for p in probes) >= 10
    assert sum(not t.gold for t in turns) >= 10, "small-talk turns (empty gold) are needed for the FP rate"
    assert {m.kind for m in memories} == set(Kind)


def test_labels_use_the_documented_vocabulary(devset):
    for c in devset.conversations:
        for m in c.memories():
            assert isinstance(m.category, Category) and m.category.value in {x.value for x in Category}
            assert isinstance(m.kind, Kind)
            assert m.text.startswith("User"), m.text
            assert m.valid_from is None or DATE.match(m.valid_from), (c.id, m.id, m.valid_from)
        for s in c.sessions:
            assert DATE.match(s.date.isoformat())


def test_raw_file_dates_are_iso_strings():
    raw = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    for c in raw["conversations"]:
        for s in c["sessions"]:
            assert isinstance(s["date"], str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", s["date"])


def test_every_non_add_decision_targets_an_earlier_active_memory(devset):
    checked = 0
    for c in devset.conversations:
        order = [m.id for m in c.memories()]
        status: dict[str, str] = {}
        for m in c.memories():
            if m.decision is Decision.ADD:
                assert m.target is None
            else:
                assert m.target in order[:order.index(m.id)], (c.id, m.id, m.target)
                assert status[m.target] == "active", (c.id, m.id, m.target)
                if m.decision is not Decision.NONE:
                    status[m.target] = "replaced"
                checked += 1
            status[m.id] = "duplicate" if m.decision is Decision.NONE else "active"
    assert checked >= 25


def test_probe_evidence_exists_and_unanswerables_have_none(devset):
    for c in devset.conversations:
        ids = {m.id for m in c.memories()}
        for p in c.probes:
            if p.answerable:
                assert p.answer and p.evidence and set(p.evidence) <= ids, (c.id, p.id)
            else:
                assert p.answer is None and not p.evidence, (c.id, p.id)


def test_personas_are_listed_distinct_and_reserved(devset):
    names = [c.persona.name for c in devset.conversations]
    assert len(set(names)) == len(names)
    assert sorted(devset.personas) == sorted(names)
    assert eval_persona_names() == frozenset(names)
    assert "EVALUATION ONLY" in devset.note


def test_user_turns_carry_their_session_context(devset):
    turns = list(devset.user_turns())
    assert len({t.key for t in turns}) == len(turns)
    first = turns[0]
    assert first.key == "c01/s0/t0" and first.context == ()
    later = next(t for t in turns if t.key == "c01/s0/t2")
    assert [m["role"] for m in later.context] == ["user", "assistant"]
    assert later.date.isoformat() == "2023-05-08"


def test_replay_gives_the_final_state(devset):
    c01 = devset.conversation("c01")
    status = c01.replay()
    assert status["m7"] is Status.SUPERSEDED        # Headingley, replaced by Didsbury
    assert status["m12"] is Status.ACTIVE
    assert status["m14"] is Status.DUPLICATE        # night shifts, said again
    assert status["m6"] is Status.ACTIVE
    assert Status.UPDATED is devset.conversation("c02").replay()["m6"]   # age 7 corrected to 8
    active = {m.id for m in c01.active_memories()}
    assert "m7" not in active and "m14" not in active and "m12" in active


# ---- malformed files ----------------------------------------------------------------------------

def _small() -> dict:
    return {
        "version": 1, "note": "test", "personas": ["Test Person"],
        "conversations": [{
            "id": "c01", "persona": {"name": "Test Person", "summary": "someone made up for a test"},
            "sessions": [
                {"date": "2023-05-08", "turns": [
                    {"role": "user", "content": "I live in Lyon and my cat is Miso", "memories": [
                        {"id": "m1", "text": "User lives in Lyon", "kind": "fact", "category": "location"},
                        {"id": "m2", "text": "User has a cat named Miso", "kind": "fact", "category": "relationships"}]},
                    {"role": "assistant", "content": "Nice!"}]},
                {"date": "2023-06-01", "turns": [
                    {"role": "user", "content": "I moved to Paris", "memories": [
                        {"id": "m3", "text": "User lives in Paris", "kind": "fact", "category": "location",
                         "decision": "SUPERSEDE", "target": "m1"}]}]}],
            "probes": [
                {"id": "p1", "question": "Where do I live?", "answerable": True, "answer": "Paris", "evidence": ["m3"]},
                {"id": "p2", "question": "What's my dog called?", "answerable": False}]}]}


def _error(data: dict) -> str:
    with pytest.raises(DevSetError) as info:
        parse_devset(data, source="bad.json")
    return str(info.value)


def test_small_valid_set_parses():
    d = parse_devset(_small())
    assert [m.id for m in d.conversations[0].active_memories()] == ["m2", "m3"]


@pytest.mark.parametrize("path, value, expected", [
    (("sessions", 0, "turns", 0, "memories", 0, "category"), "pets",
     "conversations[0] (id=c01) > sessions[0] > turns[0] > memories[0] (id=m1) > category"),
    (("sessions", 0, "turns", 0, "memories", 0, "kind"), "opinion", "kind: Input should be 'fact'"),
    (("sessions", 0, "date"), "08/05/2023", "session date must be an ISO day string"),
    (("sessions", 0, "date"), "2023-02-30", "is not a real date"),
    (("sessions", 0, "turns", 0, "memories", 0, "valid_from"), "May 2023", "is not an ISO date"),
    (("sessions", 0, "turns", 0, "memories", 0, "text"), "Lives in Lyon", "start with 'User'"),
    (("sessions", 1, "turns", 0, "memories", 0, "target"), "m9", "targets 'm9', which is not an earlier memory"),
    (("sessions", 1, "turns", 0, "memories", 0, "decision"), "REPLACE", "decision: Input should be 'ADD'"),
    (("sessions", 1, "date"), "2023-01-01", "session dates are not in order"),
    (("probes", 1, "answer"), "Rex", "an unanswerable probe has no answer"),
    (("probes", 0, "evidence"), ["m42"], "cites unknown memories ['m42']"),
    (("probes", 1, "related"), ["m43"], "cites unknown memories ['m43']"),
    (("probes", 0, "related"), ["m1"], "related memories are for unanswerable probes"),
])
def test_malformed_values_are_named(path, value, expected):
    data = _small()
    node = data["conversations"][0]
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    message = _error(data)
    assert expected in message, message
    assert message.startswith("bad.json:")


def test_target_must_still_be_active():
    data = _small()
    turns = data["conversations"][0]["sessions"][1]["turns"]
    turns.append({"role": "user", "content": "I live in Lyon", "memories": [
        {"id": "m4", "text": "User lives in Lyon", "kind": "fact", "category": "location",
         "decision": "NONE", "target": "m1"}]})
    assert "targets 'm1', which is already superseded" in _error(data)


def test_add_with_target_and_update_without_target_are_rejected():
    data = _small()
    mem = data["conversations"][0]["sessions"][0]["turns"][0]["memories"][0]
    mem["target"] = "m2"
    assert "decision ADD must not have a target" in _error(data)
    data = _small()
    del data["conversations"][0]["sessions"][1]["turns"][0]["memories"][0]["target"]
    assert "SUPERSEDE needs a target" in _error(data)


def test_unlabelled_user_turn_and_labelled_assistant_turn():
    data = _small()
    del data["conversations"][0]["sessions"][0]["turns"][0]["memories"]
    assert "has no 'memories' label" in _error(data)
    data = _small()
    data["conversations"][0]["sessions"][0]["turns"][1]["memories"] = []
    assert "assistant turn 'Nice!' must not carry 'memories'" in _error(data)


def test_duplicate_ids_and_persona_list_mismatch():
    data = _small()
    data["conversations"][0]["sessions"][0]["turns"][0]["memories"][1]["id"] = "m1"
    assert "memory id 'm1' is used twice" in _error(data)
    data = _small()
    data["personas"] = ["Someone Else"]
    message = _error(data)
    assert "missing ['Test Person']" in message and "extra ['Someone Else']" in message
    data = _small()
    data["conversations"].append(copy.deepcopy(data["conversations"][0]))
    data["conversations"][1]["id"] = "c02"
    assert "personas must be distinct" in _error(data)


def test_unknown_keys_are_rejected():
    data = _small()
    data["conversations"][0]["sessions"][0]["turns"][0]["memories"][0]["catgory"] = "location"
    assert "catgory: Extra inputs are not permitted" in _error(data)


def test_file_errors(tmp_path):
    with pytest.raises(DevSetError, match="does not exist"):
        load_devset(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1,\n "note": }')
    with pytest.raises(DevSetError, match=r"not valid JSON: .* line 2, column 10"):
        load_devset(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_small()))
    assert load_devset(good).personas == ("Test Person",)
