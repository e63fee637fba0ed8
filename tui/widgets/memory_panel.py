"""The side panel: what the last message did to memory (ADD / UPDATE / SUPERSEDE / NONE)."""

from __future__ import annotations

from rich.text import Text
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Static

MODE_NOTES = {
    "read-only": "Memory read-only: recalled, nothing new is stored.",
    "off": "Memory off: a fresh start (nothing recalled, nothing stored).",
}


class EventRow(Horizontal):
    """A badge and the memory's text (with the text it replaced, for UPDATE / SUPERSEDE)."""

    def __init__(self, event: str, text: str, previous: str | None = None):
        super().__init__(classes="event-row")
        self.event, self.text, self.previous = event, text, previous

    def compose(self):
        yield Label(self.event, classes=f"badge badge-{self.event.lower()}")
        body = Text(self.text)
        if self.previous:
            body.append(f"\nwas: {self.previous}", style="dim strike")
        yield Static(body, classes="event-text")


class MemoryPanel(VerticalScroll):
    def compose(self):
        yield Static("Memory", classes="panel-title")
        yield Static("Tell me something about yourself.", id="memory-state", markup=False)
        yield Static("", id="recalled", markup=False)

    def set_state(self, text: str) -> None:
        self.query_one("#memory-state", Static).update(text)

    async def _clear_events(self) -> None:
        await self.query(EventRow).remove()

    async def reset(self, note: str) -> None:
        await self._clear_events()
        self.set_state(note)
        self.query_one("#recalled", Static).update("")

    async def show_mode(self, mode: str) -> None:
        note = MODE_NOTES.get(mode)
        if note:
            await self._clear_events()
            self.set_state(note)
            self.query_one("#recalled", Static).update("")

    async def show_pending(self, recalled: int | None = None) -> None:
        await self._clear_events()
        self.set_state("Remembering your last message…")
        self.show_recalled(recalled)

    def show_recalled(self, recalled: int | None) -> None:
        note = "" if recalled is None else f"{recalled} memor{'y' if recalled == 1 else 'ies'} recalled for the reply"
        self.query_one("#recalled", Static).update(note)

    async def show_events(self, events, heading: str = "Last message:") -> None:
        await self._clear_events()
        if not events:
            self.set_state("Nothing new to remember from the last message.")
            return
        self.set_state(heading)
        rows = [EventRow(e.event.value, e.memory.text, e.previous_text) for e in events]
        await self.mount_all(rows, before=self.query_one("#recalled"))

    async def show_preference_change(self, moved: dict) -> None:
        await self._clear_events()
        if not moved:
            self.set_state("Your edit is kept; your preferences did not move.")
            return
        lines = [f"{name} {old:.2f} → {new:.2f} {'↑' if new > old else '↓'}" for name, (old, new) in moved.items()]
        self.set_state("Your edit is kept and learnt from:\n" + "\n".join(lines))

    async def show_failure(self, error: str) -> None:
        await self._clear_events()
        self.set_state(f"Extraction failed; the message is kept and will be retried ({error}).")
