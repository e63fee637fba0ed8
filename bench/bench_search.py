"""Memory store benchmarks: search latency, insert throughput, recall of the fast vector paths, cold start.

For each size N (one user holding all N memories, the worst case for scoping):
- insert throughput on a fresh 20k store: ``Store.add_memories`` in batches of 1,000 with vectors
  precomputed (store cost only), one ``Memory.add`` per message (embedding included), and the
  embedder's own throughput (texts/s, 1 thread); building each size also records its rate;
- search latency p50/p95 over 200 queries, k=10: end to end (``Memory.search``: query embedding +
  hybrid retrieval + row fetch) and retrieval only, for each vector path (in-process binary-code
  cache, sqlite-vec binary index, exact float scan) and for BM25 alone; wall and CPU time;
- recall@10 of the fast vector paths against the exact scan (the proof that the binary-code
  candidates + exact rescoring lose nothing);
- cold start of ``localmem memories search`` as a whole process (median of 7).

Texts are synthetic memory-like sentences; up to 100k they get real all-MiniLM-L6-v2 vectors
(computed once, cached under <cache>/bench/). The 1M store reuses those vectors with small noise
(latency only: recall is measured where vectors are real).

Usage: python bench/bench_search.py [--sizes 10000,100000] [--million] [--keep DIR] [--out NAME]
Runs on one thread (BLAS and onnxruntime); writes bench/results/<NAME>.json (default search.json).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from memory_bench_common import PrecomputedEmbedder, table, write_result  # noqa: E402

USER = "bench-user"
PEOPLE = ["my sister", "my brother", "my mother", "my father", "my friend Ana", "my boss", "my neighbour",
          "my daughter", "my son", "my partner", "my cousin Leo", "my colleague Priya", "my grandmother",
          "my dentist", "my landlord", "my old roommate", "my yoga teacher", "my best friend Sam"]
VERBS = ["loves", "hates", "is learning", "talked about", "wants to try", "is obsessed with", "gave up",
         "recommended", "is allergic to", "started", "is saving up for", "complained about", "bought",
         "is reading about", "dreams of", "teaches", "used to do", "booked"]
THINGS = ["rock climbing", "the violin", "Korean cooking", "chess openings", "marathon training", "oil painting",
          "birdwatching", "sourdough bread", "Italian lessons", "vintage cameras", "salsa dancing", "gardening",
          "astronomy", "pottery", "sailing", "jazz piano", "knitting", "poker", "surfing", "yoga", "peanuts",
          "a trip to Japan", "a new bicycle", "the Lord of the Rings", "electric cars", "cold showers", "sushi",
          "a puppy", "woodworking", "the stock market", "horror films", "tango", "beekeeping", "a vegan diet",
          "board games", "scuba diving", "a PhD in biology", "the harp", "mountain huts", "craft beer"]
PLACES = ["in Lyon", "in Osaka", "at the weekend", "after work", "every morning", "since last year", "with the kids",
          "in Berlin", "near the lake", "on Tuesdays", "during the holidays", "in the old town", "online",
          "at the community centre", "before bed", "in Lisbon", "with friends", "in winter"]
QUESTIONS = ["what does {p} love?", "who is learning {t}?", "does anyone I know do {t} {w}?",
             "what did {p} say about {t}", "tell me about {p}", "which hobby {w}?", "what is {p} allergic to?"]


def corpus(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(PEOPLE).capitalize()} {rng.choice(VERBS)} {rng.choice(THINGS)} {rng.choice(PLACES)}"
            f" (#{i})" for i in range(n)]


def queries(n: int, seed: int = 2) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(QUESTIONS).format(p=rng.choice(PEOPLE), t=rng.choice(THINGS), w=rng.choice(PLACES))
            for _ in range(n)]


def real_vectors(texts: list[str], embedder) -> np.ndarray:
    from localmem.paths import cache_dir

    path = cache_dir() / "bench" / f"corpus-{len(texts)}-{embedder.model_id}.npy"
    if path.exists():
        return np.load(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    t0 = time.perf_counter()
    for start in range(0, len(texts), 2000):
        out[start:start + 2000] = embedder.embed(texts[start:start + 2000])
        done = min(start + 2000, len(texts))
        print(f"    embedded {done}/{len(texts)} ({done / (time.perf_counter() - t0):.0f}/s)", flush=True)
    np.save(path, out)
    return out


def vectors_for(n: int, texts: list[str], embedder) -> np.ndarray:
    real_n = min(n, 100_000)
    base = real_vectors(texts[:real_n], embedder)
    if n == real_n:
        return base
    rng = np.random.default_rng(3)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, real_n):
        block = base[: min(real_n, n - start)] + rng.normal(0, 0.02, (min(real_n, n - start), base.shape[1]))
        out[start:start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def build(path: Path, n: int, embedder) -> dict:
    from localmem.store import NewMemory, Scope, Store

    texts = corpus(n)
    vecs = vectors_for(n, texts, embedder)
    pre = PrecomputedEmbedder(embedder, dict(zip(texts, vecs)))
    store = Store(path, embedder=pre, vector_cache=False)
    t0 = time.perf_counter()
    batch = 1000
    for start in range(0, n, batch):
        store.add_memories(Scope(USER), [NewMemory(text=t) for t in texts[start:start + batch]], actor="bench")
        if start and start % 100_000 == 0:
            print(f"    inserted {start}/{n} ({start / (time.perf_counter() - t0):.0f}/s)", flush=True)
    seconds = time.perf_counter() - t0
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return {"insert_seconds": seconds, "insert_rows_per_second": n / seconds,
            "file_bytes": path.stat().st_size}


def insert_benchmark(embedder, n: int = 20_000, singles: int = 300) -> dict:
    """Insert throughput on a fresh store: batches of 1,000 with vectors known (store cost only),
    and one ``Memory.add`` per message (a transaction each, embedding included)."""
    import tempfile

    from localmem import Memory

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        built = build(Path(tmp) / "insert.db", n, embedder)
        out["batched_1000_rows_per_second"] = built["insert_rows_per_second"]
        out["batched_rows"] = n
        texts = corpus(singles, seed=5)
        with Memory(Path(tmp) / "singles.db", embedder=embedder) as mem:
            t0 = time.perf_counter()
            for text in texts:
                mem.add(text, user_id=USER, infer=False)
            out["single_add_per_second_with_embedding"] = singles / (time.perf_counter() - t0)
    return out


def percentiles(samples_ms: list[float], cpu_ms: list[float] | None = None) -> dict:
    """p50/p95 of wall time and, when given, of the process's CPU time for the same calls.

    CPU time leaves out the time the process waited for a core: on a machine shared with other
    jobs it is what the call costs on a quiet machine (everything here runs on one thread from
    the page cache), while wall time is what it cost under the load of the moment."""
    def pct(values: list[float]) -> tuple[float, float]:
        v = sorted(values)
        return statistics.median(v), v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]

    out = dict(zip(("p50_ms", "p95_ms"), pct(samples_ms)))
    out["mean_ms"] = statistics.fmean(samples_ms)
    if cpu_ms:
        out.update(zip(("cpu_p50_ms", "cpu_p95_ms"), pct(cpu_ms)))
    return out


class Clock:
    """Wall and CPU milliseconds of each timed block."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> "Clock":
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall.append(1000 * (time.perf_counter() - self._w))
        self.cpu.append(1000 * (time.process_time() - self._c))

    def summary(self) -> dict:
        return percentiles(self.wall, self.cpu)


