"""Named-person answer examples (adapters/synth/named.py): questions and memories about a person by
name, replies as stored, abstention when the question is about someone nothing shown answers for."""

from __future__ import annotations

import json
import re

import pytest

from localmem.adapters.synth.conversation import make_conversation
from localmem.adapters.synth.named import (ABSTAIN, BRIEF, is_abstain_target, main, named_answer_examples,
                                          third_person)

SEED = 7


@pytest.mark.parametrize("question, expected", [
    ("Where do I live now?", "Where does Abena live now?"),
    ("What's my daily drink?", "What's Abena's daily drink?"),
    ("Where am I travelling to?", "Where is Abena travelling to?"),
    ("How long have I been learning sign?", "How long has Abena been learning sign?"),
    ("how old did I say I was?", "how old did Abena say Abena was?"),
    ("do you remember my partner's name?", "do you remember Abena's partner's name?"),
    ("Which language should you answer me in?", None),  # about the assistant: no third-person form
    ("What age is Cleo?", None),  # nothing first-person to turn
])
def test_third_person(question, expected):
    assert third_person(question, "Abena") == expected


def test_abstain_targets_are_recognised_for_any_name():
    assert all(is_abstain_target(a.format(name=n)) for a in ABSTAIN for n in ("Abena", "Seo-yeon"))
    assert not is_abstain_target("Abena lives in Porto.")
    assert not is_abstain_target("I don't know, Abena has not mentioned that. She lives in Porto.")


def _brief(question: str, template: str) -> bool:
    """``question`` is ``template`` wrapped around some question."""
    return re.fullmatch(re.escape(template).replace(re.escape("{q}"), ".+"), question) is not None


def test_examples_are_about_named_people():
    rows, swapped, briefs = [], 0, 0
    for i in range(40):
        syn = make_conversation(SEED, i, 5)
        first = syn.conversation.persona.name.split()[0]
        for r in named_answer_examples(syn, SEED):
            rows.append(r)
            system, question = r["messages"][0]["content"], r["messages"][-1]["content"]
            assert r["operation"] == "answer" and r["id"].endswith("-named")
            assert not re.search(r"^- \[[^]]*\] User\b", system, re.M), system  # every line names its person
            if not re.search(rf"\b{re.escape(first)}\b", question):  # asked about the other person
                swapped += 1
                assert is_abstain_target(r["target"]), (question, r["target"])
            elif not is_abstain_target(r["target"]) and any(_brief(question, b) for b in BRIEF):
                briefs += 1
                assert len(r["target"].split()) <= 8, r["target"]  # the short answer, not a sentence
            elif not is_abstain_target(r["target"]):
                assert r["target"].startswith(first)  # the reply is about whom it asks ...
                assert f"] {r['target'].rstrip('.')}" in system  # ... and is the memory as stored
    abstain = sum(is_abstain_target(r["target"]) for r in rows) / len(rows)
    assert 0.15 < abstain < 0.45  # near the one-user data's share, not a flood of refusals
    assert 0 < swapped < len(rows) / 4
    assert len(rows) / 5 < briefs < len(rows) / 2


def test_cli_writes_the_rows(tmp_path):
    from localmem.adapters.synth.build import build

    build(30, SEED, tmp_path / "data", version=5)
    out = tmp_path / "named.jsonl"
    assert main(["--data-dir", str(tmp_path / "data"), "--out", str(out), "--max", "20"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert 0 < len(rows) <= 20 and len({r["id"] for r in rows}) == len(rows)
