"""Quality and speed of the memory pipeline on the labelled dev set, per registry model.

For each conversation of ``bench/data/devset.json`` and each model: a fresh store, every user turn
through ``Memory.add(infer=True)`` in order (timed, with its tokens, LLM calls and events), then each
probe question through ``Assistant(memory_mode="read-only")`` (time to first chunk, reply). Scored
with ``localmem.eval`` (extraction P/R/F1, kind/category/date accuracy, small-talk false positives,
update-decision confusion, contradiction resolution, duplicate avoidance, answer F1, abstention).

A full run takes hours on a small CPU, so every finished conversation is cached (per model, thread
count and code version: see ``pipeline_harness.versions_of``) under
``~/.cache/localmem/bench/pipeline/``; re-running resumes where it stopped. A store's version leaves
out the answer adapter and code, so an answer-adapter candidate is asked on the stores built before.
The results file is rewritten after every conversation, so a partial run always has its numbers on
disk.

Answers are sampled (temperature 0.7), so one pass's answer F1 moves between runs by more than
some differences between two adapters: ``--probe-samples N`` asks every probe N more times, each
with a seed fixed by the probe and the sample (the same seeds for every model and adapter), and
reports their mean (``answers_sampled``); ``--baseline OTHER.json`` adds the paired difference to
another run's results per probe, with a bootstrap 95% interval (``vs_baseline``).

Usage:
  python bench/bench_pipeline.py [--models fast,fast+prompts,quality] [--threads 2] [--conversations N | --ids c01,c02]
                                 [--no-probes] [--probe-samples N] [--baseline OTHER.json] [--report-only] [--markdown]
Writes bench/results/pipeline_devset.json (and pipeline_devset.png when matplotlib is installed).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from memory_bench_common import machine  # noqa: E402
from pipeline_harness import (  # noqa: E402
    DEFAULT_CACHE_DIR,
    Cache,
    Versions,
    lookup,
    model_spec,
    probes_part,
    run_conversation,
    versions_of,
)
from pipeline_report import compare_answers, confusion_table, score_model, side_by_side  # noqa: E402

from localmem.eval.devset import Conversation, DevSet, load_devset  # noqa: E402

NAME = "pipeline_devset"
RESULTS = Path(__file__).parent / "results"


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


class Progress:
    """One stderr line per turn / probe: position, the last duration, and an ETA for this model."""

    def __init__(self, model: str, threads: int, turns: int, probes: int, stream=None):
        self.model, self.threads, self.stream = model, threads, stream or sys.stderr
        self.total_turns, self.total_probes = turns, probes
        self.turns = self.probes = 0
        self.turn_s: list[float] = []
        self.probe_s: list[float] = []
        self.start = time.perf_counter()

    def skip(self, turns: int, probes: int) -> None:
        """Work found in the cache."""
        self.turns += turns
        self.probes += probes

    def __call__(self, key: str, record: dict[str, Any]) -> None:
        if "latency_s" in record:
            self.turns += 1
            self.turn_s.append(record["latency_s"])
            last = record["latency_s"]
        else:
            self.probes += 1
            self.probe_s.append(record["total_s"])
            last = record["total_s"]
        per_turn = sum(self.turn_s) / len(self.turn_s) if self.turn_s else None
        per_probe = sum(self.probe_s) / len(self.probe_s) if self.probe_s else (per_turn or 0) / 2
        eta = ((self.total_turns - self.turns) * (per_turn or 0) + (self.total_probes - self.probes) * per_probe)
        rate = f"{per_turn:.1f} s/turn" if per_turn else "-"
        # no turn has run yet (all cached so far): the probes' pace alone, a lower bound while turns remain
        bound = "" if per_turn is not None or self.turns == self.total_turns else ">="
        print(f"[{self.model} t{self.threads}] {key} {last:.1f}s | turns {self.turns}/{self.total_turns} "
              f"probes {self.probes}/{self.total_probes} | {rate} | elapsed "
              f"{_clock(time.perf_counter() - self.start)} ETA {bound}{_clock(eta)}",
              file=self.stream, flush=True)


def select(devset: DevSet, ids: str | None, n: int | None) -> list[Conversation]:
    convs = list(devset.conversations)
    if ids:
        wanted = [i.strip() for i in ids.split(",") if i.strip()]
        convs = [devset.conversation(i) for i in wanted]
    if n is not None:
        convs = convs[:n]
    return convs


def git_state() -> dict[str, Any]:
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True).stdout.strip()
        return {"commit": commit or None, "dirty": bool(dirty)}
    except OSError:
        return {"commit": None, "dirty": None}


def collect(cache: Cache, convs: list[Conversation], *, model: str, threads: int, version: Versions,
            probes: bool, samples: int = 0) -> tuple[dict[str, dict], dict[str, dict], dict[str, list[dict]]]:
    """The cached results of ``model`` for the selected conversations (what is finished so far):
    ingests, first answers, and the conversations with all ``samples`` extra answer samples."""
    ingests, asked, sampled = {}, {}, {}
    key = {"model": model, "threads": threads}
    for c in convs:
        done = lookup(cache, c, "ingest", **key, version=version.store)
        if done is not None:
            ingests[c.id] = done
            answered = lookup(cache, c, "probes", **key, version=version.answers) if probes else None
            if answered is not None:
                asked[c.id] = answered
            extra = [lookup(cache, c, probes_part(k), **key, version=version.answers)
                     for k in range(1, samples + 1)] if probes else []
            if extra and all(e is not None for e in extra):
                sampled[c.id] = extra
    return ingests, asked, sampled


def report(devset: DevSet, cache: Cache, convs: list[Conversation], models: list[str], versions: dict[str, Versions],
           args: argparse.Namespace, out: Path, embed) -> dict[str, Any]:
    """Score what the cache holds for each model; write the JSON (and the plot); return the results."""
    found = {m: collect(cache, convs, model=m, threads=args.threads, version=versions[m], probes=args.probes,
                        samples=args.probe_samples) for m in models}
    results = {m: score_model(devset, ing, ask, embed, sampled) for m, (ing, ask, sampled) in found.items() if ing}
    common_ids = set.intersection(*(set(ing) for ing, _, _ in found.values())) if found else set()
    common = None
    if len(results) > 1 and common_ids and any(set(ing) != common_ids for ing, _, _ in found.values()):
        common = {m: score_model(devset, {k: v for k, v in ing.items() if k in common_ids},
                                 {k: v for k, v in ask.items() if k in common_ids}, embed,
                                 {k: v for k, v in sampled.items() if k in common_ids})
                  for m, (ing, ask, sampled) in found.items()}
    baseline = None
    if args.baseline is not None:
        other = json.loads(args.baseline.read_text())["results"]
        baseline = {"file": str(args.baseline),
                    "results": {m: compare_answers(r, other[m]) for m, r in results.items() if m in other}}
    data = {
        "benchmark": NAME, "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "threads": args.threads, "models": models, "git": git_state(),
        "code_versions": {m: v._asdict() for m, v in versions.items()},
        "devset": {"conversations": len(devset.conversations), "selected": [c.id for c in convs]},
        "complete": {m: len(found[m][0]) == len(convs) and (not args.probes or (
                         len(found[m][1]) == len(convs) and (not args.probe_samples or len(found[m][2]) == len(convs))))
                     for m in models},
        "probe_samples": args.probe_samples,
        "results": results,
        "vs_baseline": baseline,
        "common_subset": {"conversations": sorted(common_ids), "results": common} if common else None,
    }
    data["plot"] = plot(results, out.with_suffix(".png"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(out)
    return data


def plot(results: dict[str, dict], path: Path) -> str | None:
    """A bar chart of extraction P/R/F1 and decision accuracy per model; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    if not results:
        return None
    labels = ["precision", "recall", "F1", "decision acc."]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / len(results)
    for i, (name, r) in enumerate(results.items()):
        vals = [r["extraction"]["precision"], r["extraction"]["recall"], r["extraction"]["f1"],
                r["updates"]["accuracy"] or 0.0]
        ax.bar([x + i * width for x in range(len(labels))], vals, width, label=name)
    ax.set_xticks([x + width * (len(results) - 1) / 2 for x in range(len(labels))], labels)
    ax.set_ylim(0, 1)
    ax.legend()
    ax.set_title("Memory pipeline on the dev set")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def print_tables(data: dict[str, Any], *, markdown: bool = False) -> None:
    results = data["results"]
    if not results:
        print("no results yet")
        return
    print(side_by_side(results, markdown=markdown))
    for name, r in results.items():
        print(f"\nupdate decisions, {name} (rows gold, columns predicted):")
        print(confusion_table(r, markdown=markdown))
    for name, cmp in ((data.get("vs_baseline") or {}).get("results") or {}).items():
        print(f"\n{name} vs {data['vs_baseline']['file']}, paired over {cmp['n_probes']} answerable probes "
              f"({cmp['answers']}): answer F1 {cmp['answer_f1']:.3f} vs {cmp['baseline_answer_f1']:.3f}, "
              f"difference {cmp['difference']:+.3f} [{cmp['ci95'][0]:+.3f}, {cmp['ci95'][1]:+.3f}]")
    if data["common_subset"]:
        ids = data["common_subset"]["conversations"]
        print(f"\non the {len(ids)} conversation(s) every model finished ({', '.join(ids)}):")
        print(side_by_side(data["common_subset"]["results"], markdown=markdown))


