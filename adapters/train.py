"""Train one memory adapter (extract, update or answer) on the synthetic data, with checkpoints.

    nohup nice -n 5 python -m localmem.adapters.train --operation extract > extract.log 2>&1 &

peft LoRA on Qwen2.5-Coder-0.5B-Instruct loaded (dequantized, float32) from its Q4_K_M GGUF; loss on
the output tokens only (the prompt is masked); a linear warm-up then linear decay of the learning
rate; distinct training examples, each seen once unless ``--steps`` asks for more than the sample
holds. A checkpoint (LoRA weights, optimizer state, step, losses) is written every
``--checkpoint-every`` steps and the run resumes from it automatically (``--fresh`` starts over).
One progress line per step with the running loss, seconds per step and ETA.

At the end the adapter is exported to ``adapters/<base>/<operation>.gguf`` (f16) and recorded in
the ``manifest.json`` beside it with the hyperparameters, the data hashes and the losses.
Examples are built by ``python -m localmem.adapters.synth.build`` first.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from localmem.adapters import ADAPTERS_DIR
from localmem.adapters.export_gguf import export_peft_to_gguf, sha256_file
from localmem.adapters.synth.build import default_data_dir, read_jsonl
from localmem.adapters.train_tiny import (
    ADAPTER_SUBDIR, BASE_SHA256, answer_loss, default_base_gguf, default_cache_dir, load_tokenizer, make_batch,
)

OPERATIONS = ("extract", "update", "answer")
ALL_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters (recorded in the manifest)."""

    operation: str = "extract"
    rank: int = 16
    lora_alpha: float = 32.0
    target_modules: tuple[str, ...] = ALL_MODULES
    layers: tuple[int, ...] = ()       # decoder layers that get LoRA (empty: all)
    learning_rate: float = 3e-4
    warmup_steps: int = 8
    batch_size: int = 8
    steps: int = 150
    max_tokens: int = 512
    seed: int = 1234
    threads: int = 2
    weight_decay: float = 0.0
    precision: str = "fp32"            # "bf16": matmuls under bfloat16 autocast (LoRA weights stay fp32)


def parse_layers(spec: str) -> tuple[int, ...]:
    """"12-23" or "0,2,4" or "" (all layers) -> sorted layer indexes."""
    out: set[int] = set()
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise ValueError(f"expected layer numbers like 12-23 or 0,2,4, got {spec!r}")
        a, b = int(lo), int(hi or lo)
        if a > b:
            raise ValueError(f"empty range {part!r}")
        out.update(range(a, b + 1))
    return tuple(sorted(out))


def encode(tok: Any, messages: Sequence[dict[str, str]], target: str) -> tuple[list[int], list[int]]:
    """Token ids and labels of one example: the chat prompt (masked) then the target and <|im_end|>."""
    prompt = tok.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tok(target + "<|im_end|>", add_special_tokens=False)["input_ids"]
    return prompt_ids + answer_ids, [-100] * len(prompt_ids) + answer_ids


def select_examples(rows: list[dict[str, Any]], n: int, seed: int) -> list[dict[str, Any]]:
    """A seeded sample of ``n`` distinct examples (all of them when there are fewer)."""
    rows = sorted(rows, key=lambda r: r["id"])
    random.Random(seed).shuffle(rows)
    return rows[:n]


