"""A fast model double for the terminal app's tests (fakes only at the LLM boundary).

``FakeRuntime`` streams replies chunk by chunk like ``localmem.llm.Runtime`` (holding its lock while
a stream runs, stats once it ends) and answers the memory pipeline's JSON calls from a table:
``facts`` maps a phrase of the user's message to the memories extraction returns, ``decisions``
maps a candidate memory's text to the update decision. Everything else (store, embeddings, search,
pipeline, Assistant) is real.
"""

from __future__ import annotations

import json
import threading

from localmem.llm import CallStats, ChatResult


class LoadSettings:
    n_ctx = 4096


def memory(text: str, kind: str = "fact", category: str = "other") -> dict:
    return {"text": text, "kind": kind, "category": category, "confidence": 0.9, "valid_from": None}


class FakeStream:
    def __init__(self, runtime: FakeRuntime, pieces: list[str], gate: threading.Event | None):
        self.runtime, self.pieces, self.gate = runtime, pieces, gate
        self.result: ChatResult | None = None
        self._gen = None

    def __iter__(self):
        if self._gen is None:
            self._gen = self._run()
        return self._gen

    def _run(self):
        rt = self.runtime
        with rt.lock:
            sent = 0
            try:
                for piece in self.pieces:
                    if self.gate is not None and sent >= 1:
                        self.gate.wait()  # the test releases the rest of the reply
                    sent += 1
                    yield piece
            finally:
                stats = CallStats(model=rt.name, adapter=None, prompt_tokens=100, cached_tokens=0,
                                  completion_tokens=sent, prompt_ms=10.0, generation_ms=sent * 50.0,
                                  total_ms=10.0 + sent * 50.0)
                rt.last_stats = stats
                self.result = ChatResult(text="", finish_reason="stop", stats=stats)

    def close(self):
        if self._gen is not None:
            self._gen.close()


class FakeRuntime:
    def __init__(self, name: str = "fake", *, replies: list[list[str]] | None = None,
                 facts: dict[str, list[dict]] | None = None, decisions: dict[str, dict] | None = None,
                 adapters: dict[str, str] | None = None):
        self.name = name
        self.replies = list(replies or [])
        self.facts = facts or {}
        self.decisions = decisions or {}
        self.adapter_ops = adapters or {}  # operation -> adapter name
        self.lock = threading.RLock()
        self.last_stats: CallStats | None = None
        self.load_settings = LoadSettings()
        self.prompts: list[list[dict]] = []
        self.json_calls: list[tuple[str, str | None]] = []
        self.gate: threading.Event | None = None  # set: replies stream one chunk, then wait for it
        self.closed = False

    def adapter_for(self, operation: str) -> str | None:
        return self.adapter_ops.get(operation)

    def stream(self, messages, *, adapter=None, **params) -> FakeStream:
        self.prompts.append(messages)
        pieces = self.replies.pop(0) if self.replies else ["I hear you. ", "Tell me **more**."]
        return FakeStream(self, pieces, self.gate)

    def chat(self, messages, *, adapter=None, **params) -> ChatResult:
        with self.lock:
            prompt = messages[-1]["content"]
            if "EXISTING:" in prompt:  # update decision
                self.json_calls.append(("update", adapter))
                new = prompt.rsplit("NEW: ", 1)[1].strip()
                text = json.dumps(self.decisions.get(new, {"event": "ADD", "id": None, "text": None}))
            else:  # extraction: the NEW part of the conversation
                self.json_calls.append(("extract", adapter))
                new = prompt.split("NEW:", 1)[1]
                found = [m for phrase, ms in self.facts.items() if phrase.lower() in new.lower() for m in ms]
                text = json.dumps({"memories": found})
            stats = CallStats(model=self.name, adapter=adapter, prompt_tokens=50, cached_tokens=0,
                              completion_tokens=20, prompt_ms=1.0, generation_ms=1.0, total_ms=2.0)
            return ChatResult(text=text, finish_reason="stop", stats=stats)

    def close(self) -> None:
        self.closed = True
