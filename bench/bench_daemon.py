"""Daemon load benchmark: search requests per second and latency under concurrent clients.

A real ``localmem serve`` process (the scripted stand-in model: search never uses the LLM) on a Unix
socket, over a store of N memories of one user (real all-MiniLM-L6-v2 vectors, built in-process
first). Then, for 1 and 8 concurrent clients (threads, one HTTP request per search, stdlib client),
R searches each (k=10, hybrid); client-side latency p50/p95/p99 and requests/s. For comparison, the
same queries through ``Memory.search`` in one process (no daemon).

Usage: python bench/bench_daemon.py [--memories 5000] [--requests 100] [--clients 1,8]
Writes bench/results/daemon.json.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_search import USER, build, queries  # noqa: E402
from memory_bench_common import table, write_result  # noqa: E402


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


def run_clients(sock: Path, n_clients: int, per_client: int, qs: list[str]) -> dict:
    from localmem.client import RemoteMemory

    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n_clients + 1)

    def client(c: int) -> None:
        mem = RemoteMemory(sock)
        mine = []
        barrier.wait()
        for i in range(per_client):
            q = qs[(c * per_client + i) % len(qs)]
            t0 = time.perf_counter()
            try:
                mem.search(q, user_id=USER, limit=10)
            except Exception as exc:  # noqa: BLE001 - counted
                errors.append(repr(exc))
            mine.append(time.perf_counter() - t0)
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(n_clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = [x * 1000 for x in lat]
    return {"clients": n_clients, "requests": len(lat), "errors": len(errors), "seconds": round(wall, 3),
            "requests_per_s": round(len(lat) / wall, 2), "p50_ms": round(pct(ms, 0.5), 2),
            "p95_ms": round(pct(ms, 0.95), 2), "p99_ms": round(pct(ms, 0.99), 2),
            "mean_ms": round(statistics.fmean(ms), 2)}


def in_process(db: Path, qs: list[str], n: int) -> dict:
    from localmem.memory import Memory

    with Memory(db) as mem:
        mem.search(qs[0], user_id=USER)  # warm: embedder, vector cache
        ms = []
        t0 = time.perf_counter()
        for i in range(n):
            s = time.perf_counter()
            mem.search(qs[i % len(qs)], user_id=USER, limit=10)
            ms.append((time.perf_counter() - s) * 1000)
        wall = time.perf_counter() - t0
    return {"clients": "in-process", "requests": n, "errors": 0, "seconds": round(wall, 3),
            "requests_per_s": round(n / wall, 2), "p50_ms": round(pct(ms, 0.5), 2), "p95_ms": round(pct(ms, 0.95), 2),
            "p99_ms": round(pct(ms, 0.99), 2), "mean_ms": round(statistics.fmean(ms), 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--memories", type=int, default=5000)
    ap.add_argument("--requests", type=int, default=100, help="searches per client")
    ap.add_argument("--clients", default="1,8")
    args = ap.parse_args()
    from daemon_helpers import Daemon

    from localmem.embed import Embedder

    from localmem.paths import cache_dir, models_dir

    os.environ.setdefault("LOCALMEM_CACHE", str(cache_dir()))  # the user's ONNX export, not a fresh one
    os.environ.setdefault("LOCALMEM_MODELS_DIR", str(models_dir()))
    work = Path(tempfile.mkdtemp(prefix="lmb", dir="/tmp"))
    home = work / "home"
    home.mkdir()
    os.environ["LOCALMEM_HOME"] = str(home)
    db = home / "memory.db"
    print(f"building a store of {args.memories} memories ...", flush=True)
    build(db, args.memories, Embedder.default())
    qs = queries(400)
    rows = [in_process(db, qs, args.requests)]
    d = Daemon(home, db=db).start()
    load_start = os.getloadavg()[0]
    try:
        from localmem.client import RemoteMemory

        RemoteMemory(d.socket).search(qs[0], user_id=USER)  # warm the daemon
        for n in [int(c) for c in args.clients.split(",")]:
            rows.append(run_clients(d.socket, n, args.requests, qs))
            print(f"  {n} client(s): {rows[-1]['requests_per_s']} req/s, p95 {rows[-1]['p95_ms']} ms", flush=True)
    finally:
        d.stop()
    headers = ["clients", "requests", "errors", "requests_per_s", "p50_ms", "p95_ms", "p99_ms"]
    print(table(headers, [[r[h] for h in headers] for r in rows]))
    path = write_result("daemon", {
        "memories": args.memories, "searches_per_client": args.requests, "k": 10, "mode": "hybrid",
        "threads": {"embedder": 1, "server": "uvicorn + anyio thread pool (40)", "blas": 1},
        "loadavg_1m_before_clients": round(load_start, 2), "loadavg_1m_after": round(os.getloadavg()[0], 2),
        "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
