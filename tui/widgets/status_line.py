"""One line under the prompt: model (in-process or via the daemon), memory mode, adapter state,
tokens/s and context use."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def render_status(status, *, replying: bool = False, loading: str | None = None) -> Text:
    text = Text()
    if loading:
        text.append(f"loading {loading}…", style="bold")
        return text
    if status is None:
        return text
    text.append(status.model, style="bold")
    text.append(f" {status.where}", style="dim")  # in-process | via daemon (whose model this is)
    mode_style = {"on": "green", "read-only": "yellow", "off": "red"}.get(status.memory_mode, "")
    text.append("  memory ")
    text.append(status.memory_mode, style=mode_style)
    text.append(f"  adapters {status.adapters}")
    if status.tokens_per_s is not None:
        text.append(f"  {status.tokens_per_s:.1f} tok/s")
    if status.context_used is not None and status.context_size:
        pct = 100 * status.context_used / status.context_size
        text.append(f"  ctx {status.context_used}/{status.context_size} ({pct:.0f}%)")
    if replying:
        text.append("  replying…", style="italic")
    return text


class StatusLine(Static):
    def __init__(self, **kwargs):
        super().__init__("", **kwargs)
        self.status = None
        self.replying = False
        self.loading: str | None = None

    def show(self, status=None, *, replying: bool | None = None, loading: str | None = None) -> None:
        if status is not None:
            self.status = status
        if replying is not None:
            self.replying = replying
        self.loading = loading
        self.update(render_status(self.status, replying=self.replying, loading=self.loading))
