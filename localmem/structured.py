"""JSON output constrained by a grammar built from a pydantic model.

llama-cpp-python silently ignores the OpenAI-style ``response_format`` and silently falls back to
generic JSON when a schema fails to convert, so the grammar is built here from the model's JSON
schema and every reply is validated with pydantic. A reply that fails validation is retried with a
stricter prompt (the schema spelled out, greedy decoding); if that fails too the caller gets a
``JsonResult`` with ``ok=False``, the error and every raw output, never a silent empty value.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from localmem.llm import CallStats, LLMError, Message, Runtime

T = TypeVar("T", bound=BaseModel)


class Attempt(BaseModel):
    raw: str
    error: str | None
    finish_reason: str | None
    stats: CallStats


class JsonResult(BaseModel, Generic[T]):
    ok: bool
    value: T | None = None
    error: str | None = None
    attempts: list[Attempt]

    @property
    def raw(self) -> str:
        return self.attempts[-1].raw if self.attempts else ""

    def unwrap(self) -> T:
        if not self.ok or self.value is None:
            raise LLMError(f"structured output failed after {len(self.attempts)} attempt(s): {self.error}")
        return self.value


# Strings longer than this are limited by pydantic only: a maxLength of hundreds expands into a
# grammar rule hundreds of levels deep that slows every sampled token.
GRAMMAR_MAX_LENGTH = 64


def _grammar_schema(node: Any) -> Any:
    """The schema with long string limits removed and regex shorthands llama.cpp cannot parse expanded."""
    if isinstance(node, dict):
        out = {k: _grammar_schema(v) for k, v in node.items()}
        if out.get("type") == "string" and out.get("maxLength", 0) > GRAMMAR_MAX_LENGTH:
            del out["maxLength"]
        if isinstance(out.get("pattern"), str):
            out["pattern"] = out["pattern"].replace(r"\d", "[0-9]")
        return out
    if isinstance(node, list):
        return [_grammar_schema(v) for v in node]
    return node


def schema_json(model: type[BaseModel]) -> str:
    """The model's JSON schema, keys in declaration order (the grammar fixes property order)."""
    return json.dumps(model.model_json_schema())


@functools.lru_cache(maxsize=64)
def _grammar_text(schema: str) -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        return json_schema_to_gbnf(json.dumps(_grammar_schema(json.loads(schema))))
    except Exception as exc:  # the converter raises plain Exceptions on unsupported schemas
        raise LLMError(f"cannot build a grammar from this JSON schema: {exc}") from exc


def grammar_for(model: type[BaseModel], runtime: Runtime | None = None) -> Any:
    """The llama.cpp grammar that only admits JSON matching ``model``'s schema.

    llama.cpp parses the grammar only when sampling starts, and a grammar it cannot parse crashes
    the process there; given a runtime, the grammar is test-parsed once against its vocabulary.
    """
    from llama_cpp import LlamaGrammar

    text = _grammar_text(schema_json(model))
    if runtime is not None:
        _check_grammar(runtime, text)
    return LlamaGrammar.from_string(text, verbose=False)


_checked: set[tuple[int, str]] = set()


def _check_grammar(runtime: Runtime, text: str) -> None:
    import llama_cpp

    key = (id(runtime.llama), text)
    if key in _checked:
        return
    with runtime.lock:
        sampler = llama_cpp.llama_sampler_init_grammar(runtime.llama._model.vocab, text.encode(), b"root")
        if not sampler:
            raise LLMError("llama.cpp cannot parse the grammar built from this schema:\n" + text[:2000])
        llama_cpp.llama_sampler_free(sampler)
    _checked.add(key)


def _validate(model: type[T], raw: str, finish: str | None, max_tokens: int | None) -> tuple[T | None, str | None]:
    if finish == "length":
        return None, f"output cut off at max_tokens={max_tokens} before the JSON was complete"
    try:
        return model.model_validate_json(raw), None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        return None, f"invalid JSON for {model.__name__}: {where}: {first['msg']} ({exc.error_count()} error(s))"


def strict_prompt(model: type[BaseModel]) -> Message:
    return {
        "role": "system",
        "content": "Reply with exactly one JSON object and nothing else. It must match this JSON schema: "
        + schema_json(model),
    }


def chat_json(runtime: Runtime, messages: list[Message], model: type[T], *, adapter: str | None = None,
              retries: int = 1, **sampling: Any) -> JsonResult[T]:
    """Ask for JSON matching ``model``; validated, retried ``retries`` times with a stricter prompt."""
    grammar = grammar_for(model, runtime if isinstance(runtime, Runtime) else None)
    attempts: list[Attempt] = []
    convo = list(messages)
    error: str | None = None
    for attempt in range(retries + 1):
        params = dict(sampling)
        if attempt > 0:  # stricter: spell out the schema, decode greedily
            convo = [strict_prompt(model), *messages]
            params["temperature"] = 0.0
        result = runtime.chat(convo, adapter=adapter, grammar=grammar, **params)
        value, error = _validate(model, result.text, result.finish_reason, params.get("max_tokens"))
        attempts.append(Attempt(raw=result.text, error=error, finish_reason=result.finish_reason,
                                stats=result.stats))
        if value is not None:
            return JsonResult[model](ok=True, value=value, attempts=attempts)  # type: ignore[valid-type]
    return JsonResult[model](ok=False, error=error, attempts=attempts)  # type: ignore[valid-type]


def chat_json_compact(runtime: Runtime, messages: list[Message], compact: type[BaseModel], full: type[T], *,
                      adapter: str | None = None, retries: int = 1, **sampling: Any) -> JsonResult[T]:
    """``chat_json`` for an adapter's compact form: the grammar and validation are ``compact``'s (a
    model with ``expand() -> full``); the caller gets the ``full`` value and every raw output."""
    result = chat_json(runtime, messages, compact, adapter=adapter, retries=retries, **sampling)
    value = result.value.expand() if result.ok and result.value is not None else None  # type: ignore[attr-defined]
    return JsonResult[full](ok=result.ok, value=value, error=result.error,  # type: ignore[valid-type]
                            attempts=result.attempts)


def parse_either(text: str, full: type[T], compact: type[BaseModel]) -> T:
    """A reply or training target in either form: a JSON array is ``compact``'s, an object ``full``'s."""
    value = json.loads(text)
    if isinstance(value, list):
        return compact.model_validate(value).expand()  # type: ignore[attr-defined,no-any-return]
    return full.model_validate(value)
