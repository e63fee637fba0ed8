"""Snapshots (SVG, pytest-textual-snapshot) of the app's main screens at 80x24.

The clock of the store is fixed so that dates on screen do not change from day to day; the model
is the fast double from ``tui_fakes``. Update after an intended change of the UI with
``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from localmem.memory import Memory
from localmem.store.memories import NewMemory
from localmem.store.scope import Scope
from localmem.tui.app import LocalmemApp
from localmem.tui.backend import Backend
from test_tui import send, settle
from tui_fakes import FakeRuntime, memory

FIXED = datetime(2026, 5, 2, 18, 30, tzinfo=timezone.utc)
SIZE = (80, 24)


class FixedClock(datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED if tz is not None else FIXED.replace(tzinfo=None)


@pytest.fixture
def mem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("localmem.store.store.now", lambda: FIXED)
    monkeypatch.setattr("localmem.sessions.now", lambda: FIXED)
    monkeypatch.setattr("localmem.assistant.datetime", FixedClock)
    monkeypatch.setenv("TZ", "UTC")  # the sessions list shows local time
    time.tzset()
    with Memory(tmp_path / "memory.db") as m:
        yield m
    monkeypatch.undo()
    time.tzset()


def conversation_app(mem: Memory, theme: str = "textual-dark") -> LocalmemApp:
    mem.store.add_memory(Scope.of("ana"), NewMemory(text="User lives in Lyon", category="location"))
    rt = FakeRuntime(
        "fast",
        replies=[["Congratulations on the move! ", "Berlin has a lot to offer:\n\n",
                  "- **Tempelhofer Feld** for long walks with Rex\n", "- the dog-friendly cafés of Kreuzberg"]],
        facts={"berlin": [memory("User lives in Berlin", category="location"),
                          memory("User has a dog named Rex", category="relationships")]},
        decisions={"User lives in Berlin": {"event": "SUPERSEDE", "id": 0, "text": None}})
    app = LocalmemApp(Backend(mem, user_id="ana", model="fast", runtime_factory=lambda name: rt))
    app.theme = theme
    return app


async def chat_before(pilot) -> None:
    await settle(pilot)
    await send(pilot, "I just moved to Berlin with my dog Rex. Where can we go for walks?")
    pilot.app.screen.query_one("#prompt").cursor_blink = False  # a blinking cursor makes snapshots flaky
    await pilot.pause()


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_chat_screen(snap_compare, mem: Memory, theme: str):
    assert snap_compare(conversation_app(mem, theme), terminal_size=SIZE, run_before=chat_before)


def test_memory_browser(snap_compare, mem: Memory):
    async def run_before(pilot) -> None:
        await chat_before(pilot)
        await pilot.press("ctrl+b")
        await settle(pilot)
        pilot.app.screen.query_one("#show-filter").value = "all"
        await settle(pilot)

    assert snap_compare(conversation_app(mem), terminal_size=SIZE, run_before=run_before)


def test_sessions_screen(snap_compare, mem: Memory):
    async def run_before(pilot) -> None:
        await chat_before(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)

    assert snap_compare(conversation_app(mem), terminal_size=SIZE, run_before=run_before)


def test_preferences_screen(snap_compare, mem: Memory):
    for text in ["hey explain docker real quick", "shorter please", "just the gist", "tl;dr pls",
                 "Could you please give a detailed, thorough explanation of Kubernetes networking?",
                 "Please elaborate in depth, with a long step-by-step walkthrough.",
                 "Please describe ingress in full detail, covering every option."]:
        mem.observe_preferences(text, user_id="ana", timestamp=FIXED)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(conversation_app(mem), terminal_size=SIZE, run_before=run_before)
