"""The LoCoMo harness end to end on a tiny sample with the smallest real model (smoke test of the
harness, not of scores): 1 conversation, its first 2 sessions, 1 question per category, all four
systems. Checks that the result table is complete and well formed, that a run interrupted inside an
extraction ``add`` resumes (its logged, pending messages finished by the pipeline, not logged
twice), and that a finished run is served from the cache without loading a model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from localmem.config import load_registry
from localmem.eval import locomo
from localmem.eval.locomo import CATEGORIES
from localmem.registry import ModelError, verify

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_locomo  # noqa: E402

pytestmark = pytest.mark.llm
MODEL = "smol"


@pytest.fixture(scope="module", autouse=True)
def needs_model_and_data():
    try:
        verify(load_registry().get(MODEL))
    except ModelError as exc:
        pytest.skip(str(exc))
    if not locomo.default_data_path().is_file():
        pytest.skip("LoCoMo data not found")


def _argv(tmp_path: Path, *extra: str) -> list[str]:
    return ["--models", MODEL, "--conversations", "conv-26", "--sessions", "2", "--questions-per-category", "1",
            "--turns-per-add", "18", "--threads", "2", "--cache-dir", str(tmp_path / "cache"),
            "--out", str(tmp_path / "results" / "locomo.json"), *extra]


def test_sample_run_is_complete_resumes_and_is_cached(tmp_path: Path):
    from localmem.llm import Runtime

    calls = {"n": 0}

    def interrupting(name: str, threads: int):
        rt = Runtime.from_registry(name, n_threads=threads).load()
        real_chat = rt.chat

        def chat(*args, **kwargs):  # the first extraction call is cut short, as by Ctrl-C
            calls["n"] += 1
            raise KeyboardInterrupt
        rt.chat = chat  # type: ignore[method-assign]
        rt._real_chat = real_chat  # keep a reference; closed with the runtime
        return rt

    partial = bench_locomo.main(_argv(tmp_path, "--systems", "extraction"), runtime_factory=interrupting)
    assert calls["n"] == 1
    assert partial["results"][f"{MODEL}/extraction"]["summary"]["answered"] == 0

    data = bench_locomo.main(_argv(tmp_path))
    rows = data["results"]
    assert list(rows) == [f"{MODEL}/{s}" for s in ("no-memory", "full-context", "raw-retrieval", "extraction")]
    for name, row in rows.items():
        s = row["summary"]
        assert s["answered"] == s["selected"] == 5, name
        assert set(s["per_category_f1"]) == set(CATEGORIES.values())
        assert all(0.0 <= v <= 1.0 for v in s["per_category_f1"].values())
        assert 0.0 <= s["overall_f1"] <= 1.0 and s["prompt_tokens_per_question"] > 0
        assert s["answer_p50_s"] > 0 and s["peak_rss_mb"] > 0
    assert rows[f"{MODEL}/no-memory"]["summary"]["recall@all"] == 0.0
    assert rows[f"{MODEL}/full-context"]["summary"]["recall@all"] == 1.0  # both sessions fit in the window
    raw, ext = rows[f"{MODEL}/raw-retrieval"]["summary"], rows[f"{MODEL}/extraction"]["summary"]
    assert raw["ingest_adds"] == 2 and raw["shown_per_question"] == 8
    assert ext["ingest_adds"] == 2 and ext["ingest_recovered"] == 1  # the interrupted add, finished later
    from localmem.memory import Memory

    for path in (tmp_path / "cache" / "stores").glob("*/conv-26.db"):  # nothing logged twice, nothing left
        with Memory(path) as mem:                                        # pending unless its output was parked
            logged = mem.messages(user_id="conv-26")
            assert len(logged) in (0, 35), path
            parked = {i for f in mem.failures(user_id="conv-26") for i in f.message_ids}
            assert not [m for m in logged if m.pending_extraction and m.id not in parked], path
    records = data["records"][f"{MODEL}/extraction"]
    assert records["ingest"][0]["recovered"] and not records["ingest"][1]["recovered"]
    assert {a["category"] for a in records["answers"]} == set(CATEGORIES)

    out = tmp_path / "results" / "locomo.json"
    assert json.loads(out.read_text())["results"].keys() == rows.keys()
    written = [a for r in json.loads(out.read_text())["records"].values() for a in r["answers"]]
    assert written and all("score" in a and "prediction" in a for a in written)
    assert not [a for a in written if set(a) & {"question", "gold", "message", "options"}]  # no LoCoMo text
    md = out.with_suffix(".md").read_text()
    assert "| model / system | multi-hop | temporal | open-domain | single-hop | adversarial |" in md
    assert f"| {MODEL}/extraction |" in md

    def no_model(name: str, threads: int):
        raise AssertionError("a cached run must not load a model")

    again = bench_locomo.main(_argv(tmp_path), runtime_factory=no_model)
    assert {k: r["summary"] for k, r in again["results"].items()} == {k: r["summary"] for k, r in rows.items()}

    # --rows-from: rows of an earlier results file join a table of the same sample, marked as such
    full = tmp_path / "full.json"
    full.write_text(out.read_text())
    joined = bench_locomo.main(_argv(tmp_path, "--systems", "extraction", "--report-only", "--rows-from", str(full)),
                               runtime_factory=no_model)
    assert list(joined["results"]) == list(rows)[:3] + [f"{MODEL}/extraction"]
    assert set(joined["rows_from"]) == set(list(rows)[:3])
    assert joined["rows_from"][f"{MODEL}/no-memory"]["measured_at"] == json.loads(full.read_text())["measured_at"]
    assert {k: r["summary"] for k, r in joined["results"].items()} == {k: r["summary"] for k, r in rows.items()}
    assert f"{MODEL}/no-memory vs {MODEL}/extraction" in joined["paired"]
    assert joined["rows_from"][f"{MODEL}/no-memory"]["machine"]["cpu"] == joined["machine"]["cpu"]
    assert "is from an earlier run of the same sample" in out.with_suffix(".md").read_text()
    labelled = bench_locomo.main(_argv(tmp_path, "--systems", "extraction", "--report-only", "--rows-from", str(full),
                                       "--label", "cand"), runtime_factory=no_model)
    assert list(labelled["results"]) == list(rows) + [f"{MODEL}@cand/extraction"]  # beside, not instead of
    assert f"{MODEL}/no-memory vs {MODEL}@cand/extraction" in labelled["paired"]
    second = tmp_path / "second.json"  # rows taken from a file that took some from a run before it
    second.write_text(out.read_text())
    chained = bench_locomo.main(_argv(tmp_path, "--systems", "extraction", "--report-only", "--rows-from",
                                      str(second), "--label", "cand2"), runtime_factory=no_model)
    assert chained["rows_from"][f"{MODEL}/no-memory"]["file"] == str(full)  # where it was measured
    assert chained["rows_from"][f"{MODEL}@cand/extraction"]["file"] == str(second)
    based = bench_locomo.main(_argv(tmp_path, "--systems", "extraction", "--report-only", "--rows-from", str(second),
                                    "--label", "cand2", "--baseline", f"{MODEL}@cand/extraction"),
                              runtime_factory=no_model)
    assert list(based["paired"]) == [f"{MODEL}@cand/extraction vs {r}" for r in based["results"]
                                     if r != f"{MODEL}@cand/extraction"]
    assert based["paired"][f"{MODEL}@cand/extraction vs {MODEL}/extraction"]["overall"]["n"] == 5
    with pytest.raises(SystemExit, match="--baseline 'smol@typo/extraction': no such row; the rows are smol/no-memory"):
        bench_locomo.main(_argv(tmp_path, "--systems", "extraction", "--report-only", "--rows-from", str(second),
                                "--baseline", f"{MODEL}@typo/extraction"), runtime_factory=no_model)
    with pytest.raises(SystemExit, match="another sample or settings: .*questions_per_category 1 vs 2"):
        bench_locomo.main(_argv(tmp_path, "--questions-per-category", "2", "--report-only", "--rows-from", str(full)),
                          runtime_factory=no_model)


def test_a_cached_store_answered_by_another_setup(tmp_path: Path):
    """locomo_cross: a store an extraction run built, answered with the full prompt instead, and
    scored per category; the cached store itself is left as it was."""
    import hashlib

    import locomo_cross

    bench_locomo.main(_argv(tmp_path, "--systems", "extraction"))
    store = next(p for p in (tmp_path / "cache" / "stores").iterdir() if (p / "conv-26.db").is_file())
    before = hashlib.sha256((store / "conv-26.db").read_bytes()).hexdigest()
    results = tmp_path / "results" / "locomo.json"
    out = locomo_cross.main(["--store", store.name, "--answer", "none", "--model", MODEL, "--conversations",
                             "conv-26", "--sessions", "2", "--questions-per-category", "1", "--cache-dir",
                             str(tmp_path / "cache"), "--out", str(tmp_path / "cross.json"),
                             "--baseline", f"{results}:{MODEL}/extraction"])
    assert out["sample"]["questions"] == 5 and set(out["f1_x100"]) == set(CATEGORIES.values())
    (pairs,) = out["paired"].values()  # the store's own run against its answers by the full prompt
    assert pairs["overall"]["n"] == 5 and sum(pairs[c]["n"] for c in CATEGORIES.values()) == 5
    assert all(0 <= r["score"] <= 1 for r in out["records"])
    assert not [r for r in out["records"] if {"question", "gold"} & set(r)]  # LoCoMo's text stays in ../shared
    assert hashlib.sha256((store / "conv-26.db").read_bytes()).hexdigest() == before
    with pytest.raises(SystemExit, match="has no row 'nope/extraction'; its rows are smol/extraction"):
        locomo_cross.main(["--store", store.name, "--baseline", f"{results}:nope/extraction", "--cache-dir",
                           str(tmp_path / "cache"), "--out", str(tmp_path / "x.json")])
    with pytest.raises(SystemExit, match="no store directory"):
        locomo_cross.main(["--store", "nope", "--out", str(tmp_path / "x.json"), "--cache-dir", str(tmp_path / "cache")])
