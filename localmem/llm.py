"""The local LLM runtime: one loaded llama.cpp model, its LoRA adapters, and a lock.

One ``Runtime`` owns one model and one context (like llama.cpp's server): every adapter listed
for the model in ``models.toml`` is loaded once, and each call names the adapter (or none) and the
scale it runs with. Switching costs a few microseconds and never reloads the model; the prompt
cache is invalidated on a switch because it was computed under the previous weights. A re-entrant
lock serialises every use of the context, so concurrent callers wait instead of corrupting it.

llama-cpp-python reuses the longest common token prefix of consecutive prompts, so a fixed system
prompt is evaluated once and then served from the KV cache (``CallStats.cached_tokens``).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from localmem.config import AdapterSpec, ModelSpec, Registry, load_registry

Message = dict[str, str]
SAMPLING_KEYS = {"temperature", "top_p", "top_k", "min_p", "repeat_penalty", "max_tokens"}


class LLMError(RuntimeError):
    """The model could not be loaded or could not run a request."""


class CallStats(BaseModel):
    """Token and timing counters of one call (from llama.cpp's own perf counters)."""

    model_config = ConfigDict(frozen=True)

    model: str
    adapter: str | None
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    prompt_ms: float
    generation_ms: float
    total_ms: float

    @property
    def prompt_tps(self) -> float:
        evaluated = self.prompt_tokens - self.cached_tokens
        return evaluated / (self.prompt_ms / 1000) if self.prompt_ms > 0 else 0.0

    @property
    def generation_tps(self) -> float:
        return self.completion_tokens / (self.generation_ms / 1000) if self.generation_ms > 0 else 0.0


class ChatResult(BaseModel):
    text: str
    finish_reason: str | None
    stats: CallStats


class LoadedAdapter:
    __slots__ = ("spec", "path", "handle")

    def __init__(self, spec: AdapterSpec, path: Path, handle: Any):
        self.spec, self.path, self.handle = spec, path, handle


def adapters_dir() -> Path:
    try:
        from localmem.adapters import ADAPTERS_DIR

        return Path(ADAPTERS_DIR)
    except ImportError:
        return Path(__file__).resolve().parent.parent / "adapters"


def check_adapter_base(spec: AdapterSpec, path: Path, model: ModelSpec) -> None:
    """Refuse an adapter whose manifest says it was trained on another base model."""
    if not path.is_file():
        raise LLMError(f"adapter {spec.name!r} of model {model.name!r}: file not found: {path}")
    manifest_path = path.parent / "manifest.json"
    if manifest_path.is_file():
        try:
            base = json.loads(manifest_path.read_text())["base_model"]
        except (ValueError, KeyError, TypeError) as exc:
            raise LLMError(f"{manifest_path}: unreadable adapter manifest ({exc})") from exc
        if base.get("sha256") != model.sha256:
            raise LLMError(
                f"adapter {spec.name!r} ({path}) was trained for base model {base.get('name')!r} "
                f"(sha256 {base.get('sha256')}), not for {model.name!r} (sha256 {model.sha256})"
            )
    if spec.sha256 is not None:
        from localmem.registry import file_sha256

        actual = file_sha256(path)
        if actual != spec.sha256:
            raise LLMError(f"adapter {spec.name!r}: sha256 {actual} != expected {spec.sha256} ({path})")


class Runtime:
    """A loaded chat model with hot-swappable LoRA adapters. Thread-safe (calls are serialised)."""

    def __init__(self, spec: ModelSpec, *, model_path: Path | None = None, verbose: bool = False,
                 **load_overrides: Any):
        if spec.kind != "chat":
            raise LLMError(f"model {spec.name!r} is a {spec.kind} model, not a chat model")
        unknown = set(load_overrides) - set(type(spec.load).model_fields)
        if unknown:  # Llama(**kwargs) silently ignores unknown keys: refuse them here
            raise LLMError(f"unknown load setting(s): {', '.join(sorted(unknown))}")
        self.spec = spec
        self.load_settings = spec.load.model_copy(update=load_overrides)
        self._model_path = model_path
        self.verbose = verbose
        self.lock = threading.RLock()
        self._llama: Any = None
        self.adapters: dict[str, LoadedAdapter] = {}
        self._active: tuple[str, float] | None = None
        self._prompt_caches: dict[tuple[str, float] | None, Any] = {}
        self.last_stats: CallStats | None = None

    @classmethod
    def from_registry(cls, name: str | None = None, registry: Registry | None = None, **kwargs: Any) -> Runtime:
        registry = registry or load_registry()
        return cls(registry.get(name), **kwargs)

    # ---- loading ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def llama(self) -> Any:
        if self._llama is None:
            self.load()
        return self._llama

    def load(self) -> Runtime:
        with self.lock:
            if self._llama is not None:
                return self
            from llama_cpp import Llama

            from localmem import llama_compat
            from localmem.registry import verify

            path = self._model_path or verify(self.spec)
            s = self.load_settings
            threads = s.n_threads or os.cpu_count() or 1
            kwargs: dict[str, Any] = dict(
                model_path=str(path), n_ctx=s.n_ctx, n_batch=s.n_batch, n_threads=threads,
                n_threads_batch=s.n_threads_batch or threads, n_gpu_layers=s.n_gpu_layers,
                type_k=llama_compat.ggml_type(s.type_k), type_v=llama_compat.ggml_type(s.type_v),
                flash_attn=s.flash_attn, use_mmap=s.use_mmap, seed=s.seed, verbose=self.verbose,
            )
            if self.spec.chat_template == "chatml":
                kwargs["chat_format"] = "chatml"
            elif self.spec.chat_template == "gemma":
                kwargs["chat_format"] = "gemma"
            try:
                llama = Llama(**kwargs)
            except (ValueError, RuntimeError) as exc:
                raise LLMError(f"could not load model {self.spec.name!r} from {path}: {exc}") from exc
            loaded: dict[str, LoadedAdapter] = {}
            try:
                for spec in self.spec.adapters:
                    apath = spec.path if spec.path.is_absolute() else adapters_dir() / spec.path
                    check_adapter_base(spec, apath, self.spec)
                    handle = llama_compat.adapter_init(llama._model.model, apath)
                    loaded[spec.name] = LoadedAdapter(spec, apath, handle)
            except Exception:
                for item in loaded.values():
                    llama_compat.adapter_free(item.handle)
                llama.close()
                raise
            self._llama, self.adapters, self._active = llama, loaded, None
            self._prompt_caches = {}
            self._select_prompt_cache(None)
            return self

    def _select_prompt_cache(self, key: tuple[str, float] | None) -> None:
        """Each adapter setting gets its own store of KV states keyed by token prefix: alternating
        operations (extract, update, answer) then re-evaluate only what follows their shared prompt
        prefix (measured: 627 of 639 prompt tokens reused), and a state computed under one adapter's
        weights is never reused under another's."""
        budget = self.load_settings.prompt_cache_mb << 20
        if not budget:
            return
        if key not in self._prompt_caches:
            self._prompt_caches[key] = compact_ram_cache(budget)
        self._llama.set_cache(self._prompt_caches[key])

    def close(self) -> None:
        with self.lock:
            if self._llama is None:
                return
            from localmem import llama_compat

            llama_compat.set_adapters(self._llama._ctx.ctx, [], [])
            for item in self.adapters.values():
                llama_compat.adapter_free(item.handle)
            self.adapters = {}
            self._prompt_caches = {}
            self._llama.close()
            self._llama = None

    def __enter__(self) -> Runtime:
        return self.load()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- adapters --------------------------------------------------------------------------

    def use_adapter(self, name: str | None, scale: float | None = None) -> bool:
        """Make ``name`` (or no adapter) active; returns True when the active set changed."""
        with self.lock:
            llama = self.llama
            if name is None:
                wanted = None
            else:
                if name not in self.adapters:
                    known = ", ".join(sorted(self.adapters)) or "none"
                    raise LLMError(f"model {self.name!r} has no adapter {name!r} (loaded: {known})")
                wanted = (name, self.adapters[name].spec.scale if scale is None else float(scale))
            if wanted == self._active:
                return False
            from localmem import llama_compat

            if wanted is None:
                llama_compat.set_adapters(llama._ctx.ctx, [], [])
            else:
                llama_compat.set_adapters(llama._ctx.ctx, [self.adapters[wanted[0]].handle], [wanted[1]])
            llama.reset()  # the cached prompt was computed under the previous weights
            self._active = wanted
            self._select_prompt_cache(wanted)
            return True

    @property
    def active_adapter(self) -> str | None:
        return self._active[0] if self._active else None

    def adapter_for(self, operation: str) -> str | None:
        spec = self.spec.adapter_for(operation)
        return spec.name if spec else None

    # ---- generation ------------------------------------------------------------------------

    def _sampling(self, overrides: dict[str, Any]) -> dict[str, Any]:
        unknown = set(overrides) - SAMPLING_KEYS - {"grammar", "stop", "seed"}
        if unknown:
            raise LLMError(f"unknown sampling setting(s): {', '.join(sorted(unknown))}")
        params = self.spec.sampling.model_dump()
        params.update({k: v for k, v in overrides.items() if v is not None})
        return params

    def count_tokens(self, text: str) -> int:
        with self.lock:
            return len(self.llama.tokenize(text.encode(), add_bos=False, special=True))

    def chat(self, messages: list[Message], *, adapter: str | None = None, scale: float | None = None,
             **sampling: Any) -> ChatResult:
        """Run one chat completion and return the whole reply."""
        stream = self.stream(messages, adapter=adapter, scale=scale, **sampling)
        text = "".join(stream)
        assert stream.result is not None
        return stream.result.model_copy(update={"text": text})

    def stream(self, messages: list[Message], *, adapter: str | None = None, scale: float | None = None,
               **sampling: Any) -> ChatStream:
        """Stream a chat reply chunk by chunk; ``.result`` holds the stats once it is exhausted."""
        if self.spec.chat_template == "none":
            raise LLMError(f"model {self.name!r} has no chat template (a base model): use complete()")
        _validate_messages(messages)
        params = self._sampling(sampling)

        def start() -> Iterator[dict[str, Any]]:
            return self.llama.create_chat_completion(messages=messages, stream=True, **params)

        return ChatStream(self, start, adapter, scale, "delta")

    def complete(self, prompt: str, *, adapter: str | None = None, scale: float | None = None,
                 stream: bool = False, **sampling: Any) -> ChatResult | ChatStream:
        """Raw text completion (for base models without a chat template)."""
        if not isinstance(prompt, str) or not prompt:
            raise LLMError("prompt must be a non-empty string")
        params = self._sampling(sampling)

        def start() -> Iterator[dict[str, Any]]:
            return self.llama.create_completion(prompt=prompt, stream=True, **params)

        chunks = ChatStream(self, start, adapter, scale, "text")
        if stream:
            return chunks
        text = "".join(chunks)
        assert chunks.result is not None
        return chunks.result.model_copy(update={"text": text})


def compact_ram_cache(capacity_bytes: int) -> Any:
    """llama-cpp-python's ``LlamaRAMCache`` whose entries drop the logits buffer.

    ``Llama.save_state`` copies the whole logits buffer (n_batch x n_vocab floats: 311 MB for
    Qwen2.5's 151,936-token vocabulary at n_batch 512) into every cached state, outside the cache's
    byte budget, which counts only the KV state: a benchmark process grew to 14 GB. A restored state
    is always re-evaluated for at least its last token before sampling (``_requires_eval``), so the
    stored logits are never read; one row is kept (``load_state`` broadcasts it)."""
    from llama_cpp import LlamaRAMCache

    class CompactRAMCache(LlamaRAMCache):
        def __setitem__(self, key: Any, value: Any) -> None:
            value.scores = value.scores[-1:].copy()
            super().__setitem__(key, value)

    return CompactRAMCache(capacity_bytes=capacity_bytes)


def _validate_messages(messages: list[Message]) -> None:
    if not isinstance(messages, list) or not messages:
        raise LLMError("messages must be a non-empty list of {'role', 'content'} dicts")
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or msg.get("role") not in {"system", "user", "assistant"}:
            raise LLMError(f"messages[{i}] must be a dict with role system, user or assistant")
        if not isinstance(msg.get("content"), str):
            raise LLMError(f"messages[{i}].content must be a string")


class ChatStream:
    """An iterator of text chunks that holds the runtime's lock until it is exhausted or closed."""

    def __init__(self, runtime: Runtime, start: Any, adapter: str | None, scale: float | None, field: str):
        self.runtime, self._start, self._adapter, self._scale, self._field = runtime, start, adapter, scale, field
        self.result: ChatResult | None = None
        self._gen: Iterator[str] | None = None

    def __iter__(self) -> Iterator[str]:
        if self._gen is None:
            self._gen = self._run()
        return self._gen

    def __next__(self) -> str:
        return next(iter(self))

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()  # type: ignore[attr-defined]

    def _run(self) -> Iterator[str]:
        from localmem.llama_compat import PerfSnapshot

        rt = self.runtime
        with rt.lock:
            rt.use_adapter(self._adapter, self._scale)
            llama = rt.llama
            before = PerfSnapshot(llama._ctx.ctx)
            t0 = time.perf_counter()
            finish: str | None = None
            prompt_tokens: int | None = None
            try:
                for chunk in self._start():
                    if prompt_tokens is None:
                        # the prompt is evaluated and the first token sampled (not yet evaluated)
                        prompt_tokens = llama.n_tokens
                    choice = chunk["choices"][0]
                    piece = choice["delta"].get("content") if self._field == "delta" else choice.get("text")
                    finish = choice.get("finish_reason") or finish
                    if piece:
                        yield piece
            finally:
                total_ms = (time.perf_counter() - t0) * 1000
                after = PerfSnapshot(llama._ctx.ctx)
                if prompt_tokens is None:
                    prompt_tokens = llama.n_tokens
                # prompt tokens evaluated by this call (llama.cpp's counters: batches of several
                # tokens count as prompt, single tokens as generation, and every generated token but
                # the last one sampled is evaluated); the rest came from the KV cache, either the
                # previous call's or a saved state of the prompt cache
                evaluated = ((after.prompt_tokens - before.prompt_tokens) + (after.eval_tokens - before.eval_tokens)
                             - max(llama.n_tokens - prompt_tokens, 0))
                cached = min(max(prompt_tokens - evaluated, 0), max(prompt_tokens - 1, 0))
                # generated tokens are evaluated one by one except the last one sampled; a reply cut
                # at max_tokens ends on a token that was yielded but never evaluated
                completion = llama.n_tokens - prompt_tokens + (1 if finish == "length" else 0)
                stats = CallStats(
                    model=rt.name, adapter=rt.active_adapter, prompt_tokens=prompt_tokens,
                    cached_tokens=cached, completion_tokens=max(completion, 0),
                    prompt_ms=after.prompt_ms - before.prompt_ms,
                    generation_ms=after.eval_ms - before.eval_ms, total_ms=total_ms,
                )
                rt.last_stats = stats
                self.result = ChatResult(text="", finish_reason=finish, stats=stats)
