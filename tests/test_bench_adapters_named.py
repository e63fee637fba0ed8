"""bench_adapters' score for named-person probes (``--ops named``): answers, abstentions, swaps."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_adapters  # noqa: E402

from localmem.adapters.synth.conversation import make_conversation  # noqa: E402
from localmem.adapters.synth.named import named_answer_examples  # noqa: E402


def _records(convs, reply):
    return [{"key": r["id"], "gold": r["target"], "question": r["messages"][-1]["content"], "reply": reply(r)}
            for s in convs for r in named_answer_examples(s)]


def test_score_named_counts_answers_abstentions_and_swaps():
    convs = [make_conversation(7, i, 5) for i in range(30)]
    perfect = bench_adapters.score_named(_records(convs, lambda r: r["target"]), convs)
    assert perfect["answer_f1"] == 1.0 and perfect["false_abstention_rate"] == 0.0
    assert perfect["abstention_rate"] == 1.0 and perfect["swapped_abstention_rate"] == 1.0
    assert min(perfect["n_answerable"], perfect["n_unanswerable"], perfect["n_swapped"]) > 0
    never = bench_adapters.score_named(_records(convs, lambda r: "Tom lives in Lyon."), convs)
    assert never["abstention_rate"] == 0.0 and never["swapped_abstention_rate"] == 0.0
    assert never["answer_f1"] < 0.2


def test_groupchat_extracts_the_speakers_side_and_scores_it_against_their_gold():
    """``--ops groupchat``: one extract call per batch, from the persona's side (their turns are the
    new ones), scored by meaning against the persona's gold only."""
    from localmem.embed import Embedder
    from tests.test_pipeline import AdapterRuntime

    convs = [make_conversation(7, i) for i in range(6)]
    bench_adapters.split_convs[:] = convs
    rt = AdapterRuntime(["[]"] * (len(convs) * bench_adapters.GROUPCHAT_BATCHES))
    records = [r for s in convs for r in bench_adapters._call_groupchat(rt, s, "extract")]
    assert len(records) == len(rt.calls) > len(convs)
    for (_, messages), r in zip(rt.calls, records):
        new = messages[-1]["content"].split("\nNEW:\n")[1]
        assert "\nassistant: " not in new and new.count("user: ") == 2
        assert new.startswith("user: " + r["said"][:12])  # (the prompt annotates relative dates)
    embed = Embedder.default().embed
    perfect = bench_adapters.score("groupchat", [dict(r, memories=r["gold"]) for r in records], convs, embed)
    assert perfect["f1"] == 1.0 and perfect["n_gold"] > 0 and not perfect["small_talk_fp_rate"]
    silent = bench_adapters.score("groupchat", records, convs, embed)
    assert silent["recall"] == 0.0 and silent["n_predicted"] == 0 and silent["about_friend"] == 0
    # storing the friend's news as the speaker's: counted as about the friend, and as precision lost
    confused = [dict(r, memories=r["gold"] + [{"text": f} for f in r["friend"]]) for r in records]
    n_friend = sum(len(r["friend"]) for r in records)
    assert n_friend > 0
    mixed = bench_adapters.score("groupchat", confused, convs, embed)
    assert mixed["recall"] == 1.0 and mixed["precision"] < 1.0
    assert mixed["about_friend"] == mixed["n_predicted"] - mixed["n_gold"] == n_friend
    from localmem.adapters.synth.groupchat import echo_of

    said_back = sum(echo_of(f) in r["said"] for r in records for f in r["friend"])
    assert mixed["about_friend_echoed"] == said_back and 0 < said_back <= n_friend


def test_group_chats_run_with_the_group_extract_adapter_or_the_one_user_file(tmp_path: Path, monkeypatch):
    """``--ops groupchat`` measures the adapter the pipeline uses for named turns: ``extract-group``,
    or ``extract.gguf`` where a directory has no group file (a candidate's export directory); its
    scores go to the manifest's ``extract-group`` entry."""
    assert bench_adapters.ADAPTER_OF["groupchat"] == "extract-group"
    monkeypatch.setattr(bench_adapters, "adapter_dir", tmp_path)
    (tmp_path / "extract.gguf").write_bytes(b"one-user")
    assert bench_adapters.adapter_file("extract-group") == tmp_path / "extract.gguf"
    (tmp_path / "extract-group.gguf").write_bytes(b"group")
    assert bench_adapters.adapter_file("extract-group") == tmp_path / "extract-group.gguf"
    assert bench_adapters.adapter_file("update") == tmp_path / "update.gguf"
    card = "c" * 64
    assert bench_adapters.version("0.5b-adapters", "groupchat", card) != \
        bench_adapters.version("0.5b-adapters", "extract", card)
    manifest = tmp_path / bench_adapters.ADAPTER_SUBDIR / "manifest.json"
    manifest.parent.mkdir()
    entries = {"extract": {"operation": "extract"}, "extract-group": {"operation": "extract-group"}}
    manifest.write_text(json.dumps({"base_model": {"name": "b", "sha256": "0" * 64}, "adapters": entries}))
    monkeypatch.setattr(bench_adapters, "ADAPTERS_DIR", tmp_path)
    result = {"conversations": 2, **{op: {"scores": {"f1": f1}, "latency": {"prompt_tokens_mean": 9}}
                                     for op, f1 in (("extract", 0.9), ("groupchat", 0.8))}}
    bench_adapters.record_metrics(result, "dev", card)
    written = json.loads(manifest.read_text())["adapters"]
    assert written["extract"]["dev_metrics"]["scores"] == {"f1": 0.9}
    assert written["extract-group"]["dev_metrics"]["scores"] == {"f1": 0.8}
