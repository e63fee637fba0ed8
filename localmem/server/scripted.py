"""A deterministic stand-in for the LLM, for daemon tests only (``localmem serve --scripted-delay``).

(``--scripted-kill-at-update N`` makes the server SIGKILL itself on the Nth update decision: after
the first memories of a message are stored, before the message is marked extracted.)

It answers the memory operations' prompts the way a perfect, boring model would: extraction turns
each NEW user message into one fact ``User said: <message>``; an update decision is always ADD
(exact duplicates never reach it); chat echoes the message back in word chunks. ``delay`` seconds
per call make a job long enough to be interrupted. Everything else (store, embedder, queue,
pipeline) is real.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

from localmem.llm import CallStats, ChatResult


def _stats(prompt: str, completion: str, ms: float) -> CallStats:
    return CallStats(model="scripted", adapter=None, prompt_tokens=len(prompt.split()), cached_tokens=0,
                     completion_tokens=len(completion.split()), prompt_ms=0.0, generation_ms=ms, total_ms=ms)


class ScriptedStream:
    def __init__(self, runtime: ScriptedRuntime, pieces: list[str], prompt: str):
        self.runtime, self.pieces, self.prompt = runtime, pieces, prompt
        self.result: ChatResult | None = None
        self._closed = False

    def __iter__(self) -> Iterator[str]:
        start = time.perf_counter()
        with self.runtime.lock:
            for piece in self.pieces:
                if self._closed:
                    break
                time.sleep(self.runtime.delay / max(len(self.pieces), 1))
                yield piece
            text = "".join(self.pieces)
            self.result = ChatResult(text=text, finish_reason="stop",
                                     stats=_stats(self.prompt, text, (time.perf_counter() - start) * 1000))

    def close(self) -> None:
        self._closed = True


class ScriptedRuntime:
    name = "scripted"

    def __init__(self, delay: float = 0.0, *, kill_at_update: int | None = None):
        self.delay = delay
        self.lock = threading.RLock()
        self.calls = 0
        self.updates = 0
        self.kill_at_update = kill_at_update  # crash tests: SIGKILL this process on that update call

    def adapter_for(self, operation: str) -> None:
        return None

    def chat(self, messages, *, adapter=None, **params) -> ChatResult:
        with self.lock:
            self.calls += 1
            time.sleep(self.delay)
            system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
            last = messages[-1]["content"]
            if "maintain a user's memory" in system:
                self.updates += 1
                if self.updates == self.kill_at_update:
                    import os
                    import signal

                    os.kill(os.getpid(), signal.SIGKILL)  # as `kill -9` would, mid-job
                text = json.dumps({"event": "ADD"})
            else:
                said = _new_user_lines(last)
                text = json.dumps({"memories": [
                    {"text": f"User said: {s}"[:300], "kind": "fact", "category": "other", "confidence": 0.9,
                     "valid_from": None} for s in said[:8] if len(s) >= 1]})
            return ChatResult(text=text, finish_reason="stop", stats=_stats(last, text, self.delay * 1000))

    def stream(self, messages, *, adapter=None, **params) -> ScriptedStream:
        question = messages[-1]["content"]
        words = f"You said: {question}".split(" ")
        return ScriptedStream(self, [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)], question)

    def close(self) -> None:
        pass


def _new_user_lines(convo: str) -> list[str]:
    """The user lines after ``NEW:`` in an extraction prompt, with date annotations removed."""
    import re

    if "NEW:" not in convo:
        return []
    lines = convo.split("NEW:", 1)[1].strip().splitlines()
    out = []
    for line in lines:
        if line.startswith("user: "):
            out.append(re.sub(r" \(\d{4}-\d{2}(-\d{2})?\)", "", line[len("user: "):]).strip())
    return out
