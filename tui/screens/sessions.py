"""Saved chats: search (titles and message text), resume (Enter), rename (r)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import get_current_worker

from localmem.tui.screens.dialogs import TextDialog


class SessionsScreen(Screen[str | None]):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("enter", "resume", "Resume"),
        Binding("r", "rename", "Rename"),
        Binding("/", "focus_search", "Search"),
    ]

    def __init__(self):
        super().__init__(id="sessions")
        self.sessions: list = []

    def compose(self) -> ComposeResult:
        yield Static("Chats", classes="screen-title")
        yield Input(placeholder="Search titles and messages", id="session-search")
        yield DataTable(id="session-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="session-empty", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Title", "Msgs", "Memory", "Last used")
        table.focus()
        self.refresh_list()

    @work(thread=True, exclusive=True, group="sessions")
    def refresh_list(self, query: str = "") -> None:
        try:
            sessions = self.app.backend.list_sessions(query or None)
        except Exception as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, sessions)

    def _show(self, sessions: list) -> None:
        self.sessions = sessions
        table = self.query_one(DataTable)
        table.clear()
        for s in sessions:
            when = s.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
            table.add_row(s.title, str(s.message_count), s.memory_mode, when, key=s.id)
        query = self.query_one("#session-search", Input).value
        empty = "" if sessions else ("No chat matches." if query else "No saved chats yet (chats with memory on are saved).")
        note = self.query_one("#session-empty", Static)
        note.update(empty)
        note.display = bool(empty)

    @on(Input.Changed, "#session-search")
    def search(self, event: Input.Changed) -> None:
        self.refresh_list(event.value)

    @on(Input.Submitted, "#session-search")
    def search_done(self) -> None:
        self.query_one(DataTable).focus()

    def _current(self):
        table = self.query_one(DataTable)
        if not self.sessions or table.cursor_row is None or table.cursor_row >= len(self.sessions):
            return None
        return self.sessions[table.cursor_row]

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        self.action_resume()

    def action_resume(self) -> None:
        session = self._current()
        if session is not None:
            self.dismiss(session.id)

    def action_rename(self) -> None:
        session = self._current()
        if session is None:
            return

        def done(title: str | None) -> None:
            if title:
                self.rename(session.id, title)

        self.app.push_screen(TextDialog("Rename chat", session.title), done)

    @work(thread=True, group="sessions-write")
    def rename(self, session_id: str, title: str) -> None:
        try:
            self.app.backend.rename_session(session_id, title)
        except Exception as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.refresh_list, self.query_one("#session-search", Input).value)

    def action_focus_search(self) -> None:
        self.query_one("#session-search", Input).focus()

    def action_back(self) -> None:
        self.dismiss(None)
