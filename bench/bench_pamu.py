"""PAMU preference tracking: signal extractor accuracy, tracking error, change detection, reply effect.

Parts (``--parts``, default ``signals,tracking``; ``replies`` loads the real 0.5B model):

- signals: the lexical extractor (``localmem.preferences.signals``) on the labelled set
  ``bench/data/pamu_signals.jsonl``: accuracy per dimension on the dev split (rules were written
  against it) and on the held-out test split.
- tracking: simulated users (stable, abrupt switch, slow drift, noisy; 60 turns, one dimension,
  every turn observed with weight 1). A grid over W, α, τ, γ, λ is searched on tuning seeds
  (objective: fused MAE on the mixed set + 0.05·(1 - change-detection F1)); the chosen config is
  reported on separate test seeds: MAE of SW alone, EMA alone (plain, no change adaptation), the
  tracker's EMA component and the fusion, per trajectory kind and mixed; each component also at its
  own best setting; change-detection precision / recall / delay, and a τ sweep. Writes
  ``bench/results/pamu_trajectory.png`` (matplotlib).
- replies: users with opposite profiles (brief vs detailed, formal vs casual, and none) asking the
  same questions of the ``fast`` model through the Assistant (greedy, ``--threads``): words per
  reply and a formality score. Resumable (one JSON line per reply in bench/results/pamu_replies.jsonl).

Usage: python bench/bench_pamu.py [--parts signals,tracking,replies] [--threads 2]
Writes bench/results/pamu.json (and pamu_replies.json for the reply part).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pamu_sim as sim  # noqa: E402
from memory_bench_common import RESULTS, table, write_result  # noqa: E402

DATA = Path(__file__).parent / "data" / "pamu_signals.jsonl"
CONTINUOUS_LABELS = ("length", "formality", "depth", "structure")
DECISION_WEIGHT = 0.25  # an observation lighter than this counts as "no signal" in the accuracy test

GRID = {"window": [2, 3, 4, 5, 6, 8, 10], "alpha": [0.7, 0.8, 0.85, 0.9, 0.95],
        "threshold": [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0], "change_alpha": [0.0, 0.3, 0.6],
        "fusion": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]}
TUNE_SEED, TEST_SEED, PER_KIND = 1, 2, 100


# -- signals ------------------------------------------------------------------------------------
def _decision(obs) -> str:
    if obs is None or obs.weight < DECISION_WEIGHT:
        return "none"
    value = float(obs.value)
    return "low" if value < 0.4 else "high" if value > 0.6 else "none"


def _top(obs) -> str:
    return max(obs.value, key=obs.value.__getitem__) if obs is not None else "neutral"


def bench_signals() -> dict:
    from localmem.preferences.signals import from_message

    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    out = {}
    for split in ("dev", "test"):
        items = [r for r in rows if r["split"] == split]
        scores, errors = {}, []
        started = time.perf_counter()
        predictions = [from_message(r["text"]).observations for r in items]
        per_message_ms = 1000 * (time.perf_counter() - started) / len(items)
        for dim in (*CONTINUOUS_LABELS, "tone", "emotion"):
            got = [(_decision(p.get(dim)) if dim in CONTINUOUS_LABELS else _top(p.get(dim))) for p in predictions]
            gold = [r[dim] for r in items]
            correct = sum(g == w for g, w in zip(got, gold))
            signalled = [(g, w) for g, w in zip(got, gold) if w not in ("none", "neutral")]
            scores[dim] = {"accuracy": correct / len(items),
                           "recall_of_labelled": (sum(g == w for g, w in signalled) / len(signalled)) if signalled else None,
                           "labelled": len(signalled)}
            errors += [{"text": r["text"], "dimension": dim, "gold": w, "got": g}
                       for r, g, w in zip(items, got, gold) if g != w]
        mean = sum(s["accuracy"] for s in scores.values()) / len(scores)
        out[split] = {"messages": len(items), "per_dimension": scores, "mean_accuracy": mean,
                      "ms_per_message": per_message_ms, "errors": errors}
        print(f"\nsignal extractor, {split} split ({len(items)} messages, {per_message_ms:.2f} ms/message)")
        print(table(["dimension", "accuracy", "recall on labelled", "labelled"],
                    [[d, s["accuracy"], s["recall_of_labelled"] if s["recall_of_labelled"] is not None else "-",
                      s["labelled"]] for d, s in scores.items()] + [["mean", mean, "", ""]]))
    return out


# -- tracking -----------------------------------------------------------------------------------
def _masks(users: sim.Users) -> dict[str, np.ndarray | None]:
    masks = {kind: users.kind == i for i, kind in enumerate(sim.KINDS)}
    masks["mixed"] = None
    return masks


def _search(users: sim.Users) -> list[dict]:
    rows = []
    for w, a, tau, g in itertools.product(GRID["window"], GRID["alpha"], GRID["threshold"], GRID["change_alpha"]):
        run = sim.track(users.obs, window=w, alpha=a, threshold=tau, change_alpha=g)
        det = sim.detection(run, users)
        for lam in GRID["fusion"]:
            fused_mae = sim.mae(lam * run.sw + (1 - lam) * run.ema, users)
            rows.append({"window": w, "alpha": a, "threshold": tau, "change_alpha": g, "fusion": lam,
                         "fused_mae": fused_mae, "f1": det["f1"],
                         "objective": fused_mae + 0.05 * (1 - det["f1"])})
    return rows


def _component_best(users: sim.Users) -> dict:
    sw = {w: sim.mae(sim.track(users.obs, window=w, alpha=0.9, threshold=1e9, change_alpha=1).sw, users)
          for w in range(1, 16)}
    ema = {a: sim.mae(sim.track(users.obs, window=1, alpha=a, threshold=1e9, change_alpha=1, adapt=False).ema, users)
           for a in [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.97]}
    return {"window": min(sw, key=sw.get), "alpha": min(ema, key=ema.get)}


def bench_tracking(plot: bool = True) -> dict:
    from localmem.preferences import TrackerConfig

    tune, test = sim.simulate(PER_KIND, TUNE_SEED), sim.simulate(PER_KIND, TEST_SEED)
    started = time.perf_counter()
    grid = _search(tune)
    best = min(grid, key=lambda r: r["objective"])
    search_s = time.perf_counter() - started
    chosen = {k: best[k] for k in ("window", "alpha", "threshold", "change_alpha", "fusion")}
    print(f"\ngrid search on tuning seeds: {len(grid)} configs in {search_s:.1f} s; chosen {chosen}")
    config = TrackerConfig(**chosen)
    worst = sim.check_against_library(test, config)
    print(f"vectorised simulator vs localmem tracker: max |fused difference| {worst:.2e} (changes identical)")

    run = sim.track(test.obs, window=config.window, alpha=config.alpha, threshold=config.threshold,
                    change_alpha=config.change_alpha)
    plain = sim.track(test.obs, window=config.window, alpha=config.alpha, threshold=1e9, change_alpha=1, adapt=False)
    fused = config.fusion * run.sw + (1 - config.fusion) * run.ema
    own = _component_best(tune)
    sw_own = sim.track(test.obs, window=own["window"], alpha=0.9, threshold=1e9, change_alpha=1).sw
    ema_own = sim.track(test.obs, window=1, alpha=own["alpha"], threshold=1e9, change_alpha=1, adapt=False).ema
    estimators = {
        f"SW alone (W={config.window})": run.sw,
        f"EMA alone (α={config.alpha}, plain)": plain.ema,
        f"SW alone, own best W={own['window']}": sw_own,
        f"EMA alone, own best α={own['alpha']}": ema_own,
        "PAMU EMA component (change-adapted)": run.ema,
        f"PAMU fused (λ={config.fusion})": fused,
    }
    masks = _masks(test)
    errors = {name: {kind: sim.mae(est, test, mask) for kind, mask in masks.items()} for name, est in estimators.items()}
    print("\ntracking error (MAE vs the true preference, test seeds, "
          f"{PER_KIND} users per kind, {sim.TURNS} turns)")
    print(table(["estimator", *masks], [[name, *(f"{v:.4f}" for v in errs.values())] for name, errs in errors.items()]))
    detection = sim.detection(run, test)
    print("\nchange detection (abrupt switches; found if within "
          f"{sim.DETECT_WITHIN} turns): " + ", ".join(f"{k} {v:.3f}" for k, v in detection.items()))
    sweep = []
    for tau in [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0]:
        r = sim.track(test.obs, window=config.window, alpha=config.alpha, threshold=tau,
                      change_alpha=config.change_alpha)
        d = sim.detection(r, test)
        f = config.fusion * r.sw + (1 - config.fusion) * r.ema
        sweep.append({"threshold": tau, **d, "fused_mae": sim.mae(f, test)})
    print(table(["τ", "precision", "recall", "F1", "mean delay", "false alarms /100 turns", "fused MAE"],
                [[s["threshold"], s["precision"], s["recall"], s["f1"], s["mean_delay"],
                  s["false_alarms_per_100_turns"], f"{s['fused_mae']:.4f}"] for s in sweep]))
    top = sorted(grid, key=lambda r: r["objective"])[:10]
    result = {"chosen": chosen, "grid_size": len(grid), "top_configs": top, "component_best": own,
              "simulator_max_difference": worst, "mae": errors, "detection": detection, "threshold_sweep": sweep,
              "users_per_kind": PER_KIND, "turns": sim.TURNS, "noise": sim.NOISE, "high_noise": sim.HIGH_NOISE,
              "tune_seed": TUNE_SEED, "test_seed": TEST_SEED}
    if plot:
        result["plot"] = _plot(test, run, plain, fused, config)
    return result


def _plot(users: sim.Users, run: sim.Run, plain: sim.Run, fused: np.ndarray, config) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return None
    picks = [int(np.nonzero(users.kind == sim.KINDS.index(k))[0][0]) for k in ("abrupt", "drift", "noisy")]
    fig, axes = plt.subplots(len(picks), 1, figsize=(9, 8), sharex=True)
    t = np.arange(1, users.obs.shape[1] + 1)
    for ax, i in zip(axes, picks):
        ax.plot(t, users.truth[i], color="black", lw=2, label="true preference")
        ax.scatter(t, users.obs[i], s=10, color="grey", label="signal p_t")
        ax.plot(t, run.sw[i], color="tab:orange", lw=1, label=f"SW (W={config.window})")
        ax.plot(t, plain.ema[i], color="tab:green", lw=1, ls=":", label=f"plain EMA (α={config.alpha})")
        ax.plot(t, run.ema[i], color="tab:green", lw=1, label="EMA, change-adapted")
        ax.plot(t, fused[i], color="tab:blue", lw=2, label=f"fused (λ={config.fusion})")
        for turn in np.nonzero(run.fires[i])[0] + 1:
            ax.axvline(turn, color="red", ls="--", lw=1)
        ax.set_ylabel(f"length ({sim.KINDS[users.kind[i]]})")
        ax.set_ylim(0, 1)
    axes[0].legend(fontsize=7, ncol=3, loc="upper left")
    axes[-1].set_xlabel("turn (red dashes: detected changes)")
    fig.suptitle(f"PAMU tracking (τ={config.threshold}, γ={config.change_alpha})")
    fig.tight_layout()
    path = RESULTS / "pamu_trajectory.png"
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")
    return str(path.relative_to(Path(__file__).parent.parent))


# -- replies on the real model --------------------------------------------------------------------
QUESTIONS = ["What is a black hole?", "Why do we need sleep?", "What does a database index do?"]
PROFILES = {
    "brief": ["Keep it short please, just the answer.", "too long, tl;dr", "brief answers please"],
    "detailed": ["Please explain in detail.", "Tell me more, go deeper.", "I like thorough, detailed answers."],
    "formal": ["Could you kindly use a formal, professional tone?", "I would appreciate a formal register.",
               "Be more formal, please."],
    "casual": ["hey keep it casual lol", "be more chill, talk like a friend", "yo no need to be formal dude"],
    "none": [],
}


def formality_score(text: str) -> float:
    """Formal minus casual markers (contractions count half) per 100 words: > 0 formal, < 0 casual."""
    from localmem.preferences.signals import register

    reg = register(text)
    return 100 * (reg["formal"] - reg["casual"] - 0.5 * reg["contractions"]) / max(1, reg["words"])


def bench_replies(threads: int, cap: int) -> dict:
    import tempfile

    from localmem.assistant import Assistant
    from localmem.llm import Runtime
    from localmem.memory import Memory
    from localmem.preferences import render

    log = RESULTS / "pamu_replies.jsonl"
    done = {}
    if log.exists():
        for line in log.read_text().splitlines():
            row = json.loads(line)
            done[(row["profile"], row["question"])] = row
    rt = Runtime.from_registry("fast", n_threads=threads, n_ctx=4096)
    rt.spec = rt.spec.model_copy(update={"sampling": rt.spec.sampling.model_copy(update={"temperature": 0.0})})
    rt.load()
    with tempfile.TemporaryDirectory() as tmp, Memory(Path(tmp) / "replies.db") as mem:
        for profile, messages in PROFILES.items():
            for m in messages:
                mem.observe_preferences(m, user_id=profile)
            assistant = Assistant(mem, runtime=rt, memory_mode="read-only")
            # The profile's own limit, capped to keep the run short on a shared 2-core machine.
            assistant.max_tokens = min(cap, render.max_tokens(mem.preferences(user_id=profile), rt.spec.sampling.max_tokens))
            for q in QUESTIONS:
                if (profile, q) in done:
                    continue
                started = time.perf_counter()
                reply = assistant.chat(q, user_id=profile)
                row = {"profile": profile, "question": q, "style": reply.style, "max_tokens": reply.max_tokens,
                       "text": reply.text, "words": len(reply.text.split()), "formality": formality_score(reply.text),
                       "completion_tokens": reply.stats.completion_tokens if reply.stats else None,
                       "seconds": time.perf_counter() - started}
                done[(profile, q)] = row
                with log.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                print(f"{profile:9s} {row['words']:4d} words  formality {row['formality']:+6.2f}  {q}", flush=True)
    rt.close()
    summary = {}
    for profile in PROFILES:
        rows = [done[(profile, q)] for q in QUESTIONS if (profile, q) in done]
        summary[profile] = {"replies": len(rows), "style": rows[0]["style"] if rows else "",
                            "max_tokens": rows[0]["max_tokens"] if rows else None,
                            "mean_words": float(np.mean([r["words"] for r in rows])) if rows else None,
                            "mean_formality": float(np.mean([r["formality"] for r in rows])) if rows else None}
    print(table(["profile", "replies", "max_tokens", "mean words", "formality score", "style line"],
                [[p, s["replies"], s["max_tokens"], s["mean_words"], s["mean_formality"], s["style"]]
                 for p, s in summary.items()]))
    return {"model": "fast", "threads": threads, "temperature": 0.0, "max_tokens_cap": cap, "questions": QUESTIONS,
            "profiles": PROFILES, "summary": summary, "replies": list(done.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", default="signals,tracking")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--cap", type=int, default=256, help="upper bound on max_tokens in the reply part")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    out = {}
    if "signals" in parts:
        out["signals"] = bench_signals()
    if "tracking" in parts:
        out["tracking"] = bench_tracking(plot=not args.no_plot)
    if out:
        print(f"\nwrote {write_result('pamu', out)}")
    if "replies" in parts:
        print(f"\nwrote {write_result('pamu_replies', bench_replies(args.threads, args.cap))}")


if __name__ == "__main__":
    main()
