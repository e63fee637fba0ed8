"""How the user likes to be answered (PAMU): per dimension, short-term and long-term values as
sparklines over the turns, change points marked, and the style preferences they stated."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from localmem.tui.widgets.preference_chart import DimensionChart


class PreferencesScreen(Screen):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("r", "reload", "Refresh")]

    def __init__(self):
        super().__init__(id="preferences")

    def compose(self) -> ComposeResult:
        yield Static("Preferences", classes="screen-title", id="preferences-title")
        yield VerticalScroll(id="preference-charts")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="preferences")
    def load(self) -> None:
        try:
            profile, history = self.app.backend.preferences()
        except Exception as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show, profile, history)

    async def _show(self, profile, history) -> None:
        title = self.query_one("#preferences-title", Static)
        charts = self.query_one("#preference-charts", VerticalScroll)
        await charts.remove_children()
        if profile.turns == 0:
            title.update("Preferences: nothing learnt yet")
            await charts.mount(Static("Chat with memory on: how you write, what you ask for (\"shorter please\") "
                                      "and your edits of replies shape how replies are written.",
                                      classes="preference-note"))
            return
        title.update(f"Preferences after {profile.turns} turns · cyan: short term, magenta: long term, "
                     "▲ change")
        await charts.mount_all([DimensionChart(name, state, history)
                                for name, state in profile.dimensions.items()])
        if profile.explicit:
            said = "\n".join(f"• {m.text}" for m in profile.explicit)
            await charts.mount(Static(f"You said:\n{said}", classes="preference-note", markup=False))

    def action_back(self) -> None:
        self.app.pop_screen()
