"""The memory-adapter trainer's data handling (localmem.adapters.train); no model is loaded here."""

from __future__ import annotations

import json

import pytest

from localmem.adapters import train as tr
from localmem.adapters.synth.conversation import make_conversation
from localmem.adapters.synth.examples import examples
from localmem.adapters.train_tiny import default_base_gguf, default_cache_dir, load_tokenizer


@pytest.fixture(scope="module")
def tok():
    base = default_base_gguf()
    cached = default_cache_dir() / "tokenizer-qwen2.5-coder-0.5b-instruct-q4_k_m" / "tokenizer_config.json"
    if not cached.is_file() and not base.is_file():
        pytest.skip("needs the Qwen2.5-Coder-0.5B tokenizer (run localmem models install fast)")
    return load_tokenizer(base, default_cache_dir())


def test_loss_is_on_the_target_tokens_only(tok):
    row = examples(make_conversation(3, 0), "extract")[0]
    ids, labels = tr.encode(tok, row["messages"], row["target"])
    assert len(ids) == len(labels)
    learned = [t for t, lab in zip(ids, labels) if lab != -100]
    assert tok.decode(learned) == row["target"] + "<|im_end|>"
    prompt = tok.decode([t for t, lab in zip(ids, labels) if lab == -100])
    # the prompt is exactly the chat template the runtime applies, ending with the assistant header
    assert prompt.endswith("<|im_start|>assistant\n")
    assert "Extract memories." in prompt and row["messages"][1]["content"] in prompt
    assert all(lab == -100 for lab in labels[: len(ids) - len(learned)])


def test_examples_are_selected_without_repeats_and_reproducibly():
    rows = [{"id": f"c{i}/t", "messages": [], "target": str(i)} for i in range(50)]
    a = tr.select_examples(list(reversed(rows)), 20, seed=1)
    b = tr.select_examples(rows, 20, seed=1)
    assert [r["id"] for r in a] == [r["id"] for r in b]
    assert len({r["id"] for r in a}) == 20
    assert len(tr.select_examples(rows, 500, seed=1)) == 50


def test_extra_examples_make_up_at_most_half_a_run_and_skip_dropped_rows():
    primary = [{"id": f"c{i}/p", "messages": [], "target": "p"} for i in range(100)]
    extra = [{"id": f"g{i}/general", "messages": [], "target": "g", "kept": i % 4 != 0} for i in range(12)]
    rows = tr.mix_examples(primary, extra, 40, seed=3)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 40
    general = [i for i in ids if i.startswith("g")]
    assert len(general) == 9  # every kept teacher row (3 of 12 were dropped)
    assert not {"g0/general", "g4/general", "g8/general"} & set(general)
    assert rows == tr.mix_examples(list(reversed(primary)), extra, 40, seed=3)
    assert ids[:9] != general  # shuffled together, not appended
    few = tr.mix_examples(primary, extra, 10, seed=3)
    assert sum(r["id"].startswith("g") for r in few) == 5  # capped at half
    assert tr.mix_examples(primary, [], 10, seed=3) == tr.select_examples(primary, 10, seed=3)


def test_a_continuation_needs_the_same_lora_shape():
    from dataclasses import asdict, replace

    cfg = tr.TrainConfig(operation="extract")
    earlier = asdict(replace(cfg, steps=120, seed=1, learning_rate=1e-3))  # schedule and sample may differ
    assert tr.lora_shape_mismatch(earlier, cfg) is None
    assert "rank 8 vs 16" in tr.lora_shape_mismatch({**earlier, "rank": 8}, cfg)
    assert "operation 'update' vs 'extract'" in tr.lora_shape_mismatch({**earlier, "operation": "update"}, cfg)


def test_batches_cover_every_example_once_per_epoch_with_similar_lengths():
    cfg = tr.TrainConfig(batch_size=4, steps=10, seed=5)
    lengths = [(i * 37) % 101 for i in range(40)]
    plan = tr.batches(lengths, cfg)
    assert len(plan) == 10 and all(len(b) == 4 for b in plan)
    assert sorted(i for b in plan for i in b) == list(range(40))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in plan) / len(plan)
    assert spread < 40  # random batches of 4 from 0..100 would spread ~60
    assert tr.batches(lengths, cfg) == plan


