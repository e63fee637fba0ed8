"""bench/bench_pipeline.py's plumbing on one dev-set conversation, with a model double that replays the
gold labels at the LLM boundary (no real model): caching, resuming, scoring wiring, the JSON written."""

from __future__ import annotations

import json
import re
import sys
import threading
from pathlib import Path

import pytest

from localmem.eval.devset import load_devset
from localmem.llm import CallStats, ChatResult

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_pipeline  # noqa: E402
from pipeline_harness import Cache, code_version  # noqa: E402

STATS = CallStats(model="double", adapter=None, prompt_tokens=100, cached_tokens=0, completion_tokens=20,
                  prompt_ms=1, generation_ms=1, total_ms=2)
EXISTING_LINE = re.compile(r"^(\d+)\. (.*?)(?: \([0-9-]+\))?$")


class _Stream:
    def __init__(self, text: str):
        self.text, self.result = text, None

    def __iter__(self):
        for piece in re.findall(r"\S+\s*", self.text):
            yield piece
        self.result = ChatResult(text=self.text, finish_reason="stop", stats=STATS)

    def close(self) -> None:
        pass


class GoldDouble:
    """Extract: the gold memories of each user turn, in turn order. Update: the gold decision when its
    target is among the memories shown, else ADD. Answers: the gold answer, or an abstention.
    ``interrupt`` ("extract" after N calls, or "answer") raises KeyboardInterrupt there."""

    name = "double"

    def __init__(self, conv, interrupt: tuple[str, int] | None = None):
        self.lock = threading.RLock()
        self.turns = [list(t.gold) for t in conv.user_turns()]
        self.gold = {m.text: m for m in conv.memories()}
        self.answers = {p.question: p.answer if p.answerable else "I don't remember you telling me that."
                        for p in conv.probes}
        self.interrupt = interrupt
        self.calls = {"extract": 0, "update": 0, "answer": 0}
        self.seeds: list[int | None] = []  # the sampling seed of each answer

    def adapter_for(self, operation):
        return None

    def _maybe_interrupt(self, op: str) -> None:
        if self.interrupt and self.interrupt[0] == op and self.calls[op] > self.interrupt[1]:
            raise KeyboardInterrupt

    def chat(self, messages, *, adapter=None, **params):
        prompt = messages[-1]["content"]
        op = "update" if prompt.startswith("EXISTING:") else "extract"
        self.calls[op] += 1
        self._maybe_interrupt(op)
        return ChatResult(text=self._extract() if op == "extract" else self._update(prompt),
                          finish_reason="stop", stats=STATS)

    def _extract(self) -> str:
        gold = self.turns.pop(0)
        return json.dumps({"memories": [{"text": m.text, "kind": m.kind.value, "category": m.category.value,
                                         "confidence": 0.9, "valid_from": m.valid_from} for m in gold]})

    def _update(self, prompt: str) -> str:
        lines = prompt.split("\n")
        shown = {EXISTING_LINE.match(line).group(2): int(EXISTING_LINE.match(line).group(1)) for line in lines[1:-1]}
        mem = self.gold[lines[-1].removeprefix("NEW: ")]
        target = self.gold_text(mem.target) if mem.target else None
        if target is None or target not in shown:
            return '{"event": "ADD", "id": null, "text": null}'
        return json.dumps({"event": mem.decision.value, "id": shown[target], "text": mem.text})

    def gold_text(self, memory_id: str) -> str:
        return next(m.text for m in self.gold.values() if m.id == memory_id)

    def stream(self, messages, *, adapter=None, **params):
        self.calls["answer"] += 1
        self.seeds.append(params.get("seed"))
        self._maybe_interrupt("answer")
        return _Stream(self.answer(messages[-1]["content"], params.get("seed")))

    def answer(self, question: str, seed: int | None) -> str:
        return self.answers[question]


class OddSeedDouble(GoldDouble):
    """Answers a probe wrongly when its sampling seed is odd: answer F1 then depends on the seeds."""

    def answer(self, question: str, seed: int | None) -> str:
        return "Bananas." if seed is not None and seed % 2 else self.answers[question]


@pytest.fixture(scope="module")
def conv():
    return load_devset().conversation("c01")


@pytest.fixture(scope="module")
def embed():
    from localmem.embed import Embedder

    return Embedder.default().embed


