"""bench_adapters' score for named-person probes (``--ops named``): answers, abstentions, swaps."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_adapters  # noqa: E402

from localmem.adapters.synth.conversation import make_conversation  # noqa: E402
from localmem.adapters.synth.named import named_answer_examples  # noqa: E402


def _records(convs, reply):
    return [{"key": r["id"], "gold": r["target"], "question": r["messages"][-1]["content"], "reply": reply(r)}
            for s in convs for r in named_answer_examples(s)]


def test_score_named_counts_answers_abstentions_and_swaps():
    convs = [make_conversation(7, i, 5) for i in range(30)]
    perfect = bench_adapters.score_named(_records(convs, lambda r: r["target"]), convs)
    assert perfect["answer_f1"] == 1.0 and perfect["false_abstention_rate"] == 0.0
    assert perfect["abstention_rate"] == 1.0 and perfect["swapped_abstention_rate"] == 1.0
    assert min(perfect["n_answerable"], perfect["n_unanswerable"], perfect["n_swapped"]) > 0
    never = bench_adapters.score_named(_records(convs, lambda r: "Tom lives in Lyon."), convs)
    assert never["abstention_rate"] == 0.0 and never["swapped_abstention_rate"] == 0.0
    assert never["answer_f1"] < 0.2
