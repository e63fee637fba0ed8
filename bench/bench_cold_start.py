"""Cold start of one-shot CLI commands as whole processes.

Measures, interleaved run by run so that load drifts hit every variant alike:
- ``localmem --help``;
- ``localmem memories search "..." --json`` in process (``LOCALMEM_NO_DAEMON=1``): imports, opening
  the store, loading the embedding model, one hybrid search through the sqlite-vec index;
- the same command while a daemon (``localmem serve``) serves the store: the CLI only sends the
  request over the Unix socket.

Stores are built with ``bench_search.build`` (synthetic memories, real embeddings) or reused from
``--keep``. The daemon runs with its own ``LOCALMEM_HOME`` (and so its own socket) in a temporary
directory; models and caches stay the user's.

Usage: python bench/bench_cold_start.py [--sizes 10000,100000] [--runs 11] [--keep DIR]
Writes bench/results/cold_start.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_search import USER, build  # noqa: E402
from memory_bench_common import machine, table, write_result  # noqa: E402

QUERY = "what does my sister love?"


def _exe() -> list[str]:
    exe = Path(sys.executable).with_name("localmem")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "localmem"]


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def _summary(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"median_s": round(statistics.median(s), 4), "min_s": round(s[0], 4), "max_s": round(s[-1], 4),
            "runs": len(s)}


def _start_daemon(db: Path, env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen(_exe() + ["serve", "--db", str(db)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    sock = Path(env["LOCALMEM_HOME"]) / "run" / "localmem.sock"
    for _ in range(600):
        if sock.exists():
            # the socket appears before the app answers: wait for a real response
            probe = subprocess.run(_exe() + ["memories", "--db", str(db), "stats"], env=env, capture_output=True)
            if probe.returncode == 0:
                return proc
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("daemon did not start within 60 s")


def measure(db: Path, runs: int) -> dict:
    base = dict(os.environ)
    from localmem.paths import cache_dir, models_dir

    base.update(LOCALMEM_MODELS_DIR=str(models_dir()), LOCALMEM_CACHE=str(cache_dir()))
    search = _exe() + ["memories", "--db", str(db), "search", "-u", USER, QUERY, "--json"]
    with tempfile.TemporaryDirectory(prefix="localmem-cold-") as home:
        env = dict(base, LOCALMEM_HOME=home, LOCALMEM_SOCKET=str(Path(home) / "run" / "localmem.sock"))
        in_process = dict(env, LOCALMEM_NO_DAEMON="1")
        out: dict[str, list[float]] = {"help": [], "search_in_process": [], "search_via_daemon": []}
        _timed(search, in_process)  # first run of all: page cache, ONNX export check
        for _ in range(runs):
            out["help"].append(_timed(_exe() + ["--help"], in_process))
            out["search_in_process"].append(_timed(search, in_process))
        daemon = _start_daemon(db, env)
        try:
            _timed(search, env)
            for _ in range(runs):
                out["search_via_daemon"].append(_timed(search, env))
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
    return {k: _summary(v) for k, v in out.items()}


def bytecode_present() -> bool:
    import localmem

    return any(Path(localmem.__file__).parent.glob("__pycache__/*.pyc"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--keep", type=Path, help="directory of stores from bench_search (search-<N>.db), reused")
    ap.add_argument("--out", default="cold_start")
    args = ap.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="localmem-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "bytecode_precompiled": bytecode_present(), "runs": args.runs,
               "command": " ".join(sys.argv), "sizes": {}}
    for n in (int(s) for s in args.sizes.split(",") if s):
        path = workdir / f"search-{n}.db"
        if not path.exists():
            from localmem.embed import Embedder

            build(path, n, Embedder.default(threads=1))
        print(f"N={n:,}", flush=True)
        results["sizes"][str(n)] = measure(path, args.runs)
    rows = [[f"{int(n):,}", k, v["median_s"], v["min_s"], v["max_s"]]
            for n, e in results["sizes"].items() for k, v in e.items()]
    print(table(["memories", "command", "median s", "min s", "max s"], rows))
    print(f"load average at start {results['machine'].get('loadavg_1m_at_start')}; "
          f"bytecode precompiled: {results['bytecode_precompiled']}")
    print(f"wrote {write_result(args.out, results)}")


if __name__ == "__main__":
    main()
