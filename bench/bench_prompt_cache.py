"""What the Runtime's prompt cache saves when memory operations alternate (issue: foundation).

`Memory.add` alternates calls with different fixed prompts (extract, then update for each
candidate), so the KV state llama.cpp keeps in its one context holds the other operation's prompt
and every call would evaluate its whole system prompt again. The Runtime keeps a RAM store of KV
states per adapter setting (``prompt_cache_mb``) and restores the longest stored prefix instead.

This benchmark runs the same alternating extract / update calls (full prompts, no adapter: the
0.5B-with-prompts path, where the fixed prefix is longest; a different conversation turn and
candidate every call) through two Runtimes of the same model, one with the default cache and one
with ``prompt_cache_mb=0``, interleaved call by call with the order alternating per round, and
reports per operation the median prompt tokens, tokens served from cache, prompt-evaluation
milliseconds and wall time per call, and the ratio. bench_runtime.py measures the wrapper without
the cache, against raw llama.cpp.

Usage: python bench/bench_prompt_cache.py [--rounds 12] [--threads 2]
Writes bench/results/prompt_cache.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory_bench_common import machine  # noqa: E402

RESULTS = Path(__file__).parent / "results"
TURNS = (
    "I finally repainted the kitchen a pale green this weekend, took me two days.",
    "My sister is visiting from Oslo next month, she's bringing her twins.",
    "I switched to night shifts at the depot, so mornings are my evenings now.",
    "Been trying to cut down on coffee, down to one cup a day.",
    "We adopted a grey rabbit called Biscuit from the shelter on Saturday.",
    "I signed up for a pottery evening class on Thursdays.",
    "My knee is acting up again, the physio says no running for a month.",
    "Started reading a thick history of the Silk Road, slow going but great.",
    "I'm allergic to shellfish, found out the hard way at a wedding.",
    "Our team moved offices to the old mill by the river.",
    "I prefer short answers, bullet points if you can.",
    "Thinking of learning Welsh before our trip to Snowdonia.",
)
CANDIDATES = (
    ("User painted their kitchen pale green", ["User's kitchen was white", "User likes green"]),
    ("User's sister lives in Oslo", ["User has a sister", "User's sister has twins"]),
    ("User works night shifts at the depot", ["User works at the depot", "User works day shifts"]),
    ("User drinks one cup of coffee a day", ["User drinks three coffees a day", "User likes tea"]),
    ("User has a rabbit called Biscuit", ["User has a cat called Miso", "User adopted a pet"]),
    ("User takes a pottery class on Thursdays", ["User does yoga on Mondays", "User likes crafts"]),
)


def calls(round_no: int) -> list[tuple[str, list[dict[str, str]]]]:
    """One extract and one update call, their inputs different every round."""
    from localmem.ops import extract, update

    turn = TURNS[round_no % len(TURNS)]
    new = [{"role": "assistant", "content": "How was your week?"}, {"role": "user", "content": turn}]
    candidate, existing = CANDIDATES[round_no % len(CANDIDATES)]
    neighbours = [update.Neighbour(memory_id=str(i), text=t) for i, t in enumerate(existing)]
    return [("extract", extract.build_messages(new, [], date(2026, 11, 25), "full")),
            ("update", update.build_messages(candidate, neighbours, "full"))]


def run(rounds: int, threads: int) -> dict:
    from localmem.llm import Runtime

    runtimes = {"cache": Runtime.from_registry("fast", n_threads=threads, n_ctx=2048),
                "no cache": Runtime.from_registry("fast", n_threads=threads, n_ctx=2048, prompt_cache_mb=0)}
    for rt in runtimes.values():
        rt.load()
    params = dict(temperature=0.0, max_tokens=24, seed=1)
    rows = []
    for i in range(rounds + 1):  # round 0 warms both caches up and is not counted
        order = list(runtimes) if i % 2 == 0 else list(reversed(runtimes))
        for op, messages in calls(i):
            for who in order:
                t0 = time.perf_counter()
                stats = runtimes[who].chat(messages, **params).stats
                if i:
                    rows.append({"round": i, "operation": op, "runtime": who, "prompt_tokens": stats.prompt_tokens,
                                 "cached_tokens": stats.cached_tokens, "prompt_ms": stats.prompt_ms,
                                 "wall_ms": (time.perf_counter() - t0) * 1000})
    for rt in runtimes.values():
        rt.close()
    summary = {}
    for op in ("extract", "update"):
        med = {who: {k: statistics.median(r[k] for r in rows if r["operation"] == op and r["runtime"] == who)
                     for k in ("prompt_tokens", "cached_tokens", "prompt_ms", "wall_ms")} for who in runtimes}
        summary[op] = {**med, "prompt_ms_ratio": med["cache"]["prompt_ms"] / med["no cache"]["prompt_ms"],
                       "wall_ms_ratio": med["cache"]["wall_ms"] / med["no cache"]["wall_ms"]}
    return {"rounds": rounds, "per_call": rows, "median": summary}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    result = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": {**machine(), "threads": args.threads},
              "model": "fast (Qwen2.5-Coder-0.5B-Instruct Q4_K_M), full prompts, no adapter",
              **run(args.rounds, args.threads)}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "prompt_cache.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nPrompt cache, alternating extract / update, {args.threads} threads, {args.rounds} rounds, "
          f"{result['date']} (medians per call)")
    print(f"{'operation':10} {'runtime':9} {'prompt tok':>10} {'from cache':>10} {'prompt ms':>10} {'wall ms':>9}")
    for op, s in result["median"].items():
        for who in ("no cache", "cache"):
            m = s[who]
            print(f"{op:10} {who:9} {m['prompt_tokens']:10.0f} {m['cached_tokens']:10.0f} {m['prompt_ms']:10.1f} "
                  f"{m['wall_ms']:9.1f}")
        print(f"{op:10} {'ratio':9} {'':10} {'':10} {s['prompt_ms_ratio']:10.3f} {s['wall_ms_ratio']:9.3f}")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
