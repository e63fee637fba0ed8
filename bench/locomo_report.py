"""Scoring and reporting for ``bench_locomo.py``: cached records -> per-system metrics, tables, plots.

One row per (model, system): LoCoMo F1 per category and overall (all five categories, and 1-4 as
most memory papers report it), evidence recall@5 / @k, prompt tokens per question, latency p50 / p95
of ingest (per ``add`` call and per turn) and of answers, and the peak RSS seen. Only finished units
are scored, and the coverage (questions answered per system) is in every row, so a partial run is
reported as what it is.
"""

from __future__ import annotations

import json
import statistics
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from memory_bench_common import machine, paired, rounded as _r
from pipeline_report import _render, percentile

from localmem.eval.locomo import CATEGORIES
from localmem.eval.locomo_metric import evidence_recall, score
from localmem.eval.locomo_systems import SYSTEM_NAMES

#: Published anchors, in LoCoMo's own category numbering (see BENCHMARKS.md for the mapping used).
ANCHORS = {
    # A-MEM (Xu et al., 2025), Table 1, Qwen2.5-1.5B with A-MEM. The paper's columns are labelled
    # Single Hop, Multi Hop, Temporal, Open Domain, Adversarial in the order of LoCoMo's category
    # numbers 1..5, which LoCoMo's code names multi-hop, temporal, open-domain, single-hop,
    # adversarial: the numbers are re-keyed here by category number.
    "A-MEM, Qwen2.5-1.5B (paper)": {1: 23.6, 2: 18.2, 3: 24.3, 4: 16.5, 5: 46.0},
}


