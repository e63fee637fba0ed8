"""LoCoMo end to end: systems side by side, scored with LoCoMo's own QA metric.

For each model and each system (no-memory, full-context, raw-retrieval, extraction; see
``localmem.eval.locomo_systems``), each selected conversation is ingested session by session
through ``Memory.add`` with the session's date as the timestamp (raw turns: one ``add`` per session;
extraction: ``--turns-per-add`` turns per ``add``), then every selected question is put to the
system as LoCoMo's evaluation puts it (``localmem.eval.locomo.ask``) and scored with the official
metric (``localmem.eval.locomo_metric``): per category, overall, evidence recall@k, prompt tokens,
latency p50/p95 of ingest and answers, peak RSS.

A full run takes many hours on a small CPU: ``--conversations``, ``--sessions`` and
``--questions-per-category`` / ``--seed`` draw a stratified sample; every ``add`` and every answer is
cached (``~/.cache/localmem/bench/locomo``), so an interrupted run resumes where it stopped, and the
results are rewritten after every conversation.

Usage:
  python bench/bench_locomo.py [--data PATH] [--models fast,quality] [--systems all|no-memory,...]
      [--conversations N|conv-26,...] [--sessions N] [--questions-per-category N] [--seed S]
      [--threads 1] [--turns-per-add 4] [--models-toml PATH] [--report-only] [--markdown]
Writes bench/results/locomo.json, locomo.md and (with matplotlib) locomo_f1.png, locomo_latency.png.
The dataset is read in place (CC BY-NC 4.0; never copied into the repository).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import _clock, git_state  # noqa: E402
from locomo_harness import (DEFAULT_CACHE_DIR, Job, Unit, answer_units, answer_version, data_digest,  # noqa: E402
                            ingest_units, ingest_version)
from pipeline_harness import Cache  # noqa: E402

from localmem.eval import locomo, locomo_systems  # noqa: E402

RESULTS = Path(__file__).parent / "results"
NAME = "locomo"
#: Seconds per unit assumed for the time estimate until one of the kind has been measured.
GUESS_S = {"ingest-extraction": 90.0, "ingest-raw": 2.0}
GUESS_ANSWER_S = 12.0


class Progress:
    """A progress bar on stderr, one line per finished unit, with the time remaining estimated from
    the mean duration of each kind of unit measured so far in this process."""

    def __init__(self, units: list[tuple[str, bool]], stream=None, width: int = 24):
        self.stream, self.width = stream or sys.stderr, width
        self.todo = Counter(kind for kind, done in units if not done)
        self.total, self.done = len(units), sum(done for _, done in units)
        self.spent: dict[str, list[float]] = {}
        self.start = time.perf_counter()

    def per_unit(self, kind: str) -> float:
        xs = self.spent.get(kind)
        if xs:
            return sum(xs) / len(xs)
        return GUESS_S.get(kind, GUESS_ANSWER_S)

    def eta(self) -> float:
        return sum(n * self.per_unit(kind) for kind, n in self.todo.items())

    def finished(self, unit: Unit, seconds: float, prefix: str) -> None:
        self.done += 1
        self.todo[unit.kind] -= 1
        self.spent.setdefault(unit.kind, []).append(seconds)
        filled = int(self.width * self.done / max(self.total, 1))
        bar = "#" * filled + "-" * (self.width - filled)
        print(f"[{bar}] {self.done}/{self.total} {prefix} {unit.label} {seconds:.1f}s | elapsed "
              f"{_clock(time.perf_counter() - self.start)} | left ~{_clock(self.eta())}", file=self.stream, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="locomo10.json (default: shared/bench/locomo/)")
    ap.add_argument("--models", default="fast", help="registry model names, comma-separated (NAME+prompts: "
                    "the model without its memory adapters)")
    ap.add_argument("--systems", default="all", help=f"comma-separated: {', '.join(locomo_systems.SYSTEM_NAMES)}")
    ap.add_argument("--conversations", default=None, help="the first N conversations, or ids (conv-26,conv-30)")
    ap.add_argument("--sessions", type=int, default=None,
                    help="only the first N sessions (and the questions whose evidence lies in them)")
    ap.add_argument("--questions-per-category", type=int, default=None, help="a stratified sample per conversation")
    ap.add_argument("--seed", type=int, default=0, help="sample and adversarial option order")
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp threads (default 1)")
    ap.add_argument("--turns-per-add", type=int, default=4, help="turns per Memory.add(infer=True) (default 4)")
    ap.add_argument("--recall", type=int, default=8, help="memories the assistant retrieves (evidence recall@k)")
    ap.add_argument("--max-tokens", type=int, default=64, help="answer length limit in tokens")
    ap.add_argument("--temperature", type=float, default=0.0,
                    help="answer sampling temperature (default 0: greedy, reproducible)")
    ap.add_argument("--models-toml", type=Path, default=None,
                    help="a models.toml merged over the registry (e.g. operation -> adapter mappings)")
    ap.add_argument("--report-only", action="store_true", help="score the cache; run no model")
    ap.add_argument("--label", default=None,
                    help="name this run's rows MODEL@LABEL/SYSTEM (e.g. a candidate adapter beside the shipped one "
                         "from --rows-from); the cache is the same")
    ap.add_argument("--rows-from", type=Path, default=None,
                    help="an earlier results JSON of the same sample and settings whose rows join this table "
                         "(each keeps its own date, commit and machine); paired against the first row "
                         "unless --baseline")
    ap.add_argument("--baseline", default=None,
                    help="the row the others are paired against question by question, e.g. fast@shipped/extraction "
                         "(default: the first row); pair rows measured on the same CPU")
    ap.add_argument("--markdown", action="store_true", help="print the tables as markdown")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    ap.add_argument("--out", type=Path, default=RESULTS / f"{NAME}.json")
    return ap.parse_args(argv)


def model_spec(registry, name: str, temperature: float | None):
    """A registry model (``NAME+prompts``: without its memory adapters), at ``temperature`` if given."""
    from pipeline_harness import model_spec as variant

    spec = variant(registry, name)
    if temperature is not None:
        spec = spec.model_copy(update={"sampling": spec.sampling.model_copy(update={"temperature": temperature})})
    return spec


def build_jobs(args, registry, convs, cache: Cache, get_runtime, memory_for) -> list[Job]:
    """Every (model, system, conversation) with its units, in run order: per model, per system, per
    conversation (ingest then questions), so a system's answers reuse the runtime's prompt cache."""
    from localmem.eval.locomo_systems import make

    names = list(locomo_systems.SYSTEM_NAMES) if args.systems == "all" else \
        [s.strip() for s in args.systems.split(",") if s.strip()]
    digest = data_digest(args.data_path)
    jobs = []
    for model in args.model_list:
        spec = model_spec(registry, model, args.temperature)
        for name in names:
            system = make(name, lambda model=model: get_runtime(model), recall=args.recall,
                          max_tokens=args.max_tokens)
            for conv in convs:
                sessions = tuple(s.number for s in conv.sessions)
                ingest_key = (ingest_version(spec, bool(system.infer), args.turns_per_add, digest, sessions)
                              if system.infer is not None else None)
                answer_key = answer_version(spec, system, ingest_key, args.seed, sessions)
                store_key = ingest_key or "no-store"
                factory = memory_for(model, args.threads, store_key, conv.sample_id)
                units = list(ingest_units(conv, system, factory, args.turns_per_add))
                units += list(answer_units(conv, system, factory, args.seed))
                jobs.append(Job(cache, model, args.threads, system, conv, ingest_key, answer_key, units))
    return jobs


def main(argv: list[str] | None = None, *, runtime_factory=None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.models_toml is not None:
        os.environ["LOCALMEM_MODELS_TOML"] = str(args.models_toml.resolve())
    args.model_list = [m.strip() for m in args.models.split(",") if m.strip()]
    args.data_path = args.data or locomo.default_data_path()
    from locomo_report import print_tables, report, row_name, rows_from

    from localmem.config import load_registry
    from localmem.memory import Memory

    registry = load_registry()
    convs = locomo.select(locomo.load(args.data_path), conversations=args.conversations, sessions=args.sessions,
                          per_category=args.questions_per_category, seed=args.seed)
    earlier = rows_from(args.rows_from, convs, args) if args.rows_from else {}  # checked before any model runs
    if runtime_factory is None:
        from localmem.llm import Runtime

        def runtime_factory(name: str, threads: int):
            return Runtime(model_spec(registry, name, args.temperature), n_threads=threads).load()

    runtimes: dict[str, Any] = {}

    def get_runtime(model: str):
        if model not in runtimes:
            for other in list(runtimes):  # one model in memory at a time
                runtimes.pop(other).close()
            print(f"[{model} t{args.threads}] loading model", file=sys.stderr, flush=True)
            runtimes[model] = runtime_factory(model, args.threads)
        return runtimes[model]

    cache = Cache(args.cache_dir)
    memories: dict[Path, Memory] = {}

    def memory_for(model: str, threads: int, key: str, sample_id: str):
        def factory() -> Memory:
            path = cache.store_path(model, threads, key, sample_id)
            if path not in memories:
                # opened when a unit first runs (a fully cached run loads no model)
                memories[path] = Memory(path, llm=get_runtime(model))
            return memories[path]
        return factory

    jobs = build_jobs(args, registry, convs, cache, get_runtime, memory_for)
    if args.baseline is not None:  # checked before any model runs
        rows = list(dict.fromkeys([*earlier, *(row_name(j.model, j.system.name, args.label) for j in jobs)]))
        if args.baseline not in rows:
            raise SystemExit(f"--baseline {args.baseline!r}: no such row; the rows are {', '.join(rows)}")
    command = shlex.join([Path(sys.executable).name, *sys.argv]) if argv is None else shlex.join(["bench_locomo.py",
                                                                                                  *argv])
    meta = {"command": command, "git": git_state(), "args": {k: str(v) for k, v in vars(args).items()}}
    data: dict[str, Any] = {}
    try:
        if not args.report_only:
            status = [(u.kind, j.cached(u) is not None) for j in jobs for u in j.units]
            progress = Progress(status)
            print(f"{len(convs)} conversation(s), {sum(len(c.questions) for c in convs)} question(s), "
                  f"{len(jobs)} job(s): {progress.done}/{progress.total} units cached", file=sys.stderr, flush=True)
            for job in jobs:
                for unit in job.units:
                    if job.cached(unit) is not None:
                        continue
                    t0 = time.perf_counter()
                    job.run(unit)
                    progress.finished(unit, time.perf_counter() - t0, f"{job.model}/{job.system.name}")
                report(jobs, convs, args, meta, earlier)  # after every (model, system, conversation)
        data = report(jobs, convs, args, meta, earlier)
    except KeyboardInterrupt:
        print("\ninterrupted: writing what is finished (re-run to resume)", file=sys.stderr)
        data = report(jobs, convs, args, meta, earlier)
    finally:
        for m in memories.values():
            m.close()
        for rt in runtimes.values():
            rt.close()
        cache.close()
    print_tables(data, markdown=args.markdown)
    return data


if __name__ == "__main__":
    main()
