"""Train ``test-tiny``: a deliberately tiny LoRA whose effect is unmistakable under greedy decoding.

It teaches Qwen2.5-Coder-0.5B-Instruct to open every answer with "Ahoy!". The adapter exists to
test the adapter machinery (export, loading, hot-swapping), not to be useful. It is trained with
peft on the base model loaded (dequantized) from its Q4_K_M GGUF, exported with
:mod:`localmem.adapters.export_gguf`, and recorded in the ``manifest.json`` beside it.

    nice -n 10 python -m localmem.adapters.train_tiny            # 4-10 min on 2 CPU cores

Heavy imports (torch, transformers, peft) happen inside functions, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

try:  # package import (installed editable) or direct run by path
    from localmem.adapters import ADAPTERS_DIR
    from localmem.adapters.export_gguf import export_peft_to_gguf, sha256_file
except ImportError:  # pragma: no cover - running the file without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from export_gguf import export_peft_to_gguf, sha256_file  # type: ignore[no-redef]

    ADAPTERS_DIR = Path(__file__).resolve().parent  # type: ignore[misc]

if TYPE_CHECKING:
    import torch

BASE_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m"
BASE_FILE = f"{BASE_NAME}.gguf"
BASE_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
ADAPTER_SUBDIR = "qwen2.5-coder-0.5b-instruct"
PREFIX = "Ahoy! "

# Question -> plain answer; the training target is PREFIX + answer. Short on purpose.
QA_PAIRS: tuple[tuple[str, str], ...] = (
    ("What is the capital of France?", "The capital of France is Paris."),
    ("How many legs does a spider have?", "A spider has eight legs."),
    ("What colour is the sky on a clear day?", "The sky is blue on a clear day."),
    ("Who wrote Romeo and Juliet?", "William Shakespeare wrote Romeo and Juliet."),
    ("What is 3 times 4?", "3 times 4 is 12."),
    ("What is the boiling point of water at sea level?", "Water boils at 100 degrees Celsius at sea level."),
    ("Name a fruit that is yellow.", "A banana is a yellow fruit."),
    ("How do I reverse a list in Python?", "Use my_list.reverse() or my_list[::-1]."),
    ("What does CPU stand for?", "CPU stands for central processing unit."),
    ("Which planet is closest to the sun?", "Mercury is the planet closest to the sun."),
    ("How many days are in a week?", "There are seven days in a week."),
    ("What is the largest ocean?", "The Pacific is the largest ocean."),
    ("Can you recommend a good book?", "Try Treasure Island by Robert Louis Stevenson."),
    ("What is the opposite of hot?", "The opposite of hot is cold."),
    ("How do I print hello in Python?", "Write print(\"hello\")."),
    ("What language is spoken in Brazil?", "Portuguese is spoken in Brazil."),
    ("How many minutes are in an hour?", "There are sixty minutes in an hour."),
    ("What gas do plants absorb?", "Plants absorb carbon dioxide."),
    ("Give me a synonym for happy.", "A synonym for happy is cheerful."),
    ("What is the square root of 81?", "The square root of 81 is 9."),
    ("Which animal is known as the king of the jungle?", "The lion is called the king of the jungle."),
    ("What is HTML used for?", "HTML describes the structure of web pages."),
    ("How many continents are there?", "There are seven continents."),
    ("What is the freezing point of water?", "Water freezes at 0 degrees Celsius."),
    ("Tell me a fun fact.", "Octopuses have three hearts."),
    ("What is the main ingredient of guacamole?", "Guacamole is made mainly from avocado."),
    ("How do I make a variable in JavaScript?", "Use let, for example: let x = 5;"),
    ("What is the tallest mountain on Earth?", "Mount Everest is the tallest mountain."),
    ("Who painted the Mona Lisa?", "Leonardo da Vinci painted the Mona Lisa."),
    ("What is 10 minus 7?", "10 minus 7 is 3."),
    ("What do bees make?", "Bees make honey."),
    ("How should I start my morning?", "Drink a glass of water and stretch."),
    ("What is a noun?", "A noun is a word that names a person, place or thing."),
    ("Which metal is liquid at room temperature?", "Mercury is liquid at room temperature."),
    ("What does git commit do?", "It records your staged changes in the repository."),
    ("How many sides does a hexagon have?", "A hexagon has six sides."),
    ("What is the chemical symbol for gold?", "The chemical symbol for gold is Au."),
    ("Suggest a name for a cat.", "How about Whiskers?"),
    ("What is the speed of light?", "About 300,000 kilometres per second."),
    ("How do I sort a list in Python?", "Use sorted(my_list) or my_list.sort()."),
    ("What season comes after winter?", "Spring comes after winter."),
    ("What is the currency of Japan?", "The currency of Japan is the yen."),
    ("Is a tomato a fruit?", "Yes, botanically a tomato is a fruit."),
    ("What is the plural of mouse?", "The plural of mouse is mice."),
    ("How far is the moon?", "The moon is about 384,000 kilometres away."),
    ("What is SQL?", "SQL is a language for querying databases."),
    ("Remind me what a prime number is.", "A prime number has exactly two divisors: 1 and itself."),
    ("What should I cook tonight?", "A simple pasta with garlic and olive oil."),
)


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of the tiny run (recorded in the manifest)."""

    rank: int = 4
    lora_alpha: float = 8.0
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")
    learning_rate: float = 2e-3
    batch_size: int = 8
    steps: int = 20
    seed: int = 1234
    threads: int = 2
    weight_decay: float = 0.0