def main(argv: list[str] | None = None, *, runtime_factory=None, embed=None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="fast,quality", help="registry model names, comma-separated")
    ap.add_argument("--threads", type=int, default=2, help="llama.cpp threads per model (default 2)")
    ap.add_argument("--conversations", type=int, default=None, help="only the first N conversations")
    ap.add_argument("--ids", default=None, help="only these conversations, e.g. c01,c02")
    ap.add_argument("--probes", action=argparse.BooleanOptionalAction, default=True, help="ask the probes")
    ap.add_argument("--probe-samples", type=int, default=0, metavar="N",
                    help="ask each probe N more times with fixed per-probe seeds; report their mean")
    ap.add_argument("--baseline", type=Path, help="another run's results JSON: paired answer-F1 difference")
    ap.add_argument("--report-only", action="store_true", help="score the cache; run no model")
    ap.add_argument("--markdown", action="store_true", help="print the tables as markdown")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    ap.add_argument("--out", type=Path, default=RESULTS / f"{NAME}.json")
    args = ap.parse_args(argv)
    if args.probe_samples < 0:
        ap.error(f"--probe-samples must be 0 or more, not {args.probe_samples}")
    if args.baseline is not None and not args.baseline.is_file():
        ap.error(f"--baseline {args.baseline}: no such file")
    models = [m.strip() for m in args.models.split(",") if m.strip()]

    from localmem.config import load_registry

    registry = load_registry()
    if runtime_factory is None:
        from localmem.llm import Runtime

        def runtime_factory(name: str, threads: int):
            return Runtime(model_spec(registry, name), n_threads=threads).load()
    if embed is None:
        from localmem.embed import Embedder

        embed = Embedder.default().embed
    devset = load_devset()
    convs = select(devset, args.ids, args.conversations)
    cache = Cache(args.cache_dir)
    versions = {m: versions_of(model_spec(registry, m)) for m in models}
    try:
        if not args.report_only:
            for model in models:
                run_model(model, convs, cache, versions[model], args, runtime_factory,
                          lambda: report(devset, cache, convs, models, versions, args, args.out, embed))
        data = report(devset, cache, convs, models, versions, args, args.out, embed)
    except KeyboardInterrupt:
        print("\ninterrupted: writing what is finished (re-run to resume)", file=sys.stderr)
        data = report(devset, cache, convs, models, versions, args, args.out, embed)
    finally:
        cache.close()
    print(f"threads {args.threads}; code versions {versions}; complete {data['complete']}")
    print_tables(data, markdown=args.markdown)
    print(f"\nwrote {args.out}" + (f" and {data['plot']}" if data["plot"] else " (no plot: matplotlib not installed)"))
    return data


