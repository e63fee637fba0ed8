"""Helpers shared by the memory benchmarks (bench_search.py, bench_locomo_retrieval.py)."""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"


class PrecomputedEmbedder:
    """The real embedder, with vectors computed ahead (in bulk) looked up by text.

    Benchmarks use it to time retrieval apart from query embedding, and to load large stores
    without re-embedding texts whose vectors are already known. Texts it has no vector for are
    embedded by the real model, so results are those of the real embedder.
    """

    def __init__(self, real, table: dict[str, np.ndarray] | None = None):
        self.real = real
        self.table = table if table is not None else {}
        self.model_id = real.model_id
        self.dimension = real.dimension

    def embed(self, texts):
        missing = [t for t in dict.fromkeys(texts) if t not in self.table]
        if missing:
            for text, vec in zip(missing, self.real.embed(missing)):
                self.table[text] = vec
        return np.stack([self.table[t] for t in texts]) if texts else np.zeros((0, self.dimension), np.float32)

    def embed_one(self, text):
        return self.embed([text])[0]


#: CPU features that change llama.cpp and torch speed several-fold (the wheel is built for them).
SPEED_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")


def cpu_model() -> dict:
    """The CPU's model name and the SIMD features that decide its speed: latencies measured on
    machines that differ here are not comparable (an AVX-512 machine runs these models much faster)."""
    info = {"model": platform.processor() or platform.machine(), "flags": []}
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return info
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            info["model"] = value.strip()
        elif key.strip() == "flags":
            flags = set(value.split())
            info["flags"] = [f for f in SPEED_FLAGS if f in flags]
            break
    return info


def machine() -> dict:
    load = os.getloadavg()
    return {"cpus": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_1m_at_start": round(load[0], 2)}


def write_result(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {"benchmark": name, "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(), **data}
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def rounded(x: float | None, n: int = 4) -> float | None:
    """``x`` to ``n`` decimals for a results file; None stays None."""
    return None if x is None else round(x, n)


def paired(a: list[float], b: list[float], *, resamples: int = 4000, seed: int = 0) -> dict[str, Any]:
    """``a`` against ``b``, question by question (the same questions, in the same order): the mean
    difference, its 95% interval from a seeded paired bootstrap, and the questions each wins."""
    if len(a) != len(b):
        raise ValueError(f"paired scores need the same questions: {len(a)} vs {len(b)}")
    if not a:
        return {"n": 0, "diff": None, "low": None, "high": None, "won": 0, "lost": 0}
    rng, n = random.Random(seed), len(a)
    d = [x - y for x, y in zip(a, b)]
    means = sorted(statistics.fmean(d[rng.randrange(n)] for _ in range(n)) for _ in range(resamples))
    return {"n": n, "diff": rounded(statistics.fmean(d)), "low": rounded(means[int(0.025 * resamples)]),
            "high": rounded(means[int(0.975 * resamples) - 1]), "won": sum(x > 1e-9 for x in d),
            "lost": sum(x < -1e-9 for x in d)}
