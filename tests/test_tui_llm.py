"""The terminal app on the real default model (0.5B): a reply streams in, the message's memories
reach the panel and the store; and ``localmem chat`` in a real terminal (a pty) opens the app."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from localmem.memory import Memory
from localmem.tui.app import LocalmemApp
from localmem.tui.backend import Backend
from localmem.tui.widgets.chat_log import AssistantMessage
from localmem.tui.widgets.memory_panel import EventRow
from test_tui import send, settle, status_text

pytestmark = pytest.mark.llm


async def test_a_conversation_on_the_fast_model_creates_memories_shown_in_the_panel(tmp_path: Path):
    with Memory(tmp_path / "memory.db") as mem:
        app = LocalmemApp(Backend(mem, user_id="ana", model="fast", max_tokens=40))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert status_text(app).startswith("fast")
            await send(pilot, "Hi! I'm Ana. I live in Lyon and I work as a nurse.")
            reply = app.screen.query_one(AssistantMessage)
            assert reply.text.strip() and reply.body.children  # streamed into the Markdown document
            assert "tok/s" in status_text(app) and "ctx " in status_text(app)
            shown = [(r.event, r.text) for r in app.screen.query(EventRow)]
            assert shown and all(event == "ADD" for event, _ in shown)
        stored = {m.text for m in mem.get_all(user_id="ana")}
        assert {text for _, text in shown} <= stored and any("Lyon" in t or "nurse" in t for t in stored)


def test_localmem_chat_opens_the_app_in_a_terminal(localmem_home: Path):
    """What ``make run`` does: ``localmem chat`` on the default model, in a terminal."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "LOCALMEM_USER": "ana"}
    proc = subprocess.Popen([sys.executable, "-c", "from localmem.cli import main; main()", "chat"],
                            stdin=child, stdout=child, stderr=child, env=env, close_fds=True)
    os.close(child)
    seen = b""
    try:
        while b"adapters" not in seen:  # the status line appears once the model is loaded
            chunk = os.read(main, 65536)
            assert chunk, f"the app exited before it was ready: {seen[-2000:]!r}"
            seen += chunk
        assert b"Chats" in seen and b"Model" in seen  # the footer's key bindings
        os.write(main, b"\x11")  # Ctrl+Q
        assert proc.wait() == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
    assert (localmem_home / "memory.db").exists()
