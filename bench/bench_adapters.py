"""Memory adapters vs prompts, on the held-out split of the synthetic data (never trained on).

Configurations (``--configs``):

- ``0.5b-prompts``:  Qwen2.5-Coder-0.5B with the full prompts (instructions, few-shot for extract);
- ``0.5b-adapters``: the same model with the ``extract`` / ``update`` / ``answer`` LoRA adapters of
  ``adapters/qwen2.5-coder-0.5b-instruct/`` and the short prompts (an op without an adapter file
  is skipped);
- ``1.5b-prompts``:  Qwen2.5-Coder-1.5B with the full prompts (slow: ``--quality-conversations``).

Operations: ``extract`` (one call per user turn, scored with ``localmem.eval.score.score_extraction``:
matching by meaning), ``update`` (one call per update example: the candidate and its neighbours,
scored on the decision and the id it names), ``answer`` (one call per probe, ``score_answers``),
``general`` (the answer adapter on a held-out general request per conversation, never seen by the
teacher: does it still help, or does it refuse or run on? refusal and cut-off rates, reply length),
``named`` (the answer probes put about the persona by name, some about the other person: abstain),
``groupchat`` (extraction from one side of a chat between the persona and a friend, the next persona
of the split: ``adapters/synth/groupchat.py`` batches, scored by meaning against the persona's gold).
Each call records prompt / completion tokens and wall time. Results are cached per call in
``~/.cache/localmem/bench/adapters`` so an interrupted run resumes where it stopped.

    nice python bench/bench_adapters.py --split test --conversations 40 --quality-conversations 12
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from localmem.adapters import ADAPTERS_DIR  # noqa: E402
from localmem.adapters.synth.build import default_data_dir, load_conversations  # noqa: E402
from localmem.adapters.synth.conversation import Synthetic  # noqa: E402
from localmem.adapters.synth.draft import GENERATOR_VERSION  # noqa: E402
from localmem.adapters.synth.examples import answer_examples, turn_inputs, update_examples  # noqa: E402
from localmem.config import AdapterSpec  # noqa: E402
from localmem.llm import Runtime  # noqa: E402
from localmem.ops import answer as answer_op  # noqa: E402
from localmem.ops import extract as extract_op  # noqa: E402
from localmem.ops import update as update_op  # noqa: E402
from localmem.registry import load_registry  # noqa: E402
from memory_bench_common import machine  # noqa: E402

CONFIGS = {"0.5b-prompts": ("fast", False), "0.5b-adapters": ("fast", True), "1.5b-prompts": ("quality", False)}
OPS = ("extract", "update", "answer")
#: The adapter each measured op runs with; group chats have their own extract adapter (the pipeline
#: uses it for turns that name their speaker), or the one-user file where there is none.
ADAPTER_OF = {"extract": "extract", "update": "update", "answer": "answer", "general": "answer", "named": "answer",
              "groupchat": "extract-group"}
MODULE_OF = {"groupchat": "extract", "general": "answer", "named": "answer"}  # localmem/ops/<module>.py
ADAPTER_SUBDIR = "qwen2.5-coder-0.5b-instruct"
CACHE = Path("~/.cache/localmem/bench/adapters").expanduser()
RESULTS = ROOT / "bench" / "results"


SHIPPED = ADAPTERS_DIR / ADAPTER_SUBDIR
adapter_dir = SHIPPED  # --adapters-dir: a candidate's export directory instead of the shipped adapters
data_version = GENERATOR_VERSION  # the generator version of the data read (its examples are built as that version)
update_form = "compact"  # --update-form full: an update adapter trained before generator v9 answers in the full form
split_convs: list[Synthetic] = []  # the whole split, in order (groupchat: a conversation's friend is the next one)
GROUPCHAT_BATCHES = 2  # group-chat batches extracted per conversation


def adapter_file(op: str) -> Path:
    """``<adapters dir>/<op>.gguf``; for ``extract-group``, ``extract.gguf`` where the directory has
    no group file (a candidate's export directory holds the file under its training operation)."""
    path = adapter_dir / f"{op}.gguf"
    if op == "extract-group" and not path.is_file():
        return adapter_dir / "extract.gguf"
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def version(config: str, op: str, card: str) -> str:
    """Cache key: the data (and the generator version its update / answer examples are built as),
    the op's source code and (with adapters) the adapter file."""
    h = hashlib.sha256(f"{config}/{op}/{card}".encode())
    if op in ("update", "answer"):
        h.update(f"generator {data_version}".encode())
    h.update((ROOT / "localmem" / "ops" / f"{MODULE_OF.get(op, op)}.py").read_bytes())
    h.update((ROOT / "localmem" / "structured.py").read_bytes())
    if op == "general":
        h.update((ROOT / "adapters" / "synth" / "general.py").read_bytes())
    if op == "named":
        h.update((ROOT / "adapters" / "synth" / "named.py").read_bytes())
        h.update((ROOT / "localmem" / "speakers.py").read_bytes())
    if op == "groupchat":
        for name in ("groupchat.py", "facts_events.py", "examples.py"):
            h.update((ROOT / "adapters" / "synth" / name).read_bytes())
        h.update((ROOT / "localmem" / "speakers.py").read_bytes())
        h.update(f"{[c.conversation.id for c in split_convs]}".encode())
    if CONFIGS[config][1]:
        h.update(_sha(adapter_file(ADAPTER_OF[op])).encode())
        if op == "update" and update_form == "full":
            h.update(b"full form")
    return h.hexdigest()[:12]


def make_runtime(config: str, threads: int) -> Runtime:
    model, with_adapters = CONFIGS[config]
    spec = load_registry().get(model)
    adapters = [AdapterSpec(name=op, path=adapter_file(op), operation=op)
                for op in (*OPS, "extract-group") if with_adapters and adapter_file(op).is_file()]
    spec = spec.model_copy(update={"adapters": adapters})
    return Runtime(spec, n_threads=threads).load()


def full_messages(op: str, row: dict[str, Any]) -> list[dict[str, str]]:
    """The full-prompt form of a short-prompt example (same data, instructions in the prompt)."""
    messages = [dict(m) for m in row["messages"]]
    if op == "update":
        messages[0]["content"] = update_op.SYSTEM
    elif op == "answer":
        first, _, block = messages[0]["content"].partition("\n")
        today = first.removeprefix("Today is ").rstrip(".")
        messages[0]["content"] = answer_op.SYSTEM.format(today=today, memory_block=block, style="")
    return messages


def _call_extract(rt: Runtime, syn: Synthetic, adapter: str | None) -> list[dict[str, Any]]:
    out = []
    for si, session in enumerate(syn.conversation.sessions):
        for ti, turn in enumerate(session.turns):
            if turn.role != "user":
                continue
            new, context = turn_inputs(session, ti)
            t0 = time.perf_counter()
            res = extract_op.extract(rt, new, today=session.date, context=context, adapter=adapter,
                                     prompt="short" if adapter else "full")
            secs = time.perf_counter() - t0
            mems = [m.model_dump(mode="json") for m in res.value.memories] if res.ok and res.value else []
            out.append({"key": f"{syn.conversation.id}/s{si}/t{ti}", "ok": res.ok, "memories": mems,
                        "seconds": secs, **_tokens(res.attempts)})
    return out


def _call_groupchat(rt: Runtime, syn: Synthetic, adapter: str | None) -> list[dict[str, Any]]:
    """Batches of a chat between the conversation's persona and a friend (the next persona of the
    split with another first name), extracted from the persona's side as the pipeline does."""
    from localmem.adapters.synth.groupchat import first_name, groupchat_batch

    ids = [c.conversation.id for c in split_convs]
    i = ids.index(syn.conversation.id)
    friend = next(c for c in split_convs[i + 1:] + split_convs[:i] if first_name(c) != first_name(syn))
    rng = random.Random(f"groupchat-bench:{syn.conversation.id}")
    out = []
    for k in range(GROUPCHAT_BATCHES):
        batch = groupchat_batch(syn, friend, rng)
        if batch is None:
            continue
        new, context = batch.extract_input()
        t0 = time.perf_counter()
        res = extract_op.extract(rt, new, today=batch.day, context=context, adapter=adapter,
                                 prompt="short" if adapter else "full")
        secs = time.perf_counter() - t0
        mems = [m.model_dump(mode="json") for m in res.value.memories] if res.ok and res.value else []
        out.append({"key": f"{syn.conversation.id}/groupchat-{k}", "ok": res.ok, "memories": mems,
                    "gold": [m.model_dump(mode="json", exclude={"confidence"}) for m in batch.gold],
                    "friend": [m.text for m in batch.friend_facts],
                    "date": batch.day.isoformat(), "said": "\n".join(m["content"] for m in new),
                    "seconds": secs, **_tokens(res.attempts)})
    return out


def _tokens(attempts: list[Any]) -> dict[str, int]:
    return {"prompt_tokens": sum(a.stats.prompt_tokens for a in attempts),
            "completion_tokens": sum(a.stats.completion_tokens for a in attempts), "calls": len(attempts)}


def _call_update(rt: Runtime, syn: Synthetic, adapter: str | None) -> list[dict[str, Any]]:
    out = []
    for row in update_examples(syn, version=data_version):
        gold = update_op.parse_target(row["target"]).model_dump(mode="json")
        messages = row["messages"] if adapter else full_messages("update", row)
        t0 = time.perf_counter()
        res = update_op.ask(rt, messages, adapter=adapter, compact=adapter is not None and update_form == "compact")
        secs = time.perf_counter() - t0
        pred = res.value.model_dump(mode="json") if res.ok and res.value else None
        out.append({"key": row["id"], "ok": res.ok, "gold": gold, "pred": pred, "seconds": secs,
                    **_tokens(res.attempts)})
    return out


def _call_answer(rt: Runtime, syn: Synthetic, adapter: str | None, named: bool = False) -> list[dict[str, Any]]:
    from localmem.adapters.synth.named import named_answer_examples

    out = []
    rows = named_answer_examples(syn) if named else answer_examples(syn, version=data_version)
    for row in rows:
        messages = row["messages"] if adapter else full_messages("answer", row)
        t0 = time.perf_counter()
        res = rt.chat(messages, adapter=adapter, temperature=0.0, max_tokens=100)
        secs = time.perf_counter() - t0
        out.append({"key": row["id"], "ok": True, "reply": res.text.strip(), "seconds": secs,
                    "prompt_tokens": res.stats.prompt_tokens, "completion_tokens": res.stats.completion_tokens,
                    "calls": 1, **({"gold": row["target"], "question": messages[-1]["content"]} if named else {})})
    return out


def _call_named(rt: Runtime, syn: Synthetic, adapter: str | None) -> list[dict[str, Any]]:
    return _call_answer(rt, syn, adapter, named=True)


def _call_general(rt: Runtime, syn: Synthetic, adapter: str | None) -> list[dict[str, Any]]:
    from localmem.adapters.synth.general import requests
    from localmem.adapters.teacher import general_inputs, verdict

    asks = requests(7, "eval")
    index = int(syn.conversation.id.removeprefix("syn")) if syn.conversation.id.startswith("syn") else 0
    request = asks[index % len(asks)]
    full, short = general_inputs(syn, request, random.Random(f"general-eval:{syn.conversation.id}"))
    t0 = time.perf_counter()
    res = rt.chat(short if adapter else full, adapter=adapter, temperature=0.0, max_tokens=220)
    secs = time.perf_counter() - t0
    return [{"key": f"{syn.conversation.id}/general", "ok": True, "request": request, "reply": res.text.strip(),
             "dropped": verdict(res.text, res.finish_reason), "seconds": secs,
             "prompt_tokens": res.stats.prompt_tokens, "completion_tokens": res.stats.completion_tokens, "calls": 1}]


CALLS = {"extract": _call_extract, "update": _call_update, "answer": _call_answer, "general": _call_general,
         "named": _call_named, "groupchat": _call_groupchat}


def run(config: str, op: str, convs: list[Synthetic], threads: int, card: str,
        runtime: list[Runtime | None]) -> list[dict[str, Any]]:
    """Records for ``convs`` (from the cache where present), one conversation at a time."""
    cache = CACHE / f"{config}-{op}-{version(config, op, card)}.jsonl"
    done: dict[str, list[dict[str, Any]]] = {}
    if cache.is_file():
        for line in cache.read_text().splitlines():
            rec = json.loads(line)
            done[rec["conversation"]] = rec["records"]
    records = []
    for i, syn in enumerate(convs):
        cid = syn.conversation.id
        if cid not in done:
            if runtime[0] is None:
                runtime[0] = make_runtime(config, threads)
            rt = runtime[0]
            adapter = ADAPTER_OF[op] if CONFIGS[config][1] else None
            t0 = time.perf_counter()
            done[cid] = CALLS[op](rt, syn, adapter)
            cache.parent.mkdir(parents=True, exist_ok=True)
            with cache.open("a") as f:
                f.write(json.dumps({"conversation": cid, "records": done[cid]}) + "\n")
            print(f"  {config} {op} {i + 1}/{len(convs)} {cid}: {len(done[cid])} calls in "
                  f"{time.perf_counter() - t0:.1f}s", flush=True)
        records += done[cid]
    return records


def latency(records: list[dict[str, Any]]) -> dict[str, Any]:
    secs = [r["seconds"] for r in records]
    return {"calls": len(records), "mean_s": statistics.mean(secs) if secs else None,
            "p50_s": statistics.median(secs) if secs else None,
            "p90_s": sorted(secs)[int(0.9 * (len(secs) - 1))] if secs else None,
            "prompt_tokens_mean": statistics.mean(r["prompt_tokens"] for r in records) if records else None,
            "completion_tokens_mean": statistics.mean(r["completion_tokens"] for r in records) if records else None,
            "failed": sum(not r["ok"] for r in records)}


def score(op: str, records: list[dict[str, Any]], convs: list[Synthetic], embed: Any) -> dict[str, Any]:
    from localmem.eval.score import is_abstention, score_answers, score_extraction

    if op in ("extract", "groupchat"):
        turns = ([t for s in convs for t in s.conversation.user_turns()] if op == "extract"
                 else groupchat_turns(records))
        s = score_extraction(turns, {r["key"]: r["memories"] for r in records}, embed)
        out = {"precision": s.precision, "recall": s.recall, "f1": s.f1, "kind_accuracy": s.kind_accuracy,
               "category_accuracy": s.category_accuracy, "date_accuracy": s.date_accuracy,
               "small_talk_fp_rate": s.small_talk_fp_rate, "n_gold": s.n_gold, "n_predicted": s.n_predicted}
        if op == "groupchat":
            out["about_friend"], out["about_friend_echoed"] = about_friend(s, records, embed)
        return out
    if op == "update":
        by_class: dict[str, list[int]] = {}
        exact = event_ok = 0
        for r in records:
            g, p = r["gold"], r["pred"] or {"event": "ADD", "id": None}
            ok_event = g["event"] == p["event"]
            ok = ok_event and (g["event"] == "ADD" or g["id"] == p["id"])
            event_ok += ok_event
            exact += ok
            by_class.setdefault(g["event"], []).append(ok)
        n = len(records)
        return {"accuracy": exact / n if n else None, "event_accuracy": event_ok / n if n else None,
                "per_class_recall": {k: sum(v) / len(v) for k, v in sorted(by_class.items())},
                "n": n, "gold_counts": {k: len(v) for k, v in sorted(by_class.items())}}
    if op == "general":
        n = len(records)
        return {"refusal_rate": sum(bool(r["dropped"]) and r["dropped"].startswith("refusal") for r in records) / n,
                "cut_off_rate": sum(bool(r["dropped"]) and r["dropped"].startswith("cut off") for r in records) / n,
                "empty_rate": sum(r["dropped"] == "empty" for r in records) / n, "n": n,
                "examples": [{"request": r["request"], "reply": r["reply"][:300]} for r in records[:4]]}
    if op == "named":
        return score_named(records, convs)
    replies = {r["key"]: r["reply"] for r in records}
    s = score_answers([c.conversation for c in convs], replies)
    # near misses (generator v7): unanswerable next to a memory on the same subject
    near = [replies[k] for c in convs for p in c.conversation.probes
            if p.related and (k := f"{c.conversation.id}/{p.id}") in replies]
    return {"answer_f1": s.answer_f1, "false_abstention_rate": s.false_abstention_rate,
            "abstention_rate": s.abstention_rate, "n_answerable": s.n_answerable, "n_unanswerable": s.n_unanswerable,
            "near_miss_abstention_rate": sum(map(is_abstention, near)) / len(near) if near else None,
            "n_near_miss": len(near)}


def about_friend(scores: Any, records: list[dict[str, Any]], embed: Any) -> tuple[int, int]:
    """How many of the speaker's spurious memories are a fact the friend told in that batch (stored
    as the speaker's: "User lives in Porto" when the friend lives there), matched by meaning as the
    gold is; and how many of those the speaker had said back ("Wait, you live in Porto?")."""
    from localmem.adapters.synth.groupchat import echo_of
    from localmem.eval.match import embed_unique, match_one_to_one

    by_key = {r["key"]: r for r in records}
    batches = [(by_key[t.key].get("friend", []), [c.text for c in t.spurious], by_key[t.key]["said"])
               for t in scores.turns]
    vectors = embed_unique(embed, [x for facts, spurious, _ in batches for x in (*facts, *spurious)])
    found = echoed = 0
    for facts, spurious, said in batches:
        for m in match_one_to_one(facts, spurious, vectors):
            found += 1
            echoed += echo_of(facts[m.gold]) in said
    return found, echoed


def groupchat_turns(records: list[dict[str, Any]]) -> list[Any]:
    """The group-chat batches as labelled turns (what the speaker said, their gold), for
    ``score_extraction``."""
    from datetime import date

    from localmem.eval.devset import GoldMemory, LabelledTurn

    return [LabelledTurn(r["key"], r["key"].split("/")[0], 0, k, date.fromisoformat(r["date"]), r["said"], (),
                         tuple(GoldMemory(id=f"g{j}", **g) for j, g in enumerate(r["gold"])))
            for k, r in enumerate(records)]


def score_named(records: list[dict[str, Any]], convs: list[Synthetic]) -> dict[str, Any]:
    """Named-person probes: token F1 of the answerable ones against the memory as stored, how often
    they abstain, and how often the unanswerable and the swapped ones (asked about the other person)
    do."""
    from localmem.adapters.synth.named import is_abstain_target
    from localmem.eval.score import is_abstention, token_f1

    firsts = {c.conversation.id: c.conversation.persona.name.split()[0] for c in convs}
    answerable, unanswerable, swapped = [], [], []
    for r in records:
        if not is_abstain_target(r["gold"]):
            answerable.append(r)
        elif re.search(rf"\b{re.escape(firsts[r['key'].split('/')[0]])}\b", r["question"]):
            unanswerable.append(r)
        else:
            swapped.append(r)

    def rate(rows: list[dict[str, Any]]) -> float | None:
        return sum(is_abstention(r["reply"]) for r in rows) / len(rows) if rows else None

    return {"answer_f1": statistics.mean(token_f1(r["reply"], r["gold"]) for r in answerable) if answerable else None,
            "false_abstention_rate": rate(answerable), "abstention_rate": rate(unanswerable),
            "swapped_abstention_rate": rate(swapped), "n_answerable": len(answerable),
            "n_unanswerable": len(unanswerable), "n_swapped": len(swapped),
            "examples": [{"question": r["question"], "gold": r["gold"], "reply": r["reply"]} for r in records[:6]]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", type=Path, default=default_data_dir(7, 1500))
    p.add_argument("--split", default="test", choices=("dev", "test", "devset"),
                   help="a held-out synthetic split, or the hand-written evaluation set bench/data/devset.json")
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--ops", default="extract,update,answer,general",
                   help="extract,update,answer,general (named: answer probes about people by name; groupchat: "
                        "extraction from one side of a chat between two named friends)")
    p.add_argument("--conversations", type=int, default=40, help="first N conversations of the split")
    p.add_argument("--quality-conversations", type=int, default=12, help="first N for the slow 1.5B")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, help="default: bench/results/adapters[-dev].json")
    p.add_argument("--adapters-dir", type=Path, default=SHIPPED,
                   help="where the 0.5b-adapters files are (e.g. a candidate exported with train.py --out-dir)")
    p.add_argument("--update-form", choices=("compact", "full"), default="compact",
                   help="full: the update adapter answers in the full JSON object (trained before generator v9)")
    p.add_argument("--record-manifest", action="store_true",
                   help="store the 0.5b-adapters scores of this split in the adapters' manifest entries")
    args = p.parse_args(argv)
    global adapter_dir, data_version, update_form
    adapter_dir = args.adapters_dir
    update_form = args.update_form
    if args.record_manifest and adapter_dir.resolve() != SHIPPED.resolve():
        p.error("--record-manifest records the shipped adapters' scores: drop --adapters-dir")

    if args.split == "devset":
        from localmem.eval.devset import DEFAULT_PATH, load_devset

        card = _sha(Path(DEFAULT_PATH))
        data_version = GENERATOR_VERSION  # the hand-written set's blocks are built as the newest generator
        convs = [Synthetic(c, "devset") for c in load_devset().conversations]
    else:
        card = _sha(args.data_dir / "card.json")
        data_version = json.loads((args.data_dir / "card.json").read_text())["generator_version"]
        convs = sorted(load_conversations(args.data_dir, args.split), key=lambda s: s.conversation.id)
    split_convs[:] = convs
    from localmem.embed import Embedder

    embed = Embedder.default().embed
    load_start = os.getloadavg()
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    results: dict[str, Any] = {}
    for config in args.configs.split(","):
        n = args.quality_conversations if config.startswith("1.5b") else args.conversations
        subset = convs[:n]
        runtime: list[Runtime | None] = [None]
        results[config] = {"conversations": len(subset)}
        for op in args.ops.split(","):
            if CONFIGS[config][1] and not adapter_file(ADAPTER_OF[op]).is_file():
                print(f"  {config} {op}: no adapter file {adapter_file(ADAPTER_OF[op])}, skipped")
                continue
            records = run(config, op, subset, args.threads, card, runtime)
            results[config][op] = {"scores": score(op, records, subset, embed), "latency": latency(records)}
        if runtime[0] is not None:
            runtime[0].close()
    out = {"benchmark": "memory adapters vs prompts (synthetic held-out split)", "split": args.split,
           "data_dir": str(args.data_dir).replace(str(Path.home()), "~"), "data_card_sha256": card,
           "threads": args.threads, "started": started,
           "finished": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "load_average_start": load_start, "load_average_end": os.getloadavg(),
           "machine": machine(),
           "adapters_dir": str(adapter_dir).replace(str(Path.home()), "~"),
           "adapters": {op: _sha(adapter_file(op)) for op in OPS if adapter_file(op).is_file()},
           "results": results}
    path = args.out or RESULTS / ("adapters.json" if args.split == "test" else f"adapters-{args.split}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(table(results))
    print(f"wrote {path}")
    if args.record_manifest and "0.5b-adapters" in results:
        record_metrics(results["0.5b-adapters"], args.split, card)
    return 0


def record_metrics(result: dict[str, Any], split: str, card: str) -> None:
    """Write ``<split>_metrics`` into each evaluated adapter's manifest entry (the file is unchanged)."""
    from localmem.adapters.export_gguf import load_manifest, save_manifest

    path = ADAPTERS_DIR / ADAPTER_SUBDIR / "manifest.json"
    manifest = load_manifest(path)
    for op in (*OPS, "groupchat"):
        entry = ADAPTER_OF[op]
        if op in result and entry in manifest["adapters"]:
            manifest["adapters"][entry][f"{split}_metrics"] = {
                "conversations": result["conversations"], "data_card_sha256": card,
                "scores": result[op]["scores"], "prompt_tokens_mean": result[op]["latency"]["prompt_tokens_mean"],
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    save_manifest(path, manifest)


def _fmt(v: Any, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{100 * v:.1f}" if pct else f"{v:.2f}"


def table(results: dict[str, Any]) -> str:
    rows = ["| config | conv. | extract P / R / F1 | small talk FP | update acc. | answer F1 / false abst. / abstains / near misses | "
            "general: refused / cut off | prompt tok (ext/upd/ans) | s per call (ext/upd/ans) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for config, r in results.items():
        e, u, a = r.get("extract"), r.get("update"), r.get("answer")
        ext = (f"{_fmt(e['scores']['precision'], True)} / {_fmt(e['scores']['recall'], True)} / "
               f"**{_fmt(e['scores']['f1'], True)}**") if e else "-"
        fp = _fmt(e["scores"]["small_talk_fp_rate"], True) if e else "-"
        upd = _fmt(u["scores"]["accuracy"], True) if u else "-"
        ans = " / ".join(_fmt(a["scores"].get(k), True) for k in (
            "answer_f1", "false_abstention_rate", "abstention_rate", "near_miss_abstention_rate")) if a else "-"
        g = r.get("general")
        gen = f"{_fmt(g['scores']['refusal_rate'], True)} / {_fmt(g['scores']['cut_off_rate'], True)}" if g else "-"
        tok = " / ".join(f"{x['latency']['prompt_tokens_mean']:.0f}" if x else "-" for x in (e, u, a))
        sec = " / ".join(_fmt(x["latency"]["mean_s"]) if x else "-" for x in (e, u, a))
        rows.append(f"| {config} | {r['conversations']} | {ext} | {fp} | {upd} | {ans} | {gen} | {tok} | {sec} |")
    chats = {c: r["groupchat"] for c, r in results.items() if r.get("groupchat")}
    if chats:
        rows += ["", "| config | group chat: extract P / R / F1 | chat-only batches with output | memories gold / "
                 "predicted | predicted that are the friend's facts | s per call |", "|---|---|---|---|---|---|"]
        for config, g in chats.items():
            sc = g["scores"]
            rows.append(f"| {config} | {_fmt(sc['precision'], True)} / {_fmt(sc['recall'], True)} / "
                        f"**{_fmt(sc['f1'], True)}** | {_fmt(sc['small_talk_fp_rate'], True)} | {sc['n_gold']} / "
                        f"{sc['n_predicted']} | {sc.get('about_friend', '-')} ({sc.get('about_friend_echoed', '-')} "
                        f"said back by the speaker) | {_fmt(g['latency']['mean_s'])} |")
    named = {c: r["named"] for c, r in results.items() if r.get("named")}
    if named:
        rows += ["", "| config | named: answer F1 / false abst. / abstains / abstains when asked about the other "
                 "person | n (answerable / unanswerable / swapped) |", "|---|---|---|"]
        for config, n in named.items():
            sc = n["scores"]
            vals = " / ".join(_fmt(sc.get(k), True) for k in ("answer_f1", "false_abstention_rate", "abstention_rate",
                                                               "swapped_abstention_rate"))
            rows.append(f"| {config} | {vals} | {sc['n_answerable']} / {sc['n_unanswerable']} / {sc['n_swapped']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    raise SystemExit(main())