def test_learning_rate_warms_up_then_decays_to_a_tenth():
    cfg = tr.TrainConfig(learning_rate=1e-3, warmup_steps=4, steps=24)
    lrs = [tr.lr_at(s, cfg) for s in range(1, 25)]
    assert lrs[0] == pytest.approx(2.5e-4) and lrs[3] == pytest.approx(1e-3)
    assert all(x >= y for x, y in zip(lrs[3:], lrs[4:]))
    assert lrs[-1] == pytest.approx(1e-4)


def test_progress_line_shows_eta():
    line = tr.progress_line(30, 120, 0.5, 0.6, 8.0)
    assert "step 30/120" in line and "ETA 12m00s" in line and line.startswith("[######......")


def test_data_hash_changes_with_the_data():
    rows = examples(make_conversation(3, 1), "update")
    assert tr.data_hash(rows) == tr.data_hash(json.loads(json.dumps(rows)))
    changed = [dict(rows[0], target=rows[0]["target"].replace("ADD", "NONE"))] + rows[1:]
    assert tr.data_hash(changed) != tr.data_hash(rows)


def test_command_line_refuses_bad_targets_and_missing_data(tmp_path, capsys):
    assert tr.main(["--operation", "extract", "--data-dir", str(tmp_path)]) == 2
    assert "synth.build" in capsys.readouterr().err
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "extract.jsonl").write_text("")
    if default_base_gguf().is_file():
        assert tr.main(["--operation", "extract", "--data-dir", str(tmp_path), "--targets", "q_proj,lm_head"]) == 2
        assert "unknown module(s) ['lm_head']" in capsys.readouterr().err


def test_a_checkpoint_from_before_the_precision_setting_resumes_as_fp32_only():
    from dataclasses import asdict

    from localmem.adapters.train import TrainConfig, _comparable

    old = {k: v for k, v in asdict(TrainConfig()).items() if k != "precision"}
    assert _comparable(old) == _comparable(asdict(TrainConfig(threads=1)))
    assert _comparable(old) != _comparable(asdict(TrainConfig(precision="bf16")))


def test_micro_batches_stay_within_the_token_budget_and_keep_every_example():
    rows = [([1] * n, [-100] * (n - 3) + [5, 6, 7]) for n in (500, 40, 480, 60, 510, 30, 200, 100)]
    parts = tr.micro_batches(rows, 2048)
    assert sorted(len(r[0]) for p in parts for r in p) == sorted(len(r[0]) for r in rows)
    assert all(len(p) * max(len(r[0]) for r in p) <= 2048 for p in parts)
    assert len(tr.micro_batches(rows, 10**6)) == 1  # fits: one pass
    assert len(tr.micro_batches([([1] * 900, [2] * 900)], 100)) == 1  # a single long example still runs
    assert tr.target_count([-100, -100, 4, 5]) == 2 and tr.target_count([4, -100, 5]) == 1


def test_micro_batched_gradient_equals_the_whole_batch_gradient():
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from localmem.adapters.train_tiny import answer_loss, make_batch

    torch.manual_seed(0)
    model = Qwen2ForCausalLM(Qwen2Config(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=2))
    gen = torch.Generator().manual_seed(1)
    rows = []
    for n, answer in ((9, 3), (17, 5), (6, 2), (12, 6)):
        ids = torch.randint(1, 64, (n,), generator=gen).tolist()
        rows.append((ids, [-100] * (n - answer) + ids[n - answer:]))

    model.zero_grad()
    whole = answer_loss(model, make_batch(rows, 0))
    whole.backward()
    expected = [p.grad.clone() for p in model.parameters()]

    model.zero_grad()
    accumulated = tr.backward_step(model, rows, 0, token_budget=20)
    assert len(tr.micro_batches(rows, 20)) > 1
    assert torch.allclose(accumulated, whole.detach(), atol=1e-6)
    for got, want in zip((p.grad for p in model.parameters()), expected):
        assert torch.allclose(got, want, atol=1e-5)