def run(tmp_path: Path, double, embed, *extra: str) -> dict:
    def factory(name: str, threads: int):
        if double is None:
            raise AssertionError("the model was loaded although everything was cached")
        return double

    argv = ["--models", "fast", "--ids", "c01", "--threads", "1", "--cache-dir", str(tmp_path / "cache"),
            "--out", str(tmp_path / "out.json"), *extra]
    return bench_pipeline.main(argv, runtime_factory=factory, embed=embed)


def test_scores_one_conversation_and_writes_the_json(tmp_path: Path, conv, embed, capsys):
    double = GoldDouble(conv)
    run(tmp_path, double, embed)
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["results"].keys() == {"fast"} and written["complete"] == {"fast": True}
    r = written["results"]["fast"]
    assert r["coverage"]["conversations"] == ["c01"] and r["coverage"]["user_turns"] == 9
    ext = r["extraction"]
    assert ext["n_gold"] == ext["n_predicted"] == ext["n_matched"] == sum(len(t.gold) for t in conv.user_turns())
    assert ext["f1"] == 1.0 and ext["kind_accuracy"] == 1.0 and ext["date_accuracy"] == 1.0
    assert ext["small_talk_fp_rate"] == 0.0  # the rainy-day turn yields nothing
    upd = r["updates"]
    assert upd["n"] == ext["n_gold"] and upd["decided"] == upd["n"]  # every gold memory was extracted
    assert upd["confusion"]["SUPERSEDE"]["SUPERSEDE"] >= 1  # the double's gold decisions reached the store
    assert r["final_state"]["contradictions"] >= 1
    assert r["answers"]["answer_f1"] == 1.0 and r["answers"]["abstention_rate"] == 1.0
    sp = r["speed"]
    assert sp["add_latency_p50_s"] is not None and sp["ttft_p50_s"] is not None
    assert sp["prompt_tokens_per_turn"] >= 100 and sp["parked_turns"] == 0
    assert len(r["turns"]) == 9 and len(r["probes"]) == len(conv.probes)
    assert double.calls["extract"] == 9  # one call per user turn, the small-talk one included
    out = capsys.readouterr()
    assert "extraction F1" in out.out and "[fast t1] c01/s0/t0" in out.err and "ETA" in out.err


def test_a_second_run_comes_from_the_cache(tmp_path: Path, conv, embed):
    first = run(tmp_path, GoldDouble(conv), embed)
    second = run(tmp_path, None, embed)  # loading the model would fail the test
    assert second["results"]["fast"]["extraction"] == first["results"]["fast"]["extraction"]
    assert second["results"]["fast"]["answers"] == first["results"]["fast"]["answers"]
    cache = Cache(tmp_path / "cache")
    from localmem.config import load_registry

    fast = load_registry().get("fast")
    ingests = {version: n for version, n, _ in cache.versions("fast", 1)}
    # the ingest under the store's version, the answers under the full one
    assert ingests == {code_version(fast, store_only=True): 1, code_version(fast): 0}
    cache.close()


def test_an_interrupted_ingest_restarts_its_conversation(tmp_path: Path, conv, embed, capsys):
    data = run(tmp_path, GoldDouble(conv, interrupt=("extract", 3)), embed)
    assert data["results"] == {} and data["complete"] == {"fast": False}
    assert "interrupted" in capsys.readouterr().err
    double = GoldDouble(conv)
    data = run(tmp_path, double, embed)
    assert double.calls["extract"] == 9 and data["results"]["fast"]["extraction"]["f1"] == 1.0


def test_probes_resume_on_the_kept_store_without_ingesting_again(tmp_path: Path, conv, embed):
    data = run(tmp_path, GoldDouble(conv, interrupt=("answer", 2)), embed)
    assert data["complete"] == {"fast": False}
    assert data["results"]["fast"]["coverage"]["probes"] == 0  # ingest finished, probes did not
    double = GoldDouble(conv, interrupt=("extract", 0))  # any extraction would interrupt
    data = run(tmp_path, double, embed)
    assert double.calls == {"extract": 0, "update": 0, "answer": len(conv.probes)}
    assert data["complete"] == {"fast": True} and data["results"]["fast"]["answers"]["answer_f1"] == 1.0


def test_no_probes_and_report_only(tmp_path: Path, conv, embed):
    data = run(tmp_path, GoldDouble(conv), embed, "--no-probes")
    assert data["results"]["fast"]["answers"] is None and data["complete"] == {"fast": True}
    data = run(tmp_path, None, embed, "--report-only")
    assert data["complete"] == {"fast": False}  # probes were asked for and are not there
    assert data["results"]["fast"]["extraction"]["f1"] == 1.0


