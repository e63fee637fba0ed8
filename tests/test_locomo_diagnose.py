"""bench/locomo_diagnose.py: where a LoCoMo row loses points, on hand-made questions, records and a
real store written through ``Memory.add`` (raw turns carrying their dia_id)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from localmem.eval.locomo import Question
from localmem.eval.locomo_metric import precision_recall
from localmem.memory import Memory

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from locomo_diagnose import diagnose, evidence_rank, store_memories  # noqa: E402


def _q(index: int, category: int, answer: str, evidence: set[str]) -> Question:
    return Question(sample_id="conv-1", index=index, question=f"question {index}?", answer=answer,
                    category=category, evidence=frozenset(evidence), adversarial_answer=None)


def test_precision_recall_counts_as_the_metric_does():
    assert precision_recall("mental health", "mental health") == (1.0, 1.0)
    # LoCoMo drops articles and punctuation: 6 words, 2 of them the gold ones
    assert precision_recall("The charity race was for mental health.", "mental health") == (2 / 6, 1.0)
    assert precision_recall("reward", "mental health") == (0.0, 0.0)
    assert precision_recall("", "mental health") == (0.0, 0.0)


def test_evidence_rank_is_the_first_shown_memory_from_an_evidence_turn():
    shown = [["D1:1"], ["D2:3", "D2:4"], ["D1:8"]]
    assert evidence_rank(shown, {"D1:8", "D2:4"}) == 2
    assert evidence_rank(shown, {"D9:9"}) is None


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "conv-1.db"
    with Memory(path) as memory:
        memory.add([{"role": "user", "name": "Melanie", "content": "My charity race was really rewarding!",
                     "metadata": {"dia_id": "D1:1"}},
                    {"role": "user", "name": "Melanie", "content": "I ran it for mental health awareness.",
                     "metadata": {"dia_id": "D1:2"}}], user_id="conv-1", infer=False)
    return path


def test_store_memories_knows_the_turns_each_memory_came_from_and_leaves_the_file_alone(store: Path):
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    mems = dict((ids, text) for text, ids in store_memories(store, "conv-1"))
    assert mems[frozenset({"D1:2"})] == "Melanie: I ran it for mental health awareness."
    assert frozenset({"D1:1"}) in mems and store_memories(store, "someone-else") == []
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before


def test_diagnose_separates_the_store_the_search_and_the_answer(store: Path):
    questions = {q.key: q for q in (_q(0, 4, "mental health", {"D1:2"}), _q(1, 4, "a blue bowl", {"D1:9"}))}
    answers = [  # the evidence shown second, answered with the wrong line's word
        {"key": "conv-1/q0", "category": 4, "prediction": "reward", "score": 0.0,
         "shown": [["D1:1"], ["D1:2"]]},
        # evidence never stored nor shown; a lucky partial answer
        {"key": "conv-1/q1", "category": 4, "prediction": "bowl", "score": 0.5, "shown": [["D1:1"]]}]
    out = diagnose(questions, answers, {"conv-1": store_memories(store, "conv-1")})
    single = out["single-hop"]
    assert set(out) == {"single-hop", "overall"} and single["n"] == 2 and single["f1"] == 0.25
    assert single["stored"] == 0.5  # q0's answer is in the memory from its evidence turn, q1's nowhere
    assert single["shown top"] == {"n": 1, "f1": 0.0} and single["shown not shown"] == {"n": 1, "f1": 0.5}
    assert single["precision"] == 0.5 and single["recall"] == pytest.approx(0.5 / 2, abs=1e-4)
    assert "stored" not in diagnose(questions, answers)["overall"]  # no store given: no store columns


def test_cli_writes_numbers_only_and_names_a_missing_row(tmp_path: Path):
    import json

    import locomo_diagnose

    from localmem.eval import locomo

    if not locomo.default_data_path().is_file():
        pytest.skip("LoCoMo data not found")
    (conv,) = locomo.select(locomo.load(locomo.default_data_path()), conversations="conv-26", sessions=1)
    q = conv.questions[0]
    results = tmp_path / "locomo.json"
    results.write_text(json.dumps({
        "sample": {"conversations": ["conv-26"], "sessions": 1, "questions_per_category": None, "seed": 0},
        "records": {"fast/extraction": {"answers": [{"key": q.key, "category": q.category, "prediction": q.answer,
                                                      "score": 1.0, "shown": [sorted(q.evidence)]}]}}}))
    out = tmp_path / "diag.json"
    data = locomo_diagnose.main(["--results", str(results), "--row", "fast/extraction", "--out", str(out)])
    (cat,) = [c for c in data["rows"]["fast/extraction"]["by_category"] if c != "overall"]
    assert data["rows"]["fast/extraction"]["by_category"][cat]["shown top"] == {"n": 1, "f1": 1.0}
    assert q.question not in out.read_text()  # LoCoMo's text stays in ../shared
    with pytest.raises(SystemExit, match="'nope/extraction': not in .*its rows are fast/extraction"):
        locomo_diagnose.main(["--results", str(results), "--row", "nope/extraction"])
    with pytest.raises(SystemExit, match="no store directory 'missing-store'"):
        locomo_diagnose.main(["--results", str(results), "--row", "fast/extraction=missing-store",
                              "--cache-dir", str(tmp_path)])
