"""Counters the daemon reports at ``GET /metrics``: request latencies per route (p50/p95 over the
last 1000), model tokens per second, job counts. In memory only (reset at restart)."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

WINDOW = 1000


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started = time.monotonic()
        self.last_request = time.monotonic()
        self.requests: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.latencies: dict[str, deque] = {}
        self.jobs: dict[str, int] = {}
        self.completion_tokens = 0
        self.generation_seconds = 0.0

    def request(self, route: str, seconds: float, status: int) -> None:
        with self._lock:
            self.last_request = time.monotonic()
            self.requests[route] = self.requests.get(route, 0) + 1
            if status >= 400:
                self.errors[route] = self.errors.get(route, 0) + 1
            self.latencies.setdefault(route, deque(maxlen=WINDOW)).append(seconds)

    def touch(self) -> None:
        self.last_request = time.monotonic()

    def tokens(self, completion_tokens: int, generation_ms: float) -> None:
        with self._lock:
            self.completion_tokens += completion_tokens
            self.generation_seconds += generation_ms / 1000

    def job_finished(self, kind: str, seconds: float, result: Any) -> None:
        with self._lock:
            self.jobs[kind] = self.jobs.get(kind, 0) + 1
            if isinstance(result, dict) and result.get("completion_tokens"):
                # jobs report no generation time of their own: their whole run counts (a lower bound)
                self.completion_tokens += int(result["completion_tokens"])
                self.generation_seconds += seconds

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            routes = {
                route: {"count": self.requests.get(route, 0), "errors": self.errors.get(route, 0),
                        "p50_ms": round(_quantile(list(lat), 0.5) * 1000, 3),
                        "p95_ms": round(_quantile(list(lat), 0.95) * 1000, 3)}
                for route, lat in self.latencies.items()
            }
            tps = self.completion_tokens / self.generation_seconds if self.generation_seconds else 0.0
            return {"uptime_s": round(time.monotonic() - self.started, 3),
                    "idle_s": round(time.monotonic() - self.last_request, 3),
                    "routes": routes, "jobs_finished": dict(self.jobs),
                    "completion_tokens": self.completion_tokens, "generation_tokens_per_s": round(tps, 2)}