def run_model(model: str, convs: list[Conversation], cache: Cache, version: Versions, args: argparse.Namespace,
              runtime_factory, on_conversation) -> None:
    """Run (or resume) one model over the conversations; rewrite the results after each one."""
    turns = sum(1 for c in convs for _ in c.user_turns())
    passes = 1 + args.probe_samples  # the first answers and the extra samples
    probes = sum(len(c.probes) for c in convs) * passes if args.probes else 0
    progress = Progress(model, args.threads, turns, probes)
    loaded: list[Any] = []

    def get_runtime():
        if not loaded:
            print(f"[{model} t{args.threads}] loading model (code versions: store {version.store}, answers "
                  f"{version.answers})", file=sys.stderr, flush=True)
            loaded.append(runtime_factory(model, args.threads))
        return loaded[0]

    try:
        for conv in convs:
            key = {"model": model, "threads": args.threads}
            done = lookup(cache, conv, "ingest", **key, version=version.store)
            asked = lookup(cache, conv, "probes", **key, version=version.answers)
            sampled = sum(lookup(cache, conv, probes_part(k), **key, version=version.answers) is not None
                          for k in range(1, args.probe_samples + 1))
            answered = (asked is not None) + sampled if args.probes else 0
            if done is not None and (answered == passes or not args.probes):
                progress.skip(len(done["turns"]), len(conv.probes) * answered)
                continue
            if done is not None and cache.store_path(model, args.threads, version.store, conv.id).exists():
                progress.skip(len(done["turns"]), len(conv.probes) * answered)
            run_conversation(conv, get_runtime, cache, model=model, threads=args.threads, version=version,
                             probes=args.probes, progress=progress, samples=args.probe_samples)
            on_conversation()
    finally:
        for rt in loaded:
            if hasattr(rt, "close"):
                rt.close()


if __name__ == "__main__":
    main()