def measure(path: Path, embedder, n_queries: int) -> dict:
    from localmem import Memory
    from localmem.store import Scope, SearchConfig
    from localmem.store import search as search_mod

    qs = queries(n_queries)
    qvecs = embedder.embed(qs)
    pre = PrecomputedEmbedder(embedder, dict(zip(qs, qvecs)))
    scope = Scope(USER)
    out: dict = {}

    # End to end through the public API (real query embedding each time), warm cache.
    mem = Memory(path, embedder=embedder)
    t0 = time.perf_counter()
    mem.search(qs[0], user_id=USER)
    out["first_search_ms_incl_cache_load"] = 1000 * (time.perf_counter() - t0)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for q in qs:  # one untimed pass: the file's pages in the OS cache, as in a running assistant
        mem.search(q, user_id=USER, limit=10)
    clock = Clock()
    for q in qs:
        with clock:
            mem.search(q, user_id=USER, limit=10)
    out["end_to_end_hybrid_cache"] = clock.summary()
    clock = Clock()
    for q in qs[:50]:
        with clock:
            embedder.embed([q])
    out["query_embedding"] = clock.summary()
    mem.close()

    # Retrieval only (query vectors precomputed), per vector path.
    configs = {
        "hybrid_cache": (SearchConfig(vector_index="cache"), True),
        "hybrid_vec0": (SearchConfig(vector_index="vec0"), False),
        "vector_cache": (SearchConfig(mode="vector", vector_index="cache"), True),
        "vector_vec0": (SearchConfig(mode="vector", vector_index="vec0"), False),
        "vector_exact": (SearchConfig(mode="vector", vector_index="exact"), False),
        "bm25": (SearchConfig(mode="text"), False),
    }
    from localmem.store import Store

    ids: dict[str, list[list[int]]] = {}
    n_rows = _count(path)
    for name, (config, cached) in configs.items():
        store = Store(path, embedder=pre, vector_cache=cached)
        store.search(qs[0], scope, config=config)  # warm up (loads the cache where used)
        clock, got = Clock(), []
        # The exact scan reads every float vector (1.5 GB at 1M rows) and the vec0 index takes
        # seconds per query there: fewer queries for those at 1M.
        slow = name in ("vector_exact", "vector_vec0", "hybrid_vec0")
        count = 20 if slow and n_rows > 200_000 else len(qs)
        for q, v in list(zip(qs, qvecs))[:count]:
            with clock, store.reading():
                hits = search_mod.search(store.db, query=q, query_vector=v, scope=scope, filters=None, limit=10,
                                         config=config, cache=store.cache, model_id=pre.model_id)
            got.append([h.seq for h in hits])
        out[f"retrieval_{name}"] = clock.summary()
        ids[name] = got
        store.close()
    for name in ("vector_cache", "vector_vec0"):
        overlap = [len(set(a) & set(b)) / max(1, len(b)) for a, b in zip(ids[name], ids["vector_exact"])]
        out[f"recall_queries_{name}"] = len(overlap)
        out[f"recall@10_{name}_vs_exact"] = statistics.fmean(overlap)
    out["peak_rss_mb_after_search"] = max(rss0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
    return out


def _count(path: Path) -> int:
    from localmem.store.db import connect

    db = connect(path)
    try:
        return db.execute("SELECT count(*) FROM memories").fetchone()[0]
    finally:
        db.conn.close()


def cold_start(path: Path, runs: int = 7) -> dict:
    exe = Path(sys.executable).with_name("localmem")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from localmem.cli import main; main()"]
    cmd += ["memories", "--db", str(path), "search", "-u", USER, "what does my sister love?", "--json"]
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {"command": "localmem memories search ... --json", "median_s": statistics.median(times),
            "max_s": max(times), "cpu_median_s": statistics.median(cpu), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 (minutes; gigabytes of disk)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="keep the databases in this directory (reused if present)")
    parser.add_argument("--out", default="search", help="result name: bench/results/<out>.json")
    parser.add_argument("--no-insert", action="store_true", help="skip the insert-throughput measurement")
    args = parser.parse_args()
    from localmem.embed import Embedder

    embedder = Embedder.default(threads=1)
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([1_000_000] if args.million else [])
    import tempfile

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="localmem-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)

    sample = corpus(2000, seed=9)
    t0 = time.perf_counter()
    embedder.embed(sample)
    embed_rate = len(sample) / (time.perf_counter() - t0)
    results = {"threads": 1, "embedding_model": embedder.model_id, "embed_texts_per_second": embed_rate,
               "insert": insert_benchmark(embedder) if not args.no_insert else None, "sizes": {}}
    for n in sizes:
        path = workdir / f"search-{n}.db"
        print(f"N={n:,}", flush=True)
        entry = {}
        if not path.exists():
            entry.update(build(path, n, embedder))
        entry.update(measure(path, embedder, args.queries))
        if n <= 100_000:
            entry["cold_start"] = cold_start(path)
        results["sizes"][str(n)] = entry
        print(f"  end-to-end hybrid p50 {entry['end_to_end_hybrid_cache']['p50_ms']:.1f} ms, "
              f"p95 {entry['end_to_end_hybrid_cache']['p95_ms']:.1f} ms", flush=True)
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)

    rows = []
    for n, e in results["sizes"].items():
        for key in ("end_to_end_hybrid_cache", "query_embedding", "retrieval_hybrid_cache", "retrieval_hybrid_vec0",
                    "retrieval_vector_cache", "retrieval_vector_vec0", "retrieval_vector_exact", "retrieval_bm25"):
            m = e[key]
            rows.append([f"{int(n):,}", key, m["p50_ms"], m["p95_ms"], m["cpu_p50_ms"], m["cpu_p95_ms"]])
    print()
    print(table(["N", "measure (k=10)", "wall p50 ms", "wall p95 ms", "cpu p50 ms", "cpu p95 ms"], rows))
    print()
    print(table(["N", "build rows/s", "recall@10 cache", "recall@10 vec0", "cold start s (cpu s)", "first search ms"],
                [[f"{int(n):,}", e.get("insert_rows_per_second", "-"), e["recall@10_vector_cache_vs_exact"],
                  e["recall@10_vector_vec0_vs_exact"],
                  f"{e['cold_start']['median_s']:.2f} ({e['cold_start']['cpu_median_s']:.2f})" if "cold_start" in e
                  else "-", e["first_search_ms_incl_cache_load"]] for n, e in results["sizes"].items()]))
    print(f"\nembedding: {embed_rate:.0f} texts/s on 1 thread ({embedder.model_id})")
    if results["insert"]:
        ins = results["insert"]
        print(f"insert: {ins['batched_1000_rows_per_second']:.0f} rows/s in batches of 1,000 (vectors known), "
              f"{ins['single_add_per_second_with_embedding']:.0f} Memory.add/s (one transaction each, embedding included)")
    print(f"wrote {write_result(args.out, results)}")


if __name__ == "__main__":
    main()
