"""``LocalmemApp``: the terminal chat app (``localmem chat`` in a terminal; ``make run``).

    from localmem.tui.app import LocalmemApp
    from localmem.tui.backend import Backend

    LocalmemApp(Backend(user_id="ana", model="fast")).run()

Screens: chat (default), memory browser (Ctrl+B), sessions (Ctrl+O). Every control is also in the
command palette (Ctrl+P). All model and database work runs in thread workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from localmem.tui.backend import Backend
from localmem.tui.screens.chat import MODES, ChatScreen


class LocalmemApp(App):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))
    TITLE = "localmem"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True, show=False)]  # in the palette too

    def __init__(self, backend: Backend, *, theme: str | None = None):
        super().__init__()
        self.backend = backend
        if theme:
            self.theme = theme

    def get_default_screen(self) -> Screen:
        return ChatScreen()

    @property
    def chat(self) -> ChatScreen:
        """The chat screen (the bottom of the screen stack)."""
        return next(s for s in self.screen_stack if isinstance(s, ChatScreen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        chat = self.chat
        yield SystemCommand("New chat", "Start a new conversation (Ctrl+N)", chat.action_new_chat)
        yield SystemCommand("Chats", "List, search, resume and rename saved chats (Ctrl+O)", chat.action_sessions)
        yield SystemCommand("Memories", "Browse, search, edit and export memories (Ctrl+B)", chat.action_memories)
        yield SystemCommand("Preferences", "How you like to be answered, short and long term (F2)",
                            chat.action_preferences)
        yield SystemCommand("Edit last reply", "Rewrite the last reply as you wanted it; it is learnt from (Ctrl+R)",
                            chat.action_edit_reply)
        for mode, what in zip(MODES, ("recall and remember", "recall only, store nothing",
                                      "a fresh start: neither recall nor store")):
            yield SystemCommand(f"Memory {mode}", f"This chat's memory: {what}",
                                lambda mode=mode: chat.set_memory_mode(mode))
        yield SystemCommand("Adapters on", "Run memory operations with their LoRA adapters",
                            lambda: chat.set_adapters(True))
        yield SystemCommand("Adapters off", "Run memory operations on the base model only",
                            lambda: chat.set_adapters(False))
        yield SystemCommand("Model", "Choose the chat model from the registry (Ctrl+L)", chat.action_choose_model)
        yield SystemCommand("Stop reply", "Stop the reply being generated (Esc)", chat.action_stop_reply)
        yield from super().get_system_commands(screen)

    def on_unmount(self) -> None:
        self.backend.close()


def run(backend: Backend) -> None:
    LocalmemApp(backend).run()