def _mean(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.fmean(xs) if xs else None


#: Fields of an answer record that copy LoCoMo's own text (the question, its gold answer, the
#: prompt that quotes the question, the adversarial options): used while scoring, never written to
#: a results file, because the benchmark's data is read from ../shared and never copied into the repo.
DATASET_FIELDS = ("message", "options", "question", "gold")


def without_dataset_text(record: dict[str, Any]) -> dict[str, Any]:
    """An answer record as a results file keeps it: key, category, our reply and its scores."""
    return {k: v for k, v in record.items() if k not in DATASET_FIELDS}


def score_job_records(questions: dict[str, Any], records: list[dict], recall_k: int) -> list[dict]:
    """Per-question scores for answer records (``questions``: key -> Question)."""
    out = []
    for r in records:
        q = questions[r["key"]]
        out.append({**r, "gold": q.answer, "question": q.question,
                    "score": score(q.category, r["prediction"], q.answer),
                    "recall@5": evidence_recall(q.evidence, r["shown"], 5),
                    f"recall@{recall_k}": evidence_recall(q.evidence, r["shown"], recall_k),
                    "recall@all": evidence_recall(q.evidence, r["shown"])})
    return out


def summarise(scored: list[dict], ingest: list[dict], recall_k: int, n_questions: int) -> dict[str, Any]:
    per_cat = {CATEGORIES[c]: _r(_mean([s["score"] for s in scored if s["category"] == c])) for c in CATEGORIES}
    counts = {CATEGORIES[c]: sum(s["category"] == c for s in scored) for c in CATEGORIES}
    timed = [i for i in ingest if i.get("latency_s") is not None]
    lat = [s["latency_s"] for s in scored]
    return {
        "answered": len(scored), "selected": n_questions, "per_category_f1": per_cat, "per_category_n": counts,
        "overall_f1": _r(_mean([s["score"] for s in scored])),
        "overall_f1_cat1_4": _r(_mean([s["score"] for s in scored if s["category"] != 5])),
        "recall@5": _r(_mean([s["recall@5"] for s in scored])),
        f"recall@{recall_k}": _r(_mean([s[f"recall@{recall_k}"] for s in scored])),
        "recall@all": _r(_mean([s["recall@all"] for s in scored])),
        "shown_per_question": _r(_mean([len(s["shown"]) for s in scored]), 1),
        "prompt_tokens_per_question": _r(_mean([s["prompt_tokens"] for s in scored]), 1),
        "completion_tokens_per_question": _r(_mean([s["completion_tokens"] for s in scored]), 1),
        "answer_p50_s": _r(percentile(lat, 50), 3), "answer_p95_s": _r(percentile(lat, 95), 3),
        "ttft_p50_s": _r(percentile([s["ttft_s"] for s in scored], 50), 3),
        "ingest_adds": len(ingest), "ingest_recovered": sum(bool(i.get("recovered")) for i in ingest),
        "ingest_add_p50_s": _r(percentile([i["latency_s"] for i in timed], 50), 3),
        "ingest_add_p95_s": _r(percentile([i["latency_s"] for i in timed], 95), 3),
        "ingest_turn_p50_s": _r(percentile([i["latency_per_turn_s"] for i in timed], 50), 3),
        "ingest_turn_p95_s": _r(percentile([i["latency_per_turn_s"] for i in timed], 95), 3),
        "ingest_prompt_tokens_per_add": _r(_mean([i.get("prompt_tokens") for i in timed]), 1),
        "ingest_llm_calls_per_add": _r(_mean([i.get("llm_calls") for i in timed]), 2),
        "ingest_parked": sum(bool(i.get("parked")) for i in ingest),
        "peak_rss_mb": _r(max([r.get("peak_rss_mb") or 0 for r in [*scored, *ingest]], default=None), 0),
    }


def row_name(model: str, system: str, label: str | None = None) -> str:
    """A row of the tables: ``MODEL/SYSTEM``, or ``MODEL@LABEL/SYSTEM`` for a labelled run."""
    return f"{model}{'@' + label if label else ''}/{system}"


def comparisons(rows: dict[str, dict[str, Any]], baseline: str | None = None) -> dict[str, dict[str, Any]]:
    """``baseline`` (default: the first (model, system)) against each other one, per category and
    overall, on the questions both answered: is a difference in the table larger than the sample's
    noise? (A baseline measured on the same machine as the rows it is paired with: greedy replies
    differ between CPUs.)"""
    names = list(rows)
    if baseline is not None:
        names.remove(baseline)
        names.insert(0, baseline)
    out: dict[str, dict[str, Any]] = {}
    if len(names) < 2:
        return out
    first = {s["key"]: s for s in rows[names[0]]["answers"]}
    for other in names[1:]:
        both = [(first[s["key"]], s) for s in rows[other]["answers"] if s["key"] in first]
        cats = {CATEGORIES[c]: [(x, y) for x, y in both if x["category"] == c] for c in CATEGORIES}
        out[f"{names[0]} vs {other}"] = {
            **{c: paired([x["score"] for x, _ in xs], [y["score"] for _, y in xs]) for c, xs in cats.items()},
            "overall": paired([x["score"] for x, _ in both], [y["score"] for _, y in both])}
    return out


def collect(jobs, args) -> dict[str, dict[str, Any]]:
    """The finished records of every (model, system), scored."""
    rows: dict[str, dict[str, Any]] = {}
    for job in jobs:
        name = row_name(job.model, job.system.name, args.label)
        row = rows.setdefault(name, {"model": job.model, "system": job.system.name, "answers": [], "ingest": [],
                                     "selected": 0, "answer_version": job.answer_key,
                                     "ingest_version": job.ingest_key})
        questions = {q.key: q for q in job.conv.questions}
        row["selected"] += len(questions)
        recs = [(u, job.cached(u)) for u in job.units]
        row["ingest"] += [r for u, r in recs if r is not None and u.part.startswith("ingest/")]
        row["answers"] += score_job_records(questions, [r for u, r in recs if r is not None and u.part.startswith("q")],
                                            args.recall)
    for row in rows.values():
        row["summary"] = summarise(row["answers"], row["ingest"], args.recall, row["selected"])
    order = {name: i for i, name in enumerate(SYSTEM_NAMES)}  # canonical order, whatever order they ran in
    return dict(sorted(rows.items(), key=lambda kv: (args.model_list.index(kv[1]["model"]), order[kv[1]["system"]])))


#: Arguments that change what a row measures: rows from another run are merged only where these agree.
SAME_RUN_ARGS = ("turns_per_add", "recall", "max_tokens", "temperature")


def sample_of(convs, args) -> dict[str, Any]:
    return {"conversations": [c.sample_id for c in convs], "sessions": args.sessions,
            "questions_per_category": args.questions_per_category, "seed": args.seed,
            "questions": sum(len(c.questions) for c in convs), "turns": sum(c.turns() for c in convs),
            "sessions_per_conversation": {c.sample_id: len(c.sessions) for c in convs}}


def rows_from(path: Path, convs, args) -> dict[str, dict[str, Any]]:
    """The rows of an earlier results file, for a table beside this run's rows (``--rows-from``).

    Refused (SystemExit naming the difference) unless the earlier run used the same sample and the
    same answering settings; each row keeps its own ``measured_at``, commit and machine under
    ``"from"``, so a table that mixes runs says so: a row the earlier file itself took from a run
    before it keeps that run's origin, not the earlier file's.
    """
    try:
        earlier = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemExit(f"--rows-from {path}: cannot read it: {exc}") from None
    if earlier.get("benchmark") != "locomo" or "records" not in earlier:
        raise SystemExit(f"--rows-from {path}: not a bench_locomo results file")
    ours = sample_of(convs, args)
    diff = [f"{k} {earlier['sample'].get(k)!r} vs {v!r}" for k, v in ours.items() if earlier["sample"].get(k) != v]
    diff += [f"--{k.replace('_', '-')} {earlier['args'].get(k)!r} vs {str(getattr(args, k))!r}"
             for k in SAME_RUN_ARGS if earlier["args"].get(k) != str(getattr(args, k))]
    if diff:
        raise SystemExit(f"--rows-from {path}: another sample or settings: " + "; ".join(diff))
    origin = {"file": str(path), "measured_at": earlier.get("measured_at"),
              "commit": (earlier.get("git") or {}).get("commit"), "machine": earlier.get("machine")}
    inherited = earlier.get("rows_from") or {}
    return {name: {**row, **earlier["records"][name], "from": inherited.get(name, origin)}
            for name, row in earlier["results"].items()}


def report(jobs, convs, args, meta: dict[str, Any], earlier: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Score the finished units and write the results; ``earlier``: rows from ``rows_from`` (a row
    this run also has is this run's)."""
    rows = collect(jobs, args)
    rows = {**{k: v for k, v in earlier.items() if k not in rows}, **rows}
    data = {
        "benchmark": "locomo", "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), **meta, "threads": args.threads, "models": args.model_list,
        "sample": sample_of(convs, args),
        "categories": CATEGORIES, "anchors": {k: {CATEGORIES[c]: v for c, v in a.items()} for k, a in ANCHORS.items()},
        "results": {k: {kk: vv for kk, vv in r.items() if kk not in ("answers", "ingest")} for k, r in rows.items()},
        "rows_from": {k: r["from"] for k, r in rows.items() if "from" in r},
        "records": {k: {"answers": [without_dataset_text(a) for a in r["answers"]], "ingest": r["ingest"]}
                    for k, r in rows.items()},
        "paired": comparisons(rows, args.baseline),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)  # before the plots: a first run into a new folder
    data["plots"] = plots(rows, out)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(out)
    out.with_suffix(".md").write_text(markdown(data) + "\n")
    return data


def _f(x: Any, digits: int = 1, scale: float = 1.0) -> str:
    if x is None:
        return "-"
    return f"{x * scale:.{digits}f}"


def f1_table(data: dict[str, Any], *, markdown: bool = False, anchors: bool = True) -> str:
    cats = list(CATEGORIES.values())
    headers = ["model / system", *cats, "overall", "overall 1-4", "answered"]
    rows = []
    for name, r in data["results"].items():
        s = r["summary"]
        rows.append([name, *[_f(s["per_category_f1"][c], 1, 100) for c in cats], _f(s["overall_f1"], 1, 100),
                     _f(s["overall_f1_cat1_4"], 1, 100), f"{s['answered']}/{s['selected']}"])
    if anchors:
        for name, a in data["anchors"].items():
            rows.append([name, *[_f(a.get(c)) for c in cats], "-", "-", "full set"])
    return _render(headers, rows, markdown)


def paired_table(data: dict[str, Any], *, markdown: bool = False) -> str | None:
    """F1 x100 differences with their 95% bootstrap interval and questions won / lost."""
    cats = [*CATEGORIES.values(), "overall"]
    rows = []
    for name, per in (data.get("paired") or {}).items():
        rows.append([name, *[f"{_f(p['diff'], 1, 100)} [{_f(p['low'], 1, 100)}, {_f(p['high'], 1, 100)}] "
                             f"{p['won']}/{p['lost']}" if p["n"] else "-" for p in (per[c] for c in cats)]])
    return _render(["paired (F1 x100: difference [95% interval] won/lost)", *cats], rows, markdown) if rows else None


def cost_table(data: dict[str, Any], *, markdown: bool = False) -> str:
    k = data["args"].get("recall", "8")
    headers = ["model / system", "recall@5", f"recall@{k}", "recall, all shown", "shown/q", "prompt tok/q",
               "answer p50/p95 s",
               "ingest add p50/p95 s", "ingest s/turn p50/p95", "peak RSS MB"]
    rows = []
    for name, r in data["results"].items():
        s = r["summary"]
        rows.append([name, _f(s["recall@5"], 3), _f(s.get(f"recall@{k}"), 3), _f(s["recall@all"], 3),
                     _f(s["shown_per_question"]),
                     _f(s["prompt_tokens_per_question"], 0),
                     f"{_f(s['answer_p50_s'])} / {_f(s['answer_p95_s'])}",
                     f"{_f(s['ingest_add_p50_s'])} / {_f(s['ingest_add_p95_s'])}",
                     f"{_f(s['ingest_turn_p50_s'], 2)} / {_f(s['ingest_turn_p95_s'], 2)}", _f(s["peak_rss_mb"], 0)])
    return _render(headers, rows, markdown)


DEVSET_RESULTS = Path(__file__).parent / "results" / "pipeline_devset.json"


def devset_table(path: Path = DEVSET_RESULTS, *, markdown: bool = False) -> str | None:
    """The extraction / update side, from the dev-set benchmark's results (``bench_pipeline.py``,
    scored by ``localmem.eval.score``): one row per model, with its coverage."""
    if not path.is_file():
        return None
    dev = json.loads(path.read_text())
    headers = ["model", "conversations", "extraction F1", "decision accuracy", "contradictions resolved",
               "duplicates avoided", "small-talk FP rate", "measured at"]
    rows = []
    for model, r in dev.get("results", {}).items():
        ext, upd, st = r["extraction"], r["updates"], r["final_state"]
        rows.append([model, f"{r['coverage']['n_conversations']}/{dev['devset']['conversations']}",
                     _f(ext["f1"], 3), _f(upd["accuracy"], 3), _f(st["contradiction_resolution_rate"], 3),
                     _f(st["duplicate_avoidance_rate"], 3), _f(ext["small_talk_fp_rate"], 3), dev["measured_at"]])
    return _render(headers, rows, markdown) if rows else None


def _cpu(machine: dict[str, Any] | None) -> str:
    """``machine.cpu`` as text: the model and its speed flags (results before it existed say so)."""
    cpu = (machine or {}).get("cpu")
    return f"{cpu['model']} ({', '.join(cpu['flags']) or 'no AVX2'})" if cpu else "not recorded"


def markdown(data: dict[str, Any]) -> str:
    s = data["sample"]
    lines = [f"# LoCoMo ({data['measured_at']})", "", f"Command: `{data['command']}`", "",
             f"Sample: conversations {', '.join(s['conversations'])}; sessions {s['sessions'] or 'all'}; "
             f"{s['questions_per_category'] or 'all'} question(s) per category, seed {s['seed']}; "
             f"{s['questions']} questions, {s['turns']} turns. Threads: {data['threads']}. "
             f"Load average at start: {data['machine']['loadavg_1m_at_start']}. CPU: {_cpu(data['machine'])}.", "",
             "LoCoMo F1 x100 (official metric; categories by LoCoMo's own numbering):", "",
             f1_table(data, markdown=True), "", "Retrieval, cost and speed:", "", cost_table(data, markdown=True)]
    for name, origin in (data.get("rows_from") or {}).items():
        lines += ["", f"Row {name} is from an earlier run of the same sample and settings: {origin['file']}, "
                  f"measured {origin['measured_at']} at commit {(origin['commit'] or '?')[:10]} on CPU "
                  f"{_cpu(origin.get('machine'))}; "
                  "compare its latencies with this run's only on the same CPU."]
    pairs = paired_table(data, markdown=True)
    if pairs:
        lines += ["", "Question by question (seeded paired bootstrap over the questions both answered):", "", pairs]
    if data.get("plots"):
        lines += ["", "Plots: " + ", ".join(Path(p).name for p in data["plots"])]
    dev = devset_table(markdown=True)
    if dev:
        lines += ["", "Extraction and update decisions on the labelled dev set (`bench/bench_pipeline.py`, "
                  "from bench/results/pipeline_devset.json):", "", dev]
    return "\n".join(lines)


def print_tables(data: dict[str, Any], *, markdown: bool = False) -> None:
    if not data or not data.get("results"):
        print("no results yet")
        return
    print(f1_table(data, markdown=markdown))
    print()
    print(cost_table(data, markdown=markdown))
    pairs = paired_table(data, markdown=markdown)
    if pairs:
        print()
        print(pairs)
    dev = devset_table(markdown=markdown)
    if dev:
        print("\nextraction / update on the dev set (bench/results/pipeline_devset.json):")
        print(dev)


def plots(rows: dict[str, dict[str, Any]], out: Path) -> list[str]:
    """Per-category F1 bars per system, and answer / ingest latency distributions (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    rows = {k: r for k, r in rows.items() if r["answers"]}
    if not rows:
        return []
    paths = []
    cats = [*CATEGORIES.values(), "overall"]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(rows)
    for i, (name, r) in enumerate(rows.items()):
        s = r["summary"]
        vals = [100 * (s["per_category_f1"][c] or 0) for c in cats[:-1]] + [100 * (s["overall_f1"] or 0)]
        ax.bar([x + i * width for x in range(len(cats))], vals, width, label=f"{name} (n={s['answered']})")
    ax.set_xticks([x + width * (len(rows) - 1) / 2 for x in range(len(cats))], cats)
    ax.set_ylabel("LoCoMo F1 x100")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7)
    ax.set_title("LoCoMo F1 per category")
    paths.append(_save(plt, fig, out.parent / f"{out.stem}_f1.png"))

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    names = list(rows)
    a1.boxplot([[s["latency_s"] for s in rows[n]["answers"]] for n in names], showfliers=True)
    a1.set_xticks(range(1, len(names) + 1), [n.split("/")[-1] for n in names], rotation=20, fontsize=7)
    a1.set_ylabel("seconds")
    a1.set_title("answer latency per question")
    ing = [n for n in names if any(i.get("latency_per_turn_s") is not None for i in rows[n]["ingest"])]
    if ing:
        a2.boxplot([[i["latency_per_turn_s"] for i in rows[n]["ingest"] if i.get("latency_per_turn_s") is not None]
                    for n in ing])
        a2.set_xticks(range(1, len(ing) + 1), [n.split("/")[-1] for n in ing], rotation=20, fontsize=7)
        a2.set_yscale("log")
    a2.set_ylabel("seconds per turn (log)")
    a2.set_title("ingest latency per turn")
    paths.append(_save(plt, fig, out.parent / f"{out.stem}_latency.png"))
    return paths


def _save(plt, fig, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)
