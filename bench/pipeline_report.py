"""Scoring and reporting for ``bench_pipeline.py``: cached per-conversation records -> metrics, tables.

Scoring is ``localmem.eval`` as designed: ``score_extraction`` on the extractor's candidates per
user turn, ``decisions_from_events`` to carry each candidate's update event over to its gold memory,
``score_updates`` / ``score_final_state`` on those decisions and the final stores, ``score_answers``
on the probe replies. Only the conversations given are scored (a partial run scores what it covered).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from memory_bench_common import paired, rounded as _round

from localmem.eval import score
from localmem.eval.align import PipelineEvent, decisions_from_events
from localmem.eval.devset import DevSet
from localmem.eval.score import DECISIONS, MISSING
from localmem.ops import extract as extract_op
from localmem.ops.update import normalise

DETAIL_LIMIT = 40  # error-analysis items kept per list in the JSON
#: The memories of the extract prompt's few-shot answers: a candidate equal to one was copied from
#: the prompt, not drawn from the conversation.
FEW_SHOT_TEXTS = {normalise(m["text"]) for _, answer in extract_op.FEW_SHOT for m in answer["memories"]}
#: A stored text ending in "(2023-05-08)": the date the update prompt shows after each existing
#: memory, copied into a merged UPDATE text.
DATE_SUFFIX = re.compile(r"\s\([0-9]{4}(-[0-9]{2}){0,2}\)$")


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (``q`` in 0..100); None for no values."""
    xs = sorted(v for v in values if v is not None)
    if not xs:
        return None
    k = (len(xs) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def _mean(values: Sequence[float]) -> float | None:
    xs = [v for v in values if v is not None]
    return statistics.fmean(xs) if xs else None


def score_model(devset: DevSet, ingests: Mapping[str, dict], probes: Mapping[str, dict], embed,
                sampled: Mapping[str, Sequence[dict]] | None = None) -> dict[str, Any]:
    """All metrics for one model over the conversations in ``ingests`` (answers: those in ``probes``;
    ``answers_sampled``: the extra answer samples of the conversations in ``sampled``)."""
    convs = [c for c in devset.conversations if c.id in ingests]
    turns = [t for c in convs for t in c.user_turns()]
    records = {r["key"]: r for c in convs for r in ingests[c.id]["turns"]}
    preds = {k: r["candidates"] for k, r in records.items()}
    ext = score.score_extraction(turns, preds, embed)
    events = {k: [PipelineEvent(e["event"], e["target_text"]) for e in r["events"]] for k, r in records.items()}
    decisions = decisions_from_events(convs, ext, events, embed)
    upd = score.score_updates(convs, decisions)
    stores = {c.id: [score.StoredMemory(m["text"], m["active"]) for m in ingests[c.id]["store"]] for c in convs}
    state = score.score_final_state(convs, stores, decisions, embed)
    asked = [c for c in convs if c.id in probes]
    replies = {p["key"]: p["reply"] for c in asked for p in probes[c.id]["probes"]}
    ans = score.score_answers(asked, replies) if asked else None
    probe_records = [p for c in asked for p in probes[c.id]["probes"]]
    return {
        "coverage": {"conversations": [c.id for c in convs], "n_conversations": len(convs),
                     "user_turns": len(turns), "probed_conversations": [c.id for c in asked],
                     "probes": len(probe_records)},
        "extraction": _extraction(ext),
        "updates": _updates(upd),
        "final_state": _state(state),
        "artefacts": _artefacts(records.values(), ingests, convs),
        "answers": _answers(ans) if ans else None,
        "answers_sampled": _sampled_answers([c for c in convs if c.id in sampled], sampled) if sampled else None,
        "speed": _speed(list(records.values()), probe_records),
        "store_versions": sorted({ingests[c.id].get("store_version", "?") for c in convs}),
        "turns": list(records.values()),
        "probes": probe_records,
    }


def _extraction(ext: score.ExtractionScores) -> dict[str, Any]:
    missed = [{"turn": t.key, "gold": g.text} for t in ext.turns for g in t.missed]
    spurious = [{"turn": t.key, "predicted": c.text} for t in ext.turns if t.gold for c in t.spurious]
    small_talk = [{"turn": t.key, "predicted": [c.text for c in t.predicted]}
                  for t in ext.turns if not t.gold and t.predicted]
    return {
        "n_gold": ext.n_gold, "n_predicted": ext.n_predicted, "n_matched": ext.n_matched,
        "precision": _round(ext.precision), "recall": _round(ext.recall), "f1": _round(ext.f1),
        "kind_accuracy": _round(ext.kind_accuracy), "category_accuracy": _round(ext.category_accuracy),
        "date_accuracy": _round(ext.date_accuracy), "small_talk_turns": ext.small_talk_turns,
        "small_talk_turns_with_output": ext.small_talk_turns_with_output,
        "small_talk_fp_rate": _round(ext.small_talk_fp_rate),
        "missed": missed[:DETAIL_LIMIT], "spurious": spurious[:DETAIL_LIMIT], "small_talk_output": small_talk,
    }


def _updates(upd: score.UpdateScores) -> dict[str, Any]:
    decided = upd.n - sum(row[MISSING] for row in upd.confusion.values())
    correct = sum(upd.confusion[d][d] for d in DECISIONS)
    return {
        "n": upd.n, "accuracy": _round(upd.accuracy), "decided": decided,
        "accuracy_when_extracted": _round(correct / decided if decided else None),
        "target_accuracy": _round(upd.target_accuracy), "confusion": upd.confusion,
        "per_type": {d: {"support": t.support, "predicted": t.predicted, "correct": t.correct,
                         "precision": _round(t.precision), "recall": _round(t.recall)}
                     for d, t in upd.per_type.items()},
    }


def _state(state: score.StateScores) -> dict[str, Any]:
    return {
        "contradictions": state.contradictions, "contradictions_resolved": state.contradictions_resolved,
        "contradiction_resolution_rate": _round(state.contradiction_resolution_rate), "stale": list(state.stale),
        "duplicates": state.duplicates, "duplicates_unseen": state.duplicates_unseen,
        "duplicates_avoided": state.duplicates_avoided,
        "duplicate_avoidance_rate": _round(state.duplicate_avoidance_rate), "duplicated": list(state.duplicated),
    }


def _artefacts(records, ingests: Mapping[str, dict], convs) -> dict[str, Any]:
    """Known failure shapes, counted: few-shot copies among the candidates, date suffixes in stored texts."""
    copies = [{"turn": r["key"], "predicted": c["text"]} for r in records for c in r["candidates"]
              if normalise(c["text"]) in FEW_SHOT_TEXTS]
    suffixed = [{"conversation": c.id, "text": m["text"]} for c in convs for m in ingests[c.id]["store"]
                if DATE_SUFFIX.search(m["text"])]
    return {"few_shot_copies": len(copies), "few_shot_copy_examples": copies[:DETAIL_LIMIT],
            "stored_with_date_suffix": len(suffixed), "date_suffix_examples": suffixed[:DETAIL_LIMIT]}


def _answers(ans: score.AnswerScores) -> dict[str, Any]:
    return {
        "n_answerable": ans.n_answerable, "answer_f1": _round(ans.answer_f1),
        "false_abstention_rate": _round(ans.false_abstention_rate), "n_unanswerable": ans.n_unanswerable,
        "abstention_rate": _round(ans.abstention_rate),
        "per_probe": [{"key": p.key, "answerable": p.answerable, "abstained": p.abstained, "f1": _round(p.f1)}
                      for p in ans.probes],
    }


def _sampled_answers(convs: Sequence, sampled: Mapping[str, Sequence[dict]]) -> dict[str, Any]:
    """The extra answer samples scored one by one, then averaged: per sample and per probe."""
    n = min(len(sampled[c.id]) for c in convs)
    runs = [score.score_answers(convs, {p["key"]: p["reply"] for c in convs for p in sampled[c.id][k]["probes"]})
            for k in range(n)]
    per_probe = []
    for i, first in enumerate(runs[0].probes):
        f1s = [r.probes[i].f1 for r in runs]
        per_probe.append({"key": first.key, "answerable": first.answerable,
                          "abstained": _round(_mean([float(r.probes[i].abstained) for r in runs])),
                          "f1": _round(_mean(f1s)) if first.answerable else None})
    f1 = [r.answer_f1 for r in runs]
    return {
        "samples": n, "conversations": len(convs), "n_answerable": runs[0].n_answerable,
        "answer_f1": _round(_mean(f1)), "answer_f1_per_sample": [_round(x) for x in f1],
        "answer_f1_sd": _round(statistics.stdev(f1)) if n > 1 and None not in f1 else None,
        "false_abstention_rate": _round(_mean([r.false_abstention_rate for r in runs])),
        "abstention_rate": _round(_mean([r.abstention_rate for r in runs])),
        "per_probe": per_probe,
    }


def compare_answers(result: Mapping[str, Any], baseline: Mapping[str, Any], *, resamples: int = 4000,
                    seed: int = 0) -> dict[str, Any] | None:
    """Paired answer-F1 difference ``result`` - ``baseline`` over the answerable probes both have:
    per probe the mean over the extra samples when both runs have them (else the first answers),
    with a bootstrap 95% interval over probes. None when they share no answerable probe."""
    use = "answers_sampled" if result.get("answers_sampled") and baseline.get("answers_sampled") else "answers"
    if not result.get(use) or not baseline.get(use):
        return None
    ours = {p["key"]: p["f1"] for p in result[use]["per_probe"] if p["answerable"]}
    theirs = {p["key"]: p["f1"] for p in baseline[use]["per_probe"] if p["answerable"]}
    keys = sorted(set(ours) & set(theirs))
    if not keys:
        return None
    cmp = paired([ours[k] or 0.0 for k in keys], [theirs[k] or 0.0 for k in keys], resamples=resamples, seed=seed)
    return {
        "answers": use, "n_probes": len(keys),
        "answer_f1": _round(statistics.fmean(ours[k] or 0.0 for k in keys)),
        "baseline_answer_f1": _round(statistics.fmean(theirs[k] or 0.0 for k in keys)),
        "difference": cmp["diff"], "ci95": [cmp["low"], cmp["high"]], "better": cmp["won"], "worse": cmp["lost"],
    }


def _speed(turns: list[dict], probes: list[dict]) -> dict[str, Any]:
    lat = [t["latency_s"] for t in turns]
    ttft = [p["ttft_s"] for p in probes]
    return {
        "add_latency_p50_s": _round(percentile(lat, 50), 3), "add_latency_p95_s": _round(percentile(lat, 95), 3),
        "add_latency_mean_s": _round(_mean(lat), 3),
        "prompt_tokens_per_turn": _round(_mean([t["prompt_tokens"] for t in turns]), 1),
        "completion_tokens_per_turn": _round(_mean([t["completion_tokens"] for t in turns]), 1),
        "llm_calls_per_turn": _round(_mean([t["llm_calls"] for t in turns]), 2),
        "parked_turns": sum(bool(t["parked"]) for t in turns),
        "ttft_p50_s": _round(percentile(ttft, 50), 3), "ttft_p95_s": _round(percentile(ttft, 95), 3),
        "answer_total_p50_s": _round(percentile([p["total_s"] for p in probes], 50), 3),
        "answer_prompt_tokens_mean": _round(_mean([p["prompt_tokens"] for p in probes]), 1),
        "answer_completion_tokens_mean": _round(_mean([p["completion_tokens"] for p in probes]), 1),
    }


# ---- tables -------------------------------------------------------------------------------------

def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _ratio(num: Any, den: Any) -> str:
    return f"{num}/{den}" if den else "-"


def summary_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(metric, value) for one model's ``score_model`` result."""
    cov, ext, upd, st, ans, sp, art = (result[k] for k in ("coverage", "extraction", "updates", "final_state",
                                                           "answers", "speed", "artefacts"))
    per = upd["per_type"]
    ans = ans or {}
    rows = [
        ("conversations / user turns / probes", f"{cov['n_conversations']} / {cov['user_turns']} / {cov['probes']}"),
        ("extraction precision", _fmt(ext["precision"])), ("extraction recall", _fmt(ext["recall"])),
        ("extraction F1", _fmt(ext["f1"])),
        ("  matched / predicted / gold", f"{ext['n_matched']} / {ext['n_predicted']} / {ext['n_gold']}"),
        ("kind accuracy (matched)", _fmt(ext["kind_accuracy"])),
        ("category accuracy (matched)", _fmt(ext["category_accuracy"])),
        ("date accuracy (matched, dated gold)", _fmt(ext["date_accuracy"])),
        ("small-talk false-positive rate", f"{_fmt(ext['small_talk_fp_rate'])} "
                                           f"({_ratio(ext['small_talk_turns_with_output'], ext['small_talk_turns'])})"),
        ("decision accuracy, end to end", _fmt(upd["accuracy"])),
        ("decision accuracy, extracted only", f"{_fmt(upd['accuracy_when_extracted'])} ({upd['decided']} decided)"),
    ]
    for d in DECISIONS:
        t = per[d]
        rows.append((f"  {d}: recall (precision)", f"{_fmt(t['recall'])} ({_fmt(t['precision'])}) n={t['support']}"))
    rows += [
        ("target accuracy (correct non-ADD)", _fmt(upd["target_accuracy"])),
        ("contradictions resolved", f"{_fmt(st['contradiction_resolution_rate'])} "
                                    f"({_ratio(st['contradictions_resolved'], st['contradictions'])})"),
        ("duplicates avoided", f"{_fmt(st['duplicate_avoidance_rate'])} "
                               f"({_ratio(st['duplicates_avoided'], st['duplicates'] - st['duplicates_unseen'])})"),
        ("few-shot copies; stored texts with '(date)'", f"{art['few_shot_copies']}; {art['stored_with_date_suffix']}"),
        ("answer token F1 (answerable)", _fmt(ans.get("answer_f1"))),
        ("abstention rate (unanswerable)", _fmt(ans.get("abstention_rate"))),
        ("false abstention (answerable)", _fmt(ans.get("false_abstention_rate"))),
    ]
    sampled = result.get("answers_sampled")
    if sampled:
        rows += [
            (f"answer token F1, mean of {sampled['samples']} seeded samples (sd)",
             f"{_fmt(sampled['answer_f1'])} ({_fmt(sampled['answer_f1_sd'])})"),
            ("  abstention / false abstention, same samples",
             f"{_fmt(sampled['abstention_rate'])} / {_fmt(sampled['false_abstention_rate'])}"),
        ]
    rows += [
        ("add(infer=True) p50 / p95 s", f"{_fmt(sp['add_latency_p50_s'], 1)} / {_fmt(sp['add_latency_p95_s'], 1)}"),
        ("prompt / generated tokens per turn", f"{_fmt(sp['prompt_tokens_per_turn'], 0)} / "
                                               f"{_fmt(sp['completion_tokens_per_turn'], 0)}"),
        ("LLM calls per turn; parked turns", f"{_fmt(sp['llm_calls_per_turn'], 2)}; {sp['parked_turns']}"),
        ("chat TTFT p50 / p95 s", f"{_fmt(sp['ttft_p50_s'], 1)} / {_fmt(sp['ttft_p95_s'], 1)}"),
        ("answer prompt / generated tokens", f"{_fmt(sp['answer_prompt_tokens_mean'], 0)} / "
                                             f"{_fmt(sp['answer_completion_tokens_mean'], 0)}"),
    ]
    return rows


def side_by_side(results: Mapping[str, dict[str, Any]], *, markdown: bool = False) -> str:
    """One row per metric, one column per model."""
    names = list(results)
    columns = {n: dict(summary_rows(r)) for n, r in results.items()}
    metrics = list(dict.fromkeys(m for r in results.values() for m, _ in summary_rows(r)))
    rows = [[m] + [columns[n].get(m, "-") for n in names] for m in metrics]
    return _render(["metric", *names], rows, markdown)


def confusion_table(result: dict[str, Any], *, markdown: bool = False) -> str:
    conf = result["updates"]["confusion"]
    cols = [*DECISIONS, MISSING]
    rows = [[f"gold {g}"] + [str(conf[g][p]) for p in cols] for g in DECISIONS]
    return _render(["", *cols], rows, markdown)


def _render(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [headers, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
