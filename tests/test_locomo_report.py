"""The LoCoMo report's aggregation and the progress estimate, on hand-made records (no model)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from localmem.eval.locomo import NO_INFO, Question

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_locomo  # noqa: E402
import locomo_report  # noqa: E402
from locomo_harness import Unit  # noqa: E402


def _q(index: int, category: int, answer: str, evidence: set[str]) -> Question:
    return Question("conv-x", index, f"question {index}?", answer, category, frozenset(evidence))


def _answer(index: int, category: int, prediction: str, shown, latency: float) -> dict:
    return {"key": f"conv-x/q{index}", "category": category, "prediction": prediction, "reply": prediction,
            "shown": shown, "prompt_tokens": 100 * index, "completion_tokens": 5, "latency_s": latency,
            "ttft_s": latency / 2, "peak_rss_mb": 500.0 + index}


def test_summary_of_hand_made_records():
    questions = {q.key: q for q in (_q(1, 4, "adoption agencies", {"D1:1"}), _q(2, 2, "7 May 2023", {"D1:2", "D2:1"}),
                                    _q(3, 5, NO_INFO, {"D1:3"}))}
    records = [_answer(1, 4, "adoption agencies", [["D1:1"]], 1.0),
               _answer(2, 2, "May 2023", [["D9:9"]] * 5 + [["D2:1"]], 3.0),
               _answer(3, 5, "Not mentioned in the conversation", [], 2.0)]
    scored = locomo_report.score_job_records(questions, records, recall_k=8)
    assert [s["score"] for s in scored] == [1.0, pytest.approx(0.8), 1.0]
    ingest = [{"latency_s": 10.0, "latency_per_turn_s": 2.5, "prompt_tokens": 900, "llm_calls": 3},
              {"latency_s": 30.0, "latency_per_turn_s": 7.5, "prompt_tokens": 1100, "llm_calls": 5},
              {"recovered": True, "latency_s": None}]
    s = locomo_report.summarise(scored, ingest, recall_k=8, n_questions=4)
    assert s["answered"] == 3 and s["selected"] == 4
    assert s["per_category_f1"] == {"multi-hop": None, "temporal": 0.8, "open-domain": None, "single-hop": 1.0,
                                    "adversarial": 1.0}
    assert s["overall_f1"] == pytest.approx((1 + 0.8 + 1) / 3, abs=1e-4)
    assert s["overall_f1_cat1_4"] == pytest.approx(0.9)
    # the adversarial question has evidence and was shown nothing: recall 0
    assert s["recall@5"] == pytest.approx(1 / 3, abs=1e-4) and s["recall@8"] == pytest.approx(1.5 / 3, abs=1e-4)
    assert s["answer_p50_s"] == 2.0 and s["answer_p95_s"] == pytest.approx(2.9)
    assert s["ingest_adds"] == 3 and s["ingest_recovered"] == 1
    assert s["ingest_add_p50_s"] == 20.0 and s["ingest_turn_p50_s"] == 5.0 and s["ingest_llm_calls_per_add"] == 4.0
    assert s["prompt_tokens_per_question"] == 200.0 and s["peak_rss_mb"] == 503.0


def test_paired_comparison_says_whether_a_difference_is_larger_than_the_noise():
    same = locomo_report.paired([0.5, 0.0, 1.0], [0.5, 0.0, 1.0])
    assert same == {"n": 3, "diff": 0.0, "low": 0.0, "high": 0.0, "won": 0, "lost": 0}
    ahead = locomo_report.paired([1.0] * 30, [0.0] * 10 + [1.0] * 20)
    assert ahead["diff"] == pytest.approx(1 / 3, abs=1e-4) and ahead["won"] == 10 and ahead["lost"] == 0
    assert 0 < ahead["low"] < ahead["diff"] < ahead["high"] <= 0.6
    noisy = locomo_report.paired([1.0, 0.0] * 10, [0.0, 1.0] * 9 + [1.0, 0.0])
    assert noisy["low"] < 0 < noisy["high"] and noisy["won"] == 9 and noisy["lost"] == 9
    assert locomo_report.paired([0.2], [0.1], seed=1) == locomo_report.paired([0.2], [0.1], seed=1)
    with pytest.raises(ValueError, match="same questions"):
        locomo_report.paired([1.0], [])


def test_comparisons_pair_the_first_system_with_each_other_on_shared_questions():
    def row(scores):
        return {"answers": [{"key": f"conv-x/q{i}", "category": c, "score": s} for i, (c, s) in enumerate(scores)]}

    rows = {"a": row([(4, 1.0), (4, 1.0), (2, 0.5)]), "b": row([(4, 0.0), (4, 1.0), (2, 0.5)]),
            "c": row([(4, 0.0)])}
    out = locomo_report.comparisons(rows)
    assert list(out) == ["a vs b", "a vs c"]
    assert out["a vs b"]["single-hop"]["n"] == 2 and out["a vs b"]["single-hop"]["won"] == 1
    assert out["a vs b"]["temporal"]["diff"] == 0.0 and out["a vs b"]["multi-hop"]["n"] == 0
    assert out["a vs c"]["overall"]["n"] == 1  # only what both answered
    table = locomo_report.paired_table({"paired": out}, markdown=True)
    assert "| a vs b |" in table and "50.0 [" in table and "1/0" in table


def test_progress_estimates_time_left_from_measured_units():
    units = [("ingest-extraction", True), ("ingest-extraction", False), ("ingest-extraction", False),
             ("answer-x", False), ("answer-x", False)]
    out = io.StringIO()
    p = bench_locomo.Progress(units, stream=out)
    assert p.done == 1 and p.total == 5
    assert p.eta() == 2 * bench_locomo.GUESS_S["ingest-extraction"] + 2 * bench_locomo.GUESS_ANSWER_S
    p.finished(Unit("ingest-extraction", "conv-x s1/b1", "ingest/s1/b1", None), 40.0, "fast/extraction")
    assert p.eta() == 40.0 + 2 * bench_locomo.GUESS_ANSWER_S
    line = out.getvalue()
    assert line.startswith("[" + "#" * 9 + "-" * 15 + "] 2/5 fast/extraction conv-x s1/b1 40.0s")
    assert "left ~1m04s" in line


def test_every_report_names_the_cpu_and_its_speed_features():
    """Latencies from machines with other SIMD features are not comparable; the results say which."""
    import memory_bench_common

    info = memory_bench_common.machine()["cpu"]
    assert isinstance(info["model"], str) and info["model"]
    assert set(info["flags"]) <= set(memory_bench_common.SPEED_FLAGS)
    if Path("/proc/cpuinfo").is_file():
        flags = next((line.split(":", 1)[1].split() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("flags")), [])
        assert info["flags"] == [f for f in memory_bench_common.SPEED_FLAGS if f in flags]
