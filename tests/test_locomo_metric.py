"""LoCoMo's official QA metric and the Porter stemmer it needs, on hand-computed examples."""

from __future__ import annotations

import pytest

from localmem.eval.locomo import NO_INFO, Asked
from localmem.eval.locomo_metric import evidence_recall, f1_score, multi_f1, normalize_answer, score, tokens
from localmem.eval.porter import measure, stem

# Porter (1980)'s own examples, plus NLTK's extensions (ties, dying, skies, one/two-letter words).
STEMS = {
    "caresses": "caress", "ponies": "poni", "ties": "tie", "caress": "caress", "cats": "cat",
    "feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled", "motoring": "motor", "sing": "sing",
    "conflated": "conflat", "troubled": "troubl", "sized": "size", "hopping": "hop", "tanned": "tan",
    "falling": "fall", "hissing": "hiss", "fizzed": "fizz", "failing": "fail", "filing": "file",
    "happy": "happi", "sky": "sky", "relational": "relat", "conditional": "condit", "rational": "ration",
    "generalization": "gener", "running": "run", "dying": "die", "skies": "sky", "is": "is", "as": "as",
    "psychology": "psycholog", "certification": "certif", "adoption": "adopt", "agencies": "agenc",
    "painting": "paint", "Painted": "paint", "roll": "roll", "controlling": "control",
}


@pytest.mark.parametrize("word, expected", sorted(STEMS.items()))
def test_porter_stems(word, expected):
    assert stem(word) == expected


def test_measure():
    assert [measure(w) for w in ("tr", "ee", "tree", "y", "by")] == [0, 0, 0, 0, 0]
    assert [measure(w) for w in ("trouble", "oats", "trees", "ivy")] == [1, 1, 1, 1]
    assert [measure(w) for w in ("troubles", "private", "oaten", "orrery")] == [2, 2, 2, 2]


def test_porter_matches_nltk_where_installed():
    nltk_stem = pytest.importorskip("nltk.stem")
    ps = nltk_stem.PorterStemmer()
    words = ("generously hopefulness electricity formality sensibility adjustable irritant replacement "
             "adoption homologous communism activate angularity effective bowdlerize probate rate cease "
             "controll roll geology theology archaeology fully innings outings news proceed tying lying cries "
             "dies spied died happily sadly abli").split()
    assert [stem(w) for w in words] == [ps.stem(w) for w in words]


def test_normalize_answer():
    assert normalize_answer("The cat, and a dog!") == "cat dog"
    assert normalize_answer("  An apple;  THE end. ") == "apple end"
    assert tokens("Running to the agencies") == ["run", "to", "agenc"]


def test_token_f1_hand_computed():
    # prediction tokens carolin / went / run, gold run: P 1/3, R 1 -> F1 0.5
    assert f1_score("Caroline went running", "running") == pytest.approx(0.5)
    assert f1_score("May 2023", "7 May 2023") == pytest.approx(0.8)  # P 1, R 2/3
    assert f1_score("7 May, 2023", "7 May 2023") == 1.0  # commas removed
    assert f1_score("", "anything") == 0.0
    assert f1_score("the", "a") == 0.0  # nothing left after normalisation


def test_per_category_rules():
    # category 1 (multi-hop): gold split on commas, best predicted part per gold part, mean
    # "counseling and psychology" vs "Psychology" -> P 1/2 R 1 -> 2/3; vs "counseling certification" -> 1/2
    assert multi_f1("counseling and psychology", "Psychology, counseling certification") == pytest.approx(7 / 12)
    assert score(1, "psychology, counseling certification", "Psychology, counseling certification") == 1.0
    # category 3 (open-domain): only the gold before ';' counts
    assert score(3, "psychology", "Psychology; she wants to help people") == 1.0
    assert score(3, "she wants to help people", "Psychology; she wants to help people") == 0.0
    # categories 2 and 4: plain token F1, no comma split
    assert score(2, "May 2023", "7 May 2023") == pytest.approx(0.8)
    assert score(4, "adoption agencies", "researching adoption agencies") == pytest.approx(0.8)
    # category 5: the prediction must say the information is not there
    assert score(5, "Not mentioned in the conversation", NO_INFO) == 1.0
    assert score(5, "no information available.", NO_INFO) == 1.0
    assert score(5, "I don't know", NO_INFO) == 0.0
    assert score(5, "self-care is important", NO_INFO) == 0.0
    with pytest.raises(ValueError, match="category 7"):
        score(7, "x", "y")


def test_adversarial_choice_is_mapped_before_scoring():
    asked = Asked("...", {"a": NO_INFO, "b": "self-care is important"})
    assert score(5, asked.choice("(a)"), NO_INFO) == 1.0
    assert score(5, asked.choice("a"), NO_INFO) == 1.0
    assert score(5, asked.choice("(b) self-care is important"), NO_INFO) == 0.0
    assert asked.choice("Probably not mentioned") == "Probably not mentioned"
    assert asked.choice("absolutely") == "absolutely"  # a word starting with "a" is not a choice
    assert Asked("...").choice("(a)") == "(a)"  # not a choice question


def test_evidence_recall():
    shown = [["D1:3"], ["D4:1"], ["D2:5", "D2:6"]]
    assert evidence_recall({"D1:3", "D2:5"}, shown, 2) == 0.5
    assert evidence_recall({"D1:3", "D2:5"}, shown) == 1.0
    assert evidence_recall({"D9:9"}, shown) == 0.0
    assert evidence_recall(set(), shown) is None