def test_prompts_variant_drops_only_the_memory_adapters_and_has_its_own_cache_version():
    from pipeline_harness import code_version, model_spec

    from localmem.config import AdapterSpec, load_registry

    registry = load_registry()
    fast = registry.get("fast")
    with_ops = fast.model_copy(update={"adapters": [
        AdapterSpec(name="update", path=Path("qwen2.5-coder-0.5b-instruct/update.gguf"), operation="update"),
        AdapterSpec(name="test-tiny", path=Path("qwen2.5-coder-0.5b-instruct/test-tiny.gguf"), operation="test")]})

    class Reg:
        def get(self, name):
            return with_ops if name == "fast" else registry.get(name)

    plain = model_spec(Reg(), "fast+prompts")
    assert [a.operation for a in plain.adapters] == ["test"]  # the memory adapters go, others stay
    assert model_spec(Reg(), "fast").adapters == with_ops.adapters
    assert code_version(plain) != code_version(with_ops)
    with pytest.raises(SystemExit, match="only NAME\\+prompts"):
        model_spec(Reg(), "fast+lora")


def test_a_store_version_ignores_the_answer_adapter_and_code():
    """An answer-adapter candidate reads the stores the shipped adapters built: the store version
    moves with the extract/update adapters, not with the answer adapter."""
    from pipeline_harness import code_version

    from localmem.config import AdapterSpec, load_registry

    fast = load_registry().get("fast")

    def with_adapter(operation: str, file: str):
        others = [a for a in fast.adapters if a.operation != operation]
        return fast.model_copy(update={"adapters": [*others, AdapterSpec(
            name=operation, path=Path(f"qwen2.5-coder-0.5b-instruct/{file}"), operation=operation)]})

    other_answer = with_adapter("answer", "test-tiny.gguf")
    other_extract = with_adapter("extract", "test-tiny.gguf")
    assert code_version(other_answer, store_only=True) == code_version(fast, store_only=True)
    assert code_version(other_answer) != code_version(fast)  # the answers themselves do change
    assert code_version(other_extract, store_only=True) != code_version(fast, store_only=True)


def test_probe_samples_ask_again_with_fixed_seeds_and_report_their_mean(tmp_path: Path, conv, embed, capsys):
    from pipeline_harness import probe_seed

    keys = [f"c01/{p.id}" for p in conv.probes]
    double = OddSeedDouble(conv)
    data = run(tmp_path, double, embed, "--probe-samples", "2")
    n = len(conv.probes)
    assert double.calls["answer"] == 3 * n and double.calls["extract"] == 9
    # the first pass samples as the product does (no seed); each extra sample fixes one per probe
    assert double.seeds == [None] * n + [probe_seed(k, 1) for k in keys] + [probe_seed(k, 2) for k in keys]
    assert len(set(double.seeds[n:])) == 2 * n
    r = data["results"]["fast"]
    assert data["complete"] == {"fast": True} and data["probe_samples"] == 2
    assert r["answers"]["answer_f1"] == 1.0  # the first pass is unchanged
    sampled = r["answers_sampled"]
    answerable = [k for k, p in zip(keys, conv.probes) if p.answerable]
    right = [[probe_seed(k, s) % 2 == 0 for k in answerable] for s in (1, 2)]
    assert sampled["samples"] == 2 and sampled["n_answerable"] == len(answerable)
    assert sampled["answer_f1_per_sample"] == [pytest.approx(sum(r_) / len(r_), abs=1e-4) for r_ in right]
    assert sampled["answer_f1"] == pytest.approx(sum(map(sum, right)) / (2 * len(answerable)), abs=1e-4)
    per = {p["key"]: p["f1"] for p in sampled["per_probe"] if p["answerable"]}
    assert per == {k: pytest.approx((right[0][i] + right[1][i]) / 2, abs=1e-4) for i, k in enumerate(answerable)}
    assert "seeded samples" in capsys.readouterr().out
    again = run(tmp_path, None, embed, "--probe-samples", "2")  # all from the cache
    assert again["results"]["fast"]["answers_sampled"] == sampled
    more = GoldDouble(conv, interrupt=("extract", 0))
    data = run(tmp_path, more, embed, "--probe-samples", "3")  # only the third sample runs
    assert more.calls == {"extract": 0, "update": 0, "answer": n} and more.seeds == [probe_seed(k, 3) for k in keys]
    err = capsys.readouterr().err
    assert f"c01/{conv.probes[0].id}#3" in err and "ETA ?" not in err and "ETA >=" not in err  # only probes left
    assert data["results"]["fast"]["answers_sampled"]["samples"] == 3