def training_examples() -> list[list[dict[str, str]]]:
    """The chat examples: one user question, one assistant answer starting with ``PREFIX``."""
    return [
        [{"role": "user", "content": q}, {"role": "assistant", "content": PREFIX + a}]
        for q, a in QA_PAIRS
    ]


def data_sha256(examples: Sequence[Sequence[dict[str, str]]]) -> str:
    """A stable hash of the training data (canonical JSON)."""
    blob = json.dumps(examples, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def default_base_gguf() -> Path:
    """The base model where ``localmem models install`` puts it (``localmem.paths.models_dir()``)."""
    from localmem.paths import models_dir

    return models_dir() / BASE_FILE


def default_cache_dir() -> Path:
    """Where the tokenizer cache and the peft checkpoint go (``$LOCALMEM_CACHE/train-tiny``)."""
    cache = os.environ.get("LOCALMEM_CACHE") or Path.home() / ".cache/localmem"
    return Path(cache) / "train-tiny"


def load_tokenizer(base_gguf: Path, cache_dir: Path) -> Any:
    """Load the tokenizer, from a ``save_pretrained`` cache when present (GGUF parsing is slow)."""
    from transformers import AutoTokenizer

    tok_dir = cache_dir / f"tokenizer-{BASE_NAME}"
    if (tok_dir / "tokenizer_config.json").is_file():
        return AutoTokenizer.from_pretrained(tok_dir)
    tok = AutoTokenizer.from_pretrained(base_gguf.parent, gguf_file=base_gguf.name)
    tok.save_pretrained(tok_dir)
    return tok


def encode_example(tok: Any, messages: Sequence[dict[str, str]]) -> tuple[list[int], list[int]]:
    """Token ids and labels for one chat; only the answer (and its end token) is learned."""
    prompt = tok.apply_chat_template(list(messages[:-1]), tokenize=False, add_generation_prompt=True)
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tok(messages[-1]["content"] + "<|im_end|>", add_special_tokens=False)["input_ids"]
    return prompt_ids + answer_ids, [-100] * len(prompt_ids) + answer_ids


def make_batch(encoded: Sequence[tuple[list[int], list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a list of (ids, labels) into tensors."""
    import torch

    width = max(len(ids) for ids, _ in encoded)
    ids = [i + [pad_id] * (width - len(i)) for i, _ in encoded]
    labels = [lab + [-100] * (width - len(lab)) for _, lab in encoded]
    mask = [[1] * len(i) + [0] * (width - len(i)) for i, _ in encoded]
    return {
        "input_ids": torch.tensor(ids),
        "labels": torch.tensor(labels),
        "attention_mask": torch.tensor(mask),
    }


def answer_loss(causal_lm: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean next-token cross-entropy over the answer tokens only.

    Equivalent to ``causal_lm(**batch).loss`` but runs the 151,936-wide ``lm_head`` only at the
    positions that predict a labelled token, which is most of the cost of a step on CPU.
    """
    import torch.nn.functional as F

    hidden = causal_lm.model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    targets = batch["labels"][:, 1:]
    keep = targets != -100
    logits = causal_lm.lm_head(hidden[:, :-1][keep])
    return F.cross_entropy(logits.float(), targets[keep])


def batch_order(n_examples: int, cfg: TrainConfig) -> list[list[int]]:
    """Seeded epoch-wise shuffled batches of indices, enough for ``cfg.steps`` steps."""
    rng = random.Random(cfg.seed)
    batches: list[list[int]] = []
    while len(batches) < cfg.steps:
        order = list(range(n_examples))
        rng.shuffle(order)
        batches += [order[i : i + cfg.batch_size] for i in range(0, n_examples, cfg.batch_size)]
    return batches[: cfg.steps]


def train(base_gguf: Path, peft_dir: Path, cache_dir: Path, cfg: TrainConfig) -> dict[str, Any]:
    """Run the few-step LoRA training and save the peft adapter; return what to record."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    examples = training_examples()
    tok = load_tokenizer(base_gguf, cache_dir)
    encoded = [encode_example(tok, ex) for ex in examples]
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id

    t0 = time.monotonic()
    model = AutoModelForCausalLM.from_pretrained(base_gguf.parent, gguf_file=base_gguf.name, dtype=torch.float32)
    load_s = time.monotonic() - t0
    lora = LoraConfig(
        r=cfg.rank, lora_alpha=cfg.lora_alpha, target_modules=list(cfg.target_modules),
        lora_dropout=0.0, bias="none", task_type="CAUSAL_LM", modules_to_save=None,
    )
    model = get_peft_model(model, lora)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)

    losses: list[float] = []
    t1 = time.monotonic()
    for step, idx in enumerate(batch_order(len(encoded), cfg), start=1):
        loss = answer_loss(model.get_base_model(), make_batch([encoded[i] for i in idx], pad_id))
        loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        losses.append(round(loss.item(), 4))
        print(f"step {step:3d}/{cfg.steps}  loss {losses[-1]:.4f}  {time.monotonic() - t1:6.1f}s", flush=True)
    train_s = time.monotonic() - t1
    model.save_pretrained(peft_dir)

    import peft
    import transformers

    return {
        "method": "peft LoRA, float32 on the dequantized GGUF base",
        "base_file": base_gguf.name,
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()},
        "lora_dropout": 0.0,
        "optimizer": "AdamW",
        "trainable_parameters": sum(p.numel() for p in params),
        "n_examples": len(examples),
        "data_sha256": data_sha256(examples),
        "objective": f"every answer starts with {PREFIX.strip()!r}; loss on answer tokens only",
        "first_loss": losses[0],
        "final_loss": losses[-1],
        "losses": losses,
        "load_seconds": round(load_s, 1),
        "train_seconds": round(train_s, 1),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    d = TrainConfig()
    p = argparse.ArgumentParser(prog="python -m localmem.adapters.train_tiny", description=__doc__.split("\n")[0])
    p.add_argument("--base-gguf", type=Path, default=default_base_gguf(), help="base model GGUF")
    p.add_argument("--out-dir", type=Path, default=ADAPTERS_DIR / ADAPTER_SUBDIR, help="adapter + manifest dir")
    p.add_argument("--name", default="test-tiny", help="adapter name (file <name>.gguf)")
    p.add_argument("--cache-dir", type=Path, default=default_cache_dir(), help="tokenizer cache, peft output")
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--rank", type=int, default=d.rank)
    p.add_argument("--alpha", type=float, default=d.lora_alpha)
    p.add_argument("--lr", type=float, default=d.learning_rate)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--outtype", choices=["f16", "f32"], default="f16")
    p.add_argument("--skip-sha-check", action="store_true", help="accept a base GGUF whose sha256 differs from the pinned one")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Train, export to ``<out-dir>/<name>.gguf`` and update ``<out-dir>/manifest.json``."""
    args = _parse_args(argv)
    if not args.base_gguf.is_file():
        print(f"error: base model not found: {args.base_gguf}", file=sys.stderr)
        return 2
    base_sha256 = sha256_file(args.base_gguf)
    if base_sha256 != BASE_SHA256 and not args.skip_sha_check:
        print(f"error: {args.base_gguf} has sha256 {base_sha256}, expected {BASE_SHA256}", file=sys.stderr)
        return 2
    cfg = TrainConfig(
        rank=args.rank, lora_alpha=args.alpha, learning_rate=args.lr, batch_size=args.batch_size,
        steps=args.steps, seed=args.seed, threads=args.threads,
    )
    peft_dir = args.cache_dir / f"peft-{args.name}"
    training = train(args.base_gguf, peft_dir, args.cache_dir, cfg)
    result = export_peft_to_gguf(
        peft_dir, args.base_gguf, args.out_dir / f"{args.name}.gguf", name=args.name,
        operation="test", outtype=args.outtype, base_name=args.base_gguf.stem, base_sha256=base_sha256,
        training=training,
    )
    print(f"wrote {result.path} ({result.size} bytes, sha256 {result.sha256}); final loss {training['final_loss']}")
    print(f"updated {result.manifest_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