def mix_examples(primary: list[dict[str, Any]], extra: list[dict[str, Any]], n: int,
                 seed: int) -> list[dict[str, Any]]:
    """``n`` examples: the kept ``extra`` rows (at most half of ``n``) plus a seeded sample of
    ``primary`` for the rest, shuffled together. Without extra rows: ``select_examples``."""
    kept = [r for r in extra if r.get("kept", True)]
    if not kept:
        return select_examples(primary, n, seed)
    chosen = select_examples(kept, n // 2, seed) + select_examples(primary, n - min(len(kept), n // 2), seed)
    chosen = sorted(chosen, key=lambda r: r["id"])
    random.Random(seed + 1).shuffle(chosen)
    return chosen


def batches(lengths: Sequence[int], cfg: TrainConfig) -> list[list[int]]:
    """Seeded batches of indices for ``cfg.steps`` steps; similar lengths share a batch (less padding)."""
    rng = random.Random(cfg.seed)
    out: list[list[int]] = []
    while len(out) < cfg.steps:
        order = list(range(len(lengths)))
        rng.shuffle(order)
        chunk = cfg.batch_size * 8
        for i in range(0, len(order), chunk):  # sort within chunks of 8 batches, then shuffle the batches
            part = sorted(order[i:i + chunk], key=lambda j: lengths[j])
            group = [part[k:k + cfg.batch_size] for k in range(0, len(part), cfg.batch_size)]
            rng.shuffle(group)
            out += group
    return out[: cfg.steps]


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up to ``learning_rate``, then linear decay to 10% of it at the last step."""
    if step <= cfg.warmup_steps:
        return cfg.learning_rate * step / max(cfg.warmup_steps, 1)
    frac = (step - cfg.warmup_steps) / max(cfg.steps - cfg.warmup_steps, 1)
    return cfg.learning_rate * (1.0 - 0.9 * frac)


def progress_line(step: int, total: int, loss: float, avg: float, sec_per_step: float) -> str:
    width = 24
    done = int(width * step / total)
    eta = sec_per_step * (total - step)
    return (f"[{'#' * done}{'.' * (width - done)}] step {step}/{total} loss {loss:.4f} (avg10 {avg:.4f}) "
            f"{sec_per_step:.1f} s/step ETA {int(eta // 60)}m{int(eta % 60):02d}s")


def data_hash(rows: Sequence[dict[str, Any]]) -> str:
    blob = "\n".join(json.dumps({"m": r["messages"], "t": r["target"]}, sort_keys=True, ensure_ascii=False)
                     for r in rows)
    return hashlib.sha256(blob.encode()).hexdigest()


def _comparable(config: dict[str, Any]) -> dict[str, Any]:
    """The settings a checkpoint must share with the run resuming it (thread count may differ)."""
    config = {"precision": "fp32", **config}  # checkpoints from before the setting existed were fp32
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in config.items() if k != "threads"}


def method(cfg: TrainConfig) -> str:
    """How the adapter was trained, as the manifest records it."""
    autocast = ", bfloat16 autocast matmuls" if cfg.precision == "bf16" else ""
    return f"peft LoRA on the dequantized GGUF base (float32 weights{autocast}); loss on output tokens only"


def target_count(labels: Sequence[int]) -> int:
    """How many tokens of an example the loss is on (every labelled token but the first position)."""
    return sum(1 for lab in labels[1:] if lab != -100)


def micro_batches(rows: Sequence[tuple[list[int], list[int]]], token_budget: int) -> list[list[tuple[list[int], list[int]]]]:
    """Split a step's examples into parts whose padded size (rows x longest) stays within
    ``token_budget``: the activations of a batch of 8 examples of 500 tokens need more than 18 GB in
    float32, which a 24 GB machine cannot hold beside anything else. One part when it fits."""
    parts: list[list[tuple[list[int], list[int]]]] = [[]]
    for row in sorted(rows, key=lambda r: len(r[0])):
        candidate = parts[-1] + [row]
        if parts[-1] and len(candidate) * max(len(r[0]) for r in candidate) > token_budget:
            parts.append([row])
        else:
            parts[-1] = candidate
    return parts


def backward_step(causal_lm: Any, rows: Sequence[tuple[list[int], list[int]]], pad_id: int, *,
                  token_budget: int, bf16: bool = False) -> Any:
    """Accumulate the gradient of one step's loss (the mean over all its target tokens) micro-batch
    by micro-batch: the same gradient as one pass over the whole batch, with a fraction of the
    activation memory. Returns the step's loss (a detached tensor)."""
    import torch

    n_targets = sum(target_count(lab) for _, lab in rows)
    total = torch.zeros(())
    for part in micro_batches(rows, token_budget):
        share = sum(target_count(lab) for _, lab in part) / n_targets
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            part_loss = answer_loss(causal_lm, make_batch(part, pad_id)) * share
        part_loss.backward()
        total += part_loss.detach().float()
    return total


LORA_SHAPE = ("operation", "rank", "lora_alpha", "target_modules", "layers")


def lora_shape_mismatch(earlier: dict[str, Any], cfg: TrainConfig) -> str | None:
    """Why an earlier run's LoRA weights cannot seed this run (None when they can)."""
    def norm(v: Any) -> Any:
        return list(v) if isinstance(v, (tuple, list)) else v

    ours = asdict(cfg)
    diff = [f"{k} {norm(earlier.get(k))!r} vs {norm(ours[k])!r}" for k in LORA_SHAPE
            if norm(earlier.get(k)) != norm(ours[k])]
    return ("made with other LoRA settings: " + "; ".join(diff)) if diff else None


def train(cfg: TrainConfig, rows: list[dict[str, Any]], base_gguf: Path, work: Path, *, fresh: bool = False,
          checkpoint_every: int = 10, token_budget: int = 2048, init_from: Path | None = None) -> dict[str, Any]:
    """Train (resuming from ``work/checkpoint.pt`` when present) and save the peft adapter in ``work/peft``.

    ``init_from``: the checkpoint of an earlier run of the same LoRA shape whose weights this run
    starts from (a continuation: fresh optimizer and schedule, its own sample of examples), or the
    GGUF adapter that run was exported to (its history is read from the manifest beside it)."""
    import torch
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    tok = load_tokenizer(base_gguf, default_cache_dir())
    encoded = [encode(tok, r["messages"], r["target"]) for r in rows]
    kept = [i for i, (ids, _) in enumerate(encoded) if len(ids) <= cfg.max_tokens]
    dropped = len(encoded) - len(kept)
    encoded = [encoded[i] for i in kept]
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    plan = batches([len(ids) for ids, _ in encoded], cfg)

    t0 = time.monotonic()
    model = AutoModelForCausalLM.from_pretrained(base_gguf.parent, gguf_file=base_gguf.name, dtype=torch.float32)
    load_s = time.monotonic() - t0
    lora = LoraConfig(r=cfg.rank, lora_alpha=cfg.lora_alpha, target_modules=list(cfg.target_modules),
                      lora_dropout=0.0, bias="none", task_type="CAUSAL_LM", modules_to_save=None,
                      layers_to_transform=list(cfg.layers) or None, layers_pattern="layers" if cfg.layers else None)
    model = get_peft_model(model, lora)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)

    ckpt_path = work / "checkpoint.pt"
    losses: list[float] = []
    start, spent = 0, 0.0
    init_info = None
    if init_from is not None and init_from.suffix == ".gguf" and not (ckpt_path.is_file() and not fresh):
        init_info = _load_adapter_file(model, init_from, cfg)
    elif init_from is not None and not (ckpt_path.is_file() and not fresh):
        earlier = torch.load(init_from, weights_only=False)
        mismatch = lora_shape_mismatch(earlier["config"], cfg)
        if mismatch:
            raise SystemExit(f"--init-from {init_from}: {mismatch}")
        set_peft_model_state_dict(model, earlier["lora"])
        init_info = {"checkpoint_sha256": sha256_file(init_from), "step": earlier["step"],
                     "data_sha256": earlier["data_sha256"], "config": earlier["config"],
                     "final_loss_avg10": round(sum(earlier["losses"][-10:]) / len(earlier["losses"][-10:]), 4),
                     "init_from": earlier.get("init_from")}  # the whole chain of continued runs
        print(f"starting from the weights of {init_from} (step {earlier['step']})", flush=True)
    if ckpt_path.is_file() and not fresh:
        ckpt = torch.load(ckpt_path, weights_only=False)
        if _comparable(ckpt["config"]) != _comparable(asdict(cfg)) or ckpt["data_sha256"] != data_hash(rows):
            raise SystemExit(f"{ckpt_path} was made with other settings or data; pass --fresh to start over")
        set_peft_model_state_dict(model, ckpt["lora"])
        optim.load_state_dict(ckpt["optimizer"])
        start, losses, spent = ckpt["step"], ckpt["losses"], ckpt["seconds"]
        init_info = ckpt.get("init_from")
        print(f"resumed from {ckpt_path} at step {start}", flush=True)

    t1 = time.monotonic() - spent
    for step in range(start + 1, cfg.steps + 1):
        for group in optim.param_groups:
            group["lr"] = lr_at(step, cfg)
        loss = backward_step(model.get_base_model(), [encoded[i] for i in plan[step - 1]], pad_id,
                             token_budget=token_budget, bf16=cfg.precision == "bf16")
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        optim.zero_grad(set_to_none=True)
        losses.append(round(loss.item(), 4))
        elapsed = time.monotonic() - t1
        recent = losses[-10:]
        print(progress_line(step, cfg.steps, losses[-1], sum(recent) / len(recent),
                            (elapsed - spent) / (step - start)), flush=True)
        if step % checkpoint_every == 0 or step == cfg.steps:
            work.mkdir(parents=True, exist_ok=True)
            tmp = work / "checkpoint.pt.tmp"
            torch.save({"config": asdict(cfg), "data_sha256": data_hash(rows), "step": step, "losses": losses,
                        "init_from": init_info,
                        "seconds": elapsed, "lora": get_peft_model_state_dict(model),
                        "optimizer": optim.state_dict()}, tmp)
            tmp.replace(ckpt_path)
    train_s = time.monotonic() - t1
    model.save_pretrained(work / "peft")

    import peft
    import transformers

    return {
        "method": method(cfg),
        "base_file": base_gguf.name,
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()},
        "lora_dropout": 0.0, "optimizer": "AdamW", "schedule": "linear warm-up, linear decay to 10%",
        "grad_clip": 1.0,
        "trainable_parameters": sum(p.numel() for p in params),
        "init_from": init_info,
        "n_examples": len(encoded), "dropped_too_long": dropped,
        "data_sha256": data_hash(rows),
        "first_loss": losses[0], "final_loss": losses[-1],
        "final_loss_avg10": round(sum(losses[-10:]) / len(losses[-10:]), 4), "losses": losses,
        "load_seconds": round(load_s, 1), "train_seconds": round(train_s, 1),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _load_adapter_file(model: Any, path: Path, cfg: TrainConfig) -> dict[str, Any]:
    """Set the peft model's LoRA weights from a GGUF adapter; return the run's ``init_from`` record."""
    import torch
    from peft import set_peft_model_state_dict

    from .import_gguf import manifest_history, read_lora_gguf, shape_mismatch

    try:
        lora = read_lora_gguf(path)
    except ValueError as exc:
        raise SystemExit(f"--init-from {path}: {exc}") from None
    n_layers = model.get_base_model().config.num_hidden_layers
    mismatch = shape_mismatch(lora, rank=cfg.rank, lora_alpha=cfg.lora_alpha, target_modules=cfg.target_modules,
                              layers=cfg.layers or tuple(range(n_layers)))
    if mismatch:
        raise SystemExit(f"--init-from {path}: {mismatch}")
    record = manifest_history(path)
    operation = (record.get("config") or {}).get("operation", cfg.operation)
    if operation != cfg.operation:
        raise SystemExit(f"--init-from {path}: an adapter for {operation!r}; this run trains {cfg.operation!r}")
    result = set_peft_model_state_dict(model, {k: torch.from_numpy(v) for k, v in lora.state.items()})
    unexpected = getattr(result, "unexpected_keys", None) or []
    if unexpected:
        raise SystemExit(f"--init-from {path}: tensors the model does not have: {unexpected[:3]}")
    where = f"step {record['step']}" if record.get("step") is not None else "no manifest entry"
    print(f"starting from the weights of {path} ({where})", flush=True)
    return record