def test_baseline_gives_the_paired_answer_difference(tmp_path: Path, conv, embed, capsys):
    first = tmp_path / "gold.json"
    run(tmp_path / "a", GoldDouble(conv), embed, "--probe-samples", "2", "--out", str(first))
    data = run(tmp_path / "b", OddSeedDouble(conv), embed, "--probe-samples", "2", "--baseline", str(first))
    cmp = data["vs_baseline"]["results"]["fast"]
    ours = data["results"]["fast"]["answers_sampled"]
    assert cmp["answers"] == "answers_sampled" and cmp["n_probes"] == ours["n_answerable"]
    assert cmp["baseline_answer_f1"] == 1.0 and cmp["answer_f1"] == pytest.approx(ours["answer_f1"], abs=1e-4)
    assert cmp["difference"] == pytest.approx(ours["answer_f1"] - 1.0, abs=1e-4) and cmp["difference"] < 0
    assert cmp["ci95"][0] <= cmp["difference"] <= cmp["ci95"][1] <= 0 and cmp["better"] == 0 and cmp["worse"] > 0
    assert "paired over" in capsys.readouterr().out
    same = run(tmp_path / "a", None, embed, "--probe-samples", "2", "--baseline", str(first))
    assert same["vs_baseline"]["results"]["fast"]["difference"] == 0.0
    assert same["vs_baseline"]["results"]["fast"]["ci95"] == [0.0, 0.0]
    with pytest.raises(SystemExit):
        run(tmp_path / "a", None, embed, "--baseline", str(tmp_path / "missing.json"))


def test_compare_answers_uses_the_first_pass_without_samples_on_both_sides():
    from pipeline_report import compare_answers

    def result(f1s, sampled=None):
        per = [{"key": f"c/p{i}", "answerable": f is not None, "abstained": False, "f1": f} for i, f in enumerate(f1s)]
        out = {"answers": {"per_probe": per}, "answers_sampled": None}
        if sampled is not None:
            out["answers_sampled"] = {"per_probe": [dict(p, f1=f) for p, f in zip(per, sampled)]}
        return out

    a, b = result([1.0, 0.5, None], sampled=[0.0, 0.0, None]), result([0.5, 0.5, None])
    cmp = compare_answers(a, b)
    assert cmp["answers"] == "answers" and cmp["n_probes"] == 2 and cmp["difference"] == 0.25
    both = compare_answers(a, result([0.5, 0.5, None], sampled=[0.5, 0.5, None]))
    assert both["answers"] == "answers_sampled" and both["difference"] == -0.5
    assert compare_answers(a, {"answers": None, "answers_sampled": None}) is None


class NoIngestDouble(GoldDouble):
    """Answers like GoldDouble; any extraction or update call fails the test."""

    def chat(self, messages, *, adapter=None, **params):
        raise AssertionError("the store was built again for an answer-adapter candidate")


def test_an_answer_adapter_candidate_is_asked_on_the_store_already_built(tmp_path: Path, conv, embed, monkeypatch):
    from localmem.config import load_registry

    first = run(tmp_path, GoldDouble(conv), embed)
    fast = load_registry().get("fast")
    overlay = tmp_path / "candidate.toml"  # the shipped adapters, with another file as the answer adapter
    overlay.write_text("".join(
        f'[[models.fast.adapters]]\nname = "{a.name}"\noperation = "{a.operation}"\npath = "'
        f'{"qwen2.5-coder-0.5b-instruct/test-tiny.gguf" if a.operation == "answer" else a.path}"\n\n'
        for a in fast.adapters))
    monkeypatch.setenv("LOCALMEM_MODELS_TOML", str(overlay))
    candidate = NoIngestDouble(conv)
    second = run(tmp_path, candidate, embed)
    assert candidate.calls["answer"] == len(conv.probes)  # asked again: its answers are its own
    assert second["results"]["fast"]["extraction"] == first["results"]["fast"]["extraction"]
    assert second["code_versions"]["fast"]["store"] == first["code_versions"]["fast"]["store"]
    assert second["code_versions"]["fast"]["answers"] != first["code_versions"]["fast"]["answers"]
