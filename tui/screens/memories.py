"""The memory browser: search, filter by kind and category, inspect a memory (history, source
messages), edit, delete, undelete, restore a superseded version, export. Destructive actions ask
first; every change goes through ``Memory`` and lands in the memory's history."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Select, Static
from textual.worker import get_current_worker

from localmem.tui.screens.dialogs import ConfirmDialog, TextDialog
from localmem.types import Category, Kind

SHOW = [("Active", "active"), ("All versions", "all")]


def short(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def render_detail(detail) -> Text:
    item = detail.item
    out = Text()
    out.append(item.text + "\n", style="bold")
    out.append(f"{item.kind.value} · {item.category.value} · {item.status.value} · "
               f"confidence {item.confidence:.2f}\n", style="dim")
    when = item.valid_from or item.created_at
    out.append(f"since {when:%Y-%m-%d}", style="dim")
    if item.valid_to:
        out.append(f" until {item.valid_to:%Y-%m-%d}", style="dim")
    out.append("\n")
    if detail.successor is not None:
        out.append(f"replaced by: {detail.successor.text}\n", style="yellow")
    out.append("\nHistory\n", style="bold underline")
    for h in detail.history:
        out.append(f"{h.created_at:%Y-%m-%d %H:%M} {h.action.value:9} ", style="cyan")
        if h.action.value == "UPDATE":
            out.append(f"{h.old_text} → {h.new_text}")
        elif h.action.value == "ADD":
            out.append(h.new_text or "")
        else:
            out.append(f"{h.old_status.value if h.old_status else ''} → {h.new_status.value if h.new_status else ''}")
        out.append(f" ({h.actor})\n", style="dim")
    out.append("\nFrom the conversation\n", style="bold underline")
    if not detail.sources:
        out.append("(added directly, no message)\n", style="dim")
    for m in detail.sources:
        out.append(f"{m.role}: ", style="bold")
        out.append(short(m.content, 400) + "\n")
    return out


class MemoryBrowser(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("e", "edit", "Edit"),
        Binding("d", "delete", "Delete"),
        Binding("u", "undelete", "Undelete"),
        Binding("v", "restore_version", "Restore version"),
        Binding("x", "export", "Export"),
        Binding("/", "focus_search", "Search", show=False),
    ]

    def __init__(self):
        super().__init__(id="memories")
        self.items: list = []
        self.detail = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="memory-filters"):
            yield Input(placeholder="Search memories", id="memory-search")
            yield Select([(k.value, k.value) for k in Kind], prompt="any kind", id="kind-filter")
            yield Select([(c.value, c.value) for c in Category], prompt="any category", id="category-filter")
            yield Select(SHOW, value="active", allow_blank=False, id="show-filter")
        yield DataTable(id="memory-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="memory-detail-scroll"):
            yield Static("", id="memory-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Kind", "Category", "Status", "Memory")
        table.focus()
        self.reload()

    # -- loading ----------------------------------------------------------------------------------
    def _filters(self) -> dict:
        def value(selector: str):
            select = self.query_one(selector, Select)
            return None if select.is_blank() else select.value

        return {"query": self.query_one("#memory-search", Input).value, "kind": value("#kind-filter"),
                "category": value("#category-filter"), "show": value("#show-filter") or "active"}

    def reload(self, select_id: str | None = None) -> None:
        f = self._filters()
        self.load_items(f["query"], f["kind"], f["category"], f["show"], select_id)

    @work(thread=True, exclusive=True, group="browse")
    def load_items(self, query: str, kind, category, show: str, select_id: str | None) -> None:
        try:
            items = self.app.backend.browse(query, kind=kind, category=category, show=show)
        except Exception as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_items, items, select_id)

    def _show_items(self, items: list, select_id: str | None) -> None:
        self.items = items
        table = self.query_one(DataTable)
        table.clear()
        for item in items:
            status = Text(item.status.value, style={"active": "green", "superseded": "yellow",
                                                   "deleted": "red"}[item.status.value])
            table.add_row(item.kind.value, item.category.value, status, short(item.text, 200), key=item.id)
        ids = [i.id for i in items]
        if select_id in ids:
            table.move_cursor(row=ids.index(select_id))
        if items:
            self.load_detail(items[table.cursor_row if table.cursor_row < len(items) else 0].id)
        else:
            self.detail = None
            self.query_one("#memory-detail", Static).update("No memories match." if any(
                v for k, v in self._filters().items() if k != "show") else "No memories yet.")

    @work(thread=True, exclusive=True, group="detail")
    def load_detail(self, memory_id: str) -> None:
        try:
            detail = self.app.backend.detail(memory_id)
        except Exception as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_detail, detail)

    def _show_detail(self, detail) -> None:
        self.detail = detail
        self.query_one("#memory-detail", Static).update(render_detail(detail))

    @on(DataTable.RowHighlighted, "#memory-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value:
            self.load_detail(event.row_key.value)

    @on(Input.Changed, "#memory-search")
    @on(Select.Changed)
    def filters_changed(self) -> None:
        self.reload()

    @on(Input.Submitted, "#memory-search")
    def search_done(self) -> None:
        self.query_one(DataTable).focus()

    # -- actions ----------------------------------------------------------------------------------
    def _selected(self):
        return self.detail.item if self.detail is not None else None

    @work(thread=True, group="memory-write")
    def write(self, verb: str, memory_id: str, *args) -> None:
        """Run a backend write and reload; errors are shown, nothing else changes."""
        try:
            result = getattr(self.app.backend, verb)(memory_id, *args)
        except Exception as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", title="Not changed")
            return
        select = result.id if hasattr(result, "id") else memory_id
        self.app.call_from_thread(self.reload, select)

    def action_edit(self) -> None:
        item = self._selected()
        if item is None:
            return

        def done(text: str | None) -> None:
            if text and text != item.text:
                self.write("edit_memory", item.id, text)

        self.app.push_screen(TextDialog("Edit memory (the old text stays in its history)", item.text), done)

    def action_delete(self) -> None:
        item = self._selected()
        if item is None or item.status.value == "deleted":
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.write("delete_memory", item.id)

        self.app.push_screen(ConfirmDialog(f"Delete this memory?\n\n{short(item.text, 300)}\n\n"
                                           "(It can be undeleted with u.)", confirm_label="Delete"), done)

    def action_undelete(self) -> None:
        item = self._selected()
        if item is not None and item.status.value == "deleted":
            self.write("undelete_memory", item.id)
        elif item is not None:
            self.notify("Only a deleted memory can be undeleted.", timeout=3)

    def action_restore_version(self) -> None:
        item = self._selected()
        if item is None:
            return
        if item.status.value != "superseded":
            self.notify("Choose a superseded memory (show: All versions) to restore it.", timeout=4)
            return
        newer = self.detail.successor.text if self.detail.successor else "the newer memory"

        def done(yes: bool | None) -> None:
            if yes:
                self.write("restore_version", item.id)

        self.app.push_screen(ConfirmDialog(f"Restore “{short(item.text, 200)}”?\n\nIt replaces “{short(newer, 200)}”, "
                                           "which is kept as superseded.", confirm_label="Restore"), done)

    def action_export(self) -> None:
        default = str(Path.home() / f"localmem-export-{self.app.backend.user_id}.json")

        def done(path: str | None) -> None:
            if not path:
                return
            target = Path(path).expanduser()
            if target.exists():
                self.app.push_screen(ConfirmDialog(f"{target} exists. Overwrite it?", confirm_label="Overwrite"),
                                     lambda yes: self.export(str(target)) if yes else None)
            else:
                self.export(str(target))

        self.app.push_screen(TextDialog("Export my memories to (JSON)", default), done)

    @work(thread=True, group="memory-write")
    def export(self, path: str) -> None:
        try:
            count = self.app.backend.export(path)
        except Exception as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", title="Export failed")
            return
        self.app.call_from_thread(self.notify, f"Exported {count} memories to {path}", title="Exported")

    def action_focus_search(self) -> None:
        self.query_one("#memory-search", Input).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