def peft_dir_from_checkpoint(cfg: TrainConfig, ckpt_path: Path, out: Path) -> dict[str, Any]:
    """Write a peft adapter directory from a checkpoint without loading the base model.

    Used to export a run stopped early (``--export-checkpoint``): the LoRA weights at the last
    checkpoint, with the learning-rate schedule cut short where it stood.
    """
    import torch
    from peft import LoraConfig
    from safetensors.torch import save_file

    ckpt = torch.load(ckpt_path, weights_only=False)
    if _comparable(ckpt["config"]) != _comparable(asdict(cfg)):
        raise SystemExit(f"{ckpt_path} was made with other settings: {ckpt['config']}")
    lora = LoraConfig(r=cfg.rank, lora_alpha=cfg.lora_alpha, target_modules=list(cfg.target_modules),
                      lora_dropout=0.0, bias="none", task_type="CAUSAL_LM", modules_to_save=None,
                      layers_to_transform=list(cfg.layers) or None, layers_pattern="layers" if cfg.layers else None)
    out.mkdir(parents=True, exist_ok=True)
    lora.save_pretrained(out)
    save_file({k: v.contiguous() for k, v in ckpt["lora"].items()}, out / "adapter_model.safetensors")
    return ckpt


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    d = TrainConfig()
    p = argparse.ArgumentParser(prog="python -m localmem.adapters.train", description=__doc__.split("\n")[0])
    p.add_argument("--operation", required=True, choices=OPERATIONS)
    p.add_argument("--data-dir", type=Path, default=default_data_dir(7, 1500), help="output of synth.build")
    p.add_argument("--base-gguf", type=Path, default=default_base_gguf())
    p.add_argument("--out-dir", type=Path, default=ADAPTERS_DIR / ADAPTER_SUBDIR, help="adapter + manifest dir")
    p.add_argument("--work-dir", type=Path, help="checkpoints and peft output (default: $LOCALMEM_CACHE/memlora/run-<op>)")
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.learning_rate)
    p.add_argument("--rank", type=int, default=d.rank)
    p.add_argument("--alpha", type=float, default=d.lora_alpha)
    p.add_argument("--targets", default=",".join(d.target_modules), help="comma-separated module names")
    p.add_argument("--layers", default="", help="decoder layers with LoRA, e.g. 12-23 (default: all). Backward "
                   "stops at the lowest one, so upper layers only train faster on CPU")
    p.add_argument("--max-tokens", type=int, default=d.max_tokens, help="drop longer examples")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--precision", choices=["fp32", "bf16"], default=d.precision,
                   help="bf16: bfloat16 autocast for the matmuls (about 2x faster per linear layer on CPUs "
                        "with AVX512-BF16; LoRA weights and optimizer stay float32)")
    p.add_argument("--checkpoint-every", type=int, default=10)
    p.add_argument("--token-budget", type=int, default=2048,
                   help="largest padded micro-batch (rows x tokens) per forward/backward pass; bounds memory, "
                        "not the batch: gradients accumulate over a step's micro-batches")
    p.add_argument("--extra-data", type=Path, action="append", default=[],
                   help="more examples (jsonl in the same format, e.g. teacher replies from "
                        "localmem.adapters.teacher; rows with kept=false are skipped); up to half a run")
    p.add_argument("--init-from", type=Path, help="continue from the LoRA weights of an earlier run's "
                   "checkpoint.pt or exported .gguf adapter, e.g. the shipped adapters/<base>/<operation>.gguf "
                   "(same rank, modules, layers and operation); use another --seed and --work-dir")
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    p.add_argument("--outtype", choices=["f16", "f32"], default="f16")
    p.add_argument("--no-export", action="store_true")
    p.add_argument("--export-checkpoint", action="store_true",
                   help="export the last checkpoint of a run (stopped early) instead of training")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    train_file = args.data_dir / "train" / f"{args.operation}.jsonl"
    if not train_file.is_file():
        print(f"error: {train_file} not found; run python -m localmem.adapters.synth.build first", file=sys.stderr)
        return 2
    if not args.base_gguf.is_file():
        print(f"error: base model not found: {args.base_gguf}", file=sys.stderr)
        return 2
    base_sha256 = sha256_file(args.base_gguf)
    if base_sha256 != BASE_SHA256:
        print(f"error: {args.base_gguf} has sha256 {base_sha256}, expected {BASE_SHA256}", file=sys.stderr)
        return 2
    targets = tuple(t.strip() for t in args.targets.split(",") if t.strip())
    unknown = sorted(set(targets) - set(ALL_MODULES))
    if unknown:
        print(f"error: --targets: unknown module(s) {unknown}; choose from {', '.join(ALL_MODULES)}", file=sys.stderr)
        return 2
    try:
        layers = parse_layers(args.layers)
    except ValueError as exc:
        print(f"error: --layers: {exc}", file=sys.stderr)
        return 2
    cfg = TrainConfig(operation=args.operation, rank=args.rank, lora_alpha=args.alpha, target_modules=targets,
                      layers=layers,
                      learning_rate=args.lr, batch_size=args.batch_size, steps=args.steps,
                      max_tokens=args.max_tokens, seed=args.seed, threads=args.threads, precision=args.precision)
    missing = [str(f) for f in args.extra_data if not f.is_file()]
    if missing:
        print(f"error: --extra-data: not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    extra = [r for f in args.extra_data for r in read_jsonl(f)]
    rows = mix_examples(read_jsonl(train_file), extra, cfg.steps * cfg.batch_size, cfg.seed)
    card_file = args.data_dir / "card.json"
    work = args.work_dir or (default_data_dir(7, 1500).parent / f"run-{args.operation}")
    if args.export_checkpoint:
        ckpt = peft_dir_from_checkpoint(cfg, work / "checkpoint.pt", work / "peft")
        losses = ckpt["losses"]
        training = {
            "method": method(cfg),
            "base_file": args.base_gguf.name,
            **{k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()},
            "steps_planned": cfg.steps, "steps": ckpt["step"],
            "stopped_early": f"exported from the checkpoint at step {ckpt['step']} of {cfg.steps}",
            "lora_dropout": 0.0, "optimizer": "AdamW", "schedule": "linear warm-up, linear decay to 10%",
            "grad_clip": 1.0, "n_examples_seen": ckpt["step"] * cfg.batch_size, "data_sha256": ckpt["data_sha256"],
            "first_loss": losses[0], "final_loss": losses[-1],
            "final_loss_avg10": round(sum(losses[-10:]) / len(losses[-10:]), 4), "losses": losses,
            "train_seconds": round(ckpt["seconds"], 1),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    else:
        if args.init_from is not None and not args.init_from.is_file():
            print(f"error: --init-from: {args.init_from} not found", file=sys.stderr)
            return 2
        training = train(cfg, rows, args.base_gguf, work, fresh=args.fresh, checkpoint_every=args.checkpoint_every,
                         token_budget=args.token_budget, init_from=args.init_from)
    training["data"] = {"train_file": f"train/{args.operation}.jsonl", "train_file_sha256": sha256_file(train_file),
                        "card_sha256": sha256_file(card_file) if card_file.is_file() else None,
                        "extra_files": {f.name: sha256_file(f) for f in args.extra_data},
                        "extra_examples": len({r["id"] for r in extra} & {r["id"] for r in rows}),
                        "selected_ids_sha256": hashlib.sha256("\n".join(r["id"] for r in rows).encode()).hexdigest()}
    (work / "training.json").write_text(json.dumps(training, indent=2) + "\n")
    if args.no_export:
        print(f"trained; peft adapter in {work / 'peft'}")
        return 0
    result = export_peft_to_gguf(work / "peft", args.base_gguf, args.out_dir / f"{args.operation}.gguf",
                                 name=args.operation, operation=args.operation, outtype=args.outtype,
                                 base_name=args.base_gguf.stem, base_sha256=base_sha256, training=training)
    print(f"wrote {result.path} ({result.size} bytes, sha256 {result.sha256}); final loss {training['final_loss']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
