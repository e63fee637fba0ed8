"""LoCoMo loading, the category mapping, stratified samples, how questions are asked, and the
full-context window (with a token-counting double at the LLM boundary)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from localmem.eval import locomo
from localmem.eval.locomo import CATEGORIES, NO_INFO, LocomoError
from localmem.eval.locomo_systems import FullContext, make

DATA = locomo.default_data_path()
needs_data = pytest.mark.skipif(not DATA.is_file(), reason=f"LoCoMo not found at {DATA}")


@pytest.fixture(scope="module")
def convs():
    return locomo.load(DATA)


@needs_data
def test_load_and_category_mapping(convs):
    assert len(convs) == 10
    qs = [q for c in convs for q in c.questions]
    assert Counter(q.category for q in qs) == {1: 282, 2: 321, 3: 96, 4: 841, 5: 446}
    # the numbers mean what LoCoMo's evaluation code says: 2 is temporal ("When ..."), 5 has no answer
    temporal = [q for q in qs if CATEGORIES[q.category] == "temporal"]
    assert sum(q.question.startswith("When") for q in temporal) / len(temporal) > 0.7
    adversarial = [q for q in qs if CATEGORIES[q.category] == "adversarial"]
    assert all(q.answer == NO_INFO and q.adversarial_answer for q in adversarial)
    multi = [q for q in qs if CATEGORIES[q.category] == "multi-hop"]
    single = [q for q in qs if CATEGORIES[q.category] == "single-hop"]
    assert sum(len(q.evidence) > 1 for q in multi) / len(multi) > sum(len(q.evidence) > 1 for q in single) / len(single)
    first = convs[0]
    assert first.sample_id == "conv-26" and first.speakers == ("Caroline", "Melanie")
    assert first.sessions[0].date == datetime(2023, 5, 8, 13, 56, tzinfo=timezone.utc)
    assert first.sessions[0].turns[0].render() == "Caroline: Hey Mel! Good to see you! How have you been?"


@needs_data
def test_stratified_sample_is_seeded_and_within_sessions(convs):
    a = locomo.select(convs, conversations="conv-26,conv-30", sessions=4, per_category=3, seed=1)
    b = locomo.select(convs, conversations="conv-26,conv-30", sessions=4, per_category=3, seed=1)
    c = locomo.select(convs, conversations="conv-26,conv-30", sessions=4, per_category=3, seed=2)
    assert [q.key for x in a for q in x.questions] == [q.key for x in b for q in x.questions]
    assert [q.key for x in a for q in x.questions] != [q.key for x in c for q in x.questions]
    for conv in a:
        assert len(conv.sessions) == 4
        numbers = {s.number for s in conv.sessions}
        assert all(q.sessions <= numbers for q in conv.questions)
        assert max(Counter(q.category for q in conv.questions).values()) <= 3
    assert [c.sample_id for c in locomo.select(convs, conversations=2)] == ["conv-26", "conv-30"]
    whole = locomo.select(convs, conversations="1")[0]
    assert len(whole.questions) == len(convs[0].questions)  # no truncation: questions without evidence too
    with pytest.raises(LocomoError, match="conv-99"):
        locomo.select(convs, conversations="conv-26,conv-99")


def test_bad_data_is_a_clear_error(tmp_path: Path):
    with pytest.raises(LocomoError, match="not found"):
        locomo.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"sample_id": "x", "conversation": {"speaker_a": "A"}, "qa": []}]))
    with pytest.raises(LocomoError, match="missing key 'speaker_b'"):
        locomo.load(bad)
    bad.write_text(json.dumps([{"sample_id": "x", "qa": [], "conversation": {
        "speaker_a": "A", "speaker_b": "B", "session_1_date_time": "yesterday",
        "session_1": [{"speaker": "A", "dia_id": "D1:1", "text": "hi"}]}}]))
    with pytest.raises(LocomoError, match="unreadable session date 'yesterday'"):
        locomo.load(bad)


def _question(category: int, **kw) -> locomo.Question:
    return locomo.Question("conv-x", 7, "What did Ana adopt?", kw.get("answer", "a cat"), category,
                           frozenset({"D1:2"}), kw.get("adversarial_answer"))


def test_questions_are_asked_as_locomo_asks_them():
    plain = locomo.ask(_question(4))
    assert plain.message.endswith("Question: What did Ana adopt?") and not plain.options
    assert locomo.ask(_question(2)).message.endswith(
        "What did Ana adopt? Use DATE of CONVERSATION to answer with an approximate date.")
    adv = locomo.ask(_question(5, answer=NO_INFO, adversarial_answer="a dog"), seed=3)
    assert sorted(adv.options.values()) == sorted([NO_INFO, "a dog"])
    assert f"(a) {adv.options['a']} (b) {adv.options['b']}. Select the correct answer" in adv.message
    assert locomo.ask(_question(5, answer=NO_INFO, adversarial_answer="a dog"), seed=3) == adv
    orders = {tuple(locomo.ask(locomo.Question("c", i, "q?", NO_INFO, 5, frozenset(), "x")).options.values())
              for i in range(20)}
    assert len(orders) == 2  # both orders occur


class TokenDouble:
    """The runtime's token counter (one token per word) and context size: all ``FullContext`` needs
    to choose what fits."""

    class load_settings:
        n_ctx = 400

    def count_tokens(self, text: str) -> int:
        return len(text.split())


@needs_data
def test_full_context_keeps_the_most_recent_turns_that_fit(convs):
    conv = locomo.truncate(convs[0], 3)
    system = make("full-context", TokenDouble(), max_tokens=50)
    assert isinstance(system, FullContext)
    question = [{"role": "system", "content": "ten words of system prompt here for the test ok"},
                {"role": "user", "content": "What did Caroline research?"}]
    text, ids = system.context(conv, question)
    assert sum(len(line.split()) for line in text.splitlines()) <= 400 - 50 - 10 - 4
    last = conv.sessions[-1].turns[-1]
    assert ids[0] == last.dia_id and text.endswith(last.render())  # the most recent turn is in, last
    assert "D1:1" not in ids  # the oldest did not fit
    assert text.splitlines()[0].startswith("The conversations between Caroline and Melanie")
    # chronological inside: dates precede their turns, sessions in order
    dates = [line for line in text.splitlines() if line.startswith("DATE: ")]
    assert dates == sorted(dates, key=lambda d: datetime.strptime(d[6:], "%I:%M %p on %d %B, %Y"))
    big = make("full-context", type("Big", (TokenDouble,), {"load_settings": type("S", (), {"n_ctx": 100000})})())
    _, everything = big.context(conv, question)
    assert sorted(everything) == sorted(t.dia_id for s in conv.sessions for t in s.turns)
